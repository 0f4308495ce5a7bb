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
    """A new version name, `v<UTC date and time to the microsecond>Z-<4 random hex>`, e.g.
    `v20240501T120000123456Z-1a2b`: names sort by build time."""
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
    """The version CURRENT names. Raises IndexNotFoundError when CURRENT is missing or names a
    folder without a manifest."""
    path = index_dir / CURRENT
    if not path.exists():
        raise IndexNotFoundError(index_dir)
    name = path.read_text(encoding="utf-8").strip()
    if not (index_dir / name / MANIFEST).exists():
        raise IndexNotFoundError(index_dir, f"CURRENT names {name!r}, which is missing")
    return name


def fsync_dir(path: Path) -> None:
    """fsync a folder so a rename inside it survives a power cut; an OSError (a file system that
    cannot) is ignored."""
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
    """Point CURRENT at `version` atomically (`atomic_write_text`). Raises IndexNotFoundError when
    the version has no manifest."""
    if not (index_dir / version / MANIFEST).exists():
        raise IndexNotFoundError(index_dir, f"version {version!r} is not a complete build")
    atomic_write_text(index_dir / CURRENT, version + "\n")


def previous_version(index_dir: Path) -> str:
    """The newest complete version older than the live one. Raises IndexNotFoundError when nothing
    is live or there is no older version."""
    live = current_version(index_dir)
    older = [v for v in versions(index_dir) if v < live]
    if not older:
        raise IndexNotFoundError(
            index_dir, f"no version older than the live one ({live}) to roll back to"
        )
    return older[-1]


def rollback(index_dir: Path) -> tuple[str, str]:
    """Make the version before the live one live, holding the build lock; returns (old, new).
    Raises BuildLockedError while a build writes, IndexNotFoundError as `previous_version`."""
    with build_lock(index_dir):
        live = current_version(index_dir)
        target = previous_version(index_dir)
        switch_current(index_dir, target)
        return live, target


def prune(index_dir: Path, keep: int = KEEP_VERSIONS) -> list[str]:
    """Delete the versions older than the newest `keep`, never the live one, and every leftover
    `.tmp-*` folder; returns the deleted version names. Raises IndexNotFoundError when nothing is
    live. The caller holds the build lock (a temporary folder may be a build in progress)."""
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
    """One writer at a time; a second build fails at once with who holds the lock.

    An exclusive, non-blocking `flock` on `<index>/.build.lock` (the folder is created), which
    holds the holder's pid while held; the kernel releases it if the holder dies. Raises
    BuildLockedError naming that pid."""
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
