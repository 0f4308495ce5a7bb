"""Write one complete index version into its own schema (kb/index/postgres/schema.py), by COPY.

The rows are the file backend's (kb/index/files.py) column for column: the same article, section
and chunk tables, BM25 as per-term impacts of the same Lucene variant (kb/index/keyword.py's
formula, computed here a slice at a time; a chunk's score is the sum of its query terms'
impacts), and the same vector rows (chunk vectors, then one title vector per article that has
chunks).
"""

from __future__ import annotations

import numpy as np
from psycopg import sql

from ...model import Article
from .. import bm25
from ..columns import article_columns
from ..postings import Postings
from ..segment import Segment, release_pages, shift_lines
from ..vectors import APPROXIMATE_ABOVE
from . import schema as names

# HNSW settings for a partition of more than APPROXIMATE_ABOVE vectors: pgvector's defaults for the
# graph, ef_search raised from 40 to 100 for recall@10 >= 0.95 (docs/SCALING.md); recorded in the
# manifest (build["vector_index"]) and set on every search connection.
HNSW = {"m": 16, "ef_construction": 64, "ef_search": 100}


def vector_index_setting(count: int) -> dict:
    """The vector index a partition of `count` vectors gets: exact below the file backend's
    threshold (kb/index/vectors.py), else HNSW with `HNSW`."""
    if count <= APPROXIMATE_ABOVE:
        return {"kind": "exact"}
    return {"kind": "hnsw", **HNSW, "vectors": int(count)}


# Bytes an HNSW element takes while pgvector builds the graph in memory: the vector (4 bytes a
# dimension + 8) plus its neighbour lists (2m at level 0, ~m above, ~10 bytes each in memory),
# rounded up. pgvector builds "significantly faster when the graph fits into
# maintenance_work_mem" (its README); past that it writes the graph out page by page.
BUILD_MEMORY_CAP = 4 << 30  # bytes: a build never asks the server for more than this
# rows turned into Python values at a time for COPY (issue 16: a whole 1M-chunk table or posting
# list as Python objects takes gigabytes); 64k rows of postings are a few MB
COPY_ROWS = 65_536


def build_memory(settings: dict[str, dict], dim: int) -> sql.Composed | None:
    """`SET LOCAL maintenance_work_mem` large enough for the largest HNSW graph of `settings`
    (part -> vector_index_setting), between the server's 64 MB default and BUILD_MEMORY_CAP;
    None when no partition gets HNSW (nothing to size)."""
    sizes = [
        s["vectors"] * (4 * dim + 8 + 3 * s["m"] * 10)
        for s in settings.values()
        if s.get("kind") == "hnsw"
    ]
    if not sizes:
        return None
    kilobytes = min(max(max(sizes) * 5 // 4, 64 << 20), BUILD_MEMORY_CAP) // 1024
    return sql.SQL("SET LOCAL maintenance_work_mem = {}").format(sql.Literal(f"{kilobytes}kB"))


def _copy(cur, schema: str, table: str, columns: list[str], rows, types=None) -> None:
    statement = sql.SQL("COPY {}.{} ({}) FROM STDIN{}").format(
        sql.Identifier(schema),
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(" WITH (FORMAT BINARY)" if types else ""),
    )
    with cur.copy(statement) as copy:
        if types:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def write_partition(
    cur, schema: str, part: str, articles: list[Article], segment: Segment, title_vectors: bool
) -> tuple[dict[str, int], dict]:
    """Every table of partition `part` from `segment` (holding `articles` in order). Returns (counts
    of articles, sections, chunks; the vector index setting for `index_ddl`)."""
    visibility = [a.visibility.value for a in articles]
    columns = article_columns(articles, segment)
    names_ = list(names.ARTICLE_COLUMNS) + list(names.ARTICLE_INTS)
    table = [columns[c] for c in names_]
    _copy(
        cur,
        schema,
        f"{part}_articles",
        ["row", *names_],
        zip(range(len(articles)), *table, strict=True),
    )
    body_lines = np.array([a.body_line for a in articles], dtype=np.int64)
    sections = shift_lines(segment.sections, np.repeat(body_lines, segment.section_counts))
    section_vis = np.repeat(np.array(visibility, dtype=object), segment.section_counts)
    sec_cols = list(names.SECTION_TEXT) + list(names.SECTION_INTS)
    _copy(
        cur,
        schema,
        f"{part}_sections",
        ["row", "visibility", *sec_cols],
        _table_rows(sections, sec_cols, section_vis),
    )
    article_row = np.repeat(np.arange(len(articles)), segment.chunk_counts)
    chunk_vis = np.repeat(np.array(visibility, dtype=object), segment.chunk_counts)
    chunk_cols = ["chunk_id", "slug", "text", "section_index", "position"]
    _copy(
        cur,
        schema,
        f"{part}_chunks",
        ["row", "visibility", *chunk_cols, "article_row"],
        _table_rows(segment.chunks, chunk_cols, chunk_vis, article_row),
    )
    chunk_public = chunk_vis == "public"
    _write_postings(cur, schema, part, segment, chunk_public)
    setting = _write_vectors(cur, schema, part, segment, title_vectors, chunk_public)
    counts = {
        "articles": len(articles),
        "sections": segment.sections.num_rows,
        "chunks": segment.chunks.num_rows,
    }
    return counts, setting


def _table_rows(table, columns: list[str], visibility: np.ndarray, *after: np.ndarray):
    """(row number, visibility, `columns` of the Arrow `table`..., `after` arrays...) per row,
    made COPY_ROWS rows at a time."""
    for start in range(0, table.num_rows, COPY_ROWS):
        piece = table.slice(start, COPY_ROWS)
        end = start + piece.num_rows
        yield from zip(
            range(start, end),
            visibility[start:end].tolist(),
            *(piece.column(c).to_pylist() for c in columns),
            *(a[start:end].tolist() for a in after),
            strict=True,
        )


def _write_postings(cur, schema: str, part: str, segment: Segment, chunk_public) -> None:
    """(term, chunk, impact) for every posting of the partition's BM25 index, and one row a term
    (`_write_terms`): impacts of the Lucene variant keyword.py computes (`Impacts`), made
    COPY_ROWS postings at a time from the term-major `Postings` of the partition."""
    impacts = Impacts(Postings.from_terms(segment.terms))
    if not impacts.postings.lengths.size:
        return
    _copy(
        cur,
        schema,
        f"{part}_postings",
        ["term", "chunk", "impact", "public"],
        _posting_rows(impacts, chunk_public),
    )
    _write_terms(cur, schema, part, impacts, chunk_public)


class Impacts:
    """BM25 impacts of a partition's postings (chunk rows = the postings' documents), computed a
    slice at a time: idf * tf / (tf + k1 * (1 - b + b * len / avglen)) in float64, rounded to
    float32, the values `KeywordIndex.from_terms` stores (tests/postgres/test_backend.py compares
    the scores). Whole-partition arrays of impacts (float64 temporaries of every posting) were
    part of the PostgreSQL build's peak (docs/BENCHMARKS.md "A search's index calls and the
    PostgreSQL build's memory")."""

    def __init__(self, postings: Postings):
        self.postings = postings
        n_docs = len(postings.lengths)
        df = np.diff(postings.indptr)
        self.idf = bm25.idf(n_docs, df)
        lengths = postings.lengths.astype(np.float64)
        self.norm = bm25.length_norm(lengths, lengths.mean()) if n_docs else lengths

    def terms(self, start: int, end: int) -> np.ndarray:
        """(end - start,) int64 term id of postings start..end-1."""
        return np.searchsorted(self.postings.indptr, np.arange(start, end), side="right") - 1

    def slice(self, start: int, end: int, term: np.ndarray | int) -> np.ndarray:
        """(end - start,) float32 impacts of postings start..end-1, whose term ids are `term`."""
        docs, tf = self.postings.docs[start:end], self.postings.tf[start:end].astype(np.float64)
        return bm25.impact(self.idf[term], tf, self.norm[docs]).astype(np.float32)


def _posting_rows(impacts: Impacts, chunk_public: np.ndarray):
    """(term, chunk row, float32 impact as float, public) per posting, in term order, made
    COPY_ROWS postings at a time: as Python lists, every posting of a large help center at once
    would take tens of bytes each (at 1M chunks, gigabytes: issue 16)."""
    postings = impacts.postings
    vocab = np.asarray(postings.vocab, dtype=object)
    for start in range(0, len(postings.docs), COPY_ROWS):
        end = min(start + COPY_ROWS, len(postings.docs))
        term = impacts.terms(start, end)
        chunk = postings.docs[start:end].astype(np.int64)
        yield from zip(
            vocab[term].tolist(),
            chunk.tolist(),
            impacts.slice(start, end, term).tolist(),
            chunk_public[chunk].tolist(),
            strict=True,
        )


def _write_terms(cur, schema: str, part: str, impacts: Impacts, chunk_public) -> None:
    """One row a term of the postings above: df, its chunk rows ('<i4' bytes, ascending) and
    impacts ('<f4' bytes), public when all its chunks are (row-level security)."""
    postings = impacts.postings
    indptr, rows = postings.indptr, postings.docs.astype("<i4", copy=False)

    def term_rows():
        for tid, token in enumerate(postings.vocab):
            start, end = int(indptr[tid]), int(indptr[tid + 1])
            if end == start:
                continue
            chunks = rows[start:end]
            yield (
                token,
                end - start,
                chunks.tobytes(),
                impacts.slice(start, end, tid).astype("<f4", copy=False).tobytes(),
                bool(chunk_public[chunks].all()),
            )

    _copy(
        cur,
        schema,
        f"{part}_terms",
        ["term", "df", "chunks", "impacts", "public"],
        term_rows(),
        types=["text", "int4", "bytea", "bytea", "bool"],
    )


def _write_vectors(cur, schema, part, segment, title_vectors: bool, chunk_public) -> dict:
    """Vector rows (chunk vectors, then title vectors pointing at their article's first chunk) by
    binary COPY, so float32 values arrive exactly; returns the index setting."""
    chunk_starts = np.cumsum(segment.chunk_counts) - segment.chunk_counts
    chunks = np.arange(len(segment.chunk_vectors))
    parts = [(segment.chunk_vectors, chunks, chunks)]
    if title_vectors:
        titled = np.flatnonzero(segment.chunk_counts > 0)
        parts.append((segment.title_vectors, titled, chunk_starts[titled]))
    _copy(
        cur,
        schema,
        f"{part}_vectors",
        ["row", "target", "embedding", "public"],
        _vector_rows(parts, chunk_public),
        types=["int4", "int4", "vector", "bool"],
    )
    return vector_index_setting(sum(len(rows) for _, rows, _ in parts))


def _vector_rows(parts: list[tuple], chunk_public: np.ndarray):
    """(row, target chunk, (dim,) float32 vector, public) for the chunk vectors, then the title
    vectors (rows numbered on), read COPY_ROWS at a time from each part: (vectors, the rows of
    it to write, their target chunks), never concatenated, and never all resident (the
    vectors of a large build are memory-mapped, kb/build/fresh.py: `release_pages`)."""
    row = 0
    for vectors, rows, targets in parts:
        for start in range(0, len(rows), COPY_ROWS):
            end = min(start + COPY_ROWS, len(rows))
            block = np.ascontiguousarray(vectors[rows[start:end]], dtype=np.float32)
            release_pages(vectors)  # the block is a copy: the map's pages can go
            for offset, target in enumerate(targets[start:end].tolist()):
                yield row, target, block[offset], bool(chunk_public[target])
                row += 1
