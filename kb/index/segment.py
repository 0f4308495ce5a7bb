"""A run of articles with their sections, chunks, vectors and term counts, held as columns.

Why: a rebuild after editing one article of 10,000 used to redo chunking, token and vector lookups,
BM25 counting and table writing for all of them, about 0.2 ms per article (docs/BENCHMARKS.md).
The build now reads the previous version's partition as a Segment, computes a Segment only for new
and changed articles, and assembles the new partition with array operations (`take`, `concat`), so
the Python work follows the number of changed articles rather than the size of the help center.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..model import Article, Chunk, Section
from .catalog import INT_COLUMNS, int_column, read_table
from .keyword import DocTerms, ranges
from .layout import (
    ARTICLES_FILE,
    BM25_DIR,
    CHUNKS_FILE,
    SECTIONS_FILE,
    TARGETS_FILE,
    VECTORS_FILE,
)
from .vectors import FaissVectorIndex

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
    chunk_vectors: np.ndarray  # per chunk, language-projected
    title_vectors: np.ndarray  # per article (zeros where an article has none)
    terms: DocTerms  # BM25 term counts per chunk

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
        return cls(
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
        )

    @classmethod
    def from_partition(cls, part: Path, dim: int) -> Segment:
        """The partition a previous build wrote (its files already checked against the manifest)."""
        articles = read_table(part / ARTICLES_FILE)
        chunks = read_table(part / CHUNKS_FILE)
        n_articles, n_chunks = articles.num_rows, chunks.num_rows
        chunk_article = int_column(chunks, "article_row").astype(np.int64)
        vectors = FaissVectorIndex.load(part / VECTORS_FILE).reconstruct_all()
        targets = np.load(part / TARGETS_FILE)
        titles = np.zeros((n_articles, dim), dtype=np.float32)
        titles[chunk_article[targets[n_chunks:]]] = vectors[n_chunks:]
        section_counts = int_column(articles, "section_count").astype(np.int64)
        body_lines = int_column(articles, "body_line").astype(np.int64)
        return cls(
            slugs=articles.column("slug").to_pylist(),
            content_hashes=articles.column("content_hash").to_pylist(),
            section_counts=section_counts,
            chunk_counts=np.bincount(chunk_article, minlength=n_articles).astype(np.int64),
            sections=shift_lines(
                read_table(part / SECTIONS_FILE).select(SECTION_COLUMNS),
                -np.repeat(body_lines, section_counts),
            ),
            chunks=chunks.select(CHUNK_COLUMNS),
            chunk_vectors=vectors[:n_chunks],
            title_vectors=titles,
            terms=DocTerms.load(part / BM25_DIR / DocTerms.FILE),
        )

    def __len__(self) -> int:
        return len(self.slugs)

    def take(self, rows: np.ndarray) -> Segment:
        """The articles at `rows`, in that order, with everything that belongs to them."""
        rows = np.asarray(rows, dtype=np.int64)
        section_rows = ranges(_starts(self.section_counts)[rows], self.section_counts[rows])
        chunk_rows = ranges(_starts(self.chunk_counts)[rows], self.chunk_counts[rows])
        return Segment(
            slugs=[self.slugs[r] for r in rows],
            content_hashes=[self.content_hashes[r] for r in rows],
            section_counts=self.section_counts[rows],
            chunk_counts=self.chunk_counts[rows],
            sections=self.sections.take(section_rows),
            chunks=self.chunks.take(chunk_rows),
            chunk_vectors=self.chunk_vectors[chunk_rows],
            title_vectors=self.title_vectors[rows],
            terms=self.terms.take(chunk_rows),
        )

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
            chunk_vectors=np.concatenate([p.chunk_vectors for p in parts]),
            title_vectors=np.concatenate([p.title_vectors for p in parts]),
            terms=DocTerms.concat([p.terms for p in parts]),
        )


# partition name ("public", "all") -> (its articles, their Segment in the same order): what a build
# hands to `IndexStore.publish`
Partitions = dict[str, tuple[list[Article], Segment]]


def shift_lines(sections: pa.Table, shift: np.ndarray) -> pa.Table:
    """`sections` with `shift` (one value per row) added to its line numbers."""
    lines = int_column(sections, "line").astype(np.int64) + shift
    column = sections.schema.get_field_index("line")
    return sections.set_column(column, "line", pa.array(lines.astype(np.int32)))


def _starts(counts: np.ndarray) -> np.ndarray:
    return np.cumsum(counts) - counts


def assemble(
    slugs: list[str], hashes: list[str], previous: Segment | None, fresh: Segment
) -> tuple[Segment, int]:
    """The articles `slugs` in order: each from `previous` when its content hash is unchanged
    there, otherwise from `fresh`. Returns the segment and how many articles were reused."""
    pool = Segment.concat([previous, fresh]) if previous is not None else fresh
    offset = len(previous) if previous is not None else 0
    old = (
        {
            s: (i, h)
            for i, (s, h) in enumerate(zip(previous.slugs, previous.content_hashes, strict=True))
        }
        if previous is not None
        else {}
    )
    new = {s: offset + i for i, s in enumerate(fresh.slugs)}
    rows, reused = [], 0
    for slug, content_hash in zip(slugs, hashes, strict=True):
        found = old.get(slug)
        if found is not None and found[1] == content_hash:
            rows.append(found[0])
            reused += 1
        else:
            rows.append(new[slug])
    return pool.take(np.asarray(rows, dtype=np.int64)), reused
