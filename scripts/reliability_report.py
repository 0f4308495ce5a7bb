"""Figures for docs/RELIABILITY.md: the size of the bad-input corpus, the crash points, and a run of
concurrent searches while the index is rebuilt and switched.

    python scripts/reliability_report.py [--threads 4] [--rebuilds 3]

The pass/fail proof is the test suite (`python -m pytest`); this prints the numbers of one run.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from kb.faults import COMPACT_FAULT_POINTS, FAULT_POINTS, ROLLBACK_FAULT_POINTS
from kb.testing.concurrency import run_concurrent_rebuilds
from kb.testing.corpora import ACCEPTED, BAD, MUTATION_EXAMPLES, QUERIES, probes

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rebuilds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kb-reliability-"))
    try:
        figures = run_concurrent_rebuilds(work, args.threads, args.rebuilds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| figure | value |\n|---|---|")
    rows = {
        "bad article inputs refused with path:line (kinds)": len(BAD),
        "unusual inputs accepted and indexed correctly (kinds)": len(ACCEPTED),
        "random FAQ-table mutations per run checked never to publish an internal row": (
            f"{MUTATION_EXAMPLES} (CSV, XLSX, JSONL)"
        ),
        "crash points tested with SIGKILL (build / rollback / cache compaction)": (
            f"{len(FAULT_POINTS + ROLLBACK_FAULT_POINTS + COMPACT_FAULT_POINTS)} "
            f"({len(FAULT_POINTS)} / {len(ROLLBACK_FAULT_POINTS)} / {len(COMPACT_FAULT_POINTS)}: "
            f"{', '.join(FAULT_POINTS + ROLLBACK_FAULT_POINTS + COMPACT_FAULT_POINTS)})"
        ),
        "hostile query kinds": len(QUERIES),
        "leak probes per channel (library, CLI, rendered page)": len(probes(ROOT / "articles")),
        "searching threads + processes during rebuilds": f"{args.threads} + 1",
        "rebuilds and switches while searching": args.rebuilds,
        "searches during rebuilds (threads / second process)": " / ".join(
            str(figures[k]) for k in ("thread_searches", "process_searches")
        ),
        "versions seen without restart (threads / process)": " / ".join(
            str(len(figures[k])) for k in ("versions_seen_by_threads", "versions_seen_by_process")
        ),
        "errors seen": len(figures["errors"]),
        "answers not from one complete version": len(figures["inconsistent"]),
    }
    for name, value in rows.items():
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
