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
from .catalog import ArticleCatalog
from .files import FileStore
from .load import LoadedIndex
from .manifest import Manifest
from .segment import Partitions, Segment


class IndexStore(Protocol):
    """Where index versions live: every read and write of an index goes through one. `open_store`
    picks the implementation; FileStore (a folder) is the first.

    A version is a name that sorts by build time, a manifest with the sha256 of every file, and two
    partitions, `public` and `all`; it never changes once published. One version is live at a time.
    Any number of threads and processes may read while one writer, holding `lock`, publishes or
    rolls back; a reader sees the old live version or the new one, never a mix.
    """

    @property
    def cache_dir(self) -> Path:
        """A local folder for the embedding and token caches (kb/embed/cache.py), shared by every
        build of this index; created when first written."""

    def live_version(self) -> str:
        """Name of the live version; when the live pointer is damaged, the version last recorded
        as live (logged). Raises IndexNotFoundError when nothing is live."""

    def versions(self) -> list[str]:
        """Names of the complete versions, oldest first (the live one among them)."""

    def manifest(self, version: str) -> Manifest:
        """The manifest of `version`. Raises CorruptIndexError when it is missing, unreadable or
        of another format; IndexNotFoundError when `version` is not a version of this store."""

    def damage(self, version: str, verify: bool = False) -> str:
        """Why `version` cannot serve, or "". Cheap checks by default (an unreadable manifest, a
        listed file missing); with `verify`, also every stored byte against the manifest's
        checksums where the backend keeps them (as load and rollback do). Never raises."""

    def catalog(self, version: str) -> ArticleCatalog:
        """The articles and sections of `version`'s `all` partition (every article), e.g. to tell
        which texts its vectors were encoded from. Raises IndexNotFoundError for a name that is
        not a version; OSError or ValueError when its tables cannot be read."""

    def load(self, role: Role | str, expect_encoder: str | None = None) -> LoadedIndex:
        """The live version's partition for `role` (a Role or its value), its files checked
        against the manifest. A damaged live version is passed over for the first version that
        verifies among those live before it (most recent first), then the others, newest first
        (`LoadedIndex.fallback_from` names the damaged one). Raises IndexNotFoundError;
        EncoderMismatchError when `expect_encoder` differs from the version's encoder id (never a
        reason to fall back); CorruptIndexError when no version verifies; ConfigError for an
        unknown role."""

    def lock(self) -> AbstractContextManager[None]:
        """The write lock, as a context manager: one writer (build or rollback) at a time, released
        when the holder leaves it or dies. Raises BuildLockedError at once while another holds
        it."""

    def live_manifest(self) -> Manifest | None:
        """The live version's manifest, or None when nothing usable is live (a build then starts
        from scratch). Never raises."""

    def segments(self, manifest: Manifest, dim: int) -> dict[str, Segment]:
        """Partition name -> Segment of the version `manifest` describes, for a build to reuse its
        unchanged articles (vectors of dimension `dim`); {} when any of its files fails its
        checksum or cannot be read (the build then computes everything afresh). Never raises."""

    def language_direction(self, version: str) -> np.ndarray:
        """(dim,) float32 unit vector that `version`'s vectors were projected with; asked only of a
        version whose manifest has `language_neutral`."""

    def publish(
        self, partitions: Partitions, manifest: Manifest, direction: np.ndarray | None
    ) -> tuple[Manifest, dict[str, float]]:
        """Write a complete new version from `partitions`, then make it live atomically; the
        caller holds `lock`.

        `manifest` carries the encoder, settings, article hashes and build figures; publish fills
        in the version name, created_at, counts (per partition: articles, sections, chunks) and
        file checksums. One title vector per article with chunks is written when
        `manifest.title_vectors`; `direction` ((dim,) float32, or None) is stored with the
        partitions. Returns (the published manifest, seconds spent on "bm25", "faiss" and
        "write"). Nothing is live before the final switch: a failure leaves the previous version
        live. Old versions may be pruned afterwards, never the live one."""

    def rollback(self) -> tuple[str, str]:
        """Make the version that was live before the live one live again (the switch history,
        kb/index/history.py: repeated rollbacks walk further back, never to a version rolled back
        from); versions deleted since or failing their checksums are skipped. Returns (old,
        new). Takes the write lock itself: raises BuildLockedError while a build writes,
        IndexNotFoundError when nothing is live or there is nothing to go back to,
        IndexWriteError when the switch cannot be written."""


def _postgres(location: str) -> IndexStore:
    """PostgresStore (kb/index/postgres/), imported only when a database is named."""
    from .postgres import open_postgres

    return open_postgres(location)


# location prefix -> factory; a database backend registers here
BACKENDS: dict[str, Callable[[str], IndexStore]] = {"postgresql": _postgres, "postgres": _postgres}


def open_store(location: str | Path | IndexStore) -> IndexStore:
    """The store at `location`: a folder path (FileStore) or a URL whose scheme has a backend in
    BACKENDS; a store is returned as it is. Nothing is read or created here.

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
    """One stored version as the editor page and `kb stats` list it; `live` marks the live one."""

    version: str
    created_at: str  # ISO 8601 UTC; "" when the manifest is damaged
    live: bool
    damaged: str = ""  # why the version cannot serve (`IndexStore.damage`), "" when it can


@dataclass(frozen=True)
class IndexDescription:
    """What `kb stats` and the editor page show about an index: the live manifest and every
    stored version, oldest first."""

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
            "damaged": {v.version: v.damaged for v in self.versions if v.damaged},
        }


def describe_index(location: str | Path | IndexStore, checksums: str = "none") -> IndexDescription:
    """The live version's manifest and every stored version, oldest first; a version whose
    manifest cannot be read or whose files are missing is listed with `damaged` saying why,
    instead of failing the whole description. `checksums` "live" also compares the live
    version's files with their checksums (`IndexStore.damage`; seconds at a million chunks),
    "all" every version's, "none" (default) none: a changed file then shows only at load.

    Raises IndexNotFoundError when nothing is live, CorruptIndexError when the live manifest
    itself is unreadable."""
    if checksums not in ("none", "live", "all"):
        raise ValueError(f"checksums={checksums!r}: use 'none', 'live' or 'all'")
    store = open_store(location)
    live = store.live_version()
    manifest = store.manifest(live)
    listed = []
    for version in store.versions():
        try:
            created = store.manifest(version).created_at
        except KBError:  # damaged: `damage` says why
            created = ""
        thorough = checksums == "all" or (checksums == "live" and version == live)
        listed.append(
            VersionInfo(version, created, version == live, store.damage(version, thorough))
        )
    return IndexDescription(manifest, listed)
