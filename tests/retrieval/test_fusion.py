"""Reciprocal rank fusion and the convex combination of min-max scaled scores."""

from __future__ import annotations

import random

import pytest

from kb.retrieval.fusion import convex, minmax, rrf


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


def test_minmax_scales_each_list_to_zero_one():
    assert minmax([(1, 12.0), (2, 7.0), (3, 2.0)]) == {1: 1.0, 2: 0.5, 3: 0.0}
    assert minmax([(4, 0.3), (5, 0.3)]) == {4: 1.0, 5: 1.0}
    assert minmax([]) == {}


def test_convex_weighs_margins_not_just_ranks():
    # BM25 barely prefers 1 over 2; dense strongly prefers 2: RRF with equal weights ties them
    # (broken by id), the convex combination follows the larger margin
    bm25 = [(1, 10.0), (2, 9.9), (3, 0.0)]
    dense = [(2, 0.95), (1, 0.60), (3, 0.55)]
    assert next(i for i, _ in rrf([bm25, dense])) == 1
    assert next(i for i, _ in convex([bm25, dense], [0.5, 0.5])) == 2
    fused = dict(convex([bm25, dense], [0.5, 0.5]))
    assert fused[2] == pytest.approx(0.5 * 0.99 + 0.5 * 1.0)
    assert fused[3] == 0.0


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_convex_at_the_ends_is_one_input(share):
    bm25 = [(1, 3.0), (2, 2.0), (3, 1.0)]
    dense = [(3, 0.9), (2, 0.8), (1, 0.1)]
    order = [i for i, _ in convex([bm25, dense], [share, 1 - share])]
    assert order == ([1, 2, 3] if share == 1.0 else [3, 2, 1])


def test_convex_item_weights_and_validation():
    fused = dict(convex([[(1, 2.0), (2, 1.0)], [(2, 0.9)]], [0.5, 0.5], [{1: 0.2}, None]))
    assert fused[1] == pytest.approx(0.1)
    assert fused[2] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="1 weights for 2 lists"):
        convex([[], []], [1.0])
    with pytest.raises(ValueError, match=">= 0"):
        convex([[], []], [1.0, -0.5])


def convex_by_definition(lists, weights, item_weights):
    """convex() written out with dicts, as its docstring defines it (the reference)."""
    fused, best_rank = {}, {}
    for items, weight, per_item in zip(lists, weights, item_weights, strict=True):
        for rank, (item, score) in enumerate(minmax(items).items(), start=1):
            scale = weight if per_item is None else weight * per_item.get(item, 1.0)
            fused[item] = fused.get(item, 0.0) + scale * score
            best_rank[item] = min(best_rank.get(item, rank), rank)
    return sorted(fused.items(), key=lambda kv: (-kv[1], best_rank[kv[0]], kv[0]))


def test_convex_equals_its_definition_on_random_lists():
    rnd = random.Random(7)
    for _ in range(500):
        bm25 = rnd.sample(range(300), rnd.randint(0, 100))
        dense = rnd.sample(range(300), rnd.randint(0, 100))
        lists = [
            sorted(
                ((i, rnd.choice([rnd.random() * 10, 1.0, 2.0])) for i in bm25), key=lambda x: -x[1]
            ),
            sorted(((i, rnd.choice([rnd.random(), 0.5])) for i in dense), key=lambda x: -x[1]),
        ]
        coverage = {i: rnd.choice([0.2, 0.5, 1.0]) for i in bm25 if rnd.random() < 0.5}
        share = rnd.random()
        weights, item_weights = [share, 1 - share], [coverage if rnd.random() < 0.7 else None, None]
        assert convex(lists, weights, item_weights) == convex_by_definition(
            lists, weights, item_weights
        )
