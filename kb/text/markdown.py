"""Markdown to the plain text that embedding, BM25 and snippets see.

No pattern here can backtrack super-linearly: a link's text and target exclude the brackets that
open another link (so a scan started at one `[` stops at the next instead of running to the end
of the text, which made `[[[[...` quadratic), and list and quote markers are matched with
whitespace that stops at the end of the line (`^\\s*` under re.M spans blank lines, which made a
run of newlines quadratic). tests/text/test_linear.py measures each on adversarial input.

Raw HTML in a Markdown body (`<center><img ...>`, `<br>`, tables exported from other tools) is
reduced to its text by nh3 (the Ammonia sanitiser, an HTML5 parser) with no tag allowed, so tag
names and attributes (`img`, `src=...`) are neither searchable nor shown in snippets; `<script>`
and `<style>` lose their content too. Block tags and table cells become line breaks and spaces
first, so cells do not run together.
"""

from __future__ import annotations

import html
import re

MD_INLINE_RE = re.compile(r"(\*\*|__|`|~~)")
MD_LINK_RE = re.compile(r"!?\[([^\[\]]*)\]\([^)\[\]]*\)")
MD_PREFIX_RE = re.compile(r"^[^\S\n]*(?:[-*+][^\S\n]+|>[^\S\n]*)", re.M)
SPACES_RE = re.compile(r"[ \t]+")
# something an HTML parser would take for markup: a tag, an end tag, a comment or a declaration
HTML_RE = re.compile(r"<[a-zA-Z/!]")
# Markdown autolinks <https://...> keep their address as text (an HTML parser drops them as tags)
AUTOLINK_RE = re.compile(r"<((?:https?|mailto):[^<>\s]*)>")
# `[^<>]*` stops at the next bracket, so a run of unclosed `<td` stays linear
CELL_RE = re.compile(r"</?(?:td|th)\b[^<>]*>", re.I)
BLOCK_RE = re.compile(
    r"</?(?:br|p|div|tr|li|ul|ol|table|thead|tbody|tfoot|center|h[1-6]|blockquote|hr|pre)\b[^<>]*>",
    re.I,
)


def strip_html(text: str) -> str:
    """`text` with HTML tags removed and character references decoded: plain text.

    Table cells become spaces and block tags (`<br>`, `<p>`, `<tr>`, `<center>`, ...) line breaks;
    everything else goes through nh3.clean with no allowed tag (attributes, `<img>`, comments,
    `<script>`/`<style>` with their content removed), then html.unescape. Text without anything
    that looks like a tag is returned unchanged (no parse)."""
    if not HTML_RE.search(text):
        return text
    import nh3

    text = AUTOLINK_RE.sub(r"\1", text)
    text = BLOCK_RE.sub("\n", CELL_RE.sub(" ", text))
    return html.unescape(nh3.clean(text, tags=set()))


# a whole tag in a query: `<b>`, `</p>`, `<img src=x>`, `<!-- -->` (not `<5000` or `a<b`)
QUERY_TAG_RE = re.compile(r"<\s*/?\s*[a-zA-Z!][^<>]*>")
# a percent-escaped byte: two or more in a query are text copied from an address bar
PERCENT_RE = re.compile(r"%[0-9A-Fa-f]{2}")


def query_text(query: str) -> str:
    """A query as the customer meant it: percent-escapes decoded when it holds two or more
    (PERCENT_RE: `%E6%8F%90%E7%8E%B0`, copied from an address bar, is 提现, `how%20to%20pay` is
    `how to pay`; `100%`, `50%折扣` and one `%20` are left alone), then pasted markup reduced to
    its text (`strip_html`) when it holds a whole tag (QUERY_TAG_RE): `<b>提现</b>` and
    `<p>怎么提现</p>` ask about 提现, `<script>alert(1)</script>` and `<img src=x onerror=...>`
    about nothing (empty). A `<` that opens no tag stays: `金额<5000`, `a<b 提现` (strip_html would
    read `<b 提现` as an unclosed tag and drop it)."""
    if len(PERCENT_RE.findall(query)) >= 2:
        from urllib.parse import unquote

        query = unquote(query, errors="replace")
    if QUERY_TAG_RE.search(query) is None:
        return query
    return strip_html(query)


def markdown_to_text(markdown: str) -> str:
    """Plain text of a Markdown section for embedding, BM25 and snippets (raw HTML reduced to its
    text by `strip_html`, links keep their words, list and quote markers are dropped, runs of
    spaces and tabs become one space). Linear time."""
    text = MD_LINK_RE.sub(r"\1", strip_html(markdown))
    text = MD_INLINE_RE.sub("", text)
    text = MD_PREFIX_RE.sub("", text)
    return SPACES_RE.sub(" ", text).strip()
