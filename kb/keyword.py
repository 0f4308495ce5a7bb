"""BM25 keyword index over pre-tokenised chunks (bm25s, Lucene scoring), saved beside the vectors."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

EMPTY_MARKER = "EMPTY"
K1, B = 1.2, 0.75


def _bm25s():
    """bm25s sets its own logger to DEBUG on import; undo that so the application decides."""
    import logging

    import bm25s

    logging.getLogger("bm25s").setLevel(logging.NOTSET)
    return bm25s


class KeywordIndex:
    """Scores every chunk for a token list; the caller picks the top and applies filters."""

    def __init__(self, bm25=None, count: int = 0):
        self._bm25 = bm25
        self.count = count

    @classmethod
    def build(cls, token_lists: list[list[str]]) -> KeywordIndex:
        """Lucene BM25 (k1 = 1.2, b = 0.75) in bm25s's own format, computed with array operations.

        bm25s.index() counts terms one document at a time in Python; that was a third of a
        10k-article rebuild. Same scores (tests/test_vectors.py compares them), 5-10x faster."""
        if not token_lists:
            return cls(None, 0)
        bm25 = _bm25s().BM25(method="lucene", k1=K1, b=B)
        # a chunk with no tokens at all still needs a row; the empty token gives it one
        token_lists = [t or [""] for t in token_lists]
        vocab: dict[str, int] = {}
        flat = list(itertools.chain.from_iterable(token_lists))
        term = np.fromiter((vocab.setdefault(t, len(vocab)) for t in flat), np.int64, len(flat))
        lengths = np.fromiter(map(len, token_lists), np.int64, len(token_lists))
        doc = np.repeat(np.arange(len(token_lists), dtype=np.int64), lengths)
        pairs, tf = np.unique(term * len(token_lists) + doc, return_counts=True)  # term-major
        term, doc = np.divmod(pairs, len(token_lists))
        n_docs, n_terms = len(token_lists), len(vocab)
        df = np.bincount(term, minlength=n_terms)
        idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        norm = K1 * ((1 - B) + B * lengths / lengths.mean())
        data = (idf[term] * tf / (norm[doc] + tf)).astype(np.float32)
        indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
        if "" not in vocab:
            vocab[""] = n_terms  # as bm25s does: the empty token exists, with no postings
        bm25.scores = {
            "data": data,
            "indices": doc.astype(np.int32),
            "indptr": indptr,
            "num_docs": n_docs,
        }
        bm25.vocab_dict = vocab
        bm25.unique_token_ids_set = set(vocab.values())
        bm25.nonoccurrence_array = None
        return cls(bm25, n_docs)

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

    def _idf(self, df: int) -> float:
        return float(np.log(1 + (self.count - df + 0.5) / (df + 0.5)))

    def known_share(self, query_tokens: list[str]) -> float:
        """Share of the query's IDF mass made of tokens the index has (unknown ones at max IDF)."""
        if self._bm25 is None:
            return 0.0
        vocab, indptr = self._bm25.vocab_dict, self._bm25.scores["indptr"]
        known = total = 0.0
        for token in dict.fromkeys(t for t in query_tokens if t):
            tid = vocab.get(token)
            df = (
                int(indptr[tid + 1] - indptr[tid])
                if tid is not None and tid < len(indptr) - 1
                else 0
            )
            idf = self._idf(df)
            total += idf
            known += idf if df else 0.0
        return known / total if total else 0.0

    def coverage(self, query_tokens: list[str], rows: list[int]) -> dict[int, float]:
        """Share of the query's IDF mass each row contains (1.0 = every query token).

        Tokens the index has never seen count in the total at maximal IDF: a query whose words are
        mostly unknown to the corpus (e.g. English against Chinese articles) gets low coverage, so
        fusion can trust its incidental BM25 matches less.
        """
        if self._bm25 is None or not rows:
            return {}
        vocab, scores = self._bm25.vocab_dict, self._bm25.scores
        indptr, indices = scores["indptr"], scores["indices"]
        wanted = np.asarray(rows)
        idf_total = 0.0
        matched = np.zeros(len(wanted), dtype=np.float64)
        for token in dict.fromkeys(t for t in query_tokens if t):
            tid = vocab.get(token)
            postings = (
                indices[indptr[tid] : indptr[tid + 1]]
                if tid is not None and tid < len(indptr) - 1
                else indices[:0]
            )
            idf = self._idf(len(postings))
            idf_total += idf
            if len(postings):
                matched += idf * np.isin(wanted, postings)
        if idf_total == 0:
            return dict.fromkeys(rows, 0.0)
        return {int(r): float(m / idf_total) for r, m in zip(wanted, matched, strict=True)}

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
        bm25 = _bm25s().BM25.load(str(directory), mmap=mmap)
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
