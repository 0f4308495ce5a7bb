"""BM25 retrieval over one loaded partition, and the coverage weights fusion gives its hits."""

from __future__ import annotations

import numpy as np

from ..index import LoadedIndex
from ..options import Coverage, TextSettings
from ..text import query_tokens
from .hits import Hit


class KeywordRetriever:
    """`Retriever` by Lucene BM25 (k1 1.2, b 0.75) over chunk rows, the query tokenised with the
    index's `TextSettings` (as it was built); scores > 0, unbounded."""

    def __init__(self, index: LoadedIndex, text_settings: TextSettings):
        self.index, self.text_settings = index, text_settings

    def search(self, query: str, top_k: int, mask: np.ndarray | None = None) -> list[Hit]:
        """At most `top_k` chunks with a positive BM25 score, best first (equal scores by row);
        `bm25_score` = `score`."""
        terms = list(query_tokens(query, self.text_settings))
        return [Hit(r, s, s) for r, s in self.index.keyword.top(terms, top_k, mask)]  # bm25_score

    def coverage(self, query: str, rows: list[int], kind: Coverage) -> dict[int, float] | None:
        """Fusion weight in [0, 1] per BM25 hit row (see `Coverage`); None means unweighted."""
        terms = list(query_tokens(query, self.text_settings))
        if kind is Coverage.MATCHED:
            return self.index.keyword.coverage(terms, rows)
        if kind is Coverage.KNOWN:
            return dict.fromkeys(rows, self.index.keyword.known_share(terms))
        return None
