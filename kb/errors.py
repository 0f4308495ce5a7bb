"""Errors a user can cause, each carrying enough to say what to fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One validation problem, printed as `path:line: message` like a compiler."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class KBError(Exception):
    """Base class for errors the CLI prints without a traceback."""


class ValidationError(KBError):
    """The article sources have problems; nothing was built or published."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.path, p.line, p.message))
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the articles:\n{lines}")


class IndexNotFoundError(KBError):
    def __init__(self, index_dir: Path, detail: str = ""):
        super().__init__(
            f"no index in {index_dir}{': ' + detail if detail else ''}; "
            f"build one with: python -m kb build --index {index_dir}"
        )


class EncoderMismatchError(KBError):
    """Vectors from two encoders live in different spaces; mixing them returns nonsense."""

    def __init__(self, index_dir: Path, built_with: str, configured: str):
        self.built_with = built_with
        self.configured = configured
        super().__init__(
            f"the index in {index_dir} was built with encoder {built_with!r} but the configured "
            f"encoder is {configured!r}. Either search with --encoder (or KB_ENCODER) set to "
            f"{built_with.split('|')[0]!r}, or rebuild the index with the configured encoder: "
            f"python -m kb build --index {index_dir} --encoder {configured.split('|')[0]}"
        )


class CorruptIndexError(KBError):
    pass


class BuildLockedError(KBError):
    pass
