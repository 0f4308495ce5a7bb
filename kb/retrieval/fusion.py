"""Reciprocal rank fusion (Cormack et al. 2009) as pure functions.

score(d) = sum over lists of weight / (k + rank(d)), rank starting at 1. RRF needs no score
calibration between BM25 and cosine, which live on unrelated scales. k = 60 is the paper's constant;
a smaller k trusts the top of each list more. Neither list filters the other: a chunk found by only
one retriever still competes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

RRF_K = 60  # the paper's constant; SearchSettings.rrf_k holds the product default


def rrf(
    ranked_lists: Sequence[Sequence[tuple[int, float]]],
    k: int = RRF_K,
    weights: Sequence[float] | None = None,
    item_weights: Sequence[Mapping[int, float] | None] | None = None,
) -> list[tuple[int, float]]:
    """Fuse lists of (id, score), each best first, into one (id, fused score) list, best first.

    `weights` scale whole lists; `item_weights` (one mapping or None per list) scale single items,
    e.g. a BM25 hit by how much of the query it covers (an id missing from its mapping: 1.0). Ties
    are broken by the id's best rank in any list, then by id, so the order is deterministic.
    The input scores are ignored, only ranks count. A fused score is > 0 when the weights and item
    weights are, and at most sum(weights) / (k + 1) when item weights are <= 1. Raises ValueError
    for k < 1 or a `weights` of another length than `ranked_lists`.
    """
    if k < 1:
        raise ValueError(f"rrf constant k ({k}) must be >= 1")
    weights = list(weights) if weights is not None else [1.0] * len(ranked_lists)
    if len(weights) != len(ranked_lists):
        raise ValueError(f"{len(weights)} weights for {len(ranked_lists)} lists")
    item_weights = list(item_weights) if item_weights is not None else [None] * len(ranked_lists)
    fused: dict[int, float] = {}
    best_rank: dict[int, int] = {}
    for items, weight, per_item in zip(ranked_lists, weights, item_weights, strict=True):
        for rank, (item, _score) in enumerate(items, start=1):
            scale = weight if per_item is None else weight * per_item.get(item, 1.0)
            fused[item] = fused.get(item, 0.0) + scale / (k + rank)
            best_rank[item] = min(best_rank.get(item, rank), rank)
    return sorted(fused.items(), key=lambda kv: (-kv[1], best_rank[kv[0]], kv[0]))
