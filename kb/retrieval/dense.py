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
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows int64, scores float64, cosines float64) of the `k` stored vectors best by the inner
    product with `vector - shift` ((dim,) float32 each), best first; `cosines` are the plain
    inner products with `vector`. A vector index that can return both in one search does
    (`search_centred`: one round trip to PostgreSQL); else each hit's `offsets` ((count,), every
    stored vector's inner product with `shift`) is added back, or without them the hits' stored
    vectors are read back and multiplied (0.15 ms a query on the sample, twenty-third session)."""
    if hasattr(vectors, "search_centred"):
        return vectors.search_centred(vector, shift, k, mask)
    rows, scores = vectors.search_arrays(vector - shift, k, mask)
    if not len(rows):
        return rows, scores, scores
    added = offsets[rows] if offsets is not None else read_back(vectors, rows) @ shift
    return rows, scores, scores + added


def _blocks(count: int):
    """Row ranges ((n,) int64) of at most MEAN_BATCH rows covering 0..count-1."""
    for start in range(0, count, MEAN_BATCH):
        yield np.arange(start, min(count, start + MEAN_BATCH))


class DenseRetriever:
    """`Retriever` by cosine: the question encoded on the query side, projected like the stored
    vectors, searched against chunk and title vectors. `dense_score` is the cosine (-1..1);
    `score` is the cosine less `hub_penalty` times the vector's inner product with the mean
    stored vector (equal to the cosine when hub_penalty is 0)."""

    def __init__(self, index: LoadedIndex, encoder: Encoder, hub_penalty: float = 0.0):
        self.index, self.encoder, self.hub_penalty = index, encoder, hub_penalty
        self._mean: np.ndarray | None = None
        # (count,) float64: each stored vector's inner product with hub_penalty * mean, made with
        # the mean where the vectors are read here (not on a database, which returns the cosine)
        self._offsets: np.ndarray | None = None
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
        vector, so a query's cosines cost an index lookup, not a read of its hits' vectors."""
        with self._lock:
            vectors = self.index.vectors
            if self._mean is None and hasattr(vectors, "mean"):
                self._mean = np.asarray(vectors.mean(), dtype=np.float32)
            if self._mean is None:
                total = np.zeros(self.encoder.dim, np.float64)
                for rows in _blocks(vectors.count):
                    total += read_back(vectors, rows).sum(axis=0, dtype=np.float64)
                self._mean = (total / max(vectors.count, 1)).astype(np.float32)
            if (
                self.hub_penalty
                and self._offsets is None
                and not hasattr(vectors, "search_centred")
            ):
                shift = self.hub_penalty * self._mean  # each stored vector's part of the penalty
                self._offsets = np.zeros(vectors.count, np.float64)
                for rows in _blocks(vectors.count):
                    self._offsets[rows] = read_back(vectors, rows) @ shift
            return self._mean

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
        else:  # dense_score stays the cosine
            rows, scores, cosines = search_centred(
                self.index.vectors, vector, shift, k, mask, self._offsets
            )
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
