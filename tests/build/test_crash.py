"""A build, a rollback or a cache compaction killed with SIGKILL at any point loses nothing: the
previous version keeps serving exactly the same answers, the next build succeeds (and cleans up what
the dead one left), and rollback still returns to the version that was live before."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kb import IndexNotFoundError, build_index, load_searcher
from kb.build.compact import kept_texts
from kb.config import FAULT_ENV
from kb.embed import EmbeddingCache, direction_keys, make_encoder, text_key
from kb.faults import COMPACT_FAULT_POINTS, FAULT_POINTS, ROLLBACK_FAULT_POINTS
from kb.index import open_store, versions
from kb.testing import TINY, write_articles

ROOT = Path(__file__).resolve().parent.parent.parent
QUERIES = ["忘记密码", "提现多久到账", "提现手续费", "card declined", "联系客服"]


def answers(index: Path) -> list[list[tuple[str, str]]]:
    searcher = load_searcher(index, "public", encoder="hash:64")
    return [[(a.slug, a.snippet_text) for a in searcher.search(q, top_k=5)] for q in QUERIES]


def run_kb(args: list[str], fault: str | None = None, **popen) -> subprocess.Popen:
    env = {**os.environ, "KB_ENCODER": "hash:64"}
    env.pop(FAULT_ENV, None)
    if fault:
        env[FAULT_ENV] = fault
    return subprocess.Popen(
        [sys.executable, "-m", "kb", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def run_build(articles: Path, index: Path, fault: str | None = None, *extra: str, **popen):
    args = ["build", "--articles", str(articles), "--index", str(index), *extra]
    return run_kb(args, fault, **popen)


@pytest.mark.parametrize("point", FAULT_POINTS)
def test_sigkill_during_build_keeps_previous_version_serving(tmp_path, point):
    articles = write_articles(tmp_path / "articles", TINY)
    index = tmp_path / "index"
    build_index(articles, index, encoder="hash:64")
    live = versions.current_version(index)
    before = answers(index)

    path = articles / "withdrawals" / "withdrawal-fees.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("每月首次", "每月前三次"), encoding="utf-8"
    )
    process = run_build(articles, index, fault=point)
    process.wait(120)
    assert process.returncode == -signal.SIGKILL, process.stderr.read()

    if FAULT_POINTS.index(point) >= FAULT_POINTS.index("before-history"):  # already live
        assert versions.current_version(index) != live
    else:
        assert versions.current_version(index) == live
        assert answers(index) == before

    retry = run_build(articles, index)
    out, err = retry.communicate(timeout=120)
    assert retry.returncode == 0, err
    assert "withdrawal-fees" in out or point in ("before-history", "after-switch")
    fees = load_searcher(index, "public", encoder="hash:64").search("提现手续费", top_k=1)[0]
    assert "每月前三次" in fees.snippet_text
    assert not list(index.glob(".tmp-*"))
    # the switch history survived the crash: rollback returns to the version live before
    newest = versions.current_version(index)
    assert newest != live and versions.rollback(index) == (newest, live)


def test_two_builds_at_the_same_time_one_waits_for_the_lock(tmp_path, monkeypatch):
    """Two processes: the second fails at once with a clear message, and the first completes."""
    articles = write_articles(tmp_path / "articles", TINY)
    index = tmp_path / "index"
    build_index(articles, index, encoder="hash:64")
    (articles / "new.md").write_text("---\ntitle: 新文章\n---\n新的内容。\n", encoding="utf-8")
    with versions.build_lock(index):  # stands for a first build that is still writing
        second = run_build(articles, index)
        _, err = second.communicate(timeout=120)
    assert second.returncode == 2
    assert "another build is writing" in err and f"pid {os.getpid()}" in err
    first = run_build(articles, index)
    assert first.wait(120) == 0
    assert "new" in load_searcher(index, "public", encoder="hash:64").index.articles


def two_versions(tmp_path: Path) -> tuple[Path, Path, str, str]:
    """(articles, index, first, second): the tiny corpus built, one article edited, built again."""
    articles = write_articles(tmp_path / "articles", TINY)
    index = tmp_path / "index"
    first = build_index(articles, index, encoder="hash:64").version
    path = articles / "withdrawals" / "withdrawal-fees.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("每月首次", "每月前三次"), encoding="utf-8"
    )
    return articles, index, first, build_index(articles, index, encoder="hash:64").version


@pytest.mark.parametrize("point", ROLLBACK_FAULT_POINTS)
def test_sigkill_during_rollback_leaves_one_consistent_live_version(tmp_path, point):
    _, index, first, second = two_versions(tmp_path)
    process = run_kb(["rollback", "--index", str(index)], fault=point)
    process.wait(120)
    assert process.returncode == -signal.SIGKILL, process.stderr.read()
    expected = second if point == "rollback-before-switch" else first
    assert versions.current_version(index) == expected
    assert load_searcher(index, "public", encoder="hash:64").version == expected
    if expected == second:  # the rollback never happened: it can be run again
        assert versions.rollback(index) == (second, first)
    # the rollback to `first` is final although its record may be lost: `second` never returns
    with pytest.raises(IndexNotFoundError, match="no version older"):
        versions.rollback(index)
    assert versions.current_version(index) == first


@pytest.mark.parametrize("point", COMPACT_FAULT_POINTS)
def test_sigkill_during_cache_compaction_loses_no_needed_entry(tmp_path, point):
    articles, index, _, _ = two_versions(tmp_path)
    encoder = make_encoder("hash:64")
    cache = EmbeddingCache(index / "cache", encoder.id, encoder.dim)
    for i in range(3 * len(cache)):  # entries no version needs: compaction is due
        cache.put(f"junk{i:028d}", np.ones(encoder.dim, np.float32))
    cache.flush()
    process = run_build(articles, index, point, "--force")
    process.wait(120)
    assert process.returncode == -signal.SIGKILL, process.stderr.read()
    needed = {text_key(encoder.id, t) for t in kept_texts(open_store(index))[0]}
    needed |= direction_keys(encoder.id)
    after_crash = EmbeddingCache(index / "cache", encoder.id, encoder.dim)
    assert all(after_crash.get(key) is not None for key in needed)
    assert load_searcher(index, "public", encoder="hash:64").search("提现手续费")

    retry = run_build(articles, index, None, "--force")
    out, err = retry.communicate(timeout=120)
    assert retry.returncode == 0, err
    assert "encoded 0" in out  # nothing needed was lost
    compacted = EmbeddingCache(index / "cache", encoder.id, encoder.dim)
    assert len(compacted) < len(after_crash) and not any(
        k.startswith("junk") for k in compacted._items
    )
    assert all(compacted.get(key) is not None for key in needed)
    assert not list(compacted.directory.glob(".*tmp*"))
