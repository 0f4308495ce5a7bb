"""FAQ tables (.csv, .xlsx, .jsonl): each row becomes one article (question = title, answer = body).

Line numbers in problems are the editor's own: the CSV line (multi-line cells counted), the Excel row
number, the JSONL line.

Visibility fails closed. A table can mark rows `internal`, so anything that could silently lose that
mark is refused rather than read as public: a column or key the reader does not know (a misspelt
`visiblity` would otherwise be ignored), a column named twice, a value in a column without a name, a
row with more or fewer cells than the header (a shifted row moves `internal` into another column), an
empty visibility cell in a table that has the column, and any visibility value other than `public` or
`internal`. Header names are cleaned like cells (NFKC, invisible characters removed, case folded).
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from .articles import Article, check_size, check_slug, decode_text, guess_language, parse_choice
from .errors import Problem
from .options import Language, Visibility
from .text import clean_text

REQUIRED = ("question", "answer")
OPTIONAL = ("id", "slug", "category", "language", "visibility", "url", "tags", "updated")
COLUMNS = REQUIRED + OPTIONAL


def column_name(raw: object) -> str:
    """A header cell or JSON key as the reader matches it: NFKC (full-width letters to ASCII),
    invisible and control characters removed, surrounding space stripped, lower-case."""
    if raw is None:
        return ""
    return clean_text(unicodedata.normalize("NFKC", str(raw))).strip().lower()


def unknown_column_problem(name: str, kind: str, display: str, line: int) -> Problem:
    """`unknown column 'visiblity'; did you mean 'visibility'?` naming every valid name."""
    close = difflib.get_close_matches(name, COLUMNS, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return Problem(
        display,
        line,
        f"unknown {kind} {name!r}; {hint}valid {kind}s: {', '.join(COLUMNS)} "
        "(rename it, or delete it if it holds nothing to publish)",
    )


def check_header(header: list[str], display: str, problems: list[Problem]) -> bool:
    """Refuse unknown and repeated column names (line 1); True when the header can be used."""
    before = len(problems)
    seen: dict[str, int] = {}
    for number, name in enumerate(header, start=1):
        if not name:
            continue
        if name not in COLUMNS:
            problems.append(unknown_column_problem(name, "column", display, 1))
        elif name in seen:
            problems.append(
                Problem(
                    display,
                    1,
                    f"column {name!r} appears twice (columns {seen[name]} and {number}); "
                    "keep one of them",
                )
            )
        else:
            seen[name] = number
    return len(problems) == before


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text))
    start = 1
    for row in reader:
        yield start, row
        start = reader.line_num + 1


def _record(
    header: list[str], values: list, line: int, display: str, problems: list[Problem]
) -> dict | None:
    """One row as {column: value}, or None after a problem: the row must have exactly the header's
    cells (a shifted row would move a visibility mark into another column), and no value may sit
    under a column without a name."""
    if len(values) != len(header):
        problems.append(
            Problem(
                display,
                line,
                f"row has {len(values)} cells but the header has {len(header)}; "
                "quote cells that contain commas and give every row every column",
            )
        )
        return None
    for number, (name, value) in enumerate(zip(header, values, strict=True), start=1):
        if not name and not _is_blank(value) and str(value).strip():
            problems.append(
                Problem(
                    display,
                    line,
                    f"column {number} has the value {str(value)[:40]!r} but no header name; "
                    "name the column or delete the value",
                )
            )
            return None
    return {name: value for name, value in zip(header, values, strict=True) if name}


def _read_csv(path: Path, display: str, problems: list[Problem]) -> tuple[list[str], list]:
    text = decode_text(path.read_bytes(), display, problems)
    if text is None:
        return [], []
    try:
        rows = list(_csv_rows(text))
    except csv.Error as exc:
        problems.append(
            Problem(display, 1, f"cannot read the CSV ({exc}); save it again as UTF-8 CSV")
        )
        return [], []
    if not rows:
        return [], []
    header = [column_name(h) for h in rows[0][1]]
    return header, [(line, row) for line, row in rows[1:] if any(cell.strip() for cell in row)]


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
    width = max(len(r) for r in rows)
    header = [column_name(c) for c in _padded(rows[0], width)]
    # An empty spreadsheet cell is None: rows are padded, so a missing visibility cell reaches
    # the visibility check as empty, which is refused.
    return header, [
        (number, ["" if v is None else v for v in _padded(values, width)])
        for number, values in enumerate(rows[1:], start=2)
        if _has_value(values)
    ]


def _padded(row: tuple, width: int) -> list:
    return list(row) + [None] * (width - len(row))


def _has_value(row) -> bool:
    return any(v is not None and str(v).strip() for v in row)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """object_pairs_hook: a key given twice in one object is ambiguous, so it is refused."""
    result: dict = {}
    for key, value in pairs:
        name = column_name(key)
        if name in result:
            raise _DuplicateKey(key)
        result[name] = value
    return result


class _DuplicateKey(ValueError):
    pass


def _read_jsonl(path: Path, display: str, problems: list[Problem]) -> tuple[list[str], list]:
    text = decode_text(path.read_bytes(), display, problems)
    if text is None:
        return [], []
    records, keys = [], set()
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, object_pairs_hook=_unique_keys)
        except _DuplicateKey as exc:
            problems.append(
                Problem(display, line_no, f"key {exc.args[0]!r} appears twice; keep one of them")
            )
            continue
        except (json.JSONDecodeError, RecursionError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            problems.append(
                Problem(
                    display,
                    line_no,
                    f"invalid JSON ({reason}); each line must be "
                    'one object like {"question": ..., "answer": ...}',
                )
            )
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(display, line_no, "each line must be a JSON object"))
            continue
        unknown = [k for k in obj if k not in COLUMNS]
        if unknown:
            problems.extend(unknown_column_problem(k, "key", display, line_no) for k in unknown)
            continue
        keys.update(obj)
        records.append((line_no, obj))
    if "visibility" in keys:
        # Per line, a missing key is the same as an empty cell in a table with the column.
        for _, obj in records:
            obj.setdefault("visibility", "")
    return sorted(keys), records


READERS = {".csv": _read_csv, ".xlsx": _read_excel, ".jsonl": _read_jsonl}


def load_table(path: Path, display: str, problems: list[Problem]) -> list[Article]:
    """Articles from one FAQ table; problems are appended (with the row's line) instead of raised.

    Nothing from a table whose header is unusable (missing, unknown or repeated columns) is
    returned, so a misspelt visibility column can never publish the rows it was meant to hide."""
    # rows: (line, cells by position) for CSV and Excel, (line, {key: value}) for JSONL
    header, rows = READERS[path.suffix.lower()](path, display, problems)
    if not rows and not header:
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
        problems.append(_missing_columns_problem(header, rows, missing, display))
        return []
    if not check_header(header, display, problems):
        return []
    articles = []
    for line, values in rows:
        row = (
            values if isinstance(values, dict) else _record(header, values, line, display, problems)
        )
        article = row is not None and _row_article(row, line, path, display, problems)
        if article:
            articles.append(article)
    return articles


def _missing_columns_problem(header: list[str], rows: list, missing: list[str], display: str):
    """Line 1 names the missing columns, with a hint: a later row that looks like the header
    (a title or merged banner above it), or the misspelt name closest to a missing one."""
    found = ", ".join(h for h in map(str, header) if h) or "nothing"
    hint = next(
        (
            f"; row {line} looks like the header: delete the title or merged rows above it"
            for line, row in rows
            if {"question", "answer"}
            <= {column_name(v) for v in (row.values() if isinstance(row, dict) else row)}
        ),
        "",
    )
    if not hint:
        close = [
            (name, difflib.get_close_matches(name, missing, n=1, cutoff=0.6))
            for name in map(str, header)
            if name and name not in COLUMNS
        ]
        hint = "".join(f"; did you mean {m[0]!r} for {name!r}?" for name, m in close if m)
    return Problem(
        display,
        1,
        f"missing column(s) {', '.join(missing)}; the first row must be a header with at least "
        f"'question' and 'answer' (found: {found}){hint}",
    )


def _cell(row: dict, key: str) -> str:
    value = row.get(key, "")
    return "" if _is_blank(value) else clean_text(str(value)).strip()


def _check_values(row: dict, display: str, line: int, problems: list[Problem]) -> None:
    """JSON values must be text or numbers (tags may be a list of words): a list or an object
    would otherwise be indexed as its Python repr."""
    for key, value in row.items():
        ok = value is None or isinstance(value, (str, int, float))
        if key == "tags" and isinstance(value, list):
            ok = all(isinstance(t, (str, int)) and not isinstance(t, bool) for t in value)
            row[key] = ",".join(map(str, value)) if ok else value
        if not ok or isinstance(value, bool):
            problems.append(
                Problem(
                    display,
                    line,
                    f"field {key!r} must be text, got {type(value).__name__} {str(value)[:40]!r}",
                )
            )


def _visibility(row: dict, where: tuple[str, int], problems: list[Problem]) -> Visibility | None:
    """`public` when the table has no visibility column; otherwise exactly public or internal."""
    if "visibility" not in row:
        return Visibility.PUBLIC
    value = _cell(row, "visibility")
    if not value:
        problems.append(
            Problem(
                *where,
                "empty 'visibility' cell; write public or internal on every row of a table "
                "that has a visibility column (or delete the column to make the whole table public)",
            )
        )
        return None
    return parse_choice(Visibility, value, "visibility", where, problems)


def _row_article(
    row: dict, line: int, path: Path, display: str, problems: list[Problem]
) -> Article | None:
    where = (display, line)
    before = len(problems)
    _check_values(row, display, line, problems)
    if len(problems) > before:
        return None
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
    visibility = _visibility(row, where, problems)
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
