"""The synonyms list on and off: the sample eval set per kind, on one built index.

    PYTHONPATH=. python scripts/ablation_synonyms.py [--index index] [--queries eval/queries.jsonl]

Evaluates the live version's searcher as built (with the articles folder's synonyms.txt: the
expansions go to the BM25 query only, the default), the same list applied to the dense query too
(`SearchSettings.dense_synonyms`, the default before 2026-11-30), and the same searcher with an
empty list. A query no rule matches searches the same in every row, so its ranking is computed
once and reused (the figures are the same as full runs). Prints a Markdown table: overall
R@1/R@5/MRR@10 and R@5 per kind, and the hubness worst three; then, for the product default,
R@1/R@5/MRR@10 per kind as `kb eval` prints them.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from kb import load_searcher
from kb.evaluation import figures_by, format_table, hubness, load_queries, metrics
from kb.ingest.synonyms import Synonyms

ROOT = Path(__file__).resolve().parent.parent
ROWS = ("synonyms on, BM25 query only (default)", "synonyms on, BM25 and dense", "synonyms off")


def ranked_variants(searcher, queries) -> dict[str, list[list[str]]]:
    """Top-10 slugs per query for each row: the list on BM25 only (the product), on both sides,
    and no list."""
    rules, settings = searcher.synonyms, searcher.settings
    both = replace(settings, dense_synonyms=True)
    rows: dict[str, list[list[str]]] = {ROWS[0]: [], ROWS[1]: [], ROWS[2]: []}
    for q in queries:
        slugs = [a.slug for a in searcher.search(q.text, top_k=10)]
        rows[ROWS[0]].append(slugs)
        searched = searcher.kinds.rewrite(searcher.prepare(q.text))  # as Searcher.search does
        if searcher.synonyms.rewrite(searched, searcher.known) == (searched, searched):
            rows[ROWS[1]].append(slugs)
            rows[ROWS[2]].append(slugs)
            continue
        searcher.settings = both
        rows[ROWS[1]].append([a.slug for a in searcher.search(q.text, top_k=10)])
        searcher.settings, searcher.synonyms = settings, Synonyms()
        rows[ROWS[2]].append([a.slug for a in searcher.search(q.text, top_k=10)])
        searcher.synonyms = rules
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--queries", type=Path, default=ROOT / "eval" / "queries.jsonl")
    args = parser.parse_args()
    queries = load_queries(args.queries)
    searcher = load_searcher(args.index, "public")
    relevant = [q.relevant for q in queries]
    if not searcher.synonyms.rules:
        raise SystemExit(f"{args.index}: the live version has no synonyms list; nothing to compare")
    rows = ranked_variants(searcher, queries)
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
    ranked = rows[ROWS[0]]
    result = {**metrics(ranked, relevant), "by_kind": figures_by(queries, ranked, "kind")}
    result["hubness"] = hubness(ranked, relevant)
    print(f"\n{ROWS[0]}, per kind (kb eval's lines):")
    print(format_table(result))


if __name__ == "__main__":
    main()
