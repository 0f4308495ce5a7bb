"""Resident memory of a full build over time, with the peak per build stage, on a synthetic help
center.

    python scripts/build_memory.py --chunks 100000

    python scripts/build_memory.py --chunks 1000000 --trace 2> trace.txt

    python scripts/build_memory.py --chunks 100000 --trace \
        --index postgresql://postgres@127.0.0.1:5491/kb_memory   # PostgreSQL (the database is
                                                                # replaced; scripts/postgres.py)

The peak (VmHWM, reset just before the build) is exact. A thread samples this process's RSS
(VmRSS, every 50 ms) while `kb.build_index` runs; the build's own stage timings
(`BuildReport.seconds`) then split the run into stages, so each stage gets the highest RSS sampled
while it ran. Only public functions are used: nothing of the build is patched. Stage boundaries
come from summed durations and spikes shorter than the sampling step are missed, so the stage
table is a guide and the overall peak is the figure. `--trace` also prints, to standard error, RSS
and the peak so far at the entry and exit of each step of writing a version (TRACED): it wraps
those functions to log, and changes nothing they do; this is how the 1M build's peak was found in
Postings.from_terms and not in FAISS (docs/BENCHMARKS.md "Build memory"). Data and vectors come
from scripts/bench_speed.py's generator and encoder.
"""

from __future__ import annotations

import argparse
import functools
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_speed import BenchEncoder, generate, rss_mb, write_faq

from kb import build_index

# stages in the order a full build runs them (kb/build/publish.py, kb/build/fresh.py,
# kb/index/files.py); "reuse" also holds the assembly of the partitions, which runs after
# tokenising, and is placed there, when there is nothing to reuse in a first build
ORDER = ("load", "chunk", "encode", "tokenize", "reuse", "bm25", "faiss", "write")
SAMPLE_SECONDS = 0.05


# (module, attribute) of the steps `--trace` logs: partitions, tables, segments, BM25, FAISS
TRACED = (
    ("kb.build.publish", "_fresh"),
    ("kb.build.publish", "_partitions"),
    ("kb.index.files", "write_partition"),
    ("kb.index.segfiles", "write_table"),
    ("kb.index.segfiles", "write_segments"),
    ("kb.index.segfiles", "_new_segment_data"),
    ("kb.index.postings", "Postings.from_terms"),
    ("kb.index.postings", "Postings.save"),
    ("kb.index.vectors", "FaissVectorIndex.build_parts"),
    ("kb.index.vectors", "FaissVectorIndex.save"),
    ("kb.index.ivfbuild", "add_presized"),
    ("kb.index.ivfbuild", "calibrate_nprobe"),
    ("kb.index.keyword", "KeywordIndex.from_terms"),
    ("kb.index.postgres.store", "PostgresStore.publish"),
    ("kb.index.postgres.write", "write_partition"),
    ("kb.index.postgres.write", "_write_postings"),
    ("kb.index.postgres.write", "_write_terms"),
    ("kb.index.postgres.write", "_write_vectors"),
)


def trace(started: float) -> None:
    """Wrap every TRACED step to print (seconds, step, RSS MB, peak MB) at its entry and exit."""
    import importlib

    def log(label: str) -> None:
        at = time.perf_counter() - started
        print(
            f"{at:9.1f} s  {label:40s} RSS {rss_mb():7.0f}  peak {rss_mb('VmHWM'):7.0f} MB",
            file=sys.stderr,
            flush=True,
        )

    def wrapped(function, label):
        @functools.wraps(function)
        def call(*args, **kwargs):
            log("> " + label)
            try:
                return function(*args, **kwargs)
            finally:
                log("< " + label)

        return call

    for module_name, path in TRACED:
        owner = importlib.import_module(module_name)
        *outer, name = path.split(".")
        for part in outer:
            owner = getattr(owner, part)
        raw = owner.__dict__[name]
        if isinstance(raw, classmethod):
            setattr(owner, name, classmethod(wrapped(raw.__func__, path)))
        else:
            setattr(owner, name, wrapped(raw, path))


class Sampler(threading.Thread):
    """Records (seconds since start, RSS MB, its anonymous part MB, its file-backed part MB: pages
    of memory-mapped files such as cache shards and spooled vectors) until stopped."""

    def __init__(self, started: float):
        super().__init__(daemon=True)
        self.started, self.samples = started, []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            at = time.perf_counter() - self.started
            self.samples.append((at, rss_mb(), rss_mb("RssAnon"), rss_mb("RssFile")))
            self.done.wait(SAMPLE_SECONDS)


def reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so the peak is the build's alone and not
    the generator's that ran before it."""
    Path("/proc/self/clear_refs").write_text("5")


def stage_peaks(samples: list[tuple], seconds: dict[str, float]) -> list[tuple]:
    """(stage, ends at s, peak RSS, peak anonymous, peak file-backed MB sampled while it ran) in
    run order."""
    rows, start = [], 0.0
    for stage in ORDER:
        end = start + seconds.get(stage, 0.0)
        inside = [sample[1:] for sample in samples if start <= sample[0] <= end]
        peaks = [max((s[i] for s in inside), default=float("nan")) for i in range(3)]
        rows.append((stage, end, *peaks))
        start = end
    return rows


def fresh_database(url: str) -> None:
    """Drop and create the database of `url` on its server (through the server's `postgres`
    database), so the build is a first build."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--trace", action="store_true", help="log RSS at each write step")
    parser.add_argument(
        "--index",
        help="build into this PostgreSQL database URL (dropped and created again first) "
        "instead of a temporary folder",
    )
    args = parser.parse_args()
    if args.index:
        fresh_database(args.index)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="kb-memory-") as tmp:
        table = Path(tmp) / "faq"
        write_faq(table, generate(args.chunks))
        encoder = BenchEncoder.for_build()  # titles hashed too: no model (bench_speed)
        encoder.encode_passages(["预热"])  # the hash table exists before the first stage
        reset_peak()
        baseline = rss_mb()
        started = time.perf_counter()
        if args.trace:
            trace(started)
        sampler = Sampler(started)
        sampler.start()
        location = args.index or Path(tmp) / "index"
        report = build_index(table, location, encoder=encoder, progress=lambda *a: None)
        sampler.done.set()
        sampler.join()
    vectors_mb = (report.chunks + report.articles) * encoder.dim * 4 / 2**20
    print(f"{args.chunks:,} chunks, {vectors_mb:.0f} MB of float32 vectors; RSS before the build")
    print(f"{baseline:.0f} MB (Python and the benchmark's 100 MB hash table)\n")
    print(
        "| stage (in run order) | ends at s | peak RSS while it ran MB | anonymous | file-backed |"
    )
    print("|---|---|---|---|---|")
    for stage, end, peak, anon, mapped in stage_peaks(sampler.samples, report.seconds):
        print(f"| {stage} | {end:.1f} | {peak:.0f} | {anon:.0f} | {mapped:.0f} |")
    peak = rss_mb("VmHWM")
    print(
        f"\npeak RSS {peak:.0f} MB = {(peak - baseline) / vectors_mb:.1f}x the vectors above baseline"
    )


if __name__ == "__main__":
    main()
