"""FAQ table readers (.csv, .xlsx, .jsonl): a header and the rows, with the editor's line numbers
(the CSV line with multi-line cells counted, the Excel row number, the JSONL line).

Header names and JSON keys are cleaned like cells (`column_name`) and checked against one column
vocabulary, so a misspelt column is refused instead of ignored (see kb/ingest/faq.py).
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from ..errors import Problem
from ..options import LIMITS
from ..text import clean_text, normalise
from .fields import decode_text, read_limited, shown

REQUIRED = ("question", "answer")
OPTIONAL = (
    "id",
    "slug",
    "category",
    "language",
    "visibility",
    "url",
    "tags",
    "updated",
    "questions",
)
HEADER_ROWS = 5  # rows (with a value) searched for the header: a title or banner may be above it
COLUMNS = REQUIRED + OPTIONAL


# Other names editors' spreadsheets use for the same columns (Chinese help centers, exports of
# other tools). Exact names only, after cleaning: an alias is as strict as the column it stands
# for, so a misspelt one is refused like a misspelt English name, and a table naming one column
# twice (问题 and question) is refused as a repeated column.
ALIASES = {
    "问题": "question",
    "提问": "question",
    "标题": "question",
    "常见问题": "question",
    "答案": "answer",
    "回答": "answer",
    "答复": "answer",
    "解答": "answer",
    "分类": "category",
    "类别": "category",
    "类目": "category",
    "语言": "language",
    "可见性": "visibility",
    "可见范围": "visibility",
    "标签": "tags",
    "关键词": "tags",
    "链接": "url",
    "网址": "url",
    "更新时间": "updated",
    "更新日期": "updated",
    "编号": "id",
    "相似问题": "questions",
    "相似问法": "questions",
    "其他问法": "questions",
    "其它问法": "questions",
    "其他问题": "questions",
    "同义问题": "questions",
    "扩展问题": "questions",
    "alternative questions": "questions",
    "similar questions": "questions",
}


@functools.lru_cache(maxsize=4096, typed=True)  # called for every key of every JSONL row
def column_name(raw: object) -> str:
    """A header cell or JSON key as the reader matches it: NFKC (full-width letters to ASCII),
    invisible and control characters removed, surrounding space stripped, lower-case, and an
    alias (`ALIASES`, e.g. 问题, Traditional 問題 too) replaced by the column it names. Pure, so
    memoised (typed: 1, 1.0 and True stay apart)."""
    if raw is None:
        return ""
    name = clean_text(unicodedata.normalize("NFKC", str(raw))).strip().lower()
    return ALIASES.get(name) or ALIASES.get(_simplified(name)) or name


def _simplified(name: str) -> str:
    """Traditional to Simplified (OpenCC, as for article text), for names that are not columns."""
    return normalise(name) if name and name not in COLUMNS else name


def unknown_column_problem(name: str, kind: str, display: str, line: int) -> Problem:
    """`unknown column 'visiblity'; did you mean 'visibility'?` naming every valid name (and
    that the Chinese aliases work)."""
    close = difflib.get_close_matches(name, [*COLUMNS, *ALIASES], n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return Problem(
        display,
        line,
        f"unknown {kind} {name!r}; {hint}valid {kind}s: {', '.join(COLUMNS)}, or their Chinese "
        "names such as 问题, 答案, 分类 (rename it, or delete it if it holds nothing to publish)",
    )


SPLIT = "split the table into several files"


def find_header(rows: Sequence[tuple[int, Sequence]]) -> int | None:
    """Index in `rows` ((line, cells) as read, the first row included) of the header: the first
    of the first HEADER_ROWS rows with a value whose cells name both 'question' and 'answer'
    (aliases count); None when there is none, e.g. a table that is not a FAQ."""
    seen = 0
    for index, (_, cells) in enumerate(rows):
        names = {column_name(c) for c in cells if isinstance(c, str)}
        if not names - {""}:
            continue
        if set(REQUIRED) <= names:
            return index
        seen += 1
        if seen >= HEADER_ROWS:
            return None
    return None


class TableRefused(Exception):
    """Reading a table stopped at a limit or at damage: `problem` says where and what to do, and
    nothing from the table is used."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def check_row_limits(
    cells: Sequence, count: int, line: int, display: str, names: Sequence[str] = ()
) -> None:
    """Raise TableRefused when the `count`-th row read (the header is 1) is past LIMITS.table_rows
    data rows, has more than LIMITS.table_columns cells, or a text cell longer than
    LIMITS.cell_chars characters; `line` is where the row is in the editor, `names` the header's
    column names (a cell is named by its column's name, else by its number)."""
    if count > LIMITS.table_rows + 1:
        raise TableRefused(
            Problem(
                display,
                line,
                f"table has more than {LIMITS.table_rows:,} rows (limit "
                f"{LIMITS.table_rows:,}); {SPLIT}",
            )
        )
    if len(cells) > LIMITS.table_columns:
        raise TableRefused(
            Problem(
                display,
                line,
                f"row has {len(cells):,} cells, over the {LIMITS.table_columns}-column limit; "
                f"delete the empty columns on the right or {SPLIT}",
            )
        )
    for number, value in enumerate(cells, start=1):
        if isinstance(value, str) and len(value) > LIMITS.cell_chars:
            name = names[number - 1] if number <= len(names) and names[number - 1] else None
            column = shown(name) if name else number
            raise TableRefused(
                cell_too_long(display, line, f"{len(value):,} characters long", column)
            )


def cell_too_long(display: str, line: int, size: str, column: int | str | None) -> Problem:
    """`cell in column 2 is 120,000 characters, over the 100,000-character limit; ...`
    (`a cell is ...` when the column is not known)."""
    where = f"cell in column {column}" if column is not None else "a cell"
    return Problem(
        display,
        line,
        f"{where} is {size}, over the {LIMITS.cell_chars:,}-character limit; "
        "shorten it or split the answer into several articles",
    )


def read_csv(
    path: Path, display: str, problems: list[Problem], notes=None
) -> tuple[list[str], list]:
    """Header and (line, cells) rows of a UTF-8 CSV, blank rows dropped; ([], []) after a
    Problem when the file is over a limit, not UTF-8, or not readable as CSV (the line named).
    Rows are counted as they are read, so reading stops at the first limit passed. A file whose
    first HEADER_ROWS rows hold no header when split at ',' but do at ';', tab or '；' (Excel's
    "CSV" in locales with a decimal comma) is read with that separator, with a notice in
    `notes` (kb/ingest/docsite.py Notes) when given."""
    raw = read_limited(path, LIMITS.table_bytes, display, problems, SPLIT)
    text = None if raw is None else decode_text(raw, display, problems)
    if text is None:
        return [], []
    rows = _csv_rows(text, ",", display, problems)
    if rows and find_header(rows) is None:
        for delimiter in OTHER_DELIMITERS:
            other = _csv_rows(text, delimiter, display, [])
            if other and find_header(other) is not None:
                if notes is not None:
                    notes.add(display, 1, f"columns are separated by {delimiter!r}; read that way")
                rows = other
                break
    if not rows:
        return [], []
    header = [column_name(h) for h in rows[0][1]]
    return header, [(line, row) for line, row in rows[1:] if any(cell.strip() for cell in row)]


OTHER_DELIMITERS = (";", "\t", "；")  # what spreadsheet programs write in locales using a comma


def _csv_rows(text: str, delimiter: str, display: str, problems: list[Problem]) -> list:
    """(line, cells) of every row of `text` read with `delimiter`; [] after a Problem."""
    # newline="": \r, \n and \r\n all end a row (csv's documented mode); strict: an unclosed
    # quote is an error instead of swallowing the rest of the file into one cell
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    start, names = 1, []
    try:
        for row in reader:
            check_row_limits(row, len(rows) + 1, start, display, names)
            names = names or [column_name(h) for h in row]
            rows.append((start, row))
            start = reader.line_num + 1
    except TableRefused as exc:
        problems.append(exc.problem)
        return []
    except csv.Error as exc:
        problems.append(_csv_problem(exc, display, start))
        return []
    return rows


def _csv_problem(exc: csv.Error, display: str, line: int) -> Problem:
    """The csv module's error as a Problem on the row's first line, with the fix."""
    if "field limit" in str(exc):  # csv.field_size_limit(), 131,072 characters
        return cell_too_long(
            display, line, f"longer than {csv.field_size_limit():,} characters", None
        )
    return Problem(
        display,
        line,
        f"cannot read this row as CSV ({exc}); close every quoted cell and write a quote "
        'inside one as "", then save the file again as UTF-8 CSV',
    )


def is_blank(value: object) -> bool:
    """True for None or a float NaN (a cell with no value); "" is not blank here."""
    return value is None or (isinstance(value, float) and value != value)


def missing_columns_problem(
    header: list[str], rows: list, missing: list[str], display: str
) -> Problem:
    """Line 1 names the missing columns, with a hint: a later row that looks like the header
    (a title or merged banner above it), or the misspelt name closest to a missing one. `rows`:
    (line, cells) pairs, the cells a sequence or a mapping."""
    found = ", ".join(h for h in map(str, header) if h) or "nothing"
    hint = next(
        (
            f"; row {line} looks like the header: delete the title or merged rows above it"
            for line, row in rows
            if {"question", "answer"}
            <= {
                column_name(v)
                for v in (row.values() if isinstance(row, dict) else row)
                if isinstance(v, str)
            }
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
        f"missing column(s) {', '.join(missing)}; one of the first {HEADER_ROWS} rows must be "
        f"a header with at least 'question' and 'answer' (found: {found}){hint}"
        f"{separator_hint(header)}",
    )


def separator_hint(header) -> str:
    """`; the file seems to use ';' between columns: ...` when a header cell holds a ';', tab or
    '；' (a file saved with another separator), else ""."""
    cells = [c for c in header if isinstance(c, str)]
    for sep in (";", "\t", "；"):
        if any(sep in c for c in cells):
            return f"; the file seems to use {sep!r} between columns: save it with commas"
    return ""
