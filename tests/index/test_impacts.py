"""The PostgreSQL build in bounded memory (issue 16): its BM25 impacts, computed a slice at a time
from term-major postings, are bit for bit those `KeywordIndex.from_terms` computes over the whole
partition at once, and the memory-mapped vectors it copies leave resident memory."""

from __future__ import annotations

from pathlib import Path

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


def _resident_file_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("RssFile:")[1].split()[0]) / 1024


def test_release_pages_drops_a_spooled_arrays_pages_and_keeps_its_values(tmp_path):
    """A large build's vectors are spooled to a file and memory-mapped (kb/build/fresh.py);
    after the PostgreSQL writer copies a block, the map's pages leave resident memory."""
    from kb.build.fresh import _Spool
    from kb.index.segment import release_pages

    values = np.random.default_rng(1).standard_normal((40_000, 384)).astype(np.float32)
    spool = _Spool(tmp_path, 384)
    spool.append(values)
    mapped = spool.array()  # 59 MB
    before = _resident_file_mb()
    assert float(mapped[:, 0].sum()) == pytest.approx(float(values[:, 0].sum()), rel=1e-4)
    read = _resident_file_mb()
    release_pages(mapped[10:20])  # any view of the map releases all of it
    after = _resident_file_mb()
    assert read - before > 40 and read - after > 40, (before, read, after)
    assert np.array_equal(mapped, values)  # read again from the page cache
    release_pages(values)  # an array in memory: nothing to release, no error


class _CountingDatabase:
    """What TermLists asks of `Connections`: `query`, answered from `rows`, counted."""

    def __init__(self, rows: dict[str, tuple[np.ndarray, np.ndarray]]):
        self.rows, self.asked = rows, []

    def query(self, statement, params, binary=False):
        self.asked.append(list(params[0]))
        return [
            (t, self.rows[t][0].tobytes(), self.rows[t][1].tobytes())
            for t in params[0]
            if t in self.rows
        ]


def test_term_lists_ask_the_database_once_per_term_present_or_absent():
    from psycopg import sql

    from kb.index.postgres.terms import ENTRY_BYTES, TermLists

    chunks, impacts = np.array([1, 4], dtype="<i4"), np.array([0.5, 0.25], dtype="<f4")
    db = _CountingDatabase({"提现": (chunks, impacts)})
    lists = TermLists(db, sql.Identifier("t"))
    for _ in range(3):
        got = lists.get(["提现", "refund", "tixian"])
        assert list(got) == ["提现"] and np.array_equal(got["提现"][0], chunks)
    assert db.asked == [["提现", "refund", "tixian"]]  # once, absent terms included
    small = TermLists(db, sql.Identifier("t"), budget=3 * ENTRY_BYTES)
    small.get([f"w{i}" for i in range(10)])  # absent terms count against the budget too
    assert small._bytes <= 3 * ENTRY_BYTES and len(small._cache) <= 3


class _RecordingDatabase:
    """What PgVectorIndex asks of `Connections`: `query`, recorded, answered with no rows."""

    def __init__(self):
        self.asked = []

    def query(self, statement, params, binary=False):
        self.asked.append((statement, params))
        return []


@pytest.mark.parametrize(("hnsw", "masked"), [(True, False), (False, False), (True, True)])
def test_a_vector_search_sends_the_query_vector_once(hnsw, masked):
    """The statement names the query vector twice (score and order); psycopg must bind it as one
    parameter, or each search ships 384 floats twice over the wire."""
    from psycopg._queries import PostgresQuery
    from psycopg.adapt import Transformer

    from kb.index.postgres.read import PgVectorIndex

    db = _RecordingDatabase()
    index = PgVectorIndex(db, "v1", "public", count=50, dim=4, hnsw=hnsw)
    mask = np.zeros(50, dtype=bool)
    mask[[3, 7]] = True
    index.search(np.ones(4, dtype=np.float32), 5, mask if masked else None)
    ((statement, params),) = db.asked
    bound = PostgresQuery(Transformer())
    bound.convert(statement.as_string(None), {k: (0 if k == "q" else v) for k, v in params.items()})
    assert len(bound.params) == 1 + masked
    assert bound.query.count(b"$1") == 2  # in the score and in the order
