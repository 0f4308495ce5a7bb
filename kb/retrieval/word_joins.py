"""Latin words written apart joined into the word the help center knows (`ok pay` -> `okpay`),
for the "no good match" judgement (kb/retrieval/no_match.py): the help center's name written
another way is still its name."""

from __future__ import annotations

import re
from collections.abc import Callable

WORD_RE = re.compile(r"[0-9a-z]+")
# an English possessive (`okpay's`, `OKPay’s`): the word without it is what the query names
POSSESSIVE_RE = re.compile(r"(?<=[0-9a-z])['’]s(?![0-9a-z])")
# a run of up to JOIN_PARTS Latin words written apart (`ok pay`, `o.k.pay`, `e-mail`)
LATIN_RUN_RE = re.compile(r"[a-z]+(?:[\s.\-·]+[a-z]+)+")
JOIN_PARTS = 3


def joined_words(text: str, known: Callable[[str], bool]) -> str:
    """Normalised `text` with English possessives dropped and adjacent Latin words written apart
    joined where the joined word is `known` (a word the help center holds): `ok pay 能炒股吗` ->
    `okpay 能炒股吗`, `o.k.pay`, `okpay's` -> `okpay`; `log in` -> `login` only if `login` is
    known. Longest window first, up to JOIN_PARTS words; words left apart otherwise. As site
    search engines join split words ("concatenation": Algolia, Typesense's split/join of
    tokens), so that the name of the help center written another way is still its name."""
    text = POSSESSIVE_RE.sub("", text)

    def join(run: re.Match) -> str:
        words, out, i = WORD_RE.findall(run.group()), [], 0  # a run holds letters only
        while i < len(words):
            for size in range(min(JOIN_PARTS, len(words) - i), 1, -1):
                if known("".join(words[i : i + size])):
                    out.append("".join(words[i : i + size]))
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return " ".join(out)

    return LATIN_RUN_RE.sub(join, text)
