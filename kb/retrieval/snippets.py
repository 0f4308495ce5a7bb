"""Answer snippets: the section's most relevant sentences, with the query terms located.

Highlights are character spans into the plain snippet, not markup, so each front end escapes the text
first and adds its own marks; the CLI/JSON form marks terms with `**`.
"""

from __future__ import annotations

import bisect
import functools
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..text import normalise, sentences
from ..text.normalise import CJK, CJK_RUN_RE

ELLIPSIS = "…"
# an English sentence ends at . ! or ? followed by space and a capital, digit or opening quote;
# a few abbreviations (e.g., i.e., Mr., No.) do not end one
LATIN_SENTENCE_RE = re.compile(
    r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bNo\.)(?<!\bvs\.)"
    r"(?<=[.!?])\s+(?=[A-Z0-9\"'“(])"
)
RUN_RE = re.compile(f"[{CJK}]+|[^{CJK}]+")


@dataclass(frozen=True)
class Snippet:
    """A snippet's plain `text` and the query terms in it: `highlights`, sorted, non-overlapping
    (start, end) character offsets into `text`."""

    text: str
    highlights: tuple[tuple[int, int], ...]

    def marked(self, open_mark: str = "**", close_mark: str = "**") -> str:
        """`text` with each highlight between `open_mark` and `close_mark` (Markdown bold by
        default); nothing is escaped."""
        out, last = [], 0
        for start, end in self.highlights:
            out += [self.text[last:start], open_mark, self.text[start:end], close_mark]
            last = end
        out.append(self.text[last:])
        return "".join(out)


def _fold_other(piece: str) -> str | None:
    """A run without CJK folded as `normalise` would (NFKC, lower-case), or None when a character
    would change length (a ligature, an invisible character): then it goes a character at a time."""
    if piece.isascii():
        return piece.lower()
    if any(len(unicodedata.normalize("NFKC", c)) != 1 for c in piece if not c.isascii()):
        return None
    return normalise(piece)


@functools.lru_cache(maxsize=16384)
def folded(text: str) -> tuple[str, tuple[int, ...] | None]:
    """(`normalise(text)`, where): the text as queries are normalised (NFKC, Traditional to
    Simplified with OpenCC's Taiwan phrases, lower-case) and, for each of its characters, the
    offset in `text` it came from (None when every offset is kept). A CJK run is converted as a
    whole, so phrase conversions (文件 -> 文档, 發票 -> 发票) still apply, unless that changes its
    length; other non-ASCII text (full-width letters, ligatures, invisible characters) a character
    at a time, so a removed character and an expanded one cannot cancel out."""
    if text.isascii():  # normalise changes only case and control codes here: same offsets
        return text.lower(), None
    out: list[str] = []
    where: list[int] = []
    for run in RUN_RE.finditer(text):
        start, piece = run.start(), run.group()
        converted = normalise(piece) if CJK_RUN_RE.match(piece) else _fold_other(piece)
        if converted is not None and len(converted) == len(piece):
            out.append(converted)  # a CJK run converted as a whole keeps its phrases
            where.extend(range(start, start + len(piece)))
            continue
        for i, char in enumerate(piece):
            one = normalise(char)
            out.append(one)
            where.extend([start + i] * len(one))
    return "".join(out), tuple(where)


@functools.cache
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english"), threading.Lock()


@functools.lru_cache(maxsize=65536)
def english_stem(word: str) -> str:
    """The Snowball (Porter2) English stem of a lower-case word (`unfreezing`, `unfreeze` ->
    unfreez; `withdrawals` -> withdraw; `happy`, `happiness` -> happi). Thread-safe (the
    stemmer keeps state while it works)."""
    stemmer, lock = _stemmer()
    with lock:
        return stemmer.stemWord(word)


def _inflected(term: str) -> bool:
    """Whether `term` is an English word whose other forms count as it (letters, 3 or more)."""
    return term.isascii() and term.isalpha() and len(term) >= 3


@functools.lru_cache(maxsize=16384)
def _term_pattern(term: str) -> tuple[re.Pattern, str]:
    """(pattern, text every match holds): an English word (`_inflected`) matches whole words
    starting with what it shares with its stem, kept when their stem is its own (checked by
    `_matches`: `freezing` marks "freeze" and "freezes", `withdrawals` marks "withdrawal", `lock`
    marks "locked"; a new user's highlights); another Latin word or code matches whole words only;
    anything else (CJK) matches anywhere."""
    if _inflected(term):
        stem = english_stem(term)
        same = (i for i, (a, b) in enumerate(zip(term, stem, strict=False)) if a != b)
        prefix = term[: next(same, min(len(term), len(stem)))]  # what the word and stem share
        prefix = prefix[:-1] if prefix.endswith(("i", "y")) else prefix  # verifi- ~ verify
        return re.compile(rf"(?<![a-z0-9]){re.escape(prefix)}[a-z]*(?![a-z0-9])"), prefix
    if term.isascii() and term.isalnum():
        return re.compile(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])"), term
    return re.compile(re.escape(term)), term


def _matches(term: str, haystack: str) -> list[tuple[int, int]]:
    """Spans of `term` (`_term_pattern`) in `haystack` (folded text)."""
    pattern, needle = _term_pattern(term)
    if not term or needle not in haystack:  # most terms are absent: skip the regex
        return []
    if not _inflected(term):
        return [m.span() for m in pattern.finditer(haystack)]
    stem = english_stem(term)
    return [m.span() for m in pattern.finditer(haystack) if english_stem(m.group()) == stem]


def find_spans(text: str, terms: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """Non-overlapping spans of `terms` (normalised query terms) in the ORIGINAL `text`, longest
    terms claiming first (equal lengths in the order given, so the query's own words come before
    `loose_pairs`), in text order: matched in `folded(text)` and mapped back, so a Simplified term
    marks its Traditional spelling and 文件 is marked where the query said 文件."""
    haystack, where = folded(text)
    taken = [False] * len(text)
    spans = []
    # dict.fromkeys, not set: a set's order of equal-length terms changes with the hash seed, and
    # with it which of two overlapping terms is marked
    for term in sorted(dict.fromkeys(terms), key=len, reverse=True):
        for start, end in _matches(term, haystack):
            if where is not None:
                start, end = where[start], where[end - 1] + 1
            if not any(taken[start:end]):
                taken[start:end] = [True] * (end - start)
                spans.append((start, end))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _join(parts: Sequence[str]) -> str:
    out = ""
    for part in parts:
        if out and out[-1].isascii() and out[-1] not in "\n" and part[:1].isascii():
            out += " "
        out += part
    return out


def _best_window(weights: list[int], lengths: list[int], max_chars: int) -> tuple[int, int]:
    """(start, end) sentence indices of the window with the most matched term length, among the
    longest windows that fit `max_chars` from each start (a first sentence always counts), then
    the earliest start, then the fewest sentences that reach that score. `weights` and `lengths`
    are prefix sums (n + 1 entries). O(n log n) with two pointers, so a section of thousands of
    short sentences costs no more than its length (a window per pair of sentences did)."""
    count = len(lengths) - 1
    best_score, best_start, best_end = -1, 0, 1
    end = 0
    for start in range(count):
        end = max(end, start + 1)
        while end < count and lengths[end + 1] - lengths[start] <= max_chars:
            end += 1
        score = weights[end] - weights[start]
        if score > best_score:
            best_score, best_start, best_end = score, start, end
    # the fewest sentences from best_start that already reach the score
    first = bisect.bisect_left(weights, weights[best_start] + best_score, best_start + 1, best_end)
    return best_start, first


@functools.lru_cache(maxsize=4096)
def _sentences(text: str) -> tuple[str, ...]:
    """`sentences` of the text, English ones split further at `LATIN_SENTENCE_RE` (the shared
    splitter ends sentences at CJK punctuation and line breaks only). Memoised: the texts are a
    version's sections, split again for every search that shows them."""
    parts: list[str] = []
    for sentence in sentences(text):
        parts += [p for p in LATIN_SENTENCE_RE.split(sentence) if p.strip()]
    return tuple(parts)


def _centre(body: str, terms: Sequence[str], max_chars: int) -> tuple[str, bool, bool]:
    """`body` cut to `max_chars` around its first match (at word boundaries where there are
    spaces): (text, cut before, cut after). Without a match, or with one in the first
    `max_chars`, the start is kept."""
    spans = find_spans(body, terms)
    if not spans or spans[0][1] <= max_chars - 1:
        return body[: max_chars - 1].rstrip(), False, True
    first_start, first_end = spans[0]
    start = max(
        0,
        min(
            first_start - (max_chars - (first_end - first_start)) // 2, len(body) - (max_chars - 2)
        ),
    )
    if start and " " in body[start - 1 : first_start]:  # begin at a word
        start = body.index(" ", start - 1) + 1
    end = min(len(body), start + max_chars - 2)
    if end < len(body) and " " in body[first_end:end]:
        end = body.rindex(" ", first_end, end)
    return body[start:end].strip(), start > 0, end < len(body)


def make_snippet(text: str, terms: Sequence[str], max_chars: int = 160) -> Snippet:
    """The best window of consecutive sentences (by matched term length) that fits `max_chars`.

    `terms`: normalised content words (`query_terms`), found in the original text (`find_spans`).
    English sentences are split at their full stops too. Ties go to the earlier window. A window
    longer than max_chars (one long sentence) is cut around its first match. A window cut or
    followed by more text ends with `…`, one after the section's start begins with one, so the
    text is at most max_chars + 2 characters; empty for a text without sentences."""
    parts = _sentences(text)
    if not parts:
        return Snippet("", ())
    weights = [0]  # prefix sums of matched term length, and of sentence length
    lengths = [0]
    for sentence in parts:
        low = folded(sentence)[0]
        weights.append(weights[-1] + sum(len(t) for t in terms if _matches(t, low)))
        lengths.append(lengths[-1] + len(sentence))
    start, end = _best_window(weights, lengths, max_chars)
    body = _join(parts[start:end])
    before, after = start > 0, end < len(parts)
    if len(body) > max_chars:
        body, cut_before, after = _centre(body, terms, max_chars)
        before = before or cut_before
    body = (ELLIPSIS if before else "") + body + (ELLIPSIS if after else "")
    return Snippet(body, find_spans(body, terms))
