"""Highlights on the user's own words in the original text (issue 17 item 7), and English
snippets centred on the match."""

from __future__ import annotations

import pytest

from kb.retrieval.snippets import find_spans, folded, make_snippet
from kb.text import STOPWORDS, loose_pairs, query_terms


def marked(query: str, text: str, max_chars: int = 160) -> list[str]:
    snippet = make_snippet(text, query_terms(query), max_chars)
    return [snippet.text[s:e] for s, e in snippet.highlights]


@pytest.mark.parametrize(
    ("query", "text", "words"),
    [
        # the query's word is converted (Taiwan phrases) but the article has it as typed
        ("文件", "请把身份证文件上传到邮箱。", ["文件"]),
        ("影片", "上传影片前请确认格式。", ["影片"]),
        ("軟體", "请更新软件后重试。", ["软件"]),
        # Simplified query, Traditional article: marks on the article's own characters
        ("发票", "商戶會開具發票，請向商戶申請。", ["發票"]),
        ("订单 进度", "您可以在訂單詳情查看處理進度。", ["訂單", "進度"]),
        ("登录", "請重新登入帳號。", ["登入"]),
        # full-width and upper-case article text
        ("card", "Your ＣＡＲＤ was declined.", ["ＣＡＲＤ"]),
        ("iban", "Enter the IBAN of your account.", ["IBAN"]),
    ],
)
def test_marks_fall_on_the_original_spelling(query, text, words):
    assert marked(query, text) == words


def test_offsets_survive_characters_normalising_removes_or_expands():
    text = "密\u200b码：請輸入密碼。ﬁle"
    haystack, where = folded(text)
    assert where is not None and len(where) == len(haystack)
    spans = find_spans(text, ["密码", "file"])
    # the hidden zero-width space is inside the first mark, the ligature is marked whole
    assert [text[s:e] for s, e in spans] == ["密\u200b码", "密碼", "ﬁle"]


LONG = (
    "We ship small parcels with our standard courier, which covers every region in the country "
    "and usually delivers in two days. Large items are different. For sofas, beds and other "
    "furniture we use a freight partner that schedules a delivery slot with you by phone. "
    "Returns of large items are collected by the same partner."
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("freight partner for furniture", {"furniture", "freight", "partner"}),
        ("returns of large items", {"Returns", "large", "items"}),
        ("delivery slot", {"delivery", "slot"}),
    ],
)
def test_english_snippets_show_the_sentence_with_the_match(query, expected):
    snippet = make_snippet(LONG, query_terms(query), 160)
    assert len(snippet.text) <= 162
    assert expected <= {snippet.text[s:e] for s, e in snippet.highlights}


def test_one_long_sentence_is_cut_around_its_match():
    text = "Intro words " * 30 + "the refund reference number is on the receipt" + " tail" * 40
    snippet = make_snippet(text, query_terms("refund reference"), 100)
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    assert len(snippet.text) <= 102
    assert [snippet.text[s:e] for s, e in snippet.highlights] == ["refund", "reference"]
    assert " " not in snippet.text[1:3]  # starts at a word, not in the middle of one


def test_abbreviations_do_not_end_an_english_sentence():
    text = "Use a card, e.g. Visa or Mastercard. Then confirm."
    snippet = make_snippet(text, query_terms("mastercard"), 40)
    assert "e.g. Visa or **Mastercard**" in snippet.marked()


@pytest.mark.parametrize(
    ("terms", "text", "marked"),
    [
        (
            ["withdrawals", "fees"],
            "Withdrawal fees: each withdrawal costs 2 CNY.",
            ["Withdrawal", "fees", "withdrawal"],
        ),
        (["lock"], "Locks last 30 minutes; the lock ends.", ["Locks", "lock"]),
        (["boxes"], "Tick both boxes.", ["boxes"]),
        (["access", "status"], "Access the status page.", ["Access", "status"]),  # not plurals
        (["lock"], "the padlock and the locksmith", []),  # whole words only, still
        # other forms of the same word (Snowball stems), a new user's `unfreezing`
        (["unfreezing"], "To unfreeze it, wait until we unfreeze.", ["unfreeze", "unfreeze"]),
        (["freezing"], "We freeze accounts; it froze once. Freezes end.", ["freeze", "Freezes"]),
        (["locked"], "Locking lasts 30 minutes; the lock ends.", ["Locking", "lock"]),
        (["happy"], "Happiness is a happy customer.", ["Happiness", "happy"]),
        (["verified"], "Verify it; verification follows.", ["Verify"]),
        (["fee"], "coffee fees", ["fees"]),  # still whole words
    ],
)
def test_english_plurals_and_singulars_mark_each_other(terms, text, marked):
    assert [text[s:e] for s, e in find_spans(text, terms)] == marked


@pytest.mark.parametrize(
    ("query", "text", "word"),
    [
        # words jieba's default dictionary lacks come out as lone characters
        ("提现要多久到账", "提现到银行卡一般 1-3 个工作日到账。", "到账"),
        ("充值一直没到账", "款项一般在 2 小时内到账。", "到账"),
        ("被盗刷了怎么办", "如发现盗刷，请立即冻结账户。", "盗刷"),
        ("提現要多久到賬", "提现到银行卡一般 1-3 个工作日到账。", "到账"),  # Traditional query
    ],
)
def test_words_outside_the_segmenters_dictionary_are_marked(query, text, word):
    assert word not in query_terms(query)  # the query's own words miss it
    terms = query_terms(query) + loose_pairs(query)
    snippet = make_snippet(text, terms)
    assert word in [snippet.text[s:e] for s, e in snippet.highlights]


@pytest.mark.parametrize("query", ["我要退款", "怎么办", "的了吗", "refund", ""])
def test_loose_pairs_hold_no_stopword(query):
    pairs = loose_pairs(query)
    assert all(len(p) == 2 and not any(c in STOPWORDS for c in p) for p in pairs)
    assert "我要" not in pairs


def test_searcher_marks_a_word_the_segmenter_splits(built):
    from kb import load_searcher

    _, index_dir, encoder = built
    searcher = load_searcher(index_dir, "public", encoder=encoder)
    answer = next(a for a in searcher.search("提现要多久到账", 5) if a.slug == "withdrawal-time")
    marks = {answer.snippet_text[s:e] for s, e in answer.highlights}
    assert {"提现", "到账"} <= marks


@pytest.mark.parametrize(
    ("terms", "expected"), [(["准备", "先准"], "准备"), (["先准", "准备"], "先准")]
)
def test_of_two_overlapping_terms_of_one_length_the_first_given_is_marked(terms, expected):
    text = "联系客服前，先准备好账户信息。"
    spans = find_spans(text, terms)
    assert [text[s:e] for s, e in spans] == [expected]  # whatever the hash seed
