"""The Streamlit app on a database (issue 16 part 2): `streamlit run app.py` with KB_INDEX and
KB_ANALYTICS_DB set to a postgresql:// URL of the test primary, the bundled sample articles built
into it with the fake encoder, driven in Debian's Chromium. A customer gets public answers and never
an internal article; an agent (token) gets the internal one; the searches are logged in the
database. Opt-in like the other browser tests (KB_TEST_BROWSER=1), and it needs the PostgreSQL
binaries (tests/postgres/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb import build_index
from kb.testing.browser import CHROMIUM, chromium_page, search, streamlit_app

pytestmark = pytest.mark.browser
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not installed", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "pg-browser-token"
SEARCH = "[data-testid='stTextInput'] input[type='text']"
INTERNAL = "【内部】"  # every internal sample article's title starts so (articles/internal)
# (question, a public article title its answers must show); internal questions of several kinds:
# the internal article's own tag, its title words, an English paraphrase of its topic
PUBLIC = [("提现手续费", "提现手续费是多少"), ("提现失败 被退回", "提现失败或被退回怎么办")]
INTERNAL_QUESTIONS = ["退款审批权限", "账户冻结 处置 内部流程", "refund approval limit"]


@pytest.fixture
def app_on_db(pg_url, tmp_path):
    """The app's URL, serving the sample built into a fresh database (analytics there too)."""
    build_index(ROOT / "articles", pg_url, encoder="hash:64")
    env = {
        "KB_INDEX": pg_url,
        "KB_ANALYTICS_DB": pg_url,
        "KB_ARTICLES": str(ROOT / "articles"),
        "KB_ENCODER": "hash:64",
        "KB_MIN_SCORE": "0.0",
        "KB_QUERIES": str(tmp_path / "queries.jsonl"),
        "KB_AGENT_TOKEN": TOKEN,
        "KB_EDITOR_TOKEN": "",
        "KB_APP_URL": "",
    }
    with streamlit_app(env) as url:
        yield url, pg_url


def cards(page) -> str:
    """The text of every answer card on the page."""
    return "\n".join(page.locator(".kb-card").all_inner_texts())


def test_customer_and_agent_search_an_index_in_postgres(app_on_db):
    import psycopg

    url, database = app_on_db
    with chromium_page() as page:
        for question, title in PUBLIC:
            search(page, url, question)
            assert title in cards(page), question
        for question in INTERNAL_QUESTIONS:
            search(page, url, question)
            assert INTERNAL not in page.locator("body").inner_text(), question
        page.goto(url + "/agent")
        page.locator("input[type='password']").fill(TOKEN)
        page.locator("input[type='password']").press("Enter")
        box = page.locator(SEARCH).first
        box.wait_for(timeout=30_000)
        box.fill(INTERNAL_QUESTIONS[0])
        box.press("Enter")
        page.locator(".kb-card").first.wait_for(timeout=30_000)
        page.wait_for_timeout(500)
        assert "【内部】退款审批权限与规则" in cards(page)
    with psycopg.connect(database) as conn:
        logged = conn.execute("SELECT query, role FROM kb_analytics.searches").fetchall()
    asked = [q for q, _ in PUBLIC] + INTERNAL_QUESTIONS
    assert {q for q, role in logged if role == "public"} >= set(asked)
    assert (INTERNAL_QUESTIONS[0], "agent") in logged  # the desk logs its role so
