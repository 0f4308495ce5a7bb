"""The editors' page, for the content team behind KB_EDITOR_TOKEN: index status and rollback,
validate and rebuild (the live index keeps serving when a build fails), search analytics with CSV
downloads, and the evaluation of the live index on the query file."""

from __future__ import annotations

import logging
import time

import pandas as pd
import streamlit as st

from kb.analytics import Analytics, to_csv
from kb.build import build_index
from kb.config import EDITOR_SECRET, Config
from kb.errors import (
    BuildLockedError,
    IndexNotFoundError,
    KBError,
    Problem,
    QueryFileError,
    ValidationError,
)
from kb.evaluation import evaluate, load_queries
from kb.index import IndexDescription, describe_index, open_store
from kb.ingest import validate

from . import common, improve
from .strings import EDITOR, IMPROVE

PAGE = "editor"
LOG = logging.getLogger(__name__)
METRICS = ["recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10"]


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """Validation problems as a table: file, line, message."""
    return pd.DataFrame(
        [{"file": p.path, "line": p.line, "message": p.message} for p in problems],
        columns=["file", "line", "message"],
    )


def _table(frame: pd.DataFrame) -> None:
    st.dataframe(frame, hide_index=True, width="stretch")


def _describe(cfg: Config) -> IndexDescription | None:
    """describe_index, or None with the reason on the page: no index yet is a note, anything
    else an error (an unexpected one is also logged with its traceback, never shown)."""
    try:
        return describe_index(cfg.index)
    except IndexNotFoundError as exc:
        st.info(str(exc))
    except KBError as exc:
        st.error(EDITOR["status_failed"].format(error=exc))
    except Exception as exc:  # a bug below must not blank the page: rebuild stays usable
        LOG.exception("describe_index(%s) failed", cfg.index)
        st.error(EDITOR["status_failed"].format(error=f"{type(exc).__name__}: {exc}"))
    return None


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
        "articles (public / all)", f"{counts['public']['articles']} / {counts['all']['articles']}"
    )
    cols[1].metric("sections (all)", counts["all"]["sections"])
    cols[2].metric("chunks (all)", counts["all"]["chunks"])
    rows = {
        "live version": manifest.version,
        "encoder": f"{manifest.encoder['id']} (dim {manifest.encoder['dim']})",
        "built": manifest.created_at,
        "re-encoded / reused in that build": f"{manifest.build['encoded']} / "
        f"{manifest.build['reused']}",
    }
    _table(pd.DataFrame({"": list(rows), "value": list(rows.values())}))
    versions = [
        {
            "version": v.version,
            "built": v.created_at,
            "live": "●" if v.live else "",
            "damaged": v.damaged,
        }
        for v in reversed(description.versions)
    ]
    _table(pd.DataFrame(versions))
    if st.button(EDITOR["rollback"], disabled=len(versions) < 2):
        try:
            old, new = open_store(cfg.index).rollback()
            st.success(EDITOR["rolled_back"].format(old=old, new=new))
            st.rerun()
        except KBError as exc:
            st.error(str(exc))


def _rebuild(cfg: Config) -> None:
    """Build with a progress bar; report what changed, or why the build failed."""
    bar = st.progress(0.0, text=EDITOR["chunking"])

    def progress(done: int, total: int, stage: str) -> None:
        bar.progress(done / max(total, 1), text=EDITOR["encoding"].format(done=done, total=total))

    started = time.perf_counter()
    try:
        report = build_index(cfg.articles, cfg.index, encoder=cfg.encoder, progress=progress)
    except ValidationError as exc:
        bar.empty()
        st.error(EDITOR["build_problems"].format(n=len(exc.problems)))
        _table(problems_frame(exc.problems))
        return
    except (BuildLockedError, KBError) as exc:
        bar.empty()
        st.error(EDITOR["build_failed"].format(error=exc))
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
    st.success(EDITOR["published"] if report.published else EDITOR["unchanged"])
    st.table(pd.DataFrame({"": list(summary), "value": [str(v) for v in summary.values()]}))


def rebuild_tab(cfg: Config) -> None:
    """Validate the articles, or rebuild and publish a new version."""
    if st.button(EDITOR["validate"]):
        problems = validate(cfg.articles)
        if problems:
            st.error(EDITOR["problems"].format(n=len(problems), path=cfg.articles))
            _table(problems_frame(problems))
        else:
            st.success(EDITOR["no_problems"].format(path=cfg.articles))
    # the eval gate (kb/app/improve.py), on by default when there is an eval file
    gate = st.checkbox(IMPROVE["gate"], value=cfg.queries.exists())
    if st.button(EDITOR["rebuild"], type="primary"):
        improve.gated_rebuild(cfg) if gate else _rebuild(cfg)


def _analytics_failures(store: Analytics) -> None:
    """A warning with the count of each kind of analytics failure since the app started."""
    failures = store.failures()
    if failures:
        counts = ", ".join(f"{f.kind} x{f.count}" for f in failures)
        st.warning(EDITOR["analytics_failures"].format(counts=counts))
        _table(pd.DataFrame([vars(f) for f in failures]))


def analytics_tab(cfg: Config) -> None:
    """Search reports over the last N days, customers' and support agents' apart, each
    downloadable as CSV (kb.analytics.to_csv
    neutralises formulas); a message instead when the database cannot be read, and the count of
    analytics failures since the app started."""
    store = common.analytics(cfg)
    days = st.slider(EDITOR["days"], 1, 90, 30)
    roles = EDITOR["roles"]
    role = st.radio(EDITOR["who"], list(roles), format_func=roles.get, horizontal=True)
    try:
        reports = store.reports(days, role=role)
    except KBError as exc:
        st.error(EDITOR["analytics_unreadable"].format(error=exc))
        reports = {}
    _analytics_failures(store)
    if not reports:
        return
    for tab, (name, frame) in zip(st.tabs(list(reports)), reports.items(), strict=True):
        with tab:
            _table(frame)
            st.download_button(
                EDITOR["download"].format(name=name),
                to_csv(frame),
                file_name=f"{name.replace(' ', '-')}-{role}.csv",
                mime="text/csv",
                key=f"csv-{name}",
            )


def evaluation_tab(cfg: Config) -> None:
    """Recall, MRR and nDCG of the live public index on the query file: fused, BM25, dense."""
    if not st.button(EDITOR["evaluate"].format(path=cfg.queries)):
        return
    searcher = common.searcher(cfg, "public")
    if searcher is None:
        return
    try:
        queries = load_queries(cfg.queries)
    except QueryFileError as exc:
        st.dataframe(problems_frame(exc.problems), hide_index=True)
        return
    with st.spinner(EDITOR["evaluating"].format(n=len(queries))):
        result = evaluate(searcher, queries, compare=True)
    metrics = {
        "metric": METRICS,
        "fused": [result[k] for k in METRICS],
        "bm25": [result["bm25"][k] for k in METRICS],
        "dense": [result["dense"][k] for k in METRICS],
    }
    st.dataframe(pd.DataFrame(metrics), hide_index=True)
    st.caption(EDITOR["evaluated"].format(n=result["n"], version=searcher.version))


def page() -> None:
    """Render the editors' page; locked until the editor secret is given."""
    common.page_header(PAGE)
    cfg = common.config()
    if not common.secret_gate(EDITOR_SECRET, "editor_ok"):
        return
    tabs = st.tabs(EDITOR["tabs"])
    for tab, render in zip(
        tabs, (status_tab, rebuild_tab, analytics_tab, evaluation_tab), strict=True
    ):
        with tab:
            render(cfg)
