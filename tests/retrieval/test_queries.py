"""Hostile and degenerate queries: each answers safely with bounded work."""

from __future__ import annotations

import pytest

from kb import load_searcher
from kb.options import SearchSettings
from kb.testing import TINY, write_articles
from kb.testing.corpora import QUERIES


@pytest.fixture(scope="module")
def public(tmp_path_factory):
    from kb import build_index

    work = tmp_path_factory.mktemp("q")
    articles = write_articles(work / "articles", TINY)
    build_index(articles, work / "index", encoder="hash:64")
    return load_searcher(work / "index", "public", encoder="hash:64")


@pytest.mark.parametrize("name", list(QUERIES))
def test_hostile_queries_answer_safely(public, name):
    query = QUERIES[name]
    prepared = public.prepare(query)
    assert len(prepared) <= SearchSettings().max_query_chars  # bounded work, whatever comes in
    answers = public.search(query, top_k=5)
    assert isinstance(answers, list) and len(answers) <= 5
    assert all(a.visibility == "public" for a in answers)
    for answer in answers:
        assert all(0 <= s < e <= len(answer.snippet_text) for s, e in answer.highlights)


def test_query_limit_is_documented_and_applied(public):
    long_query = "忘记密码" + "无关的字" * 10_000
    assert len(public.prepare(long_query)) == SearchSettings().max_query_chars
    assert public.search(long_query, top_k=1)[0].slug == "forgot-password"
