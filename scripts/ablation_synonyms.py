"""The synonyms list on and off: the sample eval set per kind, on one built index.

    PYTHONPATH=. python scripts/ablation_synonyms.py [--index index] [--queries eval/queries.jsonl]

Evaluates the live version's searcher as built (with the articles folder's synonyms.txt) and the
same searcher with an empty list. A query no rule matches searches the same either way, so its
ranking is computed once and reused for both rows (the figures are the same as two full runs).
Prints a Markdown table: overall R@1/R@5/MRR@10 and R@5 per kind, and the hubness worst three;
then, for the list on (the product), R@1/R@5/MRR@10 per kind as `kb eval` prints them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kb import load_searcher
from kb.evaluation import figures_by, format_table, hubness, load_queries, metrics
from kb.ingest.synonyms import Synonyms

ROOT = Path(__file__).resolve().parent.parent


def ranked_both(searcher, queries) -> tuple[list[list[str]], list[list[str]]]:
    """(with the list, without it): top-10 slugs per query."""
    rules = searcher.synonyms
    with_list, without = [], []
    for q in queries:
        searcher.synonyms = rules
        slugs = [a.slug for a in searcher.search(q.text, top_k=10)]
        prepared = searcher.prepare(q.text)
        with_list.append(slugs)
        if searcher.rewrite(prepared) == (prepared, prepared):
            without.append(slugs)
            continue
        searcher.synonyms = Synonyms()
        without.append([a.slug for a in searcher.search(q.text, top_k=10)])
    searcher.synonyms = rules
    return with_list, without


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--queries", type=Path, default=ROOT / "eval" / "queries.jsonl")
    args = parser.parse_args()
    queries = load_queries(args.queries)
    searcher = load_searcher(args.index, "public")
    relevant = [q.relevant for q in queries]
    rows = dict(zip(("synonyms on", "synonyms off"), ranked_both(searcher, queries), strict=True))
    kinds = sorted({q.kind or "unknown" for q in queries})
    print(
        f"{len(queries)} queries, {len(searcher.synonyms.rules)} rules, index {searcher.version}\n"
    )
    print("| variant | R@1 | R@5 | MRR@10 | " + " | ".join(f"{k} R@5" for k in kinds) + " | hubs |")
    print("|---" * (len(kinds) + 5) + "|")
    for name, ranked in rows.items():
        m, by_kind = metrics(ranked, relevant), figures_by(queries, ranked, "kind")
        hubs = ", ".join(f"{s} {c}" for s, c, _ in hubness(ranked, relevant)["worst"][:3])
        cells = " | ".join(f"{by_kind[k]['recall@5']:.3f}" for k in kinds)
        print(
            f"| {name} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | {m['mrr@10']:.3f} | "
            f"{cells} | {hubs} |"
        )
    ranked = rows["synonyms on"]
    result = {**metrics(ranked, relevant), "by_kind": figures_by(queries, ranked, "kind")}
    result["hubness"] = hubness(ranked, relevant)
    print("\nSynonyms on, per kind (kb eval's lines):")
    print(format_table(result))


if __name__ == "__main__":
    main()
