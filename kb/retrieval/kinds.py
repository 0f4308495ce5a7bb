"""Query kinds the two retrievers miss on their own: pinyin typed for Chinese, and a query that is
an article's title.

`QueryKinds.rewrite` turns pinyin runs into the help center's Chinese terms (kb/text/pinyin.py)
before retrieval, so BM25 and the dense encoder both see Chinese, then corrects mistyped English
words and Chinese homophones (kb/retrieval/typos.py). The lexicon is built from the
loaded version's titles, tags and headings on first use (the typo corrector's), and extended with
its BM25 vocabulary's Chinese terms the first time a query has a Latin word (0.3 s once on the
sample, most of it pypinyin's phrase table), so it always matches the version being searched (a
rebuild loads a new Searcher, hence a new lexicon).

`QueryKinds.promote` puts an article whose title equals the query (after normalisation:
Traditional/Simplified, width, case, punctuation, spaces and a leading or trailing question word
such as 如何/怎么/吗/how to ignored) first, even when other articles repeat the same words in a
boilerplate notice and outrank it on both BM25 and cosine; then the one article whose text holds
the query as a phrase (kb/retrieval/phrases.py).
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Callable, Iterable

import numpy as np

from ..index import LoadedIndex
from ..text import CJK_RUN_RE, loose_pairs, normalise, query_terms
from ..text.numbers import written_forms
from ..text.pinyin import LATIN_RUN_RE, PinyinLexicon
from .hits import Hit
from .phrases import LOOSE_RE, NON_WORD_RE, phrase_articles
from .typos import TypoCorrector, english_word

TOGETHER_ROWS = 256  # chunks of a corrected term searched for the query's other words
REWRITE_CACHE = 4096  # rewritten queries kept per partition (a few hundred KB at most)
# question words that do not change which article a title-like query means, at either end
FILLER_RE = re.compile(
    r"^(?:请问|如何|怎么样|怎么|怎样|怎麼|howdoi|howcani|howto|how)|(?:吗|呢|么|怎么办)$"
)


def title_key(text: str) -> str:
    """Comparable form of a title or query: normalised, without punctuation and spaces."""
    return NON_WORD_RE.sub("", normalise(text))


def title_keys(text: str) -> set[str]:
    """`title_key` of `text`, the same without a leading or trailing question word, and both
    without the joining words of LOOSE_RE (`支付、充值和转账限额` ~ `支付 充值 转账限额`); keys
    shorter than 2 characters are dropped (a single character is no title)."""
    norm = normalise(text)
    keys = set()
    for form in (norm, LOOSE_RE.sub(" ", norm)):
        key = NON_WORD_RE.sub("", form)
        keys |= {key, FILLER_RE.sub("", key), FILLER_RE.sub("", FILLER_RE.sub("", key))}
    return {k for k in keys if len(k) >= 2}


class QueryKinds:
    """Pinyin rewriting, typo correction and exact-title and exact-phrase promotion over one loaded
    partition; thread-safe (the lexicon, the known words and the title table are built once,
    under a lock). `pinyin`, `titles`, `phrases` and `typos` switch each part off (for
    ablations: SearchSettings.pinyin, .exact_titles, .exact_phrases, .typos). Typo correction
    needs `known` (text -> whether the index has all its BM25 tokens) and takes `extra_words`,
    the synonym list's words: its Latin ones are words to correct towards beyond the index's
    own, its Chinese ones terms pinyin is read as."""

    def __init__(
        self,
        index: LoadedIndex,
        pinyin: bool = True,
        titles: bool = True,
        *,
        phrases: bool = True,
        typos: bool = True,
        known: Callable[[str], bool] | None = None,
        extra_words: Iterable[str] = (),
    ):
        self.index, self.pinyin, self.titles, self.phrases = index, pinyin, titles, phrases
        self._lexicon: PinyinLexicon | None = None
        self._pinyin_lexicon: PinyinLexicon | None = None
        self._titles: dict[str, list[int]] | None = None
        self._lock = threading.Lock()
        # one search asks for the same rewrite up to three times (retrieval, highlights, "good
        # match"); lru_cache is thread-safe and bounded
        self.rewrite = functools.lru_cache(maxsize=REWRITE_CACHE)(self._rewrite)
        self.typos = None
        extra_words = set(extra_words)
        self._glossary = {w for w in extra_words if CJK_RUN_RE.fullmatch(w)}
        if typos and known is not None:
            extra = {w for w in extra_words if w.isascii() and w.isalpha()}
            self.typos = TypoCorrector(
                lambda: self._words(extra), self.lexicon, known, self._together
            )

    def _together(self, term: str, words: list[str]) -> bool:
        """Whether one of the TOGETHER_ROWS best BM25 chunks for `term` also has one of `words`."""
        if not words:
            return False
        rows = [row for row, _ in self.index.keyword.top([term], TOGETHER_ROWS)]
        coverage = self.index.keyword.coverage(list(words), rows) if rows else {}
        return any(share > 0 for share in coverage.values())

    def _words(self, extra: set[str]) -> dict[str, int]:
        """The index's Latin words (chunk counts) and `extra` (counted as 1 where the index lacks
        them), read once under the lock."""
        with self._lock:
            return {**dict.fromkeys(extra, 1), **self.index.keyword.words()}

    def lexicon(self) -> PinyinLexicon:
        """The pinyin lexicon of this partition's titles, tags and headings (built on first use;
        the typo corrector's)."""
        with self._lock:
            if self._lexicon is None:
                table = self.index.articles.table
                texts = table.column("title").to_pylist()
                texts += [" ".join(json.loads(t)) for t in table.column("tags").to_pylist()]
                texts += self.index.articles.sections.column("heading").to_pylist()
                self._lexicon = PinyinLexicon.from_texts(texts)
            return self._lexicon

    def pinyin_lexicon(self) -> PinyinLexicon:
        """`lexicon` extended with the BM25 vocabulary's Chinese terms (those of the synonym list
        even when one chunk holds them: `nianfei` -> 年费), its English words kept English
        (`PinyinLexicon.extended`): what pinyin is read with (built on the first query with a
        Latin word)."""
        titles = self.lexicon()
        with self._lock:
            if self._pinyin_lexicon is None:
                keyword = self.index.keyword
                terms = keyword.words(cjk=True)
                for term in self._glossary & terms.keys():  # the editor's: kept even if rare
                    terms[term] = max(terms[term], 2)
                self._pinyin_lexicon = titles.extended(
                    terms, keyword.words(min_chars=2), english_word
                )
            return self._pinyin_lexicon

    def _rewrite(self, prepared: str) -> str:
        """`prepared` (normalised) with pinyin runs as Chinese terms, then mistyped words
        corrected; unchanged when neither applies or both options are off. Called as
        `self.rewrite`, its memoised form (`self.rewrite.cache_clear()` forgets)."""
        if self.pinyin and LATIN_RUN_RE.search(prepared):
            prepared = self.pinyin_lexicon().rewrite(prepared)
        return self.typos.correct(prepared) if self.typos is not None else prepared

    def highlight_terms(self, query: str) -> tuple[str, ...]:
        """Terms to mark in snippets beyond the query's own words: the written forms of its
        numbers and codes (`5万` marks `50,000`, `th01` marks `TH-01`), the Chinese terms its
        pinyin stands for (`tixian` marks 提现), and the character pairs of words jieba's
        dictionary lacks (`loose_pairs`: 到账 in 提现要多久到账)."""
        prepared = normalise(query)
        extra = [*written_forms(prepared), *loose_pairs(prepared)]
        rewritten = self.rewrite(prepared)
        if rewritten != prepared:
            extra += query_terms(rewritten)
        return tuple(extra)

    def title_rows(self) -> dict[str, list[int]]:
        """title key (`title_keys`) -> article rows with that title, in row order."""
        with self._lock:
            if self._titles is None:
                table: dict[str, list[int]] = {}
                titles = self.index.articles.table.column("title").to_pylist()
                for row, title in enumerate(titles):
                    for key in title_keys(title):
                        table.setdefault(key, []).append(row)
                self._titles = table
            return self._titles

    def promote(
        self, queries: list[str], hits: list[Hit], mask: np.ndarray | None, phrase: bool = True
    ) -> list[Hit]:
        """`hits` with the articles whose title matches any of `queries` (`title_keys`) first,
        then, with `phrase`, the one article whose text holds `queries[0]` as a phrase
        (kb/retrieval/phrases.py; the searcher passes False when the synonym list rewrote the
        query: its words are then written other ways too, `top up` as 充值, and the verbatim
        one is no sign of the answer): each by its best hit, or by its first chunk allowed by
        `mask` when the retrievers missed it, with the top hit's score (so scores stay
        ordered). Unchanged when none matches."""
        if not hits:
            return hits
        rows: list[int] = []
        if self.titles:
            table = self.title_rows()
            for query in queries:
                for key in title_keys(query):
                    rows += [r for r in table.get(key, ()) if r not in rows]
        if self.phrases and phrase:
            rows += [r for r in phrase_articles(self.index, queries[0], hits) if r not in rows]
        if not rows:
            return hits
        chunk_article = self.index.chunk_article
        top = hits[0].score
        promoted, taken = [], set()
        for article in rows:
            hit = next((h for h in hits if chunk_article[h.row] == article), None)
            if hit is None:
                allowed = chunk_article == article
                if mask is not None:
                    allowed &= mask
                first = np.flatnonzero(allowed)
                if not first.size:
                    continue
                hit = Hit(int(first[0]), top)
            promoted.append(Hit(hit.row, max(top, hit.score), hit.bm25_score, hit.dense_score))
            taken.add(hit.row)
        return promoted + [h for h in hits if h.row not in taken]
