"""Normalisation and tokenisation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.options import TextSettings
from kb.text import clean_text, normalise, query_terms, sentences, tokens, valid_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＯＫＰａｙ　１２３", "okpay 123"),  # full-width to half-width, lower-case
        ("帳戶被凍結了怎麼辦", "账户被冻结了怎么办"),  # Traditional to Simplified, 帐 to 账
        ("登入後收不到簡訊", "登录后收不到短信"),  # Taiwan phrases
        ("pass\u200bword 密\u200b码", "password 密码"),  # zero-width characters cannot split words
        # 登出 (log out) stays: tw2sp's 注销 is closing the account in mainland help centers
        ("如何登出帳號", "如何登出账号"),
        ("登出後再登入", "登出后再登录"),
        ("註銷帳戶", "注销账户"),
        ("帳號登出登出了", "账号登出登出了"),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


def test_logging_out_and_closing_the_account_stay_different_words():
    assert not set(tokens("如何登出")) & set(tokens("如何注销账户")) - set(tokens("如何"))
    assert set(tokens("註銷帳戶")) == set(tokens("注销账户"))


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
        TextSettings(char_bigrams=False, jieba_words=False, char_unigrams=False)


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


# Item 4: code points that are not characters. A lone surrogate (JSON "\ud800") cannot be encoded
# as UTF-8, so it broke OpenCC, the encoders' hashes and every file write downstream.
NONCHARACTERS = [chr(c) for c in range(0xFDD0, 0xFDF0)] + [
    chr(plane << 16 | low) for plane in range(17) for low in (0xFFFE, 0xFFFF)
]
# any code point, with surrogates (paired and lone) and noncharacters drawn often
ANY_CODE_POINT = st.text(
    st.one_of(
        st.characters(exclude_categories=()),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
        st.sampled_from(NONCHARACTERS),
    ),
    max_size=60,
)


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def reference_valid_text(text: str) -> str:
    """What valid_text must return, computed character by character."""
    out, i = [], 0
    while i < len(text):
        ch, nxt = text[i], text[i + 1 : i + 2]
        if "\ud800" <= ch <= "\udbff" and "\udc00" <= nxt <= "\udfff":
            out.append(chr(0x10000 + ((ord(ch) - 0xD800) << 10) + ord(nxt) - 0xDC00))
            i += 2
            continue
        if not ("\ud800" <= ch <= "\udfff" or ch in NONCHARACTERS):
            out.append(ch)
        i += 1
    return "".join(c for c in out if c not in NONCHARACTERS)


@pytest.mark.parametrize(
    "raw",
    [
        "\ud800",
        "密码\udfff",
        "\udc00忘记\ud83d",
        "a\ud800\ud800b",
        "\ufffe\uffff\ufdd0密码\U0010ffff",
    ],
)
def test_lone_surrogates_and_noncharacters_are_removed(raw):
    for func in (valid_text, clean_text, normalise):
        assert encodable(func(raw))
    assert not any(ch in valid_text(raw) for ch in NONCHARACTERS)
    assert tokens(raw) == tokens(valid_text(raw))


def test_a_surrogate_pair_becomes_its_character():
    assert valid_text("red \ud83e\udde7 packet") == "red 🧧 packet"


def test_valid_text_keeps_every_real_character():
    text = "忘记密码 OKPay 🧧 \u200b\t\n\ufffd\ue000"
    assert valid_text(text) is text


@settings(max_examples=300, deadline=None)
@given(text=ANY_CODE_POINT)
def test_any_code_points_become_encodable_text(text):
    cleaned = valid_text(text)
    assert encodable(cleaned) and encodable(clean_text(text)) and encodable(normalise(text))
    assert not any(ch in cleaned for ch in NONCHARACTERS)
    assert valid_text(cleaned) == cleaned
    assert cleaned == reference_valid_text(text)  # nothing else changes
    tokens(text)
    query_terms(text)
    sentences(text)


@pytest.mark.parametrize(
    ("query", "article", "shared"),
    [
        ("借钱", "怎么申请借款", "借"),  # a paraphrase sharing one character and no pair
        ("提额", "额度不够", "额"),
        ("退錢", "退款流程", "退"),  # Traditional query, Simplified article
    ],
)
def test_char_unigrams_let_paraphrases_share_single_characters(query, article, shared):
    uni = TextSettings(char_unigrams=True)
    assert shared in set(tokens(query, uni)) & set(tokens(article, uni))
    old = TextSettings(char_unigrams=False)  # the tokens before issue 17 share nothing
    assert not set(tokens(query, old)) & set(tokens(article, old))


def test_char_unigrams_skip_stopword_characters_and_keep_latin_words():
    result = tokens("我的账户 OKPay", TextSettings(char_unigrams=True))
    assert {"账", "户", "okpay"} <= set(result)
    assert "的" not in result and "我" not in result
    assert TextSettings(char_bigrams=False, jieba_words=False, char_unigrams=True)
