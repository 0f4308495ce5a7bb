"""Pinyin typed for Chinese: a lexicon from the help center's own terms, and query rewriting.

Chinese users type pinyin when their input method is off: full syllables with or without spaces
(`tixian shouxufei`, `wang ji mi ma le`), initials only (`txsxf`), or mixed with characters
(`tixian 手续费`). `PinyinLexicon.from_texts` reads the Chinese words (jieba, 2+ characters) of
titles, tags and headings and keys each by its pinyin (pypinyin, toneless, joined: `tixian`) and
by its initials (`tx`). `rewrite` replaces a run of Latin words that reads as pinyin of those
terms with the terms, so BM25 and the dense encoder both see Chinese.

English stays English: a run is rewritten only when it splits entirely into valid pinyin
syllables (`refund`, `fee`, `card` do not) and lexicon terms cover most of its letters, or, with no
vowel at all (`txsxf`, 3 letters or more), when it splits entirely into lexicon initials.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .normalise import CJK_RUN_RE, normalise
from .pinyin_typed import is_syllables, keyboard_pattern, plain_pinyin, syllables, untoned

LATIN_RUN_RE = re.compile(r"[a-z]+(?:[ \t]+[a-z]+)*")
VOWELS = frozenset("aeiouv")
MAX_WORDS = 8  # longest run of words tried as one pinyin phrase
MAX_LETTERS = 48  # longer joined runs are not tried (keeps the dynamic programme small)
MIN_COVER = 0.6  # share of a full-syllable run's letters that lexicon terms must cover
MAX_TERM_CHARS = 8  # longest Chinese term the lexicon keys
MAX_EXTRA_TERMS = 20_000  # index vocabulary terms keyed (`quick_keys`: about 0.25 s for 20k)
# shortest run read as initials alone: two consonants are as often English (`my`, `by`, `pc`) as
# pinyin, and matched 满意 for `my` in `a receipt for my payment`
MIN_INITIALS = 3
# short English words, abbreviations and chat shorthand that are never pinyin initials, even
# touching Chinese (`my账户`, `pc端`), beyond the English stopwords and the index's own words
ENGLISH_SHORT = frozenset(
    [
        *("my", "by", "pc", "tv", "pm", "vs", "mr", "ms", "dr", "hr", "cv", "gps", "sms", "vpn"),
        *("pdf", "sb", "gg", "hh", "xx"),  # the last four: chat shorthand (`sb客服`, `gg了`)
    ]
)


def term_keys(term: str) -> tuple[list[str], str]:
    """(readings, first letters) of a Chinese `term`: 提现 -> (["tixian"], "tx"). Readings are
    toneless pinyin joined: pypinyin's reading in context first, then each with one character read
    another way it can be read (重置 -> chongzhi, zhongzhi), so a user's reading still matches."""
    from pypinyin import Style, lazy_pinyin, pinyin

    main = lazy_pinyin(term)
    readings = ["".join(main)]
    for i, options in enumerate(pinyin(term, style=Style.NORMAL, heteronym=True)):
        for other in options[1:] if i < len(main) else ():
            readings.append("".join([*main[:i], other, *main[i + 1 :]]))
    letters = lazy_pinyin(term, style=Style.FIRST_LETTER)
    return list(dict.fromkeys(readings)), "".join(letters)


def quick_keys(term: str) -> tuple[list[str], str]:
    """`term_keys` from pypinyin's tables alone, about 10x faster (12 us a term: for the index
    vocabulary's thousands of terms): the phrase table's readings of the longest phrases it has,
    left to right, else a character's first reading; the variants and first letters as
    `term_keys`. ([], "") for a term with a character pypinyin has no reading for."""
    from pypinyin.phrases_dict import phrases_dict

    per = [_char_readings(c) for c in term]
    if not all(per):
        return [], ""
    main, i = [], 0
    while i < len(term):  # longest phrase of the table first, as pypinyin segments
        for size in range(len(term) - i, 0, -1):
            phrase = phrases_dict.get(term[i : i + size]) if size > 1 else None
            if size == 1:
                main.append(per[i][0])
            elif phrase and len(phrase) == size:
                main += [untoned(p[0]) for p in phrase]
            else:
                continue
            i += size
            break
    readings = ["".join(main)]
    for i, options in enumerate(per):
        readings += ["".join([*main[:i], o, *main[i + 1 :]]) for o in options if o != main[i]]
    return list(dict.fromkeys(readings)), "".join(m[:1] for m in main)


@functools.lru_cache(maxsize=32768)
def _char_readings(char: str) -> tuple[str, ...]:
    """A character's toneless readings, pypinyin's first first (ü as v); () for none."""
    from pypinyin.pinyin_dict import pinyin_dict

    found = pinyin_dict.get(ord(char), "")
    return tuple(dict.fromkeys(untoned(r) for r in found.split(",") if r))


@dataclass(frozen=True)
class PinyinLexicon:
    """pinyin key -> Chinese term: `full` by joined syllables, `initials` by first letters; where
    several terms share a key, the one most frequent in the source texts (then the first seen)."""

    full: dict[str, str]
    initials: dict[str, str]
    latin: frozenset[str] = frozenset()  # Latin words of the source texts: never pinyin
    counts: tuple[tuple[str, int], ...] = ()  # (term, times seen in the source texts), most first
    indexed: frozenset[str] = frozenset()  # terms only the index's vocabulary has, not the texts
    firsts: Mapping[str, str] = field(default_factory=dict)  # a text term -> its first letters
    # `extended`: the texts' own lexicon, and the test of a word being English (never read with
    # the index's terms: their character bigrams read `made` as 码的, `decide` as 次登)
    base: PinyinLexicon | None = None
    english: Callable[[str], bool] | None = None

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> PinyinLexicon:
        """From titles, tags and headings (any script; normalised here): every jieba word of 2 to
        MAX_TERM_CHARS CJK characters, and each whole CJK run of that length. Their Latin words,
        the English stopwords and ENGLISH_SHORT are never read as pinyin."""
        from .tokenise import STOPWORDS, _jieba

        counts: Counter[str] = Counter()
        latin = {w for w in [*STOPWORDS, *ENGLISH_SHORT] if len(w) > 1}
        for text in texts:
            text = normalise(text)
            latin.update(w for w in re.findall(r"[a-z]+", text) if len(w) > 1)
            for run in CJK_RUN_RE.findall(text):
                words = [w for w in _jieba().cut_for_search(run) if 2 <= len(w) <= MAX_TERM_CHARS]
                counts.update(words + ([run] if 2 <= len(run) <= MAX_TERM_CHARS else []))
        full: dict[str, str] = {}
        initials: dict[str, str] = {}
        firsts: dict[str, str] = {}
        for term, _ in counts.most_common():  # most frequent first: it keeps a shared key
            keys, first = term_keys(term)
            for key in keys:
                if key.isalpha() and key.isascii():
                    full.setdefault(key, term)
            if first.isalpha() and first.isascii():
                initials.setdefault(first, term)
                firsts[term] = first
        return cls(full, initials, frozenset(latin), tuple(counts.most_common()), firsts=firsts)

    def extended(
        self,
        terms: Mapping[str, int],
        latin_words: Iterable[str] = (),
        english: Callable[[str], bool] | None = None,
    ) -> PinyinLexicon:
        """This lexicon with the index vocabulary's Chinese `terms` (term -> chunks holding it; the
        MAX_EXTRA_TERMS most frequent held by 2+ chunks), keyed by `quick_keys`, so body words
        that no title has as a jieba word are read too (`tixian daozhang` -> 提现到账). A full
        reading keeps the texts' term, then the index's most frequent; initials keep the term
        most frequent in both (txdz: 到账 in 29 chunks, not 电子 of one heading). `latin_words`
        (the index's English words) are never read as pinyin, and a run with a word `english`
        says is English (`made`, `women`, `line`) is read with this lexicon alone, as before.
        `counts` stay the texts' (the typo corrector's)."""
        held = sorted((n, t) for t, n in terms.items() if n >= 2 and len(t) >= 2)
        held_counts = Counter({t: n for n, t in held[-MAX_EXTRA_TERMS:]})
        texts = dict(self.counts)
        full, firsts = dict(self.full), dict(self.firsts)
        for term, _ in held_counts.most_common():
            if term in texts:
                continue
            keys, first = quick_keys(term)
            for key in keys:
                if key.isalpha() and key.isascii():
                    full.setdefault(key, term)
            if first.isalpha() and first.isascii():
                firsts[term] = first
        initials: dict[str, str] = {}
        for term, _ in (Counter(texts) + held_counts).most_common():
            if term in firsts:
                initials.setdefault(firsts[term], term)
        latin = self.latin | {w for w in latin_words if len(w) > 1}
        indexed = frozenset(held_counts) - frozenset(texts)
        return dataclasses.replace(
            self,
            full=full,
            initials=initials,
            latin=latin,
            indexed=indexed,
            firsts=firsts,
            base=self,
            english=english,
        )

    def _cover(self, letters: str, table: dict[str, str], fillers: bool) -> list[str] | None:
        """Terms of the best split of `letters` into `table` keys (and, with `fillers`, single
        syllables that add no term): most letters in terms, a term of the texts counting twice
        one only the index holds (its character bigrams cross words: 改密 of 修改密码 must not
        read `gaimima` before 密码), then fewest pieces; None if none."""
        n, known = len(letters), syllables()
        # (weighted letters in terms, -pieces, terms, letters in terms) of the best split so far
        best: list[tuple[int, int, list[str], int] | None] = [(0, 0, [], 0)] + [None] * n
        longest = max(map(len, table), default=0)
        for end in range(1, n + 1):
            for start in range(max(0, end - max(longest, 6)), end):
                prev, piece = best[start], letters[start:end]
                if prev is None:
                    continue
                term = table.get(piece)
                if term is not None:
                    weight = 1 if term in self.indexed else 2
                    cand = (
                        prev[0] + weight * len(piece),
                        prev[1] - 1,
                        prev[2] + [term],
                        prev[3] + len(piece),
                    )
                elif fillers and piece in known:
                    cand = (prev[0], prev[1] - 1, prev[2], prev[3])
                else:
                    continue
                if best[end] is None or cand[:2] > best[end][:2]:
                    best[end] = cand
        found = best[n]
        if found is None or not found[2]:
            return None
        if fillers and found[3] < MIN_COVER * n:
            return None
        return found[2]

    def convert(self, letters: str, min_initials: int = MIN_INITIALS) -> str | None:
        """The Chinese terms `letters` (a-z, no spaces) reads as, joined; None when it does not
        read as pinyin of lexicon terms (module docstring). A run without vowels needs
        `min_initials` letters to be read as initials. One letter typed three times or more
        (`zzzzzz`, `xxxx`, `hhh`) is a key held down, never pinyin: `zzzzzz` read as 转账转账转账
        (a new user's junk input, 2026-12-03), nor are initials that are keyboard mash
        (`keyboard_pattern`: `hjkl`, `jkjkjk`)."""
        if len(letters) < 2 or len(letters) > MAX_LETTERS or letters in self.latin:
            return None
        if len(letters) >= 3 and len(set(letters)) == 1:
            return None
        if not VOWELS.intersection(letters):
            if len(letters) < min_initials or keyboard_pattern(letters):
                return None
            terms = self._cover(letters, self.initials, fillers=False)
        elif is_syllables(letters):
            terms = self._cover(letters, self.full, fillers=True)
        else:
            return None
        return "".join(terms) if terms else None

    def rewrite(self, query: str) -> str:
        """`query` (normalised) with each run of Latin words that reads as pinyin replaced by its
        Chinese terms (longest run first, at most MAX_WORDS words); everything else unchanged.
        Tone marks are dropped first from words that then read as syllables (`tíxiàn` ->
        `tixian`, `lǜ` -> `lv`), and so are tone numbers (`ti2xian4`) and the apostrophes
        between syllables (`jiao'yi`): `plain_pinyin`; two initials touching a Chinese
        character are read as initials (`kf电话`: 客服电话), where alone they are as often English
        (`my`, `pc`)."""
        if not self.full:
            return query
        query = plain_pinyin(query, lambda plain: self.convert(plain) is not None)
        return LATIN_RUN_RE.sub(lambda m: self._rewrite_match(m, query), query)

    def _rewrite_match(self, match: re.Match, query: str) -> str:
        """The rewritten run of `match` (a LATIN_RUN_RE match in `query`)."""
        start, end = match.span()
        touching = (start > 0 and CJK_RUN_RE.match(query, start - 1) is not None) or (
            end < len(query) and CJK_RUN_RE.match(query, end) is not None
        )
        return self._rewrite_run(match.group(0).split(), 2 if touching else MIN_INITIALS)

    def _rewrite_run(self, words: list[str], min_initials: int = MIN_INITIALS) -> str:
        out, i = [], 0
        while i < len(words):
            for j in range(min(len(words), i + MAX_WORDS), i, -1):
                lexicon = self
                if self.base is not None and self.english and any(map(self.english, words[i:j])):
                    lexicon = self.base
                chinese = lexicon.convert("".join(words[i:j]), min_initials)
                if chinese:
                    out.append(chinese)
                    i = j
                    break
            else:
                out.append(words[i])
                i += 1
        return " ".join(out)
