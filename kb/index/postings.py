"""BM25 over several immutable segments with statistics of the whole partition, merged at load.

Each segment stores term-major postings of its own chunks (documents): term frequencies and
document lengths, no precomputed scores, because scores depend on statistics of the whole partition
(number of live documents N, their average length, each term's document frequency) that change
whenever another segment is added or a document is deleted. A version maps every segment document
to its chunk row or to -1 (deleted: a changed or removed article); only live documents count in N,
the average length and document frequencies, so the scores equal those of an index built from the
live chunks alone (tests/index/test_segments.py compares them with a fresh build and bm25s).

Scoring is bm25s's Lucene variant, as `KeywordIndex`: idf = ln(1 + (N - df + 0.5) / (df + 0.5)),
each term's contribution idf * tf / (tf + k1 * (1 - b + b * len / avglen)). The factor after idf
is computed once per posting at load (float32, the live rows' average length), multiplied by the
float32 idf per query and summed over the query's tokens in float64 (a repeated token counts
again), then rounded to float32: within 2e-6 of bm25s, and identical however the rows are split
into segments (CPU per query against bm25s: scripts/bench_bm25_segments.py, docs/BENCHMARKS.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import bm25
from .keyword import DocTerms, holding, masked_top, pd_factorize, word_pattern

VOCAB_FILE = "vocab.txt"
INDPTR_FILE = "indptr.npy"
DOCS_FILE = "docs.npy"
TF_FILE = "tf.npy"
LENGTHS_FILE = "lengths.npy"


@dataclass
class Postings:
    """One segment's postings: term i's documents are docs[indptr[i]:indptr[i + 1]] (ascending,
    int32 segment-local rows) with their term frequencies tf (int32); `lengths` (docs,) int32 is
    each document's token count (a document without tokens holds the empty token once, as bm25s)."""

    vocab: list[str]
    indptr: np.ndarray
    docs: np.ndarray
    tf: np.ndarray
    lengths: np.ndarray

    @classmethod
    def from_terms(cls, terms: DocTerms) -> Postings:
        """Term-major postings of document-major term counts (`DocTerms`).

        Memory (issue 16: this was a 1M-chunk build's peak, 3.4 GB above the stage before, at
        ~42 bytes per (chunk, term) pair): term codes and document rows are int32, and since the
        pairs come document-major, a stable sort of the term codes alone puts them in (term,
        document) order, the order a lexsort of both gives; the peak is about 22 bytes per pair
        (measured with tracemalloc, docs/BENCHMARKS.md "Build memory")."""
        n_docs = len(terms.indptr) - 1
        counts = np.diff(terms.indptr)
        if len(terms.tokens):
            codes, vocab = pd_factorize(terms.tokens)
            codes = codes.astype(np.int32)  # a vocabulary is far below 2**31 terms
        else:
            codes, vocab = np.zeros(0, np.int32), []
        doc = np.repeat(np.arange(n_docs, dtype=np.int32), counts)
        df = np.bincount(codes, minlength=len(vocab))
        order = np.argsort(codes, kind="stable")  # documents stay ascending within a term
        del codes
        lengths = np.zeros(n_docs, dtype=np.int64)
        np.add.at(lengths, doc, terms.tf)
        docs = doc[order]
        del doc
        return cls(
            vocab=list(vocab),
            indptr=np.concatenate([[0], np.cumsum(df)]).astype(np.int64),
            docs=docs,
            tf=terms.tf.astype(np.int32)[order],
            lengths=lengths.astype(np.int32),
        )

    def doc_terms(self, docs: np.ndarray) -> DocTerms:
        """The term counts of segment documents `docs` (int array), in that order (for a merge
        that rewrites them into a new segment)."""
        term = np.repeat(np.arange(len(self.vocab), dtype=np.int64), np.diff(self.indptr))
        position = np.full(len(self.lengths), -1, dtype=np.int64)
        position[np.asarray(docs, dtype=np.int64)] = np.arange(len(docs))
        new_doc = position[self.docs]
        keep = new_doc >= 0
        order = np.lexsort((term[keep], new_doc[keep]))
        kept_doc, kept_term = new_doc[keep][order], term[keep][order]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(kept_doc, minlength=len(docs)))])
        vocab = np.asarray(self.vocab, dtype=object)
        return DocTerms(
            indptr.astype(np.int64), vocab[kept_term], self.tf[keep][order].astype(np.int64)
        )

    def save(self, directory: Path) -> None:
        """Write into `directory` (created): the vocabulary, one token a line (tokens hold no
        whitespace, kb.text), and the arrays as .npy files. Raises OSError (disk full)."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / VOCAB_FILE).write_text("\n".join(self.vocab), encoding="utf-8")
        for name, array in (
            (INDPTR_FILE, self.indptr),
            (DOCS_FILE, self.docs),
            (TF_FILE, self.tf),
            (LENGTHS_FILE, self.lengths),
        ):
            np.save(directory / name, array)

    @classmethod
    def load(cls, directory: Path, mmap: bool = True) -> Postings:
        """What `save` wrote; the arrays memory-mapped when `mmap`. Raises OSError, ValueError."""
        text = (directory / VOCAB_FILE).read_text(encoding="utf-8")
        mode = "r" if mmap else None
        arrays = [  # plain ndarray views of the maps: slicing a np.memmap costs more per call
            np.asarray(np.load(directory / name, mmap_mode=mode))
            for name in (INDPTR_FILE, DOCS_FILE, TF_FILE, LENGTHS_FILE)
        ]
        vocab = text.split("\n") if len(arrays[0]) > 1 else []
        return cls(vocab, *arrays)


def _weights(segment: Postings, avglen: float) -> np.ndarray:
    """(postings,) float32 tf / (tf + k1 * (1 - b + b * len / avglen)) of every posting."""
    norm = bm25.length_norm(segment.lengths, avglen)
    return bm25.saturation(segment.tf.astype(np.float64), norm[segment.docs]).astype(np.float32)


def _dead_df(segment: Postings, rows: np.ndarray, count: int) -> np.ndarray | None:
    """(terms,) int64 postings of each term in deleted documents (row `count`), None if none."""
    dead = rows[segment.docs] == count
    if not dead.any():
        return None
    term = np.repeat(np.arange(len(segment.vocab)), np.diff(segment.indptr))
    return np.bincount(term[dead], minlength=len(segment.vocab))


class SegmentedKeywordIndex:
    """`KeywordIndex`'s interface (top, scores, known_share, coverage, count) over segments.

    `segments`: Postings per segment; `rows`: per segment, (docs,) int64 segment document ->
    chunk row (0..count-1), -1 for a deleted document. Every chunk row is the image of exactly one
    live document. Read-only after construction: one instance serves several threads."""

    def __init__(self, segments: list[Postings], rows: list[np.ndarray], count: int):
        self.count = count
        self._segments = segments
        rows = [np.asarray(r, dtype=np.int64) for r in rows]
        self._vocab = [{t: i for i, t in enumerate(s.vocab)} for s in segments]
        # deleted documents point at a spare row `count`, dropped from the scores: no live mask
        # per query, and a term's document frequency is its postings less those at the spare row
        rows = [np.where(r >= 0, r, count) for r in rows]
        self._rows = rows  # per segment: document -> chunk row, `count` when deleted
        # per posting, its chunk row (int32), unless the segment's documents are chunk rows
        # 0..n-1 in order; per term, its postings in deleted documents
        identity = [len(r) == count and bool(np.array_equal(r, np.arange(count))) for r in rows]
        self._posting_rows = [
            s.docs if same else r[s.docs].astype(np.int32)
            for s, r, same in zip(segments, rows, identity, strict=True)
        ]
        self._dead_df = [_dead_df(s, r, count) for s, r in zip(segments, rows, strict=True)]
        self._home = _homes(rows, count)
        total = sum(
            int(s.lengths[r < count].sum(dtype=np.int64))
            for s, r in zip(segments, rows, strict=True)
        )
        avglen = total / count if count else 1.0
        # per posting, tf / (tf + k1 * (1 - b + b * len / avglen)) as float32, computed once at
        # load (the average length is the live rows'); a query then only multiplies by idf, as
        # bm25s's precomputed impacts do (per-query arithmetic made BM25 2x slower)
        self._weights = [_weights(s, avglen) for s in segments]

    def vocabulary(self) -> set[str]:
        """Every token some live chunk holds (for leak tests and inspection)."""
        return {t for vocab in self._vocab for t in vocab if self._df(t)}

    def words(self, min_chars: int = 4, cjk: bool = False) -> dict[str, int]:
        """`KeywordIndex.words`: Latin-letter tokens of >= `min_chars` letters (or with `cjk`,
        of 2-4 CJK characters) that some live chunk holds -> their document frequency (live
        chunks). One pass over the vocabularies."""
        wanted = re.compile(word_pattern(min_chars, cjk))
        found: dict[str, int] = {}
        for vocab in self._vocab:
            for token in vocab:
                if token not in found and wanted.match(token):
                    df = self._df(token)
                    if df:
                        found[token] = df
        return found

    def _postings(self, token: str) -> tuple[np.ndarray, np.ndarray, int]:
        """(chunk rows, weights, document frequency) of the documents holding `token` over all
        segments; rows of deleted documents are `count` and do not count in the frequency."""
        found, df = [], self._df(token)
        for s, vocab in enumerate(self._vocab):
            term = vocab.get(token)
            if term is None:
                continue
            segment = self._segments[s]
            start, end = segment.indptr[term], segment.indptr[term + 1]
            found.append((self._posting_rows[s][start:end], self._weights[s][start:end]))
        if len(found) == 1:
            return found[0][0], found[0][1], df
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), 0
        return np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found]), df

    def _idf(self, df: int) -> float:
        return float(bm25.idf(self.count, df))

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """(count,) float32 BM25 score of every chunk row, >= 0 (zeros where nothing matches); a
        token repeated in the query counts again. Empty for an index of no chunks."""
        rows, weights = [], []
        for token in query_tokens:
            if not token:
                continue
            found, weight, df = self._postings(token)
            if df:
                rows.append(found)
                weights.append(np.float32(self._idf(df)) * weight)
        if not rows:
            return np.zeros(self.count, dtype=np.float32)
        # one bincount (summing in float64, in query-token order) instead of a scatter-add per
        # token: 2x faster, and the same sums whatever the segments
        total = np.bincount(np.concatenate(rows), np.concatenate(weights), self.count + 1)
        return total[: self.count].astype(np.float32)

    def top(
        self, query_tokens: list[str], n: int, mask: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Best `n` (row, score) with a positive score, best first; `mask` limits the rows."""
        return masked_top(self.scores(query_tokens), n, mask)

    def frequencies(self, tokens: list[str]) -> dict[str, int]:
        """`KeywordIndex.frequencies`: live chunks holding each distinct non-empty token."""
        return {t: self._df(t) for t in dict.fromkeys(t for t in tokens if t)}

    def known_share(self, query_tokens: list[str]) -> float:
        """`KeywordIndex.known_share`: share in 0..1 of the query's IDF mass made of tokens some
        live chunk holds (each distinct token once, unknown ones at maximal IDF)."""
        return bm25.known_share(self.frequencies(query_tokens).values(), self.count)

    def coverage(self, query_tokens: list[str], rows: list[int]) -> dict[int, float]:
        """`KeywordIndex.coverage`: share of the query's IDF mass each row contains. Each row is
        looked up in its own segment's postings by binary search (`holding`), never by scanning
        a term's postings."""
        if not self.count or not rows:
            return {}
        wanted = np.asarray(rows, dtype=np.int64)
        segment_of, doc_of = self._home[0][wanted], self._home[1][wanted]
        here = [np.flatnonzero(segment_of == s) for s in range(len(self._segments))]
        idf_total = 0.0
        matched = np.zeros(len(wanted), dtype=np.float64)
        for token in dict.fromkeys(t for t in query_tokens if t):
            df = self._df(token)
            idf = self._idf(df)
            idf_total += idf
            if not df:
                continue
            for s, vocab in enumerate(self._vocab):
                term = vocab.get(token)
                if term is None or not len(here[s]):
                    continue
                indptr = self._segments[s].indptr
                docs = self._segments[s].docs[indptr[term] : indptr[term + 1]]
                matched[here[s]] += idf * holding(docs, doc_of[here[s]])
        if idf_total == 0:
            return dict.fromkeys(rows, 0.0)
        return {int(r): float(m / idf_total) for r, m in zip(wanted, matched, strict=True)}

    def _df(self, token: str) -> int:
        """Live documents holding `token` over all segments (`_postings`'s count, without
        gathering the postings)."""
        df = 0
        for s, vocab in enumerate(self._vocab):
            term = vocab.get(token)
            if term is not None:
                indptr, dead = self._segments[s].indptr, self._dead_df[s]
                df += int(indptr[term + 1] - indptr[term]) - (
                    0 if dead is None else int(dead[term])
                )
        return df


def _homes(rows: list[np.ndarray], count: int) -> tuple[np.ndarray, np.ndarray]:
    """((count,) int32 segment, (count,) int32 segment document) of each chunk row: the one live
    document it is the image of. 8 bytes a chunk (8 MB at 1M chunks)."""
    segment_of = np.zeros(count, dtype=np.int32)
    doc_of = np.zeros(count, dtype=np.int32)
    for s, r in enumerate(rows):
        live = np.flatnonzero(r < count)
        segment_of[r[live]] = s
        doc_of[r[live]] = live
    return segment_of, doc_of
