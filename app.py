"""Streamlit entry point of the help center: customers, support agents and content editors.

    streamlit run app.py

The router only: page config, CSS, the interface-language selector and `st.navigation` with one
page per module of kb/app/ (help center, agent desk, editors, improve content). URLs: `/` is the
help center (`?q=` prefills the search, `?article=<slug>` opens an article); `?page=agent`,
`?page=editor` and `?page=improve` open the other pages, which also live at /agent, /editor and
/improve. Configuration is read by kb.config (KB_INDEX, KB_ENCODER, KB_MIN_SCORE,
KB_AGENT_TOKEN, ... see its docstring).
"""

from __future__ import annotations

import logging

import streamlit as st

from kb.app import agent_desk, editors, help_center, improve
from kb.app.common import language_selector
from kb.app.strings import PAGE_LABELS
from kb.render import CSS

PAGES = {
    "customer": help_center.page,
    "agent": agent_desk.page,
    "editor": editors.page,
    "improve": improve.page,  # editors: attach queries, content gaps, preview (kb/app/improve.py)
}

st.set_page_config(page_title="OKPay Help Center", page_icon="🔎", layout="centered")
logging.getLogger("bm25s").setLevel(logging.WARNING)
st.html(CSS)
pages = {
    name: st.Page(render, title=PAGE_LABELS[name], url_path=name, default=name == "customer")
    for name, render in PAGES.items()
}
current = st.navigation(list(pages.values()))
with st.sidebar:
    language_selector()
requested = st.query_params.get("page", "customer")
if current is pages["customer"] and requested in pages and requested != "customer":
    # `?page=agent` on the root URL: open that page (at /agent), keeping the query (?article=...)
    st.switch_page(pages[requested], query_params=st.query_params.to_dict())
current.run()
