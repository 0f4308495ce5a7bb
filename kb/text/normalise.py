"""Canonical text for both articles and queries.

`normalise`: NFKC (full-width to half-width), Traditional to Simplified with OpenCC's `tw2sp`
(Taiwan phrases too, e.g. 登入 to 登录, 簡訊 to 短信; not 登出, `KEPT_PHRASES_RE`), common variant
characters (帐 to 账), lower-case Latin. `clean_text` removes invisible characters that can split
or disguise words, and `valid_text` the code points that are not characters at all.
"""

from __future__ import annotations

import functools
import re
import unicodedata

CJK = r"\u3400-\u9fff\uf900-\ufaff"
CJK_RUN_RE = re.compile(f"[{CJK}]+")
# zero-width characters and bidirectional controls carry no words but can split or disguise them
# ("密\u200b码", right-to-left overrides): removed. Other control characters become spaces.
INVISIBLE_RE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Surrogates (a JSON "\ud800" decodes to a lone one, which UTF-8 cannot encode, so it would break
# every encoder, hash and file write downstream) and the 66 Unicode noncharacters (U+FDD0..U+FDEF
# and the last two code points of each of the 17 planes; Unicode 15.1 §23.7: never interchanged).
NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17)
)
SURROGATE_RE = re.compile("[\ud800-\udfff]")
INVALID_RE = re.compile(f"[\ud800-\udfff{NONCHARACTERS}]")
VARIANTS = str.maketrans({"帐": "账", "祕": "秘", "裏": "里"})
# Taiwan phrases that tw2sp turns into a mainland word of ANOTHER meaning in a help center, kept as
# written: 登出 (log out) would become 注销, which mainland help centers use for closing the
# account, so `如何登出` found the close-account article first (a new user, twentieth session).
# From OpenCC's TWPhrases.txt, read for account and payment words; the other merges there keep
# the meaning (簡訊/短信, 登入/登录, 使用者/用户).
KEPT_PHRASES_RE = re.compile("(登出)")


@functools.cache
def _converter():
    import opencc

    return opencc.OpenCC("tw2sp")


def valid_text(text: str) -> str:
    """`text` with only encodable characters: a high and a low surrogate side by side become the
    character they encode (as UTF-16 would), then lone surrogates and noncharacters are removed.
    The result always encodes as UTF-8; text without such code points is returned as it is."""
    if not INVALID_RE.search(text):
        return text
    if SURROGATE_RE.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return INVALID_RE.sub("", text)


def clean_text(text: str) -> str:
    """`valid_text` without invisible characters and control codes (newlines and tabs kept)."""
    return CONTROL_RE.sub(" ", INVISIBLE_RE.sub("", valid_text(text)))


def normalise(text: str) -> str:
    """Canonical form used for both articles and queries: invalid code points removed first
    (`valid_text`), NFKC, `clean_text`, Traditional to Simplified and variant characters (only
    when the text has CJK), lower-case. Keeps length roughly, not exactly, so offsets into the
    result do not map back to `text`."""
    text = clean_text(unicodedata.normalize("NFKC", valid_text(text)))
    if CJK_RUN_RE.search(text):
        convert = _converter().convert  # the kept phrases at odd places of the split
        parts = KEPT_PHRASES_RE.split(text)
        text = "".join(p if i % 2 else convert(p) for i, p in enumerate(parts) if p)
        text = text.translate(VARIANTS)
    return text.lower()
