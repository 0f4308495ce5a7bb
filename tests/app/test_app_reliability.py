"""The app under hostile conditions: megabyte questions (cut before any work, session state
bounded), a broken analytics database on every page, formula cells in the editors' CSV downloads,
and a damaged index version on the editor page."""

from __future__ import annotations

import csv
import io
import sqlite3
import sys
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import kb.app.editors as editors
from kb import build_index
from kb.errors import CorruptIndexError
from kb.index import describe_index
from kb.options import SearchSettings
from kb.retrieval import Searcher
from tests.app.test_app import TOKEN, cards, everything, run_app, search, unlock_editor
from tests.test_analytics import BROKEN, DANGEROUS, PAYLOADS, _release_locks  # noqa: F401

LIMIT = SearchSettings.max_query_chars
MEGABYTE = 1_000_000


@pytest.fixture
def searched(monkeypatch) -> list[str]:
    """Every query the searchers are asked, as they receive it."""
    seen: list[str] = []
    original = Searcher.search

    def spy(self, query, *args, **kwargs):
        seen.append(query)
        return original(self, query, *args, **kwargs)

    monkeypatch.setattr(Searcher, "search", spy)
    return seen


def stored_queries(env: dict) -> list[str]:
    if not Path(env["KB_ANALYTICS_DB"]).exists():  # nothing was logged yet
        return []
    with sqlite3.connect(env["KB_ANALYTICS_DB"]) as db:
        return [r[0] for r in db.execute("SELECT query FROM searches ORDER BY id")]


def unlock(page: str, monkeypatch, query_params: dict | None = None) -> AppTest:
    secret = "KB_AGENT_TOKEN" if page == "agent" else "KB_EDITOR_TOKEN"
    monkeypatch.setenv(secret, TOKEN)
    at = run_app(page, query_params)
    at.text_input(key=f"{page}_ok-input").input(TOKEN)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


# ------------------------------------------------------------------------ long questions


@pytest.mark.parametrize("size", [500_000, MEGABYTE])
def test_a_long_query_parameter_is_cut_before_searching(env, searched, size):
    at = run_app(query_params={"q": "忘记密码怎么办 " + "x" * size})
    assert not at.exception, at.exception
    box = at.text_input(key="q-public")
    assert box.max_chars == LIMIT
    assert all(len(q) <= LIMIT for q in searched)
    assert all(len(q) <= 500 for q in stored_queries(env))
    if size > 524_288:  # Streamlit itself drops a query string over 512 KiB
        assert box.value == "" and not searched
        return
    assert len(box.value) == LIMIT and searched
    assert 'data-slug="forgot-password"' in cards(at)[0]
    assert [len(q) for q in stored_queries(env)] == [500]


@pytest.mark.parametrize("page", ["customer", "agent"])
def test_a_megabyte_typed_query_is_cut_before_searching(env, searched, monkeypatch, page):
    at = unlock(page, monkeypatch) if page == "agent" else run_app()
    role = "agent" if page == "agent" else "public"
    box = at.text_input(key=f"q-{role}")
    assert box.max_chars == LIMIT  # the browser stops typing there
    box.set_value("提现多久到账 " + "y" * MEGABYTE).run()  # a client that ignores max_chars
    assert not at.exception, at.exception
    assert searched and all(len(q) <= LIMIT for q in searched)
    assert len(at.text_input(key=f"q-{role}").value) == LIMIT
    assert len(at.session_state["last_query"]) == LIMIT
    assert cards(at)
    assert [len(q) for q in stored_queries(env)] == [500]


def deep_size(obj, seen: set[int] | None = None) -> int:
    """Bytes held by `obj` and everything it refers to (containers, dataclasses, objects)."""
    seen = set() if seen is None else seen
    if id(obj) in seen or isinstance(obj, type):
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(deep_size(k, seen) + deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, list | tuple | set | frozenset):
        size += sum(deep_size(v, seen) for v in obj)
    elif hasattr(obj, "__dict__"):
        size += deep_size(vars(obj), seen)
    elif hasattr(obj, "__slots__"):
        size += sum(deep_size(getattr(obj, s, None), seen) for s in obj.__slots__)
    return size


def test_session_state_stays_small_after_many_long_questions(env):
    at = run_app()
    internal = at._session_state._state  # Streamlit's SessionState: widget bookkeeping included
    sizes = []
    for i in range(24):
        at.text_input(key="q-public").set_value(f"提现 {i} " + chr(0x4E00 + i) * MEGABYTE).run()
        assert not at.exception, at.exception
        assert cards(at) or "kb-nomatch" in everything(at)
        if i in (3, 23):
            sizes.append((deep_size(internal), len(at.session_state.keys())))
    (early, keys_early), (late, keys_late) = sizes
    assert early < 200_000, early  # one 1 MB question would be 1,000,000 bytes and up
    assert late - early < 20 * 200, (early, late)  # 20 more questions: a digest each, no more
    assert keys_late == keys_early  # no widget key per question


def test_a_vote_belongs_to_its_question(env):
    at = search(run_app(), "提现多久到账")
    at.feedback[0].set_value(0).run()
    search(at, "忘记密码怎么办")
    assert all(f.value is None for f in at.feedback)  # the new answers are not voted yet
    at.feedback[0].set_value(1).run()
    with sqlite3.connect(env["KB_ANALYTICS_DB"]) as db:
        votes = db.execute("SELECT query, helpful FROM feedback ORDER BY id").fetchall()
    assert votes == [("提现多久到账", 0), ("忘记密码怎么办", 1)]


# --------------------------------------------------------------- broken analytics database


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_analytics_database_never_costs_an_answer(env, monkeypatch, tmp_path, name):
    setup, kind, readable = BROKEN[name]
    broken = tmp_path / "broken"
    broken.mkdir()
    path = setup(broken, monkeypatch)
    monkeypatch.setenv("KB_ANALYTICS_DB", str(path))
    hidden = str(path.parent)  # no page may show where the server keeps its files

    at = search(run_app(), "忘记密码怎么办")
    assert 'data-slug="forgot-password"' in cards(at)[0]
    at.feedback[0].set_value(1).run()
    assert not at.exception and hidden not in everything(at)

    agent = unlock("agent", monkeypatch)
    search(agent, "ZEBRA-42 退款审批", role="agent")
    assert 'data-slug="agent-refund-approval"' in cards(agent)[0]
    assert not agent.exception and hidden not in everything(agent)

    editor = unlock_editor(monkeypatch)
    assert not editor.exception, editor.exception
    page = everything(editor)
    assert hidden not in page and "Traceback" not in page
    assert any(
        kind in w.value and "customers still got their answers" in w.value for w in editor.warning
    )
    unreadable = [e.value for e in editor.error if "search reports cannot be shown" in e.value]
    assert bool(unreadable) != readable
    assert all(path.name in e and "KB_ANALYTICS_DB" in e for e in unreadable)
    assert any(b.label == "Rebuild index" for b in editor.button)


# ---------------------------------------------------------------------------- CSV downloads


def test_editor_downloads_neutralise_formulas(env, monkeypatch):
    downloads: dict[str, bytes] = {}
    original = st.download_button

    def spy(label, data, *args, **kwargs):
        downloads[label] = data
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", spy)
    at = run_app()
    typed = [prefix.strip() + payload for prefix in DANGEROUS for payload in PAYLOADS]
    for query in typed:
        at.text_input(key="q-public").set_value(query).run()
        if at.feedback:
            at.feedback[0].set_value(0).run()
    editor = unlock_editor(monkeypatch)
    assert not editor.exception, editor.exception
    assert len(downloads) == 4  # top queries, no good match, unhelpful answers, per day
    for label, data in downloads.items():
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
        assert len(rows) > 1, label
        for cell in (c for row in rows for c in row):
            assert cell == "" or cell[0] not in "=+-@\t\r\n＝＋－＠", (label, cell)
    exported = downloads["Download top queries (CSV)"].decode("utf-8")
    assert "'=HYPERLINK(" in exported and "'-2+3" in exported


# ----------------------------------------------------------------- damaged index versions


def two_versions(env: dict) -> tuple[str, str]:
    """(older version, live version) of the env's index after a second build."""
    path = Path(env["KB_ARTICLES"]) / "withdrawals" / "withdrawal-fees.md"
    path.write_text(path.read_text(encoding="utf-8").replace("1%", "2%"), encoding="utf-8")
    build_index(env["KB_ARTICLES"], env["KB_INDEX"], encoder="hash:64")
    listed = describe_index(env["KB_INDEX"]).versions
    return next(v.version for v in listed if not v.live), next(v.version for v in listed if v.live)


def test_editor_lists_why_a_version_is_damaged_and_keeps_rebuild_and_rollback(env, monkeypatch):
    old, live = two_versions(env)
    (Path(env["KB_INDEX"]) / old / "manifest.json").write_text("{not json", encoding="utf-8")
    at = unlock_editor(monkeypatch)
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "damaged" in d.value.columns)
    reasons = dict(zip(table["version"], table["damaged"], strict=True))
    assert reasons[live] == ""
    assert "manifest" in reasons[old]
    labels = [b.label for b in at.button]
    assert "Rebuild index" in labels and "Roll back to the previous version" in labels


@pytest.mark.parametrize("garbage", [b"\xff\xfe\x00\x01 not a manifest", b"", b"[1, 2, 3]"])
def test_editor_page_never_goes_blank_on_a_garbage_manifest(env, monkeypatch, garbage):
    old, _ = two_versions(env)
    (Path(env["KB_INDEX"]) / old / "manifest.json").write_bytes(garbage)
    at = unlock_editor(monkeypatch)
    assert not at.exception, at.exception
    damaged = [d.value for d in at.dataframe if "damaged" in d.value.columns]
    shown = [e.value for e in at.error if "index status cannot be shown" in e.value]
    assert damaged or shown  # the reason per version, or why the status cannot be listed
    assert any(b.label == "Rebuild index" for b in at.button)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (CorruptIndexError("index/v1/manifest.json is not valid JSON"), "not valid JSON"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "UnicodeDecodeError"),
        (PermissionError(13, "Permission denied"), "Permission denied"),
    ],
)
def test_editor_shows_why_the_index_status_cannot_be_read(env, monkeypatch, error, expected):
    def broken(location):
        raise error

    monkeypatch.setattr(editors, "describe_index", broken)
    at = unlock_editor(monkeypatch)
    assert not at.exception, at.exception
    assert any(expected in e.value for e in at.error)
    assert any(b.label == "Rebuild index" for b in at.button)
