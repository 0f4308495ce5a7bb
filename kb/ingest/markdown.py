"""Markdown articles: YAML front matter (title, slug, category, ...) and a Markdown body.

Problems point at the line of the field concerned (front matter starts on file line 2).
"""

from __future__ import annotations

import datetime as dt
import re

import yaml

from ..errors import Problem
from ..model import Article
from ..options import Language, Visibility
from .docsite import SUMMARY_FIELDS, UPDATED_FIELDS, Notes, field_hint, is_presentational
from .fields import (
    SLUG_RE,
    as_tags,
    as_text,
    as_translation_of,
    check_slug,
    guess_language,
    parse_choice,
    shown,
    unwritten_visibility,
)
from .questions import as_questions
from .urls import check_url

KNOWN_FIELDS = (
    *("title", "slug", "category", "language", "visibility", "tags", "url", "updated"),
    *("questions", "draft", "translation_of"),
)
MAPPED_FIELDS = SUMMARY_FIELDS + UPDATED_FIELDS  # docs-site names of article fields (docsite.py)
# ISO 8601: a year, a month or a day, then an optional time and offset
DATE_RE = re.compile(
    r"\d{4}(-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?"
)
# a YAML error whose start (context_mark) is where the editor must look: an unclosed quote or
# bracket runs to the end of the front matter, where PyYAML's problem_mark points
OPENED_AT_START = ("while scanning a quoted scalar", "while parsing a flow")


def field_lines(front_lines: list[str]) -> dict[str, int]:
    """1-based file line of each `key:` in the front matter (which starts on file line 2), the
    first line of a key given twice. One pass over the lines: looking each key up in all lines
    took keys x lines steps, which a front matter of 50,000 unknown keys made take hours."""
    lines: dict[str, int] = {}
    for i, line in enumerate(front_lines):
        key, colon, _ = line.partition(":")
        if colon:
            lines.setdefault(key.strip(), i + 2)
    return lines


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice: PyYAML would keep the last one silently, so
    `visibility: internal` followed by `visibility: public` would publish the article."""

    def construct_mapping(self, node, deep=False):
        """SafeLoader's mapping, after refusing a scalar key given twice in it: ConstructorError
        marked at the second key, which `split_front_matter` reports on that line."""
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                continue  # unhashable keys are refused by the base class
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"field {key!r} is given twice; keep one of them",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node, deep=False):
        """SafeLoader's value of `node`; a value its constructor cannot make (a date that does
        not exist like 2024-13-45, an integer of over 4,300 digits) becomes a ConstructorError
        marked at the node instead of a bare ValueError."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            reason = str(exc).split(";")[0]  # int()'s advice to call sys.set_int_max_str_digits
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {shown(node.value)} ({reason})", node.start_mark
            ) from exc


def split_front_matter(
    text: str, path: str, problems: list[Problem]
) -> tuple[dict, int, str] | None:
    """(front matter mapping, 1-based file line where the body starts, body text) or None after
    appending a Problem: no opening '---', never closed ('---' or '...'), invalid YAML (on its
    line), a key given twice, a value YAML cannot make (a date that does not exist), nesting
    deeper than Python's recursion limit, or YAML that is not a mapping."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        problems.append(
            Problem(
                path,
                1,
                "missing front matter: start the file with a '---' line, "
                "then 'title: ...', then a closing '---' line",
            )
        )
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        problems.append(
            Problem(
                path,
                1,
                "front matter opened on line 1 is never closed; "
                "add a '---' line after the last field",
            )
        )
        return None
    front_text = "\n".join(lines[1:end])
    try:
        meta = yaml.load(front_text, Loader=_UniqueKeyLoader) if front_text.strip() else {}
    except (yaml.YAMLError, RecursionError) as exc:
        problems.append(_yaml_problem(exc, path))
        return None
    if not isinstance(meta, dict):
        problems.append(
            Problem(path, 2, f"front matter must be 'key: value' lines, got {type(meta).__name__}")
        )
        return None
    return meta, end + 2, "\n".join(lines[end + 1 :])


def _yaml_problem(exc: Exception, path: str) -> Problem:
    """The front matter's YAML error on the editor's line, with the fix. An unclosed quote or
    bracket is reported where it opens (PyYAML marks the end of the text, lines later)."""
    context = getattr(exc, "context", None) or ""
    opened = context.startswith(OPENED_AT_START) and exc.context_mark is not None
    mark = exc.context_mark if opened else getattr(exc, "problem_mark", None)
    line = mark.line + 2 if mark is not None else 2
    reason = (
        "nested too deeply"
        if isinstance(exc, RecursionError)
        else getattr(exc, "problem", None) or str(exc).splitlines()[0]
    )
    if opened:
        what = "quote" if "quoted" in context else "'[' or '{'"
        reason = f"the {what} opened on this line is never closed"
    fix = (
        "; add the closing quote or bracket on this line"
        if opened
        else ""
        if "given twice" in reason
        else "; write plain 'key: value' lines"
        if isinstance(exc, RecursionError)
        else "; quote the value to keep it as text"
        if reason.startswith("cannot read")
        else "; quote values that contain ':' or '#'"
    )
    return Problem(path, line, f"invalid YAML in front matter: {reason}{fix}")


def parse_markdown(
    text: str, path: str, default_slug: str, problems: list[Problem], notes: Notes | None = None
) -> Article | None:
    """One Markdown article from a file's text; problems are appended (on the line of the field
    concerned, line 1 for a missing one), None returned when there is any. Unknown fields are
    problems, except docs-site layout fields (ignored, counted in `notes`) and the docs-site
    names of article fields (`description` -> summary, `lastmod`/`date` -> updated); a page
    with `draft: true` is skipped with a notice (None, no problem), as is a Hugo `_index.md`
    section page without text. The slug defaults to `default_slug` (the file name), the category
    to `general`, visibility to public and the language to a guess. The body keeps its Markdown
    without leading and trailing empty lines; `body_line` is the file line where it starts."""
    notes = Notes() if notes is None else notes
    if not text.strip():
        problems.append(Problem(path, 1, "file is empty; add front matter with a title and a body"))
        return None
    parts = split_front_matter(text, path, problems)
    if parts is None:
        return None
    meta, body_line, body = parts
    lines = field_lines(text.split("\n")[1 : body_line - 2])
    before = len(problems)

    def where(key: str) -> tuple[str, int]:
        return path, lines.get(key, 1)

    if _skipped(meta, body, path, where, problems, notes):
        return None
    _check_keys(meta, where, problems, notes)
    fields = _fields(meta, default_slug, body, where, problems)
    if not body.strip():
        problems.append(
            Problem(
                path,
                body_line,
                "article body is empty; write the answer below the "
                "closing '---' of the front matter",
            )
        )
    if len(problems) > before:
        return None
    stripped = body.lstrip("\n")
    return Article(
        **fields,
        body=stripped.rstrip("\n"),
        source=path,
        body_line=body_line + len(body) - len(stripped),
        slug_line=lines.get("slug", 0) if "slug" in meta else 0,
    )


def _skipped(
    meta: dict, body: str, path: str, where, problems: list[Problem], notes: Notes
) -> bool:
    """True when the page is not to be published: `draft: true`, or a Hugo section list page
    (`_index.md`) without text; each with a notice. `draft` must be true or false."""
    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        problems.append(
            Problem(*where("draft"), f"field 'draft' must be true or false, got {shown(draft)}")
        )
        return True
    if draft:
        notes.add(*where("draft"), "skipped: draft: true (set draft: false to publish it)")
        return True
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    if name.startswith("_index.") and not body.strip():
        notes.add(path, 1, "skipped: a section page (_index) without text of its own")
        return True
    return False


def _check_keys(meta: dict, where, problems: list[Problem], notes: Notes) -> None:
    """Refuse unknown fields (naming the closest known one); count docs-site layout fields."""
    for key in meta:
        if key in KNOWN_FIELDS or key in MAPPED_FIELDS:
            continue
        if is_presentational(key):
            notes.ignored[str(key).strip().lower()] += 1
            continue
        name = str(key).strip().lower()
        hint = field_hint(name, [*KNOWN_FIELDS, *MAPPED_FIELDS])
        problems.append(
            Problem(
                *where(str(key)),
                f"unknown field {shown(key)}; {hint}known fields: {', '.join(KNOWN_FIELDS)} "
                f"(and the docs-site fields {', '.join(MAPPED_FIELDS)}; layout fields such as "
                "weight or sidebar_position are ignored)",
            )
        )


def _fields(meta: dict, default_slug: str, body: str, where, problems: list[Problem]) -> dict:
    """The front matter's known fields as Article keyword arguments; bad values become problems."""
    title = as_text(meta.get("title"), "title", where("title"), problems)
    if not title:
        problems.append(
            Problem(*where("title"), "missing title: add 'title: ...' to the front matter")
        )
    category = as_text(meta.get("category", "general"), "category", where("category"), problems)
    if category and not SLUG_RE.match(category):
        problems.append(
            Problem(
                *where("category"),
                f"invalid category {shown(category)}: use lower-case "
                "letters, digits and '-', e.g. 'payments'",
            )
        )
    url = check_url(as_text(meta.get("url"), "url", where("url"), problems), where("url"), problems)
    summary_key = next((k for k in SUMMARY_FIELDS if k in meta), "description")
    return {
        "slug": check_slug(meta.get("slug", default_slug), where("slug"), problems),
        "title": title,
        "category": category or "general",
        "language": (
            parse_choice(Language, meta["language"], "language", where("language"), problems)
            if "language" in meta
            else guess_language(title + body)
        ),
        "visibility": parse_choice(
            Visibility, meta["visibility"], "visibility", where("visibility"), problems
        )
        if "visibility" in meta
        else unwritten_visibility(
            category or "",
            where("title"),
            "write 'visibility: internal' (or public) in the front matter",
            problems,
        ),
        "tags": _tags(meta.get("tags"), where("tags"), problems),
        "url": url,
        "updated": _updated(meta, where, problems),
        "summary": as_text(meta.get(summary_key), summary_key, where(summary_key), problems),
        "questions": as_questions(meta.get("questions"), where("questions"), problems),
        "translation_of": as_translation_of(
            meta.get("translation_of"), where("translation_of"), problems
        ),
    }


def _tags(value: object, where: tuple[str, int], problems: list[Problem]) -> tuple[str, ...]:
    """Front-matter tags: a YAML list only. `tags: 退款, 提现` is one text, which YAML reads as a
    single tag with a comma in it: refused with the list to write instead."""
    if isinstance(value, str):
        words = ", ".join(w.strip() for w in re.split(r"[,，、]", value) if w.strip())
        problems.append(
            Problem(
                *where,
                f"field 'tags' must be a list, got the text {shown(value)}; "
                f"write tags: [{words or '退款, 提现'}]",
            )
        )
        return ()
    return as_tags(value, where, problems)


def _updated(meta: dict, where, problems: list[Problem]) -> str:
    """`updated` (else Hugo's `lastmod` or `date`, Docusaurus' `last_update.date`): `as_date`."""
    key = next((k for k in ("updated", *UPDATED_FIELDS) if k in meta), "updated")
    value = meta.get(key)
    if isinstance(value, dict) and key == "last_update":  # Docusaurus: {date: ..., author: ...}
        value = value.get("date")
    return as_date(value, key, where(key), problems)


def as_date(value: object, name: str, where: tuple[str, int], problems: list[Problem]) -> str:
    """An ISO 8601 date, or date and time, as text: a YAML or spreadsheet date, a year number, or
    text like 2026-05-01 / 2026-05-01T09:30:00+08:00 (None, "" -> ""). Anything else (`昨天`,
    `May 1`, `01/05/2026`) appends a Problem at `where` naming the format and returns ""."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # `updated: 2024`, a year
    if value is None or isinstance(value, dt.date):
        return as_text(value, name, where, problems)
    text = as_text(value, name, where, []) if isinstance(value, str) else None
    if text is not None and (not text or DATE_RE.fullmatch(text)):
        return text
    problems.append(
        Problem(
            *where,
            f"field '{name}' must be a date like 2026-05-01 (or 2026-05-01T09:30:00+08:00), "
            f"got {shown(value)}",
        )
    )
    return ""
