"""Issue 13, done-when: the live index is never changed by a failed import. Each kind of bad
source (a workbook with a bad cell on its second sheet, a damaged or incomplete help-center export,
a docs-site page with a bad field, a bad questions.yaml or categories.yaml) fails the build and the
gated build with `path[:sheet]:line`; the live version, and what it answers, stay as they were."""

from __future__ import annotations

import json

import openpyxl
import pytest

from kb import build_index, load_searcher
from kb.cli import main
from kb.index import versions
from kb.testing import TINY, write_articles

QUERIES = ["忘记登录密码怎么办", "提现多久到账", "Payment failed"]


def _workbook(root):
    book = openpyxl.Workbook()
    book.active.append(["question", "answer"])
    book.active.append(["年费多少", "没有年费。"])
    second = book.create_sheet("Payments")
    second.append(["question", "answer"])
    second.append(["怎么付款", '=HYPERLINK("https://example.com")'])  # a formula, not text
    book.save(root / "faq.xlsx")
    return "faq.xlsx[Payments]:2: 'answer' cell is a spreadsheet formula"


def _export_without_title(root):
    article = {"id": 1, "body": "<p>x</p>", "locale": "zh-cn", "draft": False}
    (root / "export.json").write_text(json.dumps({"articles": [article]}), encoding="utf-8")
    return "export.json:"


def _damaged_export(root):
    (root / "export.json").write_text('{"articles": [{"id": 1, "title": "t"', encoding="utf-8")
    return "export.json:1: invalid JSON"


def _mdx(root):
    (root / "page.mdx").write_text("---\ntitle: 页面\nlanguage: fr\n---\n正文\n", encoding="utf-8")
    return "page.mdx:3: unknown language 'fr'"


def _questions(root):
    (root / "questions.yaml").write_text("no-such-article:\n  - 问题\n", encoding="utf-8")
    return "questions.yaml:1: unknown slug 'no-such-article'"


def _categories(root):
    (root / "categories.yaml").write_text("account:\n  zh: 账户\n", encoding="utf-8")
    return "categories.yaml:"


@pytest.mark.parametrize(
    "damage", [_workbook, _export_without_title, _damaged_export, _mdx, _questions, _categories]
)
@pytest.mark.parametrize("gate", [False, True])
def test_a_failed_import_leaves_the_live_version_and_its_answers_alone(
    tmp_path, capsys, monkeypatch, damage, gate
):
    monkeypatch.setenv("KB_ENCODER", "hash:64")
    articles = write_articles(tmp_path / "articles", TINY)
    index = tmp_path / "index"
    build_index(articles, index, encoder="hash:64")
    live = versions.current_version(index)
    searcher = load_searcher(index, "public", encoder="hash:64")
    before = [[(a.slug, a.score) for a in searcher.search(q)] for q in QUERIES]
    where = damage(articles)
    (tmp_path / "queries.jsonl").write_text(
        '{"query": "提现多久到账", "relevant": ["withdrawal-time"]}\n', encoding="utf-8"
    )
    argv = ["build", "--articles", str(articles), "--index", str(index)]
    argv += ["--gate", "--queries", str(tmp_path / "queries.jsonl")] if gate else []
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert where in err and "the live index is unchanged" in err
    assert versions.current_version(index) == live
    assert versions.versions(index) == [live]  # nothing half-written kept beside it
    searcher = load_searcher(index, "public", encoder="hash:64")
    assert [[(a.slug, a.score) for a in searcher.search(q)] for q in QUERIES] == before
