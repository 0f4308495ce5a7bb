"""Content gaps: no-good-match queries grouped by meaning, exported safely."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from kb.analytics import Analytics, to_csv
from kb.analytics.gaps import cluster, content_gaps, gaps_frame

TOPICS = {  # wording -> topic; the fake encoder places each topic on its own axis
    "信用卡怎么还款": 0,
    "信用卡还款失败": 0,
    "信用卡 还款 日期": 0,
    "credit card repayment": 0,
    "账户被冻结了": 1,
    "为什么冻结我的账户": 1,
    "=HYPERLINK(x)": 2,
}


class TopicEncoder:
    """Each wording's vector: its topic's axis plus a little wording-specific noise (unit rows)."""

    id, dim = "topics", 8

    def encode_queries(self, texts):
        rows = []
        for text in texts:
            rng = np.random.default_rng(abs(hash(text)) % 2**32)
            v = np.zeros(self.dim, dtype=np.float32)
            v[TOPICS[text]] = 1.0
            v += rng.normal(0, 0.05, self.dim).astype(np.float32)
            rows.append(v / np.linalg.norm(v))
        return np.stack(rows)


def test_cluster_cuts_at_the_threshold():
    a, b = np.eye(4, dtype=np.float32)[:2]
    near = (a + 0.1 * b) / np.linalg.norm(a + 0.1 * b)
    vectors = np.stack([a, near, b])
    labels = cluster(vectors, threshold=0.3)
    assert labels[0] == labels[1] != labels[2]
    assert len(set(cluster(vectors, threshold=1.5))) == 1
    assert cluster(vectors[:1]).tolist() == [0] and cluster(vectors[:0]).tolist() == []


def log(store, query, times, good=False):
    for _ in range(times):
        store.log_search(query, "public", 3, "some-article", good)


def test_no_match_queries_are_grouped_by_meaning_with_counts(tmp_path):
    store = Analytics(tmp_path / "a.sqlite")
    log(store, "信用卡怎么还款", 9)
    log(store, "信用卡还款失败", 5)
    log(store, "信用卡 还款 日期", 2)
    log(store, "credit card repayment", 7)
    log(store, "账户被冻结了", 3)
    log(store, "为什么冻结我的账户", 1)
    log(store, "信用卡怎么还款", 4, good=True)  # good matches are not gaps
    log(store, "账户被冻结了", 2)
    gaps = content_gaps(store, TopicEncoder(), days=7)
    assert [(g.topic, g.questions, g.distinct) for g in gaps] == [
        ("信用卡怎么还款", 23, 4),
        ("账户被冻结了", 6, 2),
    ]
    assert gaps[0].examples == ("credit card repayment", "信用卡还款失败", "信用卡 还款 日期")


def test_agents_searches_are_not_counted_for_customers(tmp_path):
    store = Analytics(tmp_path / "a.sqlite")
    store.log_search("账户被冻结了", "agent", 0, None, False)
    assert content_gaps(store, TopicEncoder(), role="public") == []
    assert [g.questions for g in content_gaps(store, TopicEncoder(), role="agent")] == [1]


def test_the_csv_export_neutralises_formula_cells(tmp_path):
    store = Analytics(tmp_path / "a.sqlite")
    log(store, "=HYPERLINK(x)", 2)
    log(store, "账户被冻结了", 1)
    frame = gaps_frame(content_gaps(store, TopicEncoder()))
    back = pd.read_csv(io.BytesIO(to_csv(frame)), dtype=str)
    assert list(back.columns) == ["topic", "questions", "distinct", "examples", "last_seen"]
    assert back["topic"].tolist() == ["'=HYPERLINK(x)", "账户被冻结了"]
