"""One-article rebuilds of a 100k help center, paired between two checkouts on one machine.

    PYTHONPATH=. python scripts/bench_rebuild_pairs.py --base <worktree of another commit> \
        --work <work> [--articles 100000] [--processes 6] [--rebuilds 3]

Timings on a shared machine swing by a factor of two from minute to minute, so a figure from one
run cannot be compared with one from another hour. This runs the two checkouts alternately
(`--processes` each, this checkout first in odd pairs, the base first in even ones), each process
rebuilding its own copy of the same help center `--rebuilds` times after one warm-up rebuild,
one changed article each (a random row of a random file, as an editor's day of single edits),
and prints the medians of both: wall and CPU seconds and the build's own steps. With
`--load-only` each round times only loading the sources (`load_report` through the source
cache, the collector paused as the build pauses it): the step with the most spread.

`<work>/incremental-<articles>` is the help center `scripts/bench_speed.py --incremental
<articles> --keep-built --work <work>` leaves (sources and a built index); it is copied to
`<work>/pair-base` and `<work>/pair-head` once (1.3 GB each at 100k). Prints one JSON line per
rebuild, then the medians; `--child` is the per-process mode the script calls itself with.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
STEPS = ("load", "reuse", "write", "compact")


def edit(folder: Path, rng: random.Random) -> None:
    """Append a sentence to the answer of one random row of one random source file."""
    part = rng.choice(sorted((folder / "faq").glob("part-*.jsonl")))
    lines = part.read_text(encoding="utf-8").splitlines()
    at = rng.randrange(len(lines))
    row = json.loads(lines[at])
    row["answer"] += f" 改 {time.time()}。"
    lines[at] = json.dumps(row, ensure_ascii=False)
    part.write_text("\n".join(lines) + "\n", encoding="utf-8")


def child(tree: Path, folder: Path, rebuilds: int, load_only: bool = False) -> None:
    """In this process: one warm-up rebuild, then `rebuilds` timed ones, with the kb of `tree`
    (`load_only`: only the sources' load of each)."""
    sys.path[:0] = [str(tree), str(tree / "scripts")]
    from bench_speed import BenchEncoder

    import kb
    from kb import build_index
    from kb.ingest import load_report

    assert Path(kb.__file__).is_relative_to(tree), f"kb imported from {kb.__file__}, not {tree}"
    encoder, rng = BenchEncoder.for_build(), random.Random()
    for k in range(rebuilds + 1):
        edit(folder, rng)
        if load_only:
            gc.disable()  # as build_index pauses it while the sources load
        cpu, wall = time.process_time(), time.perf_counter()
        if load_only:
            load_report(folder / "faq", cache_dir=folder / "index" / "cache")
            report = None
        else:
            report = build_index(folder / "faq", folder / "index", encoder=encoder)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        gc.enable()
        if k:
            seconds = {} if report is None else report.seconds
            steps = {s: round(seconds.get(s, wall if s == "load" else 0.0), 3) for s in STEPS}
            print(
                json.dumps(
                    {"tree": str(tree), "wall": round(wall, 3), "cpu": round(cpu, 3), **steps}
                )
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, help="a checkout of the other commit (required)")
    parser.add_argument("--work", type=Path, help="required; see above")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=6, help="processes per checkout")
    parser.add_argument("--rebuilds", type=int, default=3, help="timed rebuilds per process")
    parser.add_argument("--load-only", action="store_true", help="time only loading the sources")
    parser.add_argument("--child", nargs=2, metavar=("TREE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.rebuilds, args.load_only)
        return
    if args.base is None or args.work is None:
        parser.error("--base and --work are required")
    source = args.work / f"incremental-{args.articles}"
    if not (source / "index" / "CURRENT").exists():
        sys.exit(f"{source} has no built index: run scripts/bench_speed.py --incremental first")
    trees = {"head": HERE, "base": args.base.resolve()}
    for name in trees:
        if not (args.work / f"pair-{name}").exists():
            shutil.copytree(source, args.work / f"pair-{name}")
    rows = []
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for i in range(args.processes):
        for name in ("head", "base") if i % 2 == 0 else ("base", "head"):
            command = [sys.executable, __file__, "--child", str(trees[name])]
            command += [str(args.work / f"pair-{name}"), "--rebuilds", str(args.rebuilds)]
            command += ["--load-only"] if args.load_only else []
            out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            for line in out.stdout.splitlines():
                rows.append({**json.loads(line), "tree": name})
                print(json.dumps(rows[-1]), flush=True)
    for name in trees:
        mine = [r for r in rows if r["tree"] == name]
        medians = {
            k: round(statistics.median(r[k] for r in mine), 2) for k in ("wall", "cpu", *STEPS)
        }
        print(f"{name} ({trees[name]}): {len(mine)} rebuilds, medians {json.dumps(medians)}")


if __name__ == "__main__":
    main()
