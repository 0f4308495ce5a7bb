"""Dense retrieval: the query's e5 vector against chunk and title vectors (inner product of
L2-normalised float32 vectors = cosine), with the language direction projected out.

Hub correction (issue 17): some vectors sit near the centre of the whole collection and so come
close to almost any query (hubs: Radovanović et al. 2010). Ranking by the centred inner product
<q - mu, x - mu> (Suzuki et al. 2013, "Centering similarity measures to reduce hubs"), where mu is
the mean stored vector, is for one query the same order as cos(q, x) - <mu, x>: a vector is
penalised by how central it is. `hub_penalty` scales that term (0: plain cosine, 1: full
centring); it is applied by searching with q - hub_penalty * mu, so the search costs the same.
The mean is read once, when the retriever is made (a database computes it itself: `mean`), and
the cosine of each hit is given back with the search (`search_centred`), so a query costs no
extra read of stored vectors. Default 0.25 (docs/BENCHMARKS.md "Hub correction on by default").

Per language (`by_language`): in a help center written in two languages the collection's mean is
mostly the larger language's, so the smaller language's vectors, which sit together, are all
close to any query in that language (an English query's top places went to the few English
articles). Each vector is then penalised by its inner product with its own language's mean
(Artetxe et al. 2018 centre each language's embedding space on its own mean): the search runs
with the collection's mean as above and its rows are scored again, each less hub_penalty times
its inner product with (its language's mean - the collection's mean), read per vector at load
(FAISS) or computed by the server for the returned rows (PostgreSQL). A language with fewer
than MIN_LANGUAGE_VECTORS stored vectors keeps the collection's mean (a mean of a handful of
vectors is each one's own direction). docs/BENCHMARKS.md "Hub correction per language".
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from itertools import islice

import numpy as np

from ..embed import Encoder, project_out
from ..index import LoadedIndex
from .hits import Hit

MEAN_BATCH = 8192  # vectors read back at a time when the mean is computed
# fewer stored vectors than this (about 4 articles of the sample) and a language keeps the
# collection's mean; the sample's English has 25
MIN_LANGUAGE_VECTORS = 20


def read_back(vectors, rows: np.ndarray) -> np.ndarray:
    """(len(rows), dim) float32 stored vectors of a VectorIndex: FAISS reconstructs them, the
    exact NumPy index holds them."""
    if hasattr(vectors, "reconstruct"):
        return vectors.reconstruct(rows)
    return np.asarray(vectors.vectors)[rows]


def search_centred(
    vectors,
    vector: np.ndarray,
    shift: np.ndarray,
    k: int,
    mask: np.ndarray | None,
    offsets: np.ndarray | None = None,
    probes: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(rows int64, scores float64, cosines float64, probed (n, m) float64) of the `k` stored
    vectors best by the inner product with `vector - shift` ((dim,) float32 each), best first;
    `cosines` are the plain inner products with `vector`, `probed` the products with each of the
    (m, dim) `probes` (m = 0 without). A vector index that can return them in one search does
    (`search_centred`: one round trip to PostgreSQL); else each hit's `offsets` ((count,), every
    stored vector's inner product with `shift`) is added back, or without them the hits' stored
    vectors are read back and multiplied (0.15 ms a query on the sample, twenty-third session)."""
    if hasattr(vectors, "search_centred"):
        return vectors.search_centred(vector, shift, k, mask, probes)
    width = 0 if probes is None else len(probes)
    rows, scores = vectors.search_arrays(vector - shift, k, mask)
    if not len(rows):
        return rows, scores, scores, np.zeros((0, width))
    stored = read_back(vectors, rows) if offsets is None or width else None
    added = offsets[rows] if offsets is not None else stored @ shift
    probed = stored @ np.asarray(probes).T if width else np.zeros((len(rows), 0))
    return rows, scores, scores + added, probed.astype(np.float64)


def vector_languages(index) -> np.ndarray | None:
    """(vectors.count,) int32 language code of each stored vector's article (its chunk's or
    title's), or None when the articles have one language or the index has no catalog."""
    articles = getattr(index, "articles", None)
    if articles is None or len(articles) == 0:
        return None
    values, codes = articles.codes("language")
    if len(values) < 2:
        return None
    targets = np.asarray(index.vector_targets)
    return codes[np.asarray(index.chunk_article)[targets]]


def _blocks(count: int):
    """Row ranges ((n,) int64) of at most MEAN_BATCH rows covering 0..count-1."""
    for start in range(0, count, MEAN_BATCH):
        yield np.arange(start, min(count, start + MEAN_BATCH))


class DenseRetriever:
    """`Retriever` by cosine: the question encoded on the query side, projected like the stored
    vectors, searched against chunk and title vectors. `dense_score` is the cosine (-1..1);
    `score` is the cosine less `hub_penalty` times the vector's inner product with the mean
    stored vector, or with its language's mean when `by_language` and the articles have more
    than one language (equal to the cosine when hub_penalty is 0)."""

    def __init__(
        self,
        index: LoadedIndex,
        encoder: Encoder,
        hub_penalty: float = 0.0,
        by_language: bool = False,
    ):
        self.index, self.encoder, self.hub_penalty = index, encoder, hub_penalty
        self._mean: np.ndarray | None = None
        # (count,) float64: each stored vector's inner product with hub_penalty * mean, made with
        # the mean where the vectors are read here (not on a database, which returns the cosine)
        self._offsets: np.ndarray | None = None
        # per language: (count,) int32 codes, (m, dim) float32 hub_penalty * (the language's
        # mean - the collection's mean) (None: no language differs), and where the vectors are
        # read here each one's (count,) float64 inner product with its language's row
        self.languages = vector_languages(index) if by_language and hub_penalty else None
        self._probes: np.ndarray | None = None
        self._own: np.ndarray | None = None
        self._gain = 0.0  # the most any vector's score rises from its language's mean
        self._lock = threading.Lock()
        self._terms: dict[str, np.ndarray] = {}  # term_vectors: a synonyms list's terms
        if hub_penalty:  # read now, with the index, not by the first customer's query
            self.mean_vector()

    def encode(self, query: str) -> np.ndarray:
        """(dim,) float32 unit query vector, projected like the stored vectors."""
        return project_out(self.encoder.encode_queries([query])[0], self.index.language_direction)

    def encode_bridged(self, query: str, bridge: Sequence[str], weight: float = 1.0) -> np.ndarray:
        """(dim,) float32 unit vector: `encode(query)` plus `weight` (>= 0) times the mean of the
        `bridge` terms' vectors (`term_vectors`), normalised; `encode(query)` itself when
        `bridge` is empty.

        A short English query's bridge into a Chinese help center (`Searcher.short_english`),
        weighed by the share of the query's words its rules cover (`Searcher.rewrite`; 1 for a
        one-word query with a rule: the query and its Chinese terms weigh the same). Mixing
        vectors encoded once per term costs a search no more encoding than the query alone;
        encoding the query with the terms appended scored about the same (sample 0.950 / 0.949,
        44 fresh short English queries 0.744 against 0.752) and was 1.29-1.34x the encode floor
        against 1.27-1.29x (docs/BENCHMARKS.md "Short English queries")."""
        vector = self.encode(query)
        if not bridge:
            return vector
        mixed = vector + weight * self.term_vectors(bridge).mean(axis=0)
        return (mixed / max(float(np.linalg.norm(mixed)), 1e-12)).astype(np.float32)

    def term_vectors(self, terms: Sequence[str]) -> np.ndarray:
        """(len(terms), dim) float32 unit query-side vectors of `terms`, projected like `encode`.
        Terms not asked for before are encoded together in one call and kept for the life of
        this retriever (one index version): they come from the version's synonyms list, a
        finite set, so the cache is bounded by its size."""
        missing = [t for t in dict.fromkeys(terms) if t not in self._terms]
        if missing:
            encoded = project_out(
                self.encoder.encode_queries(missing), self.index.language_direction
            )
            self._terms.update(zip(missing, np.asarray(encoded, dtype=np.float32), strict=True))
        return np.stack([self._terms[t] for t in terms])

    def mean_vector(self) -> np.ndarray:
        """(dim,) float32 mean of every stored vector, computed once and kept: by the vector index
        itself when it can (`mean`: PostgreSQL's avg over the table, on the server), else read back
        MEAN_BATCH at a time; zeros for an empty index. With a hub penalty on an index searched
        here (FAISS), also each stored vector's part of the penalty, in a second pass: 8 bytes a
        vector (16 with the per-language correction), so a query's cosines cost an index
        lookup, not a read of its hits' vectors."""
        with self._lock:
            vectors = self.index.vectors
            if self._mean is None:
                self._mean, sums = self._means(vectors)
                if self.languages is not None:
                    self._probes = self._language_probes(vectors, sums)
                if self._probes is not None and hasattr(vectors, "least"):  # on the server
                    self._gain = max(0.0, -float(np.min(vectors.least(self._probes))))
            if (
                self.hub_penalty
                and self._offsets is None
                and not hasattr(vectors, "search_centred")
            ):
                shift = self.hub_penalty * self._mean  # each stored vector's part of the penalty
                offsets = np.zeros(vectors.count, np.float64)
                own = None if self._probes is None else np.zeros(vectors.count, np.float64)
                for rows in _blocks(vectors.count):
                    block = read_back(vectors, rows)
                    offsets[rows] = block @ shift
                    if own is not None:
                        languages = self._probes[self.languages[rows]]
                        own[rows] = np.einsum("ij,ij->i", block, languages)
                self._offsets, self._own = offsets, own
                if own is not None:
                    self._gain = max(0.0, -float(own.min(initial=0.0)))
            return self._mean

    def _means(self, vectors) -> tuple[np.ndarray, np.ndarray | None]:
        """The collection's (dim,) float32 mean, and where the vectors are read here (not
        `mean` on the server) each language's (m, dim) float64 sum of vectors (None without
        languages)."""
        if hasattr(vectors, "mean"):
            return np.asarray(vectors.mean(), dtype=np.float32), None
        total = np.zeros(self.encoder.dim, np.float64)
        sums = None
        if self.languages is not None:
            sums = np.zeros((int(self.languages.max()) + 1, self.encoder.dim), np.float64)
        for rows in _blocks(vectors.count):
            block = read_back(vectors, rows).astype(np.float64)
            total += block.sum(axis=0)
            if sums is not None:  # one masked sum per language (np.add.at is slow on rows)
                codes = self.languages[rows]
                for code in range(len(sums)):
                    sums[code] += block[codes == code].sum(axis=0)
        return (total / max(vectors.count, 1)).astype(np.float32), sums

    def _language_probes(self, vectors, sums: np.ndarray | None) -> np.ndarray | None:
        """(m, dim) float32 hub_penalty * (each language's mean - the collection's mean), a zero
        row for a language with fewer than MIN_LANGUAGE_VECTORS vectors; None when every row is
        zero. Without `sums` the server averages each language but the largest, whose mean
        follows from the collection's."""
        counts = np.bincount(self.languages)
        mean = self._mean.astype(np.float64)
        if sums is None:
            sums = np.zeros((len(counts), mean.size), np.float64)
            largest = int(np.argmax(counts))
            for code in np.flatnonzero(counts):
                if code != largest:
                    rows = np.flatnonzero(self.languages == code)
                    sums[code] = counts[code] * vectors.mean(rows).astype(np.float64)
            sums[largest] = mean * counts.sum() - sums.sum(axis=0)
        means = sums / np.maximum(counts, 1)[:, None]
        probes = self.hub_penalty * (means - mean)
        probes[counts < MIN_LANGUAGE_VECTORS] = 0.0
        return probes.astype(np.float32) if probes.any() else None

    def _by_language(self, vector, shift, k: int, mask) -> tuple[np.ndarray, ...]:
        """(rows, scores, cosines) of the `k` best rows by the per-language score, best first:
        the rows of the search with the collection's mean, scored again. A row left out of that
        search scores at most the last one's score there plus `_gain` (the most any vector
        gains from its language's mean), so while the k-th score again is below that bound the
        search is repeated with twice the rows: the result is that of scoring every row the
        vector index searches (every row of a flat index; of an IVF index, its probed lists). It starts
        with 2k rows: from k, nearly every query searched twice (the sample's English queries)."""
        # twice the rows at first: some of them fall below the last one when scored again
        vectors, wanted, k = self.index.vectors, k, k * 2
        server = self._probes if self._own is None else None
        while True:
            rows, first, cosines, probed = search_centred(
                vectors, vector, shift, k, mask, self._offsets, server
            )
            if self._own is not None:
                own = self._own[rows]
            else:
                own = probed[np.arange(len(rows)), self.languages[rows]]
            scores = first - own
            order = np.argsort(-scores, kind="stable")[:wanted]
            if len(rows) < k or k >= vectors.count or scores[order[-1]] >= first[-1] + self._gain:
                return rows[order], scores[order], cosines[order]
            k *= 2

    def search(self, query: str, top_k: int, mask: np.ndarray | None = None) -> list[Hit]:
        """`Retriever.search` by cosine: `search_vector` of the encoded query."""
        return self.search_vector(self.encode(query), top_k, mask)

    def search_vector(
        self, vector: np.ndarray, top_k: int, mask: np.ndarray | None = None
    ) -> list[Hit]:
        """Chunk hits for a (dim,) query vector, best hub-corrected score first; a title-vector
        hit counts for its article's first chunk (best score and best cosine kept)."""
        targets = self.index.vector_targets
        if mask is not None:
            mask = mask[targets]
        # a chunk owns at most two vectors (its own and its article's title vector), so twice
        # top_k rows always hold top_k distinct chunks
        k = top_k * 2 if len(targets) > self.index.chunk_count else top_k
        shift = self.hub_penalty * self.mean_vector() if self.hub_penalty else None
        if shift is None:
            rows, scores = self.index.vectors.search_arrays(vector, k, mask)
            cosines = scores
        elif self._probes is None:  # dense_score stays the cosine
            rows, scores, cosines, _ = search_centred(
                self.index.vectors, vector, shift, k, mask, self._offsets
            )
        else:
            rows, scores, cosines = self._by_language(vector, shift, k, mask)
        if not len(rows):
            return []
        # one fancy-index read of the (memory-mapped) targets, not one per hit. `rows` is best
        # first, so a chunk's first row holds its best corrected score; a dict in that order
        # (not np.unique: 0.1 ms a query at 300 vectors, twentieth session) keeps its best cosine
        best: dict[int, list[float]] = {}
        for chunk, score, cosine in zip(
            targets[rows].tolist(), scores.tolist(), cosines.tolist(), strict=True
        ):
            seen = best.get(chunk)
            if seen is None:
                best[chunk] = [score, cosine]
            elif cosine > seen[1]:
                seen[1] = cosine
        return [Hit(c, s, None, cos) for c, (s, cos) in islice(best.items(), top_k)]
