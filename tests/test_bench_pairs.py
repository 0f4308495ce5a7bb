"""The benchmarks' question-matching sets (scripts/bench_quality.py): paraphrase groups are the
connected components of the positive pairs, shared by scripts/explore_query_adapter.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from bench_quality import pairs_dataset, paraphrase_groups

PAIRS = [
    ("怎么提现", "提现方法", True),
    ("提现方法", "如何提现", True),  # joins the first pair's group: a chain, not a star
    ("怎么提现", "怎么充值", False),  # a negative pair joins nothing
    ("充值失败", "充值没到账", True),
]


def test_groups_follow_chains_of_positive_pairs_only():
    sentences = sorted({s for a, b, _ in PAIRS for s in (a, b)})
    group = paraphrase_groups(sentences, PAIRS)
    assert set(group["如何提现"]) == {"怎么提现", "提现方法", "如何提现"}
    assert group["怎么充值"] == ["怎么充值"]
    assert set(group["充值失败"]) == {"充值失败", "充值没到账"}
    assert all(group[s] == sorted(group[s]) for s in sentences)  # in `sentences` order


def test_pairs_dataset_queries_are_sentences_with_a_partner(tmp_path):
    data = pairs_dataset("t", "t", [*PAIRS, (" 充值失败 ", "", True)], tmp_path)
    by_text = {case.text: case for case in data.cases}
    assert set(by_text) == {"怎么提现", "提现方法", "如何提现", "充值失败", "充值没到账"}
    own = by_text["如何提现"]
    assert len(own.relevant) == 2 and own.exclude not in own.relevant
    assert by_text["充值没到账"].relevant == (by_text["充值失败"].exclude,)
