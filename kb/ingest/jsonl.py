"""JSONL FAQ tables: one JSON object per line, keys cleaned like a header's names (kb/ingest/tables.py
`column_name`) and checked against the same column vocabulary.

Lines read cleanly before (`KnownLine`, from kb/ingest/sourcecache.py's RowMemo) are not parsed
again: after an edit to one row of a 20,000-line table, JSON parsing and row checks of the other
lines were about half of a one-article rebuild's load (docs/BENCHMARKS.md "Incremental rebuild").
Whatever depends on the whole table (its keys, whether it has a visibility column, row limits) is
still worked out from every line.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from ..errors import Problem
from ..model import Article
from ..options import LIMITS
from .fields import decode_text, read_limited, shown
from .tables import (
    COLUMNS,
    SPLIT,
    TableRefused,
    check_row_limits,
    column_name,
    unknown_column_problem,
)


class KnownLine(NamedTuple):
    """A line whose exact text was read, and its row turned into an article, without a problem
    at an earlier load of the same table: `key` (16 bytes) names the text, `article` is that
    row's Article (at this line), `keys` the line's cleaned keys, and `ids` its `slug` and `id`
    values (what the table's repeated-question check reads)."""

    key: bytes
    article: Article
    keys: tuple[str, ...]
    ids: dict


# known(line text, line number) -> the line as read before, or None: parse it
Known = Callable[[str, int], KnownLine | None]


class _DuplicateKey(ValueError):
    pass


class _TooManyKeys(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """object_pairs_hook: a key given twice in one object is ambiguous, so it is refused; an
    object with more keys than LIMITS.table_columns is refused before its names are compared."""
    if len(pairs) > LIMITS.table_columns:
        raise _TooManyKeys(len(pairs))
    result: dict = {}
    for key, value in pairs:
        name = column_name(key)
        if name in result:
            raise _DuplicateKey(key)
        result[name] = value
    return result


def _no_constant(name: str) -> float:
    """parse_constant: NaN and Infinity are not JSON (Python's reader accepts them)."""
    raise json.JSONDecodeError(f"{name} is not a JSON value", name, 0)


def _json_record(line: str, line_no: int, display: str) -> dict | Problem:
    """One JSONL line as a mapping of cleaned keys, or the Problem that refuses it."""
    try:
        obj = json.loads(line, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except _DuplicateKey as exc:
        return Problem(
            display, line_no, f"key {shown(exc.args[0])} appears twice; keep one of them"
        )
    except _TooManyKeys as exc:
        return Problem(
            display,
            line_no,
            f"object has {exc.args[0]:,} keys, over the {LIMITS.table_columns}-column limit; "
            f"keep only the columns {', '.join(COLUMNS)}",
        )
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, json.JSONDecodeError):
            reason = exc.msg
        elif isinstance(exc, RecursionError):
            reason = "nested too deeply"
        else:  # int() refuses numbers of over 4,300 digits (sys.get_int_max_str_digits)
            reason = "a number too long to read; write it as text in quotes"
        return Problem(
            display,
            line_no,
            f"invalid JSON ({reason}); each line must be "
            'one object like {"question": ..., "answer": ...}',
        )
    if not isinstance(obj, dict):
        return Problem(display, line_no, "each line must be a JSON object")
    return obj


def read_jsonl(
    path: Path, display: str, problems: list[Problem], known: Known | None = None
) -> tuple[list[str], list]:
    """Sorted keys and (line, {key: value}) records of a JSONL file: one object per line, lines
    ending at \\n, \\r\\n or \\r only (a U+2028 inside a JSON string is text, not a line break),
    blank lines skipped. Bad lines become Problems; a limit passed ends reading with ([], []).

    `known`: lines it knows come back as their KnownLine instead of a mapping, unless the table
    has a visibility key the line lacks (its empty visibility is then checked like any other)."""
    raw = read_limited(path, LIMITS.table_bytes, display, problems, SPLIT)
    text = None if raw is None else decode_text(raw, display, problems)
    if text is None:
        return [], []
    records, keys, count = [], set(), 1  # count: lines read, as if the keys were a header row
    texts: dict[int, str] = {}  # line number -> text, of the known lines
    try:
        for line_no, line in enumerate(io.StringIO(text, newline=None), start=1):
            if not line.strip():
                continue
            count += 1
            check_row_limits((), count, line_no, display)
            hit = None if known is None else known(line, line_no)
            if hit is not None:
                keys.update(hit.keys)
                records.append((line_no, hit))
                texts[line_no] = line
                continue
            obj = _json_record(line, line_no, display)
            if isinstance(obj, Problem):
                problems.append(obj)
                continue
            check_row_limits(list(obj.values()), count, line_no, display, list(obj))
            unknown = [k for k in obj if k not in COLUMNS]
            if unknown:
                problems.extend(unknown_column_problem(k, "key", display, line_no) for k in unknown)
                continue
            keys.update(obj)
            records.append((line_no, obj))
    except TableRefused as exc:
        problems.append(exc.problem)
        return [], []
    if "visibility" in keys:
        # Per line, a missing key is the same as an empty cell in a table with the column.
        for at, (line_no, obj) in enumerate(records):
            if isinstance(obj, KnownLine):
                if "visibility" in obj.keys:
                    continue
                obj = _json_record(texts[line_no], line_no, display)  # read cleanly before
                records[at] = (line_no, obj)
            obj.setdefault("visibility", "")
    return sorted(keys), records
