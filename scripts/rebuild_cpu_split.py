"""CPU split of one incremental rebuild of the bench_speed help center, under cProfile's CPU clock.

    PYTHONPATH=. python scripts/rebuild_cpu_split.py <work>/incremental-100000

On a shared machine wall-clock stage times say little; this runs one rebuild (one more article
changed, on top of bench_speed.py --incremental's last round) with `cProfile.Profile(
time.process_time)` and prints the CPU seconds of the build's stages. The profiler slows Python
code several times, so read the shares, and scale them by the unprofiled CPU total of
bench_speed.py's table.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import pstats
import time
from pathlib import Path

from bench_speed import BenchEncoder, generate, write_faq

from kb import build_index

STAGES = ("_load", "_build_locked", "segments", "_fresh", "_partitions", "_write_version")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="bench_speed.py's incremental-<n> folder")
    parser.add_argument("--articles", type=int, default=100_000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    encoder = BenchEncoder.for_build()
    encoder.encode_passages(["预热"])
    rows = generate(args.articles, seed=11)
    for changed in (1, 10, 100):  # bench_speed.py's rounds
        for i in range(changed):
            rows[i * 37 % args.articles]["answer"] += f" 更新 {changed}-{i}。"
    rows[5]["answer"] += f" 更新 {time.time()}。"  # one article never seen before
    write_faq(args.folder / "faq", rows)
    profile = cProfile.Profile(time.process_time)
    wall, cpu = time.perf_counter(), time.process_time()
    profile.enable()
    report = build_index(args.folder / "faq", args.folder / "index", encoder=encoder)
    profile.disable()
    print(
        json.dumps(
            {
                "wall s": round(time.perf_counter() - wall, 2),
                "cpu s (profiled)": round(time.process_time() - cpu, 2),
                "changed": len(report.changed),
                "encoded": report.encoded,
            }
        )
    )
    stats = pstats.Stats(profile).stats
    for (path, _, name), row in sorted(stats.items(), key=lambda kv: -kv[1][3]):
        if name in STAGES and "kb/" in path:
            print(f"{path.split('kb/')[-1]}:{name} CPU {row[3]:.2f} s")


if __name__ == "__main__":
    main()
