"""Term-major postings from document-major term counts (`Postings.from_terms`, issue 16): the
lexsort definition's result, with half its memory."""

from __future__ import annotations

import tracemalloc

import numpy as np

from kb.index.bm25 import K1, B
from kb.index.keyword import DocTerms, KeywordIndex
from kb.index.postings import Postings


def doc_terms(n_docs: int, vocab_size: int, seed: int) -> DocTerms:
    """Random counts, some documents empty, each document's terms distinct."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"t{i}" for i in range(vocab_size)], dtype=object)
    counts = rng.integers(0, min(12, vocab_size), n_docs)
    counts[::7] = 0
    codes = [rng.choice(vocab_size, c, replace=False) for c in counts]
    flat = np.concatenate(codes) if codes else np.zeros(0, np.int64)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return DocTerms(indptr, vocab[flat], rng.integers(1, 5, len(flat)).astype(np.int64))


def by_lexsort(terms: DocTerms) -> dict:
    """The definition: every (term, document, tf) sorted by term, then document."""
    n_docs = len(terms.indptr) - 1
    doc = np.repeat(np.arange(n_docs), np.diff(terms.indptr))
    vocab = list(dict.fromkeys(terms.tokens.tolist()))
    code = np.array([vocab.index(t) for t in terms.tokens.tolist()], dtype=np.int64)
    order = np.lexsort((doc, code))
    lengths = np.bincount(doc, weights=terms.tf, minlength=n_docs).astype(np.int64)
    df = np.bincount(code, minlength=len(vocab))
    return {
        "vocab": vocab,
        "indptr": np.concatenate([[0], np.cumsum(df)]),
        "docs": doc[order],
        "tf": terms.tf[order],
        "lengths": lengths,
    }


def test_postings_equal_the_lexsort_definition():
    for seed, (n_docs, vocab_size) in enumerate([(300, 40), (50, 3), (1, 5), (200, 1000)]):
        terms = doc_terms(n_docs, vocab_size, seed)
        got, want = Postings.from_terms(terms), by_lexsort(terms)
        assert got.vocab == want["vocab"]
        for name in ("indptr", "docs", "tf", "lengths"):
            assert np.array_equal(getattr(got, name), want[name]), (seed, name)
        assert got.docs.dtype == got.tf.dtype == got.lengths.dtype == np.int32


def test_empty_counts_give_empty_postings():
    empty = DocTerms(np.zeros(4, np.int64), np.zeros(0, object), np.zeros(0, np.int64))
    got = Postings.from_terms(empty)
    assert got.vocab == [] and len(got.docs) == 0 and np.array_equal(got.lengths, [0, 0, 0])


def test_building_postings_allocates_under_40_bytes_per_pair():
    # 42 bytes per (document, term) pair here with int64 codes and rows and a two-key lexsort
    # (the peak of a 1M-chunk build: docs/BENCHMARKS.md "Build memory"), 33 now; at 18M pairs
    # 42 and 22 (pandas' hash table, a fixed ~1M entries, weighs more in a small set)
    n_docs, per, size = 400_000, 8, 5_000
    vocab = np.array([f"t{i}" for i in range(size)], dtype=object)
    codes = (np.arange(n_docs)[:, None] * 31 + np.arange(per)[None, :] * 97) % size
    indptr = np.arange(0, n_docs * per + 1, per, dtype=np.int64)
    terms = DocTerms(indptr, vocab[codes.reshape(-1)], np.ones(n_docs * per, dtype=np.int64))
    Postings.from_terms(doc_terms(10, 5, 1))  # imports pandas: its own allocations are not ours
    tracemalloc.start()
    try:
        Postings.from_terms(terms)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 * n_docs * per


def test_the_bm25s_format_index_follows_the_lexsort_definition_too():
    # KeywordIndex.from_terms (the bm25s-format index the PostgreSQL write copies) sorts the same
    # way as Postings.from_terms: its postings must be the definition's
    for seed, (n_docs, vocab_size) in enumerate([(300, 40), (50, 3), (200, 1000)]):
        terms = doc_terms(n_docs, vocab_size, seed)
        got, want = KeywordIndex.from_terms(terms)._bm25, by_lexsort(terms)
        assert [t for t, _ in sorted(got.vocab_dict.items(), key=lambda kv: kv[1])][
            : len(want["vocab"])
        ] == want["vocab"]
        assert np.array_equal(got.scores["indptr"], want["indptr"]), seed
        assert np.array_equal(got.scores["indices"], want["docs"]), seed
        lengths = want["lengths"]
        norm = K1 * ((1 - B) + B * lengths / lengths.mean())
        df = np.diff(want["indptr"])
        idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        term = np.repeat(np.arange(len(df)), df)
        expected = idf[term] * want["tf"] / (norm[want["docs"]] + want["tf"])
        assert np.allclose(got.scores["data"], expected, rtol=1e-6), seed
