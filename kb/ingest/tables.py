"""FAQ table readers (.csv, .xlsx, .jsonl): a header and the rows, with the editor's line numbers
(the CSV line with multi-line cells counted, the Excel row number, the JSONL line).

Header names and JSON keys are cleaned like cells (`column_name`) and checked against one column
vocabulary, so a misspelt column is refused instead of ignored (see kb/ingest/faq.py).
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from ..errors import Problem
from ..text import clean_text
from .fields import decode_text

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


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text))
    start = 1
    for row in reader:
        yield start, row
        start = reader.line_num + 1


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


def is_blank(value: object) -> bool:
    """True for None or a float NaN (a cell with no value); "" is not blank here."""
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
