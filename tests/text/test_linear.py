"""No pattern backtracks: every function that runs a regular expression (or parses lines) on
articles, queries, snippets or pages takes linear time on adversarial input.

The fault this guards against: a heading line `# a` + 10,000 spaces + `b` made the heading pattern
backtrack cubically (the build ran for hours while every other build failed as locked), and a run
of blank lines made Markdown to text quadratic (`^\\s*` under re.M spanned lines). Each function
below gets every shape of SHAPES at sizes growing 4x up to the limit it sees
in production. Linear time grows 4x per step, quadratic 16x, cubic 64x: the time may grow at most
8x per step on average over the steps, and at most 16x in any one step (memory caches make a
linear step cost up to about 6x in Python on this machine). Times are the best of several runs
and only ratios are compared, never absolute times. The sizes start small, so a super-linear
function fails at its first steps instead of hanging.
"""

from __future__ import annotations

import functools
import gc
import itertools
import time
from collections.abc import Callable
from itertools import cycle, islice

import pytest

from kb.ingest.chunking import anchor_for, chunk_article, parse_heading, split_sections
from kb.ingest.fields import check_size, default_slug
from kb.ingest.markdown import parse_markdown
from kb.ingest.tables import column_name
from kb.ingest.urls import url_problem
from kb.model import Article
from kb.options import LIMITS, ChunkSettings, Language, SearchSettings, Visibility
from kb.render import safe_href, safe_id, text_html
from kb.retrieval.snippets import find_spans, folded, make_snippet
from kb.retrieval.typos import TypoCorrector
from kb.text import clean_text, markdown_to_text, normalise, query_terms, sentences, tokens
from kb.text.markdown import strip_html
from kb.text.numbers import canonical_numbers
from kb.text.pinyin import PinyinLexicon


@functools.cache
def _lexicon() -> PinyinLexicon:
    return PinyinLexicon.from_texts(["提现手续费", "账户冻结", "忘记密码", "客服电话"])


@functools.cache
def _typos() -> TypoCorrector:
    words = {"refund": 3, "payment": 2, "withdrawal": 1}
    return TypoCorrector(lambda: words, _lexicon, lambda text: False, lambda term, others: True)


def _repeat(unit: str) -> Callable[[int], str]:
    """n -> `unit` repeated to exactly n characters."""
    return lambda n: "".join(islice(cycle(unit), n))


def _padded(head: str, pad: str, tail: str) -> Callable[[int], str]:
    """n -> `head`, `pad` repeated to n characters in all, then `tail`."""
    return lambda n: head + pad * max(n - len(head) - len(tail), 0) + tail


# Adversarial text shapes: name -> n -> text of about n characters. Generic runs first, then the
# shapes that broke a pattern once and their neighbours.
SHAPES: dict[str, Callable[[int], str]] = {
    "spaces": _padded("a", " ", "b"),
    "tabs": _padded("a", "\t", "b"),
    "newlines": _padded("a", "\n", "b"),
    "blank lines with spaces": _repeat(" \n"),
    "hashes": _padded("", "#", " x"),
    "punctuation": _repeat("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~。，！？；：、（）【】…"),
    "CJK": _repeat("忘记密码怎么办提现到账"),
    "mixed": _repeat("# a [b](c) **d** - e > f 密码。\n\t  ~~g~~ `h` &#1; 'i' "),
    "heading padded with spaces": _padded("# a", " ", "b"),
    "heading closed by hashes": _padded("## a ", "#", " b"),
    "heading of spaces and hashes": _repeat("# "),
    "open brackets": _repeat("["),
    "link openers": _repeat("[a]("),
    "image openers": _repeat("!["),
    "list markers": _repeat("- "),
    "quote markers": _repeat("> "),
    "list markers on lines": _repeat("\n - "),
    "emphasis marks": _repeat("*_`~"),
    "character references": _repeat("&#"),
    "apostrophes": _repeat("a'"),
    "sentence ends": _repeat("a。"),
    "front matter keys": _repeat("k: v\n"),
    "url-like": _padded("https://", "a.", "/"),
    # numbers, codes, pinyin and tags (issue 17: kb/text/numbers.py, pinyin.py, markdown.py)
    "digit groups": _repeat("1,000"),
    "dotted digits": _repeat("1."),
    "codes": _repeat("th-01-"),
    "letters and digits": _padded("", "a1", "é"),
    "magnitudes": _repeat("5w5万"),
    "pinyin": _repeat("tixian shouxufei "),
    "pinyin without spaces": _repeat("zhang"),
    "unclosed tags": _repeat("<td"),
    "tags": _repeat("<br><td>a</td>"),
}

MEAN_RATIO = 8.0  # per 4x step, on average over the steps: linear ~4, quadratic ~16
MAX_RATIO = 16.0  # in any one step
STEPS = 4  # sizes limit/64, limit/16, limit/4, limit
# Times under this are read as this in ratios: a step from 2 to 40 microseconds is timer and
# scheduler noise on a shared machine (it failed CI once for safe_href), while a super-linear
# function at the production limits above takes milliseconds to seconds, far over the floor.
FLOOR_SECONDS = 50e-6
CHUNK_TEXT = 20_000  # tokens and normalise see chunk texts: title and heading lines + a window
FRONT_MATTER = 25_000


def article(body: str) -> Article:
    return Article(
        slug="a",
        title="t",
        body=body,
        category="c",
        language=Language.ZH,
        visibility=Visibility.PUBLIC,
        tags=(),
        url="",
        updated="",
        source="a.md",
        body_line=4,
    )


def uncached(func: Callable[[str], object]) -> Callable[[str], object]:
    """`func` with the memo caches of sentences, terms and snippets emptied before each call, so
    every run does the work."""

    def run(text: str) -> object:
        sentences.cache_clear()
        query_terms.cache_clear()
        folded.cache_clear()
        return func(text)

    return run


def validated(text: str) -> str:
    """`text` as validation lets it through (check_size): a line break every 4,000 characters
    keeps each line under LIMITS.line_chars and each run under LIMITS.run_chars."""
    return "\n".join(text[i : i + 4000] for i in range(0, len(text), 4000))


def split_and_chunk(text: str) -> object:
    a = article(validated(text))
    return chunk_article(a, split_sections(a), ChunkSettings())


# name -> (function of one text, the largest input it sees in production)
FUNCTIONS: dict[str, tuple[Callable[[str], object], int]] = {
    "parse_heading": (lambda s: (parse_heading(s), parse_heading("# " + s)), LIMITS.line_chars),
    "anchor_for": (anchor_for, LIMITS.line_chars),
    "default_slug": (default_slug, LIMITS.line_chars),
    "url_problem": (
        lambda s: [url_problem(p + s) for p in ("", "https://", "/", "https://a.example/")],
        LIMITS.url_chars,
    ),
    "check_size": (lambda s: check_size(s, "a.md", []), LIMITS.article_bytes),
    "parse_markdown (front matter)": (  # YAML is slow: 25,000 characters is 5,000 keys
        lambda s: parse_markdown(f"---\ntitle: t\n{s}\n---\n正文\n", "a.md", "a", []),
        FRONT_MATTER,
    ),
    "parse_markdown (body)": (
        lambda s: parse_markdown(f"---\ntitle: t\n---\n{s}\n", "a.md", "a", []),
        LIMITS.article_chars,
    ),
    "column_name": (column_name, LIMITS.cell_chars),
    "clean_text": (clean_text, LIMITS.article_chars),
    "markdown_to_text": (markdown_to_text, LIMITS.article_chars),
    "split_sections + chunk_article": (uncached(split_and_chunk), LIMITS.article_chars),
    "sentences": (uncached(sentences), LIMITS.article_chars),
    "normalise": (normalise, CHUNK_TEXT),
    "tokens": (tokens, CHUNK_TEXT),
    "query_terms": (uncached(query_terms), CHUNK_TEXT),
    "make_snippet": (
        uncached(lambda s: make_snippet(s, ["密码", "a", "#", "- ", "[a]("])),
        LIMITS.article_chars,
    ),
    "find_spans": (
        uncached(lambda s: find_spans(s, ["密码", "a", "ab", "[a](", "a" * 500])),
        LIMITS.article_chars,
    ),
    "text_html": (text_html, LIMITS.article_chars),
    "safe_href": (lambda s: (safe_href(s), safe_href("https://" + s)), LIMITS.article_chars),
    "safe_id": (safe_id, LIMITS.line_chars),
    "canonical_numbers": (canonical_numbers, CHUNK_TEXT),
    "strip_html": (strip_html, LIMITS.article_chars),
    "pinyin rewrite": (lambda s: _lexicon().rewrite(s), CHUNK_TEXT),
    # a query is cut to max_query_chars (512) before it is corrected; 4x that is tested
    "typo correction": (lambda s: _typos().correct(s), 4 * SearchSettings().max_query_chars),
}


def best_time(func: Callable[[str], object], text: str) -> float:
    """Seconds per call: the loop count is doubled until one round takes at least 2 ms, then the
    best of 3 rounds of that many calls (a single short call is mostly timer noise)."""
    loops, best = 1, float("inf")
    gc.disable()
    try:
        while True:
            start = time.perf_counter()
            for _ in range(loops):
                func(text)
            elapsed = time.perf_counter() - start
            if elapsed >= 0.002:
                break
            loops *= 2
        best = elapsed / loops
        for _ in range(2):
            start = time.perf_counter()
            for _ in range(loops):
                func(text)
            best = min(best, (time.perf_counter() - start) / loops)
    finally:
        gc.enable()
    return best


def growth(func: Callable[[str], object], make: Callable[[int], str], limit: int) -> list[tuple]:
    """(size, seconds) at limit/4^k for k = STEPS-1 .. 0, stopping after a step over MAX_RATIO."""
    rows: list[tuple] = []
    for k in reversed(range(STEPS)):
        size = max(limit // 4**k, 1)
        rows.append((size, best_time(func, make(size))))
        if len(rows) > 1 and super_linear(rows[-2:]):
            break
    return rows


def super_linear(rows: list[tuple]) -> bool:
    """A step over MAX_RATIO, or the whole span over MEAN_RATIO per step."""
    times = [max(seconds, FLOOR_SECONDS) for _, seconds in rows]
    steps = [b / a for a, b in itertools.pairwise(times)]
    return max(steps) > MAX_RATIO or times[-1] / times[0] > MEAN_RATIO ** len(steps)


@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_every_pattern_takes_linear_time_on_adversarial_input(function):
    func, limit = FUNCTIONS[function]
    slow = {}
    for shape, make in SHAPES.items():
        rows = growth(func, make, limit)
        # measure up to twice more: a busy machine can stall a timing, and did twice in a row in a
        # fresh-clone CI (2026-12-01: check_size on pinyin, 0.26 -> 2.2 ms for 4x the text, where
        # a quiet run measures 0.24 -> 0.93 ms); a super-linear function fails all three
        for _ in range(2):
            if super_linear(rows):
                rows = growth(func, make, limit)
        if super_linear(rows):
            slow[shape] = [f"{n:,}: {s * 1000:.2f} ms" for n, s in rows]
    assert not slow, f"{function} grows faster than linear on: {slow}"
