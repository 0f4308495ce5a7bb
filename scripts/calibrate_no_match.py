"""Calibrate SearchSettings.min_dense_score: answerable eval queries vs. off-topic questions.

    python scripts/calibrate_no_match.py [--index index] [--queries eval/queries.jsonl]

Prints, per threshold, the share of answerable queries wrongly flagged "no good match" and the share
of off-topic questions correctly flagged.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kb import load_searcher
from kb.evaluation import load_queries

ROOT = Path(__file__).resolve().parent.parent

OFF_TOPIC = [
    "今天天气怎么样",
    "推荐一部好看的电影",
    "如何做红烧肉",
    "asdfghjkl",
    "what is the capital of France",
    "best pizza recipe",
    "股票明天会涨吗",
    "周杰伦的新歌",
    "how to learn guitar",
    "量子力学是什么",
    "你好",
    "hello",
    "谁赢了世界杯",
    "train tickets to Beijing",
    "猫为什么喜欢纸箱",
    "python list comprehension",
    "怎么减肥",
    "附近有什么好吃的",
    "write me a poem",
    "明天放假吗",
]


def best_score(searcher, query: str) -> float:
    return max((a.dense_score or 0.0 for a in searcher.search(query, top_k=3)), default=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--queries", type=Path, default=ROOT / "eval" / "queries.jsonl")
    args = parser.parse_args()
    searcher = load_searcher(args.index, "public")
    answerable = [best_score(searcher, q.text) for q in load_queries(args.queries)]
    off_topic = [best_score(searcher, q) for q in OFF_TOPIC]
    print(
        f"{len(answerable)} answerable eval queries, {len(off_topic)} off-topic questions; "
        f"current default {searcher.min_dense_score}\n"
    )
    print("| threshold | answerable flagged (false alarms) | off-topic flagged (caught) |")
    print("|---|---|---|")
    for threshold in (0.80, 0.82, 0.84, 0.85, 0.86, 0.88):
        wrong = sum(s < threshold for s in answerable) / len(answerable)
        caught = sum(s < threshold for s in off_topic) / len(off_topic)
        print(f"| {threshold:.2f} | {wrong:.3f} | {caught:.2f} |")


if __name__ == "__main__":
    main()
