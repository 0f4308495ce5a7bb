"""Parsed sources reused between builds: a source file whose bytes did not change is not parsed
and validated again (as Lucene reuses a segment whose files did not change).

Why: parsing and validating a 100,000-row FAQ help center (every cell cleaned, OpenCC, a row id
hashed per question) costs about 10 CPU s, and a rebuild after editing one row paid it for every
file (docs/BENCHMARKS.md "Incremental rebuild"). The loader keeps, per source file, the Articles
and the notices of its last clean parse, and reuses them while all of these are equal:

- the file's bytes (sha256) and size, its resolved path and how it is shown (`display`, the
  articles' `source`): an edited, renamed or moved file is parsed again. Not the mtime: a file
  rewritten with the same bytes (an export tool, `git checkout`) is reused, and an edit inside one
  mtime tick is still seen;
- the loader (`loader_key`): sha256 over the source of the code that parses (kb/ingest, kb/text,
  kb/model.py, kb/options.py, kb/errors.py), the versions of the libraries it parses with, the
  Python version and the LIMITS in force, so a code or setting change re-parses everything.

A file with problems is never stored: its problems are found again on every load, as before. The
notices of a stored file are stored with it and reported again on every load. Checks across files
(duplicate slugs, categories, translations, shared questions, questions.yaml, base_url) always
run on the whole list.

Format: one file per articles folder under `<index>/cache/sources/`, a pickle of built-in values
only (str, int, tuple, list, dict, bytes) read by an Unpickler that refuses every global, so a
tampered file cannot run code (Python's pickle docs, "Restricting Globals"). Each source file's
entry is pickled apart, as bytes in the cache's pickle: unpickled when its file loads, pickled
again only when it changed; a damaged entry costs only its own file a parse. The pickle is
followed by its sha256 and TRAILER, so a write torn by a crash (not fsynced) is not read as
articles; a wrong-shaped entry is ignored. `kb build --force` deletes it (`forget`). An
unreadable cache file is ignored, with a warning, and written anew; a failed write warns only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import logging
import pickle
import shutil
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from ..atomic import replace_file
from ..errors import Problem
from ..model import Article
from ..options import LIMITS
from .docsite import Notes
from .rowmemo import RowMemo, as_article, as_row

FORMAT = 3  # 2: a sha256 trailer after the pickle; 3: each file's entry pickled apart
TRAILER = b"kb-source-cache-sha256\n"  # after the 32 bytes of sha256 that end a cache file
CACHE_SUBDIR = "sources"
CACHES_KEPT = 2  # source cache files kept per index: this folder's and the last other one's
LOG = logging.getLogger("kb.ingest")
# the code whose output is cached (relative to the kb package) and the libraries it parses with
CODE = ("ingest", "text", "model.py", "options.py", "errors.py")
LIBRARIES = ("PyYAML", "openpyxl", "nh3", "markdownify", "OpenCC", "beautifulsoup4")

# parse(path, display, problems, notes, memo) -> articles: what the cache stands in for
Parse = Callable[..., list[Article]]


@functools.cache
def _code_digest() -> str:
    """sha256 (hex) over the parsing code's source files and library versions (once a process)."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for name in CODE:
        path = package / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(str(file.relative_to(package)).encode() + b"\0" + file.read_bytes())
    for library in LIBRARIES:
        try:
            digest.update(f"{library}={metadata.version(library)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library}=none\0".encode())
    return digest.hexdigest()


def loader_key() -> str:
    """What a cached parse depends on besides the file: the code digest, Python's version and
    the LIMITS in force (tests lower them), as one string."""
    return f"{FORMAT}:{_code_digest()}:{sys.version}:{dataclasses.astuple(LIMITS)!r}"


class _BuiltinsOnly(pickle.Unpickler):
    """An Unpickler that refuses every global: only built-in values can be read back."""

    def find_class(self, module: str, name: str):
        """Never returns: raises pickle.UnpicklingError naming the refused global."""
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a source cache")


def _fingerprint(path: Path) -> tuple[str, int, int] | None:
    """(resolved path, size, mtime_ns) of a regular file small enough for a source (bigger
    files are refused by the parser before being read), else None: not cached."""
    try:
        stat = path.stat()
    except OSError:
        return None
    limit = max(LIMITS.table_bytes, LIMITS.article_bytes)
    if not path.is_file() or stat.st_size > limit:
        return None
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


def _sha256(path: Path) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


class SourceCache:
    """The parsed sources of one articles folder, kept in `folder` (None: no cache, every file
    is parsed). Use `load` for each file, then `save`."""

    def __init__(self, folder: Path | None, root: Path, display_root: str):
        self.folder = folder
        self.path: Path | None = None
        self.entries: dict[str, tuple | bytes] = {}  # display -> entry (`_entry`) or its pickle
        self.seen: set[str] = set()
        self.dirty = False
        if folder is not None:
            name = hashlib.sha256(f"{root.resolve()}\0{display_root}".encode()).hexdigest()
            self.path = folder / f"{name[:24]}.pickle"
            self.entries = self._read()

    def _read(self) -> dict[str, tuple | bytes]:
        """The stored entries, or {} (with a warning when the file exists but cannot be read or
        was written by other code or settings: everything is parsed again and the file rewritten)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            LOG.warning("source cache %s cannot be read (%s); parsing every source", self.path, exc)
            return {}
        try:
            stored = _BuiltinsOnly(io.BytesIO(_checked(data))).load()
            if not (isinstance(stored, dict) and isinstance(stored.get("files"), dict)):
                raise ValueError("not a source cache")
        except Exception as exc:  # any damage: the cache is only an optimisation
            LOG.warning(
                "source cache %s is damaged (%s); ignoring it, parsing every source, rewriting it",
                self.path,
                exc,
            )
            self.dirty = True
            return {}
        if stored.get("loader") != loader_key():
            self.dirty = True  # other code or settings: silently stale, rewritten after the load
            return {}
        return stored["files"]

    def load(
        self, path: Path, display: str, problems: list[Problem], notes: Notes, parse: Parse
    ) -> list[Article]:
        """The articles of one source file: from the cache when its bytes and name are those
        stored (its stored notices added to `notes`), else `parse(path, display, problems,
        notes)`, stored when it found no problem and the file did not change meanwhile."""
        if self.folder is None:
            return parse(path, display, problems, notes, None)
        self.seen.add(display)
        before = _fingerprint(path)
        digest = _sha256(path) if before is not None else None
        entry = _entry(_unpickled(self.entries.get(display), display), display)
        if digest is not None and entry is not None and entry[:3] == (before[0], before[1], digest):
            articles = self._replay(entry, display, notes)
            if articles is not None:
                return articles
        own_notes, own_problems = Notes(), []
        memo = RowMemo(entry if entry is not None and before and entry[0] == before[0] else None)
        articles = parse(path, display, own_problems, own_notes, memo)
        if own_problems and memo.used:  # a file with problems: its messages as a plain parse's
            own_notes, own_problems = Notes(), []
            articles = parse(path, display, own_problems, own_notes, None)
        _merge(notes, own_notes)
        problems.extend(own_problems)
        if self.entries.pop(display, None) is not None:
            self.dirty = True
        if digest is not None and not own_problems and _fingerprint(path) == before:
            rows = tuple(as_row(a) for a in articles)
            items = tuple((p.path, p.line, p.message) for p in own_notes.items)
            ignored = tuple(sorted(own_notes.ignored.items()))
            keys = tuple(memo.keys.get(id(a)) for a in articles)
            lines = tuple(memo.lines.get(id(a)) for a in articles)
            entry = (before[0], before[1], digest, rows, (items, ignored), keys, lines)
            self.entries[display] = entry
            self.dirty = True
        return articles

    def _replay(self, entry: tuple, display: str, notes: Notes) -> list[Article] | None:
        """The articles of a stored entry, its notices added to `notes`; None (logged) when the
        entry is damaged."""
        try:
            articles = [as_article(row) for row in entry[3]]
            items, ignored = entry[4]
            stored = Notes([Problem(*item) for item in items])
            stored.ignored.update(dict(ignored))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            LOG.warning("source cache entry of %s is damaged (%s); parsing it", display, exc)
            return None
        _merge(notes, stored)
        return articles

    def save(self, prune: bool = True, create: bool = True) -> None:
        """Write the entries when they changed (with `prune`, without the files not loaded since
        the cache was opened: deleted or moved sources, and other folders' cache files beyond
        CACHES_KEPT). `create=False` writes only over an existing cache file (`kb validate`'s id
        check of a draft folder leaves no cache behind). A failed write is a warning only."""
        if self.path is None or not (create or self.path.exists()):
            return
        if prune:
            gone = set(self.entries) - self.seen
            for display in gone:
                del self.entries[display]
            self.dirty = self.dirty or bool(gone)
        if not self.dirty:
            return
        files = {d: e if isinstance(e, bytes) else _pickled(e) for d, e in self.entries.items()}
        self.entries.update(files)  # pickled once, even when this write fails and another follows
        payload = {"format": FORMAT, "loader": loader_key(), "files": files}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # one temporary name per cache file: a killed write leaves one file, reused next time
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            replace_file(self.path, lambda f: _dump(payload, f), tmp, durable=False)
        except OSError as exc:
            LOG.warning(
                "source cache %s not written (%s); the next build parses again", self.path, exc
            )
            return
        self.dirty = False
        if prune:
            _prune_others(self.path)


def _prune_others(kept: Path) -> None:
    """Delete the cache files of other articles folders (a folder moved or renamed, an index
    once built from elsewhere) beyond the CACHES_KEPT most recently written, `kept` among them:
    each is as large as its folder's parsed text (41 MB at 100,000 FAQ rows) and would stay
    forever. A file that cannot be deleted is left."""
    try:
        others = sorted(
            (p for p in kept.parent.glob("*.pickle") if p != kept),
            key=lambda p: p.stat().st_mtime_ns,
            reverse=True,
        )
    except OSError:  # one deleted meanwhile: left for the next save
        return
    for path in others[CACHES_KEPT - 1 :]:
        with contextlib.suppress(OSError):
            path.unlink()
    for path in kept.parent.glob(".*.pickle.*.tmp"):  # random names of writes killed before
        with contextlib.suppress(OSError):
            path.unlink()


def _dump(payload: dict, file) -> None:
    """`_pickled(payload)` streamed into `file` (no copy of the whole cache in memory), then its
    sha256 and TRAILER: a torn write (the file is not fsynced) or bytes changed later are found
    by `_checked`, not read as articles (0.03 s per 41 MB)."""
    digest = hashlib.sha256()

    class _Hashed:
        def write(self, data) -> int:
            digest.update(data)
            return file.write(data)

    _pickled(payload, _Hashed())
    file.write(digest.digest() + TRAILER)


def _pickled(value: object, file=None) -> bytes | None:
    """A pickle without the memo (a table of every object written: over a GB for a million
    articles' strings; nothing here refers to itself), into `file`, or returned when None."""
    out = io.BytesIO() if file is None else file
    pickler = pickle.Pickler(out, protocol=5)
    pickler.fast = True
    pickler.dump(value)
    return out.getvalue() if file is None else None


def _unpickled(entry: object, display: str) -> object:
    """A stored entry: `entry`, or its pickle read refusing every global; None, logged, when
    that pickle cannot be read."""
    if not isinstance(entry, bytes):
        return entry
    try:
        return _BuiltinsOnly(io.BytesIO(entry)).load()
    except Exception as exc:  # a damaged entry: only this file is parsed again
        LOG.warning("source cache entry of %s is damaged (%s); parsing it", display, exc)
        return None


def _checked(data: bytes) -> memoryview:
    """The pickle of a cache file whose sha256 trailer matches it. Raises ValueError otherwise
    (a torn or changed file, or one written before the trailer)."""
    end = len(data) - len(TRAILER) - 32
    if end < 0 or not data.endswith(TRAILER):
        raise ValueError("no checksum trailer")
    body = memoryview(data)[:end]
    if hashlib.sha256(body).digest() != data[end : end + 32]:
        raise ValueError("checksum mismatch: a torn write or changed bytes")
    return body


def _entry(entry: object, display: str) -> tuple | None:
    """`entry` when it has a stored entry's shape (the file's path, size and sha256, then rows,
    notices, row keys and line keys), else None, logged: a cache edited by hand must not crash
    a build (its rows' own shapes are checked where they are read)."""
    if entry is None:
        return None
    shaped = (
        isinstance(entry, tuple)
        and len(entry) == 7
        and isinstance(entry[0], str)
        and isinstance(entry[1], int)
        and isinstance(entry[2], str)
        and all(isinstance(part, tuple) for part in entry[3:])
    )
    if not shaped:
        LOG.warning("source cache entry of %s is damaged (not an entry); parsing it", display)
        return None
    return entry


def _merge(notes: Notes, more: Notes) -> None:
    """Add the notices and ignored-field counts of `more` to `notes`."""
    notes.items.extend(more.items)
    notes.ignored.update(more.ignored)


def forget(cache_dir: Path) -> None:
    """Delete every stored parse under `cache_dir/sources` (`kb build --force`: every article
    from its source, whatever the cache holds). A folder that cannot be deleted is left."""
    shutil.rmtree(Path(cache_dir) / CACHE_SUBDIR, ignore_errors=True)


def open_cache(cache_dir: Path | None, root: Path, display_root: str) -> SourceCache:
    """The source cache of the articles folder `root` under `cache_dir/sources` (kept beside the
    index's other build caches), or a pass-through one when `cache_dir` is None."""
    folder = None if cache_dir is None else Path(cache_dir) / CACHE_SUBDIR
    return SourceCache(folder, root, display_root)
