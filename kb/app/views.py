"""The search and article views the help center and the agent desk share: the search box with
filters (display names, not codes), answer cards with an in-session "read the article" button and
feedback (and, on the agent desk, a copy box), the no-match box, and the article page scrolled to
its section, with related articles and its version in the interface language. HTML comes from
kb.render; analytics are logged here."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from kb.config import Config
from kb.errors import UnknownFilterError
from kb.render import (
    article_page_html,
    card_html,
    no_match_html,
    scroll_script_html,
)
from kb.retrieval import Answer, Searcher
from kb.retrieval.translations import language_versions, preferred_version

from . import common
from .common import t
from .copy_box import copy_box

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
        category = common.category_name(cfg, answer.category)
        # the customer's question rides in the title link: "back" refills it after that reload
        asked = query if role == "public" else ""
        st.html(card_html(answer, page, t("source"), badge=badge, category=category, query=asked))
        owner = common.digest(role, query, answer.slug)
        # "read the article" and the thumbs on one line under their card (a new user found them
        # loose between the cards, one line each, 2026-12-03)
        with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
            st.button(
                t("open"),
                key=f"open-{role}-{rank}",
                type="tertiary",
                icon=":material/arrow_forward:",
                on_click=common.open_article,
                args=(answer.slug, answer.anchor),
            )
            value = st.feedback("thumbs", key=common.slot(f"fb-{role}-{rank}", owner))
        if copyable:
            copy_box(cfg, answer, role)
        if value is not None and common.first_time("feedback_logged", owner):
            common.analytics(cfg).log_feedback(query, answer.slug, bool(value), role)
            st.caption(t("thanks"))
        if rank < len(answers) - 1:
            st.write("")


ALL = ""  # the filters' "no filter" value, shown as t("all")


def _filters(cfg: Config, searcher: Searcher, role: str) -> tuple[str, str]:
    """Category and language selectors showing display names in the interface language (values
    stay the codes); their values, ALL meaning no filter. Kept across article views."""
    columns = st.columns(2)
    # labels fixed at drawing time: a format_func reading the session later could disagree
    categories = {c: common.category_name(cfg, c) for c in searcher.categories()}
    languages = {c: common.language_name(c) for c in searcher.languages()}
    categories[ALL] = languages[ALL] = t("all")
    category = columns[0].selectbox(
        t("category"),
        [ALL, *searcher.categories()],
        key=f"cat-{role}",
        format_func=categories.get,
        persist_state="page",
    )
    language = columns[1].selectbox(
        t("language"),
        [ALL, *searcher.languages()],
        key=f"lang-{role}",
        format_func=languages.get,
        persist_state="page",
    )
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
    common.refill(key, f"cat-{role}", f"lang-{role}")
    if role == "public" and key not in st.session_state and st.query_params.get("q"):
        st.session_state[key] = st.query_params.get("q", "")[: common.MAX_QUERY_CHARS]
    query = st.text_input(
        t("search"),
        key=key,
        placeholder=t("placeholder"),
        max_chars=common.MAX_QUERY_CHARS,
        persist_state="page",  # an article view draws no box; see common.NAVIGATION
    )[: common.MAX_QUERY_CHARS]
    st.session_state["last_query"] = query
    category, language = _filters(cfg, searcher, role)
    if not query.strip():
        return
    try:  # a filter value the live version no longer has (a category removed by a rebuild)
        answers = searcher.search(
            query, top_k=TOP_K, category=category or None, language=language or None
        )
    except UnknownFilterError as exc:
        st.error(str(exc))
        return
    good = bool(answers) and searcher.good_match(answers, query)
    if good:
        st.caption(t("results", n=len(answers)))
        show_answers(cfg, answers, query, role, page, copyable)
    else:
        contact = searcher.article(
            preferred_version(searcher.index.articles, CONTACT_SLUG, common.lang())
        )
        st.html(no_match_html(t("no_match"), t("no_match_hint"), contact))
        if answers:
            with st.expander(t("closest")):
                show_answers(cfg, answers, query, role, page, copyable)
    if common.first_time("search_logged", role, query, category, language):
        top = answers[0].slug if answers else None
        common.analytics(cfg).log_search(query, role, len(answers), top, good)


def article_view(cfg: Config, slug: str, role: str, page: str) -> None:
    """The article `slug` as `role` may see it ("not found" otherwise, internal articles on the
    public page included), scrolled to `?section=` or the URL's #fragment, with a button back to
    the search (its query and filters kept), a button to its version in the interface language
    when there is one, and related articles (in the interface language where a version exists).
    Every button navigates inside the session (query parameters), without a page reload."""
    searcher = common.searcher(cfg, role)
    if searcher is None:
        return
    st.session_state[common.ARTICLE_SHOWN] = True
    st.button(t("back"), key="back", type="tertiary", on_click=common.back_to_search)
    article = searcher.article(slug)
    if article is None:
        st.warning(t("not_found"))
        return
    badge = t("internal") if article.visibility != "public" else ""
    names = (common.category_name(cfg, article.category), common.language_name(article.language))
    other = language_versions(searcher.index.articles, slug).get(common.lang(), slug)
    if other != slug:
        label = t("other_version", language=common.language_name(common.lang()))
        st.button(label, key="other-version", on_click=common.open_article, args=(other,))
    st.html(article_page_html(article, t("source"), t("updated"), badge=badge, names=names))
    st.html(scroll_script_html(st.query_params.get("section", "")), unsafe_allow_javascript=True)
    _related(searcher, slug, {slug, other})


def _related(searcher: Searcher, slug: str, shown: set[str]) -> None:
    """Related articles of `slug` as buttons that open them in the session, each in the
    interface language's version where there is one, none of `shown` and none twice."""
    views = []
    for item in searcher.related(slug, top_k=5):
        version = preferred_version(searcher.index.articles, item.slug, common.lang())
        view = item if version == item.slug else searcher.article(version)
        if view is not None and version not in shown:
            shown.add(version)
            views.append(view)
    if views:
        st.subheader(t("related"))
    for rank, view in enumerate(views):
        st.button(
            view.title,
            key=f"related-{rank}",
            type="tertiary",
            icon=":material/article:",
            on_click=common.open_article,
            args=(view.slug,),
        )
