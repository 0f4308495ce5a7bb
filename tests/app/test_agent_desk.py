"""The agent desk through AppTest (fake encoder, tiny corpus): the unlock remembered for the
browser session by a signed ticket (and refused in every other case), and the copy box: the whole
section, an absolute link, wrapped lines, internal articles only as a note for colleagues."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kb import build_index
from kb.access import issue_ticket, ticket_valid
from kb.app import unlock
from kb.app.strings import TEXT
from kb.testing import write_articles
from tests.app.test_app import TOKEN, cards, html_of, run_app, search

ZH = TEXT["zh"]
NOW = 1_800_000_000.0

# ------------------------------------------------------------------------------ tickets


def test_a_ticket_opens_only_its_page_with_the_secret_it_was_signed_with():
    ticket = issue_ticket("s3cret", "agent", NOW)
    assert ticket_valid(ticket, "s3cret", "agent", NOW + 60)
    assert not ticket_valid(ticket, "s3cret", "editor", NOW)  # another page
    assert not ticket_valid(ticket, "changed", "agent", NOW)  # the secret was changed
    assert not ticket_valid(ticket, None, "agent", NOW)  # no secret configured
    assert not ticket_valid(ticket, "s3cret", "agent", NOW + 13 * 3600)  # expired
    expires, mac = ticket.split(".")
    later = str(int(expires) + 10**6)
    assert not ticket_valid(f"{later}.{mac}", "s3cret", "agent", NOW)  # expiry moved
    assert not ticket_valid(f"{expires}.{mac[:-1]}0", "s3cret", "agent", NOW)
    assert "s3cret" not in ticket


@pytest.mark.parametrize(
    "bad", [None, "", ".", "abc", "1.2.3", "-5.ab", "１２３.ab", "9" * 40 + ".ab", "12.é"]
)
def test_malformed_tickets_are_refused(bad):
    assert not ticket_valid(bad, "s3cret", "agent", NOW)


def test_no_ticket_without_a_secret():
    with pytest.raises(ValueError):
        issue_ticket("", "agent", NOW)


# ------------------------------------------------------------------- unlock for the session


def with_cookie(monkeypatch, value: str | None) -> None:
    """The browser sends `value` as the agent page's cookie (AppTest has no browser)."""
    monkeypatch.setattr(
        unlock, "browser_cookie", lambda name: value if name == "kb_unlock_agent" else None
    )


def locked(at: AppTest) -> bool:
    return bool(at.text_input) and any(t.key == "agent_ok-input" for t in at.text_input)


def test_unlocking_sets_a_session_cookie_with_a_valid_ticket(env, monkeypatch):
    monkeypatch.setenv("KB_AGENT_TOKEN", TOKEN)
    at = run_app("agent")
    assert "kb_unlock_agent" not in html_of(at)
    at.text_input(key="agent_ok-input").input(TOKEN)
    at.button[0].click().run()
    (script,) = [h for h in at.html if "kb_unlock_agent=" in h.proto.body]
    assert script.proto.unsafe_allow_javascript
    ticket = re.search(r"kb_unlock_agent=([^;]+);", script.proto.body).group(1)
    assert ticket_valid(ticket, TOKEN, "agent", time.time())
    assert "SameSite=Strict" in script.proto.body and TOKEN not in script.proto.body
    assert "Max-Age" not in script.proto.body and "Expires" not in script.proto.body  # session


@pytest.mark.parametrize("query_params", [{}, {"article": "agent-refund-approval"}])
def test_a_new_page_load_with_the_ticket_opens_without_asking(env, monkeypatch, query_params):
    monkeypatch.setenv("KB_AGENT_TOKEN", TOKEN)
    with_cookie(monkeypatch, issue_ticket(TOKEN, "agent", time.time()))
    at = run_app("agent", query_params)
    assert not locked(at) and not at.exception
    if query_params:
        assert "ZEBRA-42" in html_of(at)
    else:
        assert 'data-slug="agent-refund-approval"' in cards(search(at, "退款审批", "agent"))[0]


@pytest.mark.parametrize(
    "ticket",
    [
        issue_ticket("an-old-token", "agent", time.time()),
        issue_ticket(TOKEN, "editor", time.time()),
        issue_ticket(TOKEN, "agent", time.time() - 13 * 3600),
        "garbage",
    ],
    ids=["old-secret", "editor-ticket", "expired", "garbage"],
)
def test_any_other_ticket_leaves_the_page_locked(env, monkeypatch, ticket):
    monkeypatch.setenv("KB_AGENT_TOKEN", TOKEN)
    with_cookie(monkeypatch, ticket)
    at = run_app("agent", {"article": "agent-refund-approval"})
    assert locked(at) and "ZEBRA" not in html_of(at)
    at.text_input(key="agent_ok-input").input("wrong")
    at.button[0].click().run()
    assert [e.value for e in at.error] == [ZH["wrong"]]
    assert locked(at) and "ZEBRA" not in html_of(at)


def test_a_ticket_does_not_open_a_page_whose_secret_is_unset(env, monkeypatch):
    with_cookie(monkeypatch, issue_ticket(TOKEN, "agent", time.time()))
    at = run_app("agent")
    assert any("KB_AGENT_TOKEN" in w.value for w in at.warning)
    assert not at.text_input and "ZEBRA" not in html_of(at)


def test_lock_this_page_forgets_the_unlock(env, monkeypatch):
    monkeypatch.setenv("KB_AGENT_TOKEN", TOKEN)
    with_cookie(monkeypatch, issue_ticket(TOKEN, "agent", time.time()))
    at = run_app("agent")
    at.button(key="agent-lock").click().run()
    assert locked(at)
    assert any("kb_unlock_agent=;" in h.proto.body and "Max-Age=0" in h.proto.body for h in at.html)
    at.run()  # this session's cookie header still holds the ticket: it stays forgotten
    assert locked(at)


# ------------------------------------------------------------------------------ copy box

LONG_SECTION = "。".join(
    f"第{i}步：在后台打开退款申请列表，核对订单号和金额后再点确认" for i in range(12)
)
EXTRA = {
    "refunds/refund-steps.md": f"""\
        ---
        title: 退款怎么操作
        category: refunds
        language: zh
        url: https://help.example.com/a/refund-steps
        ---
        退款说明。

        ## 退款的详细步骤
        {LONG_SECTION}。
        """,
    "refunds/refund-site-path.md": """\
        ---
        title: 退款到账时间 ABCSITE
        category: refunds
        language: zh
        url: /help/refund-time
        ---
        退款 ABCSITE 一般三个工作日内原路退回。
        """,
}


@pytest.fixture
def agent(env, monkeypatch):
    """The unlocked agent desk over the tiny corpus plus two refund articles."""
    write_articles(Path(env["KB_ARTICLES"]), EXTRA)
    build_index(env["KB_ARTICLES"], env["KB_INDEX"], encoder="hash:64")
    monkeypatch.setenv("KB_AGENT_TOKEN", TOKEN)
    monkeypatch.setenv("KB_APP_URL", "https://kb.example.com/desk")
    with_cookie(monkeypatch, issue_ticket(TOKEN, "agent", time.time()))
    return env


def copy_boxes(at: AppTest) -> list[tuple[str, str]]:
    """(expander label, the text of the code box inside it), one per answer."""
    return [(e.label, e.code[0].value) for e in at.expander if e.code]


def box_for(at: AppTest, needle: str) -> tuple[str, str]:
    return next((label, text) for label, text in copy_boxes(at) if needle in text)


def test_copy_box_holds_the_whole_section_with_an_absolute_link(agent):
    at = search(run_app("agent"), "退款的详细步骤 核对订单号", "agent")
    label, text = box_for(at, "refund-steps")
    assert label == ZH["copy"]
    assert LONG_SECTION in text and "…" not in text  # the card shows an excerpt, the box all
    assert text.splitlines()[-1].startswith("https://help.example.com/a/refund-steps#")
    assert all(e.code[0].proto.wrap_lines for e in at.expander if e.code)


def test_copy_box_links_are_absolute_without_an_article_url(agent):
    at = search(run_app("agent"), "提现手续费", "agent")
    _, text = box_for(at, "withdrawal-fees")
    assert text.splitlines()[-1] == "https://kb.example.com/desk/?article=withdrawal-fees#top"
    at = search(at, "退款到账时间 ABCSITE", "agent")
    _, text = box_for(at, "refund-time")
    assert text.splitlines()[-1] == "https://kb.example.com/help/refund-time#top"


def test_internal_articles_offer_only_a_marked_note_for_colleagues(agent):
    at = search(run_app("agent"), "ZEBRA-42 退款审批", "agent")
    label, text = box_for(at, "ZEBRA-42")
    assert label == ZH["copy_internal"] and label != ZH["copy"]
    assert text.splitlines()[0] == ZH["copy_internal_marker"]
    assert "?article=agent-refund-approval&page=agent#" in text
    assert any(w.value == ZH["copy_internal_warning"] for w in at.warning)
    public = [label for label, text in copy_boxes(at) if "ZEBRA" not in text]
    assert all(label == ZH["copy"] for label in public)


def test_without_an_app_address_the_box_says_how_to_get_absolute_links(agent, monkeypatch):
    monkeypatch.delenv("KB_APP_URL")
    at = search(run_app("agent"), "提现手续费", "agent")
    _, text = box_for(at, "withdrawal-fees")
    assert text.splitlines()[-1] == "?article=withdrawal-fees#top"
    assert any("KB_APP_URL" in c.value for c in at.caption)


@pytest.mark.parametrize("value", ["kb.example.com", "ftp://kb.example.com", "https://x/?a=1"])
def test_a_bad_app_address_is_a_message_naming_the_variable(agent, monkeypatch, value):
    monkeypatch.setenv("KB_APP_URL", value)
    at = run_app("agent")
    assert not at.exception
    assert any("KB_APP_URL" in e.value and value in e.value for e in at.error)
