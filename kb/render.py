"""Safe HTML for front ends: everything from articles or queries is escaped first; the only markup
added is our own (<mark>, headings, paragraphs, cards, lists, anchors with sanitised ids and vetted
hrefs). Pure functions: text in, an HTML string out; interface labels are passed in by the caller
(kb/app/strings.py holds them) and escaped like everything else."""

from __future__ import annotations

import functools
import html
import json
import re
import urllib.parse
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import TYPE_CHECKING

import nh3
from markdown_it import MarkdownIt

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
.kb-article table {border-collapse: collapse; margin: 8px 0;}
.kb-article th, .kb-article td {border: 1px solid #d1d5db; padding: 4px 10px; text-align: left;}
.kb-article th {background: #f3f4f6;}
.kb-article img {max-width: 100%;}
.kb-article [id] {scroll-margin-top: 4rem;}
.kb-article pre {background: #f6f8fa; padding: 8px 12px; border-radius: 6px; overflow-x: auto;}
</style>"""

# CommonMark plus GFM tables and strikethrough, raw HTML off: an article's own tags are shown as
# text, never passed through (markdown-it-py's "commonmark" preset with html=False)
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
# what rendered Markdown may contain after nh3 (the Ammonia sanitiser): structure, tables, code,
# links and images; no style, class, id or event attribute, no script, form or frame
MARKDOWN_TAGS = {
    *("p", "br", "hr", "em", "strong", "s", "del", "code", "pre", "blockquote"),
    *("ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6"),
    *("table", "thead", "tbody", "tr", "th", "td", "a", "img"),
}
MARKDOWN_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}


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


def _vetted_url(tag: str, attribute: str, value: str) -> str | None:
    """nh3 attribute filter: a link or image address passes only when `safe_href` keeps it."""
    if attribute in ("href", "src"):
        return value if SAFE_HREF_RE.match(value or "") else None
    return value


class _QuotedText(HTMLParser):
    """Re-serialises well-formed HTML with quotes in text escaped too (`&quot;`, `&#x27;`): the
    sanitiser leaves `"` bare in text, so an article's `<a href="javascript:...">` shown as text
    would still read as an attribute to anything that scans the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        """Keep the tag exactly as the sanitiser wrote it."""
        self.out.append(self.get_starttag_text() or "")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        """Keep the closing tag."""
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        """Text, escaped with quotes."""
        self.out.append(html.escape(data, quote=True))


def _quote_text(sanitised: str) -> str:
    parser = _QuotedText()
    parser.feed(sanitised)
    parser.close()
    return "".join(parser.out)


@functools.lru_cache(maxsize=512)
def markdown_html(source: str, heading_shift: int = 2) -> str:
    """Article Markdown as sanitised HTML: paragraphs, lists, tables (GFM pipe tables), code,
    emphasis, links (http(s), site paths, `?`/`#` only, opening in a new tab) and images with
    their alt text. Raw HTML in the source is escaped as text; the output goes through nh3 with
    MARKDOWN_TAGS/MARKDOWN_ATTRIBUTES, so no script, event handler or `javascript:` URL survives.
    Headings inside a section's text move down `heading_shift` levels (h1 -> h3, at most h6) so
    they sit under the article title and section headings. Memoised (512 sections): markdown-it-py
    takes seconds on some 50,000-character inputs (e.g. a run of '['), so each section pays once
    per process."""
    rendered = _MARKDOWN.render(source or "")
    if heading_shift:
        rendered = re.sub(
            r"<(/?)h([1-6])>",
            lambda m: f"<{m[1]}h{min(int(m[2]) + heading_shift, 6)}>",
            rendered,
        )
    return _quote_text(
        nh3.clean(
            rendered,
            tags=MARKDOWN_TAGS,
            attributes=MARKDOWN_ATTRIBUTES,
            attribute_filter=_vetted_url,
            filter_style_properties={"text-align"},
            url_schemes={"http", "https"},
            link_rel="noopener noreferrer",
            set_tag_attribute_values={"a": {"target": "_blank"}},
            strip_comments=True,
        )
    )


def badge_html(label: str) -> str:
    """The red "internal" badge beside a title."""
    return f'<span class="kb-badge">{html.escape(label)}</span>'


def app_href(page: str = "", article: str = "", anchor: str = "", query: str = "") -> str:
    """A vetted in-app link: `?article=<slug>&page=<page>&section=<anchor>&q=<query>#<anchor>`
    (each part only if given; anchor and query URL-encoded). `q` lets "back to search" refill the
    customer's question after the link reloaded the page (a new session)."""
    params = [f"article={article}"] if article else []
    params += [f"page={page}"] if page else []
    params += [f"section={urllib.parse.quote(anchor)}"] if anchor else []
    params += [f"q={urllib.parse.quote(query)}"] if query else []
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


def card_html(
    answer: Answer,
    page: str,
    source_label: str,
    badge: str = "",
    category: str = "",
    query: str = "",
) -> str:
    """One answer card: title linking into the app at the section (`page` is the page the link
    returns to; `?section=` and `#anchor` both name the section), category (`category`, its
    display name, else the code) and section, highlighted snippet, source link (the section's
    `url`); `badge` beside the title when non-empty (the agent desk marks internal articles);
    `query` rides in the title link (`q=`) so "back" after that reload refills the question."""
    title = in_app_link_html(
        page, answer.title, article=answer.slug, anchor=answer.anchor, query=query
    )
    section = "" if answer.section == answer.title else f" · {html.escape(answer.section)}"
    return (
        f'<div class="kb-card" data-slug="{safe_id(answer.slug)}">'
        f"<h4>{title}{badge_html(badge) if badge else ''}</h4>"
        f'<div class="kb-meta">{html.escape(category or answer.category)}{section}</div>'
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
    """The whole article, section by section, each with its anchor id so `#anchor` links land,
    each section's Markdown rendered by `markdown_html`."""
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
        parts.append(markdown_html(section.markdown))
    return "".join(parts)


def article_page_html(
    article: ArticleView,
    source_label: str,
    updated_label: str,
    badge: str = "",
    names: tuple[str, str] = ("", ""),
) -> str:
    """Title (with `badge` when non-empty), meta line (category · language · updated: `names`
    gives the category's and the language's display names, the codes where empty), source link,
    then the article itself."""
    updated = f"{updated_label} {article.updated}" if article.updated else ""
    category, language = names[0] or article.category, names[1] or article.language
    meta = " · ".join(x for x in (category, language, updated) if x)
    source = source_link_html(article.url, source_label) if article.url else ""
    return (
        f'<div class="kb-article"><h2>{html.escape(article.title)}'
        f"{badge_html(badge) if badge else ''}</h2>"
        f'<div class="kb-meta">{html.escape(meta)} {source}</div>'
        f"{article_html(article)}</div>"
    )


def scroll_script_html(anchor: str = "") -> str:
    """A script that scrolls the page to the element with id `anchor` (safe_id of a section
    anchor), or, when `anchor` is empty, to the URL's own `#fragment`: the article is drawn after
    the browser looked for the fragment, so it would stay at the top. Looks every 250 ms for up to
    12.5 s while the article is drawn, then scrolls 4 times in a second (what is drawn below the
    section, e.g. related articles, can let it reach the top). The anchor is a JSON string with
    '<' escaped, so article text cannot close the script; for st.html(...,
    unsafe_allow_javascript=True), our code only."""
    wanted = json.dumps(safe_id(anchor) if anchor else "").replace("<", "\\u003c")
    return (
        "<script>(function(){"
        f"var want={wanted}||decodeURIComponent((window.location.hash||'').slice(1));"
        "if(!want)return;var tries=0,seen=0;var timer=setInterval(function(){"
        "var el=document.getElementById(want);"
        "if(el){el.scrollIntoView({block:'start'});if(++seen>3)clearInterval(timer);}"
        "else if(++tries>50){clearInterval(timer);}},250);})();</script>"
    )
