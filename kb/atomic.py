"""Durable, atomic file writes (index pointers and history, cache shards): write a temporary file,
fsync it, rename it over the target. Readers see the old content or the new, never a mix; a crash
or an error (disk full) at any point leaves the old content and no temporary file behind."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def fsync_dir(path: Path) -> None:
    """fsync a folder so a rename inside it survives a power cut; an OSError (a file system that
    cannot) is ignored."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def replace_file(
    final: Path, write: Callable[[BinaryIO], object], tmp: Path, durable: bool = True
) -> None:
    """Create or replace `final` with what `write(file)` writes, through the temporary `tmp` (in
    the same folder): write, fsync, rename. Raises OSError (disk full, no permission); `tmp` is
    removed then and `final` is unchanged. The folder itself is not fsynced (see `fsync_dir`).
    `durable=False` skips the fsync, for a cache whose damage its reader detects and ignores
    (kb/ingest/sourcecache.py): readers still see the old content or the new, never a mix."""
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8) by write-then-rename, then fsync its folder. Raises
    OSError (disk full, no permission); the temporary `.<name>.<hex>.tmp` file is removed then,
    and `path` is unchanged."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    replace_file(path, lambda f: f.write(text.encode("utf-8")), tmp)
    fsync_dir(path.parent)
