"""Issue 13 item 5 (docs-site front matter, .mdx, files skipped) and issue 14 item 13 (front-matter
errors on the right line, wrong types refused)."""

from __future__ import annotations

import pytest

from kb import ValidationError, load_articles
from kb.ingest import load_report
from kb.testing import write_articles

HUGO = """\
---
title: "Reset your password"
description: "How to get back into your account"
weight: 20
draft: false
aliases: [/old/reset/]
lastmod: 2026-03-01
tags: [password, login]
linkTitle: Reset
---
Open the login page and choose **Forgot password**.
"""
DOCUSAURUS = """\
---
id: withdraw
title: Withdrawal fees
sidebar_position: 3
sidebar_label: Fees
description: What a withdrawal costs
hide_table_of_contents: true
keywords: [fees]
---
Withdrawals cost 1%.
"""
STARLIGHT = """\
---
title: Card limits
description: Daily limits of the card
sidebar:
  order: 2
  badge: New
tableOfContents: false
editUrl: false
lastUpdated: 2026-01-05
---
The daily limit is 5,000.
"""
MKDOCS = """\
---
title: Close an account
hide:
  - navigation
icon: material/account
status: new
search:
  exclude: false
---
Write to support.
"""
DRAFT = "---\ntitle: Coming soon\ndraft: true\n---\nNot yet.\n"


def test_docs_site_pages_are_accepted_with_one_summary_line(tmp_path):
    root = write_articles(
        tmp_path / "site",
        {
            "hugo/reset.md": HUGO,
            "docusaurus/fees.md": DOCUSAURUS,
            "starlight/limits.md": STARLIGHT,
            "mkdocs/close.md": MKDOCS,
            "hugo/soon.md": DRAFT,
        },
    )
    report = load_report(root)
    assert report.problems == []
    by_slug = {a.slug: a for a in report.articles}
    assert sorted(by_slug) == ["close", "fees", "limits", "reset"]
    assert by_slug["reset"].summary == "How to get back into your account"
    assert by_slug["reset"].updated == "2026-03-01"
    assert by_slug["fees"].summary == "What a withdrawal costs"
    notices = [str(n) for n in report.notices]
    assert "site/hugo/soon.md:3: skipped: draft: true (set draft: false to publish it)" in notices
    summary = [n for n in notices if "ignored docs-site layout fields" in n]
    assert len(summary) == 1  # one line for all files, not one per file
    for name in ("weight (1)", "sidebar_position (1)", "tableofcontents (1)", "hide (1)"):
        assert name in summary[0]


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        ("title: t\nweight: 3\nvisiblity: internal\n", "a.md:4: unknown field 'visiblity'"),
        ("title: t\nsidebar_position: 1\nauthr: x\n", "a.md:4: unknown field 'authr'"),
        ("title: t\ndraft: maybe\n", "a.md:3: field 'draft' must be true or false"),
        ("title: t\ndescription: [a, b]\n", "a.md:3: field 'description' must be text"),
    ],
)
def test_unknown_and_bad_fields_are_still_refused(tmp_path, front, expected):
    (tmp_path / "a.md").write_text(f"---\n{front}---\n正文\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_articles(tmp_path)
    assert str(info.value.problems[0]).endswith(expected) or expected in str(info.value.problems[0])


MDX = """\
---
title: Transfer limits
---
import Tabs from '@theme/Tabs';
import TabItem from '@theme/TabItem';
export const meta = {a: 1};

<Tabs
  groupId="plan">
<TabItem value="basic">
Basic accounts can transfer 1,000 a day.
</TabItem>
</Tabs>

<Admonition type="tip">Limits reset at midnight.</Admonition>
{/* editors: update yearly */}

```js
import x from 'y'
```
"""


def test_mdx_is_read_as_markdown_without_jsx_and_imports(tmp_path):
    root = write_articles(tmp_path / "docs", {"limits.mdx": MDX, "other.md": HUGO})
    articles = {a.slug: a for a in load_articles(root)}
    assert sorted(articles) == ["limits", "other"]
    body = articles["limits"].body
    assert "Basic accounts can transfer 1,000 a day." in body
    assert "Limits reset at midnight." in body
    for gone in ("import Tabs", "export const", "<Tabs", "groupId", "</TabItem>", "{/*"):
        assert gone not in body
    assert "import x from 'y'" in body  # code blocks keep their text
    assert articles["limits"].body_line == 11  # line numbers unchanged


def test_files_skipped_are_listed_with_why(tmp_path):
    root = write_articles(
        tmp_path / "site",
        {
            "a.md": HUGO,
            "notes.txt": "todo",
            "page.html": "<p>x</p>",
            "_index.md": "---\ntitle: S\n---\n",
        },
    )
    (root / "logo.png").write_bytes(b"\x89PNG")
    report = load_report(root)
    assert report.problems == []
    notices = "\n".join(map(str, report.notices))
    for name in ("site/notes.txt", "site/page.html", "site/logo.png", "site/_index.md"):
        assert name in notices
    assert "'.png' files are not articles" in notices


def test_files_beside_the_articles_are_not_listed_as_skipped(tmp_path):
    """The editors' own files (synonyms, categories, reviewed questions) are read by their own
    code: no "skipped" notice for them, but one for a same-named file in a subfolder."""
    root = write_articles(
        tmp_path / "site",
        {
            "a.md": HUGO,
            "synonyms.txt": "退款, refund\n",
            "questions.yaml": "{}\n",
            "sub/synonyms.txt": "x, y\n",
        },
    )
    notices = "\n".join(map(str, load_report(root).notices))
    assert "site/synonyms.txt" not in notices and "questions.yaml" not in notices
    assert "sub/synonyms.txt" in notices


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        # an unclosed quote on line 2 is reported at line 2, not where YAML gives up
        (
            'title: "年费说明\nslug: fees\ncategory: a\n\ntags: [a]\nurl: /x\n',
            "a.md:2: invalid YAML in front matter: the quote opened on this line is never closed",
        ),
        (
            "title: t\ncategory: a\ntags: [退款, 提现\nslug: fees\nurl: /x\n",
            "a.md:4: invalid YAML in front matter: the '[' or '{' opened on this line",
        ),
        ("title: t\nupdated: 昨天\n", "a.md:3: field 'updated' must be a date like 2026-05-01"),
        ("title: t\nupdated: May 1\n", "a.md:3: field 'updated' must be a date"),
        ("title: t\nlastmod: soon\n", "a.md:3: field 'lastmod' must be a date"),
        (
            "title: t\ntags: 退款, 提现\n",
            "a.md:3: field 'tags' must be a list, got the text '退款, 提现'; write tags: [退款, 提现]",
        ),
        ("title: t\ntags: 退款，提现、转账\n", "write tags: [退款, 提现, 转账]"),
        ("title: t\nquestions: 忘了密码\n", "a.md:3: field 'questions' must be a list"),
    ],
)
def test_front_matter_errors_point_at_the_right_line(tmp_path, front, expected):
    (tmp_path / "a.md").write_text(f"---\n{front}---\n正文\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_articles(tmp_path)
    assert any(expected in str(p) for p in info.value.problems), info.value.problems


@pytest.mark.parametrize("value", ["2026-05-01", "2026-05-01T09:30:00+08:00", "2026-05", "2026"])
def test_dates_in_iso_form_are_accepted(tmp_path, value):
    (tmp_path / "a.md").write_text(
        f"---\ntitle: t\nupdated: {value}\n---\n正文\n", encoding="utf-8"
    )
    (article,) = load_articles(tmp_path)
    assert article.updated.startswith(value[:4])


def test_a_duplicate_slug_is_reported_at_its_slug_line(tmp_path):
    write_articles(
        tmp_path / "a",
        {
            "one.md": "---\ntitle: t\nslug: fee\n---\n正文\n",
            "two.md": "---\ntitle: u\ncategory: x\ntags: [a]\nslug: fee\n---\n\n正文\n",
        },
    )
    with pytest.raises(ValidationError) as info:
        load_articles(tmp_path / "a")
    assert [str(p) for p in info.value.problems] == [
        "a/two.md:5: duplicate slug 'fee' (also used by a/one.md:3); "
        "give one of them a different 'slug'"
    ]


# Issue 13 brief U item 5: a misspelt layout field is refused with a "did you mean" naming it.
@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("sidebar_positon", "sidebar_position"),
        ("sidebarposition", "sidebar_position"),
        ("wieght", "weight"),
        ("hide_tabel_of_contents", "hide_table_of_contents"),
    ],
)
def test_a_misspelt_layout_field_gets_a_did_you_mean(tmp_path, key, meant):
    (tmp_path / "a.md").write_text(f"---\ntitle: t\n{key}: 2\n---\n正文\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_articles(tmp_path)
    (problem,) = info.value.problems
    assert problem.line == 3 and f"unknown field '{key}'" in problem.message
    assert f"did you mean '{meant}'" in problem.message
