"""Names and DDL of an index in PostgreSQL + pgvector.

Control tables live in the schema `kb`: `kb.versions` (one row per complete version: manifest as
JSON, the language direction), `kb.live` (one row: the live version), `kb.history` (every switch,
the undo stack rollback walks, kb/index/history.py). Each version is a schema of its own,
`kbv_<version>`, holding per partition p (`public`, `all`): p_articles, p_sections, p_chunks,
p_postings (term, chunk row, BM25 impact), p_terms (one row a term: its document frequency and
its postings as two little-endian arrays, int32 chunk rows and float32 impacts: what a search
reads, kb/index/postgres/read.py) and p_vectors (row, target chunk, embedding). A version
schema is written completely before `kb.live` names it, and is dropped whole when pruned.

Row-level security: every table of a version has it enabled. The role `kb_public` (NOLOGIN; the
public service's login role is made a member of it) sees only rows whose visibility is public, in
both partitions; `kb_reader` (agents) sees every row. The owner (the build's login) bypasses RLS.
"""

from __future__ import annotations

import re

from psycopg import sql

CONTROL = "kb"
PUBLIC_ROLE = "kb_public"
READER_ROLE = "kb_reader"
LOCK_KEY = 0x6B62_6275  # pg_advisory_lock key of the build lock ("kbbu")
PARTS = ("public", "all")
TABLES = ("articles", "sections", "chunks", "postings", "terms", "vectors")
ROW_FLAGGED = ("postings", "terms", "vectors")  # RLS by a boolean `public`, not by `visibility`

ARTICLE_TEXT = ("slug", "title", "category", "language", "visibility", "url", "updated", "tags")
ARTICLE_COLUMNS = (*ARTICLE_TEXT, "source", "content_hash")
ARTICLE_INTS = ("body_line", "section_start", "section_count")
SECTION_TEXT = ("slug", "heading", "anchor", "markdown", "text")
SECTION_INTS = ("index", "level", "line")
CHUNK_TEXT = ("chunk_id", "slug", "text")
CHUNK_INTS = ("section_index", "position", "article_row")


def version_schema(version: str) -> str:
    """The schema name of `version` (`kbv_` + the name in lower case, `-` as `_`). Raises
    ValueError for a name that is not a version name."""
    if not re.fullmatch(r"v\d{8}T\d{12}Z-[0-9a-f]{4}", version):
        raise ValueError(f"{version!r} is not a version name")
    return "kbv_" + version.lower().replace("-", "_")


def control_ddl() -> list[str]:
    """Statements creating the control schema, tables and roles when missing (idempotent)."""
    roles = " ".join(
        f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{r}') THEN CREATE ROLE {r} NOLOGIN;"
        " END IF;"
        for r in (PUBLIC_ROLE, READER_ROLE)
    )
    return [
        "CREATE EXTENSION IF NOT EXISTS vector",
        f"DO $$ BEGIN {roles} END $$",
        f"CREATE SCHEMA IF NOT EXISTS {CONTROL}",
        f"""CREATE TABLE IF NOT EXISTS {CONTROL}.versions (
            version text PRIMARY KEY, created_at text NOT NULL, manifest text NOT NULL,
            direction bytea)""",
        f"""CREATE TABLE IF NOT EXISTS {CONTROL}.live (
            one int PRIMARY KEY CHECK (one = 1), version text NOT NULL
            REFERENCES {CONTROL}.versions (version))""",
        f"""CREATE TABLE IF NOT EXISTS {CONTROL}.history (
            seq bigserial PRIMARY KEY, at text NOT NULL, action text NOT NULL,
            old text, new text NOT NULL)""",
        f"GRANT USAGE ON SCHEMA {CONTROL} TO {PUBLIC_ROLE}, {READER_ROLE}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {CONTROL} TO {PUBLIC_ROLE}, {READER_ROLE}",
    ]


def _columns(text: tuple[str, ...], ints: tuple[str, ...]) -> str:
    return ", ".join([f'"{c}" text' for c in text] + [f'"{c}" int' for c in ints])


def version_ddl(schema: str, dim: int) -> list[sql.Composed]:
    """Statements creating the tables of one version schema (no indexes: those follow the COPY)."""
    s = sql.Identifier(schema)
    out = [sql.SQL("CREATE SCHEMA {}").format(s)]
    for p in PARTS:
        bodies = {
            "articles": "row int PRIMARY KEY, " + _columns(ARTICLE_COLUMNS, ARTICLE_INTS),
            "sections": "row int PRIMARY KEY, visibility text, "
            + _columns(SECTION_TEXT, SECTION_INTS),
            "chunks": "row int PRIMARY KEY, visibility text, " + _columns(CHUNK_TEXT, CHUNK_INTS),
            "postings": "term text NOT NULL, chunk int NOT NULL, impact real NOT NULL, "
            "public boolean NOT NULL",
            # a term's row is public when every chunk it lists is; arrays stored uncompressed
            # (EXTERNAL) so a search reads them without decompressing
            "terms": "term text PRIMARY KEY, df int NOT NULL, chunks bytea STORAGE EXTERNAL "
            "NOT NULL, impacts bytea STORAGE EXTERNAL NOT NULL, public boolean NOT NULL",
            "vectors": f"row int PRIMARY KEY, target int NOT NULL, embedding vector({dim}) "
            "NOT NULL, public boolean NOT NULL",
        }
        for name, body in bodies.items():
            out.append(
                sql.SQL("CREATE TABLE {}.{} (" + body + ")").format(
                    s, sql.Identifier(f"{p}_{name}")
                )
            )
    return out


def security_ddl(schema: str) -> list[sql.Composed]:
    """Row-level security and grants on every table of a version schema: kb_public sees public
    rows only (text tables by `visibility`, postings, terms and vectors by `public`), kb_reader
    all."""
    s = sql.Identifier(schema)
    out = [
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}, {}").format(
            s, sql.Identifier(PUBLIC_ROLE), sql.Identifier(READER_ROLE)
        )
    ]
    for p in PARTS:
        for name in TABLES:
            table = sql.SQL("{}.{}").format(s, sql.Identifier(f"{p}_{name}"))
            rule = "public" if name in ROW_FLAGGED else "visibility = 'public'"
            out += [
                sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(table),
                sql.SQL(
                    "CREATE POLICY public_rows ON {} FOR SELECT TO {} USING (" + rule + ")"
                ).format(table, sql.Identifier(PUBLIC_ROLE)),
                sql.SQL("CREATE POLICY reader_rows ON {} FOR SELECT TO {} USING (true)").format(
                    table, sql.Identifier(READER_ROLE)
                ),
                sql.SQL("GRANT SELECT ON {} TO {}, {}").format(
                    table, sql.Identifier(PUBLIC_ROLE), sql.Identifier(READER_ROLE)
                ),
            ]
    return out


def index_ddl(schema: str, hnsw_by_part: dict[str, dict | None]) -> list[sql.Composed]:
    """Indexes built after the COPY: postings by term; an HNSW index (inner product) on the vectors
    of a partition when `hnsw_by_part` gives its settings ({"m", "ef_construction"}), none for
    None (a small partition is scanned exactly, as the file backend does up to 10,000 vectors)."""
    s = sql.Identifier(schema)
    out = []
    for p, hnsw in hnsw_by_part.items():
        out.append(
            sql.SQL("CREATE INDEX ON {}.{} (term)").format(s, sql.Identifier(f"{p}_postings"))
        )
        if hnsw:
            out.append(
                sql.SQL(
                    "CREATE INDEX ON {}.{} USING hnsw (embedding vector_ip_ops) "
                    "WITH (m = {}, ef_construction = {})"
                ).format(
                    s,
                    sql.Identifier(f"{p}_vectors"),
                    sql.Literal(hnsw["m"]),
                    sql.Literal(hnsw["ef_construction"]),
                )
            )
    return out
