"""Index directory layout, atomic publishing, rollback and the build lock.

    index/CURRENT            name of the live version (replaced by an atomic rename)
    index/<version>/         one complete build: manifest.json, public/, all/
    index/cache/             embeddings by content hash, shared by all builds
    index/.build.lock        held by the build that is writing

A version directory is written under a temporary name and renamed into place only when complete and
verified; CURRENT is switched last. A crash at any point leaves the previous version live.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path

from .errors import BuildLockedError, CorruptIndexError, IndexNotFoundError

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
FORMAT_VERSION = 2  # 2: Arrow tables with row pointers, IVF above 10k vectors
KEEP_VERSIONS = 5


def new_version_name() -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"v{stamp}-{secrets.token_hex(2)}"


def versions(index_dir: Path) -> list[str]:
    """Complete versions, oldest first (names sort by build time)."""
    if not index_dir.is_dir():
        return []
    return sorted(
        p.name
        for p in index_dir.iterdir()
        if p.is_dir() and p.name.startswith("v") and (p / MANIFEST).exists()
    )


def current_version(index_dir: Path) -> str:
    path = index_dir / CURRENT
    if not path.exists():
        raise IndexNotFoundError(index_dir)
    name = path.read_text(encoding="utf-8").strip()
    if not (index_dir / name / MANIFEST).exists():
        raise IndexNotFoundError(index_dir, f"CURRENT names {name!r}, which is missing")
    return name


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    """Write-then-rename so readers see the old or the new content, never a half-written file."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def switch_current(index_dir: Path, version: str) -> None:
    if not (index_dir / version / MANIFEST).exists():
        raise IndexNotFoundError(index_dir, f"version {version!r} is not a complete build")
    atomic_write_text(index_dir / CURRENT, version + "\n")


def previous_version(index_dir: Path) -> str:
    live = current_version(index_dir)
    older = [v for v in versions(index_dir) if v < live]
    if not older:
        raise IndexNotFoundError(
            index_dir, f"no version older than the live one ({live}) to roll back to"
        )
    return older[-1]


def rollback(index_dir: Path) -> tuple[str, str]:
    """Make the version before the live one live; returns (old, new)."""
    with build_lock(index_dir):
        live = current_version(index_dir)
        target = previous_version(index_dir)
        switch_current(index_dir, target)
        return live, target


def prune(index_dir: Path, keep: int = KEEP_VERSIONS) -> list[str]:
    """Delete the oldest versions beyond `keep`, never the live one; also leftover temp dirs."""
    live = current_version(index_dir)
    removed = []
    for name in versions(index_dir)[:-keep] if keep > 0 else []:
        if name != live:
            shutil.rmtree(index_dir / name, ignore_errors=True)
            removed.append(name)
    for tmp in index_dir.glob(".tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)
    return removed


@contextlib.contextmanager
def build_lock(index_dir: Path):
    """One writer at a time; a second build fails at once with who holds the lock."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / ".build.lock"
    with open(path, "a+", encoding="utf-8") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "unknown"
            raise BuildLockedError(
                f"another build is writing {index_dir} (lock {path}, held by pid {holder}); "
                "wait for it to finish and run the build again"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def read_manifest(version_dir: Path) -> dict:
    try:
        manifest = json.loads((version_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CorruptIndexError(
            f"{version_dir / MANIFEST} is unreadable ({exc}); "
            "roll back (python -m kb rollback) or rebuild"
        ) from exc
    if manifest.get("format") != FORMAT_VERSION:
        raise CorruptIndexError(
            f"{version_dir} has index format {manifest.get('format')!r}, this program reads "
            f"format {FORMAT_VERSION}; rebuild with: python -m kb build"
        )
    return manifest


def verify_files(version_dir: Path, manifest: dict, prefix: str = "") -> None:
    """Compare files against the manifest's checksums (only those under `prefix`)."""
    for rel, expected in manifest["files"].items():
        if not rel.startswith(prefix):
            continue
        path = version_dir / rel
        if not path.exists():
            raise CorruptIndexError(f"{path} is missing from index version {version_dir.name}")
        if sha256_file(path) != expected:
            raise CorruptIndexError(
                f"{path} does not match its checksum in {MANIFEST}: the index "
                "file was changed or damaged"
            )
