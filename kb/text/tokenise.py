"""BM25 tokens, query terms for highlighting, and sentences.

tokens: jieba search-mode words + CJK characters and character bigrams + Latin words (and digits).
Bigrams rescue words the segmenter splits differently in query and article (e.g. typos like 秘码 for
密码 still share 码); single characters rescue paraphrases that share characters but no pair
(还款 / 还钱, 额度 / 提额), as in the character n-gram analysers of tantivy and txtai (issue 17).
"""

from __future__ import annotations

import functools
import logging
import re
import threading

from ..options import TextSettings
from .normalise import CJK, CJK_RUN_RE, normalise
from .numbers import canonical_numbers

# CJK runs, or words of any other script (Latin, Cyrillic, Arabic, Hebrew, ...) and numbers
TOKEN_RE = re.compile(f"[{CJK}]+|[^\\W_{CJK}]+(?:['’][a-z]+)?")
SENTENCE_RE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*|\n")

# Words that carry no topic in a help-center question; dropping them keeps BM25 on the content words.
# Bump when `normalise` or `tokens` give other tokens for some text: the BM25 token cache
# (kb/embed/cache.py TokenCache) keys on it, so a rebuild after an upgrade does not reuse token
# lists of the old rules. 2: 登出 no longer normalised to 注销 (twentieth session).
TOKENISER_REVISION = 2

STOPWORDS = frozenset(
    (  # noqa: SIM905 (one word list, easier to edit as text)
        "的 了 吗 呢 吧 啊 呀 么 嘛 我 我的 你 你们 您 是 在 有 和 与 及 或 就 都 也 还 要 会 能 可以 "
        "请问 怎么 怎么办 怎样 如何 什么 为什么 为啥 哪里 哪个 多少 一下 一个 这个 那个 已经 没有 不 "
        "a an the is are was were be to of in on for and or i my me you your it do does did can "
        "how what why when where which with at by from this that there "
    ).split()
)

_jieba_lock = threading.Lock()


@functools.cache
def _jieba():
    """jieba, initialised once; its dictionary load is not thread-safe, so it happens under a lock."""
    import jieba

    with _jieba_lock:
        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
    return jieba


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _trigrams(word: str) -> list[str]:
    padded = f"#{word}#"
    return [padded[i : i + 3] for i in range(len(padded) - 2)] if len(word) > 3 else []


def tokens(
    text: str, settings: TextSettings = TextSettings(), normalised: bool = False
) -> list[str]:
    """BM25 tokens of `text` (normalised first unless `normalised`), stopwords removed.

    Piece by piece in text order, repeats kept (BM25 counts them): a CJK run gives its jieba
    search-mode words (of 2+ characters when bigrams are on), then its single characters with
    `char_unigrams`, then its character bigrams; any other word is one token, plus its trigrams
    with `latin_trigrams`. No token contains whitespace."""
    if not normalised:
        text = normalise(text)
    if settings.canonical_numbers:  # numbers and codes in one form (kb/text/numbers.py)
        text = canonical_numbers(text)
    out: list[str] = []
    for piece in TOKEN_RE.findall(text):
        if CJK_RUN_RE.fullmatch(piece):
            if settings.jieba_words:
                out.extend(
                    w
                    for w in _jieba().cut_for_search(piece, HMM=True)
                    if len(w) > 1 or not (settings.char_bigrams or settings.char_unigrams)
                )
            if settings.char_unigrams:
                out.extend(piece)
            if settings.char_bigrams:
                out.extend(_bigrams(piece))
        else:
            out.append(piece)
            if settings.latin_trigrams:
                out.extend(_trigrams(piece))
    return [t for t in out if t not in STOPWORDS]


@functools.lru_cache(maxsize=4096)
def query_tokens(text: str, settings: TextSettings) -> tuple[str, ...]:
    """tokens() of an already-normalised query, memoised: one search needs them for BM25 and for
    coverage, and popular questions repeat."""
    return tuple(tokens(text, settings, normalised=True))


@functools.lru_cache(maxsize=4096)
def query_terms(text: str) -> tuple[str, ...]:
    """Distinct content words of a query, for highlighting in snippets: normalised; jieba words of
    2+ characters of each CJK run (the whole run when it has none), other words of 2+ characters
    and numbers; stopwords removed. Longest first, then alphabetical."""
    norm = normalise(text)
    terms = set()
    for piece in TOKEN_RE.findall(norm):
        if CJK_RUN_RE.fullmatch(piece):
            words = [w for w in _jieba().cut_for_search(piece) if len(w) > 1]
            terms.update(words or ([piece] if len(piece) > 1 else []))
        elif len(piece) > 1 or piece.isdigit():
            terms.add(piece)
    return tuple(sorted((t for t in terms if t not in STOPWORDS), key=lambda t: (-len(t), t)))


def loose_pairs(text: str) -> tuple[str, ...]:
    """Character pairs around the CJK characters jieba leaves on their own in `text`: each such
    character (no stopword) with its neighbour on either side of its run, when neither the
    neighbour nor the pair is a stopword; normalised, in text order, without repeats.

    A word missing from jieba's dictionary comes out as lone characters (到账 as 到 / 账, 没到账 as
    没到 / 账), which `query_terms` drops; its pairs let a snippet mark it (issue 17 item 7:
    highlights on the user's own words). A pair spanning two words (久到) rarely occurs in an
    article, and where it does it is the user's wording too."""
    pairs: list[str] = []
    for run in CJK_RUN_RE.findall(normalise(text)):
        at = 0
        for word in _jieba().cut(run):
            if len(word) == 1 and word not in STOPWORDS:
                for start in (at - 1, at):  # with the character before it, then after it
                    if start < 0 or start + 2 > len(run):
                        continue
                    pair = run[start : start + 2]
                    fit = pair not in STOPWORDS and not any(c in STOPWORDS for c in pair)
                    if fit and pair not in pairs:
                        pairs.append(pair)
            at += len(word)
    return tuple(pairs)


@functools.lru_cache(maxsize=8192)
def sentences(text: str) -> tuple[str, ...]:
    """Sentences of a plain-text section, each with its closing punctuation; newlines split too.

    Memoised: snippets split the same few hundred sections again and again."""
    return tuple(s.strip() for s in SENTENCE_RE.findall(text) if s.strip())
