"""Normalisation and tokenisation."""

from __future__ import annotations

import pytest

from kb.options import TextSettings
from kb.text import normalise, query_terms, sentences, tokens


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＯＫＰａｙ　１２３", "okpay 123"),  # full-width to half-width, lower-case
        ("帳戶被凍結了怎麼辦", "账户被冻结了怎么办"),  # Traditional to Simplified, 帐 to 账
        ("登入後收不到簡訊", "登录后收不到短信"),  # Taiwan phrases
        ("pass\u200bword 密\u200b码", "password 密码"),  # zero-width characters cannot split words
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


def test_tokens_mix_jieba_words_bigrams_and_latin_words():
    result = tokens("提现手续费 OKPay app")
    assert "手续费" in result  # jieba word
    assert "现手" in result  # character bigram across a word boundary
    assert {"okpay", "app"} <= set(result)


def test_stopwords_are_dropped():
    assert "怎么" not in tokens("怎么提现")
    assert "the" not in tokens("the fee")


def test_traditional_and_simplified_queries_share_tokens():
    assert set(tokens("提現手續費")) == set(tokens("提现手续费"))


def test_settings_switch_token_kinds():
    words_only = tokens("提现手续费", TextSettings(char_bigrams=False))
    bigrams_only = tokens("提现手续费", TextSettings(jieba_words=False))
    assert "现手" not in words_only and "手续费" in words_only
    assert "现手" in bigrams_only and "手续费" not in bigrams_only
    assert "#pa" in tokens("password", TextSettings(latin_trigrams=True))
    with pytest.raises(ValueError, match="enable at least one"):
        TextSettings(char_bigrams=False, jieba_words=False)


def test_query_terms_longest_first_without_stopwords():
    terms = query_terms("忘記密碼怎麼辦")
    assert terms[0] in ("忘记", "密码")
    assert "怎么办" not in terms


def test_sentences_split_chinese_and_english():
    assert sentences("第一句。第二句！Third one? fourth\n第五") == (
        "第一句。",
        "第二句！",
        "Third one?",
        "fourth",
        "第五",
    )
