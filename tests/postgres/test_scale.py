"""What the 100k-chunk figures (scripts/bench_postgres_scale.py) needed of the PostgreSQL backend:
an HNSW graph built in memory (maintenance_work_mem sized to it) and document frequencies asked of
the database once per term, with answers unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb import build_index, load_searcher
from kb.index.postgres import read, store, write

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

    def counting(self, statement, params=()):
        statements.append(statement.as_string(None))
        return original(self, statement, params)

    monkeypatch.setattr(read.Connections, "query", counting)
    queries = ["银行卡 提现 手续费", "how to reset password", "提现 手续费 银行卡", "zzqx 密码"]
    first = [pg.search(q) for q in queries]
    asked = sum("count(*)" in s for s in statements)
    statements.clear()
    again = [pg.search(q) for q in queries]
    assert asked and not any("count(*)" in s for s in statements)
    assert [[a.to_dict() for a in x] for x in again] == [[a.to_dict() for a in x] for x in first]
    for q, got in zip(queries, again, strict=True):  # and the file backend's answers
        assert [a.slug for a in got] == [a.slug for a in files.search(q)], q
    tokens = ["提", "现", "zzqx", "password"]
    assert pg.index.keyword.known_share(tokens) == pytest.approx(
        files.index.keyword.known_share(tokens)
    )
