"""A query that is a phrase of one article's text: that article first (the exact-phrase kind).

BM25 scores words, not their order, and the dense side reads a short, rare phrase copied from a
page (`source of funds`, `7天冷静期`, `proof of address`) as close to nothing; fusion then put the
one article holding those words verbatim 5th or 6th, where BM25 alone had it first (new-user test,
2026-12-02, docs/BENCHMARKS.md "Exact phrases"). A phrase is compared in `phrase_key` form, on
both sides: normalised (Traditional/Simplified, width, case), punctuation and the joining words of
`LOOSE_RE` (的, and, the) dropped, spaces kept only between two Latin letters or digits, so
`7天冷静期` is a phrase of `7 天的冷静期` and `source of funds` of `... or source of funds.`, but
`7天` is not one of `17天` and `fund` not one of `funds`.

Only a query of at least MIN_CJK CJK characters or MIN_WORDS Latin words is a phrase (`退款` or
`id check` is a topic, which the two retrievers weigh better), and only when exactly one
article among the BM25 side's CHECKED best chunks holds it: a phrase several articles repeat (a
boilerplate notice, a cross-reference) says nothing about which of them answers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from ..index import LoadedIndex
from ..text import CJK_RUN_RE, normalise
from .hits import Hit

MIN_CJK = 4  # CJK characters of a phrase: 4 rules out two-word topics such as 提现, 退款
# Latin words of a phrase, after the joining words are dropped: with 2, `id check` found the one
# article naming `Mastercard ID Check` first, not identity verification (eval/heldout_english.jsonl)
MIN_WORDS = 3
CHECKED = 10  # best BM25 chunks whose sections are read per query (one batched read)
NON_WORD_RE = re.compile(r"[\W_]+")
# the same joining words kb/retrieval/kinds.py's titles ignore
LOOSE_RE = re.compile(r"[和与及的]|(?<![a-z])(?:and|the|your|my)(?![a-z])")
# a space with a non-Latin neighbour (CJK, the text's ends) carries nothing: 7 天 is 7天
LOOSE_SPACE_RE = re.compile(r"(?<![a-z0-9]) +| +(?![a-z0-9])")
LATIN_WORD_RE = re.compile(r"[a-z0-9]+")


@functools.lru_cache(maxsize=8192)  # sections recur across queries: keyed once each (~0.1 ms)
def phrase_key(text: str) -> str:
    """Comparable form of a query or an article's text: `normalise`d, LOOSE_RE's words and
    punctuation dropped, spaces kept only between two Latin letters or digits."""
    text = NON_WORD_RE.sub(" ", LOOSE_RE.sub(" ", normalise(text)))
    return LOOSE_SPACE_RE.sub("", text)


def is_phrase(key: str) -> bool:
    """Whether a `phrase_key` is long enough to name one passage: at least MIN_CJK CJK
    characters or MIN_WORDS Latin words."""
    cjk = sum(len(run) for run in CJK_RUN_RE.findall(key))
    return cjk >= MIN_CJK or len(LATIN_WORD_RE.findall(key)) >= MIN_WORDS


def holds_phrase(text_key: str, key: str) -> bool:
    """Whether `text_key` (a `phrase_key`) holds `key` with no Latin letter or digit glued to
    either end (`fund` is not in `funds`, `7天` not in `17天`)."""
    start = text_key.find(key)
    while start >= 0:
        end = start + len(key)
        before = text_key[start - 1] if start else " "
        after = text_key[end] if end < len(text_key) else " "
        glued = (key[0].isascii() and before.isascii() and before.isalnum()) or (
            key[-1].isascii() and after.isascii() and after.isalnum()
        )
        if not glued:
            return True
        start = text_key.find(key, start + 1)
    return False


def phrase_articles(index: LoadedIndex, query: str, hits: Sequence[Hit]) -> list[int]:
    """The article row whose text holds `query` as a phrase (`is_phrase`, `holds_phrase`),
    looked for in the sections of the CHECKED best BM25 hits among `hits` (those with a
    `bm25_score`); [] when the query is no phrase, none holds it, or more than one article does."""
    key = phrase_key(query)
    if not is_phrase(key):
        return []
    found = sorted((h for h in hits if h.bm25_score is not None), key=lambda h: -h.bm25_score)
    best = found[:CHECKED]
    if not best:
        return []
    rows = [int(index.chunk_article[h.row]) for h in best]
    indexes = [int(index.chunk_section[h.row]) for h in best]
    sections = index.articles.sections_at(rows, indexes)
    holding = {
        row
        for row, section in zip(rows, sections, strict=True)
        if holds_phrase(phrase_key(f"{section.heading}\n{section.text}"), key)
    }
    return list(holding) if len(holding) == 1 else []
