"""Article, section and chunk tables as memory-mapped Arrow files, read one row at a time.

Why: building one Python object per article, section and chunk at load time dominated both the cold
load (5.7 s) and the memory (2.8 GB) of a 100k-chunk index (docs/BENCHMARKS.md). Uncompressed Arrow
IPC files map straight from disk: opening one costs microseconds, its pages are shared with the OS
file cache, and a query only touches the few rows it shows.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..model import ArticleView, Section

INT_COLUMNS = {"index", "level", "line", "section_index", "position"}


class _Hashing:
    """A binary file that also feeds every byte written to a sha256 digest (for pa.PythonFile)."""

    def __init__(self, file):
        self.file, self.digest, self.closed = file, hashlib.sha256(), False

    def write(self, data) -> int:
        """Hash `data` (bytes-like), then write it; returns what the file's write returns."""
        self.digest.update(data)
        return self.file.write(data)

    def flush(self) -> None:
        """Flush the file."""
        self.file.flush()

    def close(self) -> None:
        """Mark closed; the file itself is closed by its owner."""
        self.closed = True


def write_table(path: Path, columns: dict[str, list | np.ndarray] | pa.Table) -> str:
    """One uncompressed Arrow IPC file (uncompressed, so it can be memory-mapped). Returns the
    hex sha256 of the bytes written, hashed as they are written (reading 190 MB of tables back
    to hash them was 0.2 s of a 100k rebuild; the publish still verifies them from disk).

    Lists become string columns (int32 for the names in INT_COLUMNS), also when empty. Raises
    OSError (disk full)."""
    table = (
        columns
        if isinstance(columns, pa.Table)
        else pa.table(
            {
                name: values
                if isinstance(values, np.ndarray)
                else pa.array(values, pa.int32() if name in INT_COLUMNS else pa.string())
                for name, values in columns.items()
            }
        )
    )
    with open(path, "wb") as file:
        sink = _Hashing(file)
        with pa.ipc.new_file(pa.PythonFile(sink, mode="w"), table.schema) as writer:
            writer.write_table(table)
    return sink.digest.hexdigest()


def read_table(path: Path) -> pa.Table:
    """The table at `path`, memory-mapped: nothing is read until a row is used. Raises OSError
    (missing file) or pyarrow.ArrowInvalid, a ValueError (not an Arrow IPC file)."""
    return pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()


def int_column(table: pa.Table, name: str) -> np.ndarray:
    """A numeric column as a 1-D NumPy array of the column's type (int32 for INT_COLUMNS and the
    row pointers written here), without copying when the file holds one chunk."""
    column = table.column(name)
    if column.num_chunks == 1:
        return column.chunk(0).to_numpy(zero_copy_only=False)
    return column.to_numpy()


VIEW_CACHE = 4096  # articles (and sections) kept per catalog: a few MB; the query path's re-reads


def _through(cache: dict, keys: list, read: Callable[[list], list]) -> list:
    """The values of `keys` (in order) from a bounded `cache`, those missing read in one call of
    `read(missing keys) -> values` and kept. The cache is emptied when it would pass VIEW_CACHE:
    cheaper than LRU bookkeeping on every query, and safe for concurrent readers, who keep the
    values they already took."""
    found = {k: cache.get(k) for k in keys}
    missing = [k for k, value in found.items() if value is None]
    if missing:
        if len(cache) + len(missing) > VIEW_CACHE:
            cache.clear()
        for key, value in zip(missing, read(missing), strict=True):
            found[key] = cache[key] = value
    return [found[k] for k in keys]


class ArticleCatalog(Mapping[str, ArticleView]):
    """slug -> ArticleView over the article and section tables; views are built on demand.

    Articles are stored in build order with `section_start`/`section_count` pointing into the
    section table, so an article and its sections are two slices, never a scan.
    """

    def __init__(self, articles: pa.Table, sections: pa.Table):
        self.table, self.sections = articles, sections
        self._slugs = articles.column("slug")
        self._section_start = int_column(articles, "section_start")
        self._section_count = int_column(articles, "section_count")
        self._codes: dict[str, tuple[list[str], np.ndarray]] = {}
        self._lock = threading.Lock()
        # the query path reads the same few articles over and over; the tables never change
        self._views: dict[int, ArticleView] = {}
        self._sections_cache: dict[tuple[int, int], Section] = {}
        self.headings = functools.lru_cache(maxsize=VIEW_CACHE)(self._headings)

    def row_of(self, slug: str) -> int | None:
        """Row of `slug` (0-based, build order), or None, also for a non-string. A vectorised scan:
        milliseconds even at a million articles."""
        if not isinstance(slug, str) or len(self) == 0:
            return None
        row = pc.index(self._slugs, pa.scalar(slug, pa.string())).as_py()
        return None if row < 0 else row

    def sections_at(self, rows: Sequence[int], indexes: Sequence[int]) -> list[Section]:
        """Section `indexes[i]` of the article at `rows[i]`, in one read of those not read
        before (the query path's need: a dozen sections per query; one slice per section costs
        more than the whole search). Up to VIEW_CACHE sections are kept."""

        def read(missing: list[tuple[int, int]]) -> list[Section]:
            positions = self._section_start[np.array([r for r, _ in missing], dtype=np.int64)]
            positions = positions + np.array([i for _, i in missing], dtype=np.int64)
            data = self.sections.take(pa.array(positions, pa.int64())).to_pylist()
            return [self._section(d) for d in data]

        keys = [(int(r), int(i)) for r, i in zip(rows, indexes, strict=True)]
        return _through(self._sections_cache, keys, read)

    def _headings(self, row: int) -> list[tuple[int, str]]:
        """(level, heading) of each section of the article at `row`, in order: two columns of
        its slice, for choosing a section without building the sections (kb/retrieval/sections.py).
        Called as `self.headings`, which keeps the last VIEW_CACHE articles' headings."""
        start, count = int(self._section_start[row]), int(self._section_count[row])
        part = self.sections.slice(start, count)
        levels, headings = part.column("level").to_pylist(), part.column("heading").to_pylist()
        return list(zip(levels, headings, strict=True))

    def views(self, rows: Sequence[int]) -> list[ArticleView]:
        """The articles at `rows`, in that order, without their sections, in one read of those
        not read before (up to VIEW_CACHE are kept: ArticleView is immutable)."""

        def read(missing: list[int]) -> list[ArticleView]:
            data = self.table.take(pa.array(np.array(missing, dtype=np.int64), pa.int64()))
            return [self._article(d, ()) for d in data.to_pylist()]

        return _through(self._views, [int(r) for r in rows], read)

    def view(self, row: int) -> ArticleView:
        """The article at `row` with its sections."""
        data = self.table.slice(row, 1).to_pylist()[0]
        start, count = int(self._section_start[row]), int(self._section_count[row])
        sections = tuple(self._section(s) for s in self.sections.slice(start, count).to_pylist())
        return self._article(data, sections)

    @staticmethod
    def _section(data: dict) -> Section:
        return Section(
            slug=data["slug"],
            index=int(data["index"]),
            heading=data["heading"],
            anchor=data["anchor"],
            level=int(data["level"]),
            markdown=data["markdown"],
            text=data["text"],
            line=int(data["line"]),
        )

    @staticmethod
    def _article(data: dict, sections: tuple[Section, ...]) -> ArticleView:
        return ArticleView(
            slug=data["slug"],
            title=data["title"],
            category=data["category"],
            language=data["language"],
            visibility=data["visibility"],
            url=data["url"],
            updated=data["updated"],
            tags=tuple(json.loads(data["tags"])),
            source=data["source"],
            sections=sections,
            translation_of=data.get("translation_of") or "",  # absent in older versions
        )

    def codes(self, name: str) -> tuple[list[str], np.ndarray]:
        """(distinct values, (article_count,) int32 index into them per article row) of a string
        column, computed once per catalog (thread-safe), for filters."""
        with self._lock:
            if name not in self._codes:
                encoded = pc.dictionary_encode(self.table.column(name)).combine_chunks()
                self._codes[name] = (
                    encoded.dictionary.to_pylist(),
                    encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32),
                )
            return self._codes[name]

    def distinct(self, name: str) -> list[str]:
        """Distinct values of the string column `name` (e.g. "category", "language"), sorted."""
        return sorted(self.codes(name)[0])

    def __getitem__(self, slug: str) -> ArticleView:
        row = self.row_of(slug)
        if row is None:
            raise KeyError(slug)
        return self.view(row)

    def __contains__(self, slug: object) -> bool:
        return isinstance(slug, str) and self.row_of(slug) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._slugs.to_pylist())

    def __len__(self) -> int:
        return self.table.num_rows

    def values(self) -> list[ArticleView]:  # type: ignore[override]
        """Every article, in row order (Mapping's default would look each slug up again)."""
        return [self.view(row) for row in range(len(self))]
