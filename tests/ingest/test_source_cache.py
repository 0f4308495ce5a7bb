"""Issue 16 part 1: sources whose bytes did not change are not parsed again (kb/ingest/sourcecache.py).

Every case compares the cached load with a load without the cache (the same articles, notices and
problems) and counts the parses: whole files through `load_file`, table rows through `row_article`.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import os
import pickle

import openpyxl
import pytest

import kb.ingest.faq as faq
import kb.ingest.loader as loader
import kb.ingest.sourcecache as sourcecache
from kb.errors import ValidationError
from kb.ingest import load_articles, load_report
from kb.ingest.loader import table_entries
from kb.options import LIMITS, Visibility

ROWS = [
    ["如何修改登录密码", "在设置页点击修改密码。", "public"],
    ["How do I reset my password?", "Click 'Forgot password' on the sign-in page.", "public"],
    ["怎么退款", "在订单页点击申请退款。", "internal"],
    ["退款要多久", "一般 1-3 个工作日到账。", "public"],
]
MARKDOWN = "---\ntitle: 提现手续费\nsidebar_position: 3\n---\n提现收取 1% 手续费。\n"


def _csv(rows, header=("question", "answer", "visibility")) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([list(header), *rows])
    return out.getvalue()


@pytest.fixture
def root(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "faq.csv").write_text(_csv(ROWS), encoding="utf-8")
    (folder / "fees.md").write_text(MARKDOWN, encoding="utf-8")
    return folder


@pytest.fixture
def counts(monkeypatch):
    """Files and table rows parsed, counted."""
    seen = {"files": 0, "rows": 0}
    load_file, row_article = loader.load_file, faq.row_article

    def count_file(*args, **kwargs):
        seen["files"] += 1
        return load_file(*args, **kwargs)

    def count_row(*args, **kwargs):
        seen["rows"] += 1
        return row_article(*args, **kwargs)

    monkeypatch.setattr(loader, "load_file", count_file)
    monkeypatch.setattr(faq, "row_article", count_row)
    return seen


def _same_as_uncached(root, cache):
    """Load with the cache; assert articles, notices and content hashes equal a fresh parse."""
    cached, fresh = load_report(root, cache_dir=cache), load_report(root)
    assert cached.articles == fresh.articles
    assert [a.content_hash for a in cached.articles] == [a.content_hash for a in fresh.articles]
    assert cached.notices == fresh.notices and cached.problems == fresh.problems
    return cached


def _reset(counts):
    counts["files"] = counts["rows"] = 0


def test_unchanged_sources_are_not_parsed_again(root, tmp_path, counts):
    cache = tmp_path / "cache"
    first = load_report(root, cache_dir=cache)
    assert counts == {"files": 2, "rows": len(ROWS)}
    _reset(counts)
    again = load_report(root, cache_dir=cache)
    assert counts == {"files": 0, "rows": 0}
    assert again.articles == first.articles and again.notices == first.notices
    # the notices of a full parse come back: no id column, the ignored layout field
    assert any("no 'id' column" in p.message for p in again.notices)
    assert any("sidebar_position" in p.message for p in again.notices)
    internal = [a for a in again.articles if a.visibility is Visibility.INTERNAL]
    assert [a.title for a in internal] == ["怎么退款"]
    _same_as_uncached(root, cache)


def test_the_same_bytes_written_again_are_reused(root, tmp_path, counts):
    cache = tmp_path / "cache"
    load_articles(root, cache_dir=cache)
    text = (root / "faq.csv").read_bytes()
    (root / "faq.csv").write_bytes(text)  # a new mtime, the same content
    _reset(counts)
    load_articles(root, cache_dir=cache)
    assert counts == {"files": 0, "rows": 0}


@pytest.mark.parametrize(
    "edit",
    [
        lambda rows: [rows[0], rows[1], [rows[2][0], "改了答案。", "internal"], rows[3]],
        lambda rows: [rows[0], rows[1], ["怎么退款呢", rows[2][1], "internal"], rows[3]],
        lambda rows: [rows[0], rows[1], [rows[2][0], rows[2][1], "public"], rows[3]],
        lambda rows: [["新的问题", "新的答案。", "public"], *rows],  # every line moves down
    ],
    ids=["answer", "question", "visibility", "row-inserted-above"],
)
def test_an_edited_row_is_parsed_again_and_only_it(root, tmp_path, counts, edit):
    cache = tmp_path / "cache"
    load_articles(root, cache_dir=cache)
    (root / "faq.csv").write_text(_csv(edit(ROWS)), encoding="utf-8")
    _reset(counts)
    load_report(root, cache_dir=cache)
    assert counts == {"files": 1, "rows": 1}  # the file, and in it the edited (or new) row
    report = _same_as_uncached(root, cache)
    _same_as_uncached(root, cache)  # the entry written after the edit, replayed
    lines = {a.title: a.body_line for a in report.articles}
    assert lines["退款要多久"] == (6 if "新的问题" in lines else 5)


def test_a_row_moved_to_another_sheet_gets_its_new_source(tmp_path, counts):
    def workbook(sheets):
        book = openpyxl.Workbook()
        book.remove(book.active)
        for title, rows in sheets.items():
            sheet = book.create_sheet(title)
            sheet.append(["question", "answer"])
            for row in rows:
                sheet.append(row)
        book.save(root / "faq.xlsx")

    root = tmp_path / "articles"
    root.mkdir()
    cache = tmp_path / "cache"
    workbook({"Sheet1": [r[:2] for r in ROWS[:2]], "Sheet2": [r[:2] for r in ROWS[2:]]})
    load_articles(root, cache_dir=cache)
    workbook({"Sheet1": [r[:2] for r in ROWS[:1]], "Sheet2": [r[:2] for r in ROWS[1:]]})
    report = _same_as_uncached(root, cache)
    moved = next(a for a in report.articles if a.title == ROWS[1][0])
    assert moved.source == "articles/faq.xlsx[Sheet2]" and moved.body_line == 2


def test_a_renamed_column_is_parsed_again(root, tmp_path, counts):
    cache = tmp_path / "cache"
    load_articles(root, cache_dir=cache)
    renamed = _csv(ROWS, header=("问题", "答案", "visibility"))  # aliases: the same articles
    (root / "faq.csv").write_text(renamed, encoding="utf-8")
    _same_as_uncached(root, cache)
    misspelt = _csv(ROWS, header=("question", "answer", "visiblity"))
    (root / "faq.csv").write_text(misspelt, encoding="utf-8")
    for _ in range(2):  # a file with problems is never stored: refused on every load
        with pytest.raises(ValidationError, match="visiblity"):
            load_articles(root, cache_dir=cache)


def test_a_bad_row_is_reported_on_every_load(root, tmp_path):
    cache = tmp_path / "cache"
    load_articles(root, cache_dir=cache)
    bad = [*ROWS, ["空答案的问题", "", "public"]]
    (root / "faq.csv").write_text(_csv(bad), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ValidationError, match="empty 'answer' cell") as raised:
            load_articles(root, cache_dir=cache)
        assert [p.line for p in raised.value.problems] == [6]


def test_deleted_and_renamed_files_leave_the_cache(root, tmp_path, counts):
    cache = tmp_path / "cache"
    load_articles(root, cache_dir=cache)
    (root / "fees.md").rename(root / "fees-renamed.md")
    report = _same_as_uncached(root, cache)
    assert {a.source for a in report.articles} == {"articles/faq.csv", "articles/fees-renamed.md"}
    (root / "fees-renamed.md").unlink()
    assert len(_same_as_uncached(root, cache).articles) == len(ROWS)


@pytest.mark.parametrize(
    "change",
    [
        lambda mp: mp.setattr(
            sourcecache, "LIMITS", dataclasses.replace(LIMITS, line_chars=LIMITS.line_chars - 1)
        ),
        lambda mp: mp.setattr(sourcecache, "_code_digest", lambda: "other code"),
    ],
    ids=["limits", "loader-code"],
)
def test_a_changed_setting_or_loader_parses_everything(root, tmp_path, counts, change, monkeypatch):
    cache = tmp_path / "cache"
    load_articles(root, cache_dir=cache)
    change(monkeypatch)
    _reset(counts)
    load_articles(root, cache_dir=cache)
    assert counts == {"files": 2, "rows": len(ROWS)}


def _cache_file(cache):
    (path,) = (cache / sourcecache.CACHE_SUBDIR).glob("*.pickle")
    return path


class _Shell:
    def __reduce__(self):
        import os

        return (os.system, ("echo should-not-run",))


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],
        lambda data: b"not a pickle at all",
        lambda data: pickle.dumps({"files": ["x"], "loader": sourcecache.loader_key()}),
        lambda data: pickle.dumps(_Shell()),  # a global: refused, never called
        lambda data: data.replace(b"internal", b"internaX"),  # one entry: that file parsed
    ],
    ids=["truncated", "garbage", "wrong-shape", "code", "bad-value"],
)
def test_a_damaged_cache_is_ignored_with_a_warning_and_rebuilt(
    root, tmp_path, caplog, counts, damage
):
    cache = tmp_path / "cache"
    load_articles(root, cache_dir=cache)
    path = _cache_file(cache)
    path.write_bytes(damage(path.read_bytes()))
    _reset(counts)
    with caplog.at_level(logging.WARNING, logger="kb.ingest"):
        report = _same_as_uncached(root, cache)
    assert "source cache" in caplog.text and "damaged" in caplog.text
    assert counts["files"] >= 1  # parsed instead
    _reset(counts)
    caplog.clear()
    assert load_articles(root, cache_dir=cache) == report.articles  # rewritten, read again
    assert counts == {"files": 0, "rows": 0} and "damaged" not in caplog.text


def test_id_change_warnings_still_come_from_cached_rows(root, tmp_path):
    from kb.ingest.ids import id_changes

    cache = tmp_path / "cache"
    before = table_entries(root, cache)
    assert table_entries(root, cache) == before == table_entries(root)
    edited = [[ROWS[0][0].replace("登录", "登陆"), *ROWS[0][1:]], *ROWS[1:]]
    (root / "faq.csv").write_text(_csv(edited), encoding="utf-8")
    after = table_entries(root, cache)
    assert after == table_entries(root)
    (warning,) = id_changes(before, after)
    assert warning.line == 2 and "changed from" in warning.message


def test_the_cache_is_written_without_fsync_and_read_back(root, tmp_path, monkeypatch):
    """A cache is an optimisation whose damage is detected: its 41 MB at 100k rows are not
    fsynced (kb/atomic.py `replace_file(durable=False)`), still replaced by a rename."""
    synced = []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    cache = tmp_path / "cache"
    first = load_articles(root, cache_dir=cache)
    assert synced == [] and _cache_file(cache).stat().st_size > 0
    assert load_articles(root, cache_dir=cache) == first


def test_cache_files_of_other_folders_are_pruned(tmp_path):
    """A moved or renamed articles folder leaves its cache file behind; beyond CACHES_KEPT the
    oldest go, the folder being loaded always stays."""
    cache, made = tmp_path / "cache", []  # each folder's cache file, in load order
    for name in ("a", "b", "c"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "faq.csv").write_text(_csv(ROWS), encoding="utf-8")
        load_articles(folder, cache_dir=cache)
        (new,) = _cache_files(cache) - set(made)
        os.utime(new, ns=(len(made) * 10**9,) * 2)  # in load order, whatever the clock's grain
        made.append(new)
    assert _cache_files(cache) == {made[1], made[2]}  # a's went, b's and c's stay
    load_articles(tmp_path / "a", cache_dir=cache)  # parsed again and written: b's goes
    assert _cache_files(cache) == {made[0], made[2]}


def _cache_files(cache) -> set:
    return set((cache / sourcecache.CACHE_SUBDIR).glob("*.pickle"))
