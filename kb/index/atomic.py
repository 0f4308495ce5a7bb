"""Durable, atomic small-file writes for an index folder: write a temporary file, fsync it, rename
it over the target, fsync the folder. Readers see the old content or the new, never a mix; a crash
or an error (disk full) at any point leaves the old content and no temporary file behind."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


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
    """Replace `path` with `text` (UTF-8) by write-then-rename. Raises OSError (disk full, no
    permission); the temporary `.<name>.<hex>.tmp` file is removed then, and `path` is unchanged."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)
