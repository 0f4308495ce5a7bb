"""The synonyms section of the editors' page (read-only): the list the live version searches
with, and the draft in the articles folder with its problems. kb/app/editors.py calls
`synonyms_section(cfg)` where it wants it (a tab or under the rebuild button)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kb.config import Config
from kb.ingest.synonyms import FILE_NAME, Synonyms, parse_synonyms, read_synonyms

from . import common
from .common import t

COLUMNS = ["line", "kind", "terms"]


def synonyms_frame(synonyms: Synonyms) -> pd.DataFrame:
    """One row per rule (`Synonyms.table`): line, kind (multi-way / one-way), terms."""
    return pd.DataFrame(synonyms.table(), columns=COLUMNS)


def draft_status(articles: str) -> tuple[pd.DataFrame, list[str]]:
    """(rules, problems as `path:line: message`) of the articles folder's synonyms.txt: what the
    next build will use, or refuse."""
    text, problems = read_synonyms(articles)
    rules = parse_synonyms(text)[0] if text and not problems else []
    return synonyms_frame(Synonyms(rules)), [str(p) for p in problems]


def synonyms_section(cfg: Config) -> None:
    """Render the live list and the draft's problems; nothing here changes any file."""
    st.subheader(t("sy_title"))
    st.caption(t("sy_help", file=FILE_NAME))
    searcher = common.searcher(cfg, "agent")
    if searcher is not None:
        live = synonyms_frame(searcher.synonyms)
        st.write(t("sy_live", version=searcher.version, n=len(live)))
        if len(live):
            st.dataframe(live, hide_index=True, width="stretch")
    frame, problems = draft_status(str(cfg.articles))
    if problems:
        st.error(t("sy_problems", file=FILE_NAME, n=len(problems)))
        st.code("\n".join(problems), language=None)
    else:
        st.write(t("sy_draft", file=FILE_NAME, n=len(frame)))
