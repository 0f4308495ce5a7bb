"""Markdown to the plain text that embedding, BM25 and snippets see.

No pattern here can backtrack super-linearly: a link's text and target exclude the brackets that
open another link (so a scan started at one `[` stops at the next instead of running to the end
of the text, which made `[[[[...` quadratic), and list and quote markers are matched with
whitespace that stops at the end of the line (`^\\s*` under re.M spans blank lines, which made a
run of newlines quadratic). tests/text/test_linear.py measures each on adversarial input.
"""

from __future__ import annotations

import re

MD_INLINE_RE = re.compile(r"(\*\*|__|`|~~)")
MD_LINK_RE = re.compile(r"!?\[([^\[\]]*)\]\([^)\[\]]*\)")
MD_PREFIX_RE = re.compile(r"^[^\S\n]*(?:[-*+][^\S\n]+|>[^\S\n]*)", re.M)
SPACES_RE = re.compile(r"[ \t]+")


def markdown_to_text(markdown: str) -> str:
    """Plain text of a Markdown section for embedding, BM25 and snippets (links keep their words,
    list and quote markers are dropped, runs of spaces and tabs become one space). Linear time."""
    text = MD_LINK_RE.sub(r"\1", markdown)
    text = MD_INLINE_RE.sub("", text)
    text = MD_PREFIX_RE.sub("", text)
    return SPACES_RE.sub(" ", text).strip()
