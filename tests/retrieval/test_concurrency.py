"""Searches from several threads and a second process while the index is rebuilt and switched
three times: zero errors, every answer from one complete version, new versions picked up live; a
live version that cannot be loaded leaves the loaded one serving, logged once, retried rarely."""

from __future__ import annotations

import pytest

from kb import LiveSearcher, build_index
from kb.retrieval import live as live_module
from kb.testing import TINY, write_articles
from kb.testing.concurrency import run_concurrent_rebuilds


def test_searches_during_three_rebuilds(tmp_path):
    figures = run_concurrent_rebuilds(tmp_path, threads=4, rebuilds=3)
    assert figures["errors"] == []
    assert figures["inconsistent"] == []
    # each version was searched by both sides before the next switch (waited for, not timed)
    assert figures["thread_searches"] >= 400 and figures["process_searches"] >= 80
    final = figures["versions"][-1]
    assert len(set(figures["versions"])) == 4
    assert figures["final_thread_version"] == final
    assert figures["final_process_version"] == final
    assert len(figures["versions_seen_by_threads"]) >= 2  # switched without a restart
    assert figures["reloads"] >= 1


def _error_lines(caplog, version: str) -> list[str]:
    """The LiveSearcher's error records about `version` (load_index logs each attempt itself)."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "kb.retrieval.live" and r.levelname == "ERROR" and version in r.getMessage()
    ]


def _damage(index, version: str) -> None:
    """Replace (new inode, so a searcher's memory maps keep the old bytes) every table of `version`
    with garbage and its manifest with one of an old format."""
    folder = index / version
    for table in folder.rglob("*.arrow"):
        table.unlink()
        table.write_bytes(b"garbage")
    (folder / "manifest.json").unlink()
    (folder / "manifest.json").write_text('{"format": 1}')


@pytest.mark.parametrize("kind", ["another encoder", "every version damaged", "a bug in loading"])
def test_a_live_version_that_cannot_be_loaded_leaves_the_loaded_one_serving(
    tmp_path, monkeypatch, caplog, kind
):
    articles = write_articles(tmp_path / "articles", TINY)
    index = tmp_path / "index"
    first = build_index(articles, index, encoder="hash:64").version
    live = LiveSearcher(index, "public", encoder="hash:64")
    clock = [1000.0]
    monkeypatch.setattr("kb.retrieval.live.time.monotonic", lambda: clock[0])
    real, calls = live_module.load_searcher, []

    def counting(*args, **kwargs):
        calls.append(1)
        if kind == "a bug in loading":
            raise RuntimeError("a bug")
        return real(*args, **kwargs)

    monkeypatch.setattr("kb.retrieval.live.load_searcher", counting)
    expected = live.search("忘记密码", top_k=3)
    if kind == "another encoder":
        bad = build_index(articles, index, encoder="hash:32", force=True).version
    else:
        bad = build_index(articles, index, encoder="hash:64", force=True).version
        if kind == "every version damaged":
            _damage(index, bad)
            _damage(index, first)
    for _ in range(50):  # no error, no reload attempt per search
        assert live.search("忘记密码", top_k=3) == expected
    assert (live.version, live.failed, len(calls)) == (first, bad, 1)
    assert len(_error_lines(caplog, bad)) == 1  # logged once
    clock[0] += live_module.RETRY_SECONDS - 0.5
    live.search("忘记密码")
    assert len(calls) == 1  # not yet
    clock[0] += 1.0
    assert live.search("忘记密码", top_k=3) == expected
    assert len(calls) == 2 and len(_error_lines(caplog, bad)) == 1  # retried, not logged again

    monkeypatch.setattr("kb.retrieval.live.load_searcher", real)
    good = build_index(articles, index, encoder="hash:64", force=True).version
    assert live.current().version == good  # a new version is tried at once, without waiting
    assert live.failed is None
