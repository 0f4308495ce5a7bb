"""`kb build` and `kb validate` warn when a FAQ row's id changed for the same question against
the live version (issue 13 item 4); a warning never stops a build."""

from __future__ import annotations

import pytest

from kb.cli import main
from kb.curation.ids import id_warnings

BEFORE = "question,answer\n如何修改登陆密码,在设置页点击修改密码。\n开户需要什么证件,身份证原件。\n"
AFTER = "question,answer\n如何修改登录密码,在设置页点击修改密码。\n开户需要什么证件,身份证原件。\n"


@pytest.fixture(autouse=True)
def hash_encoder(monkeypatch):
    monkeypatch.setenv("KB_ENCODER", "hash:64")


@pytest.fixture
def built(tmp_path):
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "faq.csv").write_text(BEFORE, encoding="utf-8")
    index = tmp_path / "index"
    assert main(["build", "--articles", str(articles), "--index", str(index)]) == 0
    return articles, index


def test_validate_and_build_warn_when_a_question_edit_changes_its_id(built, capsys):
    articles, index = built
    capsys.readouterr()
    (articles / "faq.csv").write_text(AFTER, encoding="utf-8")
    assert main(["validate", "--articles", str(articles), "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert 'warning: articles/faq.csv:2: the id of "如何修改登录密码" changed from faq-' in out
    assert main(["build", "--articles", str(articles), "--index", str(index)]) == 0
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("warning:")]
    assert len(lines) == 1 and "add an 'id' column with faq-" in lines[0]
    # the new id is live now: the next build has nothing to say
    assert id_warnings(articles, index) == []


def test_no_warning_without_a_live_version_or_for_new_questions(built, tmp_path):
    articles, index = built
    assert id_warnings(articles, tmp_path / "no-index") == []
    (articles / "faq.csv").write_text(
        BEFORE + "如何注销账户,在设置页申请注销。\n", encoding="utf-8"
    )
    assert id_warnings(articles, index) == []


def test_an_unreadable_live_version_skips_the_check_and_the_build_goes_on(built, capsys):
    articles, index = built
    live = next(p for p in index.iterdir() if p.is_dir() and p.name.startswith("v"))
    for table in live.rglob("articles.arrow"):
        table.write_bytes(b"garbage")  # the catalog of the live version cannot be read
    (articles / "faq.csv").write_text(AFTER, encoding="utf-8")
    assert id_warnings(articles, index) == []
    assert main(["validate", "--articles", str(articles), "--index", str(index)]) == 0
