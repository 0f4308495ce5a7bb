"""Hybrid Chinese/English help-center search: BM25 + multilingual-e5 + FAISS, fused (convex).

The public API. Stages, each a subpackage whose imports point only down this list:
text -> ingest -> embed -> index -> build, retrieval; then evaluation, analytics, render, cli, app.
docs/ARCHITECTURE.md has the tree and one line per module.
"""

import logging

from .build import BuildReport, build_index
from .embed import make_encoder
from .errors import (
    BuildLockedError,
    ConfigError,
    CorruptIndexError,
    EncoderMismatchError,
    IndexNotFoundError,
    IndexStateError,
    IndexWriteError,
    KBError,
    Problem,
    QueryFileError,
    UnknownFilterError,
    ValidationError,
)
from .index import IndexDescription, IndexStore, describe_index, load_index, open_store
from .ingest import load_articles, validate
from .model import Article, ArticleView, Section
from .options import ChunkSettings, Mode, Role, SearchSettings, TextSettings, Visibility
from .retrieval import Answer, Hit, LiveSearcher, Searcher, load_searcher

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Answer",
    "Article",
    "ArticleView",
    "BuildLockedError",
    "BuildReport",
    "ChunkSettings",
    "ConfigError",
    "CorruptIndexError",
    "EncoderMismatchError",
    "Hit",
    "IndexDescription",
    "IndexNotFoundError",
    "IndexStateError",
    "IndexStore",
    "IndexWriteError",
    "KBError",
    "LiveSearcher",
    "Mode",
    "Problem",
    "QueryFileError",
    "Role",
    "SearchSettings",
    "Searcher",
    "Section",
    "TextSettings",
    "UnknownFilterError",
    "ValidationError",
    "Visibility",
    "build_index",
    "describe_index",
    "load_articles",
    "load_index",
    "load_searcher",
    "make_encoder",
    "open_store",
    "validate",
]
