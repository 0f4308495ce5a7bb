"""The articles table's columns, made from Article objects: for the Arrow table of a partition
(kb/index/files.py) and for a backend that copies rows (kb/index/postgres/write.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..model import Article
from .catalog import int_column, read_table
from .segment import Segment, positions

# the per-article string columns of the articles table, in order (`_metadata_lists`)
METADATA_COLUMNS = (
    "slug",
    "title",
    "category",
    "language",
    "visibility",
    "url",
    "updated",
    "tags",
    "source",
    "translation_of",
    "content_hash",
)


def partition_articles(
    articles: list[Article], segment: Segment, shared: dict, previous: Path | None = None
) -> pa.Table:
    """The articles table's columns. The metadata columns of a publish's articles are made once
    (`shared`: the first partition's article list and table, and for another partition the row
    of each of its articles there) and taken by row for the other partition: 100,000 articles
    cost about 0.3 CPU s per pass. `previous`: the articles table of the version the segment's
    reused rows come from; the rows of unchanged articles are taken from it (`_reused`)."""
    if not shared:
        shared["articles"], shared["table"] = articles, _made(articles, previous)
    table = shared["table"]
    if articles is not shared["articles"]:  # another partition: its rows of the first one's
        if "rows" not in shared:
            shared["rows"] = {id(a): i for i, a in enumerate(shared["articles"])}
        rows = np.fromiter((shared["rows"].get(id(a), -1) for a in articles), np.int64)
        table = _made(articles, previous) if (rows < 0).any() else table.take(rows)
    starts = np.cumsum(segment.section_counts) - segment.section_counts
    table = table.append_column("section_start", pa.array(starts.astype(np.int32)))
    return table.append_column("section_count", pa.array(segment.section_counts.astype(np.int32)))


def _made(articles: list[Article], previous: Path | None) -> pa.Table:
    """The metadata columns of `articles`: `_reused` from `previous` when it can, else made."""
    table = None if previous is None else _reused(articles, previous)
    return pa.table(_metadata(articles)) if table is None else table


def _reused(articles: list[Article], previous: Path) -> pa.Table | None:
    """The metadata columns of `articles` (`_metadata`'s table) with the rows of unchanged
    articles taken from the `previous` articles table, as a rebuild takes their sections and
    chunks: an article is unchanged when its slug, content hash, source and body line are the
    stored ones (the content hash covers every other column, visibility included). None when
    `previous` cannot be read or lacks a column: the caller makes every row."""
    try:
        old = read_table(previous).select([*METADATA_COLUMNS, "body_line"])
    except (OSError, ValueError, KeyError):  # pyarrow's ArrowInvalid and KeyError: not usable
        return None
    hashes = pa.array([a.content_hash for a in articles], pa.string())
    slugs = pa.array([a.slug for a in articles], pa.string())
    found = positions(slugs, old.column("slug"))
    taken = old.take(pa.array(np.maximum(found, 0)))
    same = (found >= 0) & _equal(taken.column("content_hash"), hashes)
    same &= _equal(taken.column("source"), pa.array([a.source for a in articles], pa.string()))
    lines = np.array([a.body_line for a in articles], np.int32)
    same &= int_column(taken, "body_line").astype(np.int32) == lines
    redo = np.flatnonzero(~same)
    if not redo.size:
        return taken
    fresh = pa.table(_metadata([articles[i] for i in redo])).cast(taken.schema)
    order = np.empty(len(articles), np.int64)  # row i's place in (kept rows, fresh rows)
    keep = np.flatnonzero(same)
    order[keep], order[redo] = np.arange(len(keep)), len(keep) + np.arange(len(redo))
    return pa.concat_tables([taken.take(pa.array(keep)), fresh]).take(pa.array(order))


def _equal(left: pa.ChunkedArray | pa.Array, right: pa.Array) -> np.ndarray:
    """Element-wise equality of two string columns as a bool array (null never equal)."""
    return pc.equal(left, right).fill_null(False).to_numpy(zero_copy_only=False).astype(bool)


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
