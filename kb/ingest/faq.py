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

import datetime as dt
from pathlib import Path

from ..errors import Problem
from ..model import Article
from ..options import Language, Visibility
from ..text import clean_text
from .docsite import Notes
from .excel import read_sheets
from .fields import (
    check_size,
    check_slug,
    guess_language,
    parse_choice,
    shown,
    unwritten_visibility,
)
from .ids import question_id as question_id  # kb/testing/corpora.py imports it from here
from .ids import row_id, sheet_category
from .jsonl import KnownLine, read_jsonl
from .markdown import as_date
from .questions import cell_questions
from .tables import (
    COLUMNS,
    REQUIRED,
    column_name,
    find_header,
    is_blank,
    missing_columns_problem,
    read_csv,
    unknown_column_problem,
)
from .urls import check_url


def check_header(header: list[str], display: str, problems: list[Problem], line: int = 1) -> bool:
    """Refuse unknown and repeated column names (on the header's `line`); True when the header
    can be used."""
    before = len(problems)
    seen: dict[str, int] = {}
    for number, name in enumerate(header, start=1):
        if not name:
            continue
        if name not in COLUMNS:
            problems.append(unknown_column_problem(name, "column", display, line))
        elif name in seen:
            problems.append(
                Problem(
                    display,
                    line,
                    f"column {name!r} appears twice (columns {seen[name]} and {number}); "
                    "keep one of them",
                )
            )
        else:
            seen[name] = number
    return len(problems) == before


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
        if not name and not is_blank(value) and str(value).strip():
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


def load_table(
    path: Path, display: str, problems: list[Problem], notes: Notes | None = None, memo=None
) -> list[Article]:
    """Articles from one FAQ table; problems are appended (with the row's line) instead of raised.

    Every sheet of a workbook is a table of its own (`file.xlsx[Sheet]`, its name the rows'
    default category); the header may sit below a title row (found in the first HEADER_ROWS
    rows, with a notice). Nothing from a table whose header is unusable (missing, unknown or
    repeated columns) is returned, so a misspelt visibility column can never publish the rows it
    was meant to hide. `memo`: a RowMemo (kb/ingest/sourcecache.py) of rows parsed before."""
    notes = Notes() if notes is None else notes
    if path.suffix.lower() == ".xlsx":
        sheets = read_sheets(path, display, problems, notes)
        return [
            article
            for t in sheets
            for article in _table_articles(
                (t.header, t.rows, t.header_line),
                path,
                t.display,
                sheet_category(t.title),
                problems,
                (notes, memo),
            )
        ]
    # rows: (line, cells by position) for CSV; (line, {key: value} or KnownLine) for JSONL
    header_line = 1
    if path.suffix.lower() == ".jsonl":
        known = None if memo is None else memo.known(display, "faq")
        header, rows = read_jsonl(path, display, problems, known)
    else:
        header, rows = read_csv(path, display, problems, notes)
        every = [(1, header), *rows]
        start = (find_header(every) or 0) if rows else 0
        if start:
            header_line = every[start][0]
            header, rows = [column_name(c) for c in every[start][1]], every[start + 1 :]
            notes.add(
                display, header_line, f"header found on row {header_line}; rows above skipped"
            )
    return _table_articles(
        (header, rows, header_line), path, display, "faq", problems, (notes, memo)
    )


def _table_articles(
    table: tuple, path: Path, display: str, category: str, problems: list[Problem], notes: tuple
) -> list[Article]:
    """Articles of one table (header, rows, header line): the header checked first; `notes` is
    (Notes, RowMemo or None), the memo standing in for `row_article` on rows it knows."""
    (header, rows, header_line), (notes, memo) = table, notes
    parse_row = row_article if memo is None else memo.wrap(row_article, display, category)
    if not rows and not header:
        if not any(p.path == display for p in problems):
            empty = "table is empty; add a header row 'question,answer' and at least one row"
            problems.append(Problem(display, 1, empty))
        return []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append(missing_columns_problem(header, rows, missing, display))
        return []
    if not check_header(header, display, problems, header_line):
        return []
    if "id" not in header and "slug" not in header and rows:
        notes.add(
            display,
            header_line,
            "no 'id' column: each row's id is made from its question (faq-<8 hex digits>), so "
            "adding or moving rows keeps links; rewording a question changes its id (add an "
            "'id' column with one short name per row to keep ids through any edit)",
        )
    articles, asked = [], {}
    for line, values in rows:
        row = (
            values
            if isinstance(values, (dict, KnownLine))
            else _record(header, values, line, display, problems)
        )
        article = row is not None and parse_row(row, (line, category), path, display, problems)
        if article and not _named(row.ids if isinstance(row, KnownLine) else row):
            if article.slug in asked:  # the same question (as normalised) on two rows
                problems.append(
                    Problem(
                        display,
                        line,
                        f"row repeats the question of row {asked[article.slug]} "
                        f"({shown(article.title)}); delete one of them or give each an 'id'",
                    )
                )
                continue
            asked[article.slug] = line
        if article:
            articles.append(article)
    return articles


def _named(row: dict) -> bool:
    """Whether a row gives its own slug or id (a row without a value skips `_cell`)."""
    return any(row.get(k) not in (None, "") and _cell(row, k) for k in ("slug", "id"))


def _cell(row: dict, key: str) -> str:
    value = row.get(key, "")
    return "" if is_blank(value) else clean_text(str(value)).strip()


def _check_values(row: dict, display: str, line: int, problems: list[Problem]) -> None:
    """JSON values must be text or numbers (tags and questions may be lists of words; a
    spreadsheet date cell becomes ISO 8601 text): a list or an object would otherwise be indexed
    as its Python repr."""
    for key, value in row.items():
        if isinstance(value, dt.date):  # a spreadsheet date cell: ISO 8601 text
            row[key] = value = value.isoformat()
        ok = value is None or isinstance(value, (str, int, float))
        if key in ("tags", "questions") and isinstance(value, list):
            ok = all(isinstance(t, (str, int)) and not isinstance(t, bool) for t in value)
            row[key] = ("," if key == "tags" else "\n").join(map(str, value)) if ok else value
        if not ok or isinstance(value, bool):
            problems.append(
                Problem(
                    display,
                    line,
                    f"field {key!r} must be text, got {type(value).__name__} {shown(value)}",
                )
            )


def _visibility(
    row: dict, where: tuple[str, int], category: str, problems: list[Problem]
) -> Visibility | None:
    """Without a visibility column `unwritten_visibility` (public unless the category, sheet,
    file or folder name says internal); otherwise exactly public or internal."""
    if "visibility" not in row:
        fix = "add a visibility column with internal (or public) on every row"
        return unwritten_visibility(category, where, fix, problems)
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


def row_article(
    row: dict, at: tuple[int, str], path: Path, display: str, problems: list[Problem]
) -> Article | None:
    """One row as an Article (`at`: its line and the table's default category), or None after
    problems on its line."""
    line, default_category = at
    category = _cell(row, "category") or default_category
    where = (display, line)
    before = len(problems)
    _check_values(row, display, line, problems)
    if len(problems) > before:
        return None
    question, answer = _cell(row, "question"), _cell(row, "answer")
    if check_size(question, display, problems, first_line=line):
        check_size(answer, display, problems, first_line=line)
    for name, value in (("question", question), ("answer", answer)):
        if not value:
            problems.append(Problem(*where, f"empty '{name}' cell; fill it in or delete the row"))
        elif value.startswith("="):
            formula = f"({shown(value)}); paste the text as a value"
            problems.append(Problem(*where, f"'{name}' cell is a spreadsheet formula {formula}"))
    # the file name's slug and the question's hash: stable when rows are added or moved
    default = row_id(path.stem, question)
    questions = cell_questions(_cell(row, "questions"), where, problems)
    slug = check_slug(_cell(row, "slug") or _cell(row, "id") or default, where, problems)
    language_cell = _cell(row, "language")
    language = (
        parse_choice(Language, language_cell, "language", where, problems)
        if language_cell
        else guess_language(question + answer)
    )
    visibility = _visibility(row, where, category, problems)
    url = check_url(_cell(row, "url"), where, problems)
    updated = as_date(_cell(row, "updated"), "updated", where, problems)
    if len(problems) > before:
        return None
    tags = tuple(t.strip() for t in _cell(row, "tags").replace("，", ",").split(",") if t.strip())
    return Article(
        slug=slug,
        title=question,
        body=answer,
        category=category,
        language=language,
        visibility=visibility,
        tags=tags,
        url=url,
        updated=updated,
        source=display,
        body_line=line,
        questions=questions,
        slug_line=line,
    )
