"""The storage seam: everything that reads or writes index versions goes through `IndexStore`.

`FileStore` (kb/index/files.py) is the first implementation; a database-backed one (PostgreSQL +
pgvector) implements the same protocol, and `open_store` picks one from the location string. The
build (kb/build/) publishes through it, search (kb/retrieval/) loads a role's partition through it,
and the CLI, app and service describe and roll back through it.

A loaded partition (`LoadedIndex`, kb/index/load.py) offers exactly what retrieval needs:
BM25 top-N over chunk rows (`KeywordIndex.top`), vector top-N over vector rows
(`VectorIndex.search`) and an article catalog (`ArticleCatalog`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import ConfigError, KBError
from ..options import Role
from .files import FileStore
from .load import LoadedIndex
from .manifest import Manifest
from .segment import Partitions, Segment


class IndexStore(Protocol):
    """Where index versions live. Implementations: FileStore (a folder)."""

    def live_version(self) -> str:
        """Raises IndexNotFoundError when nothing is live."""

    def versions(self) -> list[str]:
        """Complete versions, oldest first."""

    def manifest(self, version: str) -> Manifest:
        """Raises CorruptIndexError when unreadable."""

    def load(self, role: Role | str, expect_encoder: str | None = None) -> LoadedIndex:
        """The live version's partition for `role`, falling back to the newest older version
        that verifies when the live one is damaged."""

    def lock(self) -> AbstractContextManager[None]:
        """One writer at a time; raises BuildLockedError while another holds it."""

    def live_manifest(self) -> Manifest | None: ...

    def segments(self, manifest: Manifest, dim: int) -> dict[str, Segment]:
        """A version's partitions as Segments for incremental reuse ({} if not reusable)."""

    def language_direction(self, version: str) -> np.ndarray: ...

    def publish(
        self, partitions: Partitions, manifest: Manifest, direction: np.ndarray | None
    ) -> tuple[Manifest, dict[str, float]]:
        """Write a complete version, then make it live atomically."""

    def rollback(self) -> tuple[str, str]:
        """Make the previous version live; returns (old, new)."""


# location prefix -> factory; a database backend registers here
BACKENDS: dict[str, Callable[[str], IndexStore]] = {}


def open_store(location: str | Path | IndexStore) -> IndexStore:
    """The store at `location`: a folder path (FileStore) or a URL whose scheme has a backend.

    Raises ConfigError for a URL scheme no backend handles."""
    if not isinstance(location, str | Path):
        return location
    text = str(location)
    scheme = text.split("://", 1)[0] if "://" in text else ""
    if not scheme:
        return FileStore(Path(text))
    if scheme not in BACKENDS:
        raise ConfigError(f"index location {text!r}: no backend for {scheme}://; use a folder path")
    return BACKENDS[scheme](text)


@dataclass(frozen=True)
class VersionInfo:
    """One stored version as the editor page and `kb stats` list it."""

    version: str
    created_at: str  # ISO 8601 UTC; "" when the manifest is damaged
    live: bool
    damaged: str = ""  # why the version cannot be read, "" when it can


@dataclass(frozen=True)
class IndexDescription:
    """What `kb stats` and the editor page show about an index."""

    live: Manifest
    versions: list[VersionInfo] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON shape of `kb stats --json`."""
        return {
            "version": self.live.version,
            "created_at": self.live.created_at,
            "encoder": self.live.encoder,
            "counts": self.live.counts,
            "build": self.live.build,
            "versions": [v.version for v in self.versions],
        }


def describe_index(location: str | Path | IndexStore) -> IndexDescription:
    """The live version's manifest and every stored version, newest last; a version whose
    manifest cannot be read is listed as damaged instead of failing the whole description.

    Raises IndexNotFoundError when nothing is live, CorruptIndexError when the live manifest
    itself is unreadable."""
    store = open_store(location)
    live = store.live_version()
    manifest = store.manifest(live)
    listed = []
    for version in store.versions():
        try:
            created, problem = store.manifest(version).created_at, ""
        except KBError as exc:
            created, problem = "", str(exc)
        listed.append(VersionInfo(version, created, version == live, problem))
    return IndexDescription(manifest, listed)
