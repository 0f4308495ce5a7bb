"""Markdown to the plain text that embedding, BM25 and snippets see."""

from __future__ import annotations

import re

MD_INLINE_RE = re.compile(r"(\*\*|__|`|~~)")
MD_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
MD_PREFIX_RE = re.compile(r"^\s*(?:[-*+]\s+|>\s*)", re.M)


def markdown_to_text(markdown: str) -> str:
    """Plain text of a Markdown section for embedding, BM25 and snippets (links keep their words)."""
    text = MD_LINK_RE.sub(r"\1", markdown)
    text = MD_INLINE_RE.sub("", text)
    text = MD_PREFIX_RE.sub("", text)
    return re.sub(r"[ \t]+", " ", text).strip()
