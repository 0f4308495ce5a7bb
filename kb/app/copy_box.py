"""The agent desk's copy box under each answer: the whole answering section (not the card's
shortened excerpt) with an absolute link, in a box that wraps long lines. A public article's box
is for the customer; an internal article's box is only a note for colleagues, marked as such in
its label and in the copied text itself, with a link to the agent desk."""

from __future__ import annotations

from urllib.parse import quote, urljoin

import streamlit as st

from kb.config import Config
from kb.render import answer_plain_text
from kb.retrieval import Answer

from . import common
from .common import t

ABSOLUTE = ("http://", "https://")


def app_base(cfg: Config) -> str:
    """The app's address ending in "/": KB_APP_URL (cfg.app_url) when set, else the folder of
    the page's address as the agent's browser shows it (st.context.url, e.g.
    "https://help.example.com/agent" -> "https://help.example.com/"); "" when neither is known."""
    if cfg.app_url:
        return cfg.app_url
    try:
        shown = st.context.url or ""
    except Exception:  # no browser connection (AppTest, a bare script run)
        shown = ""
    return urljoin(shown, ".") if shown.startswith(ABSOLUTE) else ""


def absolute_link(answer: Answer, base: str, site_base: str = "") -> str:
    """The link to paste for `answer`, at its section.

    An article's absolute `url` (with the section's #anchor) as it is; a site path (`/...`)
    joined to `site_base` (the articles' base_url setting when there is one) or else `base`;
    an article without a url opens in the app at `base`: `?article=<slug>#<anchor>`, on the
    agent desk (`&page=agent`) for internal articles, which customers cannot open. Without a
    known `base` the in-app link stays relative (the caller says how to fix that)."""
    url = answer.url or ""
    if url.startswith(ABSOLUTE):
        return url
    if url.startswith("/") and not url.startswith("//"):
        return urljoin(site_base or base, url)
    page = "&page=agent" if answer.visibility != "public" else ""
    anchor = f"#{quote(answer.anchor)}" if answer.anchor else ""
    return f"{base}?article={quote(answer.slug)}{page}{anchor}"


def full_section(cfg: Config, answer: Answer, role: str) -> str:
    """The plain text of the whole section `answer` comes from (its anchor in the article as
    `role` reads it); the card's excerpt when the article or section cannot be read."""
    searcher = common.searcher(cfg, role)
    article = searcher.article(answer.slug) if searcher is not None else None
    for section in article.sections if article is not None else ():
        if section.anchor == answer.anchor:
            return section.text
    return answer.snippet_text


def copy_text(answer: Answer, text: str, link: str, note_label: str = "") -> str:
    """What the agent copies: `note_label` first when given (internal articles), then the
    title › section heading, the section's `text` and the `link`."""
    body = answer_plain_text(answer.title, answer.section, text, link)
    return f"{note_label}\n{body}" if note_label else body


def copy_box(cfg: Config, answer: Answer, role: str) -> None:
    """The folded copy box under one answer card: "copy for the customer" for a public
    article, "internal note for colleagues" (never for customers) for an internal one; the text
    wraps in the box and keeps its own line breaks when pasted."""
    base = app_base(cfg)
    link = absolute_link(answer, base, getattr(cfg, "base_url", "") or "")
    internal = answer.visibility != "public"
    label = t("copy_internal") if internal else t("copy")
    with st.expander(label, icon=":material/warning:" if internal else ":material/content_copy:"):
        if internal:
            st.warning(t("copy_internal_warning"))
        text = full_section(cfg, answer, role)
        note = t("copy_internal_marker") if internal else ""
        st.code(copy_text(answer, text, link, note), language=None, wrap_lines=True)
        if not link.startswith(ABSOLUTE):
            st.caption(t("copy_no_base"))
