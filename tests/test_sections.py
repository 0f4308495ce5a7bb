"""The section an answer shows (issue 14 item 3): the one whose heading answers the question."""

from __future__ import annotations

import numpy as np
import pytest

from kb import build_index, load_searcher
from kb.retrieval.hits import Hit
from kb.retrieval.sections import answering_index, heading_units, with_text
from kb.testing import write_articles

TITLE = "提现多久到账"
HEADINGS = [
    (0, TITLE),
    (2, "到账时间怎么计算"),
    (2, "可能延迟的原因"),
    (2, "超过 3 个工作日没到账怎么办"),
]
ANCHORS = ["top", "calc", "delay", "late"]


@pytest.mark.parametrize(
    ("query", "retrieved", "wanted"),
    [
        ("提现要多久到账", 2, "top"),  # the example: the title answers
        ("提现多久能到", 3, "top"),
        ("为什么会延迟", 0, "delay"),  # a heading answers better than the title
        ("超过 3 个工作日没到账", 2, "late"),
        ("到账时间怎么算", 0, "calc"),
        ("why is my withdrawal late", 2, "delay"),  # nothing shared: the retrieved section
        ("到账", 3, "late"),  # a tie between title and section: the retrieved one
        ("到账", 2, "top"),  # a tie the retrieved section is not in: the earliest
    ],
)
def test_the_section_whose_heading_matches_best_is_shown(query, retrieved, wanted):
    assert ANCHORS[answering_index(query, TITLE, HEADINGS, retrieved)] == wanted


def test_english_headings_compare_by_content_words():
    headings = [(0, "Withdrawal fees"), (2, "Check the fee before you confirm")]
    assert answering_index("what are the withdrawal fees", "Withdrawal fees", headings, 1) == 0
    assert "the" not in heading_units("check the fee") and "fee" in heading_units("the fee")
    assert heading_units("提现要多久到账") & heading_units(TITLE) >= {"提现", "多久", "到账"}


ARTICLE = {
    "w/withdrawal-time.md": """\
        ---
        title: 提现多久到账
        ---
        一般 1-3 个工作日。

        ## 可能延迟的原因
        提现要多久到账？提现要多久到账取决于银行：提现要多久到账，遇到长假会更久。

        ## 提现记录
        在资金记录里查看每笔提现。
        """,
}


def test_the_searcher_shows_the_intro_when_the_title_answers(tmp_path):
    index = tmp_path / "index"
    build_index(write_articles(tmp_path / "articles", ARTICLE), index, encoder="hash:64")
    searcher = load_searcher(index, "public", encoder="hash:64")
    # a hit on the chunk of "可能延迟的原因", as retrieval gave for the question
    row = int(np.flatnonzero(searcher.index.chunk_section == 1)[0])
    hits = [Hit(row=row, score=1.0)]
    searcher.choose_sections = False
    assert searcher.answers(hits, "提现要多久到账", 1)[0].section == "可能延迟的原因"
    searcher.choose_sections = True
    shown = searcher.answers(hits, "提现要多久到账", 1)[0]
    assert shown.anchor == "top" and "1-3 个工作日" in shown.snippet_text
    assert shown.url.endswith("#top")  # the card's and source link's section too
    assert searcher.answers(hits, "延迟的原因", 1)[0].section == "可能延迟的原因"


@pytest.mark.parametrize(
    ("index", "empty", "shown"),
    [
        (1, True, 2),  # a ## with no text over ###s: its first subsection
        (1, False, 1),  # with text of its own: itself
        (3, True, 3),  # empty, but the next heading is a sibling: itself
        (4, True, 4),  # empty and last: itself
    ],
)
def test_a_heading_without_text_over_subsections_shows_the_first_one(index, empty, shown):
    headings = [(0, "付款失败"), (2, "常见原因"), (3, "余额不足"), (3, "卡被冻结"), (2, "其他")]
    assert with_text(index, headings, empty) == shown


def test_the_searcher_never_shows_a_card_of_a_heading_alone(tmp_path):
    articles = {
        "payment-failed.md": "---\ntitle: 付款失败怎么办\n---\n先检查网络。\n\n"
        "## 常见原因和解决方法\n\n### 余额不足\n充值后重试。\n\n### 银行卡被冻结\n联系发卡银行解冻。\n"
    }
    index = tmp_path / "index"
    build_index(write_articles(tmp_path / "articles", articles), index, encoder="hash:64")
    searcher = load_searcher(index, "public", encoder="hash:64")
    parent = int(np.flatnonzero(searcher.index.chunk_section == 1)[0])  # the ## heading's chunk
    for choose in (False, True):
        searcher.choose_sections = choose
        shown = searcher.answers([Hit(row=parent, score=1.0)], "常见原因和解决方法", 1)[0]
        assert shown.section == "余额不足" and shown.snippet_text == "充值后重试。"
        assert shown.url.endswith("#余额不足")
