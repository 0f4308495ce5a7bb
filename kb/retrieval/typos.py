"""Typing mistakes in a query, corrected against the help center's own words before retrieval.

Two kinds of mistake (issue 17, the `typo` kind of eval/queries.jsonl), and English compounds
written closed up (`unbindcard`: two known words, `split_word`, tried first):

- **English words off by a letter or two** (`refnud`, `recipt`, `chnage`, `excange`): a Latin word
  the index has never seen is replaced by the known word the fewest edits away (optimal string
  alignment distance: insert, delete, substitute, or swap two neighbours, each one edit). At most
  1 edit for words of 5 to 8 letters and 2 from 9 letters, none below 5: Meilisearch's default
  typo tolerance (`minWordSizeForTypos`: oneTypo 5, twoTypos 9), which keeps `card` from becoming
  `cart`. Ties go to the word in more chunks (SymSpell's rule), then alphabetical order. Known
  words are the index's Latin tokens plus the synonym list's words, so `refnud` reaches `refund`
  and through the synonyms 退款. A real English word is never changed, even when the help
  center does not use it (`change` is not `charge`, `methods` not `method`): pyspellchecker's
  English word list (word frequencies from OpenSubtitles) knows it.
- **Chinese homophones picked from the input method's list** (体现 for 提现, 住册 for 注册, 汇律
  for 汇率, 手續廢 for 手续费): a window of 2 to 4 CJK characters that the index does not know as
  written (one of its BM25 tokens occurs in no chunk) and that reads, in toneless pinyin, exactly
  like a term of the help center's titles, tags and headings (the pinyin lexicon,
  kb/text/pinyin.py; each term by its reading in context only, so 回信 does not become 汇款
  through a rare reading of 款) becomes that term. A term is a target only if it is a word:
  in jieba's dictionary, or seen at least MIN_SEEN times in those texts. Windows start and end
  where jieba's words do, so a window never cuts through a real word (体现 in 具体现在 is 具体 +
  现在, never 提现). Longer windows are tried first; a window that is itself a lexicon term is
  kept as it is. A window that is a common Chinese word (jieba's dictionary frequency >=
  COMMON_WORD: 一直, 体现, 回信) is a real word, maybe the one meant, so it becomes the term only
  when it is a content word (jieba's part of speech not an adverb, pronoun, conjunction,
  preposition, particle or measure word: 一直 is an adverb) and the term appears in a chunk
  together with another content word of the query (余额怎么体现: 余额 and 提现 share chunks), the
  context check of context-sensitive spelling correction.

Words the index knows are never changed, so a query without mistakes searches exactly as before.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from ..text.normalise import CJK_RUN_RE
from ..text.pinyin import PinyinLexicon

ONE_TYPO_FROM, TWO_TYPOS_FROM = 5, 9  # letters; Meilisearch's minWordSizeForTypos defaults
WINDOWS = (4, 3, 2)  # CJK window lengths tried, longest first
# jieba dictionary frequency from which a window is a real word: the typos of eval/queries.jsonl
# are absent or rare there (住册 0, 冻洁 3, 开起 46), the words mistaken for typos common
# (回信 160, 两部 446, 体现 5372, 一直 18596)
COMMON_WORD = 100
# a correction target must be a dictionary word or seen this often in titles, tags and headings:
# jieba's guesses at new words (前要 from 联系客服前要准备) are seen once
MIN_SEEN = 2
FUNCTION_POS = frozenset("cdefopqruy")  # jieba POS initials of words that carry no topic
LATIN_WORD_RE = re.compile(r"(?<![a-z0-9])[a-z]+(?![a-z0-9])")
LONG_LATIN_RE = re.compile(f"[a-z]{{{ONE_TYPO_FROM}}}")


def allowed_edits(word: str) -> int:
    """Edits a mistyped `word` may be from its correction: 0 (under 5 letters), 1 or 2."""
    return 2 if len(word) >= TWO_TYPOS_FROM else 1 if len(word) >= ONE_TYPO_FROM else 0


def closest_word(word: str, words: dict[str, int]) -> str | None:
    """The word of `words` (word -> chunks containing it) closest to an unknown `word` within
    `allowed_edits`, or None when `word` is known, too short, or nothing is near enough."""
    edits = allowed_edits(word)
    if not edits or word in words:
        return None
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    found = process.extract(word, words.keys(), scorer=OSA.distance, score_cutoff=edits, limit=None)
    if not found:
        return None
    return min(found, key=lambda f: (f[1], -words[f[0]], f[0]))[0]


def split_word(word: str, words: dict[str, int]) -> str | None:
    """`word` split in two known words (`unbindcard` -> `unbind card`, `bankcard` -> `bank card`)
    when it is unknown and some split gives two words of `words` of at least MIN_PART letters;
    of several splits, the one whose rarer part is in the most chunks (then the earlier cut).
    None otherwise. As Typesense's `split_join_tokens` splits a token no document holds:
    customers write English compounds closed up. Tried before `closest_word`, so two known
    words beat one edit."""
    if word in words:
        return None
    splits = [
        (min(words[word[:i]], words[word[i:]]), -i)
        for i in range(MIN_PART, len(word) - MIN_PART + 1)
        if word[:i] in words and word[i:] in words
    ]
    if not splits:
        return None
    cut = -max(splits)[1]
    return f"{word[:cut]} {word[cut:]}"


MIN_PART = 3  # letters: `card` + `s` or `a` + `ccount` are no compounds


def english_word(word: str) -> bool:
    """Whether `word` (lower case) is in pyspellchecker's English word list."""
    return _english()[word] > 0


def one_edit(word: str) -> set[str]:
    """Every string one edit (delete, swap, replace, insert of a-z) from `word`: pyspellchecker's
    `edit_distance_1`."""
    return _checker().edit_distance_1(word)


@functools.cache
def _checker():
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1)


def _english():
    return _checker().word_frequency


def common_word(window: str, least: int = COMMON_WORD) -> bool:
    """Whether `window` is in jieba's dictionary at frequency >= `least`."""
    from ..text.tokenise import _jieba

    return _jieba().dt.FREQ.get(window, 0) >= least


def function_word(window: str) -> bool:
    """Whether jieba tags `window` (as one word) with a part of speech in FUNCTION_POS."""
    import jieba.posseg

    tags = [pair.flag for pair in jieba.posseg.cut(window, HMM=False)]
    return len(tags) == 1 and tags[0][:1] in FUNCTION_POS


def _cut(run: str) -> list[str]:
    """jieba's words of a CJK run (dictionary only, no HMM guesses)."""
    from ..text.tokenise import _jieba

    return list(_jieba().cut(run, HMM=False))


def content_words(query: str) -> list[str]:
    """jieba words of 2+ characters in the CJK runs of `query`, stopwords left out."""
    from ..text.tokenise import STOPWORDS

    runs = [run for run in CJK_RUN_RE.findall(query) if len(run) > 1]
    return [w for run in runs for w in _cut(run) if len(w) > 1 and w not in STOPWORDS]


@functools.lru_cache(maxsize=65536)
def reading(window: str) -> str:
    """Toneless pinyin of `window`, joined (体现 -> tixian); pypinyin's reading in context.
    Memoised: the same windows recur in every query (pypinyin was a third of the typo step's
    time per query; docs/BENCHMARKS.md "Query latency after issue 17")."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(window))


class TypoCorrector:
    """Corrects the two kinds of mistake of the module docstring in a normalised query.

    `words` returns the known Latin words (word -> chunk count) and `lexicon` the pinyin lexicon;
    both are called on first need (an index's vocabulary is read once, lazily). `known(text)` says
    whether the index has every BM25 token of `text`; `together(term, words)` whether some chunk
    has `term` and at least one of `words`. Thread-safe if those four are."""

    def __init__(
        self,
        words: Callable[[], dict[str, int]],
        lexicon: Callable[[], PinyinLexicon],
        known: Callable[[str], bool],
        together: Callable[[str, list[str]], bool],
    ):
        self._words_source, self._lexicon, self.known = words, lexicon, known
        self.together = together
        self._words: dict[str, int] | None = None
        self._terms: frozenset[str] | None = None
        self._by_reading: dict[str, str] | None = None

    def words(self) -> dict[str, int]:
        """Known Latin words -> chunk count (read once)."""
        if self._words is None:
            self._words = self._words_source()
        return self._words

    def correct(self, query: str) -> str:
        """`query` (normalised) with unknown English words and Chinese homophones replaced by the
        help center's words; unchanged when nothing is mistyped."""
        if CJK_RUN_RE.search(query):
            words = content_words(query)
            query = CJK_RUN_RE.sub(lambda m: self._correct_run(m.group(0), words), query)
        if LONG_LATIN_RE.search(query):  # a word long enough to have a typo (ONE_TYPO_FROM)
            query = LATIN_WORD_RE.sub(lambda m: self._correct_word(m.group(0)), query)
        return query

    def _correct_word(self, word: str) -> str:
        if not allowed_edits(word) or english_word(word):
            return word
        return split_word(word, self.words()) or closest_word(word, self.words()) or word

    def _typo(self, window: str, term: str, words: list[str]) -> bool:
        """Whether `window` is a mistyped `term` (same reading): unknown to the index, and either
        no common word or a content word whose term meets the query's other words in a chunk."""
        if self.known(window):
            return False
        if not common_word(window):
            return True
        others = [w for w in words if w != window]
        return not function_word(window) and self.together(term, others)

    def _correct_run(self, run: str, words: list[str]) -> str:
        if len(run) < min(WINDOWS):
            return run
        if self._by_reading is None:
            counts = self._lexicon().counts  # most frequent first
            by_reading: dict[str, str] = {}
            for term, seen in counts:
                if seen >= MIN_SEEN or common_word(term, 1):
                    by_reading.setdefault(reading(term), term)
            self._terms, self._by_reading = frozenset(t for t, _ in counts), by_reading
        bounds, at = {0}, 0
        for word in _cut(run):
            at += len(word)
            bounds.add(at)
        out, i = [], 0
        while i < len(run):
            for size in WINDOWS:
                window = run[i : i + size]
                if len(window) < size or i not in bounds or i + size not in bounds:
                    continue
                if window in self._terms:
                    out.append(window)
                    break
                term = self._by_reading.get(reading(window))
                if (
                    term
                    and term != window
                    and len(term) == size
                    and self._typo(window, term, words)
                ):
                    out.append(term)
                    break
            else:
                out.append(run[i])
                i += 1
                continue
            i += size
        return "".join(out)
