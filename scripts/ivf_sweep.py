"""Recall@10 and time of a built index's IVF at several nprobe values, against exact search.

    python scripts/ivf_sweep.py /tmp/kb-speed/n1000000/index

For an index built by scripts/bench_speed.py (--work keeps it): the queries are the same 200
sample eval queries, encoded by the benchmark's passage encoder. Shows what the build-time
calibration chose and what each larger nprobe would cost, so the recall/latency trade-off is
measured rather than guessed (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from bench_speed import BenchEncoder, recall_at_10

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path, help="index folder built by bench_speed.py")
    parser.add_argument("--nprobe", default="8,16,32,64,128")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    import faiss

    from kb.evaluation import load_queries
    from kb.index import load_index

    index = load_index(args.index, "public").vectors
    if not index.approximate:
        raise SystemExit(f"{args.index} has an exact index ({index.kind}); nothing to sweep")
    texts = [q.text for q in load_queries(ROOT / "eval" / "queries.jsonl")][: args.queries]
    queries = BenchEncoder(with_queries=False).encode_passages(texts)
    inner = index.faiss_index
    vectors = inner.reconstruct_n(0, inner.ntotal)
    started = time.perf_counter()
    exact_scores, _ = faiss.knn(queries, vectors, 10, faiss.METRIC_INNER_PRODUCT)
    exact_ms = 1000 * (time.perf_counter() - started) / len(queries)
    chosen = inner.nprobe
    print(f"{inner.ntotal:,} vectors, {inner.nlist} lists; calibrated nprobe {chosen}; ")
    print(f"exact search {exact_ms:.2f} ms/query (FAISS, all threads)\n")
    print("| nprobe | recall@10 | ms/query (one query at a time, one thread) |")
    print("|---|---|---|")
    faiss.omp_set_num_threads(1)
    for nprobe in [int(x) for x in args.nprobe.split(",")]:
        inner.nprobe = nprobe
        found, scores = [], []
        started = time.perf_counter()
        for q in queries:
            s, i = inner.search(q.reshape(1, -1), 10)
            scores.append(s[0])
            found.append(i[0])
        ms = 1000 * (time.perf_counter() - started) / len(queries)
        recall = recall_at_10(np.array(found), np.array(scores), exact_scores)
        mark = " (calibrated)" if nprobe == chosen else ""
        print(f"| {nprobe}{mark} | {recall:.3f} | {ms:.2f} |")


if __name__ == "__main__":
    main()
