"""Corpora of hostile input, shared by the tests that prove each kind is handled and by
scripts/reliability_report.py, which counts them for docs/RELIABILITY.md.

BAD: article sources that must be refused with `path:line: message` (name -> files, expected
message start). ACCEPTED: unusual but valid sources (name -> files, query, slug it must find
first). QUERIES: hostile queries that must answer safely with bounded work. `probes`: texts of the
sample's internal articles that the public role must never find.
"""

from __future__ import annotations

from pathlib import Path

from ..ingest import load_articles, split_sections
from ..ingest.faq import question_id
from ..ingest.fields import default_slug
from ..text import sentences
from .hostile import GOOD, MORE_BAD
from .hostile import xlsx_writer as _xlsx

MUTATION_EXAMPLES = 400  # random FAQ-table mutations per run of the visibility property test


# name -> (files, expected "relative/path:line: message start")
BAD: dict[str, tuple[dict, str]] = {
    "invalid YAML": ({"a.md": "---\ntitle: [oops\n---\n正文\n"}, "a.md:2: invalid YAML"),
    "YAML tab indentation": (
        {"a.md": "---\ntitle: t\n\tslug: x\n---\n正文\n"},
        "a.md:3: invalid YAML",
    ),
    "front matter not closed": ({"a.md": "---\ntitle: t\n正文\n"}, "a.md:1: front matter opened"),
    "no front matter": ({"a.md": "# 标题\n正文\n"}, "a.md:1: missing front matter"),
    "front matter is a list": ({"a.md": "---\n- a\n---\n正文\n"}, "a.md:2: front matter must be"),
    "title as a list": (
        {"a.md": "---\ntitle: [a, b]\n---\n正文\n"},
        "a.md:2: field 'title' must be text",
    ),
    "title as a mapping": (
        {"a.md": "---\ntitle: {a: 1}\n---\n正文\n"},
        "a.md:2: field 'title' must be text",
    ),
    "tags as a number": (
        {"a.md": "---\ntitle: t\ntags: 5\n---\n正文\n"},
        "a.md:3: field 'tags' must be a list",
    ),
    "tags as a comma-separated text": (
        {"a.md": "---\ntitle: t\ntags: 退款, 提现\n---\n正文\n"},
        "a.md:3: field 'tags' must be a list, got the text '退款, 提现'; write tags: [退款, 提现]",
    ),
    "updated that is not a date": (
        {"a.md": "---\ntitle: t\nupdated: 昨天\n---\n正文\n"},
        "a.md:3: field 'updated' must be a date like 2026-05-01",
    ),
    "unclosed quote in front matter": (
        {"a.md": '---\ntitle: "年费说明\nslug: fees\ncategory: a\n\ntags: [a]\n---\n正文\n'},
        "a.md:2: invalid YAML in front matter: the quote opened on this line is never closed",
    ),
    "duplicate slug reported at its slug line": (
        {
            "a.md": "---\ntitle: t\nslug: fee\n---\n正文\n",
            "b.md": "---\ntitle: u\ncategory: x\nslug: fee\n---\n正文\n",
        },
        "b.md:4: duplicate slug 'fee'",
    ),
    "docs-site field that is not a layout field": (
        {"a.md": "---\ntitle: t\nweight: 3\nvisiblity: internal\n---\n正文\n"},
        "a.md:4: unknown field 'visiblity'; did you mean 'visibility'?",
    ),
    "FAQ problem on a later sheet of a workbook": (
        {
            "faq.xlsx": _xlsx(
                {
                    "One": [["question", "answer"], ["年费", "没有"]],
                    "Two": [["问题", "答案"], ["提现", None]],
                }
            )
        },
        "faq.xlsx[Two]:2: empty 'answer' cell",
    ),
    "help-center export with an unknown locale": (
        {
            "export.json": '{"articles": [\n  {"id": 1, "title": "Fees", "body": "<p>1%</p>",\n'
            '   "locale": "fr-fr"}\n]}\n'
        },
        "export.json:2: article 1 (id 1): unknown language 'fr'",
    ),
    "question column given as a text in front matter": (
        {"a.md": "---\ntitle: t\nquestions: 忘了密码, 找回密码\n---\n正文\n"},
        "a.md:3: field 'questions' must be a list",
    ),
    "missing title": ({"a.md": "---\ncategory: x\n---\n正文\n"}, "a.md:1: missing title"),
    "empty title": ({"a.md": "---\ntitle: ''\n---\n正文\n"}, "a.md:2: missing title"),
    "unknown language": (
        {"a.md": "---\ntitle: t\nlanguage: cn\n---\n正文\n"},
        "a.md:3: unknown language 'cn'",
    ),
    "unknown visibility": (
        {"a.md": "---\ntitle: t\nvisibility: private\n---\n正文\n"},
        "a.md:3: unknown visibility 'private'",
    ),
    "unknown field": (
        {"a.md": "---\ntitle: t\ncatgory: x\n---\n正文\n"},
        "a.md:3: unknown field 'catgory'",
    ),
    "invalid category": (
        {"a.md": "---\ntitle: t\ncategory: 支付 方式\n---\n正文\n"},
        "a.md:3: invalid category",
    ),
    "javascript url": (
        {"a.md": "---\ntitle: t\nurl: javascript:alert(1)\n---\n正文\n"},
        "a.md:3: invalid url",
    ),
    "duplicate slugs": ({"a.md": GOOD, "sub/a.md": GOOD}, "sub/a.md:4: duplicate slug 'a'"),
    "duplicate slug across Markdown and FAQ": (
        {
            "a.md": "---\ntitle: t\nslug: fee\n---\n正文\n",
            "faq.csv": "slug,question,answer\nfee,问,答\n",
        },
        "duplicate slug 'fee'",
    ),
    "slug with path separator": (
        {"a.md": "---\ntitle: t\nslug: x/y\n---\n正文\n"},
        "a.md:3: invalid slug 'x/y'",
    ),
    "slug with ..": ({"a.md": "---\ntitle: t\nslug: ..\n---\n正文\n"}, "a.md:3: invalid slug '..'"),
    "non-UTF-8 (GBK)": ({"a.md": GOOD.encode("gbk")}, "a.md:2: not valid UTF-8"),
    "non-UTF-8 (Big5)": (
        {"a.md": "---\ntitle: 帳戶\n---\n內容\n".encode("big5")},
        "a.md:2: not valid UTF-8",
    ),
    "UTF-16": ({"a.md": GOOD.encode("utf-16")}, "a.md:1: file is UTF-16"),
    "binary file with .md name": (
        {"a.md": b"\x89PNG\r\n\x1a\n\x00\x00IHDR" * 10},
        "a.md:1: binary file",
    ),
    "empty file": ({"a.md": ""}, "a.md:1: file is empty"),
    "only front matter": ({"a.md": "---\ntitle: t\n---\n"}, "a.md:4: article body is empty"),
    "20 MB article": (
        {"a.md": "---\ntitle: t\n---\n" + "很长的内容。" * 1_200_000},
        "a.md:1: file is 21,600,017 bytes, over the 2,000,000-byte limit",
    ),
    "1 MB line without spaces": (
        {"a.md": "---\ntitle: t\n---\n开头\n" + "x" * 1_000_000 + "\n"},
        "a.md:5: line has a run of 1,000,000 characters",
    ),
    "FAQ missing columns": (
        {"faq.csv": "题目,说明\n年费,没有\n"},
        "faq.csv:1: missing column(s) question, answer",
    ),
    "FAQ empty cell": (
        {"faq.csv": "question,answer\n有年费吗,\n"},
        "faq.csv:2: empty 'answer' cell",
    ),
    "FAQ formula (CSV)": (
        {"faq.csv": "question,answer\n有年费吗,=A1&B1\n"},
        "faq.csv:2: 'answer' cell is a spreadsheet formula",
    ),
    "FAQ formula (xlsx)": (
        {"faq.xlsx": _xlsx({"FAQ": [["question", "answer"], ["年费", "=CONCAT(A1,B1)"]]})},
        "faq.xlsx:2: 'answer' cell is a spreadsheet formula",
    ),
    "FAQ row with too many cells": (
        {"faq.csv": "question,answer\n年费,没有,多余\n"},
        "faq.csv:2: row has 3 cells",
    ),
    "FAQ unknown visibility": (
        {"faq.csv": "question,answer,visibility\n年费,没有,secret\n"},
        "faq.csv:2: unknown visibility 'secret'",
    ),
    "FAQ misspelt visibility column": (
        {"faq.csv": "id,question,answer,visiblity\nx,内部流程,主管审批,internal\n"},
        "faq.csv:1: unknown column 'visiblity'; did you mean 'visibility'?",
    ),
    "FAQ column named twice": (
        {"faq.csv": "question,answer,visibility,Visibility\n年费,没有,internal,public\n"},
        "faq.csv:1: column 'visibility' appears twice",
    ),
    "FAQ row with too few cells": (
        {"faq.csv": "question,answer,visibility\n年费,没有,public\n内部流程,主管审批\n"},
        "faq.csv:3: row has 2 cells but the header has 3",
    ),
    "FAQ empty visibility cell": (
        {"faq.csv": "question,answer,visibility\n年费,没有,public\n内部流程,主管审批,\n"},
        "faq.csv:3: empty 'visibility' cell",
    ),
    "FAQ value under a column without a name": (
        {"faq.csv": "question,answer,\n年费,没有,internal\n"},
        "faq.csv:2: column 3 has the value 'internal' but no header name",
    ),
    "FAQ unknown JSON key": (
        {"faq.jsonl": '{"question": "年费", "answer": "没有", "visiblity": "internal"}\n'},
        "faq.jsonl:1: unknown key 'visiblity'; did you mean 'visibility'?",
    ),
    "FAQ JSON key given twice": (
        {
            "faq.jsonl": '{"question": "年费", "answer": "没有", "visibility": "internal", '
            '"visibility": "public"}\n'
        },
        "faq.jsonl:1: key 'visibility' appears twice",
    ),
    "front matter field given twice": (
        {"a.md": "---\ntitle: t\nvisibility: internal\nvisibility: public\n---\n正文\n"},
        "a.md:4: invalid YAML in front matter: field 'visibility' is given twice",
    ),
    "FAQ invalid JSON line": (
        {"faq.jsonl": '{"question": "年费", "answer": "没有"}\n{oops\n'},
        "faq.jsonl:2: invalid JSON",
    ),
    "FAQ empty table": ({"faq.csv": ""}, "faq.csv:1: table is empty"),
    "FAQ in UTF-16": (
        {"faq.csv": "question,answer\n年费,没有\n".encode("utf-16")},
        "faq.csv:1: file is UTF-16",
    ),
}

BAD.update(MORE_BAD)  # limits, damaged tables, links and formulas (kb/testing/hostile.py)

# name -> (files, query that must find the article first, its slug)
ACCEPTED: dict[str, tuple[dict, str, str]] = {
    "zero-width characters inside words": (
        {"zw.md": "---\ntitle: 忘记\u200b密码\n---\n点击\u200b忘记密\u200c码\u200d重置。\n"},
        "忘记密码",
        "zw",
    ),
    "control characters": (
        {"ctl.md": "---\ntitle: 退款\x07进度\n---\n退款\x1b[31m 三到七天\x08到账。\n"},
        "退款进度",
        "ctl",
    ),
    "right-to-left text": (
        {
            "rtl.md": "---\ntitle: استرداد الأموال\nlanguage: en\n---\n"
            "\u202eطلب استرداد\u202c الأموال خلال سبعة أيام.\n"
        },
        "استرداد الأموال",
        "rtl",
    ),
    "emoji": (
        {"emoji.md": "---\ntitle: 红包 🧧 活动\n---\n领取 🎁 红包，满 100 减 10 🎉。\n"},
        "红包活动 🎉",
        "emoji",
    ),
    "UTF-8 with byte-order mark": (
        {"bom.md": "\ufeff---\ntitle: 开户年龄\n---\n年满 18 岁即可开户。\n"},
        "开户年龄",
        "bom",
    ),
    "Chinese file name for a FAQ table": (
        {"常见问题.csv": "question,answer\n开户年龄,年满 18 岁即可开户。\n"},
        "开户年龄",
        f"{default_slug('常见问题', 111)}-{question_id('开户年龄')}",
    ),
    "Chinese file name for an article": (
        {"开户.md": "---\ntitle: 开户年龄\n---\n年满 18 岁即可开户。\n"},
        "开户年龄",
        default_slug("开户"),
    ),
    "lone surrogate in a JSONL row": (
        {"hb.jsonl": '{"question": "红包\\ud800活动", "answer": "领取红包，满 100 减 10。"}\n'},
        "红包活动",
        f"hb-{question_id('红包活动')}",
    ),
    "lone surrogate and zero-width escapes in front matter": (
        {
            "esc.md": '---\ntitle: "红包\\ud800活\\u200b动"\ntags: ["\\udfff红包"]\n---\n领取红包。\n'
        },
        "红包活动",
        "esc",
    ),
    "classic Mac line ends in a CSV": (
        {"mac.csv": "question,answer\r开户年龄,年满 18 岁即可开户。\r"},
        "开户年龄",
        f"mac-{question_id('开户年龄')}",
    ),
    # a title row (merged banner) above the header: the header is found on row 2 (issue 13)
    "FAQ title row above the header": (
        {
            "faq.xlsx": _xlsx(
                {"FAQ": [["OKPay 常见问题 2026", None], ["question", "answer"], ["年费", "没有"]]},
                merged="A1:B1",
            )
        },
        "年费",
        f"faq-{question_id('年费')}",
    ),
    "FAQ data on a sheet that is not the first": (
        {"faq.xlsx": _xlsx({"Cover": [], "FAQ": [["question", "answer"], ["年费", "没有"]]})},
        "年费",
        f"faq-{question_id('年费')}",
    ),
}

QUERIES = {
    "empty": "",
    "whitespace": " \t\n\u3000 ",
    "100 KB": "提现" * 51_200,
    "100 KB without spaces, Latin": "a" * 102_400,
    "control characters": "\x00\x01\x1b[31m忘记密码\x07\x7f",
    "SQL injection": "'; DROP TABLE searches; --",
    "HTML injection": "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "only punctuation": "？！。，、…—!?.,;:()[]{}",
    "only emoji": "🧧🎉😀👍🏽",
    "right-to-left override": "\u202e密码忘记\u202c",
    "zero-width only": "\u200b\u200c\u200d",
    "lone surrogate": "\ud800",
    "lone surrogates around words": "\udfff忘记密码\ud83d",
    "noncharacters": "\ufffe\uffff\ufdd0密码\U0010ffff",
    "surrogate right at the length cap": "密" * 511 + "\ud83d\ude00",
    "heading padded with 10,000 spaces": "# a" + " " * 10_000 + "b",
    "100 KB of newlines": "\n" * 102_400,
    "100 KB of open brackets": "[" * 102_400,
    "100 KB of link openers": "[a](" * 25_600,
    "100 KB of mixed Markdown": "# a [b](c) **d** - e > f 密码。\n\t  " * 3_000,
}


def probes(articles: Path) -> list[tuple[str, str]]:
    """(slug, text) for every internal article under `articles`: its title, each heading and up
    to six body sentences longer than 8 characters."""
    out = []
    for article in load_articles(articles):
        if article.is_public:
            continue
        sections = split_sections(article)
        texts = [article.title] + [s.heading for s in sections if s.level]
        texts += [s for sec in sections for s in sentences(sec.text) if len(s) > 8][:6]
        out += [(article.slug, text) for text in texts]
    return out


def secret_phrases(articles: Path) -> list[str]:
    """Sentences over 15 characters that only internal articles contain: none may reach a
    public page."""
    loaded = load_articles(articles)
    public_text = " ".join(a.title + a.body for a in loaded if a.is_public)
    return [
        s
        for a in loaded
        if not a.is_public
        for sec in split_sections(a)
        for s in sentences(sec.text)
        if len(s) > 15 and s not in public_text
    ]
