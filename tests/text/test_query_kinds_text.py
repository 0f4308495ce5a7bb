"""Issue 17 text kinds: numbers and codes in one form, pinyin to Chinese terms, raw HTML to text."""

from __future__ import annotations

import pytest

from kb.options import TextSettings
from kb.text import markdown_to_text, tokens
from kb.text.markdown import strip_html
from kb.text.numbers import canonical_numbers
from kb.text.pinyin import PinyinLexicon, is_syllables, quick_keys, term_keys
from kb.text.pinyin_typed import keyboard_pattern

# ---------------------------------------------------------------- numbers and codes


@pytest.mark.parametrize(
    "variants",
    [
        (
            "限额 50,000 元",
            "限额50000元",
            "限额５００００元",
            "限额5万元",
            "限额5w元",
            "限额 5 万 元",
        ),
        ("单笔 12,500 元", "单笔12500元", "单笔1.25万元", "单笔1.25w元"),
        ("2,000 元", "2000元", "2千元"),
        # the yuan's colloquial names after an amount (a new user's `2000块` found 版块)
        ("2000元", "2000块", "2000 块", "2000块钱", "2千块", "2000元钱", "2000圆"),
        ("限额5万元", "限额5万块", "限额5w块钱", "限额50,000块"),
        ("TH-01", "TH01", "th_01", "Ｔｈ－０１"),
        ("iPhone15", "iPhone-15", "IPHONE15"),
        ("WD-12 提现", "wd12提现"),
    ],
)
def test_number_and_code_variants_share_their_tokens(variants):
    first = set(tokens(variants[0]))
    for other in variants[1:]:
        assert set(tokens(other)) == first, other


@pytest.mark.parametrize(("spaced", "joined"), [("th 01", "TH-01"), ("iphone 15", "iPhone15")])
def test_a_code_typed_with_a_space_matches_the_parts_of_the_joined_code(spaced, joined):
    assert set(tokens(spaced)) <= set(tokens(joined))


def test_without_the_setting_variants_do_not_share_tokens():
    off = TextSettings(canonical_numbers=False)
    assert set(tokens("50,000 元", off)) != set(tokens("5万元", off))
    assert set(tokens("TH-01", off)) != set(tokens("TH01", off))


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-29",
        "1,2,3",
        "3,1415",
        "e-mail",
        "okpay 2026",
        "退款 3-7 个工作日",
        "社区版块",
        "一块钱",
    ],
)
def test_dates_lists_and_plain_words_keep_their_form(text):
    assert canonical_numbers(text) == text


# ---------------------------------------------------------------- pinyin

TITLES = [
    "提现手续费是多少",
    "如何注销账户",
    "客服电话和邮箱",
    "忘记登录密码怎么办",
    "重置密码",
    "如何充值",
    "账户被冻结后如何解冻",
    "Refund and card fee",
    "短信验证码 SMS",
]


@pytest.fixture(scope="module")
def lexicon():
    return PinyinLexicon.from_texts(TITLES)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tixian shouxufei", "提现手续费"),
        ("tixianshouxufei", "提现手续费"),
        ("TiXian ShouXuFei", "提现手续费"),
        ("ti xian shou xu fei", "提现手续费"),
        ("txsxf", "提现手续费"),
        ("tixian 手续费", "提现 手续费"),
        ("zhuxiao zhanghu", "注销账户"),
        ("kefu dianhua", "客服电话"),
        ("kfdh", "客服电话"),
        ("wang ji mi ma le", "忘记密码"),
        ("zhongzhi mima", "重置密码"),  # a second reading of 重 still finds the term
        ("zhanghu bei dongjie le", "账户冻结"),
        ("okpay jiedong", "okpay 解冻"),
    ],
)
def test_pinyin_runs_become_the_help_centers_terms(lexicon, query, expected):
    from kb.text import normalise

    assert lexicon.rewrite(normalise(query)) == expected


@pytest.mark.parametrize(
    "query",
    ["refund", "fee", "card", "unlink card", "card fee refund", "sms", "china", "password reset"],
)
def test_english_words_stay_english(lexicon, query):
    assert lexicon.rewrite(query) == query


@pytest.mark.parametrize("query", ["zzzzzz", "xxxx", "hhh", "tttttttt 提现", "kfkf zzz"])
def test_one_letter_held_down_is_no_pinyin(lexicon, query):
    """`zzzzzz` once read as 转账转账转账; `kfkf` (客服 twice) is still initials."""
    expected = query.replace("kfkf", "客服客服")
    assert lexicon.rewrite(query) == expected


# keyboard mash: walks along neighbouring keys, a run typed again (any run 3 times, a walk twice)
MASH = ["hjkl", "lkjh", "ghjk", "mnbvcx", "zxcv", "xcxc", "bnbn", "sdsd", "jkjkjk", "sdfsdf"]
MASH += ["dfgdfg", "hfhfhf", "kdkdkd", "slslsl", "fjfjfjfj"]
# initials of real questions, walks in part at most (`kfdh`: `fdh`), or one term typed twice
INITIALS = ["txsxf", "kfdh", "zxzh", "wjmm", "sfrz", "xgmm", "yhk", "dxyzm", "jdcx", "kfkf"]


@pytest.mark.parametrize("letters", MASH)
def test_keyboard_mash_is_no_pinyin(lexicon, letters):
    """`jkjkjk` read as 即可即可即可 and `sdfsdf` as 收到方式对方: BM25 then matched the help
    center's commonest words and "no good match" passed them."""
    assert keyboard_pattern(letters)
    lexicon = PinyinLexicon.from_texts([*TITLES, "即可", "收到", "对方", "先充", "不能", "方式"])
    assert lexicon.rewrite(letters) == letters
    assert lexicon.rewrite(f"{letters} 提现") == f"{letters} 提现"


@pytest.mark.parametrize("letters", INITIALS)
def test_initials_of_real_questions_are_no_keyboard_mash(letters):
    assert not keyboard_pattern(letters)


def test_initials_still_read_as_the_help_centers_terms(lexicon):
    assert lexicon.rewrite("txsxf") == "提现手续费"
    assert lexicon.rewrite("kfdh") == "客服电话"


@pytest.mark.parametrize(
    "query", ["a receipt for my payment", "pay by card", "pc version", "my id", "hk"]
)
def test_two_consonants_are_not_read_as_initials(query):
    # 满意 (m y), 补卡 (b k), 评测 (p c), 面对 (m d), 还款 (h k): two letters are as often English
    lexicon = PinyinLexicon.from_texts(["满意度调查", "补卡", "评测", "面对面", "还款"])
    assert lexicon.rewrite(query) == query
    assert lexicon.rewrite("myd") == "满意度"  # three initials still are


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tíxiàn shǒuxùfèi", "提现手续费"),
        ("wàngjì mìmǎ", "忘记密码"),
        ("TÍXIÀN", "提现"),
        ("kèfú diànhuà", "客服电话"),
        ("ti2xian4 shou3xu4fei4", "提现手续费"),  # tone numbers (a new user's `ti2xian4 shi1bai4`)
        ("wang4ji4 mi4ma3", "忘记密码"),
        ("ke4fu2 dian4hua4", "客服电话"),
        ("zhu4xiao1zhang4hu4", "注销账户"),
        ("zhang'hu dong'jie", "账户冻结"),  # pinyin's apostrophe between syllables
        ("zhuxiao zhang’hu", "注销账户"),
        ("ke4'fu2 dian4'hua4", "客服电话"),  # chongzhi reads as 重置 too: tones dropped
    ],
)
def test_tone_marks_numbers_and_apostrophes_are_dropped_from_pinyin(lexicon, query, expected):
    from kb.text import normalise

    assert lexicon.rewrite(normalise(query)) == expected


@pytest.mark.parametrize(
    "query",
    ["don't refund", "it's my card", "okpay's fee", "a4 paper", "b2b", "iphone15", "th01", "mp3"],
)
def test_english_apostrophes_and_codes_with_digits_stay_as_typed(lexicon, query):
    assert lexicon.rewrite(query) == query


@pytest.mark.parametrize("query", ["café", "résumé", "naïve user", "crème brûlée"])
def test_accented_english_and_french_stay_as_typed(lexicon, query):
    assert lexicon.rewrite(query) == query


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kf电话", "客服电话"),
        ("tx手续费", "提现手续费"),
        ("密码 cz", "密码 cz"),
        ("重置mm", "重置密码"),
    ],
)
def test_two_initials_touching_chinese_are_initials(lexicon, query, expected):
    assert lexicon.rewrite(query) == expected


@pytest.mark.parametrize("query", ["my账户", "pc端", "充值by银行卡", "tv版"])
def test_short_english_touching_chinese_stays_english(query):
    lexicon = PinyinLexicon.from_texts(["满意度调查", "评测", "补卡", "提问", "我的账户"])
    assert lexicon.rewrite(query) == query


def test_the_index_vocabulary_keys_body_words_the_titles_lack():
    # 到账 is in no title as a word (jieba cuts 提现要多久到账 into 到 / 账): only the index has it
    titles = ["提现要多久到账", "修改密码"]
    alone = PinyinLexicon.from_texts(titles)
    assert alone.rewrite("tixian daozhang") == "提现 daozhang"
    held = {"到账": 29, "提现": 40, "电子": 6, "改密": 12, "密码": 30, "稀有": 1}
    lexicon = alone.extended(held)
    assert alone.rewrite("tixian daozhang") == "提现 daozhang"  # `extended` made a new one
    assert lexicon.rewrite("tixian daozhang") == "提现到账"
    assert lexicon.rewrite("txdz") == "提现到账"  # the initials' term most chunks hold
    # a character bigram of the index (改密, of 修改密码) counts half a title's word: 密码 wins
    assert lexicon.rewrite("gai mima") == "gai 密码"
    assert lexicon.rewrite("xiyou") == "xiyou"  # a term one chunk holds is not keyed


@pytest.mark.parametrize("word", ["made", "women", "decide", "line", "china", "huge"])
def test_english_words_are_not_read_with_the_index_terms(word):
    # character bigrams of the index read `made` as 码的, `decide` as 次登 (a new user, 2026-11-30)
    held = {"码的": 5, "我们": 9, "次登": 3, "理哪": 2, "持哪": 2, "户可": 2, "到账": 29}
    english = {"made", "women", "decide", "line", "china", "huge"}.__contains__
    lexicon = PinyinLexicon.from_texts(["提现要多久到账"]).extended(held, (), english)
    assert lexicon.rewrite(word) == word
    assert not set("码的我们次登理哪持户可") & set(lexicon.rewrite(f"tixian {word}"))
    assert lexicon.rewrite("tixian daozhang") == "提现到账"  # not English: the index's terms
    without = PinyinLexicon.from_texts(["提现要多久到账"]).extended(held)
    assert without.rewrite(word) != word  # what the test guards against


def test_the_index_english_words_stay_english():
    lexicon = PinyinLexicon.from_texts(["提现", "伤感"])
    assert lexicon.extended({"上班": 5}).rewrite("shangban") == "上班"
    assert lexicon.extended({"上班": 5}, ["shangban"]).rewrite("shangban") == "shangban"


@pytest.mark.parametrize(
    "term", ["提现", "手续费", "银行卡", "重置", "到账", "冻结", "注销账户", "行长"]
)
def test_quick_keys_read_as_pypinyin_does(term):
    keys, first = quick_keys(term)
    want_keys, want_first = term_keys(term)
    assert keys[0] == want_keys[0] and first == want_first
    assert set(want_keys) <= set(keys)


def test_syllable_check():
    assert is_syllables("tixianshouxufei") and is_syllables("lv")
    assert not is_syllables("refund") and not is_syllables("card")


def test_an_empty_lexicon_rewrites_nothing():
    assert PinyinLexicon.from_texts(["only english titles"]).rewrite("tixian") == "tixian"


# ---------------------------------------------------------------- raw HTML


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ('<center><img src="https://example.com/a.png" alt="shot"></center>提现', "提现"),
        ("第一行<br>第二行<br/>第三行", "第一行\n第二行\n第三行"),
        ("<table><tr><td>TH-01</td><td>超时</td></tr></table>", "TH-01 超时"),
        ("<p>A &amp; B</p><!-- note -->", "A & B"),
        ("<script>alert(1)</script>正文", "正文"),
        ("see <https://help.example.com/a>", "see https://help.example.com/a"),
        ("1 < 2 and 3 > 2, x<1", "1 < 2 and 3 > 2, x<1"),
    ],
)
def test_html_becomes_plain_text(markdown, expected):
    assert " ".join(markdown_to_text(markdown).split()) == " ".join(expected.split())


def test_tag_names_and_attributes_are_not_searchable():
    text = markdown_to_text('<center><img src="x.png" width="320"></center><br>提现 <b>手续费</b>')
    assert not {"img", "src", "center", "br", "png", "width", "b"} & set(tokens(text))
    assert {"提现", "手续费"} <= set(tokens(text))


def test_text_without_tags_is_not_parsed():
    text = "a < b & c > d"
    assert strip_html(text) is text
