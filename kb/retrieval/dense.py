"""Dense retrieval: the query's e5 vector against chunk and title vectors (inner product of
L2-normalised float32 vectors = cosine), with the language direction projected out.

Hub correction (issue 17): some vectors sit near the centre of the whole collection and so come
close to almost any query (hubs: Radovanović et al. 2010). Ranking by the centred inner product
<q - mu, x - mu> (Suzuki et al. 2013, "Centering similarity measures to reduce hubs"), where mu is
the mean stored vector, is for one query the same order as cos(q, x) - <mu, x>: a vector is
penalised by how central it is. `hub_penalty` scales that term (0: plain cosine, 1: full
centring); it is applied by searching with q - hub_penalty * mu, so the search costs the same.
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


class DenseRetriever:
    """`Retriever` by cosine: the question encoded on the query side, projected like the stored
    vectors, searched against chunk and title vectors. `dense_score` is the cosine (-1..1);
    `score` is the cosine less `hub_penalty` times the vector's inner product with the mean
    stored vector (equal to the cosine when hub_penalty is 0)."""

    def __init__(self, index: LoadedIndex, encoder: Encoder, hub_penalty: float = 0.0):
        self.index, self.encoder, self.hub_penalty = index, encoder, hub_penalty
        self._mean: np.ndarray | None = None
        self._lock = threading.Lock()
        self._terms: dict[str, np.ndarray] = {}  # term_vectors: a synonyms list's terms

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
        """(dim,) float32 mean of every stored vector, read back once (MEAN_BATCH at a time) on
        first use and kept; zeros for an empty index."""
        with self._lock:
            if self._mean is None:
                vectors, total = self.index.vectors, np.zeros(self.encoder.dim, np.float64)
                count = vectors.count
                for start in range(0, count, MEAN_BATCH):
                    rows = np.arange(start, min(count, start + MEAN_BATCH))
                    total += read_back(vectors, rows).sum(axis=0, dtype=np.float64)
                self._mean = (total / max(count, 1)).astype(np.float32)
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
        query = vector if shift is None else vector - shift
        rows, scores = self.index.vectors.search_arrays(query, k, mask)
        if not len(rows):
            return []
        cosines = scores
        if shift is not None:  # add back the penalty: dense_score stays the cosine
            cosines = scores + read_back(self.index.vectors, rows) @ shift
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
