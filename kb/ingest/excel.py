"""The .xlsx reader: every worksheet of a workbook as a header and rows, with bounded work.

Each sheet with a header row (found in its first rows: a title or banner above it is skipped)
is a table of its own, reported as `file.xlsx[Sheet]:row`; its name is the rows' default category
(kb/ingest/faq.py). Merged cells are filled from their top-left cell (kb/ingest/merged.py).

A workbook is a zip of XML parts, so its size on disk says little: a 5 KB file can declare the
range A1:XFD1048576 (17 billion cells, which openpyxl's row iterator pads out one by one) or
unzip to gigabytes. Before any row is parsed, the reader checks the file size, the unzipped size
of every part (from the zip directory) and the sheet's declared dimensions against `LIMITS`; while
reading, it counts rows and cells and stops at the first limit passed. It does not trust the
declared range for the width either (a range narrower than the data would drop the columns
outside it, a visibility column among them): rows are as wide as their last cell.

Formulas of every kind are refused in every cell: read with formulas kept (`data_only=False`),
a formula is a text starting with '=' or an openpyxl ArrayFormula / DataTableFormula object; its
cached value may be empty or stale, and the object would be indexed as its repr.
"""

from __future__ import annotations

import itertools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from ..errors import Problem
from ..options import LIMITS
from .docsite import Notes
from .fields import shown
from .merged import fill_merged, merged_ranges
from .tables import HEADER_ROWS, SPLIT, TableRefused, check_row_limits, column_name, find_header

RESAVE = "the file is damaged or not an .xlsx workbook: open it and save it again as .xlsx"


@dataclass
class SheetTable:
    """One worksheet as a FAQ table: `display` is `file.xlsx[Sheet]`, `header` the cleaned names
    of the header row (found in the first HEADER_ROWS rows, on Excel row `header_line`), `rows`
    (row number, cells) below it, padded to the widest row, rows without a value dropped."""

    title: str
    display: str
    header: list[str]
    header_line: int
    rows: list[tuple[int, list]]


def read_sheets(
    path: Path, display: str, problems: list[Problem], notes: Notes
) -> list[SheetTable]:
    """Every worksheet of a workbook that holds a FAQ table; [] after a Problem: a limit passed
    (rows counted over all sheets), a damaged file (cut, not a zip, bad XML), a workbook without
    any value, or a formula in any cell (then the row is left out). Merged cells are filled from
    their top-left cell and empty sheets and sheets without a header row (when another sheet has
    one) are skipped, each with a notice; when no sheet has a header, the first sheet with values
    is returned with its row 1 as the header, which the caller refuses with its hint."""
    from openpyxl import load_workbook

    try:
        _check_package(path, display)
        workbook = load_workbook(path, read_only=True, data_only=False)
    except TableRefused as exc:
        problems.append(exc.problem)
        return []
    except Exception as exc:  # openpyxl, zipfile and XML raise many types for a damaged file
        problems.append(Problem(display, 1, f"cannot read the workbook ({_reason(exc)}); {RESAVE}"))
        return []
    try:
        with zipfile.ZipFile(path) as package:
            sheets = _all_sheets(workbook, package, display, notes)
    except TableRefused as exc:
        problems.append(exc.problem)
        return []
    finally:
        workbook.close()
    if not sheets:
        problems.append(Problem(display, 1, f"the workbook has no worksheet with values; {RESAVE}"))
        return []
    found = [t for t in sheets if t[2] is not None]
    for title, where, start, _ in sheets:
        if start is None and found:
            notes.add(
                where,
                1,
                f"skipped sheet {title!r}: no row with 'question' and 'answer' columns in its "
                f"first {HEADER_ROWS} rows (add that header to import it)",
            )
    tables = [_table(t, problems, notes) for t in (found or sheets[:1])]
    return [t for t in tables if t is not None]


def _all_sheets(workbook, package, display: str, notes: Notes) -> list[tuple]:
    """(title, display, header index or None, rows) of every worksheet with a value, merged
    cells filled; empty ones get a notice. Rows are counted over all sheets against the limit."""
    out, total = [], 0
    for sheet in workbook.worksheets:
        # one sheet: the file's name as before; several: `file.xlsx[Sheet]`
        where = f"{display}[{sheet.title}]" if len(workbook.worksheets) > 1 else display
        rows = list(_bounded_rows(sheet, where, total))
        total += len(rows)
        if not any(_has_value(values) for _, values in rows):
            if len(workbook.worksheets) > 1:
                notes.add(where, 1, f"skipped sheet {sheet.title!r}: it is empty")
            continue
        filled = fill_merged(rows, merged_ranges(package, sheet._worksheet_path))
        if filled:
            notes.add(where, 1, f"filled merged cells from their top-left cell: {filled}")
        out.append((sheet.title, where, find_header(rows), rows))
    return out


def _table(sheet: tuple, problems: list[Problem], notes: Notes) -> SheetTable | None:
    """The SheetTable of one sheet's rows (header row `start`, else row 1); formulas refused."""
    title, where, start, rows = sheet
    start = start or 0
    if start:
        notes.add(
            where, rows[start][0], f"header found on row {rows[start][0]}; rows above skipped"
        )
    width = max(len(r) for _, r in rows)
    header = [column_name(c) for c in _padded(rows[start][1], width)]
    body = []
    for number, values in rows[start + 1 :]:
        cells = _padded(values, width)
        formulas = [
            _formula_problem(header[i] or f"column {i + 1}", value, number, where)
            for i, value in enumerate(cells)
            if _is_formula(value)
        ]
        problems.extend(formulas)
        if _has_value(values) and not formulas:
            # An empty spreadsheet cell is None: rows are padded, so a missing visibility cell
            # reaches the visibility check as empty, which is refused.
            body.append((number, ["" if v is None else v for v in cells]))
    return SheetTable(title, where, header, rows[start][0], body)


def _check_package(path: Path, display: str) -> None:
    """Raise TableRefused when the file or its unzipped parts are over their limits (sizes from
    the file system and the zip directory, nothing unzipped); zipfile errors pass through."""
    size = path.stat().st_size
    if size > LIMITS.table_bytes:
        raise TableRefused(
            Problem(
                display,
                1,
                f"file is {size:,} bytes, over the {LIMITS.table_bytes:,}-byte limit; {SPLIT}",
            )
        )
    with zipfile.ZipFile(path) as package:
        unpacked = sum(info.file_size for info in package.infolist())
    if unpacked > LIMITS.xlsx_unpacked_bytes:
        raise TableRefused(
            Problem(
                display,
                1,
                f"workbook unzips to {unpacked:,} bytes, over the "
                f"{LIMITS.xlsx_unpacked_bytes:,}-byte limit; {SPLIT} (or remove pictures "
                "and other sheets)",
            )
        )


def _has_value(row) -> bool:
    return any(v is not None and str(v).strip() for v in row)


def _bounded_rows(sheet, display: str, before: int = 0) -> Iterator[tuple[int, tuple]]:
    """(Excel row number, values up to the last non-empty one) for every row from 1, counted as
    they are parsed (after `before` rows of earlier sheets); TableRefused past a limit (the
    declared dimensions are checked before the first row) or when openpyxl cannot parse it."""
    rows, columns = sheet.max_row or 0, sheet.max_column or 0
    if before + rows > LIMITS.table_rows + 1 or columns > LIMITS.table_columns:
        declared = sheet.calculate_dimension() if rows and columns else "of its size record"
        raise TableRefused(
            Problem(
                display,
                1,
                f"sheet {sheet.title!r} declares the range {declared} "
                f"({rows:,} rows, {columns:,} columns), over the limits of "
                f"{LIMITS.table_rows:,} rows and {LIMITS.table_columns} columns; delete the "
                f"rows and columns around the table or {SPLIT}",
            )
        )
    sheet.reset_dimensions()  # rows as wide as their last cell, not cut to the declared range
    parsed, names = sheet.iter_rows(values_only=True), []
    for number in itertools.count(1):
        try:
            values = next(parsed)
        except StopIteration:
            return
        except Exception as exc:  # XML, zip (CRC, cut data) and cell errors of a damaged sheet
            raise TableRefused(
                Problem(display, number, f"cannot read the sheet ({_reason(exc)}); {RESAVE}")
            ) from exc
        values = _trimmed(values)
        check_row_limits(values, before + number, number, display, names)
        names = names or [column_name(v) for v in values]
        yield number, values


def _trimmed(values) -> tuple:
    end = len(values)
    while end and (values[end - 1] is None or values[end - 1] == ""):
        end -= 1
    return tuple(values[:end])


def _padded(row: tuple, width: int) -> list:
    return list(row) + [None] * (width - len(row))


def _is_formula(value: object) -> bool:
    return isinstance(value, ArrayFormula | DataTableFormula) or (
        isinstance(value, str) and value.startswith("=")
    )


def _formula_problem(name: str, value: object, number: int, display: str) -> Problem:
    """`'answer' cell is a spreadsheet formula ('=A1&B1'); paste the text as a value`."""
    if isinstance(value, ArrayFormula):
        text = value.text or "array formula"
    elif isinstance(value, DataTableFormula):
        text = "data table"
    else:
        text = str(value)
    return Problem(
        display,
        number,
        f"{shown(name)} cell is a spreadsheet formula ({shown(text)}); paste the text as a value",
    )


def _reason(exc: Exception) -> str:
    """The first line of an exception's message (its type when it has none), at most 120
    characters."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:120]
