"""The file implementation of the storage seam (`IndexStore`, kb/index/storage.py): an index
folder of immutable, checksummed version folders and an atomically switched CURRENT pointer.

Publishing order: write every partition under `.tmp-<version>` (tables, row maps, one new segment,
and hard links to the previous version's segment files: kb/index/segfiles.py), write the manifest
with the checksum of every file (those of linked files copied from the previous manifest), verify
the files this build wrote, rename into place, switch CURRENT, record the switch in HISTORY, prune
old versions (a pruned version's shared files live on in the versions that link them). When
every article is public, the two partitions hold the same articles and `all` is written as hard
links to `public`'s files (`_twin`). A crash at any point (KB_FAULT_POINT, kb/faults.py) leaves
the previous version live; a failed write (disk full) removes what was written and raises
IndexWriteError.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import operator
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from stat import S_ISREG

import numpy as np

from ..errors import CorruptIndexError, IndexNotFoundError, IndexWriteError, KBError
from ..faults import fault_point
from ..options import Role
from . import versions
from .catalog import ArticleCatalog, read_table
from .layout import (
    ARTICLES_FILE,
    CACHE_DIR,
    LANGUAGE_FILE,
    MANIFEST,
    PARTITIONS,
    SECTIONS_FILE,
    SEGMENTS_DIR,
    TMP_PREFIX,
)
from .load import LoadedIndex, load_index, load_version
from .manifest import Manifest, checksums, read_manifest, sha256_file, write_manifest
from .manifest import verify_version as verify_all
from .segfiles import link_segment, read_base, write_partition
from .segment import Partitions, Segment

log = logging.getLogger(__name__)
MANIFESTS_KEPT = 2  # the live version and the one being built on; a few MB each at 100k articles


class FileStore:
    """An index in a folder (default `index/`). Thread-safe for reading; one writer at a time
    (`lock`, an `flock` that the kernel releases when the holder dies)."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self._manifests: dict[str, tuple[tuple, Manifest]] = {}  # version -> (stat, manifest)

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
        of another format or incomplete, IndexNotFoundError when `version` is not a version.
        The last MANIFESTS_KEPT read or published are kept while the file's inode, size and
        mtime stay (a build read the live one, 100,000 article hashes at 0.06 s, five times)."""
        folder = self._version_dir(version)
        stamp = _stamp(folder / MANIFEST)
        if stamp is None:
            return read_manifest(folder)  # raises, naming the file
        kept = self._manifests.get(version)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        manifest = read_manifest(folder)
        self._keep(version, stamp, manifest)
        return manifest

    def _keep(self, version: str, stamp: tuple | None, manifest: Manifest) -> None:
        """Keep `manifest` for `manifest(version)` while its file's `_stamp` stays `stamp`."""
        if stamp is None:
            return
        if len(self._manifests) >= MANIFESTS_KEPT:
            self._manifests.clear()
        self._manifests[version] = (stamp, manifest)

    def damage(self, version: str, verify: bool = False) -> str:
        """`IndexStore.damage`: the manifest's problem, or the first listed file that is missing
        (one `stat` per file), or with `verify` the first that differs (`verify_version`) or a
        partition that does not load (`load_version`: a hand-edited manifest), or ""."""
        try:
            manifest = self.manifest(version)
            if verify:  # every byte, then whether each partition loads (the manifest's own parts)
                verify_all(self.directory / version)
                for role in Role:
                    load_version(self.directory, version, role, checked=True)  # hashed once
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
        """Both partitions of a version as Segments for reuse, without their vectors and term
        counts (`segfiles.read_base`: the new version links the segment files that hold them).
        Only the small files read here are checked against their checksums; the segment files
        must exist (one `stat` each). {} when any check fails, a file cannot be read, or the
        version predates segments (the build then computes everything afresh). A partition whose
        files have the checksums of one read before (`_twin`) is that one's Segment, not read
        again. `dim` is unused: the vectors stay in their files."""
        try:
            version_dir = self._version_dir(manifest.version)
            if set(manifest.segments) != set(PARTITIONS):
                raise ValueError("it was written before segments")
            small = {k: v for k, v in manifest.files.items() if f"/{SEGMENTS_DIR}/" not in k}
            _verify_some(version_dir, small)
            missing = [k for k in manifest.files if not (version_dir / k).is_file()]
            if missing:
                raise ValueError(f"{version_dir / missing[0]} is missing")
            read: dict[tuple, Segment] = {}  # a partition's files and checksums -> its Segment
            bases = {}
            for name in PARTITIONS:
                files = tuple(_files_of(manifest, name).items())
                if files not in read:
                    read[files] = read_base(version_dir / name, manifest.version)
                bases[name] = read[files]
            return bases
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
            self._keep(version, _stamp(self.directory / version / MANIFEST), manifest)
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
        """Both partitions and the manifest under `tmp`; the files this call wrote are
        checksummed and verified, the segment files linked from the previous version keep that
        version's checksums. Returns (the manifest, seconds spent on "bm25" and "faiss").
        Raises OSError from the writers, CorruptIndexError when a file does not read back as
        written."""
        counts, segments, linked, seconds = {}, {}, {}, {"bm25": 0.0, "faiss": 0.0}
        hashed: dict[str, str] = {}  # tables, hashed as they were written
        columns: dict = {}  # the article metadata columns, made once for both partitions
        twin = _twin(partitions)
        for name, (articles, segment) in partitions.items():
            if name == twin:  # the same articles as the partition written first: its files
                continue
            base = self._base(segment.base, name)
            counts[name], segments[name], (shared, tables), spent = write_partition(
                tmp / name, articles, segment, (direction, manifest, columns), base, version
            )
            linked.update({f"{name}/{k}": v for k, v in shared.items()})
            hashed.update({f"{name}/{k}": v for k, v in tables.items()})
            seconds = {k: seconds[k] + spent[k] for k in seconds}
        written = {**hashed, **checksums(tmp, skip=set(linked) | set(hashed))}
        if twin:
            first = next(iter(partitions))
            known = {k[len(first) + 1 :]: v for k, v in {**written, **linked}.items()}
            link_segment(tmp / first, tmp / twin, sorted(known))
            linked.update({f"{twin}/{k}": v for k, v in known.items()})
            counts[twin], segments[twin] = counts[first], segments[first]
        fault_point("after-partitions-written")
        manifest = dataclasses.replace(
            manifest,
            version=version,
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            counts=counts,
            files=dict(sorted({**written, **linked}.items())),
            segments=segments,
        )
        write_manifest(tmp, manifest)  # and read back
        _verify_some(tmp, written)
        return manifest, seconds

    def _base(self, version: str | None, partition: str):
        """(partition folder, segment entries, its files' checksums relative to the partition)
        of the version a segment's stored rows come from, or None."""
        if version is None:
            return None
        manifest = self.manifest(version)
        files = _files_of(manifest, partition)
        return self.directory / version / partition, manifest.segments[partition], files

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


def _twin(partitions: Partitions) -> str | None:
    """The partition that holds exactly the articles of the one before it (every article public:
    `public` and `all` are the same), or None. Its files are then hard links to the first one's
    (`link_segment`): half the index work and disk of a help center without internal articles,
    and, since both hold the same articles, nothing internal can reach the public files."""
    (_, (first, _)), *rest = partitions.items()
    same = (n for n, (a, _) in rest if len(a) == len(first) and all(map(operator.is_, a, first)))
    return next(same, None)


def _lstat(path: Path) -> os.stat_result | None:
    """`os.lstat(path)`, None when there is nothing to read."""
    try:
        return os.lstat(path)
    except OSError:
        return None


def _stamp(path: Path) -> tuple | None:
    """(inode, size, mtime, mode) of a file, None when it cannot be read: what tells a kept
    manifest from a rewritten one."""
    info = _lstat(path)
    return None if info is None else (info.st_ino, info.st_size, info.st_mtime_ns, info.st_mode)


def _files_of(manifest: Manifest, partition: str) -> dict[str, str]:
    """A partition's files (path relative to it -> sha256) in `manifest`."""
    prefix = f"{partition}/"
    return {k[len(prefix) :]: v for k, v in manifest.files.items() if k.startswith(prefix)}


def _verify_some(version_dir: Path, files: dict[str, str]) -> None:
    """Compare `files` (path relative to `version_dir` -> sha256) with the files on disk; a file
    linked under two names with the same checksum (`_twin`) is hashed once. Raises
    CorruptIndexError naming the first missing or changed one."""
    checked = set()  # (device, inode, checksum) of the files found intact
    for rel, expected in files.items():
        path = version_dir / rel
        info = _lstat(path)  # a link is refused: S_ISREG is false for it under lstat
        key = (info.st_dev, info.st_ino, expected) if info and S_ISREG(info.st_mode) else None
        if key not in checked and (key is None or sha256_file(path) != expected):
            raise CorruptIndexError(
                f"{path} does not match its checksum: the index file was changed or damaged"
            )
        checked.add(key)
