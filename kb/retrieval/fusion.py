"""Reciprocal rank fusion (Cormack et al. 2009) as pure functions.

score(d) = sum over lists of weight / (k + rank(d)), rank starting at 1. RRF needs no score
calibration between BM25 and cosine, which live on unrelated scales. k = 60 is the paper's constant;
a smaller k trusts the top of each list more. Neither list filters the other: a chunk found by only
one retriever still competes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import repeat

import numpy as np

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


def minmax(items: Sequence[tuple[int, float]]) -> dict[int, float]:
    """{id: score scaled to 0..1 over `items`} (best 1.0, the list's worst 0.0; every score 1.0
    when all are equal). Scales BM25 (0..inf) and cosine (-1..1) to one range per query."""
    if not items:
        return {}
    scores = [s for _, s in items]
    low, high = min(scores), max(scores)
    span = high - low
    return {i: (s - low) / span if span > 0 else 1.0 for i, s in items}


def convex(
    ranked_lists: Sequence[Sequence[tuple[int, float]]],
    weights: Sequence[float],
    item_weights: Sequence[Mapping[int, float] | None] | None = None,
) -> list[tuple[int, float]]:
    """Convex combination of min-max normalised scores (Bruch et al. 2023, "An analysis of fusion
    functions for hybrid retrieval": it beats RRF when each list's scores carry information).

    Each list's scores are scaled with `minmax`; an id missing from a list gets 0 there; item
    weights scale single items as in `rrf`. Fused scores lie in 0..sum(weights) with item weights
    <= 1; best first, ties broken by best rank in any list, then id. Raises ValueError for a
    `weights` of another length than `ranked_lists` or a negative weight."""
    if len(weights) != len(ranked_lists):
        raise ValueError(f"{len(weights)} weights for {len(ranked_lists)} lists")
    if any(w < 0 for w in weights):
        raise ValueError(f"fusion weights must be >= 0, got {list(weights)}")
    item_weights = list(item_weights) if item_weights is not None else [None] * len(ranked_lists)
    ids, parts, ranks = [], [], []  # per list: ids, weighted scaled scores, ranks (numpy)
    for items, weight, per_item in zip(ranked_lists, weights, item_weights, strict=True):
        if not items:
            continue
        n = len(items)
        # arrays, not `minmax`'s dict: a search fuses 2 x 100 hits, and this function cost
        # 0.25 ms of a query's ~4 outside the encoder (profiled in the twentieth session)
        columns = tuple(zip(*items, strict=True))
        item_ids = np.array(columns[0], dtype=np.int64)
        raw = np.array(columns[1], dtype=np.float64)
        low, span = raw.min(), raw.max() - raw.min()
        scaled = (raw - low) / span if span > 0 else np.ones(n)
        if per_item is not None:
            scale = np.fromiter(map(per_item.get, item_ids.tolist(), repeat(1.0)), np.float64, n)
            scaled = (weight * scale) * scaled
        else:
            scaled = weight * scaled
        ids.append(item_ids)
        parts.append(scaled)
        ranks.append(np.arange(1, n + 1))
    if not ids:
        return []
    every = np.concatenate(ids)
    unique = np.unique(every)
    slot = np.searchsorted(unique, every)  # np.unique's return_inverse, at a sixth of its cost
    fused = np.zeros(len(unique))
    np.add.at(fused, slot, np.concatenate(parts))  # list by list, as a running sum would
    best_rank = np.full(len(unique), np.iinfo(np.int64).max)
    np.minimum.at(best_rank, slot, np.concatenate(ranks))
    order = np.lexsort((unique, best_rank, -fused))
    return list(zip(unique[order].tolist(), fused[order].tolist(), strict=True))
