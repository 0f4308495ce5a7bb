"""The editors' page, for the content team behind KB_EDITOR_TOKEN, in the interface language (zh or
en, like the other pages): index status and rollback (confirmed, with its result), validate and
rebuild (the live index keeps serving when a build fails; the result in plain sentences), search
analytics with CSV downloads, and the evaluation of the live index on the query file, shown query
by query (kb/app/editor_eval.py)."""

from __future__ import annotations

import logging
import time

import pandas as pd
import streamlit as st

from kb.analytics import Analytics, to_csv
from kb.build import BuildReport, build_index
from kb.config import EDITOR_SECRET, Config
from kb.curation import gated_build
from kb.curation.ids import id_warnings
from kb.errors import (
    BuildLockedError,
    IndexNotFoundError,
    KBError,
    Problem,
    QueryFileError,
    ValidationError,
)
from kb.evaluation import load_queries
from kb.index import IndexDescription, describe_index, open_store
from kb.ingest import discover, validate

from . import common, improve, unlock
from .common import t
from .editor_eval import show_evaluation
from .strings import TEXT
from .synonyms_view import synonyms_section

PAGE = "editor"
LOG = logging.getLogger(__name__)
MAX_SLUGS = 10  # slugs named per list in the rebuild summary; the rest are counted


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """Validation problems as a table: file, line, message (headers in the interface language)."""
    columns = [t("ed_file"), t("ed_line"), t("ed_message")]
    return pd.DataFrame([(p.path, p.line, p.message) for p in problems], columns=columns)


def problems_table(problems: list[Problem]) -> None:
    """The problems as a static table whose message column wraps, so every message is read
    whole (a scrolling data grid cuts long cells off)."""
    st.table(problems_frame(problems), hide_index=True)


def _table(frame: pd.DataFrame) -> None:
    """A data grid whose known column names are shown in the interface language."""
    labels = {c: t(f"ed_col_{c}") for c in frame.columns if f"ed_col_{c}" in TEXT["en"]}
    st.dataframe(frame, hide_index=True, width="stretch", column_config=labels)


def _describe(cfg: Config) -> IndexDescription | None:
    """describe_index, or None with the reason on the page: no index yet is a note, anything
    else an error (an unexpected one is also logged with its traceback, never shown)."""
    try:
        return describe_index(cfg.index)
    except IndexNotFoundError as exc:
        st.info(str(exc))
    except KBError as exc:
        st.error(t("ed_status_failed", error=exc))
    except Exception as exc:  # a bug below must not blank the page: rebuild stays usable
        LOG.exception("describe_index(%s) failed", cfg.index)
        st.error(t("ed_status_failed", error=f"{type(exc).__name__}: {exc}"))
    return None


def _rollback(cfg: Config, live: str, possible: bool) -> None:
    """The rollback button, then a confirmation naming the live version (confirm or cancel);
    the result (or why it failed) stays on the page after the rerun that shows the new state."""
    outcome = st.session_state.pop("ed-rollback-outcome", None)
    if outcome:
        (st.success if outcome[0] else st.error)(outcome[1])
    if not st.session_state.get("ed-rollback-asked"):
        if st.button(t("ed_rollback"), disabled=not possible, key="ed-rollback"):
            st.session_state["ed-rollback-asked"] = True
            st.rerun()
        return
    st.warning(t("ed_rollback_confirm", live=live))
    yes, no = st.columns(2)
    confirmed = yes.button(t("ed_rollback_yes"), type="primary", key="ed-rollback-yes")
    cancelled = no.button(t("ed_rollback_no"), key="ed-rollback-no")
    if not (confirmed or cancelled):
        return
    st.session_state["ed-rollback-asked"] = False
    if confirmed:
        try:
            old, new = open_store(cfg.index).rollback()
            outcome = (True, t("ed_rolled_back", old=old, new=new))
        except KBError as exc:
            outcome = (False, t("ed_rollback_failed", error=exc))
        st.session_state["ed-rollback-outcome"] = outcome
    st.rerun()


def status_tab(cfg: Config) -> None:
    """Counts, encoder and build of the live version, every stored version with why it is
    damaged (if it is), and rollback; the reason instead when the index cannot be described."""
    description = _describe(cfg)
    if description is None:
        return
    manifest = description.live
    counts = manifest.counts
    cols = st.columns(3)
    cols[0].metric(
        t("ed_articles"), f"{counts['public']['articles']} / {counts['all']['articles']}"
    )
    cols[1].metric(t("ed_sections"), counts["all"]["sections"])
    cols[2].metric(t("ed_chunks"), counts["all"]["chunks"])
    encoder = manifest.encoder
    rows = {
        t("ed_live_version"): manifest.version,
        t("ed_encoder"): t("ed_encoder_value", id=encoder["id"], dim=encoder["dim"]),
        t("ed_built"): manifest.created_at,
        t("ed_build_counts"): f"{manifest.build['encoded']} / {manifest.build['reused']}",
    }
    _table(pd.DataFrame({t("ed_item"): list(rows), t("ed_value"): list(rows.values())}))
    versions = [
        {
            t("ed_version"): v.version,
            t("ed_built"): v.created_at,
            t("ed_live"): "●" if v.live else "",
            t("ed_damaged"): v.damaged,
        }
        for v in reversed(description.versions)
    ]
    _table(pd.DataFrame(versions))
    _rollback(cfg, manifest.version, possible=len(versions) > 1)


def _slugs(key: str, slugs: list[str]) -> str:
    """One sentence about a list of slugs ("" for an empty list): the first MAX_SLUGS named."""
    if not slugs:
        return ""
    named = ", ".join(slugs[:MAX_SLUGS])
    if len(slugs) > MAX_SLUGS:
        named += " " + t("ed_more", n=len(slugs) - MAX_SLUGS)
    return t(key, n=len(slugs), slugs=named)


def rebuild_summary(report: BuildReport, seconds: float) -> list[str]:
    """What a build did, as plain sentences in the interface language: published (and which
    version) or unchanged; added, changed and removed articles (a sentence only for a list that
    is not empty); chunks re-encoded and reused and the wall-clock `seconds`."""
    head = t("ed_published" if report.published else "ed_unchanged", version=report.version)
    lists = [
        _slugs(key, slugs)
        for key, slugs in (
            ("ed_added", report.added),
            ("ed_changed", report.changed),
            ("ed_removed", report.removed),
        )
    ]
    work = t("ed_work", encoded=report.encoded, reused=report.reused, seconds=f"{seconds:.1f}")
    return [head, *(s for s in lists if s), work]


def _rebuild(cfg: Config, gated: bool) -> None:
    """Build with a progress bar; report what changed in sentences, or why the build failed.
    `gated`: publish only if the eval file searches no worse (kb/curation/gate.py); the verdict
    and the queries that got worse follow the summary."""
    bar = st.progress(0.0, text=t("ed_chunking"))

    def progress(done: int, total: int, stage: str) -> None:
        bar.progress(done / max(total, 1), text=t("ed_encoding", done=done, total=total))

    started, result = time.perf_counter(), None
    renamed = id_warnings(cfg.articles, cfg.index)  # against the live version, before it changes
    try:
        if gated:
            report, result = gated_build(
                cfg.articles, cfg.index, cfg.queries, cfg.encoder, progress=progress
            )
        else:
            report = build_index(cfg.articles, cfg.index, encoder=cfg.encoder, progress=progress)
    except ValidationError as exc:
        bar.empty()
        st.error(t("ed_build_problems", n=len(exc.problems)))
        problems_table(exc.problems)
        return
    except (BuildLockedError, KBError) as exc:
        bar.empty()
        st.error(t("ed_build_failed", error=exc))
        return
    bar.progress(1.0, text=t("ed_done"))
    head, *rest = rebuild_summary(report, time.perf_counter() - started)
    if result is not None and report.held:
        st.warning(t("im_gate_held", version=report.version))
    else:
        (st.success if report.published else st.info)(head)
    for sentence in rest:  # plain text: slugs may hold Markdown characters such as "_"
        st.text(sentence)
    if renamed:  # FAQ questions whose id changed: links, feedback and analytics lose them
        st.warning(t("ed_ids_changed", n=len(renamed)))
        problems_table(renamed)
    if result is not None:
        improve.show_gate(result)


def _validate(cfg: Config) -> None:
    """Validate the articles: how many source files were checked, and every problem found."""
    files = len(discover(cfg.articles)) if cfg.articles.exists() else 0
    problems = validate(cfg.articles)
    if problems:
        st.error(t("ed_problems", n=len(problems), files=files, path=cfg.articles))
        problems_table(problems)
    else:
        st.success(t("ed_no_problems", files=files, path=cfg.articles))


def rebuild_tab(cfg: Config) -> None:
    """Validate the articles, or rebuild and publish a new version."""
    if st.button(t("ed_validate"), key="ed-validate"):
        _validate(cfg)
    # the eval gate (kb/curation/gate.py), on by default when there is an eval file
    gate = st.checkbox(t("im_gate"), value=cfg.queries.exists(), key="ed-gate")
    if st.button(t("ed_rebuild"), type="primary", key="ed-rebuild"):
        _rebuild(cfg, gated=gate)
    synonyms_section(cfg)  # read-only: the live list and the draft's problems


def _analytics_failures(store: Analytics) -> None:
    """A warning with the count of each kind of analytics failure since the app started."""
    failures = store.failures()
    if failures:
        counts = ", ".join(f"{f.kind} x{f.count}" for f in failures)
        st.warning(t("ed_analytics_failures", counts=counts))
        _table(pd.DataFrame([vars(f) for f in failures]))


def analytics_tab(cfg: Config) -> None:
    """Search reports over the last N days, customers' and support agents' apart, each
    downloadable as CSV (kb.analytics.to_csv neutralises formulas; the CSV keeps the stored
    column names); a message instead when the database cannot be read, and the count of
    analytics failures since the app started."""
    store = common.analytics(cfg)
    days = st.slider(t("ed_days"), 1, 90, 30, key="ed-days")
    roles = {"public": t("ed_role_public"), "agent": t("ed_role_agent")}
    role = st.radio(t("ed_who"), list(roles), format_func=roles.get, horizontal=True, key="ed-who")
    try:
        reports = store.reports(days, role=role)
    except KBError as exc:
        st.error(t("ed_analytics_unreadable", error=exc))
        reports = {}
    _analytics_failures(store)
    if not reports:
        return
    names = [t(f"ed_report_{name}") for name in reports]
    for tab, label, (name, frame) in zip(st.tabs(names), names, reports.items(), strict=True):
        with tab:
            _table(frame)
            st.download_button(
                t("ed_download", name=label),
                to_csv(frame),
                file_name=f"{name.replace(' ', '-')}-{role}.csv",
                mime="text/csv",
                key=f"csv-{name}",
            )


def evaluation_tab(cfg: Config) -> None:
    """Recall, MRR and nDCG of the live public index on the query file (fused, BM25, dense),
    query by query with progress; the query file's problems instead when it is bad."""
    if not st.button(t("ed_evaluate", path=cfg.queries), key="ed-evaluate"):
        return
    searcher = common.searcher(cfg, "public")
    if searcher is None:
        return
    try:
        queries = load_queries(cfg.queries)
    except QueryFileError as exc:
        problems_table(exc.problems)
        return
    if not queries:
        st.warning(t("ed_no_queries", path=cfg.queries))
        return
    show_evaluation(searcher, queries)


def page() -> None:
    """Render the editors' page; locked until the editor secret (or this session's ticket) is
    given."""
    common.page_header(PAGE)
    cfg = common.config()
    if not unlock.gate(EDITOR_SECRET, PAGE):
        return
    names = ["ed_tab_status", "ed_tab_rebuild", "ed_tab_analytics", "ed_tab_evaluation"]
    tabs = st.tabs([t(name) for name in names])
    for tab, render in zip(
        tabs, (status_tab, rebuild_tab, analytics_tab, evaluation_tab), strict=True
    ):
        with tab:
            render(cfg)
