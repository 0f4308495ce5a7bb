"""Median milliseconds of the index calls one hybrid search makes, on an index that already
exists: BM25 top-N, the coverage of its hits (which query words each hit holds), and the vector
top-N, for the sample's eval queries (eval/queries.jsonl).

    PYTHONPATH=. python scripts/bench_index_calls.py --index /tmp/inc16/incremental-100000/index

The index must have been built by one of the benchmarks' hash encoders (bench_speed.py,
bench_postgres_scale.py: picked from the index's manifest), a folder or a PostgreSQL URL. To
compare two commits, run it from a worktree of each, alternately, a few times: the calls are
pure CPU on a loaded index, so machine noise moves both alike within a round. The calls are
timed as bench_postgres_scale.py `split` times them (that function is reused).

`--bm25-parts` (PostgreSQL only) also splits BM25 top-N into its parts: fetching the query terms'
postings arrays with an empty term cache, fetching them again (cached), and summing them into the
top N, with the postings a query touches (docs/BENCHMARKS.md "1M chunks on PostgreSQL").
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
    parser.add_argument("--bm25-parts", action="store_true", help="PostgreSQL: BM25's parts")
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
    if args.bm25_parts:
        print(bm25_parts(searcher, queries))


def bm25_parts(searcher, queries: list[str]) -> str:
    """PostgreSQL BM25 top-N in parts, p50 over `queries`: term arrays fetched into an empty cache,
    fetched again (cached), summed into the top N; and the postings a query's terms hold."""
    import statistics
    import time

    from kb.index.postgres.terms import top_n
    from kb.text import query_tokens

    keyword, n = searcher.index.keyword, searcher.settings.candidates_for(10)
    if not hasattr(keyword, "terms"):
        raise SystemExit("--bm25-parts: the index is not a PostgreSQL one with term arrays")
    parts: dict[str, list[float]] = {"cold fetch": [], "cached fetch": [], "sum + top-N": []}
    postings = []
    for q in queries:
        terms = [t for t in query_tokens(searcher.prepare(q), searcher.keyword.text_settings) if t]
        if not terms:
            continue
        keyword.terms._cache.clear()
        keyword.terms._bytes = 0
        a = time.perf_counter()
        keyword.terms.get(terms)
        b = time.perf_counter()
        lists = keyword.terms.get(terms)
        c = time.perf_counter()
        top_n(lists, terms, keyword.count, n, None)
        d = time.perf_counter()
        for key, seconds in zip(parts, (b - a, c - b, d - c), strict=True):
            parts[key].append(seconds)
        postings.append(sum(len(chunks) for chunks, _ in lists.values()))
    return (
        "BM25 parts, p50 ms: "
        + " / ".join(f"{k} {1000 * statistics.median(v):.2f}" for k, v in parts.items())
        + f"; postings a query touches: p50 {statistics.median(postings):,.0f}, max {max(postings):,}"
    )


if __name__ == "__main__":
    main()
