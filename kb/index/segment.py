"""A run of articles with their sections, chunks, vectors and term counts, held as columns.

Why: a rebuild after editing one article of 10,000 used to redo chunking, token and vector lookups,
BM25 counting and table writing for all of them, about 0.2 ms per article (docs/BENCHMARKS.md).
The build now reads the previous version's partition as a Segment, computes a Segment only for new
and changed articles, and assembles the new partition with array operations (`take`, `concat`), so
the Python work follows the number of changed articles rather than the size of the help center.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..model import Article, Chunk, Section
from .catalog import INT_COLUMNS, int_column
from .keyword import DocTerms, ranges

NO_SOURCE = np.iinfo(np.int64).max  # title_src of an article without a title vector
SECTION_COLUMNS = ["slug", "index", "heading", "anchor", "level", "markdown", "text", "line"]
CHUNK_COLUMNS = ["chunk_id", "slug", "section_index", "position", "text"]


def _table(rows: list, columns: list[str]) -> pa.Table:
    return pa.table(
        {
            c: pa.array(
                [getattr(r, c) for r in rows], pa.int32() if c in INT_COLUMNS else pa.string()
            )
            for c in columns
        }
    )


@dataclass
class Segment:
    """Articles in order; every other field is grouped by article in that same order.

    With n articles, s sections, c chunks and vector dimension dim: `section_counts` and
    `chunk_counts` are (n,) int64, `chunk_vectors` (c, dim) and `title_vectors` (n, dim) float32,
    L2-normalised (title rows all zero for an article without one), `terms` holds c chunks."""

    slugs: list[str]
    content_hashes: list[str]
    section_counts: np.ndarray  # per article
    chunk_counts: np.ndarray  # per article
    sections: pa.Table  # SECTION_COLUMNS; `line` relative to the article's first body line, so a
    # reused article that moved inside its source file gets its new line numbers at write time
    chunks: pa.Table  # CHUNK_COLUMNS
    chunk_vectors: np.ndarray | None  # per chunk, language-projected; None in a reused segment
    title_vectors: np.ndarray | None  # per article (zeros where an article has none); likewise
    terms: DocTerms | None  # BM25 term counts per chunk; likewise
    # where each row's vectors and term counts are stored (kb/index/segfiles.py): >= 0 a document
    # (doc_src) or vector (vec_src, title_src) of the stored segments of version `base`, numbered
    # across them; -(1 + i) row i of `fresh`, the segment computed by this build
    doc_src: np.ndarray | None = None  # (c,) int64
    vec_src: np.ndarray | None = None  # (c,) int64
    title_src: np.ndarray | None = (
        None  # (n,) int64; NO_SOURCE where an article has no title vector
    )
    fresh: Segment | None = None
    base: str | None = None

    @classmethod
    def from_objects(
        cls,
        slugs: list[str],
        hashes: list[str],
        body_lines: list[int],
        sections: list[list[Section]],
        chunks: list[list[Chunk]],
        chunk_vectors: np.ndarray,
        title_vectors: np.ndarray,
        tokens: list[list[str]],
    ) -> Segment:
        """From freshly split, encoded and tokenised articles (lists grouped per article)."""
        section_counts = np.array([len(s) for s in sections], dtype=np.int64)
        flat_tokens = [t or [""] for t in tokens]
        lengths = np.fromiter(map(len, flat_tokens), np.int64, len(flat_tokens))
        flat = np.fromiter((t for ts in flat_tokens for t in ts), dtype=object, count=lengths.sum())
        n_chunks = len(flat_tokens)
        segment = cls(
            slugs=slugs,
            content_hashes=hashes,
            section_counts=section_counts,
            chunk_counts=np.array([len(c) for c in chunks], dtype=np.int64),
            sections=shift_lines(
                _table([s for group in sections for s in group], SECTION_COLUMNS),
                -np.repeat(np.asarray(body_lines, dtype=np.int64), section_counts),
            ),
            chunks=_table([c for group in chunks for c in group], CHUNK_COLUMNS),
            chunk_vectors=chunk_vectors,
            title_vectors=title_vectors,
            terms=DocTerms.from_flat(flat, lengths),
            doc_src=-1 - np.arange(n_chunks, dtype=np.int64),
            vec_src=-1 - np.arange(n_chunks, dtype=np.int64),
            title_src=-1 - np.arange(len(slugs), dtype=np.int64),
        )
        segment.fresh = segment  # its rows' vectors and term counts are its own
        return segment

    def __len__(self) -> int:
        return len(self.slugs)

    def take(self, rows: np.ndarray) -> Segment:
        """The articles at `rows`, in that order, with everything that belongs to them (`self`
        itself when `rows` is every article in order: no copy of its vectors)."""
        rows = np.asarray(rows, dtype=np.int64)
        if _identity(rows, len(self)):
            return self
        section_rows = ranges(_starts(self.section_counts)[rows], self.section_counts[rows])
        chunk_rows = ranges(_starts(self.chunk_counts)[rows], self.chunk_counts[rows])
        return Segment(
            slugs=[self.slugs[r] for r in rows],
            content_hashes=[self.content_hashes[r] for r in rows],
            section_counts=self.section_counts[rows],
            chunk_counts=self.chunk_counts[rows],
            sections=self.sections.take(section_rows),
            chunks=self.chunks.take(chunk_rows),
            chunk_vectors=None if self.chunk_vectors is None else self.chunk_vectors[chunk_rows],
            title_vectors=None if self.title_vectors is None else self.title_vectors[rows],
            terms=None if self.terms is None else self.terms.take(chunk_rows),
            doc_src=self.doc_src[chunk_rows],
            vec_src=self.vec_src[chunk_rows],
            title_src=self.title_src[rows],
            fresh=self.fresh,
            base=self.base,
        )

    @staticmethod
    def fresh_concat(parts: list[Segment]) -> Segment:
        """`concat` of segments computed by this build (each its own `fresh`), as one such
        segment: its rows' vectors and term counts are its own."""
        if len(parts) == 1:
            return parts[0]
        segment = Segment.concat(parts)
        n_chunks, n_articles = len(segment.doc_src), len(segment.slugs)
        segment.doc_src = -1 - np.arange(n_chunks, dtype=np.int64)
        segment.vec_src = segment.doc_src.copy()
        segment.title_src = -1 - np.arange(n_articles, dtype=np.int64)
        segment.fresh = segment
        return segment

    @staticmethod
    def concat(parts: list[Segment]) -> Segment:
        """The articles of every part, one part after another, with everything that belongs to
        them (same dimension in every part)."""
        return Segment(
            slugs=[s for p in parts for s in p.slugs],
            content_hashes=[h for p in parts for h in p.content_hashes],
            section_counts=np.concatenate([p.section_counts for p in parts]),
            chunk_counts=np.concatenate([p.chunk_counts for p in parts]),
            sections=pa.concat_tables([p.sections for p in parts]),
            chunks=pa.concat_tables([p.chunks for p in parts]),
            chunk_vectors=_joined([p.chunk_vectors for p in parts], np.concatenate),
            title_vectors=_joined([p.title_vectors for p in parts], np.concatenate),
            terms=_joined([p.terms for p in parts], DocTerms.concat),
            doc_src=np.concatenate([p.doc_src for p in parts]),
            vec_src=np.concatenate([p.vec_src for p in parts]),
            title_src=np.concatenate([p.title_src for p in parts]),
            fresh=next((p.fresh for p in parts if p.fresh is not None), None),
            base=next((p.base for p in parts if p.base is not None), None),
        )


# partition name ("public", "all") -> (its articles, their Segment in the same order): what a build
# hands to `IndexStore.publish`
Partitions = dict[str, tuple[list[Article], Segment]]


def shift_lines(sections: pa.Table, shift: np.ndarray) -> pa.Table:
    """`sections` with `shift` (one value per row) added to its line numbers."""
    lines = int_column(sections, "line").astype(np.int64) + shift
    column = sections.schema.get_field_index("line")
    return sections.set_column(column, "line", pa.array(lines.astype(np.int32)))


def _identity(rows: np.ndarray, count: int) -> bool:
    """Whether `rows` is 0, 1, ..., count - 1."""
    return len(rows) == count and bool(np.array_equal(rows, np.arange(count)))


def _joined(values: list, join):
    """`join(values)`, or None when any value is None (a reused segment holds no vectors)."""
    return None if any(v is None for v in values) else join(values)


def _starts(counts: np.ndarray) -> np.ndarray:
    return np.cumsum(counts) - counts


def assemble(
    slugs: list[str], hashes: list[str], previous: Segment | None, fresh: Segment
) -> tuple[Segment, int]:
    """The articles `slugs` in order: each from `previous` when its content hash is unchanged
    there, otherwise from `fresh`. Returns the segment and how many articles were reused.
    Raises KeyError for a slug in neither. Matched by Arrow's hash lookup (`index_in`): a
    Python dict of 100,000 slugs per partition was 0.3 CPU s of a rebuild."""
    pool = Segment.concat([previous, fresh]) if previous is not None else fresh
    offset = len(previous) if previous is not None else 0
    wanted = pa.array(slugs, pa.string())
    rows = np.full(len(slugs), -1, dtype=np.int64)
    if previous is not None and len(previous):
        found = positions(wanted, previous.slugs)
        known = found >= 0
        old_hashes = pa.array(previous.content_hashes, pa.string()).take(pa.array(found[known]))
        same = pc.equal(old_hashes, pa.array(hashes, pa.string()).filter(pa.array(known)))
        reused = np.flatnonzero(known)[same.to_numpy(zero_copy_only=False)]
        rows[reused] = found[reused]
    todo = np.flatnonzero(rows < 0)
    at = positions(wanted.take(pa.array(todo)), fresh.slugs)
    if (at < 0).any():
        raise KeyError(slugs[todo[np.flatnonzero(at < 0)[0]]])
    rows[todo] = offset + at
    return pool.take(rows), len(slugs) - len(todo)


def positions(values: pa.Array, among: list[str] | pa.ChunkedArray) -> np.ndarray:
    """(len(values),) int64: the index of each value in `among` (unique strings: a list or an
    Arrow column), -1 where absent. Arrow's hash lookup (`index_in`), not a Python dict."""
    if isinstance(among, pa.ChunkedArray):
        among = among.combine_chunks()
    value_set = among if isinstance(among, pa.Array) else pa.array(among, pa.string())
    found = pc.index_in(values, value_set=value_set)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def release_pages(array: np.ndarray) -> None:
    """Drop the pages of `array` read so far from this process's resident memory, when it is a
    view of a read-only memory map (a large build's spooled vectors, kb/build/fresh.py
    `_Spool`); they are read again from the file, or the page cache, if needed. Nothing for an
    array in memory. Without it, writing a 1M-chunk partition's vectors left all 2.9 GB of them
    resident, under the next partition's BM25 (docs/BENCHMARKS.md "Build memory")."""
    base = array
    while base is not None and not isinstance(base, mmap.mmap):  # views, then np.frombuffer's
        base = base.obj if isinstance(base, memoryview) else getattr(base, "base", None)
    if base is not None and hasattr(mmap, "MADV_DONTNEED") and len(base):
        base.madvise(mmap.MADV_DONTNEED)
