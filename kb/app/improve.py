"""The "Improve content" page (改进内容), for editors behind KB_EDITOR_TOKEN: close the loop from
analytics to content (issue 13 items 8-11).

- Attach questions: a query from the "no good match" or "unhelpful answers" report is attached to
  the article an editor finds and picks, in the reviewed `<articles>/questions.yaml`
  (kb/curation/questions.py); the next build indexes it like the article's title.
- Content gaps: the no-good-match queries grouped by meaning (kb/analytics/gaps.py), with CSV.
- Preview & publish: search a built-but-unpublished version (kept by the eval gate) side by side
  with the live one, compare both on the eval file, and publish it or not.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import streamlit as st

from kb.analytics import to_csv
from kb.analytics.gaps import DEFAULT_THRESHOLD, content_gaps, gaps_frame
from kb.config import EDITOR_SECRET, Config
from kb.curation import (
    QUESTIONS_FILE,
    GateResult,
    GateSettings,
    attach_question,
    read_questions,
)
from kb.curation.gate import check, version_searcher
from kb.errors import KBError, ValidationError
from kb.evaluation import load_queries
from kb.index import versions
from kb.options import Role, SearchSettings

from . import common, unlock
from .common import t

PAGE = "improve"
LOG = logging.getLogger(__name__)


def _table(frame: pd.DataFrame) -> None:
    st.dataframe(frame, hide_index=True, width="stretch")


def _report_queries(cfg: Config, days: int, source: str) -> list[str]:
    """The queries of one analytics report ("no good match" or "unhelpful answers"), most
    frequent first; [] with a message when the database cannot be read."""
    store = common.analytics(cfg)
    try:
        if source == "no good match":
            frame = store.no_match_queries(days, limit=200)
        else:
            frame = store.unhelpful_answers(days, limit=200)
    except KBError as exc:
        st.error(t("ed_analytics_unreadable", error=exc))
        return []
    return list(dict.fromkeys(frame["query"].tolist()))


def attach_tab(cfg: Config) -> None:
    """Pick a failed query, find and pick its article, save the pair to questions.yaml."""
    days = st.slider(t("ed_days"), 1, 90, 30, key="attach-days")
    sources = {
        "no good match": t("im_source_no_match"),
        "unhelpful answers": t("im_source_unhelpful"),
    }
    source = st.radio(t("im_source"), list(sources), format_func=sources.get, horizontal=True)
    queries = _report_queries(cfg, days, source)
    if not queries:
        st.info(t("im_no_queries", days=days))
    else:
        query = st.selectbox(t("im_pick_query"), queries)
        question = st.text_input(t("im_question"), value=query, key=f"question-{query}")
        found = st.text_input(t("im_find"), value=query, key=f"find-{query}")
        searcher = common.searcher(cfg, Role.AGENT.value)  # editors may attach to any article
        answers = searcher.search(found, top_k=8) if searcher is not None and found else []
        if not answers:
            st.info(t("im_no_articles"))
        else:
            labels = {a.slug: f"{a.title}  ({a.slug})" for a in answers}
            slug = st.radio(t("im_pick_article"), list(labels), format_func=labels.get)
            if st.button(t("im_attach"), type="primary"):
                _attach(cfg, slug, question)
    _saved_questions(cfg)


def _attach(cfg: Config, slug: str, question: str) -> None:
    """attach_question with its outcome on the page (a refusal names the line and the fix)."""
    path = Path(cfg.articles) / QUESTIONS_FILE
    try:
        added = attach_question(cfg.articles, slug, question)
    except ValidationError as exc:
        st.error("\n\n".join(str(p) for p in exc.problems))
        return
    except OSError as exc:
        st.error(f"cannot write {path}: {exc.strerror or exc}; make the folder writable")
        return
    if added:
        st.success(t("im_attached", path=path, slug=slug))
    else:
        st.info(t("im_already", slug=slug))


def _saved_questions(cfg: Config) -> None:
    """The reviewed questions file as a table (slug, question)."""
    try:
        saved = read_questions(cfg.articles)
    except ValidationError as exc:
        st.error("\n\n".join(str(p) for p in exc.problems))
        return
    rows = [{"slug": slug, "question": q} for slug, qs in saved.items() for q in qs]
    if rows:
        st.caption(t("im_saved", path=Path(cfg.articles) / QUESTIONS_FILE))
        _table(pd.DataFrame(rows))


def gaps_tab(cfg: Config) -> None:
    """The no-good-match queries of the last N days grouped by meaning, with a CSV download."""
    days = st.slider(t("ed_days"), 1, 90, 30, key="gap-days")
    roles = {"public": t("ed_role_public"), "agent": t("ed_role_agent")}
    role = st.radio(t("ed_who"), list(roles), format_func=roles.get, horizontal=True, key="gr")
    threshold = st.slider(t("im_threshold"), 0.02, 0.3, DEFAULT_THRESHOLD, 0.01)
    if not st.button(t("im_group")):
        return
    searcher = common.searcher(cfg, Role.PUBLIC.value)
    if searcher is None:
        return
    try:
        store, direction = common.analytics(cfg), searcher.index.language_direction
        gaps = content_gaps(store, searcher.encoder, days, role, threshold, direction)
    except KBError as exc:
        st.error(t("ed_analytics_unreadable", error=exc))
        return
    if not gaps:
        st.info(t("im_no_queries", days=days))
        return
    st.subheader(t("im_gaps", n=len(gaps), q=sum(g.questions for g in gaps)))
    for gap in gaps[:10]:
        st.markdown("- " + t("im_gap_line", **vars(gap)))
    frame = gaps_frame(gaps)
    _table(_headed(frame))  # the CSV keeps the stable English column names
    st.download_button(
        t("im_download"), to_csv(frame), file_name=f"content-gaps-{role}.csv", mime="text/csv"
    )


@st.cache_resource(max_entries=2, show_spinner=False)
def _version_searcher(index: str, version: str, encoder_id: str, _encoder):
    """A Searcher over one unpublished version, kept for the process (versions never change)."""
    return version_searcher(Path(index), version, _encoder, Role.AGENT, SearchSettings())


def _results(column, searcher, query: str, title: str) -> None:
    """One side of the preview: the version's answers to `query`, numbered."""
    with column:
        st.markdown(f"**{title}**")
        for rank, answer in enumerate(searcher.search(query, top_k=5), start=1):
            st.markdown(f"{rank}. {answer.title} `{answer.slug}`")


def preview_tab(cfg: Config) -> None:
    """Search an unpublished version beside the live one; compare on the eval file; publish."""
    held = versions.held_versions(Path(cfg.index))
    live = common.searcher(cfg, Role.AGENT.value)
    if not held or live is None:
        st.info(t("im_no_held"))
        return
    version = st.selectbox(t("im_version"), held)
    try:
        candidate = _version_searcher(str(cfg.index), version, live.encoder.id, live.encoder)
    except KBError as exc:
        st.error(str(exc))
        return
    query = st.text_input(t("im_query"), key="preview-query")
    if query:
        left, right = st.columns(2)
        _results(left, live, query, t("im_live", version=live.version))
        _results(right, candidate, query, t("im_candidate", version=version))
    key = f"im-gate-{version}"
    if st.button(t("im_run_gate", path=cfg.queries)):
        try:
            queries = load_queries(cfg.queries)
            st.session_state[key] = check(
                Path(cfg.index),
                live.version,
                version,
                queries,
                live.encoder,
                GateSettings(),
                SearchSettings(),
                cfg.queries,
            )
        except KBError as exc:
            st.error(str(exc))
    result = st.session_state.get(key)
    result = result if result is not None and result.live == live.version else None
    if result is not None:
        show_gate(result)
    _publish(cfg, version, live.version, result)


def _publish(cfg: Config, version: str, live: str, result: GateResult | None) -> None:
    """The publish button. When the gate refused the version or it was not compared with the
    live one, publishing needs the "publish although the gate refused it" box ticked (as a
    rollback asks to confirm); the HISTORY note carries the verdict and its reasons."""
    refused = result is None or not result.passed
    if result is None:
        st.info(t("im_not_compared", live=live))
    forced = refused and st.checkbox(t("im_force"), key=f"im-force-{version}")
    if not st.button(t("im_publish"), type="primary"):
        return
    if refused and not forced:
        st.error(t("im_force_needed"))
        return
    try:
        old = versions.publish_held(Path(cfg.index), version, live, publish_note(result))
    except KBError as exc:
        st.error(str(exc))
    else:
        st.success(t("im_published", new=version, old=old))


def publish_note(result: GateResult | None) -> str:
    """The HISTORY note of a publish from this page: the gate's verdict and reasons (English,
    like `kb build --force-publish`'s note), or that no comparison was run."""
    head = "published after a preview on the editor page"
    if result is None:
        return f"{head}; forced without an eval-gate comparison"
    if result.passed:
        return f"{head}; eval gate passed"
    return f"{head}; forced past the eval gate: " + "; ".join(result.reasons)


def show_gate(result: GateResult) -> None:
    """The gate's verdict in the interface language (reasons as the gate words them), the
    metrics before and after, and the queries that got worse."""
    verdict = "passed" if result.passed else ("forced" if result.forced else "refused")
    head = t(
        f"im_verdict_{verdict}",
        candidate=result.candidate,
        state=t("im_state_live" if result.published else "im_state_held"),
        live=result.live or t("im_none"),
    )
    reasons = [t("im_reason", reason=_reason(reason)) for reason in result.reasons]
    (st.success if result.passed else st.warning)("\n\n".join([head, *reasons]))
    if result.before:
        keys = ["recall@1", "recall@5", "mrr@10", "ndcg@10"]
        _table(
            pd.DataFrame(
                {
                    t("im_metric"): keys,
                    t("im_live_col"): [result.before[k] for k in keys],
                    t("im_new_col"): [result.after[k] for k in keys],
                }
            )
        )
    if result.worse:
        _table(_headed(pd.DataFrame([c.to_dict() for c in result.worse])))


def _reason(reason: str) -> str:
    """A gate reason in the interface language when it carries its key (kb.evaluation.Reason);
    other strings as they are."""
    key = getattr(reason, "key", None)
    return t(f"im_why_{key}", **reason.fields) if key else reason


def _headed(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its column headers in the interface language (`im_col_<name>` strings)."""
    return frame.rename(columns={c: t(f"im_col_{c}") for c in frame.columns})


def page() -> None:
    """Render the page; locked until the editor secret is given (the editors' page's gate)."""
    common.page_header(PAGE)
    cfg = common.config()
    if not unlock.gate(EDITOR_SECRET, "editor"):  # the editor page's unlock, one for both
        return
    tabs = st.tabs([t("im_tab_attach"), t("im_tab_gaps"), t("im_tab_preview")])
    for tab, render in zip(tabs, (attach_tab, gaps_tab, preview_tab), strict=True):
        with tab:
            render(cfg)
