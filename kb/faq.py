"""FAQ tables (.csv, .xlsx, .jsonl): each row becomes one article (question = title, answer = body).

Line numbers in problems are the editor's own: the CSV line (multi-line cells counted), the Excel row
number, the JSONL line.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

from .articles import Article, check_size, check_slug, decode_text, guess_language, parse_choice
from .errors import Problem
from .options import Language, Visibility
from .text import clean_text

REQUIRED = ("question", "answer")
OPTIONAL = ("id", "slug", "category", "language", "visibility", "url", "tags", "updated")


def _csv_rows(text: str) -> Iterator[tuple[int, dict]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return
    yield 1, {"__header__": [h.strip().lower() for h in header]}
    start = reader.line_num + 1
    for row in reader:
        yield start, row  # type: ignore[misc]
        start = reader.line_num + 1


def _read_csv(path: Path, display: str, problems: list[Problem]) -> tuple[list[str], list]:
    text = decode_text(path.read_bytes(), display, problems)
    if text is None:
        return [], []
    rows = list(_csv_rows(text))
    if not rows:
        return [], []
    header = rows[0][1]["__header__"]
    records = []
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            problems.append(
                Problem(
                    display,
                    line,
                    f"row has {len(row)} cells but the header has "
                    f"{len(header)}; quote cells that contain commas",
                )
            )
            continue
        records.append((line, dict(zip(header, row, strict=False))))
    return header, records


def _read_excel(path: Path, display: str, problems: list[Problem]) -> tuple[list[str], list]:
    """First sheet only, read with formulas kept as formulas (pandas' reader would hand us the
    cached value, which is empty for a workbook no spreadsheet program has recalculated)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        problems.append(
            Problem(display, 1, f"cannot read the workbook ({exc}); save it again as .xlsx")
        )
        return [], []
    try:
        sheets = {
            ws.title: [r for r in ws.iter_rows(values_only=True)] for ws in workbook.worksheets
        }
    finally:
        workbook.close()
    first = workbook.sheetnames[0]
    filled = [name for name, rows in sheets.items() if any(_has_value(r) for r in rows)]
    if not any(_has_value(r) for r in sheets[first]):
        where = f"; move sheet {filled[0]!r} to the front" if filled else ""
        problems.append(
            Problem(
                display,
                1,
                f"the first sheet {first!r} is empty; FAQ tables are "
                f"read from the first sheet only{where}",
            )
        )
        return [], []
    rows = sheets[first]
    header = [str(c).strip().lower() if c is not None else "" for c in rows[0]]
    records = []
    for number, values in enumerate(rows[1:], start=2):
        if _has_value(values):
            records.append(
                (
                    number,
                    {h: ("" if v is None else v) for h, v in zip(header, values, strict=False)},
                )
            )
    return header, records


def _has_value(row) -> bool:
    return any(v is not None and str(v).strip() for v in row)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _read_jsonl(path: Path, display: str, problems: list[Problem]) -> tuple[list[str], list]:
    text = decode_text(path.read_bytes(), display, problems)
    if text is None:
        return [], []
    records, keys = [], set()
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(
                Problem(
                    display,
                    line_no,
                    f"invalid JSON ({exc.msg}); each line must be "
                    'one object like {"question": ..., "answer": ...}',
                )
            )
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(display, line_no, "each line must be a JSON object"))
            continue
        obj = {str(k).strip().lower(): v for k, v in obj.items()}
        keys.update(obj)
        records.append((line_no, obj))
    return sorted(keys), records


READERS = {".csv": _read_csv, ".xlsx": _read_excel, ".jsonl": _read_jsonl}


def load_table(path: Path, display: str, problems: list[Problem]) -> list[Article]:
    """Articles from one FAQ table; problems are appended (with the row's line) instead of raised."""
    header, records = READERS[path.suffix.lower()](path, display, problems)
    if not records and not header:
        if not any(p.path == display for p in problems):
            problems.append(
                Problem(
                    display,
                    1,
                    "table is empty; add a header row 'question,answer' and at least one row",
                )
            )
        return []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        found = ", ".join(h for h in map(str, header) if h) or "nothing"
        hint = next(
            (
                f"; row {line} looks like the header: delete the title or merged rows above it"
                for line, row in records
                if {"question", "answer"} <= {str(v).strip().lower() for v in row.values()}
            ),
            "",
        )
        problems.append(
            Problem(
                display,
                1,
                f"missing column(s) {', '.join(missing)}; the first row must be a header with at least "
                f"'question' and 'answer' (found: {found}){hint}",
            )
        )
        return []
    articles = []
    for line, row in records:
        article = _row_article(row, line, path, display, problems)
        if article:
            articles.append(article)
    return articles


def _cell(row: dict, key: str) -> str:
    value = row.get(key, "")
    return "" if _is_blank(value) else clean_text(str(value)).strip()


def _row_article(
    row: dict, line: int, path: Path, display: str, problems: list[Problem]
) -> Article | None:
    where = (display, line)
    before = len(problems)
    question, answer = _cell(row, "question"), _cell(row, "answer")
    check_size(answer, display, problems, first_line=line)
    for name, value in (("question", question), ("answer", answer)):
        if not value:
            problems.append(
                Problem(display, line, f"empty '{name}' cell; fill it in or delete the row")
            )
        elif value.startswith("="):
            problems.append(
                Problem(
                    display,
                    line,
                    f"'{name}' cell is a spreadsheet formula "
                    f"({value[:40]!r}); paste the text as a value",
                )
            )
    slug = check_slug(
        _cell(row, "slug") or _cell(row, "id") or f"{path.stem.lower()}-{line}", where, problems
    )
    language_cell = _cell(row, "language")
    language = (
        parse_choice(Language, language_cell, "language", where, problems)
        if language_cell
        else guess_language(question + answer)
    )
    visibility = parse_choice(
        Visibility, _cell(row, "visibility") or "public", "visibility", where, problems
    )
    if len(problems) > before:
        return None
    tags = tuple(t.strip() for t in _cell(row, "tags").replace("，", ",").split(",") if t.strip())
    return Article(
        slug=slug,
        title=question,
        body=answer,
        category=_cell(row, "category") or "faq",
        language=language,
        visibility=visibility,
        tags=tags,
        url=_cell(row, "url"),
        updated=_cell(row, "updated"),
        source=display,
        body_line=line,
    )
