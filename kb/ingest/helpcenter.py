"""Help-center exports (Zendesk Guide style JSON) to Articles, through the FAQ rows' validation.

Accepted: a JSON file holding `{"articles": [...], "sections": [...]}` (the shape of Zendesk's
`/api/v2/help_center/articles.json?include=sections`) or a list of article objects. Per article:

| key | becomes | notes |
|---|---|---|
| `title` | title | required |
| `body` | body | HTML, sanitised (nh3), then Markdown (markdownify) |
| `section_id` / `section` | category | the section's name from `sections`, as a category slug |
| `locale` | language | `zh-cn`, `zh-tw`, `en-us`, ... (the part before '-') |
| `draft` | skipped with a notice when true | |
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
    lines = _object_lines(text, len(items))
    articles = []
    for item, line in zip(items, lines, strict=True):
        if item.get("draft") is True:
            notes.add(display, line, f"skipped: draft article {shown(item.get('title'))}")
            continue
        row = _row(item, sections, display, line, problems)
        article = row and row_article(row, (line, "faq"), path, display, problems)
        if article:
            articles.append(article)
    return articles


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
    section = sections.get(item.get("section_id")) or item.get("section")
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
