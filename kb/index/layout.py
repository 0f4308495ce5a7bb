"""Names of everything in an index folder, in one place.

    index/CURRENT                 name of the live version (replaced by an atomic rename)
    index/HISTORY                 one JSON line per switch of CURRENT: a build's publish or a
                                  rollback (kb/index/history.py; replaced by an atomic rename)
    index/<version>/              one complete build: manifest.json, public/, all/
    index/<version>/<partition>/  articles.arrow, sections.arrow, chunks.arrow,
                                  vector_targets.npy, vector_rows.npy, chunk_docs.npy,
                                  language_direction.npy, segments/<segment>/ (postings and
                                  vectors.faiss of one immutable segment, kb/index/segfiles.py;
                                  hard links to the same files in the version that wrote it)
                                  (versions before segments: bm25/ and vectors.faiss instead)
    index/cache/                  embeddings and BM25 tokens by content hash, shared by all builds
    index/.build.lock             held by the build that is writing
    index/.tmp-<version>/         a build being written (removed by the next build if it died)

The `public` partition holds public articles only; `all` holds every article (the agent role).
"""

from __future__ import annotations

import re

from ..options import Role

FORMAT_VERSION = 2  # 2: Arrow tables with row pointers, IVF above 10k vectors
CURRENT = "CURRENT"
HISTORY = "HISTORY"
# what `versions.new_version_name` makes: v<UTC date>T<time to the microsecond>Z-<4 hex>; any other
# name in CURRENT, HISTORY or the folder is not a version (never a path to follow)
VERSION_NAME = re.compile(r"v[0-9]{8}T[0-9]{12}Z-[0-9a-f]{4}")
MANIFEST = "manifest.json"
LOCK = ".build.lock"
CACHE_DIR = "cache"
TMP_PREFIX = ".tmp-"
PARTITIONS = ("public", "all")

ARTICLES_FILE = "articles.arrow"
SECTIONS_FILE = "sections.arrow"
CHUNKS_FILE = "chunks.arrow"
BM25_DIR = "bm25"
VECTORS_FILE = "vectors.faiss"
TARGETS_FILE = "vector_targets.npy"  # vector row -> chunk row
LANGUAGE_FILE = "language_direction.npy"
SEGMENTS_DIR = "segments"  # one folder per segment, named by the version that wrote it
VECTOR_ROWS_FILE = "vector_rows.npy"  # vector row -> segment vector, numbered across segments
CHUNK_DOCS_FILE = "chunk_docs.npy"  # chunk row -> segment document, numbered across segments


def partition_for(role: Role) -> str:
    """The partition a role reads: `all` for agents (every article), `public` for the public
    (public articles only)."""
    return "all" if role is Role.AGENT else "public"
