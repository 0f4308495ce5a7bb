"""Checks shared by every source format: slugs, choices, text fields, encodings and sizes.

Each check appends a `Problem` (path, line, message naming the fix) instead of raising, so one build
lists every problem at once.
"""

from __future__ import annotations

import datetime as dt
import re

from ..errors import Problem
from ..options import Language

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,119}$")
CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
MAX_ARTICLE_BYTES = 2_000_000  # refused before decoding, so a 20 MB file costs nothing
MAX_ARTICLE_CHARS = 100_000
MAX_WORD_CHARS = 5_000  # a Chinese paragraph has no spaces; 5,000 characters is several pages


def guess_language(text: str) -> Language:
    """`zh` when `text` has any CJK ideograph (CJK_RE), else `en`."""
    return Language.ZH if CJK_RE.search(text) else Language.EN


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
                f"invalid slug {slug!r}: use lower-case letters, digits, '-' and '_' only "
                f"(no spaces, '/', '..'), at most 120 characters, e.g. 'forgot-password'",
            )
        )
        return None
    return slug


def parse_choice(
    enum_cls, value: object, field_name: str, where: tuple[str, int], problems: list[Problem]
):
    """`enum_cls` member from a front-matter field or table cell (text stripped and lower-cased),
    or None after appending a Problem at `where` that names the valid choices."""
    try:
        return enum_cls.parse(
            value.strip().lower() if isinstance(value, str) else value, field_name
        )
    except ValueError as exc:
        problems.append(Problem(where[0], where[1], f"{exc} (field '{field_name}')"))
        return None


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
    """A scalar field as stripped text: None -> "", a str, int or float as text, a date (YAML reads
    `2024-05-01` as one) in ISO 8601. Anything else (list, mapping, bool) appends a Problem at
    `where` (path, line) and returns ""."""
    if value is None:
        return ""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value).strip()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    problems.append(
        Problem(
            where[0], where[1], f"field '{name}' must be text, got {type(value).__name__} {value!r}"
        )
    )
    return ""


def as_tags(value: object, where: tuple[str, int], problems: list[Problem]) -> tuple[str, ...]:
    """Tags from a list of words (or numbers) or from a text split at ',' or '，', each stripped,
    empty ones dropped; None -> (). Anything else appends a Problem at `where` and returns ()."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(t.strip() for t in re.split(r"[,，]", value) if t.strip())
    if isinstance(value, list) and all(isinstance(t, (str, int)) for t in value):
        return tuple(str(t).strip() for t in value if str(t).strip())
    problems.append(
        Problem(
            where[0],
            where[1],
            f"field 'tags' must be a list of words like [密码, 登录] or a comma-separated text, "
            f"got {type(value).__name__} {value!r}",
        )
    )
    return ()


def check_size(text: str, display: str, problems: list[Problem], first_line: int = 1) -> bool:
    """Refuse text that would flood the index: too long overall, or a run-on line (e.g. pasted
    base64) that no customer could read and that would become hundreds of chunks.

    False after appending one Problem (the first found: a run of more than MAX_WORD_CHARS = 5,000
    characters without whitespace, on its line counted from `first_line`; else more than
    MAX_ARTICLE_CHARS = 100,000 characters in all); True when the text is acceptable."""
    for offset, line in enumerate(text.split("\n")):
        longest = max((len(w) for w in line.split()), default=0)
        if longest > MAX_WORD_CHARS:
            problems.append(
                Problem(
                    display,
                    first_line + offset,
                    f"line has a run of {longest:,} characters without a space or line break "
                    f"(limit {MAX_WORD_CHARS:,}); remove pasted data or break it into sentences",
                )
            )
            return False
    if len(text) > MAX_ARTICLE_CHARS:
        problems.append(
            Problem(
                display,
                first_line,
                f"text is {len(text):,} characters, over the "
                f"{MAX_ARTICLE_CHARS:,}-character limit; "
                "split it into several articles",
            )
        )
        return False
    return True
