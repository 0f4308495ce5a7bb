"""The command line on a postgresql:// index, and SIGKILL at every step of a publish or a rollback:
the live version keeps serving, the next build succeeds and leaves no half-written version."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from kb import build_index, load_searcher
from kb.config import FAULT_ENV
from kb.faults import FAULT_POINTS, ROLLBACK_FAULT_POINTS
from kb.index import open_store
from kb.testing import TINY, write_articles

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ["忘记密码", "提现多久到账", "提现手续费", "card declined", "联系客服"]


def answers(url: str) -> list[list[tuple[str, str]]]:
    searcher = load_searcher(url, "public", encoder="hash:64")
    return [[(a.slug, a.snippet_text) for a in searcher.search(q, top_k=5)] for q in QUERIES]


def kb(*args: str, fault: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "KB_ENCODER": "hash:64"}
    env.pop(FAULT_ENV, None)
    if fault:
        env[FAULT_ENV] = fault
    return subprocess.run(
        [sys.executable, "-m", "kb", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=900,  # a loaded 2-core machine: the eval alone took minutes
    )  # fmt: skip


def schemas(url: str) -> int:
    with psycopg.connect(url) as conn:
        query = "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'kbv%'"
        return conn.execute(query).fetchone()[0]


def test_cli_build_search_stats_eval_rollback(pg_url, pg_cluster):
    from .conftest import replica_of

    built = kb("build", "--articles", "articles", "--index", pg_url)
    assert built.returncode == 0, built.stderr
    again = kb("build", "--articles", "articles", "--index", pg_url, "--force")
    assert again.returncode == 0, again.stderr
    found = kb("search", "忘记密码怎么办", "--index", pg_url, "--json")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["answers"][0]["slug"] == "forgot-password"
    replica = replica_of(pg_cluster, pg_url)
    via = kb("search", "忘记密码怎么办", "--index", pg_url, "--replica", replica, "--json")
    assert via.returncode == 0 and json.loads(via.stdout) == json.loads(found.stdout)
    stats = json.loads(kb("stats", "--index", pg_url, "--json").stdout)
    assert len(stats["versions"]) == 2 and stats["version"] == stats["versions"][-1]
    evaluated = kb("eval", "--index", pg_url)
    assert evaluated.returncode == 0 and "mrr@10" in evaluated.stdout
    rolled = kb("rollback", "--index", pg_url)
    assert rolled.returncode == 0, rolled.stderr
    assert open_store(pg_url).live_version() == stats["versions"][0]
    nothing = kb("rollback", "--index", pg_url)
    assert nothing.returncode == 2 and "Traceback" not in nothing.stderr


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://nobody@127.0.0.1:1/kb",  # nothing listens there
        "postgres://postgres@127.0.0.1:{port}/no_such_database",
    ],
)
def test_unreachable_or_empty_database_is_a_clean_error(url, pg_cluster):
    port = pg_cluster["primary"].rsplit(":", 1)[1].split("/")[0]
    done = kb("search", "密码", "--index", url.format(port=port))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "127.0.0.1" in done.stderr


@pytest.mark.parametrize("point", FAULT_POINTS)
def test_sigkill_during_publish_keeps_the_live_version(pg_url, tmp_path, point):
    articles = write_articles(tmp_path / "articles", TINY)
    build_index(articles, pg_url, encoder="hash:64")
    store = open_store(pg_url)
    live, before = store.live_version(), answers(pg_url)
    path = articles / "withdrawals" / "withdrawal-fees.md"
    path.write_text(path.read_text(encoding="utf-8").replace("每月首次", "每月前三次"), "utf-8")
    killed = kb("build", "--articles", str(articles), "--index", pg_url, fault=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    if point == "after-switch":  # committed: the new version is live and complete
        assert store.live_version() != live
    else:
        assert store.live_version() == live and answers(pg_url) == before
    retry = kb("build", "--articles", str(articles), "--index", pg_url)
    assert retry.returncode == 0, retry.stderr
    fees = load_searcher(pg_url, "public", encoder="hash:64").search("提现手续费", top_k=1)[0]
    assert "每月前三次" in fees.snippet_text
    assert schemas(pg_url) == len(store.versions())  # nothing half-written left behind
    newest = store.live_version()
    assert store.rollback() == (newest, live if point != "after-switch" else store.versions()[-2])


@pytest.mark.parametrize("point", ROLLBACK_FAULT_POINTS)
def test_sigkill_during_rollback_leaves_one_live_version(pg_url, tmp_path, point):
    articles = write_articles(tmp_path / "articles", TINY)
    first = build_index(articles, pg_url, encoder="hash:64").version
    (articles / "new.md").write_text("---\ntitle: 新文章\n---\n新的内容。\n", encoding="utf-8")
    second = build_index(articles, pg_url, encoder="hash:64").version
    killed = kb("rollback", "--index", pg_url, fault=point)
    assert killed.returncode == -signal.SIGKILL
    store = open_store(pg_url)
    assert store.live_version() == second  # the switch and its record are one transaction
    assert load_searcher(pg_url, "public", encoder="hash:64").version == second
    assert store.rollback() == (second, first)
