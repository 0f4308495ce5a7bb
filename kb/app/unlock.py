"""The secret gate of the agent and editor pages, remembered for the browser session.

Streamlit starts a new session (empty `st.session_state`) on every full page load: opening an
article, going back, a reload, a link opened in a new tab. So after the secret is accepted the
page also gets a session cookie holding a signed, expiring ticket (kb.access.issue_ticket; never
the secret itself), and a later page load with a valid ticket opens without asking again. Anything
but a valid ticket for this page and the current secret (missing, tampered, expired, signed with
an old secret, another page's) leaves the page locked behind `common.secret_gate`; an unset secret
keeps it locked whatever the cookie says. "Lock this page" forgets both.
"""

from __future__ import annotations

import json
import logging
import time

import streamlit as st

from kb.access import issue_ticket, ticket_valid
from kb.config import secret

from . import common
from .common import t

log = logging.getLogger(__name__)


def cookie_name(scope: str) -> str:
    """The cookie holding the ticket of page `scope` ("agent" or "editor")."""
    return f"kb_unlock_{scope}"


def browser_cookie(name: str) -> str | None:
    """The cookie `name` the browser sent when this session started; None when there is none or
    no browser (AppTest, a bare script run)."""
    try:
        return st.context.cookies.get(name)
    except Exception:  # st.context has no request outside a browser session
        return None


def _write_cookie(name: str, value: str) -> None:
    """Set `name` for the whole app in the browser as a session cookie (no Expires or Max-Age:
    the browser drops it when it closes; the ticket inside expires on its own after
    TICKET_SECONDS), SameSite=Strict, Secure on https; an empty `value` deletes it (Max-Age=0).
    Runs as a script in the page (st.html with JavaScript allowed): Streamlit has no
    server-side way to set a cookie."""
    cookie = f"{name}={value}; Path=/; SameSite=Strict" + ("" if value else "; Max-Age=0")
    script = (
        f"<script>document.cookie = {json.dumps(cookie)} + "
        "(window.location.protocol === 'https:' ? '; Secure' : '');</script>"
    )
    with st.sidebar:
        st.html(script, unsafe_allow_javascript=True)


def gate(secret_name: str, scope: str) -> bool:
    """True when page `scope` is unlocked for this browser session.

    `common.secret_gate(secret_name, "<scope>_ok")` decides (the token form, "wrong token",
    "not configured"); before it, a valid ticket in the cookie unlocks the session, and after it
    a session unlocked by the form gets a fresh ticket (kb.access.TICKET_SECONDS, 12 hours)."""
    state_key, issued, forgotten = f"{scope}_ok", f"{scope}_ok-ticket", f"{scope}_ok-forgotten"
    expected = secret(secret_name, st.secrets)
    ticket = browser_cookie(cookie_name(scope))
    if (
        expected
        and not st.session_state.get(state_key)
        and ticket != st.session_state.get(forgotten)
        and ticket_valid(ticket, expected, scope, time.time())
    ):
        st.session_state[state_key] = st.session_state[issued] = True
    elif ticket and not st.session_state.get(state_key):
        log.info("page %s: an invalid or expired unlock ticket was refused", scope)
    if not common.secret_gate(secret_name, state_key):
        return False
    if st.sidebar.button(t("lock"), key=f"{scope}-lock"):
        st.session_state[state_key] = st.session_state[issued] = False
        st.session_state[forgotten] = ticket  # this session's cookie header still carries it
        _write_cookie(cookie_name(scope), "")
        return common.secret_gate(secret_name, state_key)
    if not st.session_state.get(issued):
        _write_cookie(cookie_name(scope), issue_ticket(expected, scope, time.time()))
        st.session_state[issued] = True
    return True
