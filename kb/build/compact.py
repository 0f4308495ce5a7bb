"""Compaction of the build caches after a publish: the embedding cache and the BM25-token cache
(kb/embed/cache.py) gain an entry for every text ever encoded or tokenised, so without compaction
they grow with every edit while the versions kept on disk need a fixed share of them.

What is kept: the vector of every chunk text and title text of every kept version and of the
language direction's parallel sentences (kb/embed/language.py); the tokens of every chunk's BM25
text of every kept version. A version's texts are recomputed from its own tables by the code that
built it (`chunk_article`, `title_text`, `keyword_text`) with the chunking settings in its manifest,
once per distinct article content over all kept versions, so a rollback followed by a rebuild of
any kept version encodes nothing.

When: after a build publishes, and only when a cache holds more than COMPACT_FACTOR (2) times the
larger of what the live version needs (from its manifest's counts: known without reading anything)
and what the last compaction kept. Between two compactions at least as many new entries were
written as the last one kept, so its cost (re-chunking the kept versions' distinct articles,
rewriting one shard) is a bounded fraction of the work that filled the cache, and the builds in
between pay one comparison. The token cache is only looked at after a build that used it.
"""

from __future__ import annotations

import logging

from ..embed import QUERY_MARK, EmbeddingCache, Encoder, TokenCache, direction_keys, text_key
from ..errors import KBError
from ..index import ArticleCatalog, IndexStore, Manifest
from ..ingest import chunk_article
from ..options import ChunkSettings, TextSettings, settings_dict
from .fresh import keyword_text, title_text

log = logging.getLogger(__name__)

COMPACT_FACTOR = 2.0


def live_need(manifest: Manifest, encoder_id: str) -> int:
    """Embedding-cache entries the live version needs at most: one per chunk and per article
    (title vectors, when it has them), plus the language direction's sentences when it is
    neutral."""
    counts = manifest.counts.get("all", {})
    titles = counts.get("articles", 0) if manifest.title_vectors else 0
    direction = len(direction_keys(encoder_id)) if manifest.language_neutral else 0
    return counts.get("chunks", 0) + titles + direction


def _article_texts(
    catalog: ArticleCatalog, row: int, manifest: Manifest, embedded: set[str], keyword: set[str]
) -> None:
    """Add the texts the build encoded for the article at `row` (its chunks, then its title) to
    `embedded`, and its chunks' BM25 texts to `keyword`."""
    article = catalog.view(row)
    sections = list(article.sections)
    chunking = ChunkSettings(**manifest.chunking)
    for chunk in chunk_article(article, sections, chunking):
        embedded.add(chunk.embed_text)
        keyword.add(keyword_text(article, sections[chunk.section_index], chunk, chunking))
    if manifest.title_vectors:  # compact_caches hashes these as passages: mark query-side ones
        embedded.add((QUERY_MARK if manifest.query_side_titles else "") + title_text(article))


def kept_texts(store: IndexStore) -> tuple[set[str], set[str]]:
    """(texts whose vectors, texts whose BM25 tokens) some kept version holds: chunk and title
    texts, and chunk BM25 texts, of each stored version (each distinct article content chunked
    once per chunking setting). A version that cannot be read is skipped (logged): its texts are
    then not protected."""
    embedded: set[str] = set()
    keyword: set[str] = set()
    seen: set[tuple[str, str, tuple[bool, bool]]] = set()
    for version in store.versions():
        try:
            manifest = store.manifest(version)
            catalog = store.catalog(version)
            setting = repr(sorted(manifest.chunking.items()))
            titles = (manifest.title_vectors, manifest.query_side_titles)
            for row, content in enumerate(catalog.table.column("content_hash").to_pylist()):
                if (content, setting, titles) not in seen:
                    seen.add((content, setting, titles))
                    _article_texts(catalog, row, manifest, embedded, keyword)
        except (KBError, OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("cache compaction cannot read version %s (%s); skipping it", version, exc)
    return embedded, keyword


def _compact(cache, keep: set[str]) -> int | None:
    """`cache.compact(keep)`, or None (logged) when the disk refuses: the cache is unchanged."""
    stored = len(cache)
    try:
        dropped = cache.compact(keep)
    except OSError as exc:
        log.warning("could not compact the cache %s (%s)", cache.directory, exc)
        return None
    log.info("cache %s compacted: %d entries -> %d", cache.directory, stored, len(cache))
    return dropped


def _over(cache: EmbeddingCache | TokenCache, limit: float) -> bool:
    """Whether `cache` holds more than `limit` distinct entries, counted only when its cheap
    upper bound (`size_bound`) passes the limit: most builds compact nothing."""
    return cache.size_bound() > limit and len(cache) > limit


def compact_caches(
    store: IndexStore,
    encoder: Encoder,
    cache: EmbeddingCache,
    text: TextSettings,
    tokens_used: bool,
) -> dict[str, int]:
    """Compact the live encoder's embedding `cache` and, when this build used it (`tokens_used`),
    the token cache of `text` settings, each when it is due (module docstring). Returns entries
    dropped per compacted cache ("embeddings", "tokens"); a cache that could not be written is
    left unchanged and logged. Never raises: a crash or a full disk never loses a needed entry."""
    live = store.live_manifest()
    if live is None:
        return {}
    chunks = live.counts.get("all", {}).get("chunks", 0)
    tokens = TokenCache(store.cache_dir, settings_dict(text)) if tokens_used else None
    due = {
        name: c
        for name, c, need in (
            ("embeddings", cache, live_need(live, encoder.id)),
            ("tokens", tokens, chunks),
        )
        if c is not None and _over(c, COMPACT_FACTOR * max(need, c.compacted_size))
    }
    if not due:
        return {}
    embedded, keyword = kept_texts(store)
    keep = {
        "embeddings": {text_key(encoder.id, t) for t in embedded} | direction_keys(encoder.id),
        "tokens": {tokens.key(t) for t in keyword} if tokens is not None else set(),
    }
    dropped = {name: _compact(c, keep[name]) for name, c in due.items()}
    return {name: n for name, n in dropped.items() if n is not None}
