"""What the 100k-chunk figures (scripts/bench_postgres_scale.py) needed of the PostgreSQL backend:
an HNSW graph built in memory (maintenance_work_mem sized to it) and document frequencies asked of
the database once per term, with answers unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import psycopg
import pytest

from kb import build_index, load_searcher
from kb.index import open_store
from kb.index.postgres import read, store, terms, write

ROOT = Path(__file__).resolve().parents[2]
ENCODER = "hash"


@pytest.mark.parametrize(
    ("vectors", "dim"), [(20_000, 384), (110_000, 384), (1_100_000, 384), (300_000, 768)]
)
def test_build_memory_fits_the_largest_graph_within_bounds(vectors, dim):
    small = write.vector_index_setting(vectors // 10)
    large = write.vector_index_setting(vectors)
    statement = write.build_memory({"public": small, "all": large}, dim).as_string(None)
    kilobytes = int(statement.split("'")[1].removesuffix("kB"))
    graph = vectors * (4 * dim + 8) // 1024  # the vectors alone, before any neighbour list
    assert kilobytes >= min(graph, write.BUILD_MEMORY_CAP // 1024)
    assert 64 * 1024 <= kilobytes <= write.BUILD_MEMORY_CAP // 1024


def test_build_memory_is_left_alone_without_hnsw():
    exact = write.vector_index_setting(write.APPROXIMATE_ABOVE)
    assert write.build_memory({"public": exact, "all": exact}, 384) is None


def test_a_build_with_hnsw_sizes_its_memory(pg_url, monkeypatch):
    seen = []

    def spy(settings, dim):
        seen.append(settings)
        return write.build_memory(settings, dim)

    monkeypatch.setattr(write, "APPROXIMATE_ABOVE", 0)  # every partition gets HNSW
    monkeypatch.setattr(store, "build_memory", spy)
    build_index(ROOT / "articles", pg_url, encoder=ENCODER)
    assert seen and all(s["kind"] == "hnsw" and s["vectors"] > 0 for s in seen[0].values())


def test_document_frequencies_are_asked_once_per_term(pg_url, tmp_path, monkeypatch):
    build_index(ROOT / "articles", pg_url, encoder=ENCODER)
    build_index(ROOT / "articles", tmp_path / "index", encoder=ENCODER)
    pg = load_searcher(pg_url, encoder=ENCODER)
    files = load_searcher(tmp_path / "index", encoder=ENCODER)
    statements = []
    original = read.Connections.query

    def counting(self, statement, params=(), **kw):
        statements.append(statement if isinstance(statement, str) else statement.as_string(None))
        return original(self, statement, params, **kw)

    monkeypatch.setattr(read.Connections, "query", counting)
    queries = ["银行卡 提现 手续费", "how to reset password", "提现 手续费 银行卡", "zzqx 密码"]
    first = [pg.search(q) for q in queries]
    asked = sum(" df FROM" in s for s in statements)
    statements.clear()
    again = [pg.search(q) for q in queries]
    assert asked and not any(" df FROM" in s or "count(*)" in s for s in statements)
    assert [[a.to_dict() for a in x] for x in again] == [[a.to_dict() for a in x] for x in first]
    for q, got in zip(queries, again, strict=True):  # and the file backend's answers
        assert [a.slug for a in got] == [a.slug for a in files.search(q)], q
    tokens = ["提", "现", "zzqx", "password"]
    assert pg.index.keyword.known_share(tokens) == pytest.approx(
        files.index.keyword.known_share(tokens)
    )


def _schema(url: str) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'kbv%'"
        ).fetchone()[0]


@pytest.mark.parametrize("cache_bytes", [terms.CACHE_BYTES, 1])  # cached, and fetched every time
def test_terms_table_bm25_equals_the_postings_sql(pg_url, monkeypatch, cache_bytes):
    """The numpy sum over a term's arrays gives the rows and scores the per-posting SQL gives (the
    path of versions written before the terms table), masks and repeated terms included."""
    monkeypatch.setattr(terms, "CACHE_BYTES", cache_bytes)
    build_index(ROOT / "articles", pg_url, encoder=ENCODER)
    lists = open_store(pg_url).load("agent").keyword
    rows = open_store(pg_url).load("agent").keyword
    rows._has_terms = False  # the path of a version without the terms table
    assert lists._lists()
    mask = np.random.default_rng(3).random(lists.count) < 0.5
    for tokens in (
        ["密码"],
        ["提现", "提现", "银行卡", "卡"],
        ["nothing-here"],
        ["password", "的"],
    ):
        for m in (None, mask):
            got, want = lists.top(tokens, 15, m), rows.top(tokens, 15, m)
            assert [r for r, _ in got] == [r for r, _ in want], tokens
            assert np.allclose([s for _, s in got], [s for _, s in want], rtol=1e-6)
        some = [*[r for r, _ in want][:6], 0, 1, 2]
        assert lists.coverage(tokens, some) == pytest.approx(rows.coverage(tokens, some))
        assert lists.known_share(tokens) == pytest.approx(rows.known_share(tokens))
    assert lists.words() == rows.words()
    with psycopg.connect(pg_url, autocommit=True) as conn:  # an older version: no terms table
        conn.execute(f'ALTER TABLE "{_schema(pg_url)}".all_terms RENAME TO all_terms_hidden')
    old = open_store(pg_url).load("agent").keyword
    assert not old._lists() and old.top(["密码"], 5) == rows.top(["密码"], 5)


def test_public_role_reads_no_term_listing_an_internal_chunk(pg_url):
    build_index(ROOT / "articles", pg_url, encoder=ENCODER)
    schema = _schema(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS kb_web_terms")
        conn.execute("CREATE ROLE kb_web_terms LOGIN IN ROLE kb_public")
        internal = {
            r
            for (r,) in conn.execute(
                f"SELECT row FROM \"{schema}\".all_chunks WHERE visibility <> 'public'"
            )
        }
        hidden = conn.execute(f'SELECT count(*) FROM "{schema}".all_terms WHERE NOT public')
        assert internal and hidden.fetchone()[0] > 0  # so the check below can fail
    with psycopg.connect(pg_url.replace("postgres@", "kb_web_terms@")) as conn:
        seen = conn.execute(f'SELECT chunks FROM "{schema}".all_terms', binary=True).fetchall()
    assert seen and not internal & {int(r) for (b,) in seen for r in np.frombuffer(b, "<i4")}
