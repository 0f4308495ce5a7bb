"""Sections, stable anchors and chunk windows."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.ingest.chunking import anchor_for, chunk_article, parse_heading, split_sections
from kb.model import Article
from kb.options import ChunkSettings


def article(body: str, title: str = "标题") -> Article:
    return Article(slug="a", title=title, body=body, body_line=5)


def test_sections_split_at_headings_with_intro_first():
    sections = split_sections(article("简短回答。\n\n## 第一步\n内容一\n\n### 细节 A\n内容二\n"))
    assert [(s.heading, s.anchor, s.level, s.text) for s in sections] == [
        ("标题", "top", 0, "简短回答。"),
        ("第一步", "第一步", 2, "内容一"),
        ("细节 A", "细节-a", 3, "内容二"),
    ]
    assert [s.line for s in sections] == [5, 7, 10]


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("重置密码的步骤", "重置密码的步骤"),
        ("Card declined?", "card-declined"),
        ("Live chat (24/7)", "live-chat-24-7"),
        ("ＡＰＰ　闪退", "app-闪退"),
        ("!!!", "section"),
    ],
)
def test_anchor_from_heading(heading, anchor):
    assert anchor_for(heading) == anchor


def test_anchor_is_stable_when_other_sections_change():
    before = split_sections(article("## 甲\n一\n## 乙\n二\n"))
    after = split_sections(
        article("新增的简短回答。\n## 新的小节\n三\n## 甲\n改过的一\n## 乙\n二\n")
    )
    assert {s.heading: s.anchor for s in before}.items() <= {
        s.heading: s.anchor for s in after
    }.items()


def test_duplicate_headings_get_numbered_anchors():
    sections = split_sections(article("## 步骤\n一\n## 步骤\n二\n"))
    assert [s.anchor for s in sections] == ["步骤", "步骤-2"]


def test_headings_inside_code_fences_are_text():
    sections = split_sections(article("说明\n```\n# not a heading\n```\n## 真标题\n内容\n"))
    assert [s.heading for s in sections] == ["标题", "真标题"]
    assert "# not a heading" in sections[0].text


def test_markdown_is_flattened_for_search():
    (section,) = split_sections(
        article("点击 **[重置链接](https://example.com)** 即可。\n- 第一项\n")
    )
    assert section.text == "点击 重置链接 即可。\n第一项"


def test_short_section_is_one_chunk_with_title_and_heading_in_front():
    a = article("回答。\n## 步骤\n内容。\n")
    chunks = chunk_article(a, split_sections(a))
    assert [c.embed_text for c in chunks] == ["标题\n回答。", "标题 - 步骤\n内容。"]
    assert [c.section_index for c in chunks] == [0, 1]


def test_long_section_splits_into_overlapping_windows():
    body = "".join(f"这是第{i}句话，用来测试分块。" for i in range(40))
    a = article(body)
    settings = ChunkSettings(max_chars=100, overlap_chars=30)
    chunks = chunk_article(a, split_sections(a), settings)
    assert len(chunks) > 5
    assert all(len(c.text) <= 100 for c in chunks)
    for left, right in itertools.pairwise(chunks):
        assert right.text[:10] in left.text  # the next window starts inside the previous one
    joined = "".join(c.text for c in chunks)
    assert all(f"这是第{i}句话" in joined for i in range(40))


def test_run_on_line_without_punctuation_is_still_bounded():
    a = article("字" * 1000)
    chunks = chunk_article(a, split_sections(a), ChunkSettings(max_chars=200, overlap_chars=20))
    assert all(len(c.text) <= 200 for c in chunks)
    assert sum(len(c.text) for c in chunks) >= 1000


def test_chunk_ids_are_content_hashes():
    a = article("回答。\n## 步骤\n内容。\n")
    first = [c.chunk_id for c in chunk_article(a, split_sections(a))]
    assert first == [c.chunk_id for c in chunk_article(a, split_sections(a))]
    b = article("回答。\n## 步骤\n改过的内容。\n")
    second = [c.chunk_id for c in chunk_article(b, split_sections(b))]
    assert first[0] == second[0] and first[1] != second[1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_chars": 10}, r"max_chars \(10\) must be at least 50"),
        ({"max_chars": 100, "overlap_chars": 100}, r"overlap_chars \(100\) must be between 0 and"),
        ({"title_weight": -1}, r"title_weight \(-1\) must be >= 0"),
    ],
)
def test_bad_chunk_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ChunkSettings(**kwargs)


# the heading pattern this replaced: cubic on '# a' + 10,000 spaces + 'b' (tests/text/test_linear.py)
OLD_HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


@settings(max_examples=2000, deadline=None)
@given(line=st.text(st.sampled_from("#  \t\u3000\x0bab C#密"), max_size=14))
def test_parse_heading_gives_what_the_old_pattern_gave(line):
    match = OLD_HEADING_RE.match(line)
    expected = (len(match.group(1)), match.group(2).strip()) if match else None
    assert parse_heading(line) == expected
