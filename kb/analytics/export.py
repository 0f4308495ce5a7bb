"""CSV export of the editor reports, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import re

import pandas as pd

# OWASP CSV injection: a cell starting with = + - @ tab or CR (also LF and the full-width signs,
# also after leading blanks, which spreadsheets skip) gets a leading single quote
FORMULA_RE = re.compile(r"[\t\r\n]|[\s\u200b-\u200f\u2060\ufeff]*[=+\-@\uff1d\uff0b\uff0d\uff20]")


def neutralise_cell(value: object) -> object:
    """`value` with a leading `'` when it is a string a spreadsheet would run as a formula
    (OWASP CSV injection guidance); anything else unchanged (numbers stay numbers)."""
    if isinstance(value, str) and FORMULA_RE.match(value):
        return "'" + value
    return value


def to_csv(frame: pd.DataFrame) -> bytes:
    """`frame` as UTF-8 CSV bytes without the index: every string cell and column name passed
    through `neutralise_cell`, every cell quoted (embedded quotes doubled) and rows ended by CRLF
    (RFC 4180), so a CR or LF inside a cell cannot start a row. The one export of every editor
    report."""
    safe = frame.rename(columns=lambda c: neutralise_cell(str(c))).map(neutralise_cell)
    text = safe.to_csv(index=False, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    return text.encode("utf-8")
