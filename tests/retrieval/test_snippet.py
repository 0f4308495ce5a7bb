"""Snippets pick the relevant sentences and locate query terms."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.retrieval.snippets import _best_window, find_spans, make_snippet

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


def old_best_window(weights: list[int], lengths: list[int], max_chars: int) -> tuple[int, int]:
    """The window choice before prefix sums: every start, every end that fits."""
    best_score, best = -1, (0, 1)
    for start in range(len(weights)):
        length, score = 0, 0
        for end in range(start, len(weights)):
            length += lengths[end]
            if length > max_chars and end > start:
                break
            score += weights[end]
            if score > best_score:
                best_score, best = score, (start, end + 1)
    return best


@settings(max_examples=500, deadline=None)
@given(
    parts=st.lists(st.tuples(st.integers(0, 6), st.integers(1, 60)), min_size=1, max_size=30),
    max_chars=st.integers(20, 200),
)
def test_best_window_is_the_same_choice_as_before(parts, max_chars):
    weights, lengths = [w for w, _ in parts], [n for _, n in parts]
    prefix_w, prefix_n = (
        list(itertools.accumulate(weights, initial=0)),
        list(itertools.accumulate(lengths, initial=0)),
    )
    assert _best_window(prefix_w, prefix_n, max_chars) == old_best_window(
        weights, lengths, max_chars
    )


def test_snippet_of_thousands_of_short_sentences_is_bounded():
    text = "短句。" * 30_000 + "提现手续费为 1%。" + "短句。" * 30_000
    snippet = make_snippet(text, ["手续费"], max_chars=40)
    assert "手续费" in snippet.text and len(snippet.text) <= 42
