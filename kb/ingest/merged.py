"""Merged cells of a worksheet, filled from their top-left cell.

A spreadsheet shows a category merged over five rows once; openpyxl reads the value in the top-left
cell and None in the others, so four of the five rows lost their category. The ranges are read from
the sheet's XML part (`<mergeCell ref="A2:A6"/>`): openpyxl's read-only mode, which keeps the work
bounded, does not parse them. The part's size was checked against LIMITS before (kb/ingest/excel.py).
"""

from __future__ import annotations

import re
import zipfile

from openpyxl.utils.cell import range_boundaries

from ..options import LIMITS

MERGE_RE = re.compile(
    rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?)"'
)
SHOWN_RANGES = 5  # ranges named in the notice


def merged_ranges(package: zipfile.ZipFile, part: str) -> list[tuple[int, int, int, int]]:
    """(min_col, min_row, max_col, max_row), 1-based, of every merged range in the sheet's XML
    part `part` (a name inside the zip `package`); [] when the part is missing."""
    try:
        raw = package.read(part.lstrip("/"))
    except KeyError:
        return []
    return [range_boundaries(m.group(1).decode()) for m in MERGE_RE.finditer(raw)]


def fill_merged(rows: list[tuple[int, tuple]], ranges: list[tuple[int, int, int, int]]) -> str:
    """Fill every merged range in `rows` ((Excel row number, values) as read, changed in place,
    rows widened as needed) with its top-left value; returns a short description for the notice
    ("A2:A6, B3:B4 (2 ranges)"), "" when no range holds a value. The work is bounded by the rows
    read and LIMITS.table_columns, whatever range a damaged file declares."""
    by_number = {number: i for i, (number, _) in enumerate(rows)}
    filled: list[str] = []
    budget = LIMITS.table_rows * LIMITS.table_columns  # cells visited, over all ranges
    for min_col, min_row, max_col, max_row in ranges:
        budget -= (min(max_row, rows[-1][0]) - min_row + 1) * (max_col - min_col + 1)
        if budget < 0:
            break
        top = by_number.get(min_row)
        value = _get(rows[top][1], min_col) if top is not None else None
        if value is None or max_col > LIMITS.table_columns:
            continue
        for number in range(min_row, min(max_row, rows[-1][0]) + 1):
            i = by_number.get(number)
            if i is None:
                continue
            cells = list(rows[i][1]) + [None] * max(0, max_col - len(rows[i][1]))
            for col in range(min_col, max_col + 1):
                if cells[col - 1] is None or cells[col - 1] == "":
                    cells[col - 1] = value
            rows[i] = (number, tuple(cells))
        filled.append(_ref(min_col, min_row, max_col, max_row))
    if not filled:
        return ""
    more = f" and {len(filled) - SHOWN_RANGES} more" if len(filled) > SHOWN_RANGES else ""
    return f"{', '.join(filled[:SHOWN_RANGES])}{more} ({len(filled)} range(s))"


def _get(values: tuple, col: int):
    return values[col - 1] if col <= len(values) else None


def _ref(min_col: int, min_row: int, max_col: int, max_row: int) -> str:
    from openpyxl.utils.cell import get_column_letter

    return f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"
