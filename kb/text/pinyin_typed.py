"""How pinyin is typed: with tone marks (`tíxiàn`), tone numbers (`ti2xian4`) or the apostrophe
between syllables (`jiao'yi`), and the syllables themselves. `plain_pinyin` writes such words as
toneless, joined pinyin (`tixian`, `jiaoyi`) so kb.text.pinyin can read them against its lexicon;
English words, accented words and codes stay as typed. Every pattern is linear.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

# a Latin word that may carry pinyin tone marks (one character class: linear time)
TONE_MARKED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü"
TONED_RE = re.compile(f"[a-z{TONE_MARKED}]+")


# a Latin word with tone numbers after its syllables (`ti2xian4`, `shi1bai4`, `ma3`): letters
# then a digit 1-5 (maybe an apostrophe after it: `chong1'zhi2`), repeated, the last letters
# optional; codes such as `th01`, `iphone15` or `wd12` never match whole (0, two digits in a row)
TONE_NUMBER_RE = re.compile(r"(?<![a-z\d'’])(?:[a-z]+[1-5]['’]?)+[a-z]*(?![a-z\d'’])")
# syllables split by pinyin's apostrophe (`jiao'yi`, `xi'an`; also the typographic ’)
APOSTROPHE_RE = re.compile(r"(?<![a-z'’])[a-z]+(?:['’][a-z]+)+(?![a-z'’])")
# tone marks only pinyin uses (macron, caron); acute and grave accents are also French, Spanish
PINYIN_ONLY_MARKS = frozenset("āǎēěīǐōǒūǔǖǘǚǜ")


def untoned(word: str) -> str:
    """`word` without tone marks, ü as v (`shǒuxùfèi` -> `shouxufei`)."""
    plain = unicodedata.normalize("NFD", word).replace("u\u0308", "v")
    return "".join(c for c in plain if c.isascii())


@functools.cache
def syllables() -> frozenset[str]:
    """Every toneless Mandarin syllable pypinyin knows (`ü` as `v`), about 400: `zhang`, `lv`."""
    from pypinyin.pinyin_dict import pinyin_dict

    found = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            plain = "".join(c for c in untoned(reading) if c.isalpha())
            if plain:
                found.add(plain.lower())
    return frozenset(found)


@functools.lru_cache(maxsize=16384)
def is_syllables(letters: str) -> bool:
    """Whether `letters` (lower-case a-z) splits entirely into pinyin syllables (memoised: a query
    asks it of each of its letter runs' windows)."""
    known, n = syllables(), len(letters)
    ok = [True] + [False] * n
    for end in range(1, n + 1):
        ok[end] = any(
            ok[start] and letters[start:end] in known for start in range(max(0, end - 6), end)
        )
    return ok[n]


def plain_pinyin(query: str, reads_as_terms: Callable[[str], bool]) -> str:
    """`query` (normalised) with words typed as pinyin with tone marks, tone numbers or
    apostrophes written as plain pinyin; `reads_as_terms(plain)`: whether the help center's
    lexicon reads a toneless word as its terms (kb.text.pinyin `PinyinLexicon.convert`)."""
    query = TONED_RE.sub(lambda m: _untone(m.group(0), reads_as_terms), query)
    if any(c.isdigit() for c in query):
        query = TONE_NUMBER_RE.sub(lambda m: _unnumber(m.group(0), reads_as_terms), query)
    if "'" in query or "’" in query:
        query = APOSTROPHE_RE.sub(lambda m: _unsplit(m.group(0)), query)
    return query


def _untone(word: str, reads_as_terms: Callable[[str], bool]) -> str:
    """`word` without its tone marks when it reads as pinyin syllables and either has a mark only
    pinyin uses (`mǎ`) or reads alone as lexicon terms (`tíxiàn`); else as typed (`café`)."""
    if word.isascii():
        return word
    plain = untoned(word)
    if not (plain.isalpha() and is_syllables(plain)):
        return word
    return plain if not PINYIN_ONLY_MARKS.isdisjoint(word) or reads_as_terms(plain) else word


def _unnumber(word: str, reads_as_terms: Callable[[str], bool]) -> str:
    """`word` without its tone numbers when every piece between them reads as pinyin syllables
    and it has two tone numbers or more (`ti2xian4`, `shi1bai4`) or reads as lexicon terms
    without them (`kefu4`); else as typed (`a4`, `b2b`)."""
    pieces = [p for p in re.split(r"[1-5'’]", word) if p]
    if not all(is_syllables(p) for p in pieces):
        return word
    plain = "".join(pieces)
    return plain if sum(c.isdigit() for c in word) >= 2 or reads_as_terms(plain) else word


def _unsplit(word: str) -> str:
    """`word` with its apostrophes dropped when every part reads as pinyin syllables (`jiao'yi`
    -> `jiaoyi`); else as typed (`don't`, `it's`, `okpay's`)."""
    parts = re.split(r"['’]", word)
    return "".join(parts) if all(is_syllables(p) for p in parts) else word


@functools.lru_cache(maxsize=4096)
def keyboard_pattern(letters: str) -> bool:
    """Whether `letters` (a-z) is keyboard mash, not pinyin initials: wholly a walk along
    neighbouring QWERTY keys (`hjkl`, `mnbvcx`, `xcxc`; 3 keys or more), or one run typed again
    three times or more (`hfhfhf`), or twice when the run is such a walk (`sdfsdf`). Pinyin
    initials read such input as the help center's commonest words (`jkjkjk` as 即可即可即可, a new
    user's junk input, twenty-fifth session). The patterns are zxcvbn's spatial and repeat
    matchers (Wheeler 2016, the password-strength estimator's keyboard graph). A real query's
    initials are rarely wholly one (`kfdh` 客服电话: `fdh` is a walk, `k` is not), and a term
    typed twice stays initials (`kfkf`: 客服客服)."""
    if len(letters) < 3:
        return False
    from zxcvbn import matching

    whole = len(letters) - 1
    if any(m["i"] == 0 and m["j"] == whole for m in _walks(letters)):
        return True
    for m in matching.repeat_match(letters):
        base = m["base_token"]
        if m["i"] == 0 and m["j"] == whole:
            return len(letters) >= 3 * len(base) or keyboard_pattern(base)
    return False


def _walks(letters: str) -> list[dict]:
    """zxcvbn's spatial matches of `letters` on the QWERTY graph only (not Dvorak's, whose
    neighbours make other runs look like walks)."""
    from zxcvbn import adjacency_graphs, matching

    graphs = {"qwerty": adjacency_graphs.ADJACENCY_GRAPHS["qwerty"]}
    return matching.spatial_match(letters, _graphs=graphs)
