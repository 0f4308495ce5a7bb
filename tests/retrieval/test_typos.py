"""Typing mistakes (issue 17, the `typo` kind): English words a letter or two off, Chinese
homophones from the input method's list, and the real words that must never be "corrected"."""

from __future__ import annotations

import pytest

from kb import SearchSettings, build_index, load_searcher
from kb.retrieval.typos import TypoCorrector, allowed_edits, closest_word, split_word
from kb.testing import TINY, CountingEncoder, write_articles
from kb.text.pinyin import PinyinLexicon

WORDS = {"refund": 5, "receipt": 2, "charge": 9, "payment": 7, "frozen": 3, "account": 8}


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("refnud", "refund"),  # two letters swapped: one edit
        ("recipt", "receipt"),  # one left out
        ("paymnet", "payment"),
        ("frozzen", "frozen"),  # one too many
        ("acount", "account"),
        ("paymemt", "payment"),  # one replaced
    ],
)
def test_an_unknown_english_word_becomes_the_nearest_known_one(typed, meant):
    assert closest_word(typed, WORDS) == meant


def test_short_known_and_distant_words_stay():
    assert allowed_edits("card") == 0 and closest_word("cart", {"card": 1}) is None
    assert closest_word("refund", WORDS) is None  # known
    assert closest_word("xylophone", WORDS) is None  # nothing near
    assert allowed_edits("verification") == 2


def test_ties_go_to_the_word_in_more_chunks():
    assert closest_word("chxrge", {"charge": 9, "chirge": 1}) == "charge"
    assert closest_word("chxrge", {"charge": 1, "chirge": 9}) == "chirge"


@pytest.mark.parametrize(
    ("typed", "split"),
    [
        ("refundcharge", "refund charge"),
        ("accountfrozen", "account frozen"),
        ("frozenaccount", "frozen account"),
        ("refund", None),  # known
        ("refundx", None),  # `x` is no word
        ("refundcharg", None),  # `charg` is unknown: a typo, not a compound
    ],
)
def test_an_unknown_word_of_two_known_words_is_split(typed, split):
    assert split_word(typed, WORDS) == split


def test_of_several_splits_the_one_with_the_commoner_rarer_part_wins():
    words = {"abc": 5, "defg": 1, "abcd": 3, "efg": 4}
    assert split_word("abcdefg", words) == "abcd efg"  # rarer part in 3 chunks, against 1
    assert split_word("abcdefg", {**words, "defg": 4}) == "abc defg"


TEXTS = [
    "提现手续费",
    "如何提现",
    "注册账户",
    "怎么注册",
    "汇率说明",
    "汇率",
    "信息不一致",
    "不一致",
]


def corrector(known=(), together=True, words=WORDS) -> TypoCorrector:
    lexicon = PinyinLexicon.from_texts(TEXTS)
    known_set = set(known)
    return TypoCorrector(
        lambda: dict(words), lambda: lexicon, known_set.__contains__, lambda t, w: together
    )


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("怎么住册", "怎么注册"),  # 住册 is no word: reads zhuce like 注册
        ("汇律多少", "汇率多少"),
        ("提现手续废", "提现手续费"),  # a three-character term
        ("余额怎么体现", "余额怎么提现"),  # 体现 is a word, but 提现 meets 余额 in a chunk
        ("refnud", "refund"),
        ("提现 recipt", "提现 receipt"),
        ("refundcharge", "refund charge"),  # two known words closed up: split, not corrected
    ],
)
def test_mistakes_are_corrected(typed, meant):
    assert corrector().correct(typed) == meant


@pytest.mark.parametrize(
    "query",
    [
        "具体现在怎么办",  # 体现 would cut through 具体 and 现在
        "付款一直失败",  # 一直 (reads like 一致) is an adverb: never a topic
        "change password",  # a real English word the help center does not use (not `charge`)
        "payment methods",  # plural of a known word: English, left alone
        "提现手续费",  # nothing mistyped
    ],
)
def test_real_words_are_left_alone(query):
    assert corrector().correct(query) == query


def test_a_common_word_needs_its_context_and_a_known_word_is_never_touched():
    assert corrector(together=False).correct("余额怎么体现") == "余额怎么体现"
    assert corrector(known={"住册"}).correct("怎么住册") == "怎么住册"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("typos")
    build_index(write_articles(root / "articles", TINY), root / "index", encoder=CountingEncoder())
    return root / "index"


@pytest.mark.parametrize(
    ("query", "searched", "slug"),
    [
        ("体现手续费", "提现手续费", "withdrawal-fees"),
        ("提现手续废", "提现手续费", "withdrawal-fees"),
        ("忘记秘码", "忘记密码", "forgot-password"),
        ("paymnet faild", "payment failed", "payment-failed-en"),
    ],
)
def test_a_mistyped_query_is_searched_corrected(index_dir, query, searched, slug):
    def searcher(**settings):
        return load_searcher(
            index_dir, encoder=CountingEncoder(), settings=SearchSettings(**settings)
        )

    s = searcher()
    assert s.kinds.rewrite(s.prepare(query)) == searched
    assert s.search(query, top_k=3, mode="bm25")[0].slug == slug
    off = searcher(typos=False)
    assert off.kinds.rewrite(off.prepare(query)) == off.prepare(query)
