"""Reciprocal rank fusion."""

from __future__ import annotations

import pytest

from kb.retrieval.fusion import rrf


def test_rrf_sums_reciprocal_ranks():
    fused = dict(rrf([[(1, 9.0), (2, 5.0)], [(2, 0.9), (3, 0.8)]], k=60))
    assert fused[2] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1] == pytest.approx(1 / 61)
    assert fused[3] == pytest.approx(1 / 62)


def test_rrf_orders_by_fused_score_and_keeps_single_list_items():
    ids = [i for i, _ in rrf([[(1, 1.0), (2, 0.5)], [(2, 1.0), (3, 0.5)]])]
    assert ids == [2, 1, 3]


def test_rrf_ties_broken_by_best_rank_then_id():
    assert [i for i, _ in rrf([[(5, 1.0)], [(4, 1.0)]])] == [4, 5]


def test_rrf_weights_and_validation():
    fused = dict(rrf([[(1, 1.0)], [(2, 1.0)]], k=10, weights=[2.0, 1.0]))
    assert fused[1] == pytest.approx(2 / 11)
    with pytest.raises(ValueError, match=r"rrf constant k \(0\) must be >= 1"):
        rrf([[(1, 1.0)]], k=0)
    with pytest.raises(ValueError, match="1 weights for 2 lists"):
        rrf([[], []], weights=[1.0])


def test_rrf_of_nothing_is_empty():
    assert rrf([[], []]) == []
