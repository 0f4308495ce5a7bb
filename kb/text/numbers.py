"""Numbers and alphanumeric codes in one written form, for BM25 tokens on both sides.

People write the same amount or model code in many ways: `50,000 元`, `50000元`, `５００００` (NFKC
already makes that `50000`), `5万`, `5w`; `TH-01`, `TH01`, `th 01`; `iPhone15`, `iPhone 15`.
`canonical_numbers` rewrites normalised text so every variant yields the same BM25 tokens:

- thousands separators go (`50,000` -> `50000`, only groups of exactly three digits);
- a number with a Chinese magnitude (`万`/`w` 10^4, `千`/`k` after a digit and before a CJK
  character or the end 10^3, `亿` 10^8) becomes the plain integer (`5万` -> `50000`, `1.5w` ->
  `15000`) when the result is whole;
- an amount in a colloquial name of the yuan (`2000块`, `5万块钱`, `15元钱`, `20圆`) is written
  with 元, as articles write it (`2000元`): after a digit 块 names money in a payment help
  center, and without the rewrite the query matched 版块 ("forum section") instead;
- a word where letters and digits meet (`th01`, `th-01`, `th_01`, `iphone15`) is written as its
  letter and digit parts followed by the joined code (`th 01 th01`): a query typed `th 01` then
  matches the parts, and `TH-01` or `TH01` match the code as well.

Every pattern is linear (no nested repetition). Applied by `tokens` when
`TextSettings.canonical_numbers` is on (recorded in the manifest, so both sides agree).
"""

from __future__ import annotations

import re

from .normalise import CJK

GROUPED_RE = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")
MAGNITUDE = {"万": 10_000, "w": 10_000, "亿": 100_000_000, "千": 1_000, "k": 1_000}
MAGNITUDE_RE = re.compile(
    rf"(?<![a-z\d.,])(\d+(?:\.\d+)?)\s?(?:(万|亿|千)|(w|k)(?=[{CJK}\s]|$))", re.M
)
# the yuan's colloquial names right after an amount (an optional space between), longest first
CURRENCY_RE = re.compile(r"(?<=\d)(\s?)(?:块钱|元钱|块|圆)")
# a word of Latin letters and digits, parts joined by - or _ (the separators differ from the
# parts, so the split is unique and a failed match gives up after one pass over the word)
WORD_RE = re.compile(r"(?<![a-z\d])[a-z\d]+(?:[-_][a-z\d]+)*(?![a-z\d])")
PART_RE = re.compile(r"[a-z]+|\d+")


def _magnitude(match: re.Match) -> str:
    number, unit = match.group(1), match.group(2) or match.group(3)
    value = float(number) * MAGNITUDE[unit]
    return str(int(value)) if value.is_integer() else match.group(0)


def _code(match: re.Match) -> str:
    word = match.group(0)
    if not (any(c.isdigit() for c in word) and any(c.isalpha() for c in word)):
        return word  # a plain word, number or date
    parts = PART_RE.findall(word)
    return " ".join([*parts, "".join(parts)]) if len(parts) > 1 else word


def canonical_numbers(text: str) -> str:
    """Normalised `text` (lower-case, NFKC) with numbers and codes in one form (module
    docstring); text without digits is returned unchanged. Offsets are not kept."""
    if not any(c.isdigit() for c in text):
        return text
    text = GROUPED_RE.sub(lambda m: m.group(0).replace(",", ""), text)
    text = MAGNITUDE_RE.sub(_magnitude, text)
    text = CURRENCY_RE.sub(r"\1元", text)
    return WORD_RE.sub(_code, text)


def _grouped(digits: str) -> str:
    """12500 -> 12,500 (thousands separators, as articles write amounts)."""
    return f"{int(digits):,}" if digits.isdigit() and len(digits) > 3 else digits


def written_forms(text: str) -> list[str]:
    """Ways an article may write the numbers and codes of normalised `text`, for highlighting
    them in the article's own text: each number plain and with thousands separators (`5万` ->
    50000, 50,000), each code joined, hyphenated, spaced and underscored (`th01` -> th01, th-01,
    th 01, th_01). [] for text without digits."""
    if not any(c.isdigit() for c in text):
        return []
    forms: list[str] = []
    text = MAGNITUDE_RE.sub(_magnitude, GROUPED_RE.sub(lambda m: m[0].replace(",", ""), text))
    for word in WORD_RE.findall(text):
        parts = PART_RE.findall(word)
        if word.isdigit():
            forms += [word, _grouped(word)]
        elif len(parts) > 1 and any(p.isdigit() for p in parts):
            forms += [sep.join(parts) for sep in ("", "-", " ", "_")]
    return list(dict.fromkeys(f for f in forms if len(f) > 1 or f.isdigit()))
