"""Section choice on a labelled set: does the answer card show the section that answers?

    python scripts/eval_sections.py [--index index] [--labels eval/sections.jsonl] [--top-k 5]

Each line of the labels file is {"query", "slug", "anchor"}: the article and the section (its
anchor; "top" for the intro) that answer the query. For each query the script searches the public
index and, when the labelled article is among the first `--top-k` answers, compares the anchor that
answer shows. Prints the share right with `Searcher.choose_sections` on (the shipped choice,
kb/retrieval/sections.py) and off (the section of the best retrieved chunk), and each query whose
section is wrong with the choice on. Run from the repository root with PYTHONPATH=. (or an
installed kb) so the checkout's kb is the one measured.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from kb import load_searcher

ROOT = Path(__file__).resolve().parent.parent


def shown_anchor(searcher, label: dict, top_k: int) -> str | None:
    """The anchor the answer for the labelled article shows, None when it is not in the top k."""
    for answer in searcher.search(label["query"], top_k=top_k):
        if answer.slug == label["slug"]:
            return answer.anchor
    return None


def answer_cost(searcher, labels: list[dict], top_k: int) -> float:
    """Median milliseconds of `Searcher.answers` (hits to answers: sections, snippets) per query,
    retrieval left out, with the searcher's current `choose_sections`."""
    times = []
    for label in labels:
        query = label["query"]
        hits = searcher.hybrid.search(
            searcher.prepare(query), searcher.settings.candidates_for(top_k)
        )
        for _ in range(5):
            start = time.perf_counter()
            searcher.answers(hits, query, top_k)
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    """Print found / right counts and shares for both choices, then the misses."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", default=str(ROOT / "index"))
    parser.add_argument("--labels", default=str(ROOT / "eval" / "sections.jsonl"))
    parser.add_argument("--top-k", type=int, default=5)
    args = parser.parse_args()
    labels = [json.loads(line) for line in Path(args.labels).read_text().splitlines() if line]
    searcher = load_searcher(args.index, "public")
    results = {}
    for choose_sections in (False, True):
        searcher.choose_sections = choose_sections
        results[choose_sections] = [shown_anchor(searcher, x, args.top_k) for x in labels]
    costs = {}
    for choose_sections in (False, True):
        searcher.choose_sections = choose_sections
        costs[choose_sections] = answer_cost(searcher, labels, args.top_k)
    found = sum(a is not None for a in results[True])
    print(f"{len(labels)} labelled queries, labelled article in the top {args.top_k}: {found}")
    for choose_sections, name in ((False, "best chunk's section"), (True, "best-matching heading")):
        right = sum(a == x["anchor"] for a, x in zip(results[choose_sections], labels, strict=True))
        print(
            f"{name:>24}: {right}/{found} right ({right / max(found, 1):.1%}); "
            f"hits to {args.top_k} answers: median {costs[choose_sections]:.2f} ms per query"
        )
    for label, anchor in zip(labels, results[True], strict=True):
        if anchor is not None and anchor != label["anchor"]:
            print(f"  wrong: {label['query']} -> {anchor} (labelled {label['anchor']})")


if __name__ == "__main__":
    main()
