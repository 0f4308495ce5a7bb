"""Stable ids and category names for rows that come from other tools (FAQ tables, exports).

A FAQ row without an `id` column used to get `<file>-<row number>`: inserting a row shifted every
later id, so links, feedback and analytics pointed at other questions. The id is now made from the
question itself (`question_id`), which survives adding, deleting and moving rows and editing the
answer; rewording the question changes it, and an `id` column keeps ids through any edit.
"""

from __future__ import annotations

import hashlib
import re

from ..text import clean_text, normalise
from .fields import ASCII_WORD_RE, SLUG_CHARS, default_slug

# names a spreadsheet program gives a new sheet (English, Chinese, French, German, Spanish)
DEFAULT_SHEET_RE = re.compile(r"(sheet|工作表|feuil|tabelle|hoja)\s*\d*", re.I)


def sheet_category(title: str) -> str:
    """The default category of a sheet's rows: its name as a category (`Payments` ->
    `payments`, `常见问题` -> a stable hashed slug, see `default_slug`), or `faq` for a name a
    spreadsheet program gives by itself (Sheet1, 工作表1, Feuil1, Tabelle1)."""
    name = clean_text(title).strip()
    return "faq" if not name or DEFAULT_SHEET_RE.fullmatch(name) else category_slug(name)


def category_slug(name: str) -> str:
    """A category for a name from another tool (a sheet, a help-center section): its words in
    lower case joined by '-' when it is ASCII (`Account & Security` -> `account-security`),
    else `default_slug` (stable, with a hash for CJK names)."""
    words = "-".join(ASCII_WORD_RE.findall(name.lower()))[:SLUG_CHARS].strip("-")
    return words if name.isascii() and words else default_slug(name)


def question_id(question: str) -> str:
    """8 hex digits of sha256 over the question as normalised for search (kb.text.normalise:
    NFKC, Traditional to Simplified) in lower case without spaces and punctuation: the same for
    `如何退款？` and `如何退款`, for a row moved or a row inserted above it."""
    key = "".join(ch for ch in normalise(question).lower() if ch.isalnum())
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:8]
