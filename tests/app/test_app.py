"""The Streamlit app through streamlit.testing.v1.AppTest, with the fake encoder and tiny corpus."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from streamlit.testing.v1 import AppTest

from kb import build_index
from kb.analytics import Analytics
from kb.render import scroll_script_html

APP = str(Path(__file__).resolve().parent.parent.parent / "app.py")
TOKEN = "s3cret-for-tests"


def run_app(page: str = "customer", query_params: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["page"] = page
    for key, value in (query_params or {}).items():
        at.query_params[key] = value
    return at.run()


def html_of(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.html)


def cards(at: AppTest) -> list[str]:
    return [h.proto.body for h in at.html if 'class="kb-card"' in h.proto.body]


def everything(at: AppTest) -> str:
    """All text the page sends: HTML, markdown, captions, alerts, code, widget labels."""
    parts = [html_of(at)]
    for kind in ("markdown", "caption", "warning", "error", "info", "success", "code", "title"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def search(at: AppTest, query: str, role: str = "public") -> AppTest:
    at.text_input(key=f"q-{role}").input(query).run()
    assert not at.exception, at.exception
    return at


def test_customer_search_shows_answer_cards_best_first(env):
    at = search(run_app(), "忘记密码怎么办")
    found = cards(at)
    assert found and 'data-slug="forgot-password"' in found[0]
    assert "<mark>" in found[0]
    assert 'href="https://help.example.com/a/forgot-password#' in found[0]
    assert "?article=forgot-password" in found[0]
    assert len(at.feedback) == len(found)


def test_empty_query_does_nothing(env):
    at = run_app()
    for query in ["", "   "]:
        search(at, query)
        assert cards(at) == []
        assert "kb-nomatch" not in html_of(at)
    assert Analytics(env["KB_ANALYTICS_DB"]).top_queries().empty


def test_no_good_match_points_to_contact_support(env):
    at = search(run_app(), "qwxz vbnm plk")
    body = html_of(at)
    assert "kb-nomatch" in body
    assert '<a href="?article=contact-support-channels"' in body
    with sqlite3.connect(env["KB_ANALYTICS_DB"]) as db:
        assert db.execute("SELECT good_match FROM searches").fetchall() == [(0,)]


def test_filters_limit_results(env):
    at = run_app()
    at.selectbox(key="cat-public").select("withdrawals").run()
    search(at, "提现")
    found = cards(at)
    assert found
    assert all("withdrawals" in card for card in found)
    at.selectbox(key="lang-public").select("en").run()
    assert all('data-slug="payment-failed-en"' in c for c in cards(at)) or not cards(at)


def test_feedback_is_recorded_with_the_query(env):
    at = search(run_app(), "提现多久到账")
    at.feedback[0].set_value(0).run()
    with sqlite3.connect(env["KB_ANALYTICS_DB"]) as db:
        rows = db.execute("SELECT query, slug, helpful, role FROM feedback").fetchall()
    assert rows == [("提现多久到账", "withdrawal-time", 0, "public")]


def test_article_view_with_sections_and_related(env):
    at = run_app(query_params={"article": "forgot-password"})
    body = html_of(at)
    assert 'id="重置密码的步骤"' in body and 'id="收不到邮件"' in body
    assert "忘记登录密码怎么办" in body
    related = [b for b in at.button if b.key.startswith("related-")]
    assert related and all(b.label != "忘记登录密码怎么办" for b in related)


def test_public_article_view_refuses_internal_articles(env):
    at = run_app(query_params={"article": "agent-refund-approval"})
    assert "ZEBRA" not in everything(at)
    assert at.warning


def test_public_page_never_receives_internal_text(env):
    at = run_app()
    for query in [
        "ZEBRA-42 退款审批",
        "【内部】退款审批权限",
        "一线客服可直接批准 500 元以下的退款",
    ]:
        search(at, query)
        # the customer's own question rides in the title links (q=...): not internal text
        text = re.sub(r"(\?|&amp;|&)q=[^\"'#&]*", "", everything(at))
        assert "ZEBRA" not in text and "【内部】" not in text and 'class="kb-badge"' not in text
    assert "internal" not in [o for o in at.selectbox(key="cat-public").options]


def test_hostile_article_and_query_are_escaped(env):
    query = "提现 <script>alert('q')</script> [x](javascript:alert(3)) <img src=y onerror=alert(4)>"
    at = search(run_app(), query)
    body = html_of(at)
    assert 'data-slug="xss"' in body
    # the page's own scroll script (kb.render.scroll_script_html) is the one script allowed
    article = html_of(run_app(query_params={"article": "xss"})).replace(scroll_script_html(), "")
    for rendered in (body, article):
        lowered = rendered.lower()
        assert "<script" not in lowered
        assert "<img" not in lowered
        assert not re.search(r"<[^>]*\son\w+\s*=", lowered)  # no event handler in any real tag
        assert not re.search(r"href\s*=\s*[\"']?\s*javascript:", lowered)
    assert "&lt;script&gt;" in body  # shown as text, not executed
    assert "&lt;img src=x onerror=" in article


def test_agent_page_without_secret_says_how_to_configure_and_shows_nothing(env):
    at = run_app("agent")
    assert any("KB_AGENT_TOKEN" in w.value for w in at.warning)
    assert not at.text_input
    assert "ZEBRA" not in everything(at)


def test_agent_page_locked_then_unlocked(env, monkeypatch):
    monkeypatch.setenv("KB_AGENT_TOKEN", TOKEN)
    at = run_app("agent")
    assert not cards(at)
    at.text_input(key="agent_ok-input").input("wrong")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["口令不正确。"]
    assert not cards(at)
    at.text_input(key="agent_ok-input").input(TOKEN)
    at.button[0].click().run()
    search(at, "ZEBRA-42 退款审批", role="agent")
    found = cards(at)
    assert 'data-slug="agent-refund-approval"' in found[0]
    assert 'class="kb-badge"' in found[0]
    assert any("help.example.com" in c.value or "?article=" in c.value for c in at.code)


def unlock_editor(monkeypatch, language: str = "en") -> AppTest:
    """The editor page unlocked, in the interface `language` ("zh" or "en")."""
    monkeypatch.setenv("KB_EDITOR_TOKEN", TOKEN)
    at = run_app("editor")
    at.selectbox(key="ui_lang").select(language).run()
    at.text_input(key="editor_ok-input").input(TOKEN)
    at.button[0].click().run()
    assert not at.exception
    return at


def test_interface_follows_the_language_of_the_question(env):
    at = search(run_app(), "card declined")
    assert at.title[0].value == "OKPay Help Center"
    assert at.text_input(key="q-public").label == "How can we help?"
    search(at, "忘记密码")
    assert at.title[0].value == "OKPay 帮助中心"


def test_query_parameter_prefills_the_customer_search(env):
    at = run_app(query_params={"q": "忘记密码怎么办"})
    assert at.text_input(key="q-public").value == "忘记密码怎么办"
    assert 'data-slug="forgot-password"' in cards(at)[0]


def test_page_parameter_opens_that_page_and_the_article_view_keeps_it(env, monkeypatch):
    monkeypatch.setenv("KB_AGENT_TOKEN", TOKEN)
    at = run_app("agent", {"article": "agent-refund-approval"})
    assert at.title[0].value.endswith("客服工作台")
    at.text_input(key="agent_ok-input").input(TOKEN)
    at.button[0].click().run()
    body = html_of(at)
    assert "ZEBRA" in body and 'class="kb-badge"' in body
    at.button(key="back").click().run()  # back to the agent desk's search, in the session
    assert "article" not in at.query_params and at.text_input(key="q-agent") is not None


def test_bad_configuration_is_a_message_not_a_traceback(env, monkeypatch):
    monkeypatch.setenv("KB_MIN_SCORE", "2")
    for page in ("customer", "agent", "editor"):
        at = run_app(page)
        assert not at.exception, at.exception
        assert any("KB_MIN_SCORE" in e.value for e in at.error)
        assert not at.text_input and not cards(at)


def test_customer_page_follows_a_rebuild_without_restart(env):
    at = search(run_app(), "提现手续费")
    assert "1%" in re.sub(r"<[^>]+>", "", cards(at)[0])
    path = Path(env["KB_ARTICLES"]) / "withdrawals" / "withdrawal-fees.md"
    path.write_text(path.read_text(encoding="utf-8").replace("1%", "3%"), encoding="utf-8")
    build_index(env["KB_ARTICLES"], env["KB_INDEX"], encoder="hash:64")
    at.run()
    assert "3%" in re.sub(r"<[^>]+>", "", cards(at)[0])


def test_public_page_without_an_index_names_no_server_path(env, monkeypatch, tmp_path):
    missing = tmp_path / "secret-server-folder" / "index"
    monkeypatch.setenv("KB_INDEX", str(missing))
    at = run_app()
    shown = everything(at)
    assert "python -m kb build" in shown  # says why and what to do
    assert "secret-server-folder" not in shown and not at.exception
