"""categories.yaml (display names, issue 14 item 4) and `translation_of` language groups (item 6):
validated at load with `path:line` problems, read back from a built index."""

from __future__ import annotations

import pytest

from kb import build_index
from kb.index import open_store
from kb.ingest.categories import load_category_names
from kb.ingest.loader import load_articles, validate
from kb.retrieval.translations import language_versions, preferred_version
from kb.testing import write_articles

ARTICLES = {
    "w/fees.md": "---\ntitle: 提现手续费\ncategory: withdrawals\n---\n收取 1% 手续费。\n",
    "w/fees-en.md": (
        "---\ntitle: Withdrawal fees\ncategory: withdrawals\nlanguage: en\n"
        "translation_of: fees\n---\nWe charge 1%.\n"
    ),
    "a/lock.md": "---\ntitle: 账户锁定\ncategory: account-security\n---\n输错 5 次会锁定。\n",
}
NAMES = """\
withdrawals:
  zh: 提现
  en: Withdrawals
account-security:
  zh: 账户安全
  en: Account security
"""


def write(tmp_path, categories: str | None = NAMES, extra: dict | None = None):
    root = write_articles(tmp_path / "articles", {**ARTICLES, **(extra or {})})
    if categories is not None:
        (root / "categories.yaml").write_text(categories, encoding="utf-8")
    return root


def test_category_names_are_read_in_both_languages(tmp_path):
    names = load_category_names(write(tmp_path))
    assert names["account-security"] == {"zh": "账户安全", "en": "Account security"}
    assert load_articles(tmp_path / "articles")  # a complete file passes


def test_without_a_categories_file_nothing_changes(tmp_path):
    assert validate(write(tmp_path, None)) == [] and load_category_names(tmp_path) == {}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (NAMES + "payments:\n  zh: 支付\n  eng: Payments\n", 7, ["'eng'", "did you mean 'en'"]),
        (NAMES + "payments:\n  zh: 支付\n", 7, ["'en'", "payments"]),
        (NAMES + "payments:\n  zh: ''\n  en: Payments\n", 7, ["'zh'"]),
        (NAMES + "payments: 支付\n", 7, ["must map 'zh' and 'en'"]),
        (NAMES + "Pay Ments:\n  zh: 支付\n  en: Payments\n", 7, ["invalid category code"]),
        (NAMES + "withdrawals:\n  zh: 取现\n  en: Cash out\n", 7, ["given twice"]),
        (NAMES + "payments:\n  zh: [支付\n", 8, ["invalid YAML"]),
        ("- withdrawals\n- account-security\n", 1, ["must map category codes"]),
        (NAMES + "payments:\n  zh: 支付\n  en: 3\n", 7, ["'en'"]),
    ],
)
def test_a_bad_categories_file_is_refused_at_its_line(tmp_path, text, line, words):
    problems = validate(write(tmp_path, text))
    found = [p for p in problems if p.path.endswith("categories.yaml")]
    assert found, problems
    assert found[0].line == line, found
    messages = " ".join(p.message for p in found if p.line == line)
    for word in words:
        assert word in messages
    assert load_category_names(tmp_path / "articles") == {}  # front ends then show codes


@pytest.mark.parametrize("category", ["payments", "withdrawal", "account"])
def test_an_article_whose_category_is_not_listed_is_refused(tmp_path, category):
    extra = {"p/x.md": f"---\ntitle: 新文章\ncategory: {category}\n---\n正文。\n"}
    problems = validate(write(tmp_path, extra=extra))
    assert len(problems) == 1 and problems[0].path.endswith("x.md")
    assert (
        f"{category!r} is not in" in problems[0].message
        and "categories.yaml" in problems[0].message
    )


@pytest.mark.parametrize(
    ("front", "words"),
    [
        ("translation_of: missing-article", "not an article's slug"),
        ("translation_of: bad slug!", "invalid slug"),
        ("translation_of: x", "itself"),
        ("translation_of: fees-en", "itself a translation"),
        ("translation_of: lock\nlanguage: zh", "same language"),
        ("translation_of: fees\nlanguage: en", "already the en version"),
    ],
)
def test_translation_of_must_name_an_original_in_another_language(tmp_path, front, words):
    extra = {"p/x.md": f"---\ntitle: An article\ncategory: withdrawals\n{front}\n---\nText.\n"}
    problems = validate(write(tmp_path, extra=extra))
    assert len(problems) == 1 and words in problems[0].message, problems
    # the second translation into one language is named wherever the problem is reported
    assert problems[0].path.endswith("x.md") or "'x'" in problems[0].message


def test_language_versions_come_back_from_the_index(tmp_path):
    index = tmp_path / "index"
    build_index(write(tmp_path), index, encoder="hash:64")
    catalog = open_store(index).load("public").articles
    assert language_versions(catalog, "fees") == {"zh": "fees", "en": "fees-en"}
    assert language_versions(catalog, "fees-en") == {"zh": "fees", "en": "fees-en"}
    assert preferred_version(catalog, "fees", "en") == "fees-en"
    assert preferred_version(catalog, "fees-en", "zh") == "fees"
    assert preferred_version(catalog, "lock", "en") == "lock"  # no English version: itself
    assert language_versions(catalog, "nope") == {}


def test_adding_translation_of_alone_publishes_a_new_version(tmp_path):
    index = tmp_path / "index"
    root = write(tmp_path)
    english = root / "w" / "fees-en.md"
    english.write_text(english.read_text().replace("translation_of: fees\n", ""))
    build_index(root, index, encoder="hash:64")
    english.write_text(
        english.read_text().replace("language: en\n", "language: en\ntranslation_of: fees\n")
    )
    report = build_index(root, index, encoder="hash:64")
    assert report.published and report.changed == ["fees-en"]
    catalog = open_store(index).load("public").articles
    assert preferred_version(catalog, "fees", "en") == "fees-en"
