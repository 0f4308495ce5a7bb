"""A corpus of bad article input. Each case is refused with `path:line: message` naming the fix, or
accepted and indexed correctly where that is right; a refused build never touches the live index.

BAD and ACCEPTED are also counted by scripts/reliability_report.py for docs/RELIABILITY.md.
"""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pytest

from kb import ValidationError, build_index, load_searcher, store

from .conftest import TINY, write_articles

GOOD = "---\ntitle: 好文章\n---\n正文。\n"


def _xlsx(sheets: dict[str, list[list]], merged: str | None = None):
    def write(path: Path) -> None:
        book = openpyxl.Workbook()
        book.remove(book.active)
        for name, rows in sheets.items():
            sheet = book.create_sheet(name)
            for row in rows:
                sheet.append(row)
            if merged and name == next(iter(sheets)):
                sheet.merge_cells(merged)
        book.save(path)

    return write


# name -> (files, expected "relative/path:line: message start")
BAD: dict[str, tuple[dict, str]] = {
    "invalid YAML": ({"a.md": "---\ntitle: [oops\n---\n正文\n"}, "a.md:2: invalid YAML"),
    "YAML tab indentation": (
        {"a.md": "---\ntitle: t\n\tslug: x\n---\n正文\n"},
        "a.md:3: invalid YAML",
    ),
    "front matter not closed": ({"a.md": "---\ntitle: t\n正文\n"}, "a.md:1: front matter opened"),
    "no front matter": ({"a.md": "# 标题\n正文\n"}, "a.md:1: missing front matter"),
    "front matter is a list": ({"a.md": "---\n- a\n---\n正文\n"}, "a.md:2: front matter must be"),
    "title as a list": (
        {"a.md": "---\ntitle: [a, b]\n---\n正文\n"},
        "a.md:2: field 'title' must be text",
    ),
    "title as a mapping": (
        {"a.md": "---\ntitle: {a: 1}\n---\n正文\n"},
        "a.md:2: field 'title' must be text",
    ),
    "tags as a number": (
        {"a.md": "---\ntitle: t\ntags: 5\n---\n正文\n"},
        "a.md:3: field 'tags' must be a list",
    ),
    "missing title": ({"a.md": "---\ncategory: x\n---\n正文\n"}, "a.md:1: missing title"),
    "empty title": ({"a.md": "---\ntitle: ''\n---\n正文\n"}, "a.md:2: missing title"),
    "unknown language": (
        {"a.md": "---\ntitle: t\nlanguage: cn\n---\n正文\n"},
        "a.md:3: unknown language 'cn'",
    ),
    "unknown visibility": (
        {"a.md": "---\ntitle: t\nvisibility: private\n---\n正文\n"},
        "a.md:3: unknown visibility 'private'",
    ),
    "unknown field": (
        {"a.md": "---\ntitle: t\ncatgory: x\n---\n正文\n"},
        "a.md:3: unknown field 'catgory'",
    ),
    "invalid category": (
        {"a.md": "---\ntitle: t\ncategory: 支付 方式\n---\n正文\n"},
        "a.md:3: invalid category",
    ),
    "javascript url": (
        {"a.md": "---\ntitle: t\nurl: javascript:alert(1)\n---\n正文\n"},
        "a.md:3: invalid url",
    ),
    "duplicate slugs": ({"a.md": GOOD, "sub/a.md": GOOD}, "sub/a.md:4: duplicate slug 'a'"),
    "duplicate slug across Markdown and FAQ": (
        {
            "a.md": "---\ntitle: t\nslug: fee\n---\n正文\n",
            "faq.csv": "slug,question,answer\nfee,问,答\n",
        },
        "duplicate slug 'fee'",
    ),
    "slug with path separator": (
        {"a.md": "---\ntitle: t\nslug: x/y\n---\n正文\n"},
        "a.md:3: invalid slug 'x/y'",
    ),
    "slug with ..": ({"a.md": "---\ntitle: t\nslug: ..\n---\n正文\n"}, "a.md:3: invalid slug '..'"),
    "non-UTF-8 (GBK)": ({"a.md": GOOD.encode("gbk")}, "a.md:2: not valid UTF-8"),
    "non-UTF-8 (Big5)": (
        {"a.md": "---\ntitle: 帳戶\n---\n內容\n".encode("big5")},
        "a.md:2: not valid UTF-8",
    ),
    "UTF-16": ({"a.md": GOOD.encode("utf-16")}, "a.md:1: file is UTF-16"),
    "binary file with .md name": (
        {"a.md": b"\x89PNG\r\n\x1a\n\x00\x00IHDR" * 10},
        "a.md:1: binary file",
    ),
    "empty file": ({"a.md": ""}, "a.md:1: file is empty"),
    "only front matter": ({"a.md": "---\ntitle: t\n---\n"}, "a.md:4: article body is empty"),
    "20 MB article": (
        {"a.md": "---\ntitle: t\n---\n" + "很长的内容。" * 1_200_000},
        "a.md:1: file is 21,600,017 bytes, over the 2,000,000-byte limit",
    ),
    "1 MB line without spaces": (
        {"a.md": "---\ntitle: t\n---\n开头\n" + "x" * 1_000_000 + "\n"},
        "a.md:5: line has a run of 1,000,000 characters",
    ),
    "FAQ missing columns": (
        {"faq.csv": "问题,答案\n年费,没有\n"},
        "faq.csv:1: missing column(s) question, answer",
    ),
    "FAQ empty cell": (
        {"faq.csv": "question,answer\n有年费吗,\n"},
        "faq.csv:2: empty 'answer' cell",
    ),
    "FAQ formula (CSV)": (
        {"faq.csv": "question,answer\n有年费吗,=A1&B1\n"},
        "faq.csv:2: 'answer' cell is a spreadsheet formula",
    ),
    "FAQ formula (xlsx)": (
        {"faq.xlsx": _xlsx({"FAQ": [["question", "answer"], ["年费", "=CONCAT(A1,B1)"]]})},
        "faq.xlsx:2: 'answer' cell is a spreadsheet formula",
    ),
    "FAQ merged header rows": (
        {
            "faq.xlsx": _xlsx(
                {"FAQ": [["OKPay 常见问题 2026", None], ["question", "answer"], ["年费", "没有"]]},
                merged="A1:B1",
            )
        },
        "faq.xlsx:1: missing column(s) question, answer",
    ),
    "FAQ data on a sheet that is not the first": (
        {"faq.xlsx": _xlsx({"Cover": [], "FAQ": [["question", "answer"], ["年费", "没有"]]})},
        "faq.xlsx:1: the first sheet 'Cover' is empty",
    ),
    "FAQ row with too many cells": (
        {"faq.csv": "question,answer\n年费,没有,多余\n"},
        "faq.csv:2: row has 3 cells",
    ),
    "FAQ unknown visibility": (
        {"faq.csv": "question,answer,visibility\n年费,没有,secret\n"},
        "faq.csv:2: unknown visibility 'secret'",
    ),
    "FAQ misspelt visibility column": (
        {"faq.csv": "id,question,answer,visiblity\nx,内部流程,主管审批,internal\n"},
        "faq.csv:1: unknown column 'visiblity'; did you mean 'visibility'?",
    ),
    "FAQ column named twice": (
        {"faq.csv": "question,answer,visibility,Visibility\n年费,没有,internal,public\n"},
        "faq.csv:1: column 'visibility' appears twice",
    ),
    "FAQ row with too few cells": (
        {"faq.csv": "question,answer,visibility\n年费,没有,public\n内部流程,主管审批\n"},
        "faq.csv:3: row has 2 cells but the header has 3",
    ),
    "FAQ empty visibility cell": (
        {"faq.csv": "question,answer,visibility\n年费,没有,public\n内部流程,主管审批,\n"},
        "faq.csv:3: empty 'visibility' cell",
    ),
    "FAQ value under a column without a name": (
        {"faq.csv": "question,answer,\n年费,没有,internal\n"},
        "faq.csv:2: column 3 has the value 'internal' but no header name",
    ),
    "FAQ unknown JSON key": (
        {"faq.jsonl": '{"question": "年费", "answer": "没有", "visiblity": "internal"}\n'},
        "faq.jsonl:1: unknown key 'visiblity'; did you mean 'visibility'?",
    ),
    "FAQ JSON key given twice": (
        {
            "faq.jsonl": '{"question": "年费", "answer": "没有", "visibility": "internal", '
            '"visibility": "public"}\n'
        },
        "faq.jsonl:1: key 'visibility' appears twice",
    ),
    "front matter field given twice": (
        {"a.md": "---\ntitle: t\nvisibility: internal\nvisibility: public\n---\n正文\n"},
        "a.md:4: invalid YAML in front matter: field 'visibility' is given twice",
    ),
    "FAQ invalid JSON line": (
        {"faq.jsonl": '{"question": "年费", "answer": "没有"}\n{oops\n'},
        "faq.jsonl:2: invalid JSON",
    ),
    "FAQ empty table": ({"faq.csv": ""}, "faq.csv:1: table is empty"),
    "FAQ in UTF-16": (
        {"faq.csv": "question,answer\n年费,没有\n".encode("utf-16")},
        "faq.csv:1: file is UTF-16",
    ),
}

# name -> (files, query that must find the article first, its slug)
ACCEPTED: dict[str, tuple[dict, str, str]] = {
    "zero-width characters inside words": (
        {"zw.md": "---\ntitle: 忘记\u200b密码\n---\n点击\u200b忘记密\u200c码\u200d重置。\n"},
        "忘记密码",
        "zw",
    ),
    "control characters": (
        {"ctl.md": "---\ntitle: 退款\x07进度\n---\n退款\x1b[31m 三到七天\x08到账。\n"},
        "退款进度",
        "ctl",
    ),
    "right-to-left text": (
        {
            "rtl.md": "---\ntitle: استرداد الأموال\nlanguage: en\n---\n"
            "\u202eطلب استرداد\u202c الأموال خلال سبعة أيام.\n"
        },
        "استرداد الأموال",
        "rtl",
    ),
    "emoji": (
        {"emoji.md": "---\ntitle: 红包 🧧 活动\n---\n领取 🎁 红包，满 100 减 10 🎉。\n"},
        "红包活动 🎉",
        "emoji",
    ),
    "UTF-8 with byte-order mark": (
        {"bom.md": "\ufeff---\ntitle: 开户年龄\n---\n年满 18 岁即可开户。\n"},
        "开户年龄",
        "bom",
    ),
}


def write(root: Path, files: dict) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def live(tmp_path):
    """A live index built from the tiny corpus; returns (articles dir, index dir, version)."""
    articles = write_articles(tmp_path / "articles", TINY)
    index = tmp_path / "index"
    build_index(articles, index, encoder="hash:64")
    return articles, index, store.current_version(index)


def test_the_corpus_is_large_enough():
    assert len(BAD) + len(ACCEPTED) >= 30


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_refused_with_file_line_and_fix(live, name):
    articles, index, version = live
    files, expected = BAD[name]
    write(articles / "bad", files)
    files_before = sorted(os.listdir(index))
    with pytest.raises(ValidationError) as info:
        build_index(articles, index, encoder="hash:64")
    messages = [str(p) for p in info.value.problems]
    assert any(expected in m for m in messages), messages
    assert all(m.startswith("articles/bad/") for m in messages), messages
    assert store.current_version(index) == version  # never a half-valid index
    assert sorted(os.listdir(index)) == files_before


def test_merged_header_rows_point_at_the_real_header(tmp_path):
    files, _ = BAD["FAQ merged header rows"]
    root = write(tmp_path / "a", files)
    with pytest.raises(ValidationError, match="row 2 looks like the header"):
        from kb import load_articles

        load_articles(root)


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_unusual_but_valid_input_is_indexed_correctly(live, name):
    articles, index, _ = live
    files, query, slug = ACCEPTED[name]
    write(articles / "ok", files)
    build_index(articles, index, encoder="hash:64")
    answers = load_searcher(index, "public", encoder="hash:64").search(query, top_k=3)
    assert answers[0].slug == slug
    shown = answers[0].title + answers[0].snippet_text
    assert not any(ch in shown for ch in "\u200b\u200c\u200d\u202e\u202c\x07\x1b\x08")
