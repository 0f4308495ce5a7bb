"""Issue 16 part 1: a JSONL table's lines read cleanly before are not parsed again
(kb/ingest/jsonl.py `KnownLine`, kb/ingest/rowmemo.py `RowMemo.known`).

Every case compares the cached load with a load without the cache (the same articles, notices and
problems) and counts what was parsed: JSON lines through `_json_record`, rows through
`row_article`. Visibility fails closed: a line known from a table without a visibility key is
refused like any other line once another line brings the key in.
"""

from __future__ import annotations

import json
import pickle

import pytest

import kb.ingest.faq as faq
import kb.ingest.jsonl as jsonl
import kb.ingest.loader as loader
import kb.ingest.sourcecache as sourcecache
from kb.errors import ValidationError
from kb.ingest import load_articles, load_report
from kb.options import Visibility
from tests.ingest.test_source_cache import _same_as_uncached

LINES = [
    {"question": "如何修改登录密码", "answer": "在设置页点击修改密码。", "visibility": "public"},
    {"question": "How do I close my account?", "answer": "Ask support.", "visibility": "public"},
    {"question": "怎么退款", "answer": "在订单页点击申请退款。", "visibility": "internal"},
    {"question": "退款要多久", "answer": "一般 1-3 个工作日到账。", "visibility": "public"},
]


def _write(root, lines) -> None:
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    (root / "faq.jsonl").write_text(text, encoding="utf-8")


@pytest.fixture
def root(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    _write(folder, LINES)
    return folder


@pytest.fixture
def counts(monkeypatch):
    """JSON lines and table rows parsed, counted."""
    seen = {"json": 0, "rows": 0}
    json_record, row_article = jsonl._json_record, faq.row_article

    def count_json(*args, **kwargs):
        seen["json"] += 1
        return json_record(*args, **kwargs)

    def count_row(*args, **kwargs):
        seen["rows"] += 1
        return row_article(*args, **kwargs)

    monkeypatch.setattr(jsonl, "_json_record", count_json)
    monkeypatch.setattr(faq, "row_article", count_row)
    return seen


def _reset(counts):
    counts["json"] = counts["rows"] = 0


@pytest.mark.parametrize(
    "edit",
    [
        lambda lines: [*lines[:2], {**lines[2], "answer": "改了答案。"}, lines[3]],
        lambda lines: [*lines[:2], {**lines[2], "visibility": "public"}, lines[3]],
        lambda lines: (
            [{"question": "新的问题", "answer": "新的答案。", "visibility": "public"}, *lines]
        ),
        lambda lines: [*lines[:3], dict(reversed(list(lines[3].items())))],  # keys reordered
    ],
    ids=["answer", "visibility", "line-inserted-above", "keys-reordered"],
)
def test_only_the_edited_line_is_parsed_again(root, tmp_path, counts, edit):
    cache = tmp_path / "cache"
    load_articles(root, cache_dir=cache)
    assert counts == {"json": len(LINES), "rows": len(LINES)}
    _write(root, edit(LINES))
    _reset(counts)
    load_report(root, cache_dir=cache)
    assert counts == {"json": 1, "rows": 1}
    report = _same_as_uncached(root, cache)
    _reset(counts)
    _same_as_uncached(root, cache)  # the entry written after the edit, replayed
    lines = {a.title: a.body_line for a in report.articles}
    assert lines["退款要多久"] == (5 if "新的问题" in lines else 4)


INTERNAL_LINE = {"question": "内部流程", "answer": "仅客服可见。", "visibility": "internal"}


@pytest.mark.parametrize(
    ("edit", "refused"),
    [
        (lambda lines: [{**lines[0], "visibility": "internal"}, *lines[1:]], len(LINES) - 1),
        (lambda lines: [*lines, INTERNAL_LINE], len(LINES)),
    ],
    ids=["key-added-to-a-line", "line-with-the-key-added"],
)
def test_a_visibility_key_brought_in_refuses_the_known_lines_without_it(
    root, tmp_path, edit, refused
):
    """Known lines of a table without visibility keys (all public) become lines with an empty
    visibility once one line has the key: refused, never published as public."""
    plain = [{k: v for k, v in line.items() if k != "visibility"} for line in LINES]
    _write(root, plain)
    cache = tmp_path / "cache"
    assert {a.visibility for a in load_articles(root, cache_dir=cache)} == {Visibility.PUBLIC}
    _write(root, edit(plain))
    for _ in range(2):
        with pytest.raises(ValidationError) as raised:
            load_articles(root, cache_dir=cache)
        empty = [p for p in raised.value.problems if "empty 'visibility'" in p.message]
        assert len(empty) == refused
        with pytest.raises(ValidationError) as plain_raised:
            load_articles(root)
        assert raised.value.problems == plain_raised.value.problems


@pytest.mark.parametrize(
    "bad",
    [
        {"question": "怎么退款", "answer": "重复的问题。", "visibility": "public"},  # repeated
        {"question": "新问题", "answer": "答案。", "visiblity": "public"},  # misspelt key
        {"question": "新问题", "answer": "", "visibility": "public"},  # empty answer
    ],
    ids=["repeated-question", "misspelt-key", "empty-answer"],
)
def test_a_table_with_problems_reports_what_a_plain_parse_reports(root, tmp_path, bad):
    cache = tmp_path / "cache"
    load_articles(root, cache_dir=cache)
    _write(root, [*LINES, bad])
    with pytest.raises(ValidationError) as cached:
        load_articles(root, cache_dir=cache)
    with pytest.raises(ValidationError) as plain:
        load_articles(root)
    assert cached.value.problems == plain.value.problems
    assert all(p.line == len(LINES) + 1 or "row 3" in p.message for p in cached.value.problems)


def test_a_known_line_repeated_is_refused_as_a_repeated_question(root, tmp_path):
    cache = tmp_path / "cache"
    load_articles(root, cache_dir=cache)
    _write(root, [*LINES, LINES[0]])  # the same text on two lines: both known
    with pytest.raises(ValidationError, match="repeats the question of row 1") as raised:
        load_articles(root, cache_dir=cache)
    assert [p.line for p in raised.value.problems] == [len(LINES) + 1]


def test_a_damaged_line_entry_is_parsed_again(root, tmp_path, counts):
    cache = tmp_path / "cache"
    load_articles(root, cache_dir=cache)
    (path,) = (cache / sourcecache.CACHE_SUBDIR).glob("*.pickle")
    stored = pickle.loads(path.read_bytes())
    ((display, entry),) = stored["files"].items()
    entry = pickle.loads(entry)  # each file's entry is a pickle of its own
    rows = list(entry[3])
    rows[1] = ("too", "short")  # the second line's cached article
    stored["files"][display] = sourcecache._pickled((*entry[:3], tuple(rows), *entry[4:]))
    path.write_bytes(pickle.dumps(stored))
    _write(root, [*LINES[:3], {**LINES[3], "answer": "改了。"}])  # an edit: the memo is used
    _reset(counts)
    report = _same_as_uncached(root, cache)
    assert len(report.articles) == len(LINES)
    assert counts["rows"] >= 2  # the edited line and the damaged one, at the cached load


def test_a_file_with_problems_is_parsed_again_without_the_memo(root, tmp_path, monkeypatch):
    """Its messages then come from a plain parse whatever the memo answered (SourceCache.load)."""
    cache = tmp_path / "cache"
    load_articles(root, cache_dir=cache)
    memos, load_table = [], faq.load_table

    def spy(path, display, problems, notes=None, memo=None):
        memos.append(memo is not None)
        return load_table(path, display, problems, notes, memo)

    monkeypatch.setattr(loader, "load_table", spy)
    _write(root, [*LINES, {"question": "新问题", "answer": ""}])
    with pytest.raises(ValidationError, match="empty 'answer'"):
        load_articles(root, cache_dir=cache)
    assert memos == [True, False]
