"""BM25 over segments against bm25s on the same live chunks: CPU ms per query and score difference.

    python scripts/bench_bm25_segments.py INDEX [--role public] [--queries 200] [--rounds 3]

Loads the live version of INDEX (a file index), rebuilds the same partition's BM25 in bm25s's
format (`KeywordIndex.from_terms`) from the term counts of its live rows, and times `top(tokens,
50)` for the sample eval queries with both (process CPU time, so other load on the machine counts
less), then prints the largest absolute score difference.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from kb.evaluation import load_queries
from kb.index.keyword import DocTerms, KeywordIndex
from kb.index.load import load_index
from kb.text import tokens

ROOT = Path(__file__).resolve().parent.parent


def live_terms(keyword) -> DocTerms:
    """The term counts of every live chunk row, in row order, read back from the segments."""
    pieces, rows = [], []
    for segment, doc_rows in zip(keyword._segments, keyword._rows, strict=True):
        live = np.flatnonzero(doc_rows < keyword.count)
        pieces.append(segment.doc_terms(live))
        rows.append(doc_rows[live])
    return DocTerms.concat(pieces).take(np.argsort(np.concatenate(rows)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("--role", default="public")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    index = load_index(args.index, args.role)
    segmented = index.keyword
    reference = KeywordIndex.from_terms(live_terms(segmented))
    texts = [q.text for q in load_queries(ROOT / "eval" / "queries.jsonl")][: args.queries]
    queries = [tokens(t, index.manifest.text_settings) for t in texts]
    print(f"{index.chunk_count:,} chunks, {len(segmented._segments)} segment(s)")
    for name, keyword in (("segments", segmented), ("bm25s", reference)):
        started = time.process_time()
        for _ in range(args.rounds):
            for query in queries:
                keyword.top(query, 50)
        ms = (time.process_time() - started) / (args.rounds * len(queries)) * 1000
        print(f"{name}: {ms:.3f} ms CPU per query")
    diff = max(float(np.abs(segmented.scores(q) - reference.scores(q)).max()) for q in queries)
    print(f"largest score difference: {diff:.2e}")


if __name__ == "__main__":
    main()
