"""A rebuild takes the articles table's rows of unchanged articles from the version it reuses
(kb/index/columns.py `_reused`) and makes only the others: after every kind of edit the tables
equal a full build's, visibility included."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from kb import build_index
from kb.index import columns

from .test_incremental import partition, row, write
from .test_shared_segments import assert_equals_full_build


@pytest.fixture
def made(monkeypatch):
    """How many articles each call of `_metadata` made rows for."""
    sizes: list[int] = []
    metadata = columns._metadata

    def spy(articles):
        sizes.append(len(articles))
        return metadata(articles)

    monkeypatch.setattr(columns, "_metadata", spy)
    return sizes


def _setup(tmp_path, n=40):
    rng = random.Random(11)
    rows = [row(rng, i) for i in range(n)]
    rows[0]["visibility"], rows[1]["visibility"] = "public", "internal"
    table = write(tmp_path / "faq.jsonl", rows)
    index = tmp_path / "index"
    build_index(table, index, encoder="hash:32")
    return rows, table, index


EDITS = {
    "answer": (lambda rows: rows[3].update(answer=rows[3]["answer"] + " 改"), 1),
    "to-internal": (lambda rows: rows[0].update(visibility="internal"), 1),
    "to-public": (lambda rows: rows[1].update(visibility="public"), 1),
    "category": (lambda rows: rows[4].update(category="payments-new"), 1),
    "tags": (lambda rows: rows[5].update(tags="退款,refund"), 1),
    "line-moved": (lambda rows: rows.insert(0, rows.pop(9)), 10),  # rows 0-9 move down a line
}


@pytest.mark.parametrize("kind", list(EDITS))
def test_only_changed_rows_are_made_and_the_tables_equal_a_full_build(tmp_path, made, kind):
    rows, table, index = _setup(tmp_path)
    change, fresh = EDITS[kind]
    change(rows)
    write(table, rows)
    made.clear()
    build_index(table, index, encoder="hash:32")
    assert sum(made) <= 2 * fresh  # rows made: the changed articles', in one or both partitions
    public = pa.ipc.open_file(partition(index, "public") / "articles.arrow").read_all()
    visible = dict(zip(public["slug"].to_pylist(), public["visibility"].to_pylist(), strict=True))
    assert set(visible.values()) == {"public"}
    assert ("a0" in visible) == (kind != "to-internal") and ("a1" in visible) == (
        kind == "to-public"
    )
    assert_equals_full_build(tmp_path, table, index)


def test_an_unreadable_previous_table_makes_every_row(tmp_path, made):
    assert columns._reused([], tmp_path / "missing.arrow") is None
    (tmp_path / "bad.arrow").write_bytes(b"not arrow")
    assert columns._reused([], tmp_path / "bad.arrow") is None
    index = _setup(tmp_path)[2]
    old = partition(index, "all") / "articles.arrow"
    made.clear()
    assert columns._made([], None).num_rows == 0 and made == [0]
    reused = columns._reused([], old)
    assert reused is not None and reused.num_rows == 0


def test_the_column_order_is_the_tables():
    assert tuple(columns._metadata_lists([])) == columns.METADATA_COLUMNS


def test_a_renamed_file_or_a_moved_line_is_published_where_it_now_is(tmp_path):
    """Neither changes a content hash, yet the version must point at the article's new file and
    line (the editor's links); an unchanged rebuild still publishes nothing."""
    _, table, index = _setup(tmp_path)
    first = build_index(table, index, encoder="hash:32")
    assert not first.published  # nothing changed, nothing moved
    renamed = table.rename(tmp_path / "faq-renamed.jsonl")
    report = build_index(renamed, index, encoder="hash:32")
    assert report.published and report.encoded == 0 and report.moved and not first.moved
    assert "files or lines moved" in report.summary()
    public = pa.ipc.open_file(partition(index, "all") / "articles.arrow").read_all()
    assert {s.rsplit("/", 1)[-1] for s in public["source"].to_pylist()} == {"faq-renamed.jsonl"}
    assert_equals_full_build(tmp_path, renamed, index)
