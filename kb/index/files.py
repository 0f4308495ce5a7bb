"""The file implementation of the storage seam (`IndexStore`, kb/index/storage.py): an index
folder of immutable, checksummed version folders and an atomically switched CURRENT pointer.

Publishing order: write every partition under `.tmp-<version>`, write the manifest with the
checksum of every file, verify, rename into place, switch CURRENT, record the switch in HISTORY,
prune old versions. A crash at any point (KB_FAULT_POINT, kb/faults.py) leaves the previous version
live; a failed write (disk full) removes what was written and raises IndexWriteError.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..errors import IndexNotFoundError, IndexWriteError, KBError
from ..faults import fault_point
from ..model import Article
from ..options import Role
from . import versions
from .catalog import ArticleCatalog, read_table, write_table
from .keyword import KeywordIndex
from .layout import (
    ARTICLES_FILE,
    BM25_DIR,
    CACHE_DIR,
    CHUNKS_FILE,
    LANGUAGE_FILE,
    PARTITIONS,
    SECTIONS_FILE,
    TARGETS_FILE,
    TMP_PREFIX,
    VECTORS_FILE,
)
from .load import LoadedIndex, load_index
from .manifest import Manifest, checksums, read_manifest, verify_files, write_manifest
from .segment import Partitions, Segment, shift_lines
from .vectors import FaissVectorIndex

log = logging.getLogger(__name__)


class FileStore:
    """An index in a folder (default `index/`). Thread-safe for reading; one writer at a time
    (`lock`, an `flock` that the kernel releases when the holder dies)."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    @property
    def cache_dir(self) -> Path:
        """`IndexStore.cache_dir`: `<index>/cache`, shared by all versions of this index."""
        return self.directory / CACHE_DIR

    # -- reading --------------------------------------------------------------------------------

    def live_version(self) -> str:
        """The name in CURRENT; when CURRENT is damaged, the version last recorded as live
        (`versions.current_version`, logged). Raises IndexNotFoundError when there is none."""
        return versions.current_version(self.directory)

    def versions(self) -> list[str]:
        """Folders with a version's name and a manifest, oldest first (`versions.versions`)."""
        return versions.versions(self.directory)

    def _version_dir(self, version: str) -> Path:
        """`<index>/<version>`. Raises IndexNotFoundError for a name that is not a complete
        version of this index (never a path outside it)."""
        if not versions.is_version(self.directory, version):
            raise IndexNotFoundError(self.directory, f"{version!r} is not a version of it")
        return self.directory / version

    def manifest(self, version: str) -> Manifest:
        """`<index>/<version>/manifest.json`. Raises CorruptIndexError when it is unreadable,
        of another format or incomplete, IndexNotFoundError when `version` is not a version."""
        return read_manifest(self._version_dir(version))

    def damage(self, version: str) -> str:
        """`IndexStore.damage`: the manifest's problem, or the first listed file that is missing
        (one `stat` per file, no checksums), or ""."""
        try:
            manifest = self.manifest(version)
        except KBError as exc:
            return str(exc)
        for name in manifest.files:
            if not os.path.isfile(self.directory / version / name):
                return f"{self.directory / version / name} is missing"
        return ""

    def catalog(self, version: str) -> ArticleCatalog:
        """`IndexStore.catalog`: the articles and sections of the version's `all` partition (not
        verified against the manifest). Raises IndexNotFoundError for a name that is not a
        version, OSError or ValueError (pyarrow) for an unreadable table."""
        part = self._version_dir(version) / "all"
        return ArticleCatalog(read_table(part / ARTICLES_FILE), read_table(part / SECTIONS_FILE))

    def load(self, role: Role | str, expect_encoder: str | None = None) -> LoadedIndex:
        """`IndexStore.load`, by `kb.index.load.load_index`."""
        return load_index(self.directory, role, expect_encoder)

    # -- writing --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """`IndexStore.lock`: an exclusive `flock` on `<index>/.build.lock`, which records the
        holder's pid. Raises BuildLockedError at once when another build holds it."""
        with versions.build_lock(self.directory):
            yield

    def live_manifest(self) -> Manifest | None:
        """The live version's manifest, or None when there is no usable live version."""
        try:
            return self.manifest(self.live_version())
        except Exception:  # no index yet, or a damaged one: the build starts from scratch
            return None

    def segments(self, manifest: Manifest, dim: int) -> dict[str, Segment]:
        """Both partitions of a version as Segments for reuse; {} when any file fails its
        checksum or cannot be read (the build then encodes everything afresh)."""
        try:
            version_dir = self._version_dir(manifest.version)
            verify_files(version_dir, manifest)
            return {name: Segment.from_partition(version_dir / name, dim) for name in PARTITIONS}
        except Exception as exc:  # a damaged or older live version: build everything afresh
            log.warning("not reusing index version %s (%s); rebuilding all", manifest.version, exc)
            return {}

    def language_direction(self, version: str) -> np.ndarray:
        """(dim,) float32 unit vector the version's vectors were projected with (read from its
        `all` partition). Raises OSError when the version has none."""
        return np.load(self._version_dir(version) / "all" / LANGUAGE_FILE)

    def publish(
        self,
        partitions: Partitions,
        manifest: Manifest,
        direction: np.ndarray | None,
        make_live: bool = True,
    ) -> tuple[Manifest, dict[str, float]]:
        """`IndexStore.publish`: every partition written under `.tmp-<version>`, then the manifest
        with their checksums, verified, renamed into place and CURRENT switched; the switch is
        recorded in HISTORY; then versions beyond KEEP_VERSIONS (5) are deleted
        (`versions.prune`), never the live one, with leftover temporary folders. A failure before
        the switch deletes everything this call wrote; an OSError (disk full, read-only) is raised
        as IndexWriteError naming the folder and the fix. With `make_live=False` (a gated build,
        kb/curation/gate.py) the version is written and kept but CURRENT is not switched;
        `versions.publish_held` makes it live later."""
        started = time.perf_counter()
        version = versions.new_version_name()
        tmp = self.directory / f"{TMP_PREFIX}{version}"
        before = self._live_or_none()
        try:
            manifest, seconds = self._write_version(tmp, version, partitions, manifest, direction)
            fault_point("before-rename")
            tmp.rename(self.directory / version)
            versions.fsync_dir(self.directory)
            fault_point("before-switch")
            if make_live:
                versions.switch_current(self.directory, version)
        except BaseException as exc:
            self._discard(tmp, version)
            if isinstance(exc, OSError):
                raise IndexWriteError(self.directory, exc, before, "build") from exc
            raise
        if make_live:
            fault_point("before-history")
            versions.record_switch(self.directory, "publish", before, version)
            fault_point("after-switch")
        versions.prune(self.directory, protect=() if make_live else (version,))
        seconds["write"] = time.perf_counter() - started - seconds["bm25"] - seconds["faiss"]
        return manifest, seconds

    def _live_or_none(self) -> str | None:
        try:
            return self.live_version()
        except IndexNotFoundError:
            return None

    def _write_version(
        self, tmp: Path, version: str, partitions: Partitions, manifest: Manifest, direction
    ) -> tuple[Manifest, dict[str, float]]:
        """Both partitions and the manifest under `tmp`, verified; (the manifest, seconds spent
        on "bm25" and "faiss"). Raises OSError from the writers, CorruptIndexError when a file
        does not read back as written."""
        seconds = {"bm25": 0.0, "faiss": 0.0}
        counts = {}
        for name, (articles, segment) in partitions.items():
            counts[name], spent = _write_partition(
                tmp / name,
                articles,
                segment,
                direction,
                manifest.encoder["dim"],
                manifest.title_vectors,
            )
            for stage, value in spent.items():
                seconds[stage] += value
        fault_point("after-partitions-written")
        manifest = dataclasses.replace(
            manifest,
            version=version,
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            counts=counts,
            files=checksums(tmp),
        )
        write_manifest(tmp, manifest)
        fault_point("before-verify")
        verify_files(tmp, read_manifest(tmp))
        return manifest, seconds

    def _discard(self, tmp: Path, version: str) -> None:
        """Remove a version that never went live: its temporary folder, or the folder it was
        renamed to when CURRENT does not name it."""
        shutil.rmtree(tmp, ignore_errors=True)
        if versions.read_current(self.directory)[0] != version:
            shutil.rmtree(self.directory / version, ignore_errors=True)

    def rollback(self) -> tuple[str, str]:
        """`IndexStore.rollback` by `versions.rollback`: back to the version live before the live
        one (HISTORY), skipping versions deleted since or failing their checksums; returns (old,
        new). Raises IndexNotFoundError when there is none, BuildLockedError while a build
        writes, IndexWriteError when CURRENT cannot be written."""
        return versions.rollback(self.directory)


def _write_partition(
    target: Path,
    articles: list[Article],
    segment: Segment,
    direction: np.ndarray | None,
    dim: int,
    title_vectors: bool,
) -> tuple[dict[str, int], dict[str, float]]:
    """Tables, BM25 and vectors of one partition; `segment` holds `articles` in the same order.

    Returns (counts of articles, sections and chunks; seconds spent on bm25 and faiss)."""
    target.mkdir(parents=True)
    if direction is not None:
        np.save(target / LANGUAGE_FILE, direction)
    chunk_starts = np.cumsum(segment.chunk_counts) - segment.chunk_counts
    write_table(target / ARTICLES_FILE, _article_columns(articles, segment))
    body_lines = np.array([a.body_line for a in articles], dtype=np.int64)
    write_table(
        target / SECTIONS_FILE,
        shift_lines(segment.sections, np.repeat(body_lines, segment.section_counts)),
    )
    article_row = np.repeat(np.arange(len(articles), dtype=np.int32), segment.chunk_counts)
    write_table(
        target / CHUNKS_FILE, segment.chunks.append_column("article_row", pa.array(article_row))
    )
    started = time.perf_counter()
    KeywordIndex.from_terms(segment.terms).save(target / BM25_DIR)
    bm25_seconds = time.perf_counter() - started
    fault_point("during-write")
    started = time.perf_counter()
    # vector rows: one per chunk, then one title vector per article pointing at its first chunk
    matrix, targets = segment.chunk_vectors, np.arange(len(segment.chunk_vectors))
    if title_vectors:
        titled = np.flatnonzero(segment.chunk_counts > 0)
        matrix = np.concatenate([matrix, segment.title_vectors[titled]])
        targets = np.concatenate([targets, chunk_starts[titled]])
    FaissVectorIndex.build(matrix.reshape(-1, dim), dim).save(target / VECTORS_FILE)
    np.save(target / TARGETS_FILE, targets.astype(np.int64))
    counts = {
        "articles": len(articles),
        "sections": segment.sections.num_rows,
        "chunks": segment.chunks.num_rows,
    }
    return counts, {"bm25": bm25_seconds, "faiss": time.perf_counter() - started}


def _article_columns(articles: list[Article], segment: Segment) -> dict:
    return {
        "slug": [a.slug for a in articles],
        "title": [a.title for a in articles],
        "category": [a.category for a in articles],
        "language": [a.language.value for a in articles],
        "visibility": [a.visibility.value for a in articles],
        "url": [a.url for a in articles],
        "updated": [a.updated for a in articles],
        "tags": [
            json.dumps(list(a.tags), ensure_ascii=False) if a.tags else "[]" for a in articles
        ],
        "source": [a.source for a in articles],
        "translation_of": [a.translation_of for a in articles],
        "content_hash": [a.content_hash for a in articles],
        "body_line": np.array([a.body_line for a in articles], dtype=np.int32),
        "section_start": (np.cumsum(segment.section_counts) - segment.section_counts).astype(
            np.int32
        ),
        "section_count": segment.section_counts.astype(np.int32),
    }
