"""Help-center exports (Zendesk Guide style JSON) to Articles, through the FAQ rows' validation.

Accepted: a JSON file holding `{"articles": [...], "sections": [...]}` (the shape of Zendesk's
`/api/v2/help_center/articles.json?include=sections`) or a list of article objects. Per article:

| key | becomes | notes |
|---|---|---|
| `title` | title | required |
| `body` | body | HTML, sanitised (nh3), then Markdown (markdownify) |
| `section_id` / `section` | category | the section's name from `sections` (an id not there: problem) |
| `locale` | language | `zh-cn`, `zh-tw`, `en-us`, ... (the part before '-') |
| `draft` | skipped with a notice when true | JSON true/false only: "true", "maybe", 1 are problems |
| `html_url` | url | validated like every url |
| `label_names` | tags | |
| `updated_at` | updated | |
| `id` | slug `zendesk-<id>` | stable across exports |
| `user_segment_id` | internal when set | a restricted article is never published as public |

Other keys of an export (author, votes, position, ...) are ignored. A JSON file of another shape
(e.g. Docusaurus' `_category_.json`) is not an export: it is skipped with a notice.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nh3
from markdownify import markdownify

from ..errors import Problem
from ..model import Article
from ..options import LIMITS
from .docsite import Notes
from .faq import row_article
from .fields import decode_text, read_limited, shown
from .ids import category_slug

NO_SECTIONS = (
    "the export has no 'sections', so 'section_id' gives no category (the default is used); "
    "export with ?include=sections to keep them"
)
NOT_EXPORT = "skipped: a JSON file that is not a help-center export (no 'articles' list)"


def html_to_markdown(html: str) -> str:
    """Markdown of an article's HTML body: sanitised first with nh3 (ammonia's allow-list:
    scripts, styles, event handlers and `javascript:` links are dropped with their content),
    then converted by markdownify with '#' headings and '-' bullets, blank-line runs collapsed."""
    safe = nh3.clean(html)
    text = markdownify(safe, heading_style="ATX", bullets="-", strip=["img"])
    lines = [line.rstrip() for line in text.replace("\r", "").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def read_export(path: Path, display: str, problems: list[Problem], notes: Notes) -> list[Article]:
    """Articles of a help-center export; problems on the line where each article object starts
    (or where the JSON is broken). A file that is not an export gives [] and a notice."""
    raw = read_limited(path, LIMITS.table_bytes, display, problems, "export fewer articles")
    text = None if raw is None else decode_text(raw, display, problems)
    if text is None:
        return []
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        line = getattr(exc, "lineno", 1)
        reason = getattr(exc, "msg", "nested too deeply")
        problems.append(Problem(display, line, f"invalid JSON ({reason}); export the file again"))
        return []
    items = data.get("articles") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        notes.add(display, 1, NOT_EXPORT)
        return []
    sections = {
        s.get("id"): s.get("name")
        for s in (data.get("sections") or [] if isinstance(data, dict) else [])
        if isinstance(s, dict)
    }
    if not sections and any(i.get("section_id") is not None for i in items):
        notes.add(display, 1, NO_SECTIONS)
    lines = _object_lines(text, len(items))
    articles = []
    for number, (item, line) in enumerate(zip(items, lines, strict=True), 1):
        own: list[Problem] = []
        article = _article(item, sections, (path, display, line), own, notes)
        if article:
            articles.append(article)
        problems.extend(_in_export_terms(p, number, item.get("id")) for p in own)
    return articles


# internal field name -> the export's own, for the fixes a problem names (issue 13 U item 2)
EXPORT_FIELDS = {
    "question": "title",
    "answer": "body",
    "language": "locale",
    "slug": "id",
    "category": "section_id",
    "url": "html_url",
    "tags": "label_names",
    "updated": "updated_at",
}
_FIELD_RE = re.compile(r"'(" + "|".join(EXPORT_FIELDS) + r")'")


def _in_export_terms(problem: Problem, number: int, item_id: object) -> Problem:
    """`problem` naming its article (`article 3 (id 360011): ...`, position 1-based) and the
    export's field names instead of the internal ones (EXPORT_FIELDS)."""
    ident = f" (id {item_id})" if isinstance(item_id, int | str) and item_id != "" else ""
    message = _FIELD_RE.sub(lambda m: f"'{EXPORT_FIELDS[m.group(1)]}'", problem.message)
    return Problem(problem.path, problem.line, f"article {number}{ident}: {message}")


def _article(item: dict, sections: dict, where: tuple, problems: list[Problem], notes: Notes):
    """The Article of one export item, or None (a draft, with a notice; or after problems).
    `where` is (path, display, line). `draft` must be JSON true/false or absent: any other
    value (null, the text "true", "maybe", 1) is a problem, never published (fails closed)."""
    path, display, line = where
    draft = item.get("draft", False)
    if draft is True:
        notes.add(display, line, f"skipped: draft article {shown(item.get('title'))}")
        return None
    if draft is not False:
        problems.append(
            Problem(
                display,
                line,
                f"'draft' is {shown(draft)} ({type(draft).__name__}); write true or false "
                "without quotes",
            )
        )
        return None
    row = _row(item, sections, display, line, problems)
    return row and row_article(row, (line, "faq"), path, display, problems)


def _row(item: dict, sections: dict, display: str, line: int, problems: list[Problem]):
    """A FAQ row (column -> value) of one export article, or None after a problem."""
    title, body = item.get("title"), item.get("body")
    if not isinstance(title, str) or not title.strip():
        problems.append(Problem(display, line, "article has no 'title'; add one or remove it"))
        return None
    if not isinstance(body, str) or not body.strip():
        problems.append(
            Problem(display, line, f"article {shown(title)} has no 'body'; add one or remove it")
        )
        return None
    section_id = item.get("section_id")
    section = sections.get(section_id) or item.get("section")
    if section_id is not None and sections and not section:
        problems.append(
            Problem(
                display,
                line,
                f"'section_id' {shown(section_id)} is not in the export's 'sections'; export "
                "with the sections included (?include=sections) or fix the section_id",
            )
        )
        return None
    locale = item.get("locale")
    labels = item.get("label_names") or []
    restricted = item.get("user_segment_id") is not None
    return {
        "question": title,
        "answer": html_to_markdown(body),
        "category": category_slug(section) if isinstance(section, str) and section else "",
        "language": locale.split("-")[0] if isinstance(locale, str) else locale,
        "visibility": "internal" if restricted else "public",
        "url": item.get("html_url") or "",
        "tags": labels,
        "updated": item.get("updated_at") or "",
        "id": f"zendesk-{item['id']}" if isinstance(item.get("id"), int) else "",
    }


def _object_lines(text: str, count: int) -> list[int]:
    """1-based line of each of the `count` article objects: the array after the first
    `"articles"` key (or the top-level array) decoded one element at a time; all 1 when that
    walk does not find exactly `count` objects."""
    decoder = json.JSONDecoder()
    key = text.find('"articles"')
    pos = text.find("[", key if key >= 0 else 0)
    lines: list[int] = []
    counted, line = 0, 1  # newlines counted up to `counted`: linear in the file's size
    try:
        while pos >= 0 and len(lines) < count:
            pos += 1
            while pos < len(text) and text[pos] in " \t\r\n,":
                pos += 1
            if pos >= len(text) or text[pos] == "]":
                break
            line += text.count("\n", counted, pos)
            counted = pos
            lines.append(line)
            _, end = decoder.raw_decode(text, pos)
            pos = end - 1
    except ValueError:
        lines = []
    return lines if len(lines) == count else [1] * count
