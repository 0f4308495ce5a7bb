"""Build an index version from article sources and publish it atomically.

Order matters: validate everything first (a bad article never touches the live index), encode only
chunks the cache has not seen, write the new version under a temporary name, load it back to verify,
rename it into place, then switch CURRENT. Each role gets its own partition on disk (`public/` holds
no internal text at all), so the public searcher cannot leak what it never loads.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import store
from .articles import Article, load_articles
from .cache import EmbeddingCache, TokenCache, text_key
from .catalog import write_table
from .chunking import Chunk, Section, chunk_article, split_sections
from .encoders import Encoder, make_encoder
from .keyword import KeywordIndex
from .language import language_direction, project_out
from .options import ChunkSettings, TextSettings, VectorSettings, settings_dict
from .text import tokens
from .vectors import FILE_NAME as VECTORS_FILE
from .vectors import FaissVectorIndex

log = logging.getLogger(__name__)
PARTITIONS = ("public", "all")
ENCODE_BATCH = 16
# progress(done, total, stage) lets the app draw its own bar; the CLI uses tqdm
Progress = Callable[[int, int, str], None]


FAULT_ENV = "KB_FAULT_POINT"
FAULT_POINTS = (
    "before-encode",
    "during-write",
    "after-partitions-written",
    "before-verify",
    "before-rename",
    "before-switch",
    "after-switch",
)


def fault_point(name: str) -> None:
    """Crash-test hook: with KB_FAULT_POINT=<name>, the process kills itself (SIGKILL, no cleanup)
    right here. tests/test_crash.py uses it to prove a crash at any of these points loses nothing."""
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class BuildReport:
    version: str
    published: bool
    articles: int
    sections: int
    chunks: int
    encoded: int
    reused: int
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        total = sum(self.seconds.values())
        state = "published" if self.published else "unchanged, nothing published"
        return (
            f"version {self.version} ({state}): {self.articles} articles, {self.sections} sections, "
            f"{self.chunks} chunks; encoded {self.encoded}, reused {self.reused} from cache; "
            f"added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)}; "
            f"{total:.2f}s"
        )


@dataclass
class _Vectors:
    """Everything vector-side a partition needs, already language-projected."""

    chunks: np.ndarray
    titles: np.ndarray | None  # one per article (corpus order), or None when disabled
    direction: np.ndarray | None
    dim: int


@dataclass
class _Corpus:
    articles: list[Article]
    sections: list[Section]
    chunks: list[Chunk]
    tokens: list[list[str]] = field(default_factory=list)  # BM25 tokens per chunk, same order


def _corpus(articles: list[Article], chunking: ChunkSettings) -> _Corpus:
    sections, chunks = [], []
    for article in articles:
        article_sections = split_sections(article)
        sections.extend(article_sections)
        chunks.extend(chunk_article(article, article_sections, chunking))
    return _Corpus(articles, sections, chunks)


def _tqdm_progress(total: int) -> Progress | None:
    if not sys.stderr.isatty() or total == 0:
        return None
    from tqdm import tqdm

    bar = tqdm(total=total, desc="encoding chunks", unit="chunk", file=sys.stderr)

    def update(done: int, total: int, stage: str) -> None:
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def embed_texts(
    texts: list[str], encoder: Encoder, cache: EmbeddingCache, progress: Progress | None = None
) -> tuple[np.ndarray, int]:
    """Passage vectors for `texts`, encoding only cache misses; returns (vectors, number encoded)."""
    keys = [text_key(encoder.id, text) for text in texts]
    missing = sorted(
        {k: text for k, text in zip(keys, texts, strict=True) if cache.get(k) is None}.items()
    )
    report = progress or _tqdm_progress(len(missing))
    for start in range(0, len(missing), ENCODE_BATCH):
        batch = missing[start : start + ENCODE_BATCH]
        vectors = encoder.encode_passages([text for _, text in batch])
        for (key, _), vector in zip(batch, vectors, strict=True):
            cache.put(key, vector)
        if report:
            report(start + len(batch), len(missing), "encode")
        if start // ENCODE_BATCH % 8 == 7:
            cache.flush()  # a crash mid-build keeps what was already encoded
    cache.flush()
    if not texts:
        return np.zeros((0, encoder.dim), dtype=np.float32), 0
    return np.stack([cache.get(k) for k in keys]).astype(np.float32), len(missing)


def chunk_tokens(
    corpus: _Corpus, text_settings: TextSettings, chunking: ChunkSettings, cache: TokenCache
) -> list[list[str]]:
    """BM25 tokens of every chunk, tokenising only texts the cache has not seen."""
    by_slug = {a.slug: a for a in corpus.articles}
    section_of = {(s.slug, s.index): s for s in corpus.sections}
    out = []
    for chunk in corpus.chunks:
        text = keyword_text(
            by_slug[chunk.slug], section_of[(chunk.slug, chunk.section_index)], chunk, chunking
        )
        key = cache.key(text)
        found = cache.get(key)
        if found is None:
            found = tokens(text, text_settings)
            cache.put(key, found)
        out.append(found)
    cache.flush()
    return out


def title_text(article: Article) -> str:
    """What the per-article title vector encodes: the title and the tags editors chose."""
    return "\n".join([article.title, " ".join(article.tags)]).strip()


def keyword_text(article: Article, section: Section, chunk: Chunk, chunking: ChunkSettings) -> str:
    """Text BM25 sees for a chunk: the title (title_weight times), tags, heading, then the chunk."""
    head = " ".join([article.title] * chunking.title_weight + list(article.tags))
    heading = "" if section.level == 0 else section.heading
    return f"{head}\n{heading}\n{chunk.text}"


def _tables(target: Path, articles: list[Article], sections: list[Section], chunks: list[Chunk]):
    """Article, section and chunk tables, with the row pointers the loader uses instead of lookups:
    each article's section range, each chunk's article row."""
    row_of = {a.slug: i for i, a in enumerate(articles)}
    counts = np.zeros(len(articles), dtype=np.int32)
    for section in sections:
        counts[row_of[section.slug]] += 1
    starts = (np.cumsum(counts) - counts).astype(np.int32)
    write_table(
        target / "articles.arrow",
        {
            "slug": [a.slug for a in articles],
            "title": [a.title for a in articles],
            "category": [a.category for a in articles],
            "language": [a.language.value for a in articles],
            "visibility": [a.visibility.value for a in articles],
            "url": [a.url for a in articles],
            "updated": [a.updated for a in articles],
            "tags": [json.dumps(list(a.tags), ensure_ascii=False) for a in articles],
            "source": [a.source for a in articles],
            "content_hash": [a.content_hash for a in articles],
            "section_start": starts,
            "section_count": counts,
        },
    )
    write_table(
        target / "sections.arrow",
        {c: [getattr(x, c) for x in sections] for c in SECTION_COLUMNS},
    )
    write_table(
        target / "chunks.arrow",
        {
            **{c: [getattr(x, c) for x in chunks] for c in CHUNK_COLUMNS},
            "article_row": np.asarray([row_of[c.slug] for c in chunks], dtype=np.int32),
        },
    )


def _write_partition(
    target: Path,
    corpus: _Corpus,
    keep: Callable[[Article], bool],
    vecs: _Vectors,
) -> dict:
    target.mkdir(parents=True)
    if vecs.direction is not None:
        np.save(target / LANGUAGE_FILE, vecs.direction)
    articles = [a for a in corpus.articles if keep(a)]
    by_slug = {a.slug: a for a in articles}
    sections = [s for s in corpus.sections if s.slug in by_slug]
    rows = [i for i, c in enumerate(corpus.chunks) if c.slug in by_slug]
    chunks = [corpus.chunks[i] for i in rows]
    _tables(target, articles, sections, chunks)
    started = time.perf_counter()
    token_lists = [corpus.tokens[i] for i in rows]
    KeywordIndex.build(token_lists).save(target / "bm25")
    bm25_seconds = time.perf_counter() - started
    fault_point("during-write")
    started = time.perf_counter()
    # vector rows: one per chunk, then one title vector per article pointing at its first chunk
    first_chunk: dict[str, int] = {}
    for position, chunk in enumerate(chunks):
        first_chunk.setdefault(chunk.slug, position)
    targets = list(range(len(chunks)))
    stacked = [vecs.chunks[rows]] if rows else []
    if vecs.titles is not None:
        position = {a.slug: i for i, a in enumerate(corpus.articles)}
        titled = [a for a in articles if a.slug in first_chunk]
        stacked.append(vecs.titles[[position[a.slug] for a in titled]])
        targets += [first_chunk[a.slug] for a in titled]
    matrix = np.concatenate(stacked) if stacked else np.zeros((0, vecs.dim), np.float32)
    FaissVectorIndex.build(matrix, vecs.dim).save(target / VECTORS_FILE)
    np.save(target / TARGETS_FILE, np.asarray(targets, dtype=np.int64))
    return {
        "counts": {"articles": len(articles), "sections": len(sections), "chunks": len(chunks)},
        "seconds": {"bm25": bm25_seconds, "faiss": time.perf_counter() - started},
    }


LANGUAGE_FILE = "language_direction.npy"
TARGETS_FILE = "vector_targets.npy"  # vector row -> chunk row
SECTION_COLUMNS = ["slug", "index", "heading", "anchor", "level", "markdown", "text", "line"]
CHUNK_COLUMNS = ["chunk_id", "slug", "section_index", "position", "text"]


def _live_manifest(index_dir: Path) -> dict | None:
    try:
        return store.read_manifest(index_dir / store.current_version(index_dir))
    except Exception:  # no index yet, or a damaged one: build from scratch
        return None


def _diff(previous: dict | None, hashes: dict[str, str]) -> tuple[list, list, list]:
    old = (previous or {}).get("articles", {})
    added = sorted(s for s in hashes if s not in old)
    changed = sorted(s for s in hashes if s in old and old[s] != hashes[s])
    removed = sorted(s for s in old if s not in hashes)
    return added, changed, removed


def build_index(
    articles_path: str | Path = "articles",
    index_dir: str | Path = "index",
    encoder: Encoder | str | None = None,
    text_settings: TextSettings = TextSettings(),
    chunking: ChunkSettings = ChunkSettings(),
    progress: Progress | None = None,
    force: bool = False,
    vector_settings: VectorSettings = VectorSettings(),
) -> BuildReport:
    """Validate, build and publish. Raises ValidationError (nothing written) on bad input.

    With nothing changed since the live version (articles, encoder, settings), nothing is published
    unless `force`.
    """
    index_dir = Path(index_dir)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    articles = load_articles(articles_path)
    timings["load"] = time.perf_counter() - started
    encoder = make_encoder(encoder) if encoder is None or isinstance(encoder, str) else encoder
    with store.build_lock(index_dir):
        return _build_locked(
            articles,
            index_dir,
            encoder,
            text_settings,
            chunking,
            vector_settings,
            progress,
            force,
            timings,
        )


def _build_locked(
    articles, index_dir, encoder, text_settings, chunking, vector_settings, progress, force, timings
):
    started = time.perf_counter()
    corpus = _corpus(articles, chunking)
    hashes = {a.slug: a.content_hash for a in articles}
    settings = {
        "encoder": {"id": encoder.id, "dim": encoder.dim},
        "text": settings_dict(text_settings),
        "chunking": settings_dict(chunking),
        "vectors": settings_dict(vector_settings),
    }
    previous = _live_manifest(index_dir)
    added, changed, removed = _diff(previous, hashes)
    timings["chunk"] = time.perf_counter() - started

    started = time.perf_counter()
    cache = EmbeddingCache(index_dir / "cache", encoder.id, encoder.dim)
    titles = [title_text(a) for a in articles] if vector_settings.title_vectors else []
    texts = [c.embed_text for c in corpus.chunks] + titles
    fault_point("before-encode")
    vectors, encoded = embed_texts(texts, encoder, cache, progress)
    direction = language_direction(encoder, cache) if vector_settings.language_neutral else None
    vectors = project_out(vectors, direction)
    vecs = _Vectors(
        chunks=vectors[: len(corpus.chunks)],
        titles=vectors[len(corpus.chunks) :] if vector_settings.title_vectors else None,
        direction=direction,
        dim=encoder.dim,
    )
    timings["encode"] = time.perf_counter() - started
    started = time.perf_counter()
    tokens_cache = TokenCache(index_dir / "cache", settings_dict(text_settings))
    corpus.tokens = chunk_tokens(corpus, text_settings, chunking, tokens_cache)
    timings["tokenize"] = time.perf_counter() - started
    report = BuildReport(
        version="",
        published=False,
        articles=len(articles),
        sections=len(corpus.sections),
        chunks=len(corpus.chunks),
        encoded=encoded,
        reused=len(texts) - encoded,
        added=added,
        changed=changed,
        removed=removed,
        seconds=timings,
    )
    unchanged = (
        previous is not None
        and not (added or changed or removed)
        and all(previous.get(k) == v for k, v in settings.items())
    )
    if unchanged and not force:
        report.version = previous["version"]
        return report

    started = time.perf_counter()
    version = store.new_version_name()
    tmp = index_dir / f".tmp-{version}"
    try:
        parts = {
            name: _write_partition(tmp / name, corpus, keep, vecs)
            for name, keep in (("public", lambda a: a.is_public), ("all", lambda a: True))
        }
        fault_point("after-partitions-written")
        manifest = {
            "format": store.FORMAT_VERSION,
            "version": version,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            **settings,
            "articles": hashes,
            "counts": {name: part["counts"] for name, part in parts.items()},
            "build": {
                "encoded": encoded,
                "reused": report.reused,
                "added": added,
                "changed": changed,
                "removed": removed,
            },
            "files": store.checksums(tmp),
        }
        (tmp / store.MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        timings["bm25"] = sum(p["seconds"]["bm25"] for p in parts.values())
        timings["faiss"] = sum(p["seconds"]["faiss"] for p in parts.values())
        fault_point("before-verify")
        store.verify_files(tmp, store.read_manifest(tmp))
        final = index_dir / version
        fault_point("before-rename")
        tmp.rename(final)
        store._fsync_dir(index_dir)
        fault_point("before-switch")
        store.switch_current(index_dir, version)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fault_point("after-switch")
    store.prune(index_dir)
    timings["write"] = time.perf_counter() - started - timings["bm25"] - timings["faiss"]
    report.version, report.published = version, True
    log.info("published %s", report.summary())
    return report
