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
        ({"label_names": [{"a": 1}]}, "field 'label_names' must be text"),
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


# Issue 13 brief U item 2: a draft flag that is not JSON true/false fails closed; problems name
# their article by position and id, in the export's own field names; unknown sections are reported.


@pytest.mark.parametrize("draft", ["true", "false", "maybe", 1, 0, "", None, [], {"x": 1}])
def test_a_draft_flag_that_is_not_true_or_false_is_refused(tmp_path, draft):
    root = _write(tmp_path / "hc", [{**GOOD, "id": 1}, {**GOOD, "id": 7, "draft": draft}])
    with pytest.raises(ValidationError) as info:
        load_articles(root)
    (problem,) = info.value.problems
    assert problem.message.startswith("article 2 (id 7): 'draft' is ")
    assert "true or false" in problem.message


@pytest.mark.parametrize("draft", [True, False, "absent"])
def test_json_booleans_for_draft_are_accepted(tmp_path, draft):
    second = {**GOOD, "id": 2} if draft == "absent" else {**GOOD, "id": 2, "draft": draft}
    root = _write(tmp_path / "hc", [{**GOOD, "id": 1}, second])
    slugs = [a.slug for a in load_articles(root)]
    assert slugs == (["zendesk-1"] if draft is True else ["zendesk-1", "zendesk-2"])


def test_problems_in_a_one_line_export_name_the_article_and_export_fields(tmp_path):
    root = tmp_path / "hc"
    root.mkdir()
    items = [{**GOOD, "id": 1}, {**GOOD, "id": 2}, {**GOOD, "id": 360011, "locale": "xx-yy"}]
    (root / "zendesk.json").write_text(json.dumps({"articles": items}), encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_articles(root)
    (problem,) = info.value.problems
    assert (problem.path, problem.line) == ("hc/zendesk.json", 1)
    assert problem.message.startswith("article 3 (id 360011): ")
    assert "'locale'" in problem.message and "'language'" not in problem.message


def test_an_unknown_section_id_is_refused_naming_it(tmp_path):
    sections = [{"id": 11, "name": "Account"}]
    articles = [{**GOOD, "id": 1, "section_id": 11}, {**GOOD, "id": 2, "section_id": 99}]
    root = _write(tmp_path / "hc", articles, sections=sections)
    with pytest.raises(ValidationError) as info:
        load_articles(root)
    (problem,) = info.value.problems
    assert "article 2 (id 2): 'section_id' 99 is not in the export's 'sections'" in problem.message


def test_section_ids_without_any_sections_give_a_notice(tmp_path):
    root = _write(tmp_path / "hc", [{**GOOD, "id": 1, "section_id": 5}])
    report = load_report(root)
    assert report.problems == [] and len(report.articles) == 1
    assert any("no 'sections'" in str(n) for n in report.notices)
