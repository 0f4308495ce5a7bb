"""Hub correction on the dense side and the settings of the new fusion (issue 17 items 3, 10)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from kb import Mode, SearchSettings, load_searcher
from kb.errors import ConfigError
from kb.index.vectors import ExactVectorIndex
from kb.retrieval.dense import DenseRetriever, search_centred
from kb.retrieval.hits import Hit
from kb.retrieval.hybrid import HybridRetriever


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


class FixedEncoder:
    """Encodes every query as the one vector it was given."""

    def __init__(self, vector: np.ndarray):
        self.vector, self.dim = vector, len(vector)

    def encode_queries(self, texts):
        return np.stack([self.vector for _ in texts])


def retriever(query: np.ndarray, penalty: float, hub_at: int = 3) -> DenseRetriever:
    # three specific vectors and one "hub" in the middle of them, close to any query
    specific = [unit(1, 0, 0), unit(0, 1, 0), unit(0, 0, 1)]
    vectors = np.stack([*specific[:hub_at], unit(1, 1, 1), *specific[hub_at:]])
    index = SimpleNamespace(
        vectors=ExactVectorIndex(vectors),
        vector_targets=np.arange(4),
        chunk_count=4,
        language_direction=None,
    )
    return DenseRetriever(index, FixedEncoder(query), hub_penalty=penalty)


@pytest.mark.parametrize("hub_at", [0, 3])  # wherever the hub is stored
@pytest.mark.parametrize(
    ("query", "right"),
    [((1, 0.5, 0.5), "x"), ((0.5, 1, 0.5), "y"), ((0.45, 0.5, 1), "z")],
)
def test_hub_penalty_ranks_the_specific_vector_above_the_hub(query, right, hub_at):
    rows = {"x": 0, "y": 1, "z": 2}
    row = rows[right] + (1 if hub_at <= rows[right] else 0)
    plain = retriever(unit(*query), 0.0, hub_at).search("q", 4)
    corrected = retriever(unit(*query), 1.0, hub_at).search("q", 4)
    assert plain[0].row == hub_at  # without the correction the hub wins
    assert corrected[0].row == row
    cosine = float(unit(*query) @ retriever(unit(*query), 0, hub_at).index.vectors.vectors[row])
    assert corrected[0].dense_score == pytest.approx(cosine, abs=1e-6)  # still the cosine
    assert corrected[0].score < corrected[0].dense_score


class CountingVectors(ExactVectorIndex):
    """An exact index that counts the means asked of it (`with_mean`: it has a `mean`, as the
    PostgreSQL index has; else the retriever reads its vectors back)."""

    def __init__(self, vectors, with_mean: bool):
        super().__init__(vectors)
        self.means = 0
        if with_mean:
            self.mean = self._mean

    def _mean(self):
        self.means += 1
        return self.vectors.mean(axis=0)


def counting_retriever(query, penalty: float, with_mean: bool):
    index = retriever(query, 0.0).index
    index.vectors = CountingVectors(index.vectors.vectors, with_mean)
    return DenseRetriever(index, FixedEncoder(query), hub_penalty=penalty), index.vectors


@pytest.mark.parametrize("with_mean", [True, False])
def test_the_mean_is_read_when_the_retriever_is_made_not_by_each_query(with_mean):
    made, vectors = counting_retriever(unit(1, 0.5, 0.5), 0.5, with_mean)
    assert made._mean is not None  # computed with the retriever, before any query
    assert np.allclose(made._mean, vectors.vectors.mean(axis=0), atol=1e-6)
    first = made.search("q", 4)
    again = made.search("q", 4)
    assert [h.row for h in first] == [h.row for h in again]
    assert vectors.means == (1 if with_mean else 0)  # an index's own mean is asked for once
    # read here: each vector's part of the penalty is made with the mean, so a query reads none
    want = vectors.vectors @ (0.5 * made._mean)
    assert np.allclose(made._offsets, want, atol=1e-6)


def test_no_mean_is_read_without_a_hub_penalty():
    made, vectors = counting_retriever(unit(1, 0.5, 0.5), 0.0, True)
    made.search("q", 4)
    assert made._mean is None and vectors.means == 0


def test_search_centred_ranks_by_the_shifted_query_and_gives_the_plain_cosines():
    rng = np.random.default_rng(3)
    stored = rng.normal(size=(50, 8)).astype(np.float32)
    stored /= np.linalg.norm(stored, axis=1, keepdims=True)
    index = ExactVectorIndex(stored)
    query, shift = stored[7] * 0.9 + stored[9] * 0.1, 0.3 * stored.mean(axis=0)
    for mask in (None, rng.random(50) < 0.5):
        rows, scores, cosines, probed = search_centred(index, query, shift, 10, mask)
        assert probed.shape == (len(rows), 0)
        want_rows, want_scores = index.search_arrays(query - shift, 10, mask)
        assert rows.tolist() == want_rows.tolist()
        assert np.allclose(scores, want_scores)
        assert np.allclose(cosines, stored[rows] @ query, atol=1e-6)
        assert not np.allclose(cosines, scores)  # the plain cosine, not the ranking score
        offsets = (stored @ shift).astype(np.float64)  # the retriever's, made once
        again = search_centred(index, query, shift, 10, mask, offsets)
        assert again[0].tolist() == rows.tolist() and np.allclose(again[2], cosines, atol=1e-6)
        probes = stored[:2] * 0.1  # each hit's inner product with each probe, read back
        both = search_centred(index, query, shift, 10, mask, offsets, probes)
        assert np.allclose(both[3], stored[rows] @ probes.T, atol=1e-6)
    empty = search_centred(index, query, shift, 10, np.zeros(50, bool))
    assert [len(a) for a in empty] == [0, 0, 0, 0]


def test_hub_penalty_zero_is_plain_cosine():
    hits = retriever(unit(1, 0.5, 0.5), 0.0).search("q", 4)
    assert all(h.score == h.dense_score for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_hub_penalty_on_a_built_index_keeps_cosines_and_answers(built):
    _, index_dir, encoder = built
    plain = load_searcher(
        index_dir, "public", encoder=encoder, settings=SearchSettings(hub_penalty=0.0)
    )
    corrected = load_searcher(
        index_dir, "public", encoder=encoder, settings=SearchSettings(hub_penalty=1.0)
    )
    for query in ("忘记密码怎么办", "提现手续费多少"):
        cosines = {
            (a.slug, a.anchor): a.dense_score for a in plain.search(query, 5, mode=Mode.DENSE)
        }
        for answer in corrected.search(query, 5, mode=Mode.DENSE):
            if (answer.slug, answer.anchor) in cosines:
                expected = cosines[answer.slug, answer.anchor]
                assert answer.dense_score == pytest.approx(expected, abs=1e-5)
        assert corrected.search(query, 1)[0].slug == plain.search(query, 1)[0].slug


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hub_penalty", -0.1, r"hub_penalty \(-0.1\) must be in 0..1"),
        ("hub_penalty", 1.5, r"hub_penalty \(1.5\) must be in 0..1"),
        ("bm25_share", 2.0, r"bm25_share \(2.0\) must be in 0..1"),
        ("fusion", "rfr", r"unknown fusion 'rfr'; use one of: rrf, convex"),
    ],
)
def test_fusion_settings_fail_with_the_field_and_the_valid_range(field, value, message):
    with pytest.raises(ConfigError, match=message):
        SearchSettings(**{field: value})


@pytest.mark.parametrize("fusion", ["rrf", "convex"])
def test_both_fusions_answer_obvious_questions(built, fusion):
    _, index_dir, encoder = built
    searcher = load_searcher(
        index_dir, "public", encoder=encoder, settings=SearchSettings(fusion=fusion)
    )
    assert searcher.search("提现手续费多少", 3)[0].slug == "withdrawal-fees"
    assert searcher.search("忘记密码怎么办", 3)[0].slug == "forgot-password"


def test_fused_hits_carry_the_cosine_not_the_hub_corrected_score():
    dense = retriever(unit(1, 0.5, 0.5), 1.0).search("q", 4)
    assert any(h.score != h.dense_score for h in dense)  # the penalty moved the ranking score
    fused = HybridRetriever(None, None, SearchSettings()).fuse([Hit(0, 2.0, 2.0)], dense, None)
    cosines = {h.row: h.dense_score for h in dense}
    assert {h.row: h.dense_score for h in fused} == cosines
    assert next(h for h in fused if h.row == 0).bm25_score == 2.0


def test_a_bm25_share_given_to_fuse_replaces_the_setting():
    keyword = [Hit(1, 9.0, 9.0), Hit(2, 1.0, 1.0)]
    dense = [Hit(2, 0.9, None, 0.9), Hit(1, 0.1, None, 0.1)]
    hybrid = HybridRetriever(None, None, SearchSettings(bm25_share=0.5))
    assert hybrid.fuse(keyword, dense, None, bm25_share=1.0)[0].row == 1
    assert hybrid.fuse(keyword, dense, None, bm25_share=0.0)[0].row == 2
    with_setting = HybridRetriever(None, None, SearchSettings(bm25_share=0.0))
    assert with_setting.fuse(keyword, dense, None)[0].row == 2


class Catalog:
    """The one part of an ArticleCatalog the per-language correction reads: `codes`."""

    def __init__(self, languages: list[str]):
        self.values = sorted(set(languages))
        self.rows = np.array([self.values.index(x) for x in languages], np.int32)

    def __len__(self):
        return len(self.rows)

    def codes(self, name):
        assert name == "language"
        return self.values, self.rows


def bilingual(english: int, chinese: int = 120, dim: int = 24, seed: int = 5, **fields):
    """An index of one vector a chunk, one chunk an article: `english` vectors around one
    direction, `chinese` around another (two clusters, as e5 puts the two languages)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(2, dim))
    sizes = (english, chinese)
    stored = np.concatenate(
        [centres[i] + 0.8 * rng.normal(size=(n, dim)) for i, n in enumerate(sizes)]
    ).astype(np.float32)
    stored /= np.linalg.norm(stored, axis=1, keepdims=True)
    count = len(stored)
    return SimpleNamespace(
        vectors=fields.pop("vectors", ExactVectorIndex)(stored),
        vector_targets=np.arange(count),
        chunk_count=count,
        chunk_article=np.arange(count),
        articles=Catalog(["en"] * english + ["zh"] * chinese),
        language_direction=None,
    )


def exact_by_language(stored, languages, penalty, query, top_k):
    """The definition: every vector scored by its cosine less penalty x its inner product with
    its own language's mean, best first."""
    means = np.stack([stored[languages == c].mean(axis=0) for c in range(languages.max() + 1)])
    scores = stored.astype(np.float64) @ query - penalty * np.einsum(
        "ij,ij->i", stored, means[languages]
    )
    order = np.argsort(-scores, kind="stable")[:top_k]
    return order.tolist(), scores[order]


@pytest.mark.parametrize("with_mean", [False, True])  # read here / a server's `mean` and `least`
def test_per_language_correction_is_an_exact_search_by_each_languages_mean(with_mean):
    penalty, top_k = 0.5, 10
    vectors = ServerVectors if with_mean else ExactVectorIndex
    index = bilingual(40, vectors=vectors)
    stored = index.vectors.vectors
    languages = index.articles.rows
    rng = np.random.default_rng(11)
    changed = 0
    for i in range(30):
        query = stored[i % len(stored)] + 0.5 * rng.normal(size=stored.shape[1])
        query = (query / np.linalg.norm(query)).astype(np.float32)
        dense = DenseRetriever(index, FixedEncoder(query), penalty, by_language=True)
        hits = dense.search("q", top_k)
        want_rows, want_scores = exact_by_language(stored, languages, penalty, query, top_k)
        assert [h.row for h in hits] == want_rows
        assert np.allclose([h.score for h in hits], want_scores, atol=1e-5)
        assert np.allclose([h.dense_score for h in hits], stored[want_rows] @ query, atol=1e-5)
        plain = DenseRetriever(index, FixedEncoder(query), penalty).search("q", top_k)
        changed += [h.row for h in plain] != want_rows
    assert changed  # the collection's mean ranks some of these queries otherwise


class ServerVectors(ExactVectorIndex):
    """An exact index that computes as PostgreSQL's does: its own means, and the cosines and
    probes' products with the search (`search_centred`), so the retriever reads no vector."""

    def mean(self, rows=None):
        return self.vectors[slice(None) if rows is None else rows].mean(axis=0)

    def least(self, probes):
        return (self.vectors @ np.asarray(probes).T).min(axis=0)

    def search_centred(self, query, shift, k, mask=None, probes=None):
        rows, scores = self.search_arrays(query - shift, k, mask)
        stored = self.vectors[rows].astype(np.float64)
        probes = np.zeros((0, self.dim)) if probes is None else np.asarray(probes, np.float64)
        return rows, scores, stored @ query, stored @ probes.T

    def reconstruct(self, rows):
        raise AssertionError("a server's vectors are not read back")


def test_a_language_with_few_vectors_keeps_the_collections_mean():
    from kb.retrieval.dense import MIN_LANGUAGE_VECTORS

    few = bilingual(MIN_LANGUAGE_VECTORS - 1)
    dense = DenseRetriever(few, FixedEncoder(unit(*[1] * 24)), 0.5, by_language=True)
    probes = dense._probes
    assert probes is not None and not probes[0].any() and probes[1].any()  # en: 0, zh: its own
    enough = bilingual(MIN_LANGUAGE_VECTORS)
    dense = DenseRetriever(enough, FixedEncoder(unit(*[1] * 24)), 0.5, by_language=True)
    assert dense._probes[0].any()


def test_no_per_language_work_for_one_language_or_without_a_penalty():
    one = bilingual(0)
    assert DenseRetriever(one, FixedEncoder(unit(*[1] * 24)), 0.5, True).languages is None
    two = bilingual(30)
    assert DenseRetriever(two, FixedEncoder(unit(*[1] * 24)), 0.0, True).languages is None
    made = DenseRetriever(two, FixedEncoder(unit(*[1] * 24)), 0.5, True)
    assert made.languages.tolist() == [0] * 30 + [1] * 120


def test_a_row_outside_the_first_search_that_gains_from_its_languages_mean_is_found():
    # a vector may sit farther from its language's mean than from the collection's (a negative
    # part of the penalty): the search widens until no row left out can pass the k-th
    index = bilingual(40)
    stored = index.vectors.vectors
    query = stored[0]
    dense = DenseRetriever(index, FixedEncoder(query), 0.5, by_language=True)
    first = stored @ query - dense._offsets
    far = int(np.argsort(-first, kind="stable")[60])  # well outside a top-3 search
    dense._own[far], dense._gain = -1.0, 1.0
    assert dense.search("q", 3)[0].row == far
