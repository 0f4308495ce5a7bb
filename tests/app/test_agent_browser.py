"""The agent desk in a real browser (Debian's Chromium via playwright, `streamlit run` over the tiny
corpus with the fake encoder): unlocked once, it stays unlocked through the full page loads of
opening an article, going back and reloading; a forged ticket or a wrong token still opens nothing.

Opt-in like the other browser tests: KB_TEST_BROWSER=1."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.testing.browser import CHROMIUM, chromium_page, streamlit_app

pytestmark = pytest.mark.browser
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not installed", allow_module_level=True)

TOKEN = "browser-test-token"
PASSWORD = "input[type='password']"
SEARCH = "[data-testid='stTextInput'] input[type='text']"


@pytest.fixture
def app_url(env):
    with streamlit_app({**env, "KB_AGENT_TOKEN": TOKEN, "KB_APP_URL": ""}) as url:
        yield url


def unlock(page, token: str = TOKEN) -> None:
    page.locator(PASSWORD).fill(token)
    page.locator(PASSWORD).press("Enter")


def wait_unlocked(page) -> None:
    """The search box (or an article) is shown and no token is asked for."""
    page.locator(f"{SEARCH}, .kb-article").first.wait_for(timeout=30_000)
    page.wait_for_timeout(800)
    assert page.locator(PASSWORD).count() == 0


def test_an_unlocked_agent_is_not_asked_again_after_clicks_and_reloads(app_url):
    with chromium_page() as page:
        page.goto(app_url + "/agent")
        unlock(page)
        wait_unlocked(page)
        box = page.locator(SEARCH).first
        box.fill("ZEBRA-42 退款审批")
        box.press("Enter")
        page.locator(".kb-card").first.wait_for(timeout=30_000)
        page.wait_for_timeout(1500)  # the ticket cookie is written by the page
        page.locator(".kb-card h4 a").first.click()  # a full page load: a new Streamlit session
        page.locator(".kb-article").wait_for(timeout=30_000)
        wait_unlocked(page)
        assert "ZEBRA-42" in page.locator(".kb-article").inner_text()
        page.get_by_text("返回搜索").click()  # back to the search: another page load
        wait_unlocked(page)
        page.reload()
        wait_unlocked(page)
        page.get_by_role("button", name="锁定此页").click()
        page.locator(PASSWORD).wait_for(timeout=30_000)
        page.reload()  # locked stays locked: the cookie is gone
        page.locator(PASSWORD).wait_for(timeout=30_000)


def test_a_forged_ticket_or_a_wrong_token_opens_nothing(app_url):
    with chromium_page() as page:
        host = app_url.split("//", 1)[1].split(":")[0]
        forged = "9999999999." + "0" * 64
        page.context.add_cookies(
            [{"name": "kb_unlock_agent", "value": forged, "domain": host, "path": "/"}]
        )
        page.goto(app_url + "/agent?article=agent-refund-approval&page=agent")
        page.locator(PASSWORD).wait_for(timeout=30_000)
        assert "ZEBRA" not in page.locator("body").inner_text()
        unlock(page, "not-the-token")
        page.get_by_text("口令不正确").wait_for(timeout=30_000)
        assert "ZEBRA" not in page.locator("body").inner_text()
