"""Load one role's partition of the live index version, verified against its manifest.

The public role reads only `public/`: internal articles are not filtered per query, they are never in
memory. A version whose files fail their checksums is refused; the loader then falls back to the newest
older version that verifies, and says so.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import store
from .build import LANGUAGE_FILE, TARGETS_FILE
from .errors import CorruptIndexError, EncoderMismatchError, IndexNotFoundError
from .keyword import KeywordIndex
from .options import Role
from .vectors import FILE_NAME as VECTORS_FILE
from .vectors import FaissVectorIndex

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SectionView:
    heading: str
    anchor: str
    level: int
    markdown: str
    text: str


@dataclass(frozen=True)
class ArticleView:
    """An article as the app shows it: metadata and its sections in order."""

    slug: str
    title: str
    category: str
    language: str
    visibility: str
    url: str
    updated: str
    tags: tuple[str, ...]
    source: str
    sections: tuple[SectionView, ...] = ()

    def link(self, anchor: str = "") -> str:
        base = self.url or f"?article={self.slug}"
        return f"{base}#{anchor}" if anchor else base


@dataclass
class LoadedIndex:
    directory: Path
    version: str
    role: Role
    manifest: dict
    articles: dict[str, ArticleView]
    chunk_slug: list[str]
    chunk_section: np.ndarray
    chunk_text: list[str]
    keyword: KeywordIndex
    vectors: FaissVectorIndex
    vector_targets: np.ndarray = None  # type: ignore[assignment]  # vector row -> chunk row
    language_direction: np.ndarray | None = None
    fallback_from: str | None = None
    _category: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    _language: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self._category = np.array(
            [self.articles[s].category for s in self.chunk_slug], dtype=object
        )
        self._language = np.array(
            [self.articles[s].language for s in self.chunk_slug], dtype=object
        )

    @property
    def encoder_id(self) -> str:
        return self.manifest["encoder"]["id"]

    @property
    def chunk_count(self) -> int:
        return len(self.chunk_slug)

    def section(self, row: int) -> SectionView:
        return self.articles[self.chunk_slug[row]].sections[int(self.chunk_section[row])]

    def mask(self, category: str | None = None, language: str | None = None) -> np.ndarray | None:
        """Rows allowed by the filters, or None when there are none."""
        if not category and not language:
            return None
        mask = np.ones(self.chunk_count, dtype=bool)
        if category:
            mask &= self._category == category
        if language:
            mask &= self._language == language
        return mask


def _partition(role: Role) -> str:
    return "all" if role is Role.AGENT else "public"


def _read_partition(version_dir: Path, role: Role, manifest: dict) -> dict:
    part = version_dir / _partition(role)
    articles_df = pd.read_parquet(part / "articles.parquet")
    sections_df = pd.read_parquet(part / "sections.parquet")
    chunks_df = pd.read_parquet(part / "chunks.parquet")
    sections: dict[str, list[SectionView]] = {}
    for row in sections_df.itertuples(index=False):
        sections.setdefault(row.slug, []).append(
            SectionView(row.heading, row.anchor, int(row.level), row.markdown, row.text)
        )
    articles = {
        row.slug: ArticleView(
            slug=row.slug,
            title=row.title,
            category=row.category,
            language=row.language,
            visibility=row.visibility,
            url=row.url,
            updated=row.updated,
            tags=tuple(json.loads(row.tags)),
            source=row.source,
            sections=tuple(sections.get(row.slug, ())),
        )
        for row in articles_df.itertuples(index=False)
    }
    if role is Role.PUBLIC and any(a.visibility != "public" for a in articles.values()):
        raise CorruptIndexError(f"{part} contains non-public articles; rebuild the index")
    return {
        "articles": articles,
        "chunk_slug": chunks_df["slug"].tolist(),
        "chunk_section": chunks_df["section_index"].to_numpy(dtype=np.int32),
        "chunk_text": chunks_df["text"].tolist(),
        "keyword": KeywordIndex.load(part / "bm25"),
        "vectors": FaissVectorIndex.load(part / VECTORS_FILE),
        "vector_targets": np.load(part / TARGETS_FILE),
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
