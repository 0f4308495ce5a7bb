"""The PostgreSQL backend answers as the file backend does (same rankings, same metrics), keeps
versions and rolls back, and its public role cannot read internal rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import psycopg
import pytest
from psycopg import sql

from kb import build_index, load_searcher
from kb.errors import UnknownFilterError
from kb.evaluation import evaluate, load_queries
from kb.index import open_store
from kb.index.vectors import ExactVectorIndex
from kb.retrieval.dense import search_centred

ROOT = Path(__file__).resolve().parents[2]
ENCODER = "hash"  # deterministic, no model
EXTRA = [
    "how to reset password",
    "银行卡 提现 手续费",
    "退款 refund",
    "密码 密码 密码",
    "zzqx",
    "!!",
]


@pytest.fixture
def both(pg_url, tmp_path):
    """(postgres URL, index folder), each with the sample help center built by the fake encoder."""
    build_index(ROOT / "articles", pg_url, encoder=ENCODER)
    build_index(ROOT / "articles", tmp_path / "index", encoder=ENCODER)
    return pg_url, tmp_path / "index"


def _same(pg, files, query, **kw) -> bool:
    """Same articles and sections in the same order; scores equal up to float32 summation order
    (the database adds BM25 impacts in its own order)."""
    got, want = pg.search(query, **kw), files.search(query, **kw)
    return [(a.slug, a.section) for a in got] == [
        (a.slug, a.section) for a in want
    ] and np.allclose([a.score for a in got], [a.score for a in want], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("role", ["public", "agent"])
def test_rankings_equal_the_file_backend(both, role):
    url, folder = both
    pg, files = (load_searcher(x, role, encoder=ENCODER) for x in (url, folder))
    queries = [q.text for q in load_queries(ROOT / "eval" / "queries.jsonl")][::5] + EXTRA
    for query in queries:
        for mode in ("hybrid", "bm25", "dense"):
            assert _same(pg, files, query, mode=mode), (query, mode)
    for category in ("withdrawals", "account-security"):
        kw = {"category": category, "language": "zh"}
        assert _same(pg, files, "密码 提现", **kw)
    for searcher in (pg, files):  # an unknown category is refused alike, naming the choices
        with pytest.raises(UnknownFilterError, match="account-security"):
            searcher.search("密码 提现", category="account", language="zh")


def test_eval_metrics_equal_the_file_backend(both):
    url, folder = both
    queries = load_queries(ROOT / "eval" / "queries.jsonl")
    got = evaluate(load_searcher(url, "public", encoder=ENCODER), queries, compare=True)
    want = evaluate(load_searcher(folder, "public", encoder=ENCODER), queries, compare=True)
    for mode in ("bm25", "dense"):
        for name, value in want[mode].items():
            if isinstance(value, float):
                assert got[mode][name] == pytest.approx(value, abs=1e-9), (mode, name)
    assert got["mrr@10"] == pytest.approx(want["mrr@10"], abs=1e-9)


def test_keyword_and_vector_scores_match_in_memory_ones(both):
    url, folder = both
    pg = open_store(url).load("agent")
    files = open_store(folder).load("agent")
    reference = files.keyword  # the file backend's BM25 over segments (within 2e-6 of bm25s)
    for tokens in (["密码"], ["提现", "提现", "银行卡"], ["nothing-here"], ["password", "reset"]):
        want = reference.top(tokens, 20)
        got = pg.keyword.top(tokens, 20)
        assert [r for r, _ in got] == [r for r, _ in want]
        assert np.allclose([s for _, s in got], [s for _, s in want], rtol=1e-6, atol=1e-5)
        rows = [*[r for r, _ in want][:5], 0, 1]
        assert pg.keyword.coverage(tokens, rows) == pytest.approx(
            files.keyword.coverage(tokens, rows)
        )
        assert pg.keyword.known_share(tokens) == pytest.approx(files.keyword.known_share(tokens))
        assert pg.keyword.frequencies(tokens) == files.keyword.frequencies(tokens)
    exact = ExactVectorIndex(files.vectors.reconstruct_all())
    rng = np.random.default_rng(7)
    for _ in range(5):
        q = rng.normal(size=exact.dim).astype(np.float32)
        q /= np.linalg.norm(q)
        mask = rng.random(exact.count) < 0.3
        for m in (None, mask):
            got, want = pg.vectors.search(q, 10, m), exact.search(q, 10, m)
            assert [r for r, _ in got] == [r for r, _ in want]
            found, scores = pg.vectors.search_arrays(q, 10, m)
            assert list(zip(found.tolist(), scores.tolist(), strict=True)) == got
            assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-5)
    rows = np.array([3, 0, 7])
    assert np.allclose(pg.vectors.reconstruct(rows), files.vectors.reconstruct(rows), atol=1e-7)
    # the hub correction's mean (computed by the server) and its centred search, one statement
    mean = pg.vectors.mean()
    assert mean.shape == (exact.dim,)
    assert np.allclose(mean, exact.vectors.mean(axis=0), atol=1e-6)
    shift = 0.5 * mean
    for m in (None, mask):
        got = pg.vectors.search_centred(q, shift, 10, m)
        want = search_centred(exact, q, shift, 10, m)
        assert got[0].tolist() == want[0].tolist()
        for a, b in zip(got[1:], want[1:], strict=True):
            assert np.allclose(a, b, atol=1e-5)
        # the per-language correction: each hit's products with the probes, in the same statement
        probes = np.stack([exact.vectors[1] - mean, exact.vectors[2] - mean])
        got = pg.vectors.search_centred(q, shift, 10, m, probes)
        assert got[3].shape == (10, 2)
        assert np.allclose(got[3], exact.vectors[got[0]] @ probes.T, atol=1e-5)
    # a language's mean, and the least product of any vector with each probe, by the server
    rows = np.flatnonzero(mask)
    assert np.allclose(pg.vectors.mean(rows), exact.vectors[rows].mean(axis=0), atol=1e-6)
    assert np.allclose(pg.vectors.least(probes), (exact.vectors @ probes.T).min(axis=0), atol=1e-5)


def test_versions_switch_roll_back_and_prune(pg_url, tmp_path):
    store = open_store(pg_url)
    articles = tmp_path / "articles"
    built = []
    for n in range(7):
        from kb.testing import TINY, write_articles

        write_articles(
            articles, {**TINY, "extra.md": f"---\ntitle: 第{n}版\n---\n版本 {n} 的内容。\n"}
        )
        build_index(articles, pg_url, encoder=ENCODER)
        built.append(store.live_version())
    assert store.live_version() == built[-1]
    assert store.versions() == built[-5:]  # the last five kept
    with psycopg.connect(pg_url) as conn:
        schemas = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'kbv%'")
        assert schemas.fetchone()[0] == 5  # pruned versions' schemas dropped
    assert store.rollback() == (built[-1], built[-2])
    assert store.rollback() == (built[-2], built[-3])
    searcher = load_searcher(pg_url, "public", encoder=ENCODER)
    assert searcher.index.version == built[-3]
    assert searcher.search("第4版")[0].slug == "extra"


def test_public_role_reads_no_internal_rows(both, pg_cluster):
    url, _ = both
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS kb_web")
        conn.execute("CREATE ROLE kb_web LOGIN IN ROLE kb_public")
        schema = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'kbv%'"
        ).fetchone()[0]
        internal = conn.execute(
            f"SELECT count(*) FROM \"{schema}\".all_chunks WHERE visibility <> 'public'"
        ).fetchone()[0]
    assert internal > 0  # the sample has internal articles, so the check below can fail
    web = url.replace("postgres@", "kb_web@")
    with psycopg.connect(web) as conn:
        for table, column in (("all_chunks", "visibility"), ("all_articles", "visibility"),
                              ("all_sections", "visibility")):  # fmt: skip
            rows = conn.execute(
                f"SELECT count(*) FROM \"{schema}\".{table} WHERE {column} <> 'public'"
            )
            assert rows.fetchone()[0] == 0
        assert (
            conn.execute(
                f'SELECT count(*) FROM "{schema}".all_vectors WHERE NOT public'
            ).fetchone()[0]
            == 0
        )
        texts = " ".join(r[0] for r in conn.execute(f'SELECT text FROM "{schema}".all_chunks'))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE kb.x (a int)")
    assert "agent-refund-approval" not in texts
    searcher = load_searcher(web, "public", encoder=ENCODER)
    assert all(a.slug != "agent-refund-approval" for a in searcher.search("退款 审批"))


def test_tables_postings_and_vectors_copied_in_slices_hold_every_row(pg_url, tmp_path, monkeypatch):
    # issue 16: COPY rows are made COPY_ROWS at a time; 7 cuts every table, posting list and
    # vector part of the sample into many slices, with slices ending inside a term's postings
    monkeypatch.setattr("kb.index.postgres.write.COPY_ROWS", 7)
    build_index(ROOT / "articles", pg_url, encoder=ENCODER)
    build_index(ROOT / "articles", tmp_path / "index", encoder=ENCODER)
    pg, files = open_store(pg_url).load("agent"), open_store(tmp_path / "index").load("agent")
    assert pg.chunk_count == files.chunk_count and pg.vectors.count == files.vectors.count
    rows = np.arange(files.vectors.count)
    assert np.allclose(pg.vectors.reconstruct(rows), files.vectors.reconstruct(rows), atol=1e-7)
    with psycopg.connect(pg_url) as conn:  # every posting: one row each, as the terms count them
        schema = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'kbv%'")
        schema = schema.fetchone()[0]
        counted = conn.execute(f'SELECT count(*) FROM "{schema}".all_postings').fetchone()[0]
        assert counted == conn.execute(f'SELECT sum(df) FROM "{schema}".all_terms').fetchone()[0]
    by_postings = open_store(pg_url).load("agent").keyword
    by_postings._has_terms = False  # BM25 from the per-posting table, not the terms table
    for tokens in (["密码"], ["提现", "银行卡"], ["password", "reset"], ["的"]):
        want = [r for r, _ in files.keyword.top(tokens, 50)]
        assert [r for r, _ in pg.keyword.top(tokens, 50)] == want
        assert [r for r, _ in by_postings.top(tokens, 50)] == want
    searchers = [load_searcher(x, "agent", encoder=ENCODER) for x in (pg_url, tmp_path / "index")]
    for query in [q.text for q in load_queries(ROOT / "eval" / "queries.jsonl")[:40]] + EXTRA:
        assert _same(*searchers, query)


def test_stats_verify_compares_each_tables_rows_with_the_manifest(pg_url, tmp_path):
    from kb.cli import main
    from kb.index import describe_index
    from kb.index.postgres.schema import version_schema
    from kb.testing import TINY, write_articles

    build_index(write_articles(tmp_path / "articles", TINY), pg_url, encoder=ENCODER)
    store = open_store(pg_url)
    live = store.live_version()
    assert store.damage(live, verify=True) == ""
    assert main(["stats", "--index", pg_url, "--json"]) == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:  # as the owner: no row-level security
        table = sql.Identifier(version_schema(live), "public_chunks")
        conn.execute(sql.SQL("DELETE FROM {} WHERE row = 0").format(table))
    assert "public_chunks has" in store.damage(live, verify=True)
    assert store.damage(live) == ""  # the cheap check does not count rows
    assert describe_index(pg_url, checksums="live").versions[-1].damaged
    assert main(["stats", "--index", pg_url]) == 2
