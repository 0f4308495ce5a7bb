"""The synonyms list on and off, and the rule for short English queries: the sample eval set per
kind, on one built index.

    PYTHONPATH=. python scripts/ablation_synonyms.py [--index index] [--queries eval/queries.jsonl]

Evaluates the live version's searcher as built (with the articles folder's synonyms.txt) in each
of ROWS: the product default (the expansions go to the BM25 query; a short English query, at most
4 words against a help center mostly in Chinese that no English title answers, also gets the
Chinese expansions' vectors mixed into its own, weighed by the share of its words the rules
cover, and fuses at BM25 share 0.4: `Searcher.short_english`, `DenseRetriever.encode_bridged`);
the bridge at full weight; that and the English-title check by word parts (the rule as it was
first made default); without that rule
(`short_english_words=0`, the default before 2026-11-30 08:30); the rule at the usual share; the
list on the dense query's text of every query (`dense_synonyms`); and an empty list (other
settings default). Prints a Markdown table: overall R@1/R@5/MRR@10 and R@5 per kind, and the
hubness worst three; then, for the product default, R@1/R@5/MRR@10 per kind as `kb eval` prints them.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from kb import load_searcher
from kb.evaluation import figures_by, format_table, hubness, load_queries, metrics
from kb.ingest.synonyms import Synonyms
from kb.retrieval import no_match

ROOT = Path(__file__).resolve().parent.parent
ROWS = (
    "product default: synonyms on the BM25 query, short English queries bridged",
    "bridge at full weight (bridge_by_coverage=False)",
    "bridge at full weight, English titles matched by word parts (the default before 2026-11-30 12:00)",
    "without the short-English rule (short_english_words=0)",
    "short-English rule at the usual BM25 share 0.5",
    "synonyms on the BM25 and dense queries of every query",
    "synonyms off",
)


def ranked_variants(searcher, queries) -> dict[str, list[list[str]]]:
    """Top-10 slugs per query for each of ROWS."""
    rules, default = searcher.synonyms, searcher.settings
    whole_words = no_match.holds_word
    full = replace(default, bridge_by_coverage=False)
    variants = (
        (rules, default),
        (rules, full),
        (rules, full),
        (rules, replace(default, short_english_words=0)),
        (rules, replace(default, short_english_bm25_share=0.5)),
        (rules, replace(default, dense_synonyms=True)),
        (Synonyms(), default),
    )
    rows: dict[str, list[list[str]]] = {name: [] for name in ROWS}
    for name, (synonyms, settings) in zip(ROWS, variants, strict=True):
        searcher.synonyms, searcher.settings = synonyms, settings
        searcher.hybrid.settings = settings  # the fusion reads its own reference
        # the title check as it was: a content word anywhere in a title, even inside a word
        no_match.holds_word = no_match.contains if "word parts" in name else whole_words
        rows[name] = [[a.slug for a in searcher.search(q.text, top_k=10)] for q in queries]
    no_match.holds_word = whole_words
    searcher.synonyms, searcher.settings, searcher.hybrid.settings = rules, default, default
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
