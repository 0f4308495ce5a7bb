"""Immutable segments shared between versions: how a partition's postings and vectors are stored.

A partition of a version holds its tables (articles, sections, chunks) and a list of segments,
each a folder `segments/<name>/` with the BM25 postings (kb/index/postings.py) and the FAISS
index of some chunks and titles. A build writes one new segment with the new and changed
articles only, and hard-links the previous version's segment files into the new version (as
Lucene shares segment files between commits): nothing is copied, re-verified or re-indexed, and
each version folder stays complete on its own, so deleting an old version never breaks a newer
one (the files live on while any version links them). The manifest records each segment's name
and its document and vector counts, and the checksums of the shared files are copied from the
previous manifest instead of being recomputed.

Rows of the old segments whose article changed or was removed stay in the files but no row of
the new version maps to them (`chunk_docs.npy`, `vector_rows.npy`), so search never sees them and
BM25's statistics leave them out. Merges (`merge_from`; vectors read back from FAISS, term counts
from the postings; nothing is re-encoded) are tiered, as Lucene's TieredMergePolicy merges
segments of similar size: when a partition would hold MAX_SEGMENTS, the trailing run of small
segments (each under MERGE_TIER_SHARE of the stored rows) goes into the new segment with the
fresh rows, and the large ones stay linked; only when deleted rows exceed MERGE_DEAD_SHARE, or
the small run cannot bring the count down, does every row go into one new segment. Merging all
of a 100,000-article partition costs about 30 s against 5 s for an ordinary rebuild
(docs/BENCHMARKS.md "Incremental rebuild"), so the frequent merges of small edits stay small.
"""

from __future__ import annotations

import itertools
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..faults import fault_point
from ..model import Article
from .catalog import int_column, read_table, write_table
from .columns import partition_articles
from .keyword import DocTerms
from .layout import (
    ARTICLES_FILE,
    CHUNK_DOCS_FILE,
    CHUNKS_FILE,
    LANGUAGE_FILE,
    SECTIONS_FILE,
    SEGMENTS_DIR,
    TARGETS_FILE,
    VECTOR_ROWS_FILE,
    VECTORS_FILE,
)
from .postings import Postings, SegmentedKeywordIndex
from .segment import CHUNK_COLUMNS, NO_SOURCE, SECTION_COLUMNS, Segment, shift_lines
from .vectors import FaissVectorIndex, SegmentedVectorIndex

MERGE_DEAD_SHARE = 0.2  # deleted rows above this share of the old segments' rows: merge
MAX_SEGMENTS = 8  # more segments than this per partition: merge (search visits each one)
MERGE_TIER_SHARE = 0.1  # a stored segment under this share of the stored rows is "small"


def merge_from(entries: list[dict], dead: int) -> int:
    """Which stored segments the next one absorbs: the index of the first of `entries` (a
    partition's segment entries, oldest first, each with "docs") to merge, len(entries) when none
    is, 0 for a full merge. `dead`: stored rows no row of the new version maps to.

    Full merge when `dead` exceeds MERGE_DEAD_SHARE of the stored rows. With MAX_SEGMENTS or more
    stored, the trailing run of small segments (each under MERGE_TIER_SHARE of the stored rows)
    is merged, or everything when merging that run would still leave MAX_SEGMENTS or more."""
    total = sum(e["docs"] for e in entries)
    if entries and dead > MERGE_DEAD_SHARE * total:
        return 0
    if len(entries) < MAX_SEGMENTS:
        return len(entries)
    cut = len(entries)
    while cut > 0 and entries[cut - 1]["docs"] < MERGE_TIER_SHARE * total:
        cut -= 1
    return cut if cut + 1 < MAX_SEGMENTS else 0


def read_base(part: Path, version: str) -> Segment:
    """A stored partition as a Segment without vectors or term counts: tables, and where each
    chunk's term counts and vectors and each article's title vector are stored (`doc_src`,
    `vec_src`, `title_src` numbered across the version's segments; `base` = `version`).
    Raises OSError or ValueError for an unreadable file."""
    articles = read_table(part / ARTICLES_FILE)
    chunks = read_table(part / CHUNKS_FILE)
    n_articles, n_chunks = articles.num_rows, chunks.num_rows
    chunk_article = int_column(chunks, "article_row").astype(np.int64)
    targets = np.load(part / TARGETS_FILE)
    vector_rows = np.load(part / VECTOR_ROWS_FILE)
    title_src = np.full(n_articles, NO_SOURCE, dtype=np.int64)
    title_src[chunk_article[targets[n_chunks:]]] = vector_rows[n_chunks:]
    section_counts = int_column(articles, "section_count").astype(np.int64)
    body_lines = int_column(articles, "body_line").astype(np.int64)
    return Segment(
        slugs=articles.column("slug").to_pylist(),
        content_hashes=articles.column("content_hash").to_pylist(),
        section_counts=section_counts,
        chunk_counts=np.bincount(chunk_article, minlength=n_articles).astype(np.int64),
        sections=shift_lines(
            read_table(part / SECTIONS_FILE).select(SECTION_COLUMNS),
            -np.repeat(body_lines, section_counts),
        ),
        chunks=chunks.select(CHUNK_COLUMNS),
        chunk_vectors=None,
        title_vectors=None,
        terms=None,
        doc_src=np.load(part / CHUNK_DOCS_FILE).astype(np.int64),
        vec_src=vector_rows[:n_chunks].astype(np.int64),
        title_src=title_src,
        base=version,
    )


def _offsets(entries: list[dict], key: str) -> np.ndarray:
    return np.concatenate([[0], np.cumsum([e[key] for e in entries])]).astype(np.int64)


def _gather(src: np.ndarray, fresh, stored, offsets: np.ndarray) -> list:
    """The items `src` names, in its order: pieces from `fresh(rows)` for src < 0 (row -1 - src)
    and from `stored(segment, local rows)` for each stored segment; returns (pieces, order) where
    taking `order` of the concatenated pieces restores src's order."""
    pieces, positions = [], []
    new = np.flatnonzero(src < 0)
    if new.size:
        pieces.append(fresh(-1 - src[new]))
        positions.append(new)
    which = np.searchsorted(offsets, src, side="right") - 1
    for s in np.unique(which[src >= 0]):
        rows = np.flatnonzero((which == s) & (src >= 0))
        pieces.append(stored(int(s), src[rows] - offsets[s]))
        positions.append(rows)
    order = np.argsort(np.concatenate(positions or [np.zeros(0, np.int64)]), kind="stable")
    return pieces, order


def _new_segment_data(segment, chunk_rows, title_rows, base_part, entries):
    """(DocTerms of `chunk_rows`, their chunk vectors, title vectors of articles `title_rows`),
    from this build's fresh segment or read back from the stored segments (a merge)."""
    fresh = segment.fresh
    folder = (base_part / SEGMENTS_DIR) if base_part is not None else None
    docs, vecs = _offsets(entries, "docs"), _offsets(entries, "vectors")
    cache: dict = {}

    def faiss(s: int) -> FaissVectorIndex:
        if s not in cache:
            cache[s] = FaissVectorIndex.load(folder / entries[s]["name"] / VECTORS_FILE)
        return cache[s]

    pieces, order = _gather(
        segment.doc_src[chunk_rows],
        lambda r: fresh.terms if _all(r, fresh.terms.indptr) else fresh.terms.take(r),
        lambda s, r: Postings.load(folder / entries[s]["name"]).doc_terms(r),
        docs,
    )
    terms = _ordered(pieces, order, DocTerms.concat, DocTerms.take)
    if terms is None:
        terms = DocTerms.from_flat(np.zeros(0, object), np.zeros(0, np.int64))
    vectors = []
    for src, own in (
        (segment.vec_src[chunk_rows], "chunk_vectors"),
        (segment.title_src[title_rows], "title_vectors"),
    ):
        pieces, order = _gather(
            src,
            lambda r, own=own: _rows(getattr(fresh, own), r),
            lambda s, r: faiss(s).reconstruct(r),
            vecs,
        )
        vectors.append(_ordered(pieces, order, np.concatenate, lambda a, o: a[o]))
    return terms, vectors[0], vectors[1]


def _all(rows: np.ndarray, indptr: np.ndarray) -> bool:
    """Whether `rows` is every document of term counts with this `indptr`, in order."""
    return len(rows) == len(indptr) - 1 and bool(np.array_equal(rows, np.arange(len(rows))))


def _rows(array: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """`array[rows]`, or `array` itself (no copy) when `rows` is every row in order."""
    return array if _all(rows, np.zeros(len(array) + 1)) else array[rows]


def _ordered(pieces: list, order: np.ndarray, join, take):
    """The pieces joined and put in `order`; one piece already in order is returned as it is
    (a full build's vectors are not copied twice); None without pieces."""
    if not pieces:
        return None
    if len(pieces) == 1 and np.array_equal(order, np.arange(len(order))):
        return pieces[0]
    return take(join(pieces), order)


def link_segment(source: Path, target: Path, files: list[str]) -> None:
    """Hard-link `files` (paths relative to the folder `source`) into `target` (created, with
    any subfolders they need); copies instead where the file system cannot link. Raises OSError
    (a file is missing)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source / name, target / name)
        except OSError:
            if not (source / name).is_file():
                raise
            shutil.copyfile(source / name, target / name)


def write_segments(target: Path, segment: Segment, titled: np.ndarray, base, name: str, dim: int):
    """The segments, `chunk_docs.npy` and `vector_rows.npy` of one partition under `target`.

    `segment` holds the partition's rows; `titled` (int64) the article rows with a title vector,
    in order; `base` is (partition folder, segment entries, manifest files) of the version its
    stored rows come from, or None; `name` names a new segment. Returns (the partition's segment
    entries [{"name", "docs", "vectors"}], {path relative to `target`: sha256} of the linked
    files, seconds spent on "bm25" and "faiss"). Raises OSError."""
    base_part, entries, base_files = base if base is not None else (None, [], {})
    dead = sum(e["docs"] for e in entries) - int((segment.doc_src >= 0).sum())
    title_src = segment.title_src[titled]
    kept, new_chunks, new_titles = _new_rows(segment, title_src, entries, merge_from(entries, dead))
    terms, chunk_vectors, title_vectors = _new_segment_data(
        segment, new_chunks, titled[new_titles], base_part, entries
    )
    out, linked, seconds = list(kept), {}, {"bm25": 0.0, "faiss": 0.0}
    if len(new_chunks) or len(new_titles):
        folder = target / SEGMENTS_DIR / name
        started = time.perf_counter()
        Postings.from_terms(terms).save(folder)
        seconds["bm25"] = time.perf_counter() - started
        parts = [v for v in (chunk_vectors, title_vectors) if v is not None]  # never concatenated
        index = FaissVectorIndex.build_parts(parts or [np.zeros((0, dim), np.float32)], dim)
        index.save(folder / VECTORS_FILE)
        seconds["faiss"] = time.perf_counter() - started - seconds["bm25"]
        out.append({"name": name, "docs": len(new_chunks), "vectors": index.count})
    for entry in kept:
        prefix = f"{SEGMENTS_DIR}/{entry['name']}/"
        files = {k[len(prefix) :]: v for k, v in base_files.items() if k.startswith(prefix)}
        link_segment(base_part / SEGMENTS_DIR / entry["name"], target / prefix, sorted(files))
        linked.update({prefix + k: v for k, v in files.items()})
    docs_at, vecs_at = sum(e["docs"] for e in kept), sum(e["vectors"] for e in kept)
    chunk_docs = segment.doc_src.copy()
    chunk_docs[new_chunks] = docs_at + np.arange(len(new_chunks))
    chunk_vecs = segment.vec_src.copy()
    chunk_vecs[new_chunks] = vecs_at + np.arange(len(new_chunks))
    title_vecs = title_src.copy()
    title_vecs[new_titles] = vecs_at + len(new_chunks) + np.arange(len(new_titles))
    np.save(target / CHUNK_DOCS_FILE, chunk_docs.astype(np.int64))
    np.save(target / VECTOR_ROWS_FILE, np.concatenate([chunk_vecs, title_vecs]).astype(np.int64))
    return out, linked, seconds


def _new_rows(segment: Segment, title_src: np.ndarray, entries: list[dict], cut: int):
    """(kept entries, chunk rows and title rows for the new segment) when the stored segments
    from `cut` on are merged: the fresh rows and those stored there. Falls back to a full merge
    when a chunk's term counts and vector would come apart (never written so; a safeguard)."""
    docs_cut = sum(e["docs"] for e in entries[:cut])
    vecs_cut = sum(e["vectors"] for e in entries[:cut])
    by_docs = (segment.doc_src < 0) | (segment.doc_src >= docs_cut)
    if cut and not np.array_equal(by_docs, (segment.vec_src < 0) | (segment.vec_src >= vecs_cut)):
        return _new_rows(segment, title_src, entries, 0)
    new_titles = np.flatnonzero((title_src < 0) | (title_src >= vecs_cut))
    return entries[:cut], np.flatnonzero(by_docs), new_titles


def load_segments(part: Path, entries: list[dict], chunk_count: int, dim: int):
    """(SegmentedKeywordIndex, SegmentedVectorIndex) of a stored partition whose segments are
    `entries`; arrays memory-mapped. Raises OSError, ValueError, RuntimeError (FAISS)."""
    folders = [part / SEGMENTS_DIR / e["name"] for e in entries]
    postings = [Postings.load(f) for f in folders]
    offsets = _offsets(entries, "docs")
    doc_rows = np.full(int(offsets[-1]), -1, dtype=np.int64)
    doc_rows[np.load(part / CHUNK_DOCS_FILE)] = np.arange(chunk_count)
    rows = [doc_rows[a:b] for a, b in itertools.pairwise(offsets)]
    keyword = SegmentedKeywordIndex(postings, rows, chunk_count)
    indexes = [FaissVectorIndex.load(f / VECTORS_FILE) for f in folders]
    vectors = SegmentedVectorIndex(indexes, np.load(part / VECTOR_ROWS_FILE, mmap_mode="r"), dim)
    return keyword, vectors


def write_partition(
    target: Path, articles: list[Article], segment: Segment, settings, base, version: str
) -> tuple[dict[str, int], list[dict], dict[str, str]]:
    """Tables, mapping arrays and segments of one partition (`segfiles.write_segments`);
    `segment` holds `articles` in the same order; `settings` is (direction or None, manifest,
    the metadata columns shared by the partitions: `partition_articles`).

    Returns (counts of articles, sections and chunks; segment entries; (checksums of the linked
    segment files, checksums of the tables hashed as written), each by path relative to
    `target`; seconds spent on "bm25" and "faiss")."""
    direction, manifest, columns = settings
    tables = (articles, segment, columns)
    target.mkdir(parents=True)
    if direction is not None:
        np.save(target / LANGUAGE_FILE, direction)
    chunk_starts = np.cumsum(segment.chunk_counts) - segment.chunk_counts
    previous = None if base is None else base[0] / ARTICLES_FILE  # unchanged rows from there
    hashed = {
        ARTICLES_FILE: write_table(target / ARTICLES_FILE, partition_articles(*tables, previous))
    }
    body_lines = np.array([a.body_line for a in articles], dtype=np.int64)
    hashed[SECTIONS_FILE] = write_table(
        target / SECTIONS_FILE,
        shift_lines(segment.sections, np.repeat(body_lines, segment.section_counts)),
    )
    article_row = np.repeat(np.arange(len(articles), dtype=np.int32), segment.chunk_counts)
    hashed[CHUNKS_FILE] = write_table(
        target / CHUNKS_FILE, segment.chunks.append_column("article_row", pa.array(article_row))
    )
    fault_point("during-write")
    # vector rows: one per chunk, then one title vector per article pointing at its first chunk
    titled = np.flatnonzero(segment.chunk_counts > 0) if manifest.title_vectors else np.zeros(0)
    titled = titled.astype(np.int64)
    dim = manifest.encoder["dim"]
    entries, linked, seconds = write_segments(target, segment, titled, base, version, dim)
    targets = np.concatenate([np.arange(len(segment.doc_src)), chunk_starts[titled]])
    np.save(target / TARGETS_FILE, targets.astype(np.int64))
    counts = {
        "articles": len(articles),
        "sections": segment.sections.num_rows,
        "chunks": segment.chunks.num_rows,
    }
    return counts, entries, (linked, hashed), seconds
