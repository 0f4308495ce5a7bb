"""Every exception path of the three FAQ table readers ends in `path[:line]: message` naming the
file and the fix, never a traceback (item 13).

The faults: a CSV cell over 131,072 characters (the csv module's field limit), deeply nested
JSONL and a truncated or damaged .xlsx printed tracebacks. Each reader gets damaged inputs of
several kinds; the check is the same for all: a ValidationError whose problems all name the file
with a line, and say what to do; through the CLI, exit code 1 and no traceback.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kb import ValidationError, load_articles
from kb.cli import main

GOOD_CSV = "question,answer\n年费,没有。\n"
GOOD_ROWS = [
    ["question", "answer", "visibility"],
    ["年费", "没有。", "public"],
    ["退款", "三天。", "public"],
]
SHEET = "xl/worksheets/sheet1.xml"
FIX_WORDS = ("save", "split", "write", "shorten", "quote", "move", "keep", "delete", "must")


def xlsx_bytes(tmp_path: Path) -> bytes:
    book = openpyxl.Workbook()
    for row in GOOD_ROWS:
        book.active.append(row)
    book.save(tmp_path / "base.xlsx")
    return (tmp_path / "base.xlsx").read_bytes()


def with_member(raw: bytes, member: str, change) -> bytes:
    """The zip `raw` with one part replaced by change(bytes) (None: the part removed)."""
    import io

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == member:
                data = change(data)
                if data is None:
                    continue
            target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def flip_stored_byte(raw: bytes, member: str) -> bytes:
    """Flip one byte inside the compressed data of `member`: the zip's CRC check fails."""
    with zipfile.ZipFile(__import__("io").BytesIO(raw)) as package:
        info = package.getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    return raw[:middle] + bytes([raw[middle] ^ 0xFF]) + raw[middle + 1 :]


# name -> (suffix, content: bytes, or a function of the good workbook's bytes)
DAMAGED = {
    "CSV cell over the csv field limit": (".csv", "question,answer\n年费," + "长" * 140_000 + "\n"),
    "CSV unclosed quote at the end": (".csv", 'question,answer\n年费,"没有\n退款,三天\n'),
    "CSV text after a closing quote": (".csv", 'question,answer\n年费,"没有"多余\n'),
    "CSV NUL bytes after the first 8 KiB": (
        ".csv",
        GOOD_CSV + "退款,三天。\n" * 1_000 + "坏\x00行,\x00\n",
    ),
    "CSV invalid UTF-8 in the middle": (".csv", GOOD_CSV.encode() + b"\xff\xfe,x\n"),
    "CSV binary": (".csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR" * 20),
    "JSONL nested 100,000 deep": (".jsonl", '{"question": "q", "answer": ' + "[" * 100_000 + "\n"),
    "JSONL nested 990 deep": (
        ".jsonl",
        '{"question": "q", "answer": ' + "[" * 990 + "]" * 990 + "}\n",
    ),
    "JSONL nested objects as question": (
        ".jsonl",
        '{"question": ' + '{"a": ' * 900 + "1" + "}" * 900 + ', "answer": "a"}\n',
    ),
    "JSONL nested without question and answer": (
        ".jsonl",
        '{"id": ' + "[" * 900 + "]" * 900 + "}\n",
    ),
    "JSONL number of 5,000 digits": (".jsonl", '{"question": "q", "answer": ' + "9" * 5000 + "}\n"),
    "JSONL NaN and Infinity": (".jsonl", '{"question": NaN, "answer": Infinity}\n'),
    "JSONL cut in the middle of a line": (".jsonl", '{"question": "年费", "answ'),
    "JSONL array instead of an object": (".jsonl", '["question", "answer"]\n'),
    "JSONL invalid UTF-8": (".jsonl", b'{"question": "\xc3\x28", "answer": "a"}\n'),
    "xlsx cut at 10%": (".xlsx", lambda raw: raw[: len(raw) // 10]),
    "xlsx cut in the middle": (".xlsx", lambda raw: raw[: len(raw) // 2]),
    "xlsx cut 22 bytes before the end": (".xlsx", lambda raw: raw[:-22]),
    "xlsx empty file": (".xlsx", b""),
    "xlsx that is a CSV": (".xlsx", GOOD_CSV),
    "xlsx that is an old binary workbook": (
        ".xlsx",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
    ),
    "xlsx sheet XML cut": (
        ".xlsx",
        lambda raw: with_member(raw, SHEET, lambda x: x[: len(x) // 2]),
    ),
    "xlsx sheet XML not XML": (".xlsx", lambda raw: with_member(raw, SHEET, lambda x: b"garbage")),
    "xlsx sheet missing": (".xlsx", lambda raw: with_member(raw, SHEET, lambda x: None)),
    "xlsx workbook part missing": (
        ".xlsx",
        lambda raw: with_member(raw, "xl/workbook.xml", lambda x: None),
    ),
    "xlsx sheet data damaged (CRC)": (".xlsx", lambda raw: flip_stored_byte(raw, SHEET)),
    "xlsx shared string out of range": (
        ".xlsx",
        lambda raw: with_member(
            raw,
            SHEET,
            lambda x: re.sub(rb'<c r="A2"[^>]*>.*?</c>', b'<c r="A2" t="s"><v>99999</v></c>', x),
        ),
    ),
    "xlsx bogus dimension": (
        ".xlsx",
        lambda raw: with_member(
            raw, SHEET, lambda x: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="ZZZZ0"', x)
        ),
    ),
    "xlsx cell reference out of range": (
        ".xlsx",
        lambda raw: with_member(raw, SHEET, lambda x: x.replace(b'r="A2"', b'r="AAAA2"')),
    ),
}


def chart_sheet_first(raw: bytes) -> bytes:
    import io

    book = openpyxl.load_workbook(io.BytesIO(raw))
    book.create_chartsheet("Chart", 0)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


DAMAGED["xlsx with a chart sheet first"] = (".xlsx", chart_sheet_first)


def write_damaged(folder: Path, name: str, tmp_path: Path) -> Path:
    suffix, content = DAMAGED[name]
    if callable(content):
        content = content(xlsx_bytes(tmp_path))
    path = folder / f"faq{suffix}"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


@pytest.mark.parametrize("name", list(DAMAGED))
def test_damaged_table_is_refused_with_file_line_and_fix(tmp_path, name):
    path = write_damaged(tmp_path / "articles", name, tmp_path)
    with pytest.raises(ValidationError) as info:
        load_articles(tmp_path / "articles")
    messages = [str(p) for p in info.value.problems]
    for message in messages:
        assert re.match(rf"articles/{path.name}:\d+: \S", message), messages
        assert any(word in message for word in FIX_WORDS), message


@pytest.mark.parametrize("name", list(DAMAGED))
def test_cli_validate_reports_damage_without_a_traceback(tmp_path, name, capsys):
    write_damaged(tmp_path / "articles", name, tmp_path)
    assert main(["validate", "--articles", str(tmp_path / "articles")]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path.name}/articles/faq" not in err or "Traceback" not in err
    assert "Traceback" not in err and "faq." in err


def test_cli_process_prints_no_traceback_for_any_damaged_table(tmp_path):
    """The same through a real process: every damaged file in one folder."""
    for number, name in enumerate(DAMAGED):
        path = write_damaged(tmp_path / "tmp", name, tmp_path)
        path.rename(tmp_path / "tmp" / f"{number:02d}{path.suffix}")
    (tmp_path / "tmp").rename(tmp_path / "articles")
    run = subprocess.run(
        [sys.executable, "-m", "kb", "validate", "--articles", str(tmp_path / "articles")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert run.returncode == 1, run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    named = {line.split(":")[0] for line in run.stderr.splitlines() if line.startswith("articles/")}
    assert len(named) == len(DAMAGED), run.stderr[-3000:]


@pytest.mark.parametrize(
    ("suffix", "content"),
    [
        (".csv", "question,answer\r年费,没有。\r"),  # classic Mac line ends
        (".jsonl", '{"question": "年费\u2028", "answer": "没有\u2029。"}\n'),  # not line breaks
        (".jsonl", '{"question": "年费", "answer": "没有\\ud800。"}\r\n'),  # a lone surrogate
    ],
)
def test_unusual_but_valid_tables_are_read(tmp_path, suffix, content):
    path = tmp_path / f"faq{suffix}"
    path.write_text(content, encoding="utf-8", newline="")
    (article,) = load_articles(path)
    assert article.title.startswith("年费") and article.body.startswith("没有")
    article.body.encode("utf-8")
