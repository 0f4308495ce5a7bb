"""The "Improve content" page and the editor page's gated rebuild, through AppTest."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from kb.analytics import Analytics
from kb.build import build_index
from kb.curation import gated_build
from kb.index import versions
from kb.testing import write_articles

from .test_app import TOKEN, everything, run_app


def unlock(monkeypatch, page: str = "improve", language: str = "en"):
    monkeypatch.setenv("KB_EDITOR_TOKEN", TOKEN)
    at = run_app(page)
    at.selectbox(key="ui_lang").select(language).run()
    at.text_input(key="editor_ok-input").input(TOKEN)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def button(at, label: str):
    return next(b for b in at.button if b.label.startswith(label))


def write_queries(env) -> Path:
    path = Path(env["KB_QUERIES"])
    pairs = [("忘记登录密码怎么办", "forgot-password"), ("提现多久到账", "withdrawal-time")]
    path.write_text(
        "".join(
            json.dumps({"query": q, "relevant": [s]}, ensure_ascii=False) + "\n" for q, s in pairs
        ),
        encoding="utf-8",
    )
    return path


def test_the_page_is_locked_without_the_editor_secret(env):
    at = run_app("improve")
    assert any("KB_EDITOR_TOKEN" in w.value for w in at.warning) and not at.button


def test_the_page_speaks_the_interface_language(env, monkeypatch):
    chinese = unlock(monkeypatch, language="zh")
    assert [tab.label for tab in chinese.tabs] == ["补充问法", "内容缺口", "预览与发布"]
    english = unlock(monkeypatch, language="en")
    assert [tab.label for tab in english.tabs] == [
        "Attach questions",
        "Content gaps",
        "Preview & publish",
    ]


def test_a_no_match_query_is_attached_to_the_picked_article(env, monkeypatch):
    store = Analytics(env["KB_ANALYTICS_DB"])
    store.log_search("密码记不起来了", "public", 3, "contact-support", False)
    at = unlock(monkeypatch)
    assert at.selectbox[0].value == "密码记不起来了"
    at.text_input(key="find-密码记不起来了").input("忘记登录密码").run()
    pick = next(r for r in at.radio if any("(forgot-password)" in o for o in r.options))
    pick.set_value("forgot-password").run()
    button(at, "Attach this query").click().run()
    assert not at.exception, at.exception
    saved = yaml.safe_load((Path(env["KB_ARTICLES"]) / "questions.yaml").read_text("utf-8"))
    assert saved == {"forgot-password": ["密码记不起来了"]}
    assert any("next build" in s.value for s in at.success)
    button(at, "Attach this query").click().run()  # twice: not added again
    assert any("already has" in i.value for i in at.info)


def test_content_gaps_are_grouped_and_downloadable(env, monkeypatch):
    store = Analytics(env["KB_ANALYTICS_DB"])
    for query, times in (("信用卡还款", 3), ("信用卡还款", 2), ("=cmd|x", 1)):
        for _ in range(times):
            store.log_search(query, "public", 1, None, False)
    at = unlock(monkeypatch)
    button(at, "Group the no-good-match").click().run()
    assert not at.exception, at.exception
    text = everything(at)
    assert "questions about “信用卡还款”" in text and "5 questions" in text
    assert any(b.label.startswith("Download content gaps") for b in at.get("download_button"))


def held_worse_version(env) -> tuple[Path, str, str]:
    """(index, live version, a held version the gate refuses: an eval article was deleted)."""
    queries, index = write_queries(env), Path(env["KB_INDEX"])
    live = versions.current_version(index)
    (Path(env["KB_ARTICLES"]) / "withdrawals/withdrawal-time.md").unlink()
    report, _ = gated_build(env["KB_ARTICLES"], index, queries, encoder="hash:64")
    assert report.held and versions.current_version(index) == live
    return index, live, report.version


def test_a_held_version_is_previewed_beside_the_live_one_and_published(env, monkeypatch):
    index, live, held = held_worse_version(env)
    at = unlock(monkeypatch)
    at.text_input(key="preview-query").input("提现").run()
    text = everything(at)
    assert f"live {live}" in text and f"unpublished {held}" in text
    button(at, "Compare on the eval file").click().run()
    assert "提现多久到账" in "".join(d.value.to_string() for d in at.dataframe)
    assert any(w.value.startswith("gate refused") for w in at.warning)
    button(at, "Publish this version").click().run()  # refused: one click does not publish
    assert not at.exception, at.exception
    assert versions.current_version(index) == live
    assert any("publish although" in e.value for e in at.error)
    at.checkbox(key=f"im-force-{held}").check().run()
    button(at, "Publish this version").click().run()
    assert not at.exception, at.exception
    assert versions.current_version(index) == held
    note = (index / "HISTORY").read_text("utf-8")
    assert "published after a preview" in note and "forced past the eval gate" in note
    assert "withdrawal-time" in note  # the gate's reason: the eval file names a deleted article


def test_an_uncompared_version_needs_the_confirmation_too(env, monkeypatch):
    index, live, held = held_worse_version(env)
    at = unlock(monkeypatch)
    assert any(live in i.value for i in at.info)  # "not compared with the live version"
    button(at, "Publish this version").click().run()
    assert versions.current_version(index) == live
    at.checkbox(key=f"im-force-{held}").check().run()
    button(at, "Publish this version").click().run()
    assert versions.current_version(index) == held
    assert "without an eval-gate comparison" in (index / "HISTORY").read_text("utf-8")


def test_a_version_the_gate_passes_publishes_with_one_click(env, monkeypatch):
    write_queries(env)
    index = Path(env["KB_INDEX"])
    write_articles(
        Path(env["KB_ARTICLES"]), {"new/x.md": "---\ntitle: 转账限额\n---\n限额五万。\n"}
    )
    report = build_index(env["KB_ARTICLES"], index, "hash:64", make_live=False)
    assert report.held
    at = unlock(monkeypatch)
    button(at, "Compare on the eval file").click().run()
    assert any(s.value.startswith("gate passed") for s in at.success) and not at.checkbox
    button(at, "Publish this version").click().run()
    assert versions.current_version(index) == report.version
    assert "eval gate passed" in (index / "HISTORY").read_text("utf-8")


def test_the_gate_verdict_and_tables_speak_chinese(env, monkeypatch):
    held_worse_version(env)
    store = Analytics(env["KB_ANALYTICS_DB"])
    for _ in range(2):
        store.log_search("信用卡还款", "public", 1, None, False)
    at = unlock(monkeypatch, language="zh")
    button(at, "用评测文件比较").click().run()
    assert not at.exception, at.exception
    assert any(w.value.startswith("评测把关拒绝") for w in at.warning)
    assert not any("gate refused" in w.value or "NOT live" in w.value for w in at.warning)
    box = next(w.value for w in at.warning if w.value.startswith("评测把关拒绝"))
    assert "withdrawal-time" in box and "不在这个版本里" in box and "slug(s)" not in box
    headers = [list(d.value.columns) for d in at.dataframe]
    assert ["问题", "正确答案", "之前排名", "之后排名"] in headers
    button(at, "把没有合适答案的问题按意思分组").click().run()
    headers = [list(d.value.columns) for d in at.dataframe]
    assert ["主题", "问题数", "不同说法", "例子", "最近一次"] in headers


def test_the_editor_pages_rebuild_is_gated(env, monkeypatch):
    write_queries(env)
    index = Path(env["KB_INDEX"])
    live = versions.current_version(index)
    (Path(env["KB_ARTICLES"]) / "account/forgot-password.md").unlink()
    at = unlock(monkeypatch, "editor")
    assert at.checkbox[0].value is True  # on by default when there is an eval file
    button(at, "Rebuild index").click().run()
    assert not at.exception, at.exception
    assert any("kept, not published" in w.value for w in at.warning)
    assert versions.current_version(index) == live
    assert len(versions.held_versions(index)) == 1
