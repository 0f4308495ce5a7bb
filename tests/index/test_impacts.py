"""The PostgreSQL backend's BM25 impacts, computed a slice at a time from term-major postings,
are bit for bit those `KeywordIndex.from_terms` computes over the whole partition at once."""

from __future__ import annotations

import numpy as np
import pytest

from kb.index.keyword import DocTerms, KeywordIndex
from kb.index.postgres.write import COPY_ROWS, Impacts, _posting_rows
from kb.index.postings import Postings

WORDS = [f"w{i}" for i in range(40)] + ["提现", "到账", ""]


def doc_terms(rng, n: int) -> DocTerms:
    lists = [list(rng.choice(WORDS, rng.integers(1, 30))) for _ in range(n)]
    lengths = np.array([len(t) for t in lists], dtype=np.int64)
    return DocTerms.from_flat(np.array([t for ts in lists for t in ts], dtype=object), lengths)


@pytest.mark.parametrize("seed", [1, 2])
def test_sliced_impacts_equal_the_whole_partition_computation(seed, monkeypatch):
    terms = doc_terms(np.random.default_rng(seed), 300)
    reference = KeywordIndex.from_terms(terms)._bm25
    want = {}  # (term, chunk) -> float32 impact
    indptr, scores = reference.scores["indptr"], reference.scores
    for token, tid in reference.vocab_dict.items():
        if tid + 1 < len(indptr):  # bm25s's empty token may have no postings column
            start, end = indptr[tid], indptr[tid + 1]
            for chunk, value in zip(
                scores["indices"][start:end], scores["data"][start:end], strict=True
            ):
                want[(token, int(chunk))] = np.float32(value)
    monkeypatch.setattr("kb.index.postgres.write.COPY_ROWS", 97)  # many slices, cut mid-term
    public = np.ones(300, dtype=bool)
    rows = list(_posting_rows(Impacts(Postings.from_terms(terms)), public))
    got = {(term, chunk): np.float32(value) for term, chunk, value, _ in rows}
    assert len(rows) == len(want) and got == want  # float32 equality: bit for bit
    assert COPY_ROWS > 97


def test_each_terms_chunks_ascend_with_their_impacts():
    terms = doc_terms(np.random.default_rng(3), 120)
    impacts = Impacts(Postings.from_terms(terms))
    reference = KeywordIndex.from_terms(terms)._bm25
    indptr = impacts.postings.indptr
    for tid, token in enumerate(impacts.postings.vocab):
        start, end = int(indptr[tid]), int(indptr[tid + 1])
        chunks = impacts.postings.docs[start:end]
        assert np.all(np.diff(chunks) > 0), token
        ref = reference.vocab_dict[token]
        a, b = reference.scores["indptr"][ref : ref + 2]
        assert np.array_equal(chunks, reference.scores["indices"][a:b])
        assert np.array_equal(impacts.slice(start, end, tid), reference.scores["data"][a:b])
