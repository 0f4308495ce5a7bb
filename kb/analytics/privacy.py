"""Personal data masking for the analytics log: card numbers, phone numbers, e-mail addresses and
Chinese resident ID numbers in a typed question become `[card]`, `[phone]`, `[email]` and `[id]`,
so the question keeps its shape ("我的卡 [card] 被拒了") and loses the person.

Matching runs on a folded view of the text: each character NFKC-folded (full-width digits, `＠`,
`．`, the ideographic space), format characters (zero-width, bidi controls) dropped; the matched
span is then replaced in the original text, so the rest of the question is stored as typed.

Numbers are read as runs of digit groups joined by one space, dash or dot (also `+` and brackets:
"+86 (0)10 6123-4567"). Every run of whole groups is classified, the longest classified runs win:

- `[id]`: 18 characters (17 digits, then a digit or X) whose check digit is valid (GB 11643) or
  whose birth date (characters 7-14) is a plausible date; 15 digits with a plausible YYMMDD at
  6-11 (first-generation IDs) when they are not a Luhn-valid card.
- `[phone]`: a Chinese mobile (1[3-9] and 9 digits, optionally after 86 / +86 / 0086); any number
  of 7-15 digits after `+` or of 9-17 digits after `00` (international); a Chinese landline (0,
  then 9-11 digits) or a 400/800 service number; 10-11 digits written in two to four groups of
  two to four digits, the last of four ("(415) 555-0100", not "2024-11-15 13").
- `[card]`: 13-19 digits that pass the Luhn check, or that are written in card-style groups
  (4-4-4-4..., 4-6-5, 4-6-4) even when they fail it (a mistyped card is still a card).
  Decision: a contiguous 13-19 digit number that fails Luhn is kept, as order and transaction
  numbers are what editors need to see; about 1 in 10 of them passes Luhn by chance and is masked.
- `[email]`: local part (Latin letters, digits, . _ % + - ') @ domain with a dot and a letter TLD;
  a local part in Chinese characters is kept ("张三[email]").

Numbers spelt in Chinese numerals ("一三八…") are not recognised.
"""

from __future__ import annotations

import re
import unicodedata

EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-'\u00c0-\u024f])[A-Za-z0-9._%+\-'\u00c0-\u024f]*\s?@\s?[A-Za-z0-9\-\u00c0-\u024f]+"
    r"(?:[.。][A-Za-z0-9\-\u00c0-\u024f]+)*[.。][A-Za-z]{2,}"
)
# digit groups joined by one separator (space, or a dash or dot with optional spaces, or brackets)
NUMBER_RE = re.compile(
    r"[+(]*\d(?:[\d()]|\s?[-\u2010-\u2015\u2212.]\s?(?=[\d(])|\s(?=[\d(]))*(?:[Xx](?![A-Za-z]))?"
)
GROUP_RE = re.compile(r"\d+(?:[Xx]$)?")
MOBILE_RE = re.compile(r"(?:0086|86)?1[3-9]\d{9}")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
MAX_RUN_DIGITS = 19  # the longest kind: a 19-digit card (an ID has 18, 00 + a phone 17)
PRIORITY = {"id": 0, "phone": 1, "card": 2}


def _folded(text: str) -> tuple[str, list[int]]:
    """(folded text, index in `text` of each folded character)."""
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            chars.append(ch)
            origin.append(i)
        elif unicodedata.category(ch) != "Cf":
            folded = unicodedata.normalize("NFKC", ch)
            chars.extend(folded)
            origin.extend([i] * len(folded))
    return "".join(chars), origin


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _plausible_date(year: int, month: int, day: int) -> bool:
    return 1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31


def _resident_id(digits: str) -> bool:
    """18 characters with a valid GB 11643 check digit or a plausible birth date; or 15 digits
    (first generation) with a plausible YYMMDD."""
    if len(digits) == 15 and digits.isdigit():
        return _plausible_date(1900 + int(digits[6:8]), int(digits[8:10]), int(digits[10:12]))
    if len(digits) != 18 or not digits[:17].isdigit():
        return False
    check = "10X98765432"[
        sum(int(d) * w for d, w in zip(digits[:17], ID_WEIGHTS, strict=True)) % 11
    ]
    birth = _plausible_date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    return digits[17].upper() == check or birth


def _classify(digits: str, sizes: list[int], plus: bool) -> str | None:
    """ "id", "phone", "card" or None for one run of digit groups (`sizes`: digits per group;
    `plus`: written after a `+`)."""
    n = len(digits)
    if not plus and n in (15, 18) and _resident_id(digits) and not (n == 15 and _luhn(digits)):
        return "id"
    if not digits.isdigit():
        return None
    if MOBILE_RE.fullmatch(digits) or (plus and 7 <= n <= 15):
        return "phone"
    if digits.startswith("00") and 9 <= n <= 17:
        return "phone"
    card_groups = sizes[:1] == [4] and (
        (len(sizes) >= 3 and all(s == 4 for s in sizes[:-1])) or sizes[1:] in ([6, 5], [6, 4])
    )
    if 13 <= n <= 19 and (_luhn(digits) or card_groups):
        return "card"
    if (digits[0] == "0" and 10 <= n <= 12) or (digits[:3] in ("400", "800") and n == 10):
        return "phone"
    if (
        2 <= len(sizes) <= 4
        and 10 <= n <= 11
        and sizes[-1] == 4
        and all(2 <= s <= 4 for s in sizes)
    ):
        return "phone"
    return None


def _number_spans(folded: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) in `folded` of every classified number, longest runs first."""
    found = []
    for match in NUMBER_RE.finditer(folded):
        groups = [
            (match.start() + g.start(), match.start() + g.end(), g.group())
            for g in GROUP_RE.finditer(match.group())
        ]
        digits = ["".join(str(unicodedata.decimal(c, "X")) for c in g[2]) for g in groups]
        for i in range(len(groups)):
            run = ""
            for j in range(i, len(groups)):
                run += digits[j]
                if len(run) > MAX_RUN_DIGITS:
                    break
                start, end = groups[i][0], groups[j][1]
                plus = start > 0 and folded[start - 1] == "+"
                sizes = [len(d) for d in digits[i : j + 1]]
                kind = _classify(run.upper(), sizes, plus)
                if kind:
                    start -= plus
                    if folded.count(")", start, end) > folded.count("(", start, end):
                        start -= start > 0 and folded[start - 1] == "("
                    found.append((start, end, kind, len(run)))
    found.sort(key=lambda f: (-f[3], PRIORITY[f[2]], f[0]))
    return [(s, e, k) for s, e, k, _ in found]


def mask_personal_data(text: str) -> str:
    """`text` with card numbers, phone numbers, e-mail addresses and Chinese resident ID numbers
    replaced by `[card]`, `[phone]`, `[email]` and `[id]` (rules in the module docstring); the
    rest unchanged. Linear in len(text): runs of digit groups are classified up to 19 digits long."""
    folded, origin = _folded(text)
    taken = [False] * len(folded)
    chosen = []
    emails = [(m.start(), m.end(), "email") for m in EMAIL_RE.finditer(folded)]
    for start, end, kind in emails + _number_spans(folded):
        if end > start and not any(taken[start:end]):
            taken[start:end] = [True] * (end - start)
            chosen.append((origin[start], origin[end - 1] + 1, kind))
    for start, end, kind in sorted(chosen, reverse=True):
        text = f"{text[:start]}[{kind}]{text[end:]}"
    return text
