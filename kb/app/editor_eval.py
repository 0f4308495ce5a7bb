"""The editor page's evaluation tab: the live public index on the query file, one query at a
time, with a progress bar and each query's ranks shown as they arrive (not a spinner for minutes),
then recall@k, MRR@10 and nDCG@10 of fused, BM25 and dense side by side (kb.evaluation.metrics,
the same figures as `python -m kb eval --compare`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pandas as pd
import streamlit as st

from kb.evaluation import Query, metrics, run
from kb.options import Mode

from .common import t

METRICS = ["recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10"]
# column name -> retrieval mode, in the order `kb eval --compare` prints them
MODES = {"fused": Mode.HYBRID, "bm25": Mode.BM25, "dense": Mode.DENSE}


def first_rank(slugs: Sequence[str], relevant: Sequence[str]) -> int | None:
    """The 1-based rank of the first right answer among `slugs` (best first), None if none."""
    return next((i + 1 for i, slug in enumerate(slugs) if slug in relevant), None)


def rankings(searcher, queries: Sequence[Query]) -> Iterator[dict[str, list[str]]]:
    """For each query in order, as soon as it is answered: column name ("fused", "bm25",
    "dense") -> its top-10 slugs (kb.evaluation.run on that one query). Lazy: nothing is searched
    until the caller asks for the next query."""
    for query in queries:
        yield {name: run(searcher, [query], mode)[0] for name, mode in MODES.items()}


def query_row(query: Query, ranked: dict[str, list[str]]) -> dict[str, str]:
    """One line of the per-query table: the query, its right answers and, per mode, the rank of
    the first right answer in the top 10 (t("ed_not_found") when it is not there)."""
    row = {t("ed_query"): query.text, t("ed_relevant"): ", ".join(query.relevant)}
    for name, slugs in ranked.items():
        rank = first_rank(slugs, query.relevant)
        row[t("ed_rank", mode=name)] = str(rank) if rank else t("ed_not_found")
    return row


def show_evaluation(searcher, queries: Sequence[Query]) -> None:
    """Evaluate `searcher` (a kb.retrieval.Searcher) on `queries` (at least one): a progress bar
    counting queries, the per-query table growing as answers arrive, then the metrics table
    (fused, bm25, dense; each figure in 0..1) and a caption with the number of queries and the
    version evaluated."""
    total = len(queries)
    bar = st.progress(0.0, text=t("ed_evaluating", done=0, total=total))
    table = st.empty()
    rows, ranked = [], {name: [] for name in MODES}
    for done, result in enumerate(rankings(searcher, queries), start=1):
        rows.append(query_row(queries[done - 1], result))
        for name, slugs in result.items():
            ranked[name].append(slugs)
        bar.progress(done / total, text=t("ed_evaluating", done=done, total=total))
        table.dataframe(pd.DataFrame(rows), hide_index=True)
    relevant = [q.relevant for q in queries]
    figures = {name: metrics(ranked[name], relevant) for name in MODES}
    frame = {t("ed_metric"): METRICS}
    frame.update({name: [figures[name][k] for k in METRICS] for name in MODES})
    st.dataframe(pd.DataFrame(frame), hide_index=True)
    st.caption(t("ed_evaluated", n=total, version=searcher.version))
