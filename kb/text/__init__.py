"""Text: normalisation, tokenisation, sentences and Markdown to plain text, for both sides (articles
and queries). Owns no state beyond memo caches. Imports: kb.options only (the lowest stage)."""

from .markdown import markdown_to_text, query_text
from .normalise import CJK_RUN_RE, clean_text, normalise, valid_text
from .tokenise import (
    STOPWORDS,
    TOKEN_RE,
    TOKENISER_REVISION,
    loose_pairs,
    query_terms,
    query_tokens,
    sentences,
    tokens,
)

__all__ = [
    "CJK_RUN_RE",
    "STOPWORDS",
    "TOKENISER_REVISION",
    "TOKEN_RE",
    "clean_text",
    "loose_pairs",
    "markdown_to_text",
    "normalise",
    "query_terms",
    "query_text",
    "query_tokens",
    "sentences",
    "tokens",
    "valid_text",
]
