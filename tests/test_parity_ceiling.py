"""scripts/explore_parity_ceiling.py on a tiny question-matching set (deterministic hash encoder):
its reranks rank distinct entries with the query's own entry left out, and every row it prints
is a fraction in 0..1 computed from those ranks."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from bench_quality import pairs_dataset
from explore_parity_ceiling import Signals, built, dense_lists, neighbour_mean, rows_for

from kb import make_encoder

PAIRS = [
    ("怎么提现", "提现方法", True),
    ("提现方法", "如何提现", True),
    ("怎么提现", "怎么充值", False),
    ("充值失败", "充值没到账", True),
    ("忘记密码", "密码忘了怎么办", True),
]


@pytest.fixture(scope="module")
def signals(tmp_path_factory):
    work = tmp_path_factory.mktemp("ceiling")
    data = pairs_dataset("t", "t", PAIRS, work)
    cache = work / "vectors"
    cache.mkdir()
    return Signals(built(data, cache, make_encoder("hash:64"), work), data.cases)


def test_ranked_leaves_out_the_query_itself_and_repeats(signals):
    case = signals.cases[0]
    own = signals.slugs.index(case.exclude)
    right = signals.slugs.index(case.relevant[0])
    other = next(r for r in range(len(signals.slugs)) if r not in (own, right))
    rows = [(own, 9.0), (other, 8.0), (other, 7.0), (right, 6.0)]
    assert signals.ranked(0, rows) == [signals.slugs[other], signals.slugs[right]]
    assert signals.reciprocal_rank(0, rows) == 0.5  # own entry and the repeat do not count
    assert signals.reciprocal_rank(0, [(own, 1.0), (other, 0.5)]) == 0.0


def test_neighbour_mean_is_a_mean_cosine(signals):
    r = neighbour_mean(signals, k=2)
    assert r.shape == (len(signals.slugs),) and np.all(r <= 1.0 + 1e-6) and np.all(r >= -1.0)


def test_rows_are_fractions_and_the_default_row_matches_its_ranks(signals):
    rows, _ = rows_for(signals, None, full=False)
    labels = [label for label, _, _ in rows]
    assert "convex, BM25 share 0.5 (default)" in labels and len(rows) == 7
    assert "centring (hub_penalty) 0.25, fused" in labels
    assert all(0.0 <= mrr <= 1.0 for _, mrr, _ in rows)
    bm25 = next(mrr for label, mrr, _ in rows if label == "product BM25 alone")
    n = len(signals.cases)
    assert bm25 == pytest.approx(
        np.mean([signals.reciprocal_rank(i, signals.bm25[i]) for i in range(n)])
    )


def test_centring_subtracts_each_vectors_share_of_the_mean(signals):
    plain = dense_lists(signals, signals.queries, "max")
    centred = dense_lists(signals, signals.queries, "max", centring=1.0)
    p = signals.queries @ signals.passage.T - signals.passage @ signals.mean
    t = signals.queries @ signals.title.T - signals.title @ signals.mean
    want = np.maximum(p, t)
    for i, rows in enumerate(centred):
        assert [r for r, _ in rows] == [int(r) for r in np.argsort(-want[i], kind="stable")][
            : len(rows)
        ]
        assert np.allclose([s for _, s in rows], want[i][[r for r, _ in rows]], atol=1e-6)
    assert plain != centred  # the correction moved the scores
