"""The reviewed questions file: attached safely, existing entries kept, no duplicates."""

from __future__ import annotations

import multiprocessing
import os

import pytest
import yaml

from kb.curation import QUESTIONS_FILE, attach_question, read_questions
from kb.curation import questions as questions_module
from kb.errors import ValidationError


def test_attach_creates_the_file_in_the_contract_format(tmp_path):
    assert attach_question(tmp_path, "reset-password", "登录密码忘了怎么办")
    assert attach_question(tmp_path, "reset-password", "forgot my password")
    assert attach_question(tmp_path, "withdrawal-time", "钱什么时候到")
    data = yaml.safe_load((tmp_path / QUESTIONS_FILE).read_text(encoding="utf-8"))
    assert data == {
        "reset-password": ["登录密码忘了怎么办", "forgot my password"],
        "withdrawal-time": ["钱什么时候到"],
    }


def test_existing_entries_and_their_order_are_kept(tmp_path):
    (tmp_path / QUESTIONS_FILE).write_text(
        "zeta:\n  - 第一个问题\nalpha:\n  - second question\nempty:\n", encoding="utf-8"
    )
    attach_question(tmp_path, "alpha", "third question")
    assert read_questions(tmp_path) == {
        "zeta": ["第一个问题"],
        "alpha": ["second question", "third question"],
        "empty": [],
    }


@pytest.mark.parametrize(
    "again",
    [
        "Forgot My Password",
        "forgot  my password ",
        "ｆｏｒｇｏｔ my password",
        "forgot\u200b my password",
    ],
)
def test_the_same_question_in_another_spelling_is_not_added_twice(tmp_path, again):
    attach_question(tmp_path, "reset-password", "forgot my password")
    assert attach_question(tmp_path, "reset-password", again) is False
    assert read_questions(tmp_path) == {"reset-password": ["forgot my password"]}


def test_traditional_and_simplified_are_the_same_question(tmp_path):
    attach_question(tmp_path, "withdrawal-time", "提现多久到账")
    assert attach_question(tmp_path, "withdrawal-time", "提現多久到賬") is False


def test_a_question_attached_to_another_article_is_refused(tmp_path):
    attach_question(tmp_path, "withdrawal-time", "钱什么时候到")
    with pytest.raises(ValidationError) as exc:
        attach_question(tmp_path, "withdrawal-fees", "钱什么时候到")
    message = str(exc.value.problems[0])
    assert "withdrawal-time" in message and "remove it there" in message
    line = exc.value.problems[0].line
    lines = (tmp_path / QUESTIONS_FILE).read_text(encoding="utf-8").splitlines()
    assert lines[line - 1] == "withdrawal-time:"


@pytest.mark.parametrize(
    "text",
    [
        "key: [unclosed\n",
        "- a list\n- not a mapping\n",
        "slug: just a string\n",
        "slug:\n  - 1\n  - 2\n",
    ],
)
def test_a_damaged_file_is_reported_with_its_line_and_left_untouched(tmp_path, text):
    path = tmp_path / QUESTIONS_FILE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        attach_question(tmp_path, "reset-password", "忘记密码")
    problem = exc.value.problems[0]
    assert problem.path == str(path) and problem.line >= 1
    assert path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("slug", ["", "Bad Slug", "../etc", "a/b"])
def test_a_bad_slug_is_refused(tmp_path, slug):
    with pytest.raises(ValidationError, match="slug"):
        attach_question(tmp_path, slug, "忘记密码")
    assert not (tmp_path / QUESTIONS_FILE).exists()


@pytest.mark.parametrize("question", ["", "   ", "\u200b", "很长" * 101])
def test_empty_or_long_questions_are_refused(tmp_path, question):
    with pytest.raises(ValidationError, match="characters"):
        attach_question(tmp_path, "reset-password", question)


def test_a_failed_write_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    attach_question(tmp_path, "reset-password", "忘记密码")
    before = (tmp_path / QUESTIONS_FILE).read_bytes()

    def full_disk(path, text):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(questions_module, "atomic_write_text", full_disk)
    with pytest.raises(OSError):
        attach_question(tmp_path, "reset-password", "another question")
    assert (tmp_path / QUESTIONS_FILE).read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def _attach_many(args):
    folder, worker = args
    for i in range(15):
        attach_question(folder, f"article-{i % 3}", f"worker {worker} question {i}")


def test_writers_in_parallel_processes_lose_nothing(tmp_path):
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_attach_many, [(tmp_path, w) for w in range(4)])
    data = read_questions(tmp_path)
    assert sum(len(v) for v in data.values()) == 60
    assert os.path.exists(tmp_path / QUESTIONS_FILE)


def test_an_article_with_the_most_questions_takes_no_more(tmp_path):
    for i in range(questions_module.MAX_QUESTIONS):
        attach_question(tmp_path, "busy", f"question number {i}")
    other = "another article's question"
    assert attach_question(tmp_path, "quiet", other)
    with pytest.raises(ValidationError, match="remove one"):
        attach_question(tmp_path, "busy", "one too many")
    assert len(read_questions(tmp_path)["busy"]) == questions_module.MAX_QUESTIONS


@pytest.mark.parametrize("variant", ["钱什么时候到？", "钱 什么时候 到", "錢什麼時候到!"])
def test_a_variant_the_build_would_refuse_as_shared_is_refused_here(tmp_path, variant):
    """Issue 13 U item 3: what the build calls one question under two articles."""
    attach_question(tmp_path, "withdrawal-time", "钱什么时候到")
    with pytest.raises(ValidationError, match="already attached to withdrawal-time"):
        attach_question(tmp_path, "withdrawal-fees", variant)
