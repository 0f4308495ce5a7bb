"""The agent desk, for support agents behind KB_AGENT_TOKEN: search every article, internal ones
marked with a badge, with a copy box per answer for the ticket, and read one (`?article=`)."""

from __future__ import annotations

import streamlit as st

from kb.config import AGENT_SECRET

from . import common
from .views import article_view, search_view

PAGE = "agent"


def page() -> None:
    """Render the agent desk; locked until the agent secret is given."""
    common.page_header(PAGE)
    cfg = common.config()
    if not common.secret_gate(AGENT_SECRET, "agent_ok"):
        return
    slug = st.query_params.get("article")
    if slug:
        article_view(cfg, slug, role="agent", page=PAGE)
    else:
        search_view(cfg, role="agent", page=PAGE, copyable=True)
