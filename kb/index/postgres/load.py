"""Loading one partition of a version stored in PostgreSQL: the article, section and chunk tables
are read once into Arrow (as the file backend memory-maps them); BM25 and vectors stay in the
database and are searched per query (kb/index/postgres/read.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
from psycopg import sql

from ..catalog import ArticleCatalog
from ..load import LoadedIndex
from ..segment import SECTION_COLUMNS
from . import schema as names
from .read import Connections, PgKeywordIndex, PgVectorIndex, table_ref

CONTROL = names.CONTROL


def fetch_table(conn, schema, part, name, text, ints, extra=()) -> pa.Table:
    """Every row of `schema.part_name` ordered by row, as Arrow (strings, int32)."""
    columns = [*text, *ints, *extra]
    statement = sql.SQL("SELECT {} FROM {} ORDER BY row").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), table_ref(schema, part, name)
    )
    rows = conn.execute(statement).fetchall()
    data = list(zip(*rows, strict=True)) if rows else [[] for _ in columns]
    return pa.table(
        {
            c: pa.array(list(v), pa.string() if c in text else pa.int32())
            for c, v in zip(columns, data, strict=True)
        }
    )


def read_catalog(conn, schema: str, part: str) -> ArticleCatalog:
    """The articles and sections of one partition as an ArticleCatalog (read into memory)."""
    articles = fetch_table(
        conn, schema, part, "articles", names.ARTICLE_COLUMNS, names.ARTICLE_INTS
    )
    sections = fetch_table(conn, schema, part, "sections", names.SECTION_TEXT, names.SECTION_INTS)
    return ArticleCatalog(articles, sections.select(SECTION_COLUMNS))


def load_partition(db: Connections, version, role, manifest, part, setting) -> LoadedIndex:
    """The LoadedIndex of one partition: tables read once, BM25 and vectors searched per query."""
    schema = names.version_schema(version)
    conn = db._open()
    try:
        articles = read_catalog(conn, schema, part)
        chunks = fetch_table(conn, schema, part, "chunks", names.CHUNK_TEXT, names.CHUNK_INTS)
        targets = conn.execute(
            sql.SQL("SELECT target FROM {} ORDER BY row").format(table_ref(schema, part, "vectors"))
        ).fetchall()
        stored = conn.execute(
            f"SELECT direction FROM {CONTROL}.versions WHERE version = %s", [version]
        ).fetchone()[0]
    finally:
        conn.close()
    chunks = chunks.select(["chunk_id", "slug", "section_index", "position", "text", "article_row"])
    count, dim = chunks.num_rows, manifest.encoder["dim"]
    direction = None
    if manifest.language_neutral and stored is not None:
        direction = np.frombuffer(stored, dtype=np.float32).copy()
    return LoadedIndex(
        directory=Path(schema),
        version=version,
        role=role,
        manifest=manifest,
        articles=articles,
        chunks=chunks,
        chunk_article=chunks.column("article_row").to_numpy(),
        chunk_section=chunks.column("section_index").to_numpy(),
        keyword=PgKeywordIndex(db, schema, part, count),
        vectors=PgVectorIndex(db, schema, part, len(targets), dim, setting["kind"] == "hnsw"),
        vector_targets=np.array([t for (t,) in targets], dtype=np.int64),
        language_direction=direction,
    )
