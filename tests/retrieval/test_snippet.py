"""Snippets pick the relevant sentences and locate query terms."""

from __future__ import annotations

from kb.retrieval.snippets import find_spans, make_snippet

TEXT = "欢迎使用。提现到银行卡一般需要 1-3 个工作日。手续费为 1%。如有疑问请联系客服。"


def test_snippet_prefers_sentences_with_query_terms():
    snippet = make_snippet(TEXT, ["手续费"], max_chars=20)
    assert "手续费为 1%" in snippet.text
    assert snippet.text.startswith("…")
    assert snippet.marked().count("**手续费**") == 1


def test_snippet_is_bounded_and_marks_every_occurrence():
    snippet = make_snippet(TEXT * 5, ["提现"], max_chars=60)
    assert len(snippet.text) <= 62
    assert all(snippet.text[s:e] == "提现" for s, e in snippet.highlights)


def test_snippet_without_matches_starts_at_the_beginning():
    assert make_snippet(TEXT, ["不存在"], max_chars=30).text.startswith("欢迎使用。")


def test_find_spans_whole_latin_words_case_insensitive_and_merged():
    assert find_spans("Card declined by the card issuer", ["card"]) == ((0, 4), (21, 25))
    assert find_spans("discard", ["card"]) == ()
    assert find_spans("提现手续费", ["提现", "手续费"]) == ((0, 5),)


def test_empty_text():
    assert make_snippet("", ["x"]).text == ""
