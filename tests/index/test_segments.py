"""Segments: BM25 over several segments with deleted documents scores exactly as one index of the
live documents; vector search over segments never returns a deleted vector."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kb.index.keyword import DocTerms, KeywordIndex, holding
from kb.index.postings import Postings, SegmentedKeywordIndex
from kb.index.vectors import ExactVectorIndex, FaissVectorIndex, SegmentedVectorIndex

WORDS = [f"w{i}" for i in range(30)] + ["提现", "到账"]


def docs(rng, n: int) -> list[list[str]]:
    return [list(rng.choice(WORDS, rng.integers(0, 25))) for _ in range(n)]


def terms(token_lists: list[list[str]]) -> DocTerms:
    token_lists = [t or [""] for t in token_lists]
    lengths = np.array([len(t) for t in token_lists], dtype=np.int64)
    flat = np.array([t for ts in token_lists for t in ts], dtype=object)
    return DocTerms.from_flat(flat, lengths)


def segmented(rng, sizes: list[int], dead_share: float):
    """(SegmentedKeywordIndex over segments of `sizes` documents with some deleted and the live
    ones shuffled into chunk rows, the live documents in chunk-row order)."""
    segments, all_docs = [], []
    for size in sizes:
        lists = docs(rng, size)
        segments.append(Postings.from_terms(terms(lists)))
        all_docs += lists
    live = np.flatnonzero(rng.random(len(all_docs)) >= dead_share)
    order = rng.permutation(len(live))  # chunk row of each live document
    doc_rows = np.full(len(all_docs), -1, dtype=np.int64)
    doc_rows[live] = order
    in_rows = [None] * len(live)
    for d, r in zip(live, order, strict=True):
        in_rows[r] = all_docs[d]
    bounds = np.cumsum([0, *sizes])
    rows = [doc_rows[a:b] for a, b in itertools.pairwise(bounds)]
    return SegmentedKeywordIndex(segments, rows, len(live)), in_rows


QUERIES = (["w1"], ["w2", "w3", "w3"], ["w29", "nope"], WORDS[:10], ["提现", "到账"], [])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bm25_over_segments_with_deletions_equals_one_index_of_the_live_chunks(seed):
    import bm25s

    rng = np.random.default_rng(seed)
    index, live_docs = segmented(rng, [120, 15, 40], dead_share=0.3)
    one = SegmentedKeywordIndex(
        [Postings.from_terms(terms(live_docs))], [np.arange(len(live_docs))], len(live_docs)
    )
    reference = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    reference.index([d or [""] for d in live_docs], show_progress=False)
    legacy = KeywordIndex.build(live_docs)
    for query in QUERIES:
        assert np.array_equal(index.scores(query), one.scores(query)), query  # bit for bit
        ids = reference.get_tokens_ids(query)
        expected = reference.get_scores_from_ids(ids) if ids else np.zeros(len(live_docs))
        assert np.allclose(index.scores(query), expected, atol=1e-5), query
        assert index.known_share(query) == pytest.approx(legacy.known_share(query))
        live = {t: sum(t in d for d in live_docs) for t in query if t}  # live chunks holding t
        assert index.frequencies(query) == legacy.frequencies(query) == live, query
        rows = [r for r, _ in legacy.top(query, 10)]
        assert index.coverage(query, rows) == pytest.approx(legacy.coverage(query, rows))
    assert index.top(["w1"], 5, mask=np.zeros(len(live_docs), bool)) == []


@pytest.mark.parametrize("seed", [4, 5])
def test_coverage_of_every_row_is_the_idf_share_of_the_query_words_it_holds(seed):
    """Counted from the live documents' own words, for every chunk row (not only the top hits),
    over segments whose documents were shuffled into chunk rows and partly deleted."""
    rng = np.random.default_rng(seed)
    index, live_docs = segmented(rng, [90, 30, 12], dead_share=0.3)
    for query in QUERIES[:-1]:
        words = list(dict.fromkeys(query))
        df = {w: sum(w in d for d in live_docs) for w in words}
        idf = {w: float(np.log(1 + (len(live_docs) - n + 0.5) / (n + 0.5))) for w, n in df.items()}
        rows = list(rng.permutation(len(live_docs)))
        got = index.coverage(query, rows)
        for r in rows:
            want = sum(idf[w] for w in words if w in live_docs[r]) / sum(idf.values())
            assert got[r] == pytest.approx(want), (query, r)


def test_holding_finds_exactly_the_rows_in_ascending_postings():
    postings = np.array([2, 5, 9, 40], dtype=np.int32)
    wanted = np.array([0, 2, 3, 9, 40, 41, 5, 2], dtype=np.int64)
    assert holding(postings, wanted).tolist() == [False, True, False, True, True, False, True, True]
    assert holding(postings[:0], wanted).tolist() == [False] * len(wanted)
    assert holding(postings, wanted[:0]).tolist() == []


def test_a_token_only_in_deleted_documents_is_unknown():
    lists = [["提现", "secret"], ["到账"], ["提现"]]
    postings = Postings.from_terms(terms(lists))
    index = SegmentedKeywordIndex([postings], [np.array([-1, 0, 1])], 2)
    assert index.scores(["secret"]).tolist() == [0.0, 0.0]
    assert index.known_share(["secret"]) == 0.0
    assert "secret" not in index.vocabulary() and "提现" in index.vocabulary()
    assert index.words(min_chars=4) == {}  # `secret` only in a deleted document


def test_latin_words_count_live_documents_over_segments():
    first = Postings.from_terms(terms([["refund", "提现"], ["refund", "fee"], ["receipt"]]))
    second = Postings.from_terms(terms([["refund", "payment1"], ["receipts"]]))
    index = SegmentedKeywordIndex([first, second], [np.array([0, -1, 1]), np.array([2, 3])], 4)
    # refund: in 2 live documents (one deleted); fee too short; payment1 not all letters
    assert index.words(min_chars=4) == {"refund": 2, "receipt": 1, "receipts": 1}
    legacy = KeywordIndex.build([["refund", "提现"], ["receipt"], ["refund", "payment1"]])
    assert legacy.words(min_chars=4) == {"refund": 2, "receipt": 1}


def test_postings_round_trip_and_read_back_term_counts(tmp_path):
    rng = np.random.default_rng(4)
    lists = [*docs(rng, 50), []]
    original = terms(lists)
    Postings.from_terms(original).save(tmp_path / "seg")
    loaded = Postings.load(tmp_path / "seg")
    picked = np.array([7, 3, 50, 0, 21])
    back, expected = loaded.doc_terms(picked), original.take(picked)
    assert np.array_equal(back.indptr, expected.indptr)
    for i in range(len(picked)):
        a = slice(back.indptr[i], back.indptr[i + 1])
        got = dict(zip(back.tokens[a], back.tf[a], strict=True))
        want = dict(zip(expected.tokens[a], expected.tf[a], strict=True))
        assert got == want


@pytest.mark.parametrize("masked", [False, True])
def test_vector_search_over_segments_skips_deleted_vectors(masked):
    rng = np.random.default_rng(9)
    parts = [rng.standard_normal((n, 16)).astype(np.float32) for n in (300, 40, 25)]
    parts = [p / np.linalg.norm(p, axis=1, keepdims=True) for p in parts]
    stored = np.concatenate(parts)
    live = np.flatnonzero(rng.random(len(stored)) > 0.25)
    rows = rng.permutation(live)  # row i of the index is stored vector rows[i]
    index = SegmentedVectorIndex([FaissVectorIndex.build(p, 16) for p in parts], rows, 16)
    exact = ExactVectorIndex(stored[rows])
    assert np.allclose(index.reconstruct_all(), stored[rows])
    mask = rng.random(len(rows)) > 0.5 if masked else None
    for query in stored[:20]:
        got, want = index.search(query, 10, mask), exact.search(query, 10, mask)
        assert [r for r, _ in got] == [r for r, _ in want]
        assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-5)
