"""Searches from several threads and a second process while the index is rebuilt and switched
three times: zero errors, every answer from one complete version, new versions picked up live."""

from __future__ import annotations

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
