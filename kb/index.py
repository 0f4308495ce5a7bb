"""Load one role's partition of the live index version, verified against its manifest.

The public role reads only `public/`: internal articles are not filtered per query, they are never in
memory. A version whose files fail their checksums is refused; the loader then falls back to the newest
older version that verifies, and says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import store
from .catalog import ArticleCatalog, SectionView, int_column, read_table
from .errors import CorruptIndexError, EncoderMismatchError, IndexNotFoundError
from .keyword import KeywordIndex
from .options import Role
from .segment import LANGUAGE_FILE, TARGETS_FILE
from .vectors import FILE_NAME as VECTORS_FILE
from .vectors import FaissVectorIndex

log = logging.getLogger(__name__)


@dataclass
class LoadedIndex:
    """One role's partition: columnar chunk metadata in memory, text memory-mapped on disk."""

    directory: Path
    version: str
    role: Role
    manifest: dict
    articles: ArticleCatalog
    chunks: pa.Table  # chunk_id, slug, section_index, position, text, article_row (memory-mapped)
    chunk_article: np.ndarray  # chunk row -> article row
    chunk_section: np.ndarray  # chunk row -> section index inside its article
    keyword: KeywordIndex
    vectors: FaissVectorIndex
    vector_targets: np.ndarray = None  # type: ignore[assignment]  # vector row -> chunk row
    language_direction: np.ndarray | None = None
    fallback_from: str | None = None

    @property
    def encoder_id(self) -> str:
        return self.manifest["encoder"]["id"]

    @property
    def chunk_count(self) -> int:
        return len(self.chunk_article)

    def chunk_texts(self) -> list[str]:
        """Every chunk's text (for inspection and tests; the query path never needs it)."""
        return self.chunks.column("text").to_pylist()

    def slug(self, row: int) -> str:
        return self.articles.slug(int(self.chunk_article[row]))

    def section(self, row: int) -> SectionView:
        return self.articles.section(int(self.chunk_article[row]), int(self.chunk_section[row]))

    def mask(self, category: str | None = None, language: str | None = None) -> np.ndarray | None:
        """Rows allowed by the filters, or None when there are none."""
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


def _partition(role: Role) -> str:
    return "all" if role is Role.AGENT else "public"


def _read_partition(version_dir: Path, role: Role, manifest: dict) -> dict:
    part = version_dir / _partition(role)
    articles = ArticleCatalog(
        read_table(part / "articles.arrow"), read_table(part / "sections.arrow")
    )
    if role is Role.PUBLIC and len(articles):
        visibility = articles.table.column("visibility")
        if not pc.all(pc.equal(visibility, "public")).as_py():
            raise CorruptIndexError(f"{part} contains non-public articles; rebuild the index")
    chunks = read_table(part / "chunks.arrow")
    return {
        "articles": articles,
        "chunks": chunks,
        "chunk_article": int_column(chunks, "article_row"),
        "chunk_section": int_column(chunks, "section_index"),
        "keyword": KeywordIndex.load(part / "bm25", mmap=True),
        "vectors": FaissVectorIndex.load(part / VECTORS_FILE),
        "vector_targets": np.load(part / TARGETS_FILE, mmap_mode="r"),
        "language_direction": (
            np.load(part / LANGUAGE_FILE)
            if manifest.get("vectors", {}).get("language_neutral")
            else None
        ),
    }


def load_version(index_dir: Path, version: str, role: Role, verify: bool = True) -> LoadedIndex:
    version_dir = index_dir / version
    manifest = store.read_manifest(version_dir)
    if verify:
        store.verify_files(version_dir, manifest, prefix=_partition(role) + "/")
    try:
        data = _read_partition(version_dir, role, manifest)
    except (OSError, ValueError, KeyError) as exc:
        raise CorruptIndexError(f"cannot read index version {version} ({exc})") from exc
    return LoadedIndex(directory=index_dir, version=version, role=role, manifest=manifest, **data)


def load_index(
    index_dir: str | Path = "index",
    role: Role | str = Role.PUBLIC,
    expect_encoder: str | None = None,
    verify: bool = True,
) -> LoadedIndex:
    """The live version for `role`; with `expect_encoder`, refuse one built by another encoder.

    Falls back to older versions only when the live one is damaged, never on an encoder mismatch.
    """
    index_dir = Path(index_dir)
    role = Role.parse(role, "role") if isinstance(role, str) else role
    live = store.current_version(index_dir)
    candidates = [live] + [v for v in reversed(store.versions(index_dir)) if v < live]
    first_error: CorruptIndexError | None = None
    for version in candidates:
        try:
            loaded = load_version(index_dir, version, role, verify=verify)
        except CorruptIndexError as exc:
            log.error("index version %s is damaged: %s", version, exc)
            first_error = first_error or exc
            continue
        if expect_encoder is not None and loaded.encoder_id != expect_encoder:
            raise EncoderMismatchError(index_dir, loaded.encoder_id, expect_encoder)
        if version != live:
            log.warning("live version %s is damaged; serving %s instead", live, version)
            loaded.fallback_from = live
        return loaded
    raise first_error or IndexNotFoundError(index_dir)
