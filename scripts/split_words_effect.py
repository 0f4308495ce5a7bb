"""Which queries of a labelled set the typo step's word splitting (kb/retrieval/typos.py
`split_word`, twenty-first session) rewrites: a query it leaves alone searches exactly as before,
so a set none of whose queries it touches has the same results, without re-encoding anything.

    python scripts/split_words_effect.py --banking77 ../shared/datasets/banking77
    python scripts/split_words_effect.py --bq ../shared/datasets/bq/dev.csv

Builds the set's FAQ table (as scripts/bench_quality.py does) with the deterministic hashing
encoder (the vocabulary, which is all the typo step reads, does not depend on the encoder), then
runs the query-kind rewrite of every query with and without splitting and prints the count and
the queries that differ.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_quality import banking77_dataset, bq_dataset

from kb import build_index, load_searcher
from kb.embed import HashingEncoder
from kb.retrieval import typos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--banking77", type=Path, help="folder with train.csv and test.csv")
    parser.add_argument("--bq", type=Path, help="BQ dev.csv")
    args = parser.parse_args()
    if not (args.banking77 or args.bq):
        parser.error("give --banking77 FOLDER or --bq FILE")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        dataset = (
            banking77_dataset(args.banking77, work) if args.banking77 else bq_dataset(args.bq, work)
        )
        encoder = HashingEncoder(64)
        build_index(dataset.source, work / "index", encoder=encoder)
        searcher = load_searcher(work / "index", encoder=encoder)
        split = typos.split_word

        def rewritten(query: str) -> str:
            searcher.kinds.rewrite.cache_clear()
            return searcher.kinds.rewrite(searcher.prepare(query))

        with_split = [rewritten(c.text) for c in dataset.cases]
        typos.split_word = lambda word, words: None
        try:
            without = [rewritten(c.text) for c in dataset.cases]
        finally:
            typos.split_word = split
    differ = [
        (c.text, a, b) for c, a, b in zip(dataset.cases, with_split, without, strict=True) if a != b
    ]
    print(f"{dataset.name}: {len(differ)} of {len(dataset.cases)} queries rewritten by splitting")
    for query, a, b in differ:
        print(f"  {query!r}: {b!r} -> {a!r}")


if __name__ == "__main__":
    main()
