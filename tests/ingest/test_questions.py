"""Issue 13 item 8 (data side): alternative questions from front matter, a FAQ column and the
reviewed `questions.yaml`, each indexed like the title so a query worded like one finds the article."""

from __future__ import annotations

import pytest

from kb import ValidationError, build_index, load_articles, load_searcher
from kb.ingest import chunk_article, split_sections
from kb.testing import write_articles

RESET = (
    "---\ntitle: 重置登录密码\nslug: reset\nquestions:\n  - 账号被锁住了怎么办\n"
    "  - locked out of my account\n---\n在登录页点击忘记密码。\n"
)
FEES = "---\ntitle: 提现手续费\nslug: fees\n---\n每笔提现收取 1% 手续费。\n"


def test_front_matter_questions_become_chunks_of_the_first_section():
    from kb.ingest.markdown import parse_markdown

    article = parse_markdown(RESET, "a.md", "a", [])
    assert article.questions == ("账号被锁住了怎么办", "locked out of my account")
    chunks = chunk_article(article, split_sections(article))
    asked = [c for c in chunks if c.text in article.questions]
    assert [c.embed_text for c in asked] == list(article.questions)
    assert {c.section_index for c in asked} == {0}
    assert len({c.chunk_id for c in chunks}) == len(chunks)


@pytest.mark.parametrize("header", ["questions", "相似问题", "其他问法", "Similar Questions"])
@pytest.mark.parametrize("sep", ["\n", ";", "；", "|"])
def test_a_faq_column_carries_questions(tmp_path, header, sep):
    path = tmp_path / "faq.csv"
    path.write_text(
        f'question,answer,{header}\n年费,没有年费。,"年费多少{sep}要交年费吗"\n', encoding="utf-8"
    )
    (article,) = load_articles(path)
    assert article.questions == ("年费多少", "要交年费吗")


def test_a_query_worded_like_an_alternative_question_finds_the_article(tmp_path):
    articles = write_articles(tmp_path / "a", {"reset.md": RESET, "fees.md": FEES})
    build_index(articles, tmp_path / "index", encoder="hash:64")
    searcher = load_searcher(tmp_path / "index", "public", encoder="hash:64")
    assert searcher.search("账号被锁住了", top_k=1)[0].slug == "reset"
    assert searcher.search("locked out", top_k=1)[0].slug == "reset"


def test_suggestions_file_adds_questions_the_next_build_uses(tmp_path):
    articles = write_articles(
        tmp_path / "a",
        {"reset.md": RESET, "fees.md": FEES, "questions.yaml": "fees:\n  - 取钱要扣多少钱\n"},
    )
    by_slug = {a.slug: a for a in load_articles(articles)}
    assert by_slug["fees"].questions == ("取钱要扣多少钱",)
    build_index(articles, tmp_path / "index", encoder="hash:64")
    searcher = load_searcher(tmp_path / "index", "public", encoder="hash:64")
    assert searcher.search("取钱要扣多少钱", top_k=1)[0].slug == "fees"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fees: [a]\nnope: [b]\n", "a/questions.yaml:2: unknown slug 'nope'"),
        (
            "fees:\n  - 取钱\n  - {a: 1}\n",
            "a/questions.yaml:3: 'fees' has an empty or non-text item",
        ),
        ("fees:\n  - 取钱\n  - ''\n", "a/questions.yaml:3: 'fees' has an empty or non-text item"),
        ("fees:\n  - 取钱\n  - 取钱\n", "a/questions.yaml:3: question '取钱' is given twice"),
        ("fees: [a]\nreset: [b]\nfees: [c]\n", "a/questions.yaml:3: slug 'fees' is given twice"),
        ("fees: 取钱\n", "a/questions.yaml:1: field 'fees' must be a list"),
        ("fees: [提现手续费]\n", "a/questions.yaml:1: fees: '提现手续费' is already the title"),
        ("- fees\n", "a/questions.yaml:1: expected slug: [questions]"),
        ("fees: [a\n", "a/questions.yaml:2: invalid YAML"),
    ],
)
def test_bad_suggestions_are_refused_on_their_line(tmp_path, text, expected):
    articles = write_articles(
        tmp_path / "a", {"reset.md": RESET, "fees.md": FEES, "questions.yaml": text}
    )
    with pytest.raises(ValidationError) as info:
        load_articles(articles)
    assert any(str(p).startswith(expected) for p in info.value.problems), info.value.problems


@pytest.mark.parametrize(
    ("questions", "expected"),
    [
        ("[a, A]", "question 'A' is given twice"),
        ("[a, '']", "empty or non-text item"),
        ("[[a]]", "empty or non-text item"),
        ("a, b", "field 'questions' must be a list"),
        ("[" + ", ".join(f"q{i}" for i in range(51)) + "]", "51 questions, over the limit of 50"),
        ("[" + "长" * 301 + "]", "301 characters (limit 300)"),
    ],
)
def test_bad_front_matter_questions_are_refused(tmp_path, questions, expected):
    (tmp_path / "a.md").write_text(
        f"---\ntitle: t\nquestions: {questions}\n---\n正文\n", encoding="utf-8"
    )
    with pytest.raises(ValidationError) as info:
        load_articles(tmp_path)
    assert any(expected in str(p) for p in info.value.problems), info.value.problems
    assert all(str(p).startswith(f"{tmp_path.name}/a.md:3:") for p in info.value.problems)


# Issue 13 brief U item 3: one alternative question under two articles is refused with both places.
LOCKED = "---\ntitle: 账号解锁\nslug: unlock\nquestions:\n  - {q}\n---\n联系客服解锁。\n"


@pytest.mark.parametrize(
    "variant",
    [
        "账号被锁住了怎么办",
        "账号被锁住了怎么办？",
        "賬號被鎖住了怎麼辦",
        "Locked out of my account?",
    ],
)
def test_a_front_matter_question_under_two_articles_is_refused(tmp_path, variant):
    root = write_articles(
        tmp_path / "a", {"reset.md": RESET, "unlock.md": LOCKED.format(q=variant)}
    )
    with pytest.raises(ValidationError) as info:
        load_articles(root)
    (problem,) = info.value.problems
    assert problem.path.endswith("unlock.md") and "'reset'" in problem.message
    assert "reset.md:" in problem.message and "one article" in problem.message


def test_a_suggestion_already_under_another_article_is_refused_with_both_lines(tmp_path):
    suggestions = "fees:\n  - 取钱要扣多少钱\nreset:\n  - 取钱要扣多少钱？\n"
    root = write_articles(
        tmp_path / "a", {"reset.md": RESET, "fees.md": FEES, "questions.yaml": suggestions}
    )
    with pytest.raises(ValidationError) as info:
        load_articles(root)
    (problem,) = info.value.problems
    assert (problem.path.endswith("questions.yaml"), problem.line) == (True, 3)
    assert "questions.yaml:1" in problem.message and "'fees'" in problem.message


def test_a_suggestion_equal_to_another_articles_own_question_is_refused(tmp_path):
    suggestions = "fees:\n  - locked out of my account\n"
    root = write_articles(
        tmp_path / "a", {"reset.md": RESET, "fees.md": FEES, "questions.yaml": suggestions}
    )
    with pytest.raises(ValidationError, match=r"questions.yaml:1: .*reset\.md:"):
        load_articles(root)


def test_faq_rows_sharing_a_question_are_refused(tmp_path):
    path = tmp_path / "faq.csv"
    path.write_text(
        "question,answer,questions\n年费,没有年费。,要交钱吗\n提现,免费。,要交钱吗？\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError, match=r"faq.csv:3: .*faq.csv:2"):
        load_articles(path)


# Issue 13 brief U item 1: questions.yaml naming the old id of a reworded FAQ row names the new id.
def _faq(root, rows):
    lines = ["question,answer"] + [f"{q},{a}" for q, a in rows]
    (root / "faq.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("如何修改绑定手机", "如何修改绑定的手机号"),
        ("How do I reset my password", "How can I reset my password?"),
    ],
)
def test_the_old_id_of_a_reworded_faq_row_names_the_new_id(tmp_path, old, new):
    from kb.ingest.ids import row_id

    root = tmp_path / "a"
    root.mkdir()
    rows = [("提现多久到账", "1-3 天。"), (new, "在设置里修改。"), ("有年费吗", "没有。")]
    _faq(root, rows)
    old_id, new_id = row_id("faq", old), row_id("faq", new)
    (root / "questions.yaml").write_text(f"{old_id}:\n  - {old}?\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_articles(root)
    (problem,) = info.value.problems
    assert problem.path.endswith("questions.yaml") and problem.line == 1
    assert f"now {new_id}" in problem.message and f"write {new_id} here" in problem.message
    assert f"'id' column with {old_id}" in problem.message and "faq.csv" in problem.message


def test_an_old_row_id_without_a_likely_row_still_says_why_and_how(tmp_path):
    root = tmp_path / "a"
    root.mkdir()
    _faq(root, [("提现多久到账", "1-3 天。"), ("有年费吗", "没有。")])
    (root / "questions.yaml").write_text("faq-0123abcd:\n  - 完全无关\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_articles(root)
    (problem,) = info.value.problems
    assert "no longer the id of a row of a/faq.csv" in problem.message
    assert "'id' column with faq-0123abcd" in problem.message


def test_an_unknown_slug_of_another_shape_keeps_the_plain_message(tmp_path):
    root = write_articles(tmp_path / "a", {"fees.md": FEES, "questions.yaml": "feez: [提现]\n"})
    with pytest.raises(ValidationError, match="unknown slug 'feez'"):
        load_articles(root)


def test_translation_of_an_old_faq_row_id_says_why_and_how(tmp_path):
    root = tmp_path / "a"
    root.mkdir()
    _faq(root, [("提现多久到账", "1-3 天。"), ("有年费吗", "没有。")])
    (root / "fee.md").write_text(
        "---\ntitle: Is there a fee\nlanguage: en\ntranslation_of: faq-0123abcd\n---\nNo.\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as info:
        load_articles(root)
    (problem,) = info.value.problems
    assert problem.path.endswith("fee.md")
    assert (
        "translation_of: faq-0123abcd is no longer the id of a row of a/faq.csv" in problem.message
    )
    assert "'id' column with faq-0123abcd" in problem.message
