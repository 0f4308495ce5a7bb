"""Issue 13 item 7: a help-center (Zendesk-style) JSON export imported through the same validation,
HTML to Markdown with a sanitiser first. The sample export in data/ is our own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kb import ValidationError, load_articles
from kb.ingest import load_report
from kb.ingest.ids import category_slug
from kb.options import Language, Visibility

SAMPLE = Path(__file__).parent / "data" / "helpcenter_export.json"


@pytest.fixture
def export(tmp_path) -> Path:
    root = tmp_path / "hc"
    root.mkdir()
    shutil.copy(SAMPLE, root / "export.json")
    return root


def test_the_sample_export_is_imported(export):
    report = load_report(export)
    assert report.problems == []
    by_slug = {a.slug: a for a in report.articles}
    assert sorted(by_slug) == ["zendesk-360001", "zendesk-360002", "zendesk-360004"]
    reset = by_slug["zendesk-360001"]
    assert reset.title == "How do I reset my password?"
    assert reset.language is Language.EN and reset.category == "account-security"
    assert reset.url.startswith("https://help.example.com/hc/en-us/articles/360001")
    assert reset.tags == ("password", "login") and reset.updated == "2026-04-02T08:00:00Z"
    assert "## If no e-mail arrives" in reset.body and "- Check the spam folder" in reset.body
    assert "**login**" in reset.body
    withdraw = by_slug["zendesk-360002"]
    assert withdraw.language is Language.ZH
    assert withdraw.category == category_slug("提现与充值")
    assert "| 银行卡 | 1-3 天 |" in withdraw.body
    assert any("skipped: draft article 'Upcoming fee changes'" in str(n) for n in report.notices)


def test_scripts_handlers_and_javascript_links_are_removed(export):
    body = {a.slug: a.body for a in load_articles(export)}["zendesk-360001"]
    for bad in ("script", "alert", "javascript:", "onclick", "steal"):
        assert bad not in body


def test_an_article_restricted_to_a_user_segment_is_internal(export):
    article = {a.slug: a for a in load_articles(export)}["zendesk-360004"]
    assert article.visibility is Visibility.INTERNAL


def _write(root: Path, articles: list[dict], **extra) -> Path:
    root.mkdir(exist_ok=True)
    (root / "export.json").write_text(
        json.dumps({"articles": articles, **extra}, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return root


GOOD = {"id": 1, "title": "T", "body": "<p>x</p>", "locale": "en-us"}


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ({"locale": "fr-fr"}, "unknown language 'fr'"),
        ({"html_url": "javascript:alert(1)"}, "invalid url"),
        ({"title": ""}, "article has no 'title'"),
        ({"body": None}, "has no 'body'"),
        ({"label_names": [{"a": 1}]}, "field 'tags' must be text"),
    ],
)
def test_bad_articles_are_refused_on_their_line(tmp_path, bad, expected):
    root = _write(tmp_path / "hc", [{**GOOD, "id": 1}, {**GOOD, "id": 2, **bad}])
    with pytest.raises(ValidationError) as info:
        load_articles(root)
    (problem,) = info.value.problems
    text = (root / "export.json").read_text(encoding="utf-8").split("\n")
    second = next(i for i, line in enumerate(text, 1) if '"id": 2' in line) - 1  # its "{" line
    assert (problem.path, problem.line) == ("hc/export.json", second)
    assert expected in problem.message


def test_broken_json_names_its_line(tmp_path):
    root = tmp_path / "hc"
    root.mkdir()
    (root / "export.json").write_text('{"articles": [\n{"title": "a",\n}\n]}', encoding="utf-8")
    with pytest.raises(ValidationError, match=r"hc/export.json:3: invalid JSON"):
        load_articles(root)


def test_json_that_is_not_an_export_is_skipped_with_a_notice(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    (root / "_category_.json").write_text('{"label": "Guides", "position": 2}', encoding="utf-8")
    (root / "a.md").write_text("---\ntitle: t\n---\n正文\n", encoding="utf-8")
    report = load_report(root)
    assert [a.slug for a in report.articles] == ["a"] and report.problems == []
    assert any(
        "_category_.json" in str(n) and "not a help-center export" in str(n) for n in report.notices
    )
