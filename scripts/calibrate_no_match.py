"""Calibrate "no good match": answerable eval queries vs. off-topic questions.

    python scripts/calibrate_no_match.py [--index index] [--queries eval/queries.jsonl] \
        [--off-topic eval/off_topic.txt]

`--queries` may also be plain text (.txt, one answerable question a line, `#` comments), e.g.
eval/name_probe_answerable.txt. `--no-cjk` keeps the questions of both files that have no CJK
character: the English ones, which the product judges by MIN_DENSE_SCORE_ACROSS (kb/options.py).

Searches every question once (top 3, public role), then judges the answers at each cosine
threshold two ways: the cosine alone (the rule before issue 17) and the product's rule
(`Searcher.good_match`, kb/retrieval/no_match.py: content words of the rewritten query, lexical
coverage of the top answers, by those words or their synonyms in the list, then the cosine).
Prints, per threshold and rule, the share of answerable queries wrongly flagged "no good match"
(false alarms) and the share of off-topic questions flagged (caught), and the off-topic questions
the product's rule misses at the current threshold.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kb import load_searcher
from kb.evaluation import load_queries
from kb.text import CJK_RUN_RE

ROOT = Path(__file__).resolve().parent.parent
THRESHOLDS = (0.80, 0.82, 0.83, 0.84, 0.845, 0.85, 0.86, 0.88, 0.90)


def off_topic(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--queries", type=Path, default=ROOT / "eval" / "queries.jsonl")
    parser.add_argument("--off-topic", type=Path, default=ROOT / "eval" / "off_topic.txt")
    parser.add_argument(
        "--no-cjk",
        action="store_true",
        help="keep only questions without a CJK character (English ones, for the threshold of "
        "queries that cross languages: MIN_DENSE_SCORE_ACROSS)",
    )
    args = parser.parse_args()
    searcher = load_searcher(args.index, "public")
    # answerable questions: an eval file (JSONL), or plain lines (.txt) when no labels are needed
    texts = (
        off_topic(args.queries)
        if args.queries.suffix == ".txt"
        else [q.text for q in load_queries(args.queries)]
    )
    others = off_topic(args.off_topic)
    if args.no_cjk:
        texts, others = ([q for q in qs if CJK_RUN_RE.search(q) is None] for qs in (texts, others))
    answerable = [(q, searcher.search(q, top_k=3)) for q in texts]
    others = [(q, searcher.search(q, top_k=3)) for q in others]
    print(
        f"{len(answerable)} answerable eval queries, {len(others)} off-topic questions; "
        f"current threshold {searcher.min_dense_score()} "
        f"(a query without CJK: {searcher.min_dense_score('a')})\n"
    )
    print("| cosine threshold | rule | answerable flagged (false alarms) | off-topic caught |")
    print("|---|---|---|---|")
    for threshold in THRESHOLDS:
        for name, with_query in (("cosine alone", False), ("content + coverage + cosine", True)):

            def flagged(pairs, threshold=threshold, with_query=with_query):
                return sum(
                    not searcher.good_match(a, q if with_query else None, threshold)
                    for q, a in pairs
                ) / len(pairs)

            print(
                f"| {threshold:.3f} | {name} | {flagged(answerable):.3f} | {flagged(others):.3f} |"
            )
    missed = [q for q, a in others if searcher.good_match(a, q)]
    alarms = [q for q, a in answerable if not searcher.good_match(a, q)]
    print(f"\noff-topic questions judged a good match by the product: {missed}")
    print(f"answerable queries flagged by the product: {alarms}")
    for name, pairs, wrong in (("answerable", answerable, alarms), ("off-topic", others, missed)):
        print(f"the product's thresholds: {name} judged wrong {len(wrong)} of {len(pairs)}")


if __name__ == "__main__":
    main()
