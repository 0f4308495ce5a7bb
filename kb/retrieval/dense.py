"""Dense retrieval: the query's e5 vector against chunk and title vectors (inner product of
L2-normalised float32 vectors = cosine), with the language direction projected out."""

from __future__ import annotations

import numpy as np

from ..embed import Encoder, project_out
from ..index import LoadedIndex
from .hits import Hit


class DenseRetriever:
    """`Retriever` by cosine: the question encoded on the query side, projected like the stored
    vectors, searched against chunk and title vectors; scores in -1..1."""

    def __init__(self, index: LoadedIndex, encoder: Encoder):
        self.index, self.encoder = index, encoder

    def encode(self, query: str) -> np.ndarray:
        """(dim,) float32 unit query vector, projected like the stored vectors."""
        return project_out(self.encoder.encode_queries([query])[0], self.index.language_direction)

    def search(self, query: str, top_k: int, mask: np.ndarray | None = None) -> list[Hit]:
        """`Retriever.search` by cosine: `search_vector` of the encoded query."""
        return self.search_vector(self.encode(query), top_k, mask)

    def search_vector(
        self, vector: np.ndarray, top_k: int, mask: np.ndarray | None = None
    ) -> list[Hit]:
        """Chunk hits for a (dim,) query vector; a title-vector hit counts for its article's
        first chunk (best cosine kept); `dense_score` = `score`."""
        targets = self.index.vector_targets
        if mask is not None:
            mask = mask[targets]
        hits: dict[int, float] = {}
        # a chunk owns at most two vectors (its own and its article's title vector), so twice
        # top_k rows always hold top_k distinct chunks
        k = top_k * 2 if len(targets) > self.index.chunk_count else top_k
        for row, score in self.index.vectors.search(vector, k, mask):
            hits.setdefault(int(targets[row]), score)
        return [Hit(r, s, dense_score=s) for r, s in list(hits.items())[:top_k]]
