"""Plumbing shared by the pages: configuration per run, one cached `LiveSearcher` per index and
role, the analytics store, the interface language and language names, category display names
(articles/categories.yaml), page titles, the query box's length cap, navigation inside the session
(button callbacks over query parameters; widget values kept across article views), the session's
bounded memory of what was logged, and the secret gate."""

from __future__ import annotations

import hashlib
import logging

import streamlit as st

from kb.access import check_secret
from kb.analytics import Analytics, open_analytics
from kb.config import Config, load_config, secret
from kb.errors import ConfigError, KBError
from kb.ingest.categories import categories_path, load_category_names
from kb.options import SearchSettings
from kb.retrieval import LiveSearcher, Searcher
from kb.text import CJK_RUN_RE

from .strings import LANGUAGE_LABELS, LANGUAGE_NAMES, LANGUAGE_SELECTOR, TEXT

log = logging.getLogger(__name__)

# the searcher cuts queries to this many characters; the app cuts them before any work, so a
# 10 MB `?q=` or pasted text never reaches the session, the searcher or the log
MAX_QUERY_CHARS = SearchSettings.max_query_chars
SESSION_MEMORY = 200  # digests each session remembers per kind (searches, votes logged)


# ----------------------------------------------------------------------- interface language


def ui_language(query: str = "") -> str:
    """The chosen interface language; on "auto", English for a question without Chinese
    characters, Chinese otherwise."""
    choice = st.session_state.get("ui_lang", "auto")
    if choice in TEXT:
        return choice
    if query and not CJK_RUN_RE.search(query):
        return "en"
    return "zh"


def t(key: str, **kwargs) -> str:
    """The interface string `key` in the language of the question last asked."""
    return TEXT[ui_language(st.session_state.get("last_query", ""))][key].format(**kwargs)


def lang() -> str:
    """The interface language in use now ("zh" or "en"), as `t` speaks it."""
    return ui_language(st.session_state.get("last_query", ""))


def language_name(code: str) -> str:
    """A language code's name in the interface language (`en` -> English / 英文); the code for
    a language the app has no name for."""
    return LANGUAGE_NAMES.get(code, {}).get(lang(), code)


def language_selector() -> None:
    """The interface-language selector (auto / 中文 / English), kept across pages."""
    st.selectbox(
        LANGUAGE_SELECTOR,
        ["auto", "zh", "en"],
        key="ui_lang",
        format_func=lambda v: LANGUAGE_LABELS[v],
    )


def capped_query(key: str) -> str:
    """The search box `key`'s text cut to MAX_QUERY_CHARS characters, also in the session (call
    before the box is drawn in this run): the widget's `max_chars` binds only the browser."""
    value = st.session_state.get(key)
    if not isinstance(value, str):
        return ""
    if len(value) > MAX_QUERY_CHARS:
        value = st.session_state[key] = value[:MAX_QUERY_CHARS]
    return value


def digest(*parts: str) -> str:
    """A short, stable name for `parts` (16 hex digits of their SHA-256), for widget keys and
    session memory: never the text itself, whatever its length."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()[:16]


def first_time(memory: str, *parts: str) -> bool:
    """True the first time this session sees `parts` in `memory` (e.g. "search_logged"). The
    session keeps only a 16-hex-digit digest of each, and only the last SESSION_MEMORY of them,
    so its size does not grow with the number or the length of the questions."""
    seen = st.session_state.setdefault(memory, {})  # digest -> None, oldest first
    name = digest(*parts)
    if name in seen:
        return False
    seen[name] = None
    while len(seen) > SESSION_MEMORY:
        del seen[next(iter(seen))]
    return True


def slot(name: str, owner: str) -> str:
    """The widget key `name`, one of a fixed few (e.g. "fb-public-0"), reset to no value when it
    now stands for another `owner` (e.g. a digest of the question and the answer). A key built
    from each question would leave Streamlit's bookkeeping for every widget ever drawn in the
    session (about 1.5 KB each); slots keep it to one widget per answer position."""
    owners = st.session_state.setdefault("slot_owners", {})
    if owners.get(name) != owner:
        owners[name] = owner
        st.session_state[name] = None  # also clears the browser's copy of the old value
    return name


def page_header(page: str) -> None:
    """The title of `page` ("customer", "agent" or "editor"), in the language of the question
    being asked: widget state is updated before the rerun, so the title can follow it."""
    query_key = "q-agent" if page == "agent" else "q-public"
    st.session_state["last_query"] = capped_query(query_key)
    st.title(t("title") if page == "customer" else f"{t('title')} · {t(page)}")


# ------------------------------------------------------------------------------- navigation
# NAVIGATION: an article view draws no search box or filters. Streamlit forgets the value of a
# widget a run does not draw, unless the widget is created with persist_state="page" (as
# views.search_view's are): then it keeps the value under the widget's key. That alone is not
# enough. When "back" is clicked before the article's run has finished, the browser still holds
# the box's old value and sends it with the click. The server then takes the value as unchanged
# and does not tell the browser to show it; the browser draws the box anew, empty, while the
# server searches the old question (seen in CI, 2026-11-30; tests/app/test_customers_browser.py).
# So the first run that draws the box after an article view writes its value back (`refill`),
# which makes Streamlit send it to the browser.

ARTICLE_SHOWN = "article_shown"  # session flag set by views.article_view, cleared by `refill`


def refill(*keys: str) -> None:
    """After an article view (session flag ARTICLE_SHOWN), write each kept widget value in `keys`
    back to itself, before the widgets are drawn, so the browser adopts it (NAVIGATION above)."""
    if st.session_state.pop(ARTICLE_SHOWN, False):
        for key in keys:
            if key in st.session_state:
                st.session_state[key] = st.session_state[key]


def open_article(slug: str, anchor: str = "") -> None:
    """Button callback: show article `slug` (at section `anchor`) in this session, by query
    parameters, which Streamlit updates in the address bar without reloading the page."""
    st.query_params["article"] = slug
    if anchor:
        st.query_params["section"] = anchor
    elif "section" in st.query_params:
        del st.query_params["section"]


def back_to_search() -> None:
    """Button callback: leave the article view for the search, whose box Streamlit refills
    (NAVIGATION above)."""
    for name in ("article", "section"):
        if name in st.query_params:
            del st.query_params[name]


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
        # the detail names server paths: staff pages show it, the public page only says why
        log.error("no usable index for role %s: %s", role, exc)
        st.error(t("no_index") if role == "public" else f"{t('no_index')}\n\n{exc}")
        return None


@st.cache_data(max_entries=4, show_spinner=False)
def _category_names(articles: str, modified: float) -> dict[str, dict]:
    return load_category_names(articles)


def category_name(cfg: Config, code: str) -> str:
    """The display name of category `code` in the interface language, from the categories file
    beside the articles (kb/ingest/categories.py; reread when it changes); the code itself when
    there is no file, no entry or the file has problems (the build reports those)."""
    path = categories_path(cfg.articles)
    modified = path.stat().st_mtime if path is not None else 0.0
    return _category_names(str(cfg.articles), modified).get(code, {}).get(lang(), code)


@st.cache_resource(show_spinner=False)
def _analytics(path: str, retention_days: int, max_rows: int) -> Analytics:
    return open_analytics(path, retention_days=retention_days, max_rows=max_rows)


def analytics(cfg: Config) -> Analytics:
    """The search and feedback log at `cfg.analytics_db`, shared by all sessions. Its writes never
    raise; failures are counted on it (`failures()`) for the editor page."""
    return _analytics(str(cfg.analytics_db), cfg.analytics_retention_days, cfg.analytics_max_rows)


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
