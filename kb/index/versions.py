"""Versions of a file index: the live pointer (CURRENT), switching, rollback, pruning, the lock.

A version folder is written under a temporary name and renamed into place only when complete and
verified; CURRENT is switched last, by an atomic rename, and the switch is then recorded in HISTORY
(kb/index/history.py). A crash at any point leaves the previous version live. Layout:
kb/index/layout.py.

CURRENT is trusted only when it holds exactly the name of a complete version folder. Anything else
(missing, empty, whitespace, a path, `../x`, a name that is not a version, a symbolic link, a huge
file) counts as damaged: the version last recorded as live in HISTORY (else the newest one) stands
in, with a logged warning, and no path read from the file is ever followed or shown.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import logging
import os
import re
import secrets
import shutil
import stat
from collections.abc import Sequence
from pathlib import Path

from ..atomic import atomic_write_text, fsync_dir
from ..errors import (
    BuildLockedError,
    CorruptIndexError,
    IndexNotFoundError,
    IndexStateError,
    IndexWriteError,
    NothingToRollBackError,
)
from ..faults import fault_point
from . import history
from .layout import CURRENT, HISTORY, LOCK, MANIFEST, TMP_PREFIX, VERSION_NAME
from .manifest import verify_version

__all__ = ["atomic_write_text", "fsync_dir"]  # re-exported for the store

log = logging.getLogger(__name__)

KEEP_VERSIONS = 5
MAX_POINTER_BYTES = 256  # CURRENT holds one version name (29 characters) and a newline
SHOWN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # cannot be a path: safe to repeat
_warned: set[tuple[str, str, str]] = set()


def new_version_name() -> str:
    """A new version name, `v<UTC date and time to the microsecond>Z-<4 random hex>`, e.g.
    `v20240501T120000123456Z-1a2b` (layout.VERSION_NAME): names sort by build time."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"v{stamp}-{secrets.token_hex(2)}"


def is_version(index_dir: Path, name: str) -> bool:
    """Whether `name` is a complete version of `index_dir`: a version name (layout.VERSION_NAME),
    a real folder (not a symbolic link) holding a manifest. Never raises."""
    if not VERSION_NAME.fullmatch(name):
        return False
    path = index_dir / name
    try:
        return not path.is_symlink() and path.is_dir() and os.path.lexists(path / MANIFEST)
    except OSError:
        return False


def versions(index_dir: Path) -> list[str]:
    """Complete versions (`is_version`), oldest first (names sort by build time); [] when the
    folder is missing or unreadable. Stray folders and files are left out, never raised on."""
    try:
        names = [entry.name for entry in os.scandir(index_dir)]
    except OSError:
        return []
    return sorted(name for name in names if is_version(index_dir, name))


def read_current(index_dir: Path) -> tuple[str | None, str]:
    """(name, "") when CURRENT names a complete version; else (None, what is wrong with it, e.g.
    "is empty"), in words that never repeat a path found in the file. Reads at most
    MAX_POINTER_BYTES, never through a symbolic link, never blocks on a pipe. Never raises."""
    path = index_dir / CURRENT
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None, "is missing"
    except OSError as exc:
        link = exc.errno == errno.ELOOP
        return None, "is a symbolic link" if link else f"cannot be read ({exc.strerror})"
    try:
        info = os.fstat(fd)
        data = os.read(fd, MAX_POINTER_BYTES + 1) if stat.S_ISREG(info.st_mode) else None
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror})"
    finally:
        os.close(fd)
    if data is None:
        return None, "is not a regular file"
    if len(data) > MAX_POINTER_BYTES:
        return None, f"holds {info.st_size} bytes, not one version name"
    name = data.decode("utf-8", errors="replace").strip()
    if not name:
        return None, "is empty"
    if not VERSION_NAME.fullmatch(name):
        shown = f" ({name!r})" if SHOWN_NAME.fullmatch(name) else ""
        return None, f"does not hold a version name{shown}"
    if not is_version(index_dir, name):
        return None, f"names {name}, which is not a complete version folder"
    return name, ""


def current_version(index_dir: Path) -> str:
    """The live version: what CURRENT names, or when CURRENT is damaged (`read_current`) the
    version last recorded as live in HISTORY that still exists, else the newest, with a warning
    logged once per problem. Raises IndexNotFoundError when the folder holds no complete version;
    the message names the folder and CURRENT's problem, never CURRENT's content."""
    name, problem = read_current(index_dir)
    if name is not None:
        return name
    present = versions(index_dir)
    if not present:
        raise IndexNotFoundError(index_dir, "" if problem == "is missing" else f"CURRENT {problem}")
    order = history.stack(history.read(index_dir), None, present)
    fallback = next((v for v in reversed(order) if v in present), present[-1])
    key = (str(index_dir), problem, fallback)
    if key not in _warned:
        _warned.add(key)
        log.warning(
            "%s %s; serving %s, the version last recorded as live (else the newest); the next "
            "build or rollback rewrites CURRENT",
            index_dir / CURRENT,
            problem,
            fallback,
        )
    return fallback


def switch_current(index_dir: Path, version: str) -> None:
    """Point CURRENT at `version` atomically (`atomic_write_text`); a folder named CURRENT is moved
    aside to `.CURRENT.<hex>.damaged` first. Raises IndexNotFoundError when `version` is not a
    complete version, OSError when CURRENT cannot be written (it is unchanged then)."""
    if not is_version(index_dir, version):
        raise IndexNotFoundError(index_dir, f"version {version!r} is not a complete build")
    path = index_dir / CURRENT
    if path.is_dir() and not path.is_symlink():  # a rename cannot replace a folder: move it aside
        aside = index_dir / f".{CURRENT}.{secrets.token_hex(4)}.damaged"
        os.rename(path, aside)
        log.warning("moved the folder %s, which stood where CURRENT belongs, to %s", path, aside)
    atomic_write_text(path, version + "\n")


def record_switch(index_dir: Path, action: str, old: str | None, new: str, note: str = "") -> None:
    """Record in HISTORY that `action` ("publish", "rollback") made `new` live in place of `old`,
    with an optional `note`. Never raises: the history is advisory (CURRENT has switched already
    and `history.stack` reconciles a missing line), so a failure (disk full) is logged."""
    seed = history.stack((), old, versions(index_dir)) if old else []  # only names before `old`
    try:
        history.record(index_dir, action, old, new, seed, note)
    except OSError as exc:
        log.warning("could not record the switch to %s in %s (%s)", new, HISTORY, exc)


def rollback_order(index_dir: Path, live: str) -> list[str]:
    """The versions a rollback from `live` may go to, first choice first: those that were live
    before it (history.stack), most recent first, that still exist. Not verified here."""
    present = versions(index_dir)
    order = history.stack(history.read(index_dir), live, present)
    return [v for v in reversed(order[:-1]) if v in present]


def fallback_order(index_dir: Path) -> list[str]:
    """Every complete version, in the order to serve them when the ones before are damaged: the
    live one, its `rollback_order`, then the others (rolled back from) newest first, and last the
    versions that were never live (`held_versions`: a gate may have refused them). Raises
    IndexNotFoundError as `current_version`."""
    live = current_version(index_dir)
    below = rollback_order(index_dir, live)
    held = held_versions(index_dir)
    rest = [v for v in reversed(versions(index_dir)) if v not in (live, *below, *held)]
    return [live, *below, *rest, *held]


def _first_verified(index_dir: Path, candidates: Sequence[str]) -> tuple[str | None, list[str]]:
    """(the first candidate whose files all match their checksums or None, the ones skipped)."""
    skipped = []
    for name in candidates:
        try:
            verify_version(index_dir / name)
            return name, skipped
        except CorruptIndexError as exc:
            log.warning("not rolling back to %s: %s", name, exc)
            skipped.append(name)
    return None, skipped


def rollback(index_dir: Path) -> tuple[str, str]:
    """Make the version that was live before the live one live again, holding the build lock;
    returns (old, new). Versions deleted since, or whose files fail their checksums, are skipped
    (logged). Repeated rollbacks walk further back; a version rolled back from is never a target
    (a build publishes the sources again). Raises BuildLockedError while a build writes,
    NothingToRollBackError (an IndexNotFoundError) when there is no version to go back to,
    IndexWriteError when CURRENT cannot be written (the live version is unchanged then)."""
    with build_lock(index_dir):
        live = current_version(index_dir)
        target, skipped = _first_verified(index_dir, rollback_order(index_dir, live))
        if target is None:
            damaged = f" ({', '.join(skipped)} failed verification)" if skipped else ""
            raise NothingToRollBackError(index_dir, live, damaged)
        fault_point("rollback-before-switch")
        try:
            switch_current(index_dir, target)
        except OSError as exc:
            raise IndexWriteError(index_dir, exc, live, "rollback") from exc
        fault_point("rollback-before-history")
        record_switch(index_dir, "rollback", live, target)
        return live, target


def prune(index_dir: Path, keep: int = KEEP_VERSIONS, protect: Sequence[str] = ()) -> list[str]:
    """Delete every version but the first `keep` of `fallback_order` (the live one and what a
    rollback or a fallback would use first), every leftover `.tmp-*` folder and temporary file of
    an interrupted write; returns the deleted version names (none when keep < 1). Raises
    IndexNotFoundError when nothing is live. The caller holds the build lock (a temporary folder
    may be a build in progress). Versions in `protect` (a gated build's version, kept but not
    live) are never deleted here."""
    kept = set(fallback_order(index_dir)[:keep]) if keep > 0 else set(versions(index_dir))
    kept |= set(protect)
    removed = []
    for name in versions(index_dir):
        if name not in kept:
            shutil.rmtree(index_dir / name, ignore_errors=True)
            removed.append(name)
    for tmp in index_dir.glob(f"{TMP_PREFIX}*"):
        shutil.rmtree(tmp, ignore_errors=True)
    for name in (CURRENT, HISTORY):
        for tmp in index_dir.glob(f".{name}.*.tmp"):
            tmp.unlink(missing_ok=True)
    return removed


@contextlib.contextmanager
def build_lock(index_dir: Path):
    """One writer at a time; a second build fails at once with who holds the lock.

    An exclusive, non-blocking `flock` on `<index>/.build.lock` (the folder is created; a symbolic
    link there is refused), which holds the holder's pid while held (when the disk has room for
    it); the kernel releases it if the holder dies. Raises BuildLockedError naming that pid,
    IndexWriteError when the folder or the lock file cannot be created."""
    path = index_dir / LOCK
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        raise IndexWriteError(index_dir, exc, None, "build or rollback") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
            raise BuildLockedError(
                f"another build is writing {index_dir} (lock {path}, held by pid "
                f"{holder if holder.isdigit() else 'unknown'}); wait for it to finish and run "
                "the build again"
            ) from None
        with contextlib.suppress(OSError):  # the pid is a courtesy: a full disk must not stop us
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def held_versions(index_dir: Path) -> list[str]:
    """Complete versions newer than the live one that were never live (not in HISTORY): builds a
    gate held back, or not yet published after a preview; newest first. [] when nothing is live.
    Never raises."""
    try:
        live = current_version(index_dir)
    except IndexNotFoundError:
        return []
    seen = {e.new for e in history.read(index_dir)} | {e.old for e in history.read(index_dir)}
    return [v for v in reversed(versions(index_dir)) if v > live and v not in seen]


def publish_held(index_dir: Path, version: str, expect_live: str | None, note: str = "") -> str:
    """Make `version` (a complete version, e.g. from `held_versions`) live, holding the build
    lock, its files verified first; recorded in HISTORY as a publish with `note`. Returns the
    version that was live before (None when nothing was).

    `expect_live` is the live version the caller compared `version` against: when another build
    or a rollback has changed it since, nothing switches. Raises IndexStateError then (rerun the
    gate), IndexNotFoundError for a name that is not a complete version, CorruptIndexError when
    its files fail their checksums, BuildLockedError, IndexWriteError."""
    with build_lock(index_dir):
        try:
            live = current_version(index_dir)
        except IndexNotFoundError:
            live = None
        if live != expect_live:
            raise IndexStateError(
                f"the live version of {index_dir} changed from {expect_live} to {live} since "
                f"{version} was compared with it; compare again (python -m kb build --gate, or the "
                "preview on the editor page) before publishing"
            )
        if not is_version(index_dir, version):
            raise IndexNotFoundError(index_dir, f"version {version!r} is not a complete build")
        verify_version(index_dir / version)
        try:
            switch_current(index_dir, version)
        except OSError as exc:
            raise IndexWriteError(index_dir, exc, live, "publish") from exc
        record_switch(index_dir, "publish", live, version, note)
        return live
