"""The retriever contract: `search(query, top_k, mask) -> list[Hit]`, best first (haystack's
one-method retriever protocol), so BM25, dense and fused retrieval swap freely."""

from __future__ import annotations

from typing import NamedTuple, Protocol

import numpy as np


class Hit(NamedTuple):
    """One retrieved chunk: its row in the loaded index and the retriever's score.

    `score` is on the retriever's own scale: BM25 (>0, unbounded), cosine (-1..1) or fused
    (convex: 0..1; RRF: >0, at most the sum of the list weights / (k + 1)). A fused hit also
    carries each side's score where that side found the chunk (None where it did not).

    A NamedTuple (immutable) rather than a frozen dataclass: a search builds several hundred
    hits, and a frozen dataclass's `__init__` costs about 3x a tuple's (1.37 vs 0.42 us here)."""

    row: int
    score: float
    bm25_score: float | None = None
    dense_score: float | None = None


class Retriever(Protocol):
    """Turns a question into ranked chunk hits over one loaded partition. KeywordRetriever (BM25),
    DenseRetriever (cosine) and HybridRetriever (fusion of both) implement it; `Searcher.search`
    picks one by `Mode`. A retriever keeps no state between searches, so a Searcher shares it
    across threads."""

    def search(self, query: str, top_k: int, mask: np.ndarray | None = None) -> list[Hit]:
        """At most `top_k` hits for an already-normalised `query` (`Searcher.prepare`), best
        first, each a distinct chunk row; `mask` ((chunk_count,) bool) limits the chunk rows that
        may be returned (None: all). Fewer, or none, when fewer chunks match. `Hit.score` is on
        the retriever's own scale (see `Hit`)."""
