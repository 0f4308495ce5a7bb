"""The articles table's columns, made from Article objects: for the Arrow table of a partition
(kb/index/files.py) and for a backend that copies rows (kb/index/postgres/write.py)."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from ..model import Article
from .segment import Segment


def partition_articles(articles: list[Article], segment: Segment, shared: dict) -> pa.Table:
    """The articles table's columns. The metadata columns of a publish's articles are made once
    (`shared`: the first partition's article list and table, and for another partition the row
    of each of its articles there) and taken by row for the other partition: 100,000 articles
    cost about 0.3 CPU s per pass."""
    if not shared:
        shared["articles"], shared["table"] = articles, pa.table(_metadata(articles))
    table = shared["table"]
    if articles is not shared["articles"]:  # another partition: its rows of the first one's
        if "rows" not in shared:
            shared["rows"] = {id(a): i for i, a in enumerate(shared["articles"])}
        rows = np.fromiter((shared["rows"].get(id(a), -1) for a in articles), np.int64)
        table = pa.table(_metadata(articles)) if (rows < 0).any() else table.take(rows)
    starts = np.cumsum(segment.section_counts) - segment.section_counts
    table = table.append_column("section_start", pa.array(starts.astype(np.int32)))
    return table.append_column("section_count", pa.array(segment.section_counts.astype(np.int32)))


def _metadata_lists(articles: list[Article]) -> dict[str, list]:
    """The per-article string columns of the articles table as lists, in article order (enum
    values read as `_value_`, a plain attribute: the `value` property costs a Python call per
    article)."""
    columns = {name: [getattr(a, name) for a in articles] for name in ("slug", "title", "category")}
    columns["language"] = [a.language._value_ for a in articles]
    columns["visibility"] = [a.visibility._value_ for a in articles]
    for name in ("url", "updated"):
        columns[name] = [getattr(a, name) for a in articles]
    columns["tags"] = [
        json.dumps(list(a.tags), ensure_ascii=False) if a.tags else "[]" for a in articles
    ]
    for name in ("source", "translation_of", "content_hash"):
        columns[name] = [getattr(a, name) for a in articles]
    return columns


def _metadata(articles: list[Article]) -> dict:
    """`_metadata_lists` as Arrow string arrays, plus `body_line` (int32)."""
    out = {
        name: pa.array(values, pa.string()) for name, values in _metadata_lists(articles).items()
    }
    return {**out, "body_line": pa.array(np.array([a.body_line for a in articles], np.int32))}


def article_columns(articles: list[Article], segment: Segment) -> dict:
    """Every column of the articles table as plain values (lists of str; int32 NumPy arrays for
    `body_line`, `section_start`, `section_count`), row i for `articles[i]`: what a backend that
    copies rows (kb/index/postgres/write.py) needs."""
    starts = np.cumsum(segment.section_counts) - segment.section_counts
    return {
        **_metadata_lists(articles),
        "body_line": np.array([a.body_line for a in articles], dtype=np.int32),
        "section_start": starts.astype(np.int32),
        "section_count": segment.section_counts.astype(np.int32),
    }
