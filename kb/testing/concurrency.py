"""Searching while the index is rebuilt and switched: shared by tests/retrieval/test_concurrency.py and
scripts/reliability_report.py, which prints the figures for docs/RELIABILITY.md."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..build import build_index
from ..index import versions
from ..index.catalog import read_table
from ..index.layout import ARTICLES_FILE
from ..retrieval import LiveSearcher
from .fixtures import TINY, write_articles

ROOT = Path(__file__).resolve().parent.parent.parent
QUERIES = [
    "忘记密码",
    "提现多久到账",
    "提现手续费",
    "card declined",
    "联系客服",
    "退款审批 ZEBRA-42",
    "新功能说明",
]

SECOND_PROCESS = """
import json, sys, time
from pathlib import Path
from kb import LiveSearcher
index, stop, progress = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[4])
queries = json.loads(sys.argv[3])
live = LiveSearcher(index, "public", encoder="hash:64")
seen, errors, count = [], [], 0
while not stop.exists():
    for q in queries:
        try:
            searcher = live.current()
            seen.append([searcher.version, [a.slug for a in searcher.search(q, top_k=5)]])
            count += 1
        except Exception as exc:
            errors.append(repr(exc))
    progress.write_text(str(count))
print(json.dumps({"count": count, "errors": errors, "seen": seen, "final": live.version}))
"""


def _progress(path: Path) -> int:
    try:
        return int(path.read_text() or 0)
    except (OSError, ValueError):
        return 0


def public_slugs(index: Path, version: str) -> set[str]:
    """Slugs in the public partition of `version` of the file index at `index`."""
    return set(read_table(index / version / "public" / ARTICLES_FILE).column("slug").to_pylist())


class _SearchThreads:
    """`threads` threads searching `live` in turn over QUERIES until stopped, recording
    (version, slugs) of every search and every exception."""

    def __init__(self, live: LiveSearcher, threads: int):
        self.live = live
        self.records: list[tuple[str, list[str]]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._pool = [threading.Thread(target=self._worker, args=(n,)) for n in range(threads)]

    def _worker(self, offset: int) -> None:
        i = offset
        while not self._stop.is_set():
            query = QUERIES[i % len(QUERIES)]
            i += 1
            try:
                searcher = self.live.current()
                self.records.append(
                    (searcher.version, [a.slug for a in searcher.search(query, top_k=5)])
                )
            except Exception as exc:  # counted, never hidden
                self.errors.append(repr(exc))

    def start(self) -> None:
        """Start every thread."""
        for thread in self._pool:
            thread.start()

    def stop(self) -> None:
        """Stop every thread and wait for it."""
        self._stop.set()
        for thread in self._pool:
            thread.join()


def _wait_for_more_searches(
    records: list, progress_file: Path, more_threads: int = 100, more_process: int = 20
) -> None:
    """Progress by condition, not by the clock: both sides must have searched this version."""
    threads_done = len(records) + more_threads
    process_done = _progress(progress_file) + more_process
    end = time.monotonic() + 120.0
    while time.monotonic() < end:
        if len(records) >= threads_done and _progress(progress_file) >= process_done:
            return
        time.sleep(0.05)


def _start_second_process(index: Path, stop_file: Path, progress_file: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            SECOND_PROCESS,
            str(index),
            str(stop_file),
            json.dumps(QUERIES, ensure_ascii=False),
            str(progress_file),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _second_process_result(other: subprocess.Popen, stop_file: Path) -> dict:
    """Stop the second process and read its figures (count, errors, seen, final); its stderr as
    the one error when it failed."""
    stop_file.write_text("stop")
    out, err = other.communicate(timeout=120)
    if other.returncode == 0:
        return json.loads(out)
    return {"count": 0, "errors": [err], "seen": [], "final": None}


def run_concurrent_rebuilds(work: Path, threads: int = 4, rebuilds: int = 3) -> dict:
    """Build the TINY help center (hash:64) under `work`, then search it from `threads` threads and
    a second process while it is rebuilt `rebuilds` times, one new article each time. Before each
    rebuild and at the end, both sides must have searched more (100 thread and 20 process
    searches, or 120 s): progress by condition, not by the clock.

    Returns the figures: threads, rebuilds, versions (built, oldest first), thread_searches,
    process_searches, errors (repr of each exception), inconsistent (searches answered by an
    unknown version or with a slug that version's public partition lacks), the versions each side
    saw, each side's final version, and LiveSearcher reloads. Raises nothing itself, so callers
    can assert on every number."""
    articles = write_articles(work / "articles", TINY)
    index = work / "index"
    build_index(articles, index, encoder="hash:64")
    live = LiveSearcher(index, "public", encoder="hash:64")
    stop_file, progress_file = work / "stop", work / "progress"
    other = _start_second_process(index, stop_file, progress_file)
    searching = _SearchThreads(live, threads)
    searching.start()
    built = [versions.current_version(index)]
    for n in range(rebuilds):
        _wait_for_more_searches(searching.records, progress_file)
        (articles / f"new-{n}.md").write_text(
            f"---\ntitle: 新功能说明 {n}\n---\n第 {n} 次更新的新功能说明。\n", encoding="utf-8"
        )
        built.append(build_index(articles, index, encoder="hash:64").version)
    _wait_for_more_searches(searching.records, progress_file)
    searching.stop()
    second = _second_process_result(other, stop_file)
    return {"threads": threads, "rebuilds": rebuilds, **_figures(index, built, searching, second)}


def _figures(index: Path, built: list[str], searching: _SearchThreads, second: dict) -> dict:
    records = searching.records
    allowed = {v: public_slugs(index, v) for v in built}
    everything = records + [tuple(r) for r in second["seen"]]
    inconsistent = [r for r in everything if r[0] not in allowed or not set(r[1]) <= allowed[r[0]]]
    return {
        "versions": built,
        "thread_searches": len(records),
        "process_searches": second["count"],
        "errors": searching.errors + second["errors"],
        "inconsistent": inconsistent,
        "versions_seen_by_threads": sorted({r[0] for r in records}),
        "versions_seen_by_process": sorted({r[0] for r in second["seen"]}),
        "final_thread_version": searching.live.version,
        "final_process_version": second["final"],
        "reloads": searching.live.reloads,
    }
