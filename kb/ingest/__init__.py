"""Ingest: article sources (Markdown with front matter, FAQ tables) to validated `Article`s, then
sections and chunks. Owns the source formats and their checks.
Imports: kb.model, kb.options, kb.errors, kb.text (never index, build or retrieval)."""

from .chunking import chunk_article, split_sections
from .loader import discover, load_articles, validate

__all__ = ["chunk_article", "discover", "load_articles", "split_sections", "validate"]
