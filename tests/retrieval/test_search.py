"""Searching the tiny corpus: right answers, grouping, snippets, links, roles, filters."""

from __future__ import annotations

import pytest

from kb import Mode, SearchSettings, UnknownFilterError, load_searcher
from kb.options import Coverage


@pytest.fixture
def public(built):
    _, index_dir, encoder = built
    return load_searcher(index_dir, "public", encoder=encoder)


@pytest.fixture
def agent(built):
    _, index_dir, encoder = built
    return load_searcher(index_dir, "agent", encoder=encoder)


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("忘记密码怎么办", "forgot-password"),
        ("忘記密碼", "forgot-password"),  # Traditional characters
        ("提现多久到账", "withdrawal-time"),
        ("提现手续费多少", "withdrawal-fees"),
        ("card declined", "payment-failed-en"),
        ("ＣＡＲＤ　ＤＥＣＬＩＮＥＤ", "payment-failed-en"),  # full-width
        ("怎么联系客服", "contact-support"),
    ],
)
def test_obvious_questions_find_the_obvious_article(public, query, slug):
    assert public.search(query, top_k=3)[0].slug == slug


@pytest.mark.parametrize("mode", list(Mode))
def test_every_mode_answers(public, mode):
    answers = public.search("忘记密码", top_k=3, mode=mode)
    assert answers and answers[0].slug == "forgot-password"


def test_one_answer_per_article_with_best_section_link_and_marked_snippet(public):
    answers = public.search("收不到重置邮件", top_k=5)
    slugs = [a.slug for a in answers]
    assert len(slugs) == len(set(slugs))
    top = answers[0]
    assert top.slug == "forgot-password"
    assert top.section == "收不到邮件"
    assert top.anchor == "收不到邮件"
    assert top.url == "https://help.example.com/a/forgot-password#收不到邮件"
    assert "**邮件**" in top.snippet
    assert top.snippet.replace("**", "") == top.snippet_text
    assert all(top.snippet_text[s:e] for s, e in top.highlights)
    assert (top.category, top.language, top.visibility) == ("account", "zh", "public")


def test_article_without_url_links_to_the_app_article_view(public):
    top = public.search("提现手续费", top_k=1)[0]
    assert top.url == "?article=withdrawal-fees#top"


def test_public_role_never_sees_internal_articles(public):
    for query in [
        "退款审批权限",
        "ZEBRA-42 风控编号",
        "【内部】退款审批权限",
        "一线客服可直接批准 500 元以下的退款",
    ]:
        for mode in Mode:
            answers = public.search(query, top_k=10, mode=mode)
            assert all(a.visibility == "public" for a in answers)
            assert not any("ZEBRA" in a.snippet or "内部" in a.title for a in answers)
    assert public.article("agent-refund-approval") is None
    assert "internal" not in public.categories()


def test_agent_role_sees_internal_articles(agent):
    top = agent.search("ZEBRA-42 退款审批", top_k=3)[0]
    assert top.slug == "agent-refund-approval"
    assert top.visibility == "internal"
    assert agent.article("agent-refund-approval").title == "【内部】退款审批权限"


def test_filters_by_category_and_language(public):
    answers = public.search("提现", top_k=10, category="withdrawals")
    assert answers and {a.category for a in answers} == {"withdrawals"}
    english = public.search("提现 card", top_k=10, language="en")
    assert [a.slug for a in english] == ["payment-failed-en"]
    with pytest.raises(UnknownFilterError):  # issue 17 item 9: an error, not "no results"
        public.search("提现", category="no-such-category")


@pytest.mark.parametrize("query", ["", "   ", "\n\t", None])
def test_empty_queries_return_nothing(public, query):
    assert public.search(query) == []


def test_long_query_is_truncated_not_refused(public):
    answers = public.search("忘记密码" + "啊" * 100_000, top_k=3)
    assert answers[0].slug == "forgot-password"


def test_punctuation_only_query_is_safe(public):
    assert isinstance(public.search("？？？！！！", top_k=3), list)


def test_bad_arguments_are_refused(public):
    with pytest.raises(ValueError, match=r"top_k \(0\) must be at least 1"):
        public.search("x", top_k=0)
    with pytest.raises(ValueError, match="unknown mode 'fast'; use one of: hybrid, bm25, dense"):
        public.search("x", mode="fast")
    with pytest.raises(ValueError, match="unknown role 'admin'"):
        load_searcher("index", role="admin")
    with pytest.raises(ValueError, match=r"rrf_k \(0\) must be >= 1"):
        SearchSettings(rrf_k=0)
    with pytest.raises(
        ValueError, match="unknown coverage 'some'; use one of: known, matched, off"
    ):
        SearchSettings(coverage="some")


def test_known_coverage_leans_on_dense_for_a_language_the_articles_lack(public):
    keyword = public.keyword
    rows = [h.row for h in keyword.search("提现 手续费", 5)]
    assert set(keyword.coverage("提现 手续费", rows, Coverage.KNOWN).values()) == {1.0}
    unknown = keyword.coverage("提现 zorbluxqe", rows, Coverage.KNOWN)
    assert len(set(unknown.values())) == 1 and 0 < next(iter(unknown.values())) < 1
    assert keyword.coverage("提现", rows, Coverage.OFF) is None


def test_related_articles_exclude_self_and_internal(public):
    related = [a.slug for a in public.related("withdrawal-time", top_k=3)]
    assert "withdrawal-time" not in related
    assert "agent-refund-approval" not in related
    assert len(related) == 3
    assert public.related("no-such-slug") == []


def test_article_view_has_sections_in_order(public):
    article = public.article("forgot-password")
    assert [s.anchor for s in article.sections] == ["top", "重置密码的步骤", "收不到邮件"]
    assert article.link("收不到邮件").endswith("#收不到邮件")


def test_dense_hits_equal_brute_force_over_chunk_and_title_vectors(public):
    """Each chunk's score is the best of its own vector and its article's title vector."""
    import numpy as np

    from kb.embed.language import project_out

    index = public.index
    vectors = index.vectors.reconstruct_all()
    for query in ["忘记密码", "提现多久到账", "card declined", "联系客服"]:
        q = project_out(
            public.encoder.encode_queries([public.prepare(query)])[0], index.language_direction
        )
        best: dict[int, float] = {}
        for row, score in enumerate(vectors @ q):
            chunk = int(index.vector_targets[row])
            best[chunk] = max(best.get(chunk, -np.inf), float(score))
        expected = sorted(best, key=lambda c: -best[c])[:3]
        got = [h.row for h in public.dense.search(public.prepare(query), 3)]
        assert got == expected
