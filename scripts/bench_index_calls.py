"""Median milliseconds of the index calls one hybrid search makes, on an index that already
exists: BM25 top-N, the coverage of its hits (which query words each hit holds), and the vector
top-N, for the sample's eval queries (eval/queries.jsonl).

    PYTHONPATH=. python scripts/bench_index_calls.py --index /tmp/inc16/incremental-100000/index

The index must have been built by one of the benchmarks' hash encoders (bench_speed.py,
bench_postgres_scale.py: picked from the index's manifest), a folder or a PostgreSQL URL. To
compare two commits, run it from a worktree of each, alternately, a few times: the calls are
pure CPU on a loaded index, so machine noise moves both alike within a round. The calls are
timed as bench_postgres_scale.py `split` times them (that function is reused).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent
sys.path.insert(0, str(ROOT))  # this checkout's kb, not another one installed in the venv

from bench_postgres_scale import ScaleEncoder, split  # noqa: E402
from bench_speed import BenchEncoder  # noqa: E402


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", required=True, help="an index folder or database URL")
    parser.add_argument("--queries", type=int, default=582, help="the first N eval queries")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from kb import describe_index, load_searcher
    from kb.evaluation import load_queries

    built_by = describe_index(args.index).live.encoder["id"]
    encoders = {cls.id: cls for cls in (BenchEncoder, ScaleEncoder)}
    if built_by not in encoders:
        raise SystemExit(
            f"--index {args.index}: built by encoder {built_by!r}; this benchmark reads indexes "
            f"built by {sorted(encoders)} (bench_speed.py, bench_postgres_scale.py)"
        )
    searcher = load_searcher(args.index, "public", encoder=encoders[built_by](with_queries=False))
    queries = [q.text for q in load_queries(ROOT / "eval" / "queries.jsonl")][: args.queries]
    split(searcher, queries)  # warm: postings pages, caches, jieba
    for _ in range(args.rounds):
        parts = split(searcher, queries)
        print(" / ".join(f"{name} {ms:.2f}" for name, ms in parts.items()), "ms p50", flush=True)


if __name__ == "__main__":
    main()
