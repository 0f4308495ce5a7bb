"""Safe HTML for front ends: everything from articles or queries is escaped first; the only markup
added is our own (<mark>, headings, paragraphs, cards, lists, anchors with sanitised ids and vetted
hrefs). Pure functions: text in, an HTML string out; interface labels are passed in by the caller
(kb/app/strings.py holds them) and escaped like everything else."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .model import ArticleView

if TYPE_CHECKING:  # annotations only: rendering needs no retrieval code at run time
    from .retrieval import Answer

# http(s), a site path with one leading slash (validated at ingest: kb/ingest/urls.py), a query or
# a fragment; nothing that a browser could run or resolve to another host (`//`, `/\`)
SAFE_HREF_RE = re.compile(
    r"^(https?://[^\s\"'<>]+|/(?![/\\])[^\s\"'<>\\]*|\?[^\s\"'<>]*|#[^\s\"'<>]*)$"
)

CSS = """<style>
.kb-card {border: 1px solid #e3e6ea; border-radius: 10px; padding: 12px 16px; margin: 6px 0;}
.kb-card h4 {margin: 0 0 4px 0; font-size: 1.08rem;}
.kb-card h4 a {text-decoration: none;}
.kb-meta {color: #6b7280; font-size: 0.85rem; margin-bottom: 6px;}
.kb-snippet {line-height: 1.6;}
.kb-snippet mark {background: #fff3a3; padding: 0 1px;}
.kb-badge {background: #b91c1c; color: white; border-radius: 4px; padding: 1px 6px;
           font-size: 0.75rem; margin-left: 6px;}
.kb-source {font-size: 0.85rem;}
.kb-article h3, .kb-article h4 {margin-top: 1.1rem;}
</style>"""


# ------------------------------------------------------------------------------ building blocks


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
    """The URL, attribute-escaped, if it is http(s), a site path (`/...`), a query or a fragment;
    "#" otherwise.

    Blocks javascript:, data: and anything else that could run in the page."""
    return html.escape(url, quote=True) if SAFE_HREF_RE.match(url or "") else "#"


def safe_id(anchor: str) -> str:
    """An anchor made safe as an HTML id: whitespace, quotes, <, > and & become '-', then escaped."""
    return html.escape(re.sub(r"[\s\"'<>&]", "-", anchor), quote=True)


def text_html(text: str) -> str:
    """Plain text as escaped paragraphs; single newlines become line breaks."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def badge_html(label: str) -> str:
    """The red "internal" badge beside a title."""
    return f'<span class="kb-badge">{html.escape(label)}</span>'


def app_href(page: str = "", article: str = "", anchor: str = "") -> str:
    """A vetted in-app link: `?article=<slug>&page=<page>#<anchor>` (each part only if given)."""
    params = [f"article={article}"] if article else []
    params += [f"page={page}"] if page else []
    return safe_href("?" + "&".join(params) + (f"#{anchor}" if anchor else ""))


def in_app_link_html(href_page: str, label: str, **where: str) -> str:
    """An <a> that opens `app_href(href_page, **where)` in the same tab, its label escaped."""
    return f'<a href="{app_href(href_page, **where)}" target="_self">{html.escape(label)}</a>'


def source_link_html(url: str, label: str) -> str:
    """The link to the article on the public help site, in a new tab."""
    return (
        f'<a href="{safe_href(url)}" target="_blank" rel="noopener noreferrer">'
        f"{html.escape(label)} ↗</a>"
    )


# ------------------------------------------------------------------------------ result cards


def card_html(answer: Answer, page: str, source_label: str, badge: str = "") -> str:
    """One answer card: title linking into the app at the section (`page` is the page the link
    returns to), category and section, highlighted snippet, source link; `badge` beside the title
    when non-empty (the agent desk marks internal articles)."""
    title = in_app_link_html(page, answer.title, article=answer.slug, anchor=answer.anchor)
    section = "" if answer.section == answer.title else f" · {html.escape(answer.section)}"
    return (
        f'<div class="kb-card" data-slug="{safe_id(answer.slug)}">'
        f"<h4>{title}{badge_html(badge) if badge else ''}</h4>"
        f'<div class="kb-meta">{html.escape(answer.category)}{section}</div>'
        f'<div class="kb-snippet">{highlight_html(answer.snippet_text, answer.highlights)}</div>'
        f'<div class="kb-source">{source_link_html(answer.url, source_label)}</div></div>'
    )


def no_match_html(message: str, hint: str, contact: ArticleView | None) -> str:
    """The "no good answer" box, pointing to the contact-support article when there is one."""
    link = " " + in_app_link_html("", contact.title, article=contact.slug) if contact else ""
    return (
        f'<div class="kb-card kb-nomatch"><h4>{html.escape(message)}</h4>'
        f"<div>{html.escape(hint)}{link}</div></div>"
    )


def answer_plain_text(title: str, section: str, snippet_text: str, url: str) -> str:
    """What an agent pastes into a ticket: the answer and where it comes from."""
    heading = title if section == title else f"{title} › {section}"
    return f"{heading}\n{snippet_text}\n{url}"


# ------------------------------------------------------------------------------ article view


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


def article_page_html(
    article: ArticleView, source_label: str, updated_label: str, badge: str = ""
) -> str:
    """Title (with `badge` when non-empty), meta line (category · language · updated), source
    link, then the article itself."""
    updated = f"{updated_label} {article.updated}" if article.updated else ""
    meta = " · ".join(x for x in (article.category, article.language, updated) if x)
    source = source_link_html(article.url, source_label) if article.url else ""
    return (
        f'<div class="kb-article"><h2>{html.escape(article.title)}'
        f"{badge_html(badge) if badge else ''}</h2>"
        f'<div class="kb-meta">{html.escape(meta)} {source}</div>'
        f"{article_html(article)}</div>"
    )


def back_link_html(page: str, label: str) -> str:
    """The link from an article back to the search of `page`."""
    return in_app_link_html(page, label)


def related_html(related: Sequence[ArticleView], page: str) -> str:
    """The related-articles list, each opening in the app on `page`."""
    items = "".join(f"<li>{in_app_link_html(page, a.title, article=a.slug)}</li>" for a in related)
    return f"<ul>{items}</ul>"
