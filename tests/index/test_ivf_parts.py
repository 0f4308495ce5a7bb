"""FAISS built from parts (issue 16): the same index as from the concatenated matrix, and no
in-memory copy of memory-mapped parts."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from kb.index.vectors import FaissVectorIndex


def unit(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((40, dim))
    v = centers[rng.integers(0, 40, n)] + 0.3 * rng.standard_normal((n, dim))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def mapped(tmp_path, name: str, array: np.ndarray) -> np.ndarray:
    path = tmp_path / f"{name}.npy"
    np.save(path, array)
    return np.load(path, mmap_mode="r")


@pytest.mark.parametrize("add_rows", [1000, 4096])
@pytest.mark.parametrize("sizes", [(9000, 3500), (2000, 30, 9000)])
def test_parts_give_the_index_of_the_concatenation(tmp_path, monkeypatch, add_rows, sizes):
    parts = [unit(n, 16, seed) for seed, n in enumerate(sizes)]
    whole = FaissVectorIndex.build(np.concatenate(parts), 16)
    monkeypatch.setattr("kb.index.ivfbuild.ADD_ROWS", add_rows)
    on_disk = [mapped(tmp_path, str(i), p) for i, p in enumerate(parts)]
    built = FaissVectorIndex.build_parts(on_disk, 16)
    assert built.kind == whole.kind == "IndexIVFFlat"
    assert built.faiss_index.nprobe == whole.faiss_index.nprobe
    assert np.array_equal(built.reconstruct_all(), whole.reconstruct_all())
    for q in unit(30, 16, 99):
        assert built.search(q, 10) == whole.search(q, 10)


def test_small_parts_make_an_exact_index(tmp_path):
    parts = [unit(300, 8, 1), unit(0, 8, 2), unit(200, 8, 3)]
    built = FaissVectorIndex.build_parts(
        [mapped(tmp_path, str(i), p) for i, p in enumerate(parts)], 8
    )
    assert built.kind == "IndexFlatIP" and built.count == 500
    assert np.array_equal(built.reconstruct_all(), np.concatenate(parts))


def test_memory_mapped_parts_are_not_copied(tmp_path, monkeypatch):
    monkeypatch.setattr("kb.index.ivfbuild.ADD_ROWS", 2048)
    parts = [mapped(tmp_path, str(i), unit(80_000, 16, i)) for i in range(2)]
    size = sum(p.nbytes for p in parts)
    import faiss  # noqa: F401 (its import allocates a few MB that are not the build's)

    tracemalloc.start()  # numpy's allocations are traced; FAISS's own copy (C++) is not
    try:
        FaissVectorIndex.build_parts(parts, 16)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the training sample (32,768 of 160,000 rows: 0.2x) and its gathering, a block, probes;
    # a concatenated copy alone would be 1x
    assert peak < 0.6 * size


def _lists(index) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each inverted list's (ids, codes), in list order."""
    import faiss

    invlists = faiss.extract_index_ivf(index).invlists
    out = []
    for number in range(index.nlist):
        size = invlists.list_size(number)
        ids = faiss.rev_swig_ptr(invlists.get_ids(number), size).copy()
        codes = faiss.rev_swig_ptr(invlists.get_codes(number), size * invlists.code_size).copy()
        out.append((ids, codes))
    return out


@pytest.mark.parametrize("add_rows", [700, 4096, 65_536])
def test_presized_lists_hold_what_faiss_add_puts_in_them(tmp_path, monkeypatch, add_rows):
    import faiss

    from kb.index.ivfbuild import add_presized

    monkeypatch.setattr("kb.index.ivfbuild.ADD_ROWS", add_rows)
    parts = [unit(5000, 16, 7), unit(1, 16, 8), unit(3200, 16, 9)]

    def trained():
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(16), 16, 64, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = 3
        index.train(parts[0][:2000])
        return index

    by_faiss, presized = trained(), trained()
    by_faiss.add(np.concatenate(parts))
    add_presized(presized, [mapped(tmp_path, str(i), p) for i, p in enumerate(parts)])
    assert presized.ntotal == by_faiss.ntotal == 8201
    expected, got = _lists(by_faiss), _lists(presized)
    assert sum(len(ids) for ids, _ in got) == 8201
    for (want_ids, want_codes), (ids, codes) in zip(expected, got, strict=True):
        assert np.array_equal(ids, want_ids) and np.array_equal(codes, want_codes)
    presized.make_direct_map()
    rows = np.array([0, 4999, 5000, 8200])
    assert np.array_equal(presized.reconstruct_batch(rows), np.concatenate(parts)[rows])


def test_presized_add_refuses_an_index_it_cannot_fill():
    import faiss

    from kb.index.ivfbuild import add_presized

    untrained = faiss.IndexIVFFlat(faiss.IndexFlatIP(8), 8, 4, faiss.METRIC_INNER_PRODUCT)
    with pytest.raises(ValueError, match="empty, trained"):
        add_presized(untrained, [unit(10, 8, 1)])
    with pytest.raises(ValueError, match="empty, trained"):
        add_presized(faiss.IndexFlatIP(8), [unit(10, 8, 1)])
