"""BM25 keyword index over pre-tokenised chunks (bm25s, Lucene scoring), saved beside the vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

EMPTY_MARKER = "EMPTY"


class KeywordIndex:
    """Scores every chunk for a token list; the caller picks the top and applies filters."""

    def __init__(self, bm25=None, count: int = 0):
        self._bm25 = bm25
        self.count = count

    @classmethod
    def build(cls, token_lists: list[list[str]]) -> KeywordIndex:
        if not token_lists:
            return cls(None, 0)
        import bm25s

        bm25 = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
        # a chunk with no tokens at all still needs a row; the empty token gives it one
        bm25.index([t or [""] for t in token_lists], show_progress=False)
        return cls(bm25, len(token_lists))

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk (zeros where nothing matches)."""
        if self._bm25 is None:
            return np.zeros(0, dtype=np.float32)
        ids = self._bm25.get_tokens_ids([t for t in query_tokens if t])
        if not ids:
            return np.zeros(self.count, dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)

    def top(
        self, query_tokens: list[str], n: int, mask: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Best `n` (row, score) with a positive score, best first; `mask` limits the rows."""
        scores = self.scores(query_tokens)
        if scores.size == 0:
            return []
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        return top_positive(scores, n)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if self._bm25 is None:
            (directory / EMPTY_MARKER).write_text("no chunks\n")
        else:
            self._bm25.save(str(directory))

    @classmethod
    def load(cls, directory: Path, mmap: bool = False) -> KeywordIndex:
        if (directory / EMPTY_MARKER).exists():
            return cls(None, 0)
        import bm25s

        bm25 = bm25s.BM25.load(str(directory), mmap=mmap)
        return cls(bm25, int(bm25.scores["num_docs"]))


def top_positive(scores: np.ndarray, n: int) -> list[tuple[int, float]]:
    """Rows of the `n` highest positive scores, best first (ties by row for determinism)."""
    positive = np.flatnonzero(scores > 0)
    if positive.size == 0:
        return []
    if positive.size > n:
        part = np.argpartition(-scores[positive], n - 1)[:n]
        positive = positive[part]
    order = np.lexsort((positive, -scores[positive]))
    return [(int(positive[i]), float(scores[positive[i]])) for i in order]
