"""The help center page, for customers: search the public articles (`?q=` prefills the box) and
read one (`?article=<slug>`). Everything comes from the public searcher, which holds no internal
data, so an internal slug in the URL shows "not found"."""

from __future__ import annotations

import streamlit as st

from . import common
from .views import article_view, search_view

PAGE = "customer"


def page() -> None:
    """Render the help center."""
    common.page_header(PAGE)
    cfg = common.config()
    slug = st.query_params.get("article")
    if slug:
        article_view(cfg, slug, role="public", page=PAGE)
    else:
        search_view(cfg, role="public", page=PAGE)
