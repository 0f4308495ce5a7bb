"""Failover drill: searches go to the replica while the primary is killed (SIGKILL, with all its
processes: the machine is gone); they go on without a failure; the replica is promoted; the next
build succeeds there and its version is served."""

from __future__ import annotations

import contextlib
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import psutil

from kb import build_index, load_searcher
from kb.index import open_store
from kb.index.postgres import with_replicas
from kb.testing import TINY, write_articles

from .conftest import pg_script

ENCODER = "hash:64"


def _kill_primary(directory: Path) -> None:
    pid = int((directory / "primary" / "postmaster.pid").read_text().split()[0])
    server = psutil.Process(pid)
    children = server.children(recursive=True)
    server.send_signal(signal.SIGKILL)  # first, so it starts no new process
    for process in children:
        with contextlib.suppress(psutil.NoSuchProcess):  # a backend that had just ended
            process.send_signal(signal.SIGKILL)


def test_primary_killed_searches_continue_replica_promoted_build_succeeds(pg_cluster, tmp_path):
    directory = Path(tempfile.mkdtemp(prefix="kb-pg-failover-"))
    try:
        urls = dict(
            line.split(" ", 1)
            for line in pg_script("start", "--dir", str(directory)).strip().splitlines()
        )
        articles = write_articles(tmp_path / "articles", TINY)
        build_index(articles, urls["primary"], encoder=ENCODER)
        time.sleep(1)  # let the replica replay the build
        location = with_replicas(urls["primary"], [urls["replica"]])
        searcher = load_searcher(location, "public", encoder=ENCODER)
        counts = {"ok": 0, "failed": 0, "after_kill": 0}
        killed, stop = threading.Event(), threading.Event()

        def search_loop() -> None:
            while not stop.is_set():
                try:
                    assert searcher.search("忘记密码")[0].slug == "forgot-password"
                    counts["ok"] += 1
                    counts["after_kill"] += killed.is_set()
                except Exception:  # counted: the drill's figure is how many failed
                    counts["failed"] += 1

        threads = [threading.Thread(target=search_loop) for _ in range(2)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        _kill_primary(directory)
        killed.set()
        time.sleep(2.5)
        pg_script("promote", "--dir", str(directory))
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(30)
        assert counts["failed"] == 0 and counts["after_kill"] > 10, counts
        (articles / "after.md").write_text(
            "---\ntitle: 故障切换之后\n---\n切换后新建的文章。\n", "utf-8"
        )
        build_index(articles, urls["replica"], encoder=ENCODER)  # the promoted replica
        fresh = load_searcher(urls["replica"], "public", encoder=ENCODER)
        assert fresh.version == open_store(urls["replica"]).live_version() != searcher.version
        assert fresh.search("故障切换之后")[0].slug == "after"
    finally:
        pg_script("stop", "--dir", str(directory), check=False)
        shutil.rmtree(directory, ignore_errors=True)
