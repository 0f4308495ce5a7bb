"""Safe HTML for front ends: everything from articles or queries is escaped first; the only markup
added is our own (<mark>, headings, paragraphs, anchors with sanitised ids and vetted hrefs)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from .model import ArticleView

SAFE_HREF_RE = re.compile(r"^(https?://[^\s\"'<>]+|\?[^\s\"'<>]*|#[^\s\"'<>]*)$")


def highlight_html(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` escaped, with each span wrapped in <mark>."""
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last or end > len(text):
            continue
        out += [html.escape(text[last:start]), "<mark>", html.escape(text[start:end]), "</mark>"]
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


def safe_href(url: str) -> str:
    """The URL, attribute-escaped, if it is http(s), a query or a fragment; '#' otherwise.

    Blocks javascript:, data: and anything else that could run in the page."""
    return html.escape(url, quote=True) if SAFE_HREF_RE.match(url or "") else "#"


def safe_id(anchor: str) -> str:
    return html.escape(re.sub(r"[\s\"'<>&]", "-", anchor), quote=True)


def text_html(text: str) -> str:
    """Plain text as escaped paragraphs; single newlines become line breaks."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def article_html(article: ArticleView) -> str:
    """The whole article, section by section, each with its anchor id so `#anchor` links land."""
    parts = []
    for section in article.sections:
        if section.level:
            level = min(max(section.level + 1, 3), 5)
            parts.append(
                f'<h{level} id="{safe_id(section.anchor)}">'
                f"{html.escape(section.heading)}</h{level}>"
            )
        else:
            parts.append(f'<div id="{safe_id(section.anchor)}"></div>')
        parts.append(text_html(section.text))
    return "".join(parts)


def answer_plain_text(title: str, section: str, snippet_text: str, url: str) -> str:
    """What an agent pastes into a ticket: the answer and where it comes from."""
    heading = title if section == title else f"{title} › {section}"
    return f"{heading}\n{snippet_text}\n{url}"
