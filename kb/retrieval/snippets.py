"""Answer snippets: the section's most relevant sentences, with the query terms located.

Highlights are character spans into the plain snippet, not markup, so each front end escapes the text
first and adds its own marks; the CLI/JSON form marks terms with `**`.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..text import sentences

ELLIPSIS = "…"


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


@functools.lru_cache(maxsize=16384)
def _comparable(text: str) -> str:
    """Lower-cased NFKC when that keeps every offset, else plain lower-case."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return folded if len(folded) == len(text) else text.lower()


@functools.lru_cache(maxsize=16384)
def _term_pattern(term: str) -> re.Pattern:
    """A Latin word matches whole words only; anything else (CJK) matches anywhere."""
    if term.isascii() and term.isalnum():
        return re.compile(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])")
    return re.compile(re.escape(term))


def find_spans(text: str, terms: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """Non-overlapping spans of `terms` in `text`, longest terms claiming first, in text order."""
    haystack = _comparable(text)
    taken = [False] * len(text)
    spans = []
    for term in sorted(set(terms), key=len, reverse=True):
        if not term or term not in haystack:  # most terms are absent: skip the regex
            continue
        for match in _term_pattern(term).finditer(haystack):
            start, end = match.span()
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


def _join(parts: list[str]) -> str:
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


def make_snippet(text: str, terms: Sequence[str], max_chars: int = 160) -> Snippet:
    """The best window of consecutive sentences (by matched term length) that fits `max_chars`.

    `terms`: lower-case content words (`query_terms`). Ties go to the earlier window. A window cut
    at the end or followed by more text ends with `…`, one after the section's start begins with
    one, so the text is at most max_chars + 2 characters; empty for a text without sentences."""
    parts = [s for s in sentences(text) if s.strip()]
    if not parts:
        return Snippet("", ())
    weights = [0]  # prefix sums of matched term length, and of sentence length
    lengths = [0]
    for sentence in parts:
        low = _comparable(sentence)
        weights.append(weights[-1] + sum(len(t) for t in terms if t and t in low))
        lengths.append(lengths[-1] + len(sentence))
    start, end = _best_window(weights, lengths, max_chars)
    body = _join(parts[start:end])
    if len(body) > max_chars:
        body = body[: max_chars - 1].rstrip() + ELLIPSIS
    elif end < len(parts):
        body += ELLIPSIS
    if start > 0:
        body = ELLIPSIS + body
    return Snippet(body, find_spans(body, terms))
