"""Checks shared by every source format: slugs, choices, text fields, encodings and sizes.

Each check appends a `Problem` (path, line, message naming the fix) instead of raising, so one build
lists every problem at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import reprlib
import unicodedata
from pathlib import Path

from ..errors import Problem
from ..options import LIMITS, Language, Visibility
from ..text import clean_text
from ..text.normalise import CJK_RUN_RE

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,119}$")
SLUG_CHARS = 120
ASCII_WORD_RE = re.compile(r"[a-z0-9]+")

_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = _SHOWN.maxlong = 40
_SHOWN.maxlevel, _SHOWN.maxlist, _SHOWN.maxdict = 1, 3, 3


def shown(value: object) -> str:
    """A bounded repr of a user's value for a message: at most about 40 characters per scalar,
    one level and three items of a list or mapping. A plain repr of a YAML alias bomb (a list of
    lists that share their items) would take exponential time and memory."""
    return _SHOWN.repr(value)


def default_slug(name: str, max_chars: int = SLUG_CHARS) -> str:
    """A valid slug of at most `max_chars` (>= 9) characters for a file name without its suffix,
    the same on every build. The name in lower case when that is already a valid slug that fits
    (so existing slugs never change); otherwise its ASCII letters and digits (accents dropped,
    words joined by '-') plus '-' and the first 8 hex digits of sha256(name): `常见问题` ->
    `3f2c9a1b`, `My FAQ` -> `my-faq-1c0f6e2d`. A transliteration (pypinyin) would read better but
    is not installed; the hash keeps names that differ only in CJK apart."""
    plain = unicodedata.normalize("NFKC", name).lower()
    if len(plain) <= max_chars and SLUG_RE.match(plain):
        return plain
    letters = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode()
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    words = "-".join(ASCII_WORD_RE.findall(letters))[: max_chars - len(digest) - 1].strip("-")
    return f"{words}-{digest}" if words else digest


def guess_language(text: str) -> Language:
    """`zh` when `text` has any CJK ideograph (CJK_RUN_RE), else `en`."""
    return Language.ZH if CJK_RUN_RE.search(text) else Language.EN


def check_slug(slug: object, where: tuple[str, int], problems: list[Problem]) -> str | None:
    """`slug` when it matches SLUG_RE (lower-case letters, digits, '-', '_', 1..120 characters,
    starting with a letter or digit), else None after appending a Problem at `where`. A slug
    becomes a URL part and a file name; refuse anything that could escape either."""
    path, line = where
    if not isinstance(slug, str) or not slug.strip():
        problems.append(Problem(path, line, "slug must be a non-empty text like 'forgot-password'"))
        return None
    if not SLUG_RE.match(slug):
        problems.append(
            Problem(
                path,
                line,
                f"invalid slug {shown(slug)}: use lower-case letters, digits, '-' and '_' only "
                f"(no spaces, '/', '..'), at most 120 characters, e.g. 'forgot-password'",
            )
        )
        return None
    return slug


# Chinese values editors write in the columns tables.ALIASES accepts (可见性: 内部), exact words
# only, as strict as the English value they stand for; anything else is still refused.
VALUE_ALIASES = {
    Visibility: {"公开": "public", "公開": "public", "内部": "internal", "內部": "internal"},
    Language: {"中文": "zh", "英文": "en", "英语": "en", "英語": "en"},
}


def parse_choice(
    enum_cls, value: object, field_name: str, where: tuple[str, int], problems: list[Problem]
):
    """`enum_cls` member from a front-matter field or table cell (text stripped and lower-cased,
    a Chinese value of VALUE_ALIASES as its English one), or None after appending a Problem at
    `where` that names the valid choices (a list or a mapping is refused without printing it
    whole: see `shown`; YAML's true/false, from an unquoted yes/no/on/off, named as such)."""
    choices = ", ".join(enum_cls.choices())
    aliases = VALUE_ALIASES.get(enum_cls)
    if aliases:
        choices += f" (or {', '.join(aliases)})"
    if value is None:
        problems.append(
            Problem(*where, f"empty {field_name}; write one of: {choices} (field '{field_name}')")
        )
        return None
    if isinstance(value, bool):
        problems.append(
            Problem(
                *where,
                f"{field_name} reads as {str(value).lower()} (YAML takes an unquoted yes, no, on "
                f"or off for true or false); use one of: {choices} (field '{field_name}')",
            )
        )
        return None
    if not isinstance(value, str | int | float | enum_cls):
        problems.append(
            Problem(
                *where,
                f"unknown {field_name} {shown(value)}; use one of: {choices} (field '{field_name}')",
            )
        )
        return None
    if isinstance(value, str):
        value = value.strip().lower()
        value = (aliases or {}).get(value, value)
    try:
        return enum_cls.parse(value, field_name)
    except ValueError as exc:
        message = f"{exc} (field '{field_name}')"
        if aliases:  # the enum's message names the English values only
            message = (
                f"unknown {field_name} {shown(value)}; use one of: {choices} (field '{field_name}')"
            )
        problems.append(Problem(where[0], where[1], message))
        return None


def read_limited(
    path: Path, limit: int, display: str, problems: list[Problem], fix: str
) -> bytes | None:
    """The bytes of `path`, or None after a Problem `file is N bytes, over the <limit>-byte
    limit; <fix>` when its size is over `limit`: checked from the file size before reading, and
    at most limit + 1 bytes are read (a file that grows meanwhile is caught too)."""
    size = path.stat().st_size
    raw = b""
    if size <= limit:
        with path.open("rb") as file:
            raw = file.read(size + 1)  # read(n) allocates n bytes: ask for what the file has
            if len(raw) > size:  # it grew meanwhile
                raw += file.read(limit + 1 - len(raw))
    if max(size, len(raw)) > limit:
        problems.append(
            Problem(
                display,
                1,
                f"file is {max(size, len(raw)):,} bytes, over the {limit:,}-byte limit; {fix}",
            )
        )
        return None
    return raw


def decode_text(raw: bytes, path: str, problems: list[Problem]) -> str | None:
    """Bytes to text, refusing binary, UTF-16 and invalid UTF-8 with a message that says how to fix it.

    A UTF-8 byte-order mark is dropped. Returns None after appending a Problem: UTF-16 (by its BOM),
    a NUL byte in the first 8 KiB (binary), or invalid UTF-8 (with the line of the first bad byte)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        problems.append(Problem(path, 1, "file is UTF-16 encoded; save it as UTF-8"))
        return None
    if b"\x00" in raw[:8192]:
        problems.append(
            Problem(
                path,
                1,
                "binary file (contains NUL bytes), not text; "
                "remove it or save it as UTF-8 Markdown",
            )
        )
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(
                path,
                line,
                f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                f"save the file as UTF-8 (e.g. convert it from GBK/Big5)",
            )
        )
        return None
    return text.removeprefix("\ufeff")


def as_text(value: object, name: str, where: tuple[str, int], problems: list[Problem]) -> str:
    """A scalar field as stripped `clean_text` (a YAML escape like "\\ud800" or "\\u200b" in a
    quoted value bypasses the cleaning of the file's text): None -> "", a str, int or float as
    text, a date (YAML reads `2024-05-01` as one) in ISO 8601. Anything else (list, mapping,
    bool) appends a Problem at `where` (path, line) and returns ""."""
    if value is None:
        return ""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return clean_text(str(value)).strip()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    problems.append(
        Problem(
            where[0],
            where[1],
            f"field '{name}' must be text, got {type(value).__name__} {shown(value)}",
        )
    )
    return ""


def as_tags(value: object, where: tuple[str, int], problems: list[Problem]) -> tuple[str, ...]:
    """Tags from a list of words (or numbers) or from a text split at ',' or '，', each stripped
    `clean_text`, empty ones dropped; None -> (). Anything else appends a Problem at `where` and
    returns ()."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = re.split(r"[,，]", value)
    if isinstance(value, list) and all(isinstance(t, (str, int)) for t in value):
        words = (clean_text(str(t)).strip() for t in value)
        return tuple(w for w in words if w)
    problems.append(
        Problem(
            where[0],
            where[1],
            f"field 'tags' must be a list of words like [密码, 登录] or a comma-separated text, "
            f"got {type(value).__name__} {shown(value)}",
        )
    )
    return ()


def check_size(text: str, display: str, problems: list[Problem], first_line: int = 1) -> bool:
    """Refuse text that would flood the index or stall the build: too long overall, an absurd line
    (e.g. a heading padded with 10,000 spaces) or a run-on word (e.g. pasted base64) that no
    customer could read and that would become hundreds of chunks. Linear time, before any parsing.

    False after appending one Problem (the first found, on its line counted from `first_line`: a
    run of more than LIMITS.run_chars = 5,000 characters without whitespace, or a line over
    LIMITS.line_chars = 10,000 characters; else more than LIMITS.article_chars = 100,000 characters
    in all); True when the text is acceptable."""
    # lines one at a time (not text.split: a list of 100k+ short lines costs more than linear
    # time once it outgrows the CPU caches); a text no longer than a run has no long line
    lines = io.StringIO(text, newline="\n") if len(text) > LIMITS.run_chars else ()
    for offset, line in enumerate(lines):
        if len(line) <= LIMITS.run_chars:
            continue
        line = line.removesuffix("\n")
        longest = max((len(w) for w in line.split()), default=0)
        if longest > LIMITS.run_chars:
            message = (
                f"line has a run of {longest:,} characters without a space or line break "
                f"(limit {LIMITS.run_chars:,}); remove pasted data or break it into sentences"
            )
        elif len(line) > LIMITS.line_chars:
            message = (
                f"line is {len(line):,} characters long (limit {LIMITS.line_chars:,}); "
                "break it into shorter paragraphs or remove the padding"
            )
        else:
            continue
        problems.append(Problem(display, first_line + offset, message))
        return False
    if len(text) > LIMITS.article_chars:
        problems.append(
            Problem(
                display,
                first_line,
                f"text is {len(text):,} characters, over the "
                f"{LIMITS.article_chars:,}-character limit; "
                "split it into several articles",
            )
        )
        return False
    return True


def as_translation_of(value: object, where: tuple[str, int], problems: list[Problem]) -> str:
    """The `translation_of` field: the slug of the article this one translates (versions in
    other languages name the original, linking them as one language group), "" when absent. A
    value that is not a valid slug appends a Problem at `where`; that the slug exists is checked
    once every article is loaded (kb/ingest/translations.py)."""
    if value is None or value == "":
        return ""
    return check_slug(value, where, problems) or ""


# Words in a category, sheet, file or folder name that say its content is for staff only.
INTERNAL_WORDS = frozenset({"internal", "confidential", "private", "restricted", "intranet"})
INTERNAL_CJK = (
    "内部",
    "內部",
    "机密",
    "機密",
    "保密",
    "员工专用",
    "員工專用",
    "仅限员工",
    "僅限員工",
)


def internal_sign(*names: str) -> str | None:
    """The first of `names` (category, sheet, file or folder names) that says its content is
    internal: an English word of INTERNAL_WORDS (whole words: `internal-notes`, not
    `international`) or a Chinese one of INTERNAL_CJK (`内部资料`); None when none does. Used where
    no visibility was written (security fails closed: the ambiguity is an error, not public)."""
    for name in names:
        text = unicodedata.normalize("NFKC", name).lower()
        if INTERNAL_WORDS.intersection(ASCII_WORD_RE.findall(text)) or any(
            w in text for w in INTERNAL_CJK
        ):
            return name
    return None


def unwritten_visibility(
    category: str, where: tuple[str, int], fix: str, problems: list[Problem]
) -> Visibility | None:
    """The visibility of content whose visibility was not written, at `where` (its source as
    shown, and its line): public, unless its `category` or its source's path inside the articles
    folder says internal (`internal_sign`): then None after a Problem at `where` ending with
    `fix`, since the content would otherwise be shown to customers."""
    sign = internal_sign(category, inner_path(where[0]))
    if sign is None:
        return Visibility.PUBLIC
    problems.append(
        Problem(
            *where,
            f"{shown(sign)} says this is internal, but no visibility is given, so it would be "
            f"shown to customers; {fix}",
        )
    )
    return None


def inner_path(display: str) -> str:
    """`display` without its first part (the articles folder's own name, which says nothing
    about one article): `articles/internal/a.md` -> `internal/a.md`."""
    return display.split("/", 1)[-1]
