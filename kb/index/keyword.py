"""BM25 keyword index over pre-tokenised chunks (bm25s, Lucene scoring), saved beside the vectors."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import bm25
from .bm25 import K1, B

EMPTY_MARKER = "EMPTY"


def word_pattern(min_chars: int = 4, cjk: bool = False) -> str:
    """The regular expression (Python's and PostgreSQL's syntax alike) of the tokens
    `KeywordIndex.words` returns: `min_chars`+ letters a-z, or with `cjk` 2 to 4 CJK unified
    ideographs (U+4E00-U+9FFF)."""
    return "^[\u4e00-\u9fff]{2,4}$" if cjk else f"^[a-z]{{{int(min_chars)},}}$"


def _bm25s():
    """bm25s sets its own logger to DEBUG on import; undo that so the application decides."""
    import logging

    import bm25s

    logging.getLogger("bm25s").setLevel(logging.NOTSET)
    return bm25s


def pd_factorize(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """(code per value, distinct values in first-seen order), hashed in C by pandas."""
    import pandas as pd

    codes, uniques = pd.factorize(values)
    return codes.astype(np.int64, copy=False), list(uniques)


@dataclass
class DocTerms:
    """Term counts per chunk, chunk-major: chunk i's terms are tokens[indptr[i]:indptr[i + 1]]."""

    indptr: np.ndarray  # int64, one more than the number of chunks
    tokens: np.ndarray  # object array of str
    tf: np.ndarray  # int32 counts (int64 in token caches written before 2026-11-30)

    FILE = "doc_terms.npz"

    @classmethod
    def from_flat(cls, flat: np.ndarray, lengths: np.ndarray) -> DocTerms:
        """From every chunk's token sequence laid end to end (`lengths` tokens each)."""
        n_docs = len(lengths)
        if n_docs == 0:
            return cls(np.zeros(1, np.int64), np.zeros(0, object), np.zeros(0, np.int64))
        codes, uniques = pd_factorize(flat)
        doc = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
        pairs, tf = np.unique(doc * max(len(uniques), 1) + codes, return_counts=True)
        doc, code = np.divmod(pairs, max(len(uniques), 1))
        indptr = np.concatenate([[0], np.cumsum(np.bincount(doc, minlength=n_docs))])
        # int32 counts: a 1M-chunk build holds ~88M of them until its last partition is written
        # (issue 16; docs/BENCHMARKS.md "Build memory")
        tokens = np.asarray(uniques, dtype=object)[code]
        return cls(indptr.astype(np.int64), tokens, tf.astype(np.int32))

    def take(self, rows: np.ndarray) -> DocTerms:
        """The chunks at `rows`, in that order."""
        counts = np.diff(self.indptr)[rows]
        entries = ranges(self.indptr[:-1][rows], counts)
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return DocTerms(indptr, self.tokens[entries], self.tf[entries])

    @staticmethod
    def concat(parts: list[DocTerms]) -> DocTerms:
        """The chunks of every part, one part after another."""
        offsets = np.cumsum([0] + [p.indptr[-1] for p in parts[:-1]])
        indptr = np.concatenate(
            [[0]] + [p.indptr[1:] + o for p, o in zip(parts, offsets, strict=True)]
        )
        return DocTerms(
            indptr.astype(np.int64),
            np.concatenate([p.tokens for p in parts]),
            np.concatenate([p.tf for p in parts]),
        )

    def save(self, path: Path) -> None:
        """Write to `path` (.npz): indptr, tf, and each entry's code into one space-joined
        vocabulary string."""
        codes, uniques = pd_factorize(self.tokens)
        # tokens never contain whitespace (kb.text.TOKEN_RE), so one space-joined string holds them
        np.savez(
            path, indptr=self.indptr, codes=codes, tf=self.tf, vocab=np.array(" ".join(uniques))
        )

    @classmethod
    def load(cls, path: Path) -> DocTerms:
        """What `save` wrote (tokens back as an object array of str)."""
        with np.load(path) as data:
            vocab = np.array(str(data["vocab"]).split(" "), dtype=object)
            return cls(data["indptr"], vocab[data["codes"]], data["tf"])


def ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated aranges [s, s + c) for each (s, c), without a Python loop."""
    counts = np.asarray(counts, dtype=np.int64)
    if counts.sum() == 0:
        return np.zeros(0, dtype=np.int64)
    shift = np.asarray(starts, dtype=np.int64) - (np.cumsum(counts) - counts)
    return np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(shift, counts)


class KeywordIndex:
    """Scores every chunk for a token list; the caller picks the top and applies filters.

    BM25 over `count` chunk rows (documents) in bm25s's Lucene variant: idf = ln(1 + (N - df + 0.5)
    / (df + 0.5)), so every score is >= 0 and unbounded above. Query tokens must come from the same
    `TextSettings` as the index (the manifest records them). Read-only after construction, so one
    index can serve several threads."""

    def __init__(self, bm25=None, count: int = 0, terms: DocTerms | None = None):
        self._bm25 = bm25
        self.count = count
        self.terms = terms  # per-chunk term counts, kept so the next build can reuse them

    @classmethod
    def build(cls, token_lists: list[list[str]]) -> KeywordIndex:
        """From each chunk's tokens (a chunk without tokens gets the empty token, as in bm25s)."""
        token_lists = [t or [""] for t in token_lists]
        lengths = np.fromiter(map(len, token_lists), np.int64, len(token_lists))
        flat = np.fromiter(itertools.chain.from_iterable(token_lists), dtype=object)
        return cls.from_terms(DocTerms.from_flat(flat, lengths))

    @classmethod
    def from_terms(cls, terms: DocTerms) -> KeywordIndex:
        """Lucene BM25 (k1 = 1.2, b = 0.75) in bm25s's own format, computed with array operations.

        bm25s.index() counts terms one document at a time in Python; that was a third of a
        10k-article rebuild. Same scores (tests/index/test_vectors.py compares them), and an index
        rebuilt from per-chunk term counts never touches the unchanged chunks' text again."""
        n_docs = len(terms.indptr) - 1
        if n_docs == 0:
            return cls(None, 0)
        model = _bm25s().BM25(method="lucene", k1=K1, b=B)
        codes, uniques = pd_factorize(terms.tokens)
        codes = codes.astype(np.int32)  # a vocabulary is far below 2**31 terms
        doc = np.repeat(np.arange(n_docs, dtype=np.int32), np.diff(terms.indptr))
        # per document, 0 for one without terms (reduceat would give its neighbour's count)
        lengths = np.bincount(doc, weights=terms.tf, minlength=n_docs)
        # term-major, documents ascending inside each term: the pairs come document-major, so a
        # stable sort of the codes alone gives a lexsort's order at half the memory (as
        # `Postings.from_terms`, the 1M build's former peak; docs/BENCHMARKS.md "Build memory")
        order = np.argsort(codes, kind="stable")
        term, doc, tf = codes[order], doc[order], terms.tf[order]
        df = np.bincount(term, minlength=len(uniques))
        idf = bm25.idf(n_docs, df)
        norm = bm25.length_norm(lengths, lengths.mean())
        vocab = {token: i for i, token in enumerate(uniques)}
        if "" not in vocab:
            vocab[""] = len(vocab)  # as bm25s does: the empty token exists, with no postings
        model.scores = {
            "data": bm25.impact(idf[term], tf, norm[doc]).astype(np.float32),
            "indices": doc.astype(np.int32),
            "indptr": np.concatenate([[0], np.cumsum(df)]).astype(np.int64),
            "num_docs": n_docs,
        }
        model.vocab_dict = vocab
        model.unique_token_ids_set = set(vocab.values())
        model.nonoccurrence_array = None
        return cls(model, n_docs, terms)

    def vocabulary(self) -> set[str]:
        """Every token some chunk holds (for leak tests and inspection)."""
        return set(self._bm25.vocab_dict) if self._bm25 is not None else set()

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """(count,) float32 BM25 score of every chunk row, >= 0 (zeros where nothing matches); a
        token repeated in the query counts again. Empty for an index of no chunks."""
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
        return masked_top(self.scores(query_tokens), n, mask)

    def _idf(self, df: int) -> float:
        return float(bm25.idf(self.count, df))

    def frequencies(self, tokens: list[str]) -> dict[str, int]:
        """Document frequency (chunks holding it, 0 if none) of each distinct non-empty token."""
        if self._bm25 is None:
            return {t: 0 for t in tokens if t}
        vocab, indptr = self._bm25.vocab_dict, self._bm25.scores["indptr"]
        found = {}
        for token in dict.fromkeys(t for t in tokens if t):
            tid = vocab.get(token)
            ok = tid is not None and tid < len(indptr) - 1
            found[token] = int(indptr[tid + 1] - indptr[tid]) if ok else 0
        return found

    def known_share(self, query_tokens: list[str]) -> float:
        """Share in 0..1 of the query's IDF mass made of tokens the index has (each distinct token
        once; unknown ones at maximal IDF); 0.0 for an empty index or query."""
        if self._bm25 is None:
            return 0.0
        return bm25.known_share(self.frequencies(query_tokens).values(), self.count)

    def words(self, min_chars: int = 4, cjk: bool = False) -> dict[str, int]:
        """Latin-letter tokens of at least `min_chars` letters (a-z only: no digits, no trigram
        padding), or with `cjk` the tokens of 2-4 CJK characters (jieba words and character
        bigrams), -> their document frequency (chunks containing them, >= 1); `word_pattern`.
        One pass over the vocabulary (about 1 s at a million chunks): callers compute it once
        per loaded index."""
        if self._bm25 is None:
            return {}
        indptr = self._bm25.scores["indptr"]
        wanted = re.compile(word_pattern(min_chars, cjk))
        return {
            token: int(indptr[tid + 1] - indptr[tid])
            for token, tid in self._bm25.vocab_dict.items()
            if wanted.match(token) and tid < len(indptr) - 1 and indptr[tid + 1] > indptr[tid]
        }

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
            if len(postings):  # bm25s's own indexes (before from_terms) may not be ascending
                matched += idf * np.isin(wanted, postings, kind="table")
        if idf_total == 0:
            return dict.fromkeys(rows, 0.0)
        return {int(r): float(m / idf_total) for r, m in zip(wanted, matched, strict=True)}

    def save(self, directory: Path) -> None:
        """Write into `directory` (created): bm25s's files, or an EMPTY marker for an index of no
        chunks, and the per-chunk term counts (doc_terms.npz) when this index holds them."""
        directory.mkdir(parents=True, exist_ok=True)
        if self._bm25 is None:
            (directory / EMPTY_MARKER).write_text("no chunks\n")
        else:
            self._bm25.save(str(directory))
        if self.terms is not None:
            self.terms.save(directory / DocTerms.FILE)

    @classmethod
    def load(cls, directory: Path, mmap: bool = False) -> KeywordIndex:
        """What `save` wrote, without the term counts (search does not need them; a build reads
        them with `DocTerms.load`). `mmap` memory-maps bm25s's arrays."""
        if (directory / EMPTY_MARKER).exists():
            return cls(None, 0)
        bm25 = _bm25s().BM25.load(str(directory), mmap=mmap)
        return cls(bm25, int(bm25.scores["num_docs"]))


def masked_top(scores: np.ndarray, n: int, mask: np.ndarray | None) -> list[tuple[int, float]]:
    """`top_positive` of `scores` with the rows outside `mask` ((count,) bool, None: all) at 0;
    [] for an empty score array (an index of no chunks)."""
    if scores.size == 0:
        return []
    if mask is not None:
        scores = np.where(mask, scores, 0.0)
    return top_positive(scores, n)


def top_positive(scores: np.ndarray, n: int) -> list[tuple[int, float]]:
    """Rows of the `n` highest positive scores, best first (ties by row for determinism)."""
    positive = np.flatnonzero(scores > 0)
    if positive.size == 0:
        return []
    if positive.size > n:
        part = np.argpartition(-scores[positive], n - 1)[:n]
        positive = positive[part]
    positive = positive[np.lexsort((positive, -scores[positive]))]
    return list(zip(positive.tolist(), scores[positive].tolist(), strict=True))


def holding(postings: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """(len(wanted),) bool: which of `wanted` (int rows) are in `postings`, a term's rows in
    ascending order (as `KeywordIndex.from_terms` and `Postings` write them).

    A binary search per wanted row, O(k log n): `np.isin` sorts both arrays per call, O(n log n)
    in the term's postings, and a character unigram's postings hold a large share of the chunks
    (at 100,000 chunks the coverage of 100 BM25 hits took 4.3 ms with `np.isin`, 3x the BM25
    top-N it follows; docs/BENCHMARKS.md "A search's index calls and the PostgreSQL build's
    memory")."""
    if not len(postings) or not len(wanted):
        return np.zeros(len(wanted), dtype=bool)
    at = np.searchsorted(postings, wanted)
    return postings[np.minimum(at, len(postings) - 1)] == wanted
