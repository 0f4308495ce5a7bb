"""Hostile and degenerate queries: each answers safely with bounded work."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


@pytest.mark.parametrize("gap", [" " * 5_000, "\n" * 3_000, " \t\r\n" * 1_000, "\u3000" * 2_000])
def test_a_paste_padded_with_whitespace_keeps_the_words_after_the_gap(public, gap):
    query = f"提现{gap}手续费"
    assert public.prepare(query) == "提现 手续费"
    assert public.search(query, top_k=1)[0].slug == "withdrawal-fees"
    # still bounded: past the slack only both ends are read, and both are kept
    assert public.prepare("提现" + " " * 100_000 + "手续费") == "提现 手续费"


# any code point, lone surrogates and noncharacters included (item 4)
ANY_TEXT = st.text(
    st.one_of(
        st.characters(exclude_categories=()),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
        st.sampled_from(["\ufffe", "\uffff", "\ufdd0", "\U0010ffff", "密", "码", "忘", "记"]),
    ),
    max_size=80,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=ANY_TEXT, top_k=st.integers(1, 10))
def test_any_code_points_answer_safely(public, query, top_k):
    answers = public.search(query, top_k=top_k)
    assert len(answers) <= top_k
    for answer in answers:
        assert answer.visibility == "public"
        answer.snippet.encode("utf-8")  # nothing unencodable reaches an answer
        assert all(0 <= s < e <= len(answer.snippet_text) for s, e in answer.highlights)


def test_lone_surrogate_query_finds_what_the_clean_query_finds(public):
    clean = [a.slug for a in public.search("忘记密码", top_k=3)]
    assert [a.slug for a in public.search("\udfff忘记\ud800密码\ufffe", top_k=3)] == clean


def test_query_cap_applies_before_any_other_step(public, monkeypatch):
    """Every text function a search calls sees at most max_query_chars characters."""
    import kb.retrieval.searcher as searcher_module

    seen: list[int] = []
    for name in ("valid_text", "normalise", "query_terms"):
        real = getattr(searcher_module, name)
        monkeypatch.setattr(
            searcher_module, name, lambda text, _real=real: seen.append(len(text)) or _real(text)
        )
    long_query = "忘记密码\ud800" + "[a](" * 50_000
    public.search(long_query, top_k=3)
    public.answers([], long_query, top_k=3)
    assert len(seen) >= 4 and max(seen) <= SearchSettings().max_query_chars
