"""The search and article views the help center and the agent desk share: the search box with
filters, answer cards with feedback (and, on the agent desk, a copy box), the no-match box, and
the article page with related articles. HTML comes from kb.render; analytics are logged here."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from kb.config import Config
from kb.errors import UnknownFilterError
from kb.render import (
    answer_plain_text,
    article_page_html,
    back_link_html,
    card_html,
    no_match_html,
    related_html,
)
from kb.retrieval import Answer, Searcher

from . import common
from .common import t

CONTACT_SLUG = "contact-support-channels"
TOP_K = 5


def show_answers(
    cfg: Config, answers: Sequence[Answer], query: str, role: str, page: str, copyable: bool
) -> None:
    """Answer cards, best first, each with thumbs feedback (logged once per query and answer;
    one widget per rank, reset when its question or answer changes) and, when `copyable`, the
    text an agent pastes into a ticket."""
    for rank, answer in enumerate(answers):
        badge = t("internal") if answer.visibility != "public" else ""
        st.html(card_html(answer, page, t("source"), badge=badge))
        if copyable:
            with st.expander(t("copy")):
                st.code(
                    answer_plain_text(
                        answer.title, answer.section, answer.snippet_text, answer.url
                    ),
                    language=None,
                )
        owner = common.digest(role, query, answer.slug)
        value = st.feedback("thumbs", key=common.slot(f"fb-{role}-{rank}", owner))
        if value is not None and common.first_time("feedback_logged", owner):
            common.analytics(cfg).log_feedback(query, answer.slug, bool(value), role)
            st.caption(t("thanks"))
        if rank < len(answers) - 1:
            st.write("")


def _filters(searcher: Searcher, role: str) -> tuple[str, str]:
    """Category and language selectors; their values, t("all") meaning no filter."""
    columns = st.columns(2)
    categories = [t("all"), *searcher.categories()]
    languages = [t("all"), *searcher.languages()]
    category = columns[0].selectbox(t("category"), categories, key=f"cat-{role}")
    language = columns[1].selectbox(t("language"), languages, key=f"lang-{role}")
    return category, language


def search_view(cfg: Config, role: str, page: str, copyable: bool = False) -> None:
    """The search box (prefilled from `?q=` on the public page), filters and the answers; a
    question without a good match shows the no-match box and folds the closest answers away.
    The question is cut to common.MAX_QUERY_CHARS before any work; the search is logged after
    the answers are drawn (the log never raises, see kb.analytics)."""
    searcher = common.searcher(cfg, role)
    if searcher is None:
        return
    key = f"q-{role}"
    if role == "public" and key not in st.session_state and st.query_params.get("q"):
        st.session_state[key] = st.query_params.get("q", "")[: common.MAX_QUERY_CHARS]
    query = st.text_input(
        t("search"), key=key, placeholder=t("placeholder"), max_chars=common.MAX_QUERY_CHARS
    )[: common.MAX_QUERY_CHARS]
    st.session_state["last_query"] = query
    category, language = _filters(searcher, role)
    if not query.strip():
        return
    try:  # a filter value the live version no longer has (a category removed by a rebuild)
        answers = searcher.search(
            query,
            top_k=TOP_K,
            category=None if category == t("all") else category,
            language=None if language == t("all") else language,
        )
    except UnknownFilterError as exc:
        st.error(str(exc))
        return
    good = bool(answers) and searcher.good_match(answers, query)
    if good:
        st.caption(t("results", n=len(answers)))
        show_answers(cfg, answers, query, role, page, copyable)
    else:
        contact = searcher.article(CONTACT_SLUG)
        st.html(no_match_html(t("no_match"), t("no_match_hint"), contact))
        if answers:
            with st.expander(t("closest")):
                show_answers(cfg, answers, query, role, page, copyable)
    if common.first_time("search_logged", role, query, category, language):
        top = answers[0].slug if answers else None
        common.analytics(cfg).log_search(query, role, len(answers), top, good)


def article_view(cfg: Config, slug: str, role: str, page: str) -> None:
    """The article `slug` as `role` may see it ("not found" otherwise, internal articles on the
    public page included), with a link back to the search of `page` and related articles."""
    searcher = common.searcher(cfg, role)
    if searcher is None:
        return
    st.html(back_link_html(page, t("back")))
    article = searcher.article(slug)
    if article is None:
        st.warning(t("not_found"))
        return
    badge = t("internal") if article.visibility != "public" else ""
    st.html(article_page_html(article, t("source"), t("updated"), badge=badge))
    related = searcher.related(slug, top_k=5)
    if related:
        st.subheader(t("related"))
        st.html(related_html(related, page))
