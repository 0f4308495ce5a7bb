"""Hybrid Chinese/English help-center search: BM25 + multilingual-e5 + FAISS, fused with RRF."""

import logging

from .articles import Article, load_articles, validate
from .build import BuildReport, build_index
from .catalog import ArticleView
from .encoders import make_encoder
from .errors import (
    BuildLockedError,
    CorruptIndexError,
    EncoderMismatchError,
    IndexNotFoundError,
    KBError,
    Problem,
    ValidationError,
)
from .index import load_index
from .live import LiveSearcher
from .options import ChunkSettings, Mode, Role, SearchSettings, TextSettings, Visibility
from .search import Answer, Searcher, load_searcher

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Answer",
    "Article",
    "ArticleView",
    "BuildLockedError",
    "BuildReport",
    "ChunkSettings",
    "CorruptIndexError",
    "EncoderMismatchError",
    "IndexNotFoundError",
    "KBError",
    "LiveSearcher",
    "Mode",
    "Problem",
    "Role",
    "SearchSettings",
    "Searcher",
    "TextSettings",
    "ValidationError",
    "Visibility",
    "build_index",
    "load_articles",
    "load_index",
    "load_searcher",
    "make_encoder",
    "validate",
]
