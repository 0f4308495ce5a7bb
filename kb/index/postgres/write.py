"""Write one complete index version into its own schema (kb/index/postgres/schema.py), by COPY.

The rows are the file backend's (kb/index/files.py) column for column: the same article, section
and chunk tables, BM25 as per-term impacts of the same Lucene variant (kb/index/keyword.py computes
them; a chunk's score is the sum of its query terms' impacts), and the same vector rows (chunk
vectors, then one title vector per article that has chunks).
"""

from __future__ import annotations

import numpy as np
from psycopg import sql

from ...model import Article
from ..columns import article_columns
from ..keyword import KeywordIndex
from ..segment import Segment, shift_lines
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
    """(term, chunk, impact) for every posting of the partition's BM25 index, as keyword.py
    computes it (float32 impacts)."""
    bm25 = KeywordIndex.from_terms(segment.terms)._bm25
    if bm25 is None:
        return
    scores = bm25.scores
    tokens = np.empty(len(scores["indptr"]) - 1, dtype=object)
    for token, tid in bm25.vocab_dict.items():
        if tid < len(tokens):
            tokens[tid] = token
    _copy(
        cur,
        schema,
        f"{part}_postings",
        ["term", "chunk", "impact", "public"],
        _posting_rows(tokens, scores, chunk_public),
    )
    _write_terms(cur, schema, part, tokens, scores, chunk_public)


def _posting_rows(tokens: np.ndarray, scores: dict, chunk_public: np.ndarray):
    """(term, chunk row, float32 impact as float, public) per posting, in term order, made
    COPY_ROWS postings at a time: as Python lists, every posting of a large help center at once
    would take tens of bytes each (at 1M chunks, gigabytes: issue 16)."""
    indptr = scores["indptr"]
    term_of = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))  # (postings,) term ids
    for start in range(0, len(term_of), COPY_ROWS):
        end = min(start + COPY_ROWS, len(term_of))
        chunk = scores["indices"][start:end].astype(np.int64)
        yield from zip(
            tokens[term_of[start:end]].tolist(),
            chunk.tolist(),
            scores["data"][start:end].astype(np.float32).tolist(),
            chunk_public[chunk].tolist(),
            strict=True,
        )


def _write_terms(cur, schema: str, part: str, tokens, scores: dict, chunk_public) -> None:
    """One row a term of the postings above: df, its chunk rows ('<i4' bytes) and
    impacts ('<f4' bytes), public when all its chunks are (row-level security)."""
    indptr, rows = scores["indptr"], scores["indices"].astype("<i4")
    impacts = scores["data"].astype("<f4")

    def term_rows():
        for tid, token in enumerate(tokens):
            start, end = int(indptr[tid]), int(indptr[tid + 1])
            if token is None or end == start:
                continue
            chunks = rows[start:end]
            yield (
                token,
                end - start,
                chunks.tobytes(),
                impacts[start:end].tobytes(),
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
    it to write, their target chunks), never concatenated (the vectors of a large build are
    memory-mapped: kb/build/fresh.py)."""
    row = 0
    for vectors, rows, targets in parts:
        for start in range(0, len(rows), COPY_ROWS):
            end = min(start + COPY_ROWS, len(rows))
            block = np.ascontiguousarray(vectors[rows[start:end]], dtype=np.float32)
            for offset, target in enumerate(targets[start:end].tolist()):
                yield row, target, block[offset], bool(chunk_public[target])
                row += 1
