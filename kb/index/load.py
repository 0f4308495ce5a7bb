"""Load one role's partition of an index version, verified against its manifest.

The public role reads only `public/`: internal articles are not filtered per query, they are never in
memory. A version whose files fail their checksums is refused; `load_index` then falls back to the
first version of `versions.fallback_order` that verifies (the one live before it, and so on; then
the others, newest first), and says so.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import CorruptIndexError, EncoderMismatchError, IndexNotFoundError
from ..options import Role
from . import versions
from .catalog import ArticleCatalog, int_column, read_table
from .keyword import KeywordIndex
from .layout import (
    ARTICLES_FILE,
    BM25_DIR,
    CHUNKS_FILE,
    LANGUAGE_FILE,
    MANIFEST,
    SECTIONS_FILE,
    TARGETS_FILE,
    VECTORS_FILE,
    partition_for,
)
from .manifest import Manifest, read_manifest, verify_files
from .postings import SegmentedKeywordIndex
from .segfiles import load_segments
from .vectors import FaissVectorIndex, SegmentedVectorIndex

log = logging.getLogger(__name__)


@dataclass
class LoadedIndex:
    """One role's partition of one version: what a `Searcher` reads.

    Chunk rows are 0..chunk_count-1; vector rows are chunk vectors first, then one title vector
    per article (`vector_targets` maps each vector row to its chunk row). `keyword` scores chunk
    rows with BM25, `vectors` searches vector rows by inner product, `articles` reads article and
    section rows from memory-mapped Arrow tables. Read-only once loaded, so one instance serves
    every thread. `fallback_from` names the damaged live version when this one stands in for it."""

    directory: Path
    version: str
    role: Role
    manifest: Manifest
    articles: ArticleCatalog
    chunks: pa.Table  # chunk_id, slug, section_index, position, text, article_row (memory-mapped)
    chunk_article: np.ndarray  # (chunk_count,) int32: chunk row -> article row
    chunk_section: np.ndarray  # (chunk_count,) int32: chunk row -> section index in its article
    keyword: KeywordIndex | SegmentedKeywordIndex
    vectors: FaissVectorIndex | SegmentedVectorIndex
    vector_targets: np.ndarray  # (vector_count,) int64: vector row -> chunk row
    language_direction: np.ndarray | None = None  # (dim,) float32 unit vector, or None
    fallback_from: str | None = None  # the damaged live version this one stands in for

    @property
    def encoder_id(self) -> str:
        """`Encoder.id` of the encoder that built this version."""
        return self.manifest.encoder_id

    @property
    def chunk_count(self) -> int:
        """Number of chunk rows (BM25 documents); a mask has this length."""
        return len(self.chunk_article)

    def chunk_texts(self) -> list[str]:
        """Every chunk's text (for inspection and tests; the query path never needs it)."""
        return self.chunks.column("text").to_pylist()

    def mask(self, category: str | None = None, language: str | None = None) -> np.ndarray | None:
        """(chunk_count,) bool of the chunk rows whose article has exactly this category and
        language (each filter optional), or None when neither is given. All False for a value no
        article has."""
        if not category and not language:
            return None
        mask = np.ones(self.chunk_count, dtype=bool)
        for name, wanted in (("category", category), ("language", language)):
            if wanted:
                values, codes = self.articles.codes(name)
                if wanted not in values:
                    return np.zeros(self.chunk_count, dtype=bool)
                mask &= codes[self.chunk_article] == values.index(wanted)
        return mask


def _read_partition(version_dir: Path, role: Role, manifest: Manifest) -> dict:
    """LoadedIndex's fields from the role's partition folder. Raises CorruptIndexError when the
    public partition holds a non-public article, and whatever the readers raise for an unreadable
    file (OSError, ValueError, KeyError; FAISS raises RuntimeError)."""
    part = version_dir / partition_for(role)
    articles = ArticleCatalog(read_table(part / ARTICLES_FILE), read_table(part / SECTIONS_FILE))
    if role is Role.PUBLIC and len(articles):
        visibility = articles.table.column("visibility")
        if not pc.all(pc.equal(visibility, "public")).as_py():
            raise CorruptIndexError(f"{part} contains non-public articles; rebuild the index")
    chunks = read_table(part / CHUNKS_FILE)
    entries = manifest.segments.get(partition_for(role))
    if entries is None:  # a version written before segments
        keyword = KeywordIndex.load(part / BM25_DIR, mmap=True)
        vectors = FaissVectorIndex.load(part / VECTORS_FILE)
    else:
        keyword, vectors = load_segments(part, entries, chunks.num_rows, manifest.encoder["dim"])
    return {
        "articles": articles,
        "chunks": chunks,
        "chunk_article": int_column(chunks, "article_row"),
        "chunk_section": int_column(chunks, "section_index"),
        "keyword": keyword,
        "vectors": vectors,
        "vector_targets": np.load(part / TARGETS_FILE, mmap_mode="r"),
        "language_direction": (
            np.load(part / LANGUAGE_FILE) if manifest.language_neutral else None
        ),
    }


def _check_synonyms(version_dir: Path, manifest: Manifest) -> None:
    """Raises CorruptIndexError when the manifest's synonyms text is not the one its sha256
    names (the list a version searches with is stored in the manifest, not in a checked file)."""
    entry = manifest.synonyms
    text = entry.get("text", "") if isinstance(entry, dict) else None
    if entry and (
        not isinstance(text, str)
        or hashlib.sha256(text.encode("utf-8")).hexdigest() != entry.get("sha256")
    ):
        raise CorruptIndexError(
            f"{version_dir / MANIFEST}: its synonyms text does not match its sha256: the manifest "
            "was changed; roll back or rebuild"
        )


def load_version(index_dir: Path, version: str, role: Role, checked: bool = False) -> LoadedIndex:
    """One version's partition for `role`, its files checked against the manifest's sha256 first
    (unless `checked`: the caller has just compared them, `verify_version`).
    Raises CorruptIndexError: unreadable manifest, other format, a synonyms text that is not the
    one its sha256 names, checksum mismatch, or a file (or a hand-edited manifest's segment
    entry) the readers fail on with OSError, ValueError, KeyError, IndexError, TypeError or
    RuntimeError (FAISS)."""
    version_dir = index_dir / version
    manifest = read_manifest(version_dir)
    _check_synonyms(version_dir, manifest)
    try:
        if not checked:
            verify_files(version_dir, manifest, prefix=partition_for(role) + "/")
        data = _read_partition(version_dir, role, manifest)
    # FAISS raises RuntimeError; a hand-edited manifest's segment entries IndexError or TypeError
    except (OSError, ValueError, KeyError, RuntimeError, IndexError, TypeError) as exc:
        raise CorruptIndexError(f"cannot read index version {version} ({exc})") from exc
    return LoadedIndex(directory=index_dir, version=version, role=role, manifest=manifest, **data)


def load_index(
    index_dir: str | Path = "index",
    role: Role | str = Role.PUBLIC,
    expect_encoder: str | None = None,
) -> LoadedIndex:
    """The live version for `role`; with `expect_encoder`, refuse one built by another encoder.

    Falls back (`versions.fallback_order`: the versions live before it, most recent first, then the
    others, newest first) only when the live one is damaged, never on an encoder mismatch. Raises
    IndexNotFoundError, EncoderMismatchError, CorruptIndexError (no version verifies),
    ConfigError (unknown role)."""
    index_dir = Path(index_dir)
    role = Role.parse(role, "role") if isinstance(role, str) else role
    candidates = versions.fallback_order(index_dir)
    live = candidates[0]
    damaged: dict[str, CorruptIndexError] = {}  # logged once the outcome is known, not twice
    for version in candidates:
        try:
            loaded = load_version(index_dir, version, role)
        except CorruptIndexError as exc:
            damaged[version] = exc
            continue
        if expect_encoder is not None and loaded.encoder_id != expect_encoder:
            raise EncoderMismatchError(index_dir, loaded.encoder_id, expect_encoder)
        for name, exc in damaged.items():
            log.error("index version %s is damaged: %s", name, exc)
        if version != live:
            log.warning("live version %s is damaged; serving %s instead", live, version)
            loaded.fallback_from = live
        return loaded
    for name, exc in list(damaged.items())[1:]:  # the first is in the error raised below
        log.error("index version %s is damaged: %s", name, exc)
    first_error = next(iter(damaged.values()), None)
    if first_error is None:
        raise IndexNotFoundError(index_dir)
    raise CorruptIndexError(
        f"{first_error}; no version of {index_dir} is intact: rebuild it with "
        f"`python -m kb build --force --index {index_dir}` (a plain build also rebuilds it)"
    ) from first_error
