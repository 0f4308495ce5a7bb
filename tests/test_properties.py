"""Property-based: random text in articles and queries never raises anything but the documented
validation errors, and the public role never gets an internal article."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb import ValidationError, build_index, load_searcher
from kb.testing import TINY, write_articles

# any Unicode, including control, zero-width, surrogate-free astral and right-to-left characters
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)


@pytest.fixture(scope="module")
def searchers():
    work = Path(tempfile.mkdtemp())
    articles = write_articles(work / "articles", TINY)
    build_index(articles, work / "index", encoder="hash:64")
    yield {
        role: load_searcher(work / "index", role, encoder="hash:64") for role in ("public", "agent")
    }
    shutil.rmtree(work, ignore_errors=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=TEXT, top_k=st.integers(1, 20))
def test_random_queries_are_safe_for_both_roles(searchers, query, top_k):
    public = searchers["public"].search(query, top_k=top_k)
    assert len(public) <= top_k
    assert all(a.visibility == "public" and a.slug != "agent-refund-approval" for a in public)
    assert all(not any(a.snippet_text[s:e] == "" for s, e in a.highlights) for a in public)
    searchers["agent"].search(query, top_k=top_k)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(title=TEXT, body=TEXT, query=TEXT, internal=st.booleans(), raw=st.binary(max_size=200))
def test_random_articles_build_or_fail_with_validation_errors_only(
    title, body, query, internal, raw
):
    work = Path(tempfile.mkdtemp())
    try:
        articles = write_articles(
            work / "articles", {"base.md": TINY["account/forgot-password.md"]}
        )
        visibility = "internal" if internal else "public"
        (articles / "random.md").write_text(
            f"---\ntitle: {title!r}\nvisibility: {visibility}\n---\n{body}\n",
            encoding="utf-8",
            errors="surrogatepass",
        )
        (articles / "raw.md").write_bytes(raw)
        try:
            build_index(articles, work / "index", encoder="hash:64")
        except ValidationError as exc:
            assert exc.problems and all(p.path.startswith("articles/") for p in exc.problems)
            return
        public = load_searcher(work / "index", "public", encoder="hash:64")
        for text in (query, title, body):
            answers = public.search(text, top_k=10)
            assert all(a.visibility == "public" for a in answers)
            if internal:
                assert "random" not in {a.slug for a in answers}
    finally:
        shutil.rmtree(work, ignore_errors=True)
