"""Plumbing shared by the pages: configuration per run, one cached `LiveSearcher` per index and
role, the analytics store, the interface language, page titles and the secret gate."""

from __future__ import annotations

import re

import streamlit as st

from kb.access import check_secret
from kb.analytics import Analytics
from kb.config import Config, load_config, secret
from kb.errors import ConfigError, KBError
from kb.options import SearchSettings
from kb.retrieval import LiveSearcher, Searcher

from .strings import LANGUAGE_LABELS, LANGUAGE_SELECTOR, TEXT

CJK_RE = re.compile(r"[\u3400-\u9fff]")


# ----------------------------------------------------------------------- interface language


def ui_language(query: str = "") -> str:
    """The chosen interface language; on "auto", English for a question without Chinese
    characters, Chinese otherwise."""
    choice = st.session_state.get("ui_lang", "auto")
    if choice in TEXT:
        return choice
    if query and not CJK_RE.search(query):
        return "en"
    return "zh"


def t(key: str, **kwargs) -> str:
    """The interface string `key` in the language of the question last asked."""
    return TEXT[ui_language(st.session_state.get("last_query", ""))][key].format(**kwargs)


def language_selector() -> None:
    """The interface-language selector (auto / 中文 / English), kept across pages."""
    st.selectbox(
        LANGUAGE_SELECTOR,
        ["auto", "zh", "en"],
        key="ui_lang",
        format_func=lambda v: LANGUAGE_LABELS[v],
    )


def page_header(page: str) -> None:
    """The title of `page` ("customer", "agent" or "editor"), in the language of the question
    being asked: widget state is updated before the rerun, so the title can follow it."""
    query_key = "q-agent" if page == "agent" else "q-public"
    st.session_state["last_query"] = st.session_state.get(query_key) or ""
    st.title(t("title") if page == "customer" else f"{t('title')} · {t(page)}")


# ------------------------------------------------------------------------ configuration, data


def config() -> Config:
    """The configuration (kb.config) for this run. A bad value stops the page with a message
    naming the variable and the fix, instead of a traceback."""
    try:
        return load_config()
    except ConfigError as exc:
        st.error(f"{t('config_error')} {exc}")
        st.stop()


@st.cache_resource(max_entries=6, show_spinner=False)
def _live_searcher(index: str, role: str, encoder: str, min_score: float | None) -> LiveSearcher:
    return LiveSearcher(index, role, encoder, SearchSettings(min_dense_score=min_score))


def searcher(cfg: Config, role: str) -> Searcher | None:
    """The searcher of the live index version for `role`, or None (with a message) when there
    is no usable index. One LiveSearcher per (index, role, encoder, threshold) lives for the
    process; `.current()` picks up a rebuild or rollback on the next rerun, without a restart."""
    try:
        return _live_searcher(str(cfg.index), role, cfg.encoder, cfg.min_score).current()
    except KBError as exc:
        st.error(f"{t('no_index')}\n\n{exc}")
        return None


@st.cache_resource(show_spinner=False)
def _analytics(path: str) -> Analytics:
    return Analytics(path)


def analytics(cfg: Config) -> Analytics:
    """The search and feedback log at `cfg.analytics_db`, shared by all sessions."""
    return _analytics(str(cfg.analytics_db))


# ------------------------------------------------------------------------------- secret gate


def secret_gate(name: str, state_key: str) -> bool:
    """True when the page is unlocked. Without a configured secret it stays locked and says how
    to configure one; there is never a default."""
    expected = secret(name, st.secrets)
    if expected is None:
        st.warning(t("not_configured", name=name))
        return False
    if st.session_state.get(state_key):
        return True
    st.info(t("locked"))
    with st.form(f"{state_key}-form"):
        given = st.text_input(t("token"), type="password", key=f"{state_key}-input")
        submitted = st.form_submit_button(t("unlock"))
    if submitted:
        if check_secret(given, expected):
            st.session_state[state_key] = True
            st.rerun()
        st.error(t("wrong"))
    return False
