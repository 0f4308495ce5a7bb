"""The dictionary bridge (kb/retrieval/crosslingual.py): a short English query's words that the
help center lacks get its Chinese terms from CC-CEDICT, read backwards, for BM25."""

from __future__ import annotations

import gzip

import pytest

from kb import Mode, SearchSettings, build_index, load_searcher
from kb.errors import ConfigError
from kb.ingest.synonyms import without_terms
from kb.retrieval import crosslingual
from kb.retrieval.crosslingual import (
    DictionaryBridge,
    cedict_entries,
    english_index,
    gloss_key,
    reverse,
)
from kb.testing import write_articles

TABLE = reverse(
    [
        ("清单", ["list", "invoice (old usage)"]),  # a second sense of the word: after 发票
        ("发票", ["invoice", "receipt"]),
        ("充值", ["to recharge", "to top up"]),
        ("加油", ["to refuel", "to top up"]),
        ("银行卡", ["bank card"]),
        ("不是", ["no", "not"]),
        ("卡片", ["card"]),
        ("票", ["ticket"]),  # one character: never a term
        ("信用卡账单", ["credit card bill"]),  # five characters: a phrase, never a term
    ]
)


@pytest.mark.parametrize(
    ("gloss", "key"),
    [
        ("to recharge", "recharg"),
        ("invoice", "invoic"),
        ("invoices", "invoic"),
        ("bank cards", "bank card"),
        ("to top up", "top up"),
        ("a receipt", "receipt"),
        ("(coll.) modem", "modem"),
        ("bank card (abbr.)", "bank card"),
        ("CL:张[zhang1]", None),
        ("variant of 帐[zhang4]", None),
        ("credit card bill", None),  # three words: a description, not a translation
        ("24-hour service", None),
    ],
)
def test_gloss_key(gloss, key):
    assert gloss_key(gloss) == key


def test_reverse_puts_a_words_main_sense_first_and_skips_short_and_long_headwords():
    assert TABLE["invoic"] == ("发票", "清单")  # 发票's first gloss; 清单's second
    assert TABLE["top up"] == ("充值", "加油")  # both second glosses: dictionary order
    assert "ticket" not in TABLE and "credit card bill" not in TABLE
    assert all(len(h) >= 2 for hs in TABLE.values() for h in hs)


def known_in(*terms):
    return lambda term: term in terms


def test_a_word_the_help_center_lacks_gets_its_known_terms():
    bridge = DictionaryBridge(known_in("发票", "充值", "银行卡", "卡片", "card"), 1, TABLE)
    assert bridge.translate(["invoices"]).terms == ("发票",)
    assert bridge.translate(["recharge"]).terms == ("充值",)
    assert bridge.translate(["invoice", "recharge"]).terms == ("发票", "充值")
    assert bridge.translate(["card"]).terms == ()  # the English articles have it: no translation
    assert bridge.translate(["not", "invoices"]).terms == ("发票",)  # a function word never
    assert bridge.translate(["refund"]).terms == ()  # not in the dictionary
    assert bridge.translate(["ticket"]).terms == ()  # only a one-character headword


def test_two_words_that_are_one_gloss_are_looked_up_together():
    bridge = DictionaryBridge(known_in("充值", "加油", "银行卡", "卡片"), 2, TABLE)
    assert bridge.translate(["top", "up"]).terms == ("充值", "加油")  # `top up`, not top and up
    assert bridge.translate(["bank", "card"]).terms == ("银行卡",)  # not 卡片 for `card`
    assert bridge.translate(["invoice", "bank", "card"]).terms == ("银行卡",)  # 发票: not known


def test_the_words_translated_are_the_ones_the_help_center_lacks():
    bridge = DictionaryBridge(known_in("发票", "充值", "up", "top"), 1, TABLE)
    assert bridge.translate(["invoices", "please"]) == (("发票",), ("invoices",))
    assert bridge.translate(["top", "up", "now"]) == ((), ())  # both words known: no lookup
    half = DictionaryBridge(known_in("充值", "up"), 1, TABLE)
    assert half.translate(["top", "up"]) == (("充值",), ("top",))  # `up` the articles have


@pytest.mark.parametrize(
    ("query", "words", "left"),
    [
        ("invoices please", ["invoices"], "please"),
        ("invoices", ["invoices"], ""),
        ("my invoices, invoices?", ["invoices"], "my , ?"),
        ("invoice invoices", ["invoice"], "invoices"),  # whole words only
        ("reinvoices invoices", ["invoices"], "reinvoices"),
        ("top-up fee", ["top"], "-up fee"),
    ],
)
def test_without_terms_removes_whole_words(query, words, left):
    assert without_terms(query, words) == left


def test_terms_per_word_and_only_those_the_help_center_has():
    everything = known_in("发票", "清单")
    assert DictionaryBridge(everything, 1, TABLE).translate(["invoice"]).terms == ("发票",)
    assert DictionaryBridge(everything, 2, TABLE).translate(["invoice"]).terms == ("发票", "清单")
    assert DictionaryBridge(known_in("清单"), 1, TABLE).translate(["invoice"]).terms == ("清单",)
    assert DictionaryBridge(everything, 0, TABLE).translate(["invoice"]).terms == ()  # off


def test_the_dictionary_is_read_only_for_a_word_the_help_center_lacks(monkeypatch):
    def fail():
        raise AssertionError("the dictionary was read")

    monkeypatch.setattr(crosslingual, "english_index", fail)
    bridge = DictionaryBridge(known_in("card", "refund"), 1)
    assert bridge.translate(["card", "refund"]).terms == ()
    assert bridge.translate(["the", "not"]).terms == ()
    assert DictionaryBridge(known_in(), 0).translate(["invoice"]).terms == ()
    with pytest.raises(AssertionError, match="was read"):
        bridge.translate(["invoices"])


def test_dictionary_lines_are_read_in_the_documented_form(tmp_path):
    path = tmp_path / "cedict.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write("# CC-CEDICT\n#! version=1\n")
        out.write("發票 发票 [fa1 piao4] /invoice/receipt; bill/\n")
        out.write("票 票 [piao4] /ticket/\n")  # one character
        out.write("AA制 AA制 [A A zhi4] /to split the bill/\n")  # not all Chinese characters
        out.write("充值 充值 [chong1 zhi2] /to recharge/\n")
    assert list(cedict_entries(path)) == [
        ("发票", ["invoice", "receipt", " bill"]),
        ("充值", ["to recharge"]),
    ]
    assert reverse(cedict_entries(path))["bill"] == ("发票",)


def test_an_unreadable_dictionary_leaves_searches_without_it(monkeypatch, caplog):
    def missing(path=None):
        raise FileNotFoundError("cedict_1_0_ts_utf-8_mdbg.txt.gz")

    monkeypatch.setattr(crosslingual, "cedict_entries", missing)
    monkeypatch.setattr(crosslingual, "_table", None)
    assert english_index() == {}
    assert "no English-Chinese dictionary" in caplog.text and "mdbg" in caplog.text
    assert DictionaryBridge(known_in("发票"), 1).translate(["invoices"]).terms == ()


def test_cc_cedict_read_backwards_has_the_help_center_words():
    table = english_index()
    assert english_index() is table  # read once
    assert "发票" in table["invoic"]
    assert "充值" in table["recharg"]
    assert "退款" in table["refund"]
    assert "钱包" in table["wallet"]
    assert "银行卡" in table["bank card"]
    assert len(table) > 30000


INVOICE = """---
title: 发票怎么开
category: billing
language: zh
---
## 申请发票
付款成功后可以在订单页申请电子发票，三个工作日内发到邮箱。
"""
TOPUP = """---
title: 如何充值
category: wallet
language: zh
---
## 银行卡充值
在钱包页选择充值，输入金额并确认，余额立即到账。
"""
ENGLISH = """---
title: Withdrawal fees
category: wallet
language: en
---
## Fees
A withdrawal to a bank card costs 0.1% of the amount, at least 1 yuan.
"""


def dictionary_index(tmp_path, encoder):
    articles = write_articles(
        tmp_path / "articles",
        {"invoice.md": INVOICE, "top-up.md": TOPUP, "fees-en.md": ENGLISH},
    )
    build_index(articles, tmp_path / "index", encoder=encoder)
    return tmp_path / "index"


def test_an_english_word_finds_a_chinese_article_through_the_dictionary(tmp_path, encoder):
    index = dictionary_index(tmp_path, encoder)
    searcher = load_searcher(index, "public", encoder=encoder)
    rewritten = searcher.rewrite(searcher.prepare("invoices"))
    assert rewritten.added == ("发票",) and rewritten.bm25 == "发票"  # in place of `invoices`
    # the word no article has is dropped; an unknown word with no entry stays
    assert searcher.rewrite(searcher.prepare("invoices xyzzy")).bm25 == "xyzzy 发票"
    assert [a.slug for a in searcher.search("invoices", 3, mode=Mode.BM25)] == ["invoice"]
    answers = searcher.search("invoices", 3)
    assert answers[0].slug == "invoice" and answers[0].bm25_score > 0  # BM25 found it too
    assert "发票" in answers[0].snippet_text and answers[0].highlights  # marked as a synonym is
    assert searcher.rewrite(searcher.prepare("recharge")).added == ("充值",)
    # a word the English article has is not translated: `fees` searches as it is
    assert searcher.rewrite(searcher.prepare("fees")).added == ()


def test_the_dictionary_bridge_is_off_at_zero_and_for_other_queries(tmp_path, encoder):
    index = dictionary_index(tmp_path, encoder)
    off = load_searcher(index, "public", encoder, SearchSettings(dictionary_terms=0))
    assert off.rewrite(off.prepare("invoices")).added == ()
    assert off.search("invoices", 3, mode=Mode.BM25) == []  # no article has the word
    on = load_searcher(index, "public", encoder=encoder)
    assert on.rewrite(on.prepare("发票 invoices")).added == ()  # Chinese in it: not short English
    assert on.rewrite(on.prepare("how do i get invoices for my payments")).added == ()  # 8 words
    assert on.rewrite(on.prepare("invoices"), Mode.DENSE).added == ()  # no BM25 side


def test_dictionary_terms_must_not_be_negative():
    with pytest.raises(ConfigError, match="dictionary_terms"):
        SearchSettings(dictionary_terms=-1)


@pytest.mark.parametrize(
    ("word", "english"),
    [
        ("mortgage", True),  # in the word list
        ("registeration", True),  # one edit from `registration`
        ("twofactor", True),  # two words run together
        ("scammer", True),
        ("jkjkjk", False),  # keyboard mash
        ("qwerty", False),  # a keyboard walk, though a word list has it
        ("wasd", False),
        ("xqzvkt", False),
    ],
)
def test_english_reads_real_words_and_their_slips_not_mash(word, english):
    bridge = DictionaryBridge(lambda term: False, 1, table={"mortgage": ("房贷",)})
    assert bridge.english(word) is english
