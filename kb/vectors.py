"""Vector indexes: FAISS for the product, an exact NumPy one as the reference in tests.

Both hold L2-normalised float32 vectors and score by inner product (= cosine). FAISS uses an exact
flat index up to `HNSW_THRESHOLD` chunks and HNSW above it, where exact search stops being fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

HNSW_THRESHOLD = 200_000
FILE_NAME = "vectors.faiss"


class VectorIndex(Protocol):
    count: int
    dim: int

    def search(
        self, query: np.ndarray, k: int, mask: np.ndarray | None = None
    ) -> list[tuple[int, float]]: ...


class ExactVectorIndex:
    """Brute-force dot product: the definition of the right answer."""

    def __init__(self, vectors: np.ndarray):
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.count, self.dim = self.vectors.shape

    def search(self, query, k, mask=None):
        if self.count == 0 or k <= 0:
            return []
        scores = self.vectors @ np.asarray(query, dtype=np.float32).reshape(-1)
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        k = min(k, self.count)
        part = np.argpartition(-scores, k - 1)[:k]
        order = part[np.lexsort((part, -scores[part]))]
        return [(int(i), float(scores[i])) for i in order if np.isfinite(scores[i])]


class FaissVectorIndex:
    def __init__(self, index, dim: int):
        self._index = index
        self.dim = dim
        self.count = int(index.ntotal)

    @property
    def kind(self) -> str:
        return type(self._index).__name__

    @classmethod
    def build(
        cls, vectors: np.ndarray, dim: int, hnsw_threshold: int = HNSW_THRESHOLD
    ) -> FaissVectorIndex:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dim)
        if len(vectors) > hnsw_threshold:
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
            index.hnsw.efSearch = 128
        else:
            index = faiss.IndexFlatIP(dim)
        if len(vectors):
            index.add(vectors)
        return cls(index, dim)

    def search(self, query, k, mask=None):
        import faiss

        if self.count == 0 or k <= 0:
            return []
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        params = None
        if mask is not None:
            allowed = np.flatnonzero(mask).astype(np.int64)
            if allowed.size == 0:
                return []
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
        k = min(k, self.count)
        scores, ids = self._index.search(query, k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def reconstruct_all(self) -> np.ndarray:
        """All stored vectors (flat and HNSW-flat both keep them), for related-article lookups."""
        if self.count == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._index.reconstruct_n(0, self.count)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> FaissVectorIndex:
        import faiss

        index = faiss.read_index(str(path))
        return cls(index, index.d)
