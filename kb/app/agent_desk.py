"""The agent desk, for support agents behind KB_AGENT_TOKEN: search every article, internal ones
marked with a badge, with a copy box per answer for the ticket (kb/app/copy_box.py), and read one
(`?article=`). Once unlocked it stays unlocked for the browser session (kb/app/unlock.py), also
across the full page loads of opening an article and going back."""

from __future__ import annotations

import streamlit as st

from kb.config import AGENT_SECRET

from . import common, unlock
from .views import article_view, search_view

PAGE = "agent"


def page() -> None:
    """Render the agent desk; locked until the agent secret (or this session's ticket) is given."""
    common.page_header(PAGE)
    cfg = common.config()
    if not unlock.gate(AGENT_SECRET, PAGE):
        return
    slug = st.query_params.get("article")
    if slug:
        article_view(cfg, slug, role="agent", page=PAGE)
    else:
        search_view(cfg, role="agent", page=PAGE, copyable=True)
