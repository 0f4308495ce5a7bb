"""Loading Markdown and FAQ tables, and every validation error with its file:line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from kb import ValidationError, load_articles
from kb.ingest.ids import question_id
from kb.options import Language, Visibility
from kb.testing import write_articles

GOOD = "---\ntitle: 标题\n---\n正文内容。\n"


def problems_for(tmp_path: Path, files: dict[str, str | bytes]) -> list[str]:
    root = tmp_path / "articles"
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_articles(root)
    return [str(p) for p in info.value.problems]


def test_loads_markdown_with_front_matter(tiny_articles):
    articles = {a.slug: a for a in load_articles(tiny_articles)}
    assert len(articles) == 6
    fp = articles["forgot-password"]
    assert fp.title == "忘记登录密码怎么办"
    assert fp.category == "account"
    assert fp.language is Language.ZH
    assert fp.visibility is Visibility.PUBLIC
    assert fp.tags == ("密码", "重置")
    assert fp.url == "https://help.example.com/a/forgot-password"
    assert fp.body.startswith("在登录页点击")
    assert fp.body_line == 8
    assert articles["agent-refund-approval"].visibility is Visibility.INTERNAL


def test_slug_defaults_to_file_name_and_language_is_guessed(tmp_path):
    root = write_articles(
        tmp_path / "a", {"Hello-World.md": "---\ntitle: Hi\n---\nPlain English.\n"}
    )
    (article,) = load_articles(root)
    assert article.slug == "hello-world"
    assert article.language is Language.EN


def test_content_hash_changes_with_body_only(tmp_path):
    root = write_articles(tmp_path / "a", {"x.md": GOOD})
    before = load_articles(root)[0].content_hash
    assert load_articles(root)[0].content_hash == before
    (root / "x.md").write_text(GOOD.replace("正文", "新的正文"), encoding="utf-8")
    assert load_articles(root)[0].content_hash != before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("---\ncategory: a\n---\n正文\n", "x.md:1: missing title"),
        (
            "---\ntitle: t\nlanguage: fr\n---\n正文\n",
            "x.md:3: unknown language 'fr'; use one of: zh, en",
        ),
        ("---\ntitle: t\nvisibility: secret\n---\n正文\n", "x.md:3: unknown visibility 'secret'"),
        ("---\ntitle: [unclosed\n---\n正文\n", "x.md:2: invalid YAML in front matter"),
        ("---\ntitle: t\n正文\n", "x.md:1: front matter opened on line 1 is never closed"),
        ("no front matter\n", "x.md:1: missing front matter"),
        ("---\ntitle: t\n---\n\n   \n", "x.md:4: article body is empty"),
        ("", "x.md:1: file is empty"),
        ("---\ntitle: [a, b]\n---\n正文\n", "x.md:2: field 'title' must be text, got list"),
        ("---\ntitle: t\ntags: 5\n---\n正文\n", "x.md:3: field 'tags' must be a list"),
        ("---\ntitle: t\ntitel: x\n---\n正文\n", "x.md:3: unknown field 'titel'"),
        ("---\ntitle: t\nslug: ../etc/passwd\n---\n正文\n", "x.md:3: invalid slug '../etc/passwd'"),
        ("---\ntitle: t\nslug: a/b\n---\n正文\n", "x.md:3: invalid slug 'a/b'"),
        ("---\ntitle: t\nurl: javascript:alert(1)\n---\n正文\n", "x.md:3: invalid url"),
        ("---\n- just\n- a list\n---\n正文\n", "x.md:2: front matter must be 'key: value' lines"),
    ],
)
def test_markdown_validation_errors(tmp_path, content, expected):
    problems = problems_for(tmp_path, {"x.md": content})
    assert any(p.startswith(f"articles/{expected}") for p in problems), problems


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("---\ntitle: t\n---\n正文\n".encode("gbk"), "x.md:4: not valid UTF-8"),
        ("---\ntitle: t\n---\n正文\n".encode("utf-16"), "x.md:1: file is UTF-16 encoded"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "x.md:1: binary file"),
    ],
)
def test_encoding_errors(tmp_path, raw, expected):
    problems = problems_for(tmp_path, {"x.md": raw})
    assert any(p.startswith(f"articles/{expected}") for p in problems), problems


def test_utf8_bom_is_accepted(tmp_path):
    root = write_articles(tmp_path / "a", {})
    root.mkdir(parents=True, exist_ok=True)
    (root / "bom.md").write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert load_articles(root)[0].title == "标题"


def test_every_problem_is_reported_in_one_run(tmp_path):
    problems = problems_for(
        tmp_path,
        {
            "a.md": "---\ncategory: x\n---\n正文\n",
            "b.md": "---\ntitle: t\nlanguage: xx\n---\n正文\n",
            "c.md": GOOD,
        },
    )
    assert len(problems) == 2
    assert problems[0].startswith("articles/a.md:1:")
    assert problems[1].startswith("articles/b.md:3:")


def test_duplicate_slug_names_both_files(tmp_path):
    problems = problems_for(
        tmp_path,
        {
            "one/same.md": GOOD,
            "two/same.md": GOOD,
        },
    )
    assert problems == [
        "articles/two/same.md:4: duplicate slug 'same' (also used by articles/one/same.md:4); "
        "give one of them a different 'slug'"
    ]


def test_duplicate_slug_across_markdown_and_faq_table(tmp_path):
    problems = problems_for(
        tmp_path,
        {
            "a.md": "---\ntitle: t\nslug: refund\n---\n正文\n",
            "faq.csv": "slug,question,answer\nrefund,退款多久到账,3-7 个工作日。\n",
        },
    )
    assert len(problems) == 1
    assert "duplicate slug 'refund'" in problems[0]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_outside_the_folder_is_refused(tmp_path):
    outside = tmp_path / "secret.md"
    outside.write_text(GOOD, encoding="utf-8")
    root = tmp_path / "articles"
    root.mkdir()
    (root / "link.md").symlink_to(outside)
    with pytest.raises(ValidationError, match="symbolic link points outside"):
        load_articles(root)


def test_missing_folder_and_empty_folder(tmp_path):
    with pytest.raises(ValidationError, match="no such file or folder"):
        load_articles(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValidationError, match="no articles found"):
        load_articles(tmp_path / "empty")


# FAQ tables -----------------------------------------------------------------------------------


def test_csv_faq_rows_become_articles(tmp_path):
    root = write_articles(
        tmp_path / "a",
        {
            "faq.csv": (
                "id,question,answer,category,visibility\n"
                'fee,有年费吗,"没有年费，\n开户免费。",payments,public\n'
                ",最低充值多少,10 元。,payments,internal\n"
            )
        },
    )
    articles = {a.slug: a for a in load_articles(root)}
    assert articles["fee"].title == "有年费吗"
    assert articles["fee"].body == "没有年费，\n开户免费。"
    assert articles["fee"].category == "payments"
    # no id: slug from the file name and the question, whatever row it is on
    assert articles[f"faq-{question_id('最低充值多少')}"].visibility is Visibility.INTERNAL


def test_csv_faq_errors_name_the_line(tmp_path):
    problems = problems_for(
        tmp_path,
        {
            "faq.csv": (
                "question,answer,language\n有年费吗,,zh\n最低充值,=SUM(A1:A2),zh\n问题,回答,fr\n"
            )
        },
    )
    assert problems == [
        "articles/faq.csv:2: empty 'answer' cell; fill it in or delete the row",
        "articles/faq.csv:3: 'answer' cell is a spreadsheet formula ('=SUM(A1:A2)'); "
        "paste the text as a value",
        "articles/faq.csv:4: unknown language 'fr'; use one of: zh, en "
        "(or 中文, 英文, 英语, 英語) (field 'language')",
    ]


def test_faq_missing_columns(tmp_path):
    problems = problems_for(tmp_path, {"faq.csv": "q,a\n有年费吗,没有\n"})
    assert problems == [
        "articles/faq.csv:1: missing column(s) question, answer; one of the first 5 rows must "
        "be a header with at least 'question' and 'answer' (found: q, a)"
    ]


def test_jsonl_faq(tmp_path):
    lines = [
        json.dumps(
            {
                "question": "How long do refunds take?",
                "answer": "3-7 business days.",
                "slug": "refund-time",
            }
        ),
        "{not json",
        json.dumps(["a list"]),
    ]
    problems = problems_for(tmp_path, {"faq.jsonl": "\n".join(lines) + "\n"})
    assert problems[0].startswith("articles/faq.jsonl:2: invalid JSON")
    assert problems[1] == "articles/faq.jsonl:3: each line must be a JSON object"
    root = write_articles(tmp_path / "ok", {"faq.jsonl": lines[0] + "\n"})
    (article,) = load_articles(root)
    assert (article.slug, article.language) == ("refund-time", Language.EN)


def test_xlsx_faq_reads_every_sheet_with_excel_row_numbers(tmp_path):
    root = tmp_path / "a"
    root.mkdir()
    path = root / "faq.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame(
            {"question": ["有年费吗", "可以开两个账户吗"], "answer": ["没有。", None]}
        ).to_excel(writer, sheet_name="FAQ", index=False)
        pd.DataFrame({"question": ["第二个表"], "answer": ["也读取"]}).to_excel(
            writer, sheet_name="Other", index=False
        )
    with pytest.raises(ValidationError) as info:
        load_articles(root)
    assert [str(p) for p in info.value.problems] == [
        "a/faq.xlsx[FAQ]:3: empty 'answer' cell; fill it in or delete the row"
    ]
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"question": ["有年费吗"], "answer": ["没有。"]}).to_excel(writer, index=False)
    (article,) = load_articles(path)
    assert (article.slug, article.body) == (f"faq-{question_id('有年费吗')}", "没有。")


def test_front_matter_escapes_cannot_carry_invalid_or_invisible_characters(tmp_path):
    """YAML decodes "\\ud800" and "\\u200b" in quoted values after the file's text was cleaned."""
    (tmp_path / "a.md").write_text(
        '---\ntitle: "年费\\ud800\\u200b说明\\x07"\ntags: ["a\\udfff", "b\\u202e"]\n'
        'updated: "2024\\ud800"\ncategory: "fees\\u200b"\n---\n正文\n',
        encoding="utf-8",
    )
    (article,) = load_articles(tmp_path)
    assert (article.title, article.tags, article.updated) == ("年费说明", ("a", "b"), "2024")
    assert article.category == "fees"
