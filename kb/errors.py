"""Errors a user can cause, in one hierarchy under `KBError`, each saying what to fix.

    KBError
    ├── ConfigError          a KB_* setting, option or argument is invalid (also a ValueError)
    │   └── UnknownFilterError  a category or language filter no article has
    ├── ValidationError      article sources have problems (a list of `Problem`s)
    ├── QueryFileError       an evaluation query file has problems (a list of `Problem`s)
    └── IndexStateError      the index cannot serve or be written as asked
        ├── IndexNotFoundError
        │   └── NothingToRollBackError
        ├── CorruptIndexError
        ├── EncoderMismatchError
        ├── BuildLockedError
        └── IndexWriteError  the disk refused a write (full, read-only, no permission)

Callers (the CLI, the app, the service) catch `KBError` only, so a real bug keeps its traceback
(the habit of opensearch-py's `exceptions.py`). The CLI maps input errors to exit code 1 and index
errors to 2.
"""

from __future__ import annotations

import difflib
import errno
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One validation problem, printed as `path:line: message` like a compiler.

    `line` is 1-based in the editor's own numbering (0 when the problem is about the whole path)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class KBError(Exception):
    """Base class for every error a user can cause; printed without a traceback."""


class ConfigError(KBError, ValueError):
    """An option, argument or KB_* setting has a bad value; the message names it and the fix.

    Also a ValueError, so code that validates values with `except ValueError` keeps working."""


class UnknownFilterError(ConfigError):
    """A search filter value no article has (`--language cn`, a misspelt category): an error
    naming the valid choices, not an empty result. `field`, `value` and `choices` are kept for
    front ends that show them their own way."""

    def __init__(self, field: str, value: str, choices: list[str], near: str | None = None):
        """`near`: the choice `value` stands for when the caller knows better than spelling
        (`cn` and `Chinese` stand for `zh`: `options.closest_language`); else the closest
        spelling among `choices` (difflib), if any, is suggested."""
        self.field, self.value, self.choices = field, value, list(choices)
        folded = {c.casefold(): c for c in self.choices}  # `EN`, `WITHDRAWALS`: the case differs
        spelt = difflib.get_close_matches(value.casefold(), list(folded), n=1)
        near = near if near in self.choices else (folded[spelt[0]] if spelt else None)
        hint = f"did you mean {near!r}? " if near else ""
        shown = ", ".join(self.choices) or "(none: this index has no articles)"
        super().__init__(f"unknown {field} {value[:50]!r}; {hint}use one of: {shown}")


class _ProblemList(KBError):
    """Several `Problem`s at once, sorted by path and line."""

    what = "problem(s)"

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.path, p.line, p.message))
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{len(self.problems)} {self.what}:\n{lines}")


class ValidationError(_ProblemList):
    """The article sources have problems; nothing was built or published."""

    what = "problem(s) in the articles"


class QueryFileError(_ProblemList):
    """An evaluation query file (JSONL) has problems; nothing was evaluated."""

    what = "problem(s) in the query file"


class IndexStateError(KBError):
    """The index is missing, damaged, built by another encoder, or locked by another build."""


class IndexNotFoundError(IndexStateError):
    """No version to serve or switch to: the folder has no CURRENT, CURRENT names a version that is
    not complete, or a rollback has no older version. `detail` says which; the message names the
    folder and the command that builds an index there."""

    def __init__(self, index_dir: Path | str, detail: str = ""):
        super().__init__(
            f"no index in {index_dir}{': ' + detail if detail else ''}; "
            f"build one with: python -m kb build --index {index_dir}"
        )


class NothingToRollBackError(IndexNotFoundError):
    """Rollback found no earlier version to make live (also an IndexNotFoundError, exit 2)."""

    def __init__(self, index_dir: Path | str, live: str, detail: str = ""):
        IndexStateError.__init__(
            self,
            f"nothing to roll back to in {index_dir}: no version older than the live one ({live})"
            f"{detail}. Rollback goes back only to versions that were live before, never to one "
            "rolled back from; to undo a change, fix the articles and run: "
            f"python -m kb build --index {index_dir}",
        )


class EncoderMismatchError(IndexStateError):
    """Vectors from two encoders live in different spaces; mixing them returns nonsense."""

    def __init__(self, index_dir: Path | str, built_with: str, configured: str):
        self.built_with = built_with
        self.configured = configured
        super().__init__(
            f"the index in {index_dir} was built with encoder {built_with!r} but the configured "
            f"encoder is {configured!r}. Either search with --encoder (or KB_ENCODER) set to "
            f"{built_with.split('|')[0]!r}, or rebuild the index with the configured encoder: "
            f"python -m kb build --index {index_dir} --encoder {configured.split('|')[0]}"
        )


class CorruptIndexError(IndexStateError):
    """A version's files fail their checksums or cannot be read; the message names the file."""


class BuildLockedError(IndexStateError):
    """Another build holds the index's write lock; the message names the holder's pid."""


NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
NO_PERMISSION = (errno.EACCES, errno.EPERM, errno.EROFS)


class IndexWriteError(IndexStateError):
    """Writing to the index folder failed (`cause`, an OSError: disk full, quota, read-only disk,
    no permission). Whatever was half written is removed and the live version is unchanged. The
    message names the folder, the cause, what still serves and the fix (free space or move the
    index for ENOSPC/EDQUOT; make it writable for EACCES/EPERM/EROFS)."""

    def __init__(self, index_dir: Path | str, cause: OSError, live: str | None, action: str):
        """`action` names what failed in words ("build", "rollback"); `live` is the version that
        still serves (None when none)."""
        self.cause = cause
        reason = cause.strerror or (os.strerror(cause.errno) if cause.errno else str(cause))
        if cause.errno in NO_SPACE:
            fix = (
                f"free space on the disk that holds {index_dir}, or move the index to a disk with "
                "room (--index or KB_INDEX)"
            )
        elif cause.errno in NO_PERMISSION:
            fix = f"make {index_dir} writable for this user, or use another folder (--index)"
        else:
            fix = f"check the disk that holds {index_dir}"
        serving = f"the live version {live} still serves" if live else "nothing was changed"
        super().__init__(
            f"cannot write to the index {index_dir} during the {action}: {reason}; the partial "
            f"files were removed and {serving}. Fix: {fix}, then run the {action} again"
        )
