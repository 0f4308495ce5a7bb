"""A pasted message longer than the search reads is searched by its questions; one that fits is
searched whole (kb/retrieval/pastes.py)."""

from __future__ import annotations

import pytest

from kb import load_searcher
from kb.retrieval.pastes import cut, question_focus
from kb.text import normalise

STORY = (
    "我用这个软件已经三年了，平时买菜、交水电费都用它。上个月换了新手机，数据都迁移过来了。"
    "朋友说别的软件更好用，但我还是习惯这个界面。之前打过一次电话，排队很久就挂了。"
    "网上的说法五花八门，不知道哪个是对的。我工作很忙，希望给个明确的说法。"
) * 2
STORY_EN = (
    "I have used the app for three years and I am mostly happy with it. Last month I moved to a "
    "new phone. I called once but waited too long in the queue, so I gave up. Online I found "
    "many different answers. "
) * 2


LIMIT = 200  # below every query of the first cases


@pytest.mark.parametrize(
    ("query", "focus"),
    [
        (STORY + "我想问的是：提现手续费怎么收？", "我想问的是:提现手续费怎么收?"),  # at the end
        ("提现手续费怎么收？" + STORY, "提现手续费怎么收?"),  # at the start
        (STORY + "提现失败了。怎么办？" + STORY, "提现失败了。 怎么办?"),  # short: + the one before
        (STORY_EN + "How much is the withdrawal fee?", "how much is the withdrawal fee?"),
        ("Why was my card declined? " + STORY_EN, "why was my card declined?"),
    ],
)
def test_a_paste_over_the_limit_is_searched_by_its_questions(query, focus):
    assert len(query) > LIMIT
    assert normalise(question_focus(query, LIMIT)).strip() == focus


@pytest.mark.parametrize(
    "query",
    [
        "提现手续费怎么收？我上个月提了一次，扣了不少钱。",  # short: searched whole
        STORY,  # long, but no question mark: searched whole
        "x" * 300,
        # within the limit: whole, as Banking77's long messages ask a bare "can you help?"
        "Can you help me with a weird charge? It's a pound charge that never goes away from the "
        "statement view in the app. It is only described as Pending, for two days now.",
    ],
)
def test_queries_within_the_limit_and_pastes_without_a_question_are_searched_whole(query):
    limit = LIMIT if len(query) > LIMIT and "?" not in query and "？" not in query else 512
    assert question_focus(query, limit) == query


def test_a_message_that_fits_is_searched_whole_by_the_searcher(built):
    _, index_dir, encoder = built
    public = load_searcher(index_dir, "public", encoder=encoder)
    query = "Can you help me? " + STORY_EN[:300] + " My withdrawal fee was charged twice."
    assert len(query) <= public.settings.max_query_chars
    assert public.prepare(query) == normalise(query).strip()


@pytest.mark.parametrize(
    ("query", "focus", "slug"),
    [
        (
            STORY * 3 + "请问提现到银行卡要收多少手续费？",
            "请问提现到银行卡要收多少手续费?",
            "withdrawal-fees",
        ),
        # over the limit, its question at the end (cut alone would keep it, with a story before)
        (STORY_EN * 4 + "How much is the withdrawal fee?", "how much is the withdrawal fee?", None),
    ],
)
def test_a_paste_over_the_limit_is_searched_by_its_question(built, query, focus, slug):
    _, index_dir, encoder = built
    public = load_searcher(index_dir, "public", encoder=encoder)
    assert len(query) > public.settings.max_query_chars
    assert public.prepare(query) == focus
    if slug is not None:
        assert public.search(query, 1)[0].slug == slug


@pytest.mark.parametrize("limit", [2, 3, 512, 513])
@pytest.mark.parametrize("size", [0, 100, 600, 5_000, 200_000])
def test_cut_keeps_both_ends_within_the_limit(limit, size):
    query = "开头" + "字" * size + "结尾"
    text = cut(query, limit)
    assert len(text) <= limit
    if len(query) <= limit:
        assert text == query  # nothing to cut
    elif limit >= 8:
        assert text.startswith("开头") and text.endswith("结尾")
