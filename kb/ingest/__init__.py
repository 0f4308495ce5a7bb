"""Ingest: article sources (Markdown with front matter, FAQ tables) to validated `Article`s, then
sections and chunks. Owns the source formats and their checks.
Imports: kb.model, kb.options, kb.errors, kb.text (never index, build or retrieval)."""

from .chunking import chunk_article, split_sections
from .loader import LoadReport, discover, load_articles, load_report, validate

__all__ = [
    "LoadReport",
    "chunk_article",
    "discover",
    "load_articles",
    "load_report",
    "split_sections",
    "validate",
]
