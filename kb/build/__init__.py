"""Build: article sources to a new index version, published through the storage seam. Plans what
changed against the live manifest, computes fresh segments only for new and changed articles,
assembles both partitions and hands them to the store.
Imports: kb.ingest, kb.embed, kb.index, kb.text, kb.model (never retrieval)."""

from .publish import build_index
from .report import BuildReport, Progress

__all__ = ["BuildReport", "Progress", "build_index"]
