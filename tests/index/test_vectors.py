"""FAISS search equals brute force; BM25 index basics."""

from __future__ import annotations

import numpy as np
import pytest

from kb.index.keyword import KeywordIndex, top_positive
from kb.index.vectors import ExactVectorIndex, FaissVectorIndex, SegmentedVectorIndex


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


def clustered_vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """Text-like data: points around topic centres (uniform random vectors have no neighbours)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, dim))
    v = centres[rng.integers(0, 40, n)] + 0.6 * rng.standard_normal((n, dim))
    v = v.astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def recall_at_10(index, exact, queries, mask=None) -> float:
    return float(
        np.mean(
            [
                len(
                    {i for i, _ in index.search(q, 10, mask)}
                    & {i for i, _ in exact.search(q, 10, mask)}
                )
                / 10
                for q in queries
            ]
        )
    )


def test_ivf_above_threshold_is_calibrated_to_high_recall(tmp_path):
    vectors = clustered_vectors(4000, 32)
    index = FaissVectorIndex.build(vectors, 32, approximate_above=1000)
    assert index.kind == "IndexIVFFlat" and index.approximate
    assert (
        1 <= index.faiss_index.nprobe < index.faiss_index.nlist
    )  # calibrated, not "search every list"
    exact = ExactVectorIndex(vectors)
    queries = clustered_vectors(50, 32, seed=3)
    assert recall_at_10(index, exact, queries) >= 0.95
    index.save(tmp_path / "v.faiss")
    loaded = FaissVectorIndex.load(tmp_path / "v.faiss")
    assert loaded.faiss_index.nprobe == index.faiss_index.nprobe
    assert np.allclose(loaded.reconstruct(np.array([5, 7])), vectors[[5, 7]])
    assert loaded.search(queries[0], 10) == index.search(queries[0], 10)


def test_ivf_filtered_search_returns_only_allowed_rows():
    vectors = clustered_vectors(4000, 32)
    index = FaissVectorIndex.build(vectors, 32, approximate_above=1000)
    exact = ExactVectorIndex(vectors)
    q = clustered_vectors(1, 32, seed=4)[0]
    narrow = np.zeros(4000, dtype=bool)
    narrow[::97] = True  # few rows: searched exactly, so equal to brute force
    got, want = index.search(q, 10, narrow), exact.search(q, 10, narrow)
    assert [i for i, _ in got] == [i for i, _ in want]
    assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-5)
    wide = np.arange(4000) % 2 == 0
    got = [i for i, _ in index.search(q, 10, wide)]
    assert len(got) == 10 and all(i % 2 == 0 for i in got)


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


def test_known_share_counts_unknown_query_words_at_full_idf():
    index = KeywordIndex.build([["提现", "手续费"], ["密码", "重置"], ["提现", "到账"]])
    assert index.known_share(["提现", "手续费"]) == 1.0
    assert index.known_share(["withdraw", "fee"]) == 0.0
    mixed = index.known_share(["提现", "withdraw"])
    assert 0.0 < mixed < 0.5  # 提现 is common (low IDF), the unknown word weighs more
    assert index.known_share([]) == 0.0


def test_vectorised_bm25_build_matches_bm25s(tmp_path):
    import bm25s

    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(40)]
    docs = [list(rng.choice(words, rng.integers(0, 30))) for _ in range(200)]
    ours = KeywordIndex.build(docs)
    reference = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    reference.index([d or [""] for d in docs], show_progress=False)
    for query in (["w1"], ["w2", "w3", "w3"], ["w39", "nope"], words[:10]):
        ids = reference.get_tokens_ids(query)
        expected = reference.get_scores_from_ids(ids) if ids else np.zeros(200)
        assert np.allclose(ours.scores(query), expected, atol=1e-5)
    ours.save(tmp_path / "bm25")
    assert np.allclose(KeywordIndex.load(tmp_path / "bm25").scores(["w4"]), ours.scores(["w4"]))


def test_search_arrays_are_the_pairs_of_search_for_every_index_kind():
    vectors = clustered_vectors(1500, 16)
    rows = np.random.default_rng(5).permutation(1500)[:1200]  # 300 stored vectors deleted
    kinds = {
        "exact": ExactVectorIndex(vectors),
        "flat": FaissVectorIndex.build(vectors, 16),
        "ivf": FaissVectorIndex.build(vectors, 16, approximate_above=1000),
        "segmented": SegmentedVectorIndex(
            [FaissVectorIndex.build(p, 16) for p in (vectors[:900], vectors[900:])], rows, 16
        ),
        "empty": FaissVectorIndex.build(np.zeros((0, 16), np.float32), 16),
    }
    narrow = np.zeros(1500, dtype=bool)
    narrow[::50] = True  # an IVF index searches these exactly
    for name, index in kinds.items():
        for mask in (None, narrow[: index.count], np.zeros(index.count, dtype=bool)):
            for query in clustered_vectors(5, 16, seed=6):
                found, scores = index.search_arrays(query, 10, mask)
                assert found.dtype == np.int64 and scores.dtype == np.float64, name
                pairs = list(zip(found.tolist(), scores.tolist(), strict=True))
                assert pairs == index.search(query, 10, mask)
    assert len(kinds["flat"].search_arrays(vectors[0], 10)[0]) == 10
