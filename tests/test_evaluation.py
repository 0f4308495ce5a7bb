"""Metric definitions checked on hand-computed cases; query file validation."""

from __future__ import annotations

import math

import pytest

from kb import QueryFileError
from kb.evaluation import load_queries, metrics


def test_metrics_by_hand():
    ranked = [["a", "b", "c"], ["x", "y", "rel"], ["n1", "n2"]]
    relevant = [("a",), ("rel",), ("zzz",)]
    m = metrics(ranked, relevant)
    assert m["n"] == 3
    assert m["recall@1"] == round(1 / 3, 4)
    assert m["recall@3"] == round(2 / 3, 4)
    assert m["mrr@10"] == round((1 + 1 / 3) / 3, 4)
    assert m["ndcg@10"] == round((1 + 1 / math.log2(4)) / 3, 4)


def test_multiple_relevant_count_once_for_recall_but_all_for_ndcg():
    m = metrics([["en", "zh"]], [("en", "zh")])
    assert m["recall@1"] == 1.0
    assert m["ndcg@10"] == 1.0
    half = metrics([["en", "other"]], [("en", "zh")])
    assert half["ndcg@10"] == round(1 / (1 + 1 / math.log2(3)), 4)


def test_load_queries_validates_each_line(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"query": "ok", "relevant": ["a"], "lang": "en"}\n'
        '{"query": "no slugs", "relevant": []}\n'
        "not json\n",
        encoding="utf-8",
    )
    with pytest.raises(QueryFileError) as info:
        load_queries(path)
    assert [str(p).split(":")[1] for p in info.value.problems] == ["2", "3"]
    path.write_text('{"query": "ok", "relevant": ["a"], "lang": "en"}\n', encoding="utf-8")
    (q,) = load_queries(path)
    assert (q.text, q.relevant, q.lang) == ("ok", ("a",), "en")
