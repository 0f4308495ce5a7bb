"""FAQ tables with Chinese (and Traditional) header names: accepted for exactly the names in
ALIASES, still failing closed on anything misspelt, repeated or unknown (issue 14, item 12)."""

from __future__ import annotations

import json

import pytest

from kb import ValidationError, load_articles
from kb.options import Visibility


def load(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_articles(path)


def problems(tmp_path, name: str, text: str) -> list[str]:
    with pytest.raises(ValidationError) as info:
        load(tmp_path, name, text)
    return [p.message for p in info.value.problems]


@pytest.mark.parametrize(
    "header",
    [
        "编号,问题,答案,分类,可见性",
        "编号,提问,回答,类别,可见范围",
        "編號,問題,答案,分類,可見性",  # Traditional
        "编号, 问题 ,答案,分类,可见性",
        "id,问题,answer,category,可见性",  # mixed
    ],
)
def test_chinese_headers_are_read_as_their_columns(tmp_path, header):
    rows = "fee,有年费吗,没有年费。,payments,public\nsecret,审批流程,主管审批。,internal,internal\n"
    by_slug = {a.slug: a for a in load(tmp_path, "faq.csv", f"{header}\n{rows}")}
    assert by_slug["fee"].title == "有年费吗" and by_slug["fee"].category == "payments"
    assert by_slug["secret"].visibility is Visibility.INTERNAL


def test_chinese_keys_in_jsonl(tmp_path):
    line = {"问题": "有年费吗", "答案": "没有。", "可见性": "internal", "标签": "费用,年费"}
    (article,) = load(tmp_path, "faq.jsonl", json.dumps(line, ensure_ascii=False) + "\n")
    assert article.visibility is Visibility.INTERNAL and article.tags == ("费用", "年费")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("问题,答案,可见", "unknown column '可见'"),  # not an alias: refused, not ignored
        ("问题,答案,可见姓", "unknown column '可见姓'"),  # misspelt alias
        ("问题,question,答案", "column 'question' appears twice"),  # the same column twice
        ("问题,答案,可见性,visibility", "column 'visibility' appears twice"),
    ],
)
def test_aliases_still_fail_closed(tmp_path, header, expected):
    width = header.count(",") + 1
    row = ",".join(["有年费吗", "没有。", "internal", "internal"][:width])
    messages = problems(tmp_path, "faq.csv", f"{header}\n{row}\n")
    assert any(expected in m for m in messages), messages


def test_unknown_chinese_header_suggests_the_nearest_name(tmp_path):
    messages = problems(tmp_path, "faq.csv", "问题,答案,可见性别\n有年费吗,没有。,internal\n")
    assert any("did you mean '可见性'" in m for m in messages), messages
