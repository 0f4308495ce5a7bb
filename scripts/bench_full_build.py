"""One full build of bench_speed.py's generated help center into a fresh index, timed: wall and CPU
seconds, the build's own stage seconds, and the disk the version takes (each file counted once,
so hard links between the partitions are not counted twice).

    PYTHONPATH=. python scripts/bench_full_build.py --articles 100000 --work /tmp/full [--tag main]

Run it alternately in a worktree of another commit and in this one for a paired comparison (the
generated sources are reused from `--work`; each run builds into its own fresh index folder, so
every vector is encoded again by the benchmark's hashing encoder, which takes microseconds).
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

from bench_speed import BenchEncoder, generate, write_faq

from kb import build_index


def distinct_bytes(folder: Path) -> int:
    """Bytes of the regular files under `folder`, each inode once."""
    files = {}
    for path in folder.rglob("*"):
        if path.is_file():
            info = path.stat()
            files[info.st_ino] = info.st_size
    return sum(files.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--work", type=Path, required=True, help="sources are kept here")
    parser.add_argument("--tag", default="run", help="names the index folder and the output")
    args = parser.parse_args()
    faq = args.work / f"faq-{args.articles}"
    if not faq.exists():
        args.work.mkdir(parents=True, exist_ok=True)
        write_faq(faq, generate(args.articles, seed=11))
    index = args.work / f"index-{args.tag}"
    shutil.rmtree(index, ignore_errors=True)
    wall, cpu = time.perf_counter(), time.process_time()
    report = build_index(faq, index, encoder=BenchEncoder.for_build())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    version = index / report.version
    print(
        json.dumps(
            {
                "tag": args.tag,
                "commit": os.popen("git rev-parse --short HEAD").read().strip(),
                "articles": args.articles,
                "wall s": round(wall, 2),
                "cpu s": round(cpu, 2),
                "stages s": {k: round(v, 2) for k, v in report.seconds.items()},
                "version MB": distinct_bytes(version) >> 20,
            }
        )
    )
    shutil.rmtree(index, ignore_errors=True)


if __name__ == "__main__":
    main()
