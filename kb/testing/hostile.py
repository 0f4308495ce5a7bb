"""Hostile article sources added with the source limits (kb.options.SourceLimits): absurd lines,
tables over a limit, damaged tables, unsafe links and spreadsheet formulas of every kind. Merged
into `kb.testing.corpora.BAD` (name -> files, expected `path:line: message` start); kept apart so
each module stays small. `xlsx_writer` and `GOOD` are shared with corpora.py.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from ..options import LIMITS

GOOD = "---\ntitle: 好文章\n---\n正文。\n"


def xlsx_writer(sheets: dict[str, list[list]], merged: str | None = None):
    """A writer (path -> None) of a workbook with these sheets (name -> rows), in order, the first
    one's `merged` range (e.g. 'A1:B1') merged."""

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


_Q = "question,answer\n"
_ROWS = [["question", "answer"], ["年费", "没有"]]
SHEET = "xl/worksheets/sheet1.xml"


def rewrite_part(path: Path, member: str, change) -> Path:
    """Rewrite one part of the zip (.xlsx) at `path` with change(bytes) -> bytes; returns path."""
    with zipfile.ZipFile(path) as package:
        parts = [(info, package.read(info.filename)) for info in package.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for info, data in parts:
            package.writestr(info, change(data) if info.filename == member else data)
    return path


def _patched_xlsx(rows: list[list], change):
    """A writer of `rows` as the sheet 'FAQ' whose XML then becomes change(xml bytes)."""
    return lambda path: rewrite_part(xlsx_writer({"FAQ": rows})(path) or path, SHEET, change)


def zip_bomb(path: Path) -> None:
    """Writes a small valid FAQ workbook plus a part of zeros that unzips past
    LIMITS.xlsx_unpacked_bytes (about 200 KB on disk)."""
    xlsx_writer({"FAQ": _ROWS})(path)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as package,
        package.open("xl/media/padding.bin", "w") as member,
    ):
        for _ in range(LIMITS.xlsx_unpacked_bytes // 2**20 + 1):
            member.write(bytes(2**20))


def _no_dimension_far_row(xml: bytes) -> bytes:
    far = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return re.sub(rb"<dimension [^>]*/>", b"", xml).replace(b"</sheetData>", far + b"</sheetData>")


def _url_source(fmt: str, url: str) -> tuple[dict, str]:
    """One article with `url` in format `fmt`, and the start of its refusal."""
    sources = {
        "md": ("a.md", f"---\ntitle: 年费\nurl: {json.dumps(url)}\n---\n没有。\n", 3),
        "csv": ("faq.csv", f'question,answer,url\n年费,没有,"{url}"\n', 2),
        "jsonl": ("faq.jsonl", json.dumps({"question": "年费", "answer": "没有", "url": url}), 1),
        "xlsx": (
            "faq.xlsx",
            xlsx_writer({"FAQ": [["question", "answer", "url"], ["年费", "没有", url]]}),
            2,
        ),
    }
    name, content, line = sources[fmt]
    return {name: content}, f"{name}:{line}: invalid url"


MORE_BAD: dict[str, tuple[dict, str]] = {
    "heading padded with 10,000 spaces": (
        {"a.md": GOOD + "# a" + " " * 10_000 + "b\n"},
        "a.md:5: line is 10,004 characters long (limit 10,000)",
    ),
    "line of 12,000 characters": (
        {"a.md": GOOD + "词 " * 6_000 + "\n"},
        "a.md:5: line is 12,000 characters long (limit 10,000)",
    ),
    "YAML alias bomb in front matter": (
        {
            "a.md": "---\nx: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
            + "".join(
                f"x{i}: &a{i} [{', '.join(['*a' if i == 0 else f'*a{i - 1}'] * 9)}]\n"
                for i in range(9)
            )
            + "title: *a8\n---\n正文\n"
        },
        "a.md:12: field 'title' must be text, got list",
    ),
    "front matter date that does not exist": (
        {"a.md": "---\ntitle: t\nupdated: 2024-13-45\n---\n正文\n"},
        "a.md:3: invalid YAML in front matter: cannot read '2024-13-45' (month must be in 1..12)",
    ),
    "front matter number of 5,000 digits": (
        {"a.md": "---\ntitle: " + "9" * 5_000 + "\n---\n正文\n"},
        "a.md:2: invalid YAML in front matter: cannot read '9999",
    ),
    "front matter nested 900 deep": (
        {"a.md": "---\ntitle: " + "[" * 900 + "]" * 900 + "\n---\n正文\n"},
        "a.md:2: invalid YAML in front matter: nested too deeply",
    ),
    "FAQ answer with a line over the limit": (
        {"faq.csv": _Q + "年费," + "没有 " * 3_999 + "没有\n"},
        "faq.csv:2: line is 11,999 characters long (limit 10,000)",
    ),
    "FAQ CSV over 20,000 rows": (
        {"faq.csv": _Q + "问,答\n" * 20_001},
        "faq.csv:20002: table has more than 20,000 rows (limit 20,000); split the table",
    ),
    "FAQ JSONL over 20,000 rows": (
        {"faq.jsonl": '{"question": "问", "answer": "答"}\n' * 20_001},
        "faq.jsonl:20001: table has more than 20,000 rows",
    ),
    "FAQ xlsx declaring A1:XFD1048576": (
        {
            "faq.xlsx": _patched_xlsx(
                _ROWS, lambda x: x.replace(b'ref="A1:B2"', b'ref="A1:XFD1048576"')
            )
        },
        "faq.xlsx:1: sheet 'FAQ' declares the range A1:XFD1048576 (1,048,576 rows",
    ),
    "FAQ xlsx with a row at 1,048,576 and no declared size": (
        {"faq.xlsx": _patched_xlsx(_ROWS, _no_dimension_far_row)},
        "faq.xlsx:20002: table has more than 20,000 rows",
    ),
    "FAQ CSV with 51 columns": (
        {"faq.csv": _Q.strip() + "," * 49 + "\n"},
        "faq.csv:1: row has 51 cells, over the 50-column limit",
    ),
    "FAQ xlsx with 51 columns": (
        {"faq.xlsx": xlsx_writer({"FAQ": [["question", "answer"] + ["x"] * 49, ["年费", "没有"]]})},
        "faq.xlsx:1: sheet 'FAQ' declares the range A1:AY2 (2 rows, 51 columns)",
    ),
    "FAQ JSONL with 51 keys": (
        {"faq.jsonl": "{" + ", ".join(f'"k{i}": 1' for i in range(51)) + "}\n"},
        "faq.jsonl:1: object has 51 keys, over the 50-column limit",
    ),
    "FAQ CSV cell over 100,000 characters": (
        {"faq.csv": _Q + "年费," + "长" * 100_001 + "\n"},
        "faq.csv:2: cell in column 'answer' is 100,001 characters long, over the 100,000",
    ),
    "FAQ CSV cell over the csv module's field limit": (
        {"faq.csv": _Q + "年费," + "长" * 140_000 + "\n"},
        "faq.csv:2: a cell is longer than 131,072 characters, over the 100,000",
    ),
    "FAQ JSONL cell over 100,000 characters": (
        {"faq.jsonl": json.dumps({"question": "q", "answer": "长" * 100_001}) + "\n"},
        "faq.jsonl:1: cell in column 'answer' is 100,001 characters long",
    ),
    "FAQ table over 20 MB": (
        {"faq.csv": lambda path: (path.touch(), os.truncate(path, LIMITS.table_bytes + 1))},
        "faq.csv:1: file is 20,000,001 bytes, over the 20,000,000-byte limit",
    ),
    "FAQ xlsx that unzips past 200 MB": (
        {"faq.xlsx": zip_bomb},
        "faq.xlsx:1: workbook unzips to",
    ),
    "FAQ xlsx cut in the middle": (
        {
            "faq.xlsx": lambda p: (
                xlsx_writer({"FAQ": _ROWS})(p),
                p.write_bytes(p.read_bytes()[:3000]),
            )
        },
        "faq.xlsx:1: cannot read the workbook (File is not a zip file)",
    ),
    "FAQ xlsx sheet XML cut": (
        {"faq.xlsx": _patched_xlsx(_ROWS, lambda x: x[: len(x) - 150])},
        "faq.xlsx:2: cannot read the sheet (unclosed token",
    ),
    "FAQ CSV unclosed quote": (
        {"faq.csv": _Q + '年费,"没有\n退款,三天\n'},
        "faq.csv:2: cannot read this row as CSV (unexpected end of data)",
    ),
    "FAQ JSONL nested 100,000 deep": (
        {"faq.jsonl": '{"question": ' + "[" * 100_000 + "\n"},
        "faq.jsonl:1: invalid JSON (nested too deeply)",
    ),
    "FAQ JSONL number of 5,000 digits": (
        {"faq.jsonl": '{"question": "q", "answer": ' + "9" * 5_000 + "}\n"},
        "faq.jsonl:1: invalid JSON (a number too long to read",
    ),
    "FAQ JSONL NaN": (
        {"faq.jsonl": '{"question": "q", "answer": NaN}\n'},
        "faq.jsonl:1: invalid JSON (NaN is not a JSON value)",
    ),
    "FAQ array formula (xlsx)": (
        {
            "faq.xlsx": xlsx_writer(
                {
                    "FAQ": [
                        ["question", "answer", "tags"],
                        ["年费", "没有", ArrayFormula("C2:C2", "=A1")],
                    ]
                }
            )
        },
        "faq.xlsx:2: 'tags' cell is a spreadsheet formula ('=A1')",
    ),
    "FAQ data table formula (xlsx)": (
        {
            "faq.xlsx": xlsx_writer(
                {"FAQ": [["question", "answer"], ["年费", DataTableFormula("B2:B2")]]}
            )
        },
        "faq.xlsx:2: 'answer' cell is a spreadsheet formula ('data table')",
    ),
    "FAQ formula in the url column (xlsx)": (
        {
            "faq.xlsx": xlsx_writer(
                {"FAQ": [["question", "answer", "url"], ["年费", "没有", '=HYPERLINK("x")']]}
            )
        },
        "faq.xlsx:2: 'url' cell is a spreadsheet formula",
    ),
    "FAQ formula in the question (JSONL)": (
        {"faq.jsonl": '{"question": "=1+1", "answer": "没有"}\n'},
        "faq.jsonl:1: 'question' cell is a spreadsheet formula",
    ),
}
# every unsafe kind of link once, rotating through the formats; the two reported ones in all four
_URLS = {
    "javascript:": "javascript:alert(1)",
    "protocol-relative": "//evil.example/login",
    "mixed-case scheme": "JavaScript:alert(1)",
    "entity-encoded scheme": "&#106;avascript:alert(1)",
    "data:": "data:text/html,<b>x</b>",
    "vbscript:": "vbscript:msgbox(1)",
    "backslash": "/\\evil.example/login",
    "user name before the host": "https://help.example.com@evil.example/",
    "space inside": "https://help.example.com/a b",
    "no host": "https:///evil.example",
}
for _n, (_kind, _url) in enumerate(_URLS.items()):
    for _fmt in (
        ("md", "csv", "jsonl", "xlsx") if _n < 2 else (("md", "csv", "jsonl", "xlsx")[_n % 4],)
    ):
        MORE_BAD[f"{_kind} url ({_fmt})"] = _url_source(_fmt, _url)
