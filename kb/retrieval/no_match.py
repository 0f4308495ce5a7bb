""" "No good match" from several signals: the query's content words, how much of them the best
answers contain, and the dense cosine (issue 17 item 6).

The dense cosine alone flags an exact model code (`TH02`, in an article's title) as no match,
because a short code embeds close to nothing, and passes 33 dashes or a bare `请问`, because any
query gets *some* nearest neighbour. So: a query with no content word (only punctuation,
symbols or filler such as 请问/你好/hello) is never a good match; a query whose every content
word is in one of the top answers (title, section heading or snippet, compared after
normalising) is one; a query that names something no chunk mentions and shares with the help
center only words most of its chunks hold (its own name: `OKPay 能办房贷吗`) is not; otherwise the
dense cosine decides, as it did.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence

from ..options import TextSettings
from ..text import STOPWORDS, loose_pairs, normalise, query_terms, query_tokens
from ..text.normalise import CJK, CJK_RUN_RE
from ..text.numbers import PART_RE, canonical_numbers
from .code import without_code
from .snippets import folded
from .word_joins import WORD_RE

# greetings and politeness that carry no topic; with STOPWORDS (请问, 怎么, what, how, ...)
FILLER = frozenset(
    (  # noqa: SIM905 (one word list, easier to edit as text)
        "你好 您好 你们好 大家好 哈喽 嗨 喂 谢谢 谢了 多谢 麻烦 麻烦你 请 在吗 在不在 有人吗 问一下 "
        "问个问题 咨询 咨询一下 hello hi hey hiya thanks thank please pls ok okay yes no help question "
        "anyone there"
    ).split()
)
FILLER_RE = re.compile("|".join(sorted((w for w in FILLER if CJK_RUN_RE.search(w)), key=len)[::-1]))
# Cantonese question words, as 怎么/为什么/多少/哪里 are STOPWORDS in Mandarin: `點樣增值` asks
# about 增值. Dropped only when another content word is left (`點解提唔到錢`: jieba cuts the
# rest into single characters, which are no content words, so 點解 stays and the cosine decides).
CANTONESE_QUESTION_WORDS = frozenset(
    "点样 点解 点算 点搞 几多 几时 边度 边个 边间 乜嘢 咩嘢 有冇 使唔使 得唔得 系唔系".split()  # noqa: SIM905
)
TOP = 3  # the answers a customer sees first; the signals are read from them
# one bare number of up to this many digits, alone (`8`, `200`, the `1` of `' OR 1=1 --`), says
# nothing: some answer holds it, so it made junk a "good match" (a new user's off-topic lines,
# 2026-11-30). With a unit or a word beside it (`18岁`, `1%`, `15元`, `9点到21点`) it is a question;
# longer amounts alone (`50000`) are kept, as customers paste them.
MAX_BARE_DIGITS = 4
# any CJK character (元, 岁, 点: a unit or a word), or a unit written on the number (`1%`, `$5`)
# A word that this share of the chunks (or more) holds names the help center, not a topic: the
# sample's own name `okpay` is in 42% of its chunks, its next most common word (账户) in 31%.
# With it, the tuning set's off-topic catches went 118 -> 122 of 139 at one false alarm more
# (of 582), and the held-out set's 38 -> 44 of 60 at none more (of 200), where 0.30 (账户 counted
# as common) cost four false alarms on the tuning set (docs/BENCHMARKS.md "No good match").
COMMON_SHARE = 0.4
# a word of one character typed this many times or more is a key held down, no topic (`zzzzzz`,
# `xxxxxxxx`, `1111111`: passed as good matches in a new user's test, 2026-12-03)
MIN_REPEATS = 3
UNIT_RE = re.compile(f"[{CJK}]|[0-9]\\s*[%％‰]|[$¥￥€£]\\s*[0-9]")


@functools.lru_cache(maxsize=4096)  # the searcher asks up to three times per query
def content_words(query: str) -> tuple[str, ...]:
    """`query_terms` of the query without filler and without terms that have no letter, digit
    or CJK character: what the query is about. () for `-----`, `？？`, `请问`, `hello`, and for
    one bare number of up to MAX_BARE_DIGITS digits with no unit or word beside it (`8`, `200`,
    `{{7*7}}`, `' OR 1=1 --`; `18岁`, `1%`, `09:00-21:00` keep theirs), and for code (CODE_RE:
    `<script>alert(1)</script>`, `SELECT * FROM users`, `../../etc/passwd`, `def foo(): return 42`),
    and without web addresses (URL_RE) and a word of
    one character held down (MIN_REPEATS or more: `zzzzzz`, `1111111`). A query whose only
    jieba words are filler gets the `loose_pairs` of its lone characters (被骗了钱怎么办: 被骗).
    Numbers and codes are in
    `canonical_numbers`' form, as `answer_text` is: `5万` gives 50000, `TH02` gives th, 02 and
    th02, so an article that writes 50,000 or TH-02 covers them."""
    normalised = without_code(normalise(query))
    if normalised is None:
        return ()
    text = canonical_numbers(normalised)
    words = tuple(
        t
        for t in query_terms(text)
        if t not in FILLER
        and t not in STOPWORDS
        and any(c.isalnum() for c in t)
        and not (len(t) >= MIN_REPEATS and len(set(t)) == 1)
    )
    words = tuple(w for w in words if w not in CANTONESE_QUESTION_WORDS) or words
    if not words:  # jieba left the topic in lone characters (被/骗/了/钱 + 怎么办): their pairs
        words = loose_pairs(FILLER_RE.sub(" ", text))  # not of filler (问一下: 问一)
    number = words[0] if words and words[0].isdigit() else None  # the one word, if all are it
    lone = (
        number is not None
        and set(words) == {number}
        and len(number) <= MAX_BARE_DIGITS
        and UNIT_RE.search(text) is None
    )
    return () if lone else words


def comparable(text: str) -> str:
    """`text` normalised (`folded`) with its numbers and codes in `canonical_numbers`' form, as
    the coverage below compares it with content words."""
    return canonical_numbers(folded(text)[0])


def answer_text(answer) -> str:
    """An answer's title, section heading and snippet text, normalised (`folded`) and with its
    numbers and codes in `canonical_numbers`' form (`TH-02` -> `th 02 th02`, `50,000` ->
    `50000`): what the word coverage of the signals below is read from."""
    return comparable(f"{answer.title}\n{answer.section}\n{answer.snippet_text}")


def contains(text: str, word: str) -> bool:
    """Whether `answer_text` holds the content word `word`; a code also in its spaced form
    (`iphone15` in `iphone 15`), which `canonical_numbers` leaves unjoined."""
    if word in text:
        return True
    spaced = _spaced(word)
    return spaced is not None and spaced in text


def _spaced(word: str) -> str | None:
    """The spaced form of a joined code (`iphone15` -> `iphone 15`), which `canonical_numbers`
    leaves unjoined in texts; None for a word of one part."""
    parts = PART_RE.findall(word)
    return " ".join(parts) if len(parts) > 1 and "".join(parts) == word else None


def holds_word(text: str, word: str) -> bool:
    """Whether normalised `text` holds the content word `word` as a whole word (an English
    plural `-s`/`-es` allowed on the text's side; a code also in its spaced form, as `contains`):
    `pay` is not in `payment failed?`, `card` is in `cards`. A word with a CJK character falls
    back to `contains` (CJK has no spaces)."""
    if not word.isascii():
        return contains(text, word)
    spaced = _spaced(word)
    return any(
        re.search(rf"(?<![0-9a-z]){re.escape(form)}(?:e?s)?(?![0-9a-z])", text) is not None
        for form in (word, spaced)
        if form is not None
    )


class WholeWords:
    """Which of many normalised texts (`comparable`) hold every one of a query's content words
    as a whole word (`holds_word`), in time that does not grow with the texts: an inverted index
    of their `[0-9a-z]+` tokens picks the texts that can (a word of that form is held only as the
    token word, word+s or word+es; its spaced form `iphone 15` only next to the token `iphone`),
    and `holds_word` confirms those. At 100k synthetic chunks a full scan of the 20k English
    titles cost 4 ms a short English query on average (1M: ~40 ms), through cProfile in the
    sixteenth session."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = list(texts)
        self._rows: dict[str, list[int]] = {}
        for row, text in enumerate(self.texts):
            for token in set(WORD_RE.findall(text)):
                self._rows.setdefault(token, []).append(row)

    def _candidates(self, word: str) -> set[int] | None:
        """Rows of the texts that may hold `word` (a superset); None when any may."""
        if WORD_RE.fullmatch(word) is None:
            return None
        keys = [word, word + "s", word + "es"]
        if _spaced(word) is not None:
            keys.append(PART_RE.findall(word)[0])
        return {row for key in keys for row in self._rows.get(key, ())}

    def any_holds_all(self, words: Sequence[str]) -> bool:
        """Whether one text holds every word of `words` (`holds_word`); with no words, whether
        there is a text. Same answer as a scan of every text."""
        rows: set[int] | None = None
        for word in words:
            found = self._candidates(word)
            if found is not None:
                rows = found if rows is None else rows & found
        candidates = range(len(self.texts)) if rows is None else sorted(rows)
        return any(all(holds_word(self.texts[r], w) for w in words) for r in candidates)


def covered_share(words: Sequence[str], terms: Sequence[str]) -> float:
    """Share (0..1) of the content `words` that one of `terms` holds as a whole word
    (`holds_word`); 1.0 without words."""
    if not words:
        return 1.0
    return sum(any(holds_word(t, w) for t in _with_closed(terms)) for w in words) / len(words)


def _with_closed(terms: Sequence[str]) -> list[str]:
    """`terms` and the closed form of each Latin term of several words (`top up` -> `topup`),
    which the synonym rules match too (kb/ingest/synonyms.py `_pattern`)."""
    return [*terms, *(CLOSED_RE.sub("", t) for t in terms if CLOSED_RE.search(t))]


# the spaces and hyphens between the words of a Latin synonym term
CLOSED_RE = re.compile(r"(?<=[0-9a-z])[\s\-]+(?=[0-9a-z])")


def lexical_coverage(words: Sequence[str], answers: Sequence) -> float:
    """The largest share (0..1, by characters) of `words` that one of the first TOP answers
    holds in its title, section heading or snippet text (all normalised; English words and
    numbers as whole words, `holds_word`: `0000` is not in `10000`); 0.0 for none."""
    total = sum(len(w) for w in words)
    if not total:
        return 0.0
    best = 0.0
    for answer in answers[:TOP]:
        text = answer_text(answer)
        best = max(best, sum(len(w) for w in words if holds_word(text, w)) / total)
    return best


def dense_best(answers: Sequence) -> float:
    """The best dense cosine (-1..1) among the first TOP answers; 0.0 when none has one."""
    return max((a.dense_score or 0.0 for a in answers[:TOP]), default=0.0)


def synonym_coverage(
    words: Sequence[str], matched: Sequence[str], expansions: Sequence[str], answers: Sequence
) -> bool:
    """Whether one of the first TOP answers contains an expansion of the synonym rules the query
    matched (`matched` source terms, their `expansions`: `Synonyms.matches`) and every content
    word in `words` that no matched term holds: `chargeback` is covered by an answer that says
    退款, as the editor's list declares them the same. False without expansions."""
    if not expansions:
        return False
    rest = [w for w in words if not any(w in m for m in _with_closed(matched))]
    for answer in answers[:TOP]:
        text = answer_text(answer)
        if any(e in text for e in expansions) and all(contains(text, w) for w in rest):
            return True
    return False


def good_match(
    query: str | None,
    answers: Sequence,
    min_dense: float,
    full_coverage: float = 1.0,
    synonyms: tuple[Sequence[str], Sequence[str]] | None = None,
    shares: Mapping[str, float] | None = None,
    is_word: Callable[[str], bool] | None = None,
) -> bool:
    """Whether the answers likely answer `query`: False without answers, (`query` given) without
    content words, or (`is_word` given) when they are `out_of_vocabulary`; True when a top answer
    contains `full_coverage` (default all) of them, or (given `synonyms`: (matched terms,
    expansions)) their `synonym_coverage`; else whether the best cosine reaches `min_dense`
    (calibrated per encoder, scripts/calibrate_no_match.py), unless `shares` (`word_shares` of
    them) makes the query `about_something_else`. `query` None: the cosine alone."""
    if not answers:
        return False
    if query is not None:
        words = content_words(query)
        if not words or (is_word and out_of_vocabulary(words, shares or {}, synonyms, is_word)):
            return False
        if lexical_coverage(words, answers) >= full_coverage:
            return True
        if synonyms is not None and synonym_coverage(words, *synonyms, answers):
            return True
        if shares is not None and about_something_else(words, shares, synonyms):
            return False
    return dense_best(answers) >= min_dense


def word_shares(words: Sequence[str], settings: TextSettings, index) -> dict[str, float]:
    """Share (0..1) of the keyword `index`'s chunks that hold each content word: the smallest
    over the word's BM25 tokens (`query_tokens` with the index's `settings`), so 0.0 when one of
    them is in no chunk; an English plural also as its singular (`cards` as `card`, the larger
    share), as `holds_word` reads it. `index`: a keyword index (`frequencies`, `count`) of any
    backend."""
    if not index.count:
        return dict.fromkeys(words, 0.0)
    tokens = {f: list(query_tokens(f, settings)) for w in words for f in _forms(w)}
    df = index.frequencies([t for ts in tokens.values() for t in ts])

    def share(form: str) -> float:
        return min((df.get(t, 0) for t in tokens[form]), default=0) / index.count

    return {w: max(share(f) for f in _forms(w)) for w in words}


def _forms(word: str) -> list[str]:
    """`word`, and for an English plural its singulars (`cards` -> card; `boxes` -> box, boxe)."""
    forms = [word]
    if word.isascii() and word.isalpha() and len(word) > 3 and word.endswith("s"):
        forms.append(word[:-1])
        if word.endswith("es") and len(word) > 4:
            forms.append(word[:-2])
    return forms


LATIN_WORD_RE = re.compile(r"[a-z]+")


def out_of_vocabulary(words: Sequence[str], shares, synonyms, is_word: Callable) -> bool:
    """Whether every content word is Latin letters no vocabulary here holds: `_absent` (in no
    chunk, no synonym rule), not a word by `is_word` (English), not read as pinyin (the query
    comes after `QueryKinds.rewrite`): `jkjkjk`, `lalala`. e5 puts any short Latin string near
    the few English articles (cosine 0.85-0.86, over the 0.84 for English; twenty-fifth
    session). A code with digits (`TH02`) or one known word keeps the other signals."""
    absent = _absent(words, shares, synonyms)
    latin = [w for w in absent if LATIN_WORD_RE.fullmatch(w) and not is_word(w)]
    return len(latin) == len(words)


def _absent(words: Sequence[str], shares: Mapping[str, float], synonyms) -> list[str]:
    """The `words` in no chunk (`shares` 0.0) that no synonym rule's matched term holds."""
    closed = _with_closed(synonyms[0] if synonyms is not None else ())
    return [w for w in words if not shares.get(w) and not any(w in m for m in closed)]


def about_something_else(
    words: Sequence[str],
    shares: Mapping[str, float],
    synonyms: tuple[Sequence[str], Sequence[str]] | None = None,
) -> bool:
    """Whether the query asks about something the help center never mentions: one of its content
    `words` is in no chunk (share 0.0, and no synonym rule's matched term, `synonyms[0]`, holds
    it), and every word it does share with the help center is in COMMON_SHARE or more of the
    chunks (the help center's own name); absent words that name nothing (`names_a_thing`: 上去 of
    `登不上去`, a glued `号被封了`) are left out. `OKPay 能办房贷吗`, `用OKPay买股票`: True; `OKPay 提现`
    (提现 is a topic), `房贷` alone (nothing shared: the cosine decides): False."""
    absent = _absent(words, shares, synonyms)
    unknown = [w for w in absent if names_a_thing(w)]
    shared = [w for w in words if w not in absent]
    return (
        bool(unknown) and bool(shared) and all(shares.get(w, 0.0) >= COMMON_SHARE for w in shared)
    )


# jieba part-of-speech tags of words that name a thing or an activity: nouns (n, nr, ns, nt, nz),
# abbreviations (j: 房贷) and verbs (v, vn: 炒股, 理财). Left out: time and place words (上去),
# numerals, measure words, particles, and runs jieba's dictionary does not hold (号被封了).
THING_TAGS = ("n", "j", "v")


@functools.lru_cache(maxsize=4096)
def names_a_thing(word: str) -> bool:
    """Whether a content word can name a topic the help center lacks: any word without a CJK
    character (English has no dictionary here), and a Chinese word that jieba's dictionary holds
    with a THING_TAGS tag. A colloquial fragment of a complaint the segmenter cut out (`上去`,
    `号被封了`) is not one: a customer who writes `okpay 登不上去` asks about this help center.
    From a new user's 68 answerable questions naming OKPay (fourteenth session), where such
    fragments made the first version of the rule flag them."""
    if CJK_RUN_RE.search(word) is None:
        return True
    from jieba import posseg  # its tag table (350k words) only when a query needs it

    tag = posseg.dt.word_tag_tab.get(word)
    return tag is not None and tag.startswith(THING_TAGS)
