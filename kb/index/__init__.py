"""Index: the stored form of a help center. Owns the folder layout and manifest, versions
(CURRENT, rollback, the build lock), BM25 postings, vectors, the article catalog, segments, loading
one role's partition, and the storage seam (`IndexStore`) every reader and writer goes through.
Imports: kb.model, kb.options, kb.errors, kb.faults (never build or retrieval)."""

from .catalog import ArticleCatalog
from .load import LoadedIndex, load_index
from .manifest import Manifest
from .storage import IndexDescription, IndexStore, VersionInfo, describe_index, open_store

__all__ = [
    "ArticleCatalog",
    "IndexDescription",
    "IndexStore",
    "LoadedIndex",
    "Manifest",
    "VersionInfo",
    "describe_index",
    "load_index",
    "open_store",
]
