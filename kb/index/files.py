"""The file implementation of the storage seam (`IndexStore`, kb/index/storage.py): an index
folder of immutable, checksummed version folders and an atomically switched CURRENT pointer.

Publishing order: write every partition under `.tmp-<version>`, write the manifest with the
checksum of every file, verify, rename into place, switch CURRENT, prune old versions. A crash at
any point (KB_FAULT_POINT, kb/faults.py) leaves the previous version live.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..faults import fault_point
from ..model import Article
from ..options import Role
from . import versions
from .catalog import write_table
from .keyword import KeywordIndex
from .layout import (
    ARTICLES_FILE,
    BM25_DIR,
    CACHE_DIR,
    CHUNKS_FILE,
    LANGUAGE_FILE,
    MANIFEST,
    PARTITIONS,
    SECTIONS_FILE,
    TARGETS_FILE,
    TMP_PREFIX,
    VECTORS_FILE,
)
from .load import LoadedIndex, load_index
from .manifest import Manifest, checksums, read_manifest, verify_files
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
        """The name in CURRENT. Raises IndexNotFoundError when CURRENT is missing or names a
        version without a manifest."""
        return versions.current_version(self.directory)

    def versions(self) -> list[str]:
        """Folders named `v*` with a manifest, oldest first."""
        return versions.versions(self.directory)

    def manifest(self, version: str) -> Manifest:
        """`<index>/<version>/manifest.json`. Raises CorruptIndexError when it is missing,
        unreadable or of another format."""
        return read_manifest(self.directory / version)

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
        version_dir = self.directory / manifest.version
        try:
            verify_files(version_dir, manifest)
            return {name: Segment.from_partition(version_dir / name, dim) for name in PARTITIONS}
        except Exception as exc:  # a damaged or older live version: build everything afresh
            log.warning("not reusing index version %s (%s); rebuilding all", manifest.version, exc)
            return {}

    def language_direction(self, version: str) -> np.ndarray:
        """(dim,) float32 unit vector the version's vectors were projected with (read from its
        `all` partition). Raises OSError when the version has none."""
        return np.load(self.directory / version / "all" / LANGUAGE_FILE)

    def publish(
        self, partitions: Partitions, manifest: Manifest, direction: np.ndarray | None
    ) -> tuple[Manifest, dict[str, float]]:
        """`IndexStore.publish`: every partition written under `.tmp-<version>`, then the manifest
        with their checksums, verified, renamed into place and CURRENT switched; then versions
        beyond the newest KEEP_VERSIONS (5) are deleted, never the live one, with leftover
        temporary folders. A failure before the switch deletes the temporary folder."""
        started = time.perf_counter()
        version = versions.new_version_name()
        tmp = self.directory / f"{TMP_PREFIX}{version}"
        seconds = {"bm25": 0.0, "faiss": 0.0}
        titles = manifest.title_vectors
        try:
            counts = {}
            for name, (articles, segment) in partitions.items():
                counts[name], spent = _write_partition(
                    tmp / name, articles, segment, direction, manifest.encoder["dim"], titles
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
            (tmp / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
            fault_point("before-verify")
            verify_files(tmp, read_manifest(tmp))
            fault_point("before-rename")
            tmp.rename(self.directory / version)
            versions.fsync_dir(self.directory)
            fault_point("before-switch")
            versions.switch_current(self.directory, version)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        fault_point("after-switch")
        versions.prune(self.directory)
        seconds["write"] = time.perf_counter() - started - seconds["bm25"] - seconds["faiss"]
        return manifest, seconds

    def rollback(self) -> tuple[str, str]:
        """Make the version before the live one live; returns (old, new). Raises
        IndexNotFoundError when there is none, BuildLockedError while a build writes."""
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
        "content_hash": [a.content_hash for a in articles],
        "body_line": np.array([a.body_line for a in articles], dtype=np.int32),
        "section_start": (np.cumsum(segment.section_counts) - segment.section_counts).astype(
            np.int32
        ),
        "section_count": segment.section_counts.astype(np.int32),
    }
