"""Hub correction on the dense side and the settings of the new fusion (issue 17 items 3, 10)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from kb import Mode, SearchSettings, load_searcher
from kb.errors import ConfigError
from kb.index.vectors import ExactVectorIndex
from kb.retrieval.dense import DenseRetriever
from kb.retrieval.hits import Hit
from kb.retrieval.hybrid import HybridRetriever


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


class FixedEncoder:
    """Encodes every query as the one vector it was given."""

    dim = 3

    def __init__(self, vector: np.ndarray):
        self.vector = vector

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


def test_hub_penalty_zero_is_plain_cosine():
    hits = retriever(unit(1, 0.5, 0.5), 0.0).search("q", 4)
    assert all(h.score == h.dense_score for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_hub_penalty_on_a_built_index_keeps_cosines_and_answers(built):
    _, index_dir, encoder = built
    plain = load_searcher(index_dir, "public", encoder=encoder)
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
