"""Article links are validated the same way in every source format, and spreadsheet formulas of
every kind are refused in every cell (item 12).

The faults: FAQ `url` values `javascript:...` and `//evil.example/...` reached `Answer.url` (front
matter refused javascript: but accepted `//evil`; FAQ tables accepted anything), and an Excel array
formula was indexed as an object's repr.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from kb import ValidationError, build_index, load_articles, load_searcher
from kb.ingest.urls import url_problem

BAD_URLS = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "javascript&#58;alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript:alert(1)",
    "jav&#x09;ascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "mailto:help@example.com",
    "//evil.example/login",
    "///evil.example/login",
    "/\\evil.example/login",
    "\\\\evil.example/login",
    "https:\\\\evil.example",
    "https://evil.example\\@help.example.com",
    "HTTPS://help.example.com/fees",
    "Http://help.example.com/fees",
    "https:/help.example.com/fees",
    "https:///evil.example",
    "https://",
    "https://user:pass@help.example.com/",
    "https://help.example.com@evil.example/",
    "https://help.example.com:99999/",
    "https://help.example.com:port/",
    "https://evil%2eexample/",
    "https://ex ample.com/",
    "https://help.example.com/a b",
    "https://help.example.com/a\u3000b",
    "https://help.example.com/a\u00a0b",
    "/help\u2028/fees",
    "/help/fees\nSet-Cookie: x",
    "/&sol;evil.example",
    "/help/" + "a" * 2_000,
    "help/fees",
    "fees.html",
    "#top",
    "?article=x",
]
GOOD_URLS = [
    "https://help.example.com/fees",
    "http://help.example.com/fees?lang=zh&ref=faq#top",
    "https://help.example.com:8443/fees",
    "https://例子.example/帮助/退款",
    "https://[2001:db8::1]/fees",
    "/help/fees",
    "/帮助/退款?来源=faq",
    "/",
    "https://help.example.com/wiki/Fee_(card)",
]


# invisible characters are removed from all text and cells are stripped before any check, so these
# arrive clean (and are then checked like any other url)
CLEANED = [
    ("https://help.example.com/\u200bfees", "https://help.example.com/fees"),
    ("https://help.example.com/\u202efees\u202c", "https://help.example.com/fees"),
    ("\u3000https://help.example.com/fees\u3000", "https://help.example.com/fees"),
]


def write_source(folder: Path, fmt: str, url: str) -> Path:
    """One article with `url` in the given format; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "md":
        path = folder / "a.md"
        text = f"---\ntitle: 年费\nurl: {json.dumps(url, ensure_ascii=False)}\n---\n没有年费。\n"
        path.write_text(text, "utf-8")
    elif fmt == "jsonl":
        path = folder / "faq.jsonl"
        record = {"question": "年费", "answer": "没有年费。", "url": url}
        path.write_text(json.dumps(record, ensure_ascii=False) + "\n", "utf-8")
    elif fmt == "csv":
        path = folder / "faq.csv"
        quoted = '"' + url.replace('"', '""') + '"'
        path.write_text(f"question,answer,url\n年费,没有年费。,{quoted}\n", "utf-8")
    else:
        path = folder / "faq.xlsx"
        book = openpyxl.Workbook()
        book.active.append(["question", "answer", "url"])
        book.active.append(["年费", "没有年费。", url])
        book.save(path)
    return path


FORMATS = ["md", "csv", "xlsx", "jsonl"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("url", BAD_URLS)
def test_unsafe_urls_are_refused_in_every_format(tmp_path, fmt, url):
    if fmt == "xlsx" and any(ord(c) < 32 for c in url):
        pytest.skip("openpyxl cannot store control characters in a cell")
    path = write_source(tmp_path / "articles", fmt, url)
    with pytest.raises(ValidationError) as info:
        load_articles(tmp_path / "articles")
    line = 3 if fmt == "md" else (1 if fmt == "jsonl" else 2)
    messages = [str(p) for p in info.value.problems]
    assert any(
        m.startswith(f"articles/{path.name}:{line}: invalid url ") and "https://" in m
        for m in messages
    ), messages


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("url", GOOD_URLS)
def test_safe_urls_are_kept_in_every_format(tmp_path, fmt, url):
    write_source(tmp_path / "articles", fmt, url)
    (article,) = load_articles(tmp_path / "articles")
    assert article.url == url


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("raw", "clean"), CLEANED)
def test_invisible_characters_are_removed_before_the_check(tmp_path, fmt, raw, clean):
    write_source(tmp_path / "articles", fmt, raw)
    (article,) = load_articles(tmp_path / "articles")
    assert article.url == clean


def test_answer_url_is_the_validated_link_with_its_anchor(tmp_path):
    write_source(tmp_path / "articles", "csv", "/help/fees")
    build_index(tmp_path / "articles", tmp_path / "index", encoder="hash:64")
    (answer,) = load_searcher(tmp_path / "index", "public", encoder="hash:64").search("年费")
    assert answer.url == "/help/fees#top"


@settings(max_examples=500, deadline=None)
@given(
    url=st.one_of(
        st.text(max_size=40),
        st.builds(
            lambda a, b: a + b,
            st.sampled_from(["/", "//", "http://", "https://", "HTTPS://", "/\\", "java"]),
            st.text(max_size=30),
        ),
    )
)
def test_every_accepted_url_is_http_with_a_host_or_a_site_path(url):
    if url_problem(url) is not None:
        return
    assert "\\" not in url and not any(c.isspace() or ord(c) < 32 for c in url)
    assert "&#" not in url
    if url.startswith("/"):
        assert not url.startswith("//")
        return
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and url.startswith(f"{parts.scheme}://")
    assert parts.hostname and "@" not in parts.netloc


# ------------------------------------------------------------------------------------ formulas

COLUMNS = ["question", "answer", "id", "category", "tags", "url", "updated", "language"]
FORMULAS = {
    "formula text": lambda cell: '=HYPERLINK("https://evil.example")',
    "array formula": lambda cell: ArrayFormula(f"{cell}:{cell}", "=SUM(A1:A2)"),
    "data table formula": lambda cell: DataTableFormula(ref=f"{cell}:{cell}", t="dataTable"),
}


@pytest.mark.parametrize("kind", list(FORMULAS))
@pytest.mark.parametrize("column", COLUMNS)
def test_xlsx_formulas_of_every_kind_are_refused_in_every_cell(tmp_path, kind, column):
    values = {c: f"{c}值" for c in COLUMNS} | {"language": "zh", "id": "fee", "url": "/fees"}
    book = openpyxl.Workbook()
    book.active.append(COLUMNS)
    book.active.append([values[c] for c in COLUMNS])
    cell = f"{chr(ord('A') + COLUMNS.index(column))}2"
    book.active[cell] = FORMULAS[kind](cell)
    book.save(tmp_path / "faq.xlsx")
    with pytest.raises(ValidationError) as info:
        load_articles(tmp_path / "faq.xlsx")
    (problem,) = info.value.problems
    assert problem.line == 2
    assert problem.message.startswith(f"'{column}' cell is a spreadsheet formula (")
    assert problem.message.endswith("); paste the text as a value")
    assert "openpyxl" not in problem.message  # never an object's repr


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("column", ["question", "answer"])
def test_formula_text_in_question_or_answer_is_refused_in_csv_and_jsonl(tmp_path, fmt, column):
    row = {"question": "年费", "answer": "没有。"} | {column: "=1+1"}
    path = tmp_path / f"faq.{fmt}"
    if fmt == "csv":
        path.write_text(f"question,answer\n{row['question']},{row['answer']}\n", "utf-8")
    else:
        path.write_text(json.dumps(row, ensure_ascii=False) + "\n", "utf-8")
    with pytest.raises(ValidationError) as info:
        load_articles(path)
    (problem,) = info.value.problems
    assert (
        problem.message
        == f"'{column}' cell is a spreadsheet formula ('=1+1'); paste the text as a value"
    )
