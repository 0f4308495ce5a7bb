"""Versions of a file index: the live pointer (CURRENT), switching, rollback, pruning, the lock.

A version folder is written under a temporary name and renamed into place only when complete and
verified; CURRENT is switched last, by an atomic rename. A crash at any point leaves the previous
version live. Layout: kb/index/layout.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import secrets
import shutil
from pathlib import Path

from ..errors import BuildLockedError, IndexNotFoundError
from .layout import CURRENT, LOCK, MANIFEST, TMP_PREFIX

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


def fsync_dir(path: Path) -> None:
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
    fsync_dir(path.parent)


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
    for tmp in index_dir.glob(f"{TMP_PREFIX}*"):
        shutil.rmtree(tmp, ignore_errors=True)
    return removed


@contextlib.contextmanager
def build_lock(index_dir: Path):
    """One writer at a time; a second build fails at once with who holds the lock."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK
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
