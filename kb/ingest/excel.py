"""The .xlsx reader: the first sheet of a workbook as a header and rows, with bounded work.

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
from pathlib import Path

from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from ..errors import Problem
from ..options import LIMITS
from .fields import shown
from .tables import SPLIT, TableRefused, check_row_limits, column_name

HINT_SHEETS = 10  # sheets looked at for "move sheet ... to the front" when the first is empty
RESAVE = "the file is damaged or not an .xlsx workbook: open it and save it again as .xlsx"


def read_excel(path: Path, display: str, problems: list[Problem]) -> tuple[list[str], list]:
    """Header (cleaned names) and (row number, cells) rows of the first sheet, rows without any
    value dropped and every row padded to the widest; ([], []) after a Problem: a limit passed,
    a damaged file (cut, not a zip, bad XML), no worksheet first, an empty first sheet (naming a
    later sheet that has data), or a formula in any cell (then the row is left out)."""
    from openpyxl import load_workbook

    try:
        _check_package(path, display)
        workbook = load_workbook(path, read_only=True, data_only=False)
    except TableRefused as exc:
        problems.append(exc.problem)
        return [], []
    except Exception as exc:  # openpyxl, zipfile and XML raise many types for a damaged file
        problems.append(Problem(display, 1, f"cannot read the workbook ({_reason(exc)}); {RESAVE}"))
        return [], []
    try:
        rows = _first_sheet_rows(workbook, display)
    except TableRefused as exc:
        problems.append(exc.problem)
        return [], []
    finally:
        workbook.close()
    width = max(len(r) for _, r in rows)
    header = [column_name(c) for c in _padded(rows[0][1], width)]
    body = []
    for number, values in rows[1:]:
        cells = _padded(values, width)
        formulas = [
            _formula_problem(header[i] or f"column {i + 1}", value, number, display)
            for i, value in enumerate(cells)
            if _is_formula(value)
        ]
        problems.extend(formulas)
        if _has_value(values) and not formulas:
            # An empty spreadsheet cell is None: rows are padded, so a missing visibility cell
            # reaches the visibility check as empty, which is refused.
            body.append((number, ["" if v is None else v for v in cells]))
    return header, body


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


def _first_sheet_rows(workbook, display: str) -> list[tuple[int, tuple]]:
    """(row number, values without trailing empty cells) of every row of the first sheet from
    row 1 (the header); raises TableRefused for a limit, damage, a chart sheet first or a first
    sheet without any value (naming a later sheet that has one)."""
    sheets = workbook.worksheets
    first = workbook.sheetnames[0] if workbook.sheetnames else None
    if not sheets:
        raise TableRefused(Problem(display, 1, f"the workbook has no worksheet; {RESAVE}"))
    if first != sheets[0].title:
        raise TableRefused(
            Problem(
                display,
                1,
                f"the first sheet {shown(first)} is a chart, not a table; "
                "move the FAQ sheet to the front",
            )
        )
    rows = list(_bounded_rows(sheets[0], display))
    if any(_has_value(values) for _, values in rows):
        return rows
    # the hint looks at the next few sheets only: each may hold LIMITS.table_rows rows
    filled = next((ws.title for ws in sheets[1:HINT_SHEETS] if _has_rows(ws, display)), None)
    where = f"; move sheet {filled!r} to the front" if filled else ""
    raise TableRefused(
        Problem(
            display,
            1,
            f"the first sheet {first!r} is empty; FAQ tables are read from the first sheet "
            f"only{where}",
        )
    )


def _has_rows(sheet, display: str) -> bool:
    """Whether `sheet` has a value in any row; a sheet over a limit or damaged counts as one."""
    try:
        return any(_has_value(values) for _, values in _bounded_rows(sheet, display))
    except TableRefused:
        return True


def _has_value(row) -> bool:
    return any(v is not None and str(v).strip() for v in row)


def _bounded_rows(sheet, display: str) -> Iterator[tuple[int, tuple]]:
    """(Excel row number, values up to the last non-empty one) for every row from 1, counted as
    they are parsed; TableRefused past a limit (the declared dimensions are checked before the
    first row) or when openpyxl cannot parse the sheet."""
    rows, columns = sheet.max_row or 0, sheet.max_column or 0
    if rows > LIMITS.table_rows + 1 or columns > LIMITS.table_columns:
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
        check_row_limits(values, number, number, display, names)
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
