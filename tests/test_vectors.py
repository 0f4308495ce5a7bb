"""FAISS search equals brute force; BM25 index basics."""

from __future__ import annotations

import numpy as np
import pytest

from kb.keyword import KeywordIndex, top_positive
from kb.vectors import ExactVectorIndex, FaissVectorIndex


def unit_vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_faiss_flat_equals_brute_force(tmp_path):
    vectors = unit_vectors(500, 32)
    queries = unit_vectors(20, 32, seed=1)
    faiss_index = FaissVectorIndex.build(vectors, 32)
    exact = ExactVectorIndex(vectors)
    for q in queries:
        expected = np.argsort(-(vectors @ q))[:10]
        got = faiss_index.search(q, 10)
        assert [i for i, _ in got] == expected.tolist()
        assert [i for i, _ in exact.search(q, 10)] == expected.tolist()
        assert np.allclose([s for _, s in got], (vectors @ q)[expected], atol=1e-5)
    faiss_index.save(tmp_path / "v.faiss")
    loaded = FaissVectorIndex.load(tmp_path / "v.faiss")
    assert loaded.search(queries[0], 5) == faiss_index.search(queries[0], 5)
    assert np.allclose(loaded.reconstruct_all(), vectors)


def test_faiss_mask_matches_brute_force_on_allowed_rows():
    vectors = unit_vectors(300, 16)
    mask = np.zeros(300, dtype=bool)
    mask[::3] = True
    q = unit_vectors(1, 16, seed=2)[0]
    got = [i for i, _ in FaissVectorIndex.build(vectors, 16).search(q, 10, mask)]
    assert got == [i for i, _ in ExactVectorIndex(vectors).search(q, 10, mask)]
    assert all(i % 3 == 0 for i in got)


def test_hnsw_above_threshold_has_high_recall():
    vectors = unit_vectors(3000, 32)
    index = FaissVectorIndex.build(vectors, 32, hnsw_threshold=1000)
    assert index.kind == "IndexHNSWFlat"
    exact = ExactVectorIndex(vectors)
    queries = unit_vectors(50, 32, seed=3)
    recall = np.mean(
        [
            len({i for i, _ in index.search(q, 10)} & {i for i, _ in exact.search(q, 10)}) / 10
            for q in queries
        ]
    )
    assert recall >= 0.95


def test_empty_vector_index():
    index = FaissVectorIndex.build(np.zeros((0, 8), np.float32), 8)
    assert index.search(np.ones(8, np.float32), 5) == []


def test_keyword_index_ranks_matching_chunks(tmp_path):
    index = KeywordIndex.build([["提现", "手续费"], ["密码", "重置"], ["提现", "到账"]])
    assert [r for r, _ in index.top(["提现", "手续费"], 3)] == [0, 2]
    assert index.top(["不存在"], 3) == []
    assert index.top([], 3) == []
    assert [r for r, _ in index.top(["提现"], 3, mask=np.array([False, True, True]))] == [2]
    index.save(tmp_path / "bm25")
    assert KeywordIndex.load(tmp_path / "bm25").top(["密码"], 1)[0][0] == 1


def test_empty_keyword_index_round_trip(tmp_path):
    index = KeywordIndex.build([])
    index.save(tmp_path / "bm25")
    assert KeywordIndex.load(tmp_path / "bm25").top(["x"], 3) == []


@pytest.mark.parametrize(("n", "expected"), [(2, [3, 1]), (10, [3, 1, 0])])
def test_top_positive(n, expected):
    assert [i for i, _ in top_positive(np.array([0.5, 2.0, 0.0, 3.0]), n)] == expected
