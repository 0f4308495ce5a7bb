"""Cached articles as built-in values, and the memo of a table's rows parsed before.

`as_row` / `as_article` turn an Article into a tuple of built-in values and back (what the source
cache pickles: kb/ingest/sourcecache.py). `RowMemo` answers, from the last clean parse of a table
file, the rows and JSONL lines that did not change, so an edit to one row of a 20,000-row table
parses one row (docs/BENCHMARKS.md "Incremental rebuild").
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import operator
from collections.abc import Callable

from ..model import Article
from ..options import Language, Visibility
from .jsonl import KnownLine

FIELDS = tuple(f.name for f in dataclasses.fields(Article))
_KEYS = (*FIELDS, "content_hash")  # a cached row: the fields in order, then the content hash
_LANGUAGE, _VISIBILITY = FIELDS.index("language"), FIELDS.index("visibility")
_LANGUAGES = {m.value: m for m in Language}
_VISIBILITIES = {m.value: m for m in Visibility}
_GET = operator.attrgetter(*_KEYS)


def as_row(article: Article) -> tuple:
    """An Article as built-in values: its fields in order (enums as their values), then its
    content hash."""
    values = list(_GET(article))  # one C-level call for every field and the content hash
    values[_LANGUAGE] = values[_LANGUAGE]._value_
    values[_VISIBILITY] = values[_VISIBILITY]._value_
    return tuple(values)


def as_article(row: tuple, new=object.__new__) -> Article:
    """The Article of an `as_row`, its content hash set without recomputing it (in the slot of
    functools.cached_property). Made like pickle makes objects, without `__init__` (Article has
    no checks there; this is half the CPU of calling it, for 100,000 articles per load). Raises
    KeyError or ValueError for a row of another shape."""
    if len(row) != len(_KEYS):
        raise ValueError(f"a row of {len(row)} values")
    article = new(Article)
    values = article.__dict__
    values.update(zip(_KEYS, row, strict=False))
    values["language"] = _LANGUAGES[row[_LANGUAGE]]
    values["visibility"] = _VISIBILITIES[row[_VISIBILITY]]
    return article


class RowMemo:
    """The articles of a table file's rows at its last clean parse, so that after an edit only
    the new and changed rows are parsed and validated again (kb/ingest/faq.py `_table_articles`).
    A row's article depends only on its cells, the table (`display`, with its sheet), its default
    category and its line; the line is set anew. CSV and workbook rows are known by their cells
    (after reading); JSONL lines by their text, so that a known line is not even parsed as JSON
    (kb/ingest/jsonl.py `KnownLine`), with its keys and ids kept for the table's checks.

    `used` is True once a row was answered from the memo: a file that then has problems is parsed
    again without it (SourceCache.load), so its messages are exactly those of a plain parse."""

    def __init__(self, entry: tuple | None):
        self.old: dict[bytes, tuple] = {}  # row key -> cached row
        self.old_lines: dict[bytes, tuple] = {}  # line key -> (cached row, (keys, ids))
        try:  # a cache edited by hand (an unhashable key): no memo, every row parsed
            for key, row, line in zip(entry[5], entry[3], entry[6], strict=False) if entry else ():
                if key and line:
                    self.old_lines[key] = (row, line)
                elif key:
                    self.old[key] = row
        except TypeError:
            self.old, self.old_lines = {}, {}
        self.keys: dict[int, bytes] = {}  # id(article) -> its row's or line's key, stored next
        self.lines: dict[int, tuple] = {}  # id(article) -> (keys, ids) of its JSONL line
        self.line_keys: dict[int, bytes] = {}  # line number -> key, of the lines not known
        self.used = False

    def known(self, display: str, category: str) -> Callable[[str, int], KnownLine | None]:
        """kb/ingest/jsonl.py's `known` for one JSONL table: the KnownLine of a line whose text
        was read cleanly before (its article at `line_no`), else None: the line is parsed, and
        its key kept for the next entry. A damaged stored row is a line not known."""
        prefix = f"{display}\0{category}\0".encode("utf-8", "surrogatepass")

        def known(text: str, line_no: int) -> KnownLine | None:
            key = hashlib.blake2b(prefix + text.encode("utf-8", "surrogatepass"), digest_size=16)
            key, stored = key.digest(), None
            if key in self.old_lines:
                with contextlib.suppress(KeyError, TypeError, ValueError):
                    row, (keys, ids) = self.old_lines[key]
                    if not all(isinstance(k, str) for k in keys):
                        raise TypeError("a key that is not text")
                    article = _at_line(as_article(row), line_no)
                    stored = KnownLine(key, article, tuple(keys), dict(ids))
            if stored is None:
                self.line_keys[line_no] = key
            return stored

        return known

    def wrap(self, row_article: Callable, display: str, category: str) -> Callable:
        """`row_article` (same arguments) answered from the memo for a row or line it knows."""

        def parse_row(row: dict | KnownLine, at: tuple[int, str], *rest) -> Article | None:
            if isinstance(row, KnownLine):
                article, key, line = row.article, row.key, (row.keys, tuple(row.ids.items()))
                self.used = True
            elif at[0] in self.line_keys:  # a JSONL line not known
                key, line = self.line_keys[at[0]], (tuple(row), _ids(row))
                article = row_article(row, at, *rest)
            else:
                text = repr((display, category, list(row.items())))
                key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16)
                key, line, article = key.digest(), None, None
                with contextlib.suppress(KeyError, TypeError, ValueError):
                    article = _at_line(as_article(self.old[key]), at[0])
                    self.used = True
                article = row_article(row, at, *rest) if article is None else article
            if article:
                self.keys[id(article)] = key
                if line is not None:
                    self.lines[id(article)] = line
            return article

        return parse_row


def _ids(row: dict) -> tuple:
    """The `slug` and `id` values of a JSONL line's mapping, as (key, value) pairs."""
    return tuple((k, row[k]) for k in ("slug", "id") if k in row)


def _at_line(article: Article, line: int) -> Article:
    """`article` (fresh from `as_article`) moved to `line` of its table."""
    article.__dict__.update(body_line=line, slug_line=line)
    return article
