"""Build an index version from article sources and publish it atomically.

Order matters: validate everything first (a bad article never touches the live index), copy the
unchanged articles' rows from the live version and compute only the new and changed ones (kb/segment.py;
encoding goes through the embedding cache), write the new version under a temporary name, check it
against its checksums, rename it into place, then switch CURRENT. Each role gets its own partition
on disk (`public/` holds no internal text at all), so the public searcher cannot leak what it never
loads.
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
import pyarrow as pa

from . import store
from .articles import Article, load_articles
from .cache import EmbeddingCache, TokenCache, text_key
from .catalog import write_table
from .chunking import Chunk, Section, chunk_article, split_sections
from .encoders import Encoder, make_encoder
from .keyword import KeywordIndex
from .language import language_direction, project_out
from .options import ChunkSettings, TextSettings, VectorSettings, settings_dict
from .segment import LANGUAGE_FILE, TARGETS_FILE, Segment, assemble, shift_lines
from .text import tokens
from .vectors import FILE_NAME as VECTORS_FILE
from .vectors import FaissVectorIndex

log = logging.getLogger(__name__)
PARTITIONS = ("public", "all")
ENCODE_BATCH = 16
# a crash loses at most this much encoding; flushing by count instead wrote one shard per 128 texts,
# and re-merging those made a million-chunk build quadratic
FLUSH_SECONDS = 20.0
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
    flushed = time.monotonic()
    for start in range(0, len(missing), ENCODE_BATCH):
        batch = missing[start : start + ENCODE_BATCH]
        vectors = encoder.encode_passages([text for _, text in batch])
        for (key, _), vector in zip(batch, vectors, strict=True):
            cache.put(key, vector)
        if report:
            report(start + len(batch), len(missing), "encode")
        if time.monotonic() - flushed > FLUSH_SECONDS:
            cache.flush()  # a crash mid-build keeps what was already encoded
            flushed = time.monotonic()
    cache.flush()
    if not texts:
        return np.zeros((0, encoder.dim), dtype=np.float32), 0
    return np.stack([cache.get(k) for k in keys]).astype(np.float32), len(missing)


def title_text(article: Article) -> str:
    """What the per-article title vector encodes: the title and the tags editors chose."""
    return "\n".join([article.title, " ".join(article.tags)]).strip()


def keyword_text(article: Article, section: Section, chunk: Chunk, chunking: ChunkSettings) -> str:
    """Text BM25 sees for a chunk: the title (title_weight times), tags, heading, then the chunk."""
    head = " ".join([article.title] * chunking.title_weight + list(article.tags))
    heading = "" if section.level == 0 else section.heading
    return f"{head}\n{heading}\n{chunk.text}"


def _fresh_segment(
    articles: list[Article],
    encoder: Encoder,
    index_dir: Path,
    settings: _Settings,
    direction: np.ndarray | None,
    progress: Progress | None,
    timings: dict[str, float],
) -> tuple[Segment, int]:
    """Split, encode and tokenise `articles` (the new and changed ones); returns (segment, encoded)."""
    started = time.perf_counter()
    sections = [split_sections(a) for a in articles]
    chunks = [
        chunk_article(a, s, settings.chunking) for a, s in zip(articles, sections, strict=True)
    ]
    flat_chunks = [c for group in chunks for c in group]
    timings["chunk"] = time.perf_counter() - started

    started = time.perf_counter()
    titles = [title_text(a) for a in articles] if settings.vectors.title_vectors else []
    texts = [c.embed_text for c in flat_chunks] + titles
    fault_point("before-encode")
    cache = EmbeddingCache(index_dir / "cache", encoder.id, encoder.dim)
    vectors, encoded = embed_texts(texts, encoder, cache, progress)
    vectors = project_out(vectors, direction)
    title_vectors = (
        vectors[len(flat_chunks) :]
        if settings.vectors.title_vectors
        else np.zeros((len(articles), encoder.dim), dtype=np.float32)
    )
    timings["encode"] = time.perf_counter() - started

    started = time.perf_counter()
    texts = [
        keyword_text(a, s[c.section_index], c, settings.chunking)
        for a, s, group in zip(articles, sections, chunks, strict=True)
        for c in group
    ]
    token_lists = chunk_tokens(texts, settings.text, index_dir / "cache")
    timings["tokenize"] = time.perf_counter() - started
    segment = Segment.from_objects(
        [a.slug for a in articles],
        [a.content_hash for a in articles],
        [a.body_line for a in articles],
        sections,
        chunks,
        vectors[: len(flat_chunks)],
        title_vectors,
        token_lists,
    )
    return segment, encoded


TOKEN_CACHE_MIN = 200  # fewer chunks than this are tokenised faster than the cache is read


def chunk_tokens(texts: list[str], text_settings: TextSettings, cache_dir: Path) -> list[list[str]]:
    """BM25 tokens of each keyword text, from the token cache when there are enough to be worth it."""
    if len(texts) < TOKEN_CACHE_MIN:
        return [tokens(t, text_settings) for t in texts]
    cache = TokenCache(cache_dir, settings_dict(text_settings))
    out = []
    for text in texts:
        key = cache.key(text)
        found = cache.get(key)
        if found is None:
            found = tokens(text, text_settings)
            cache.put(key, found)
        out.append(found)
    cache.flush()
    return out


def _previous_segments(index_dir: Path, previous: dict, dim: int) -> dict[str, Segment]:
    """Both partitions of the live version, for reuse; {} when any of it fails its checksums."""
    version_dir = index_dir / previous["version"]
    try:
        store.verify_files(version_dir, previous)
        return {name: Segment.from_partition(version_dir / name, dim) for name in PARTITIONS}
    except Exception as exc:  # a damaged or older live version: build everything afresh
        log.warning("not reusing index version %s (%s); rebuilding all", previous["version"], exc)
        return {}


def _write_partition(
    target: Path,
    articles: list[Article],
    segment: Segment,
    settings: _Settings,
    direction: np.ndarray | None,
    dim: int,
) -> dict:
    """Tables, BM25 and vectors of one partition; `segment` holds `articles` in the same order."""
    target.mkdir(parents=True)
    if direction is not None:
        np.save(target / LANGUAGE_FILE, direction)
    chunk_starts = np.cumsum(segment.chunk_counts) - segment.chunk_counts
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
            "tags": [
                json.dumps(list(a.tags), ensure_ascii=False) if a.tags else "[]" for a in articles
            ],
            "source": [a.source for a in articles],
            "content_hash": [a.content_hash for a in articles],
            "body_line": np.array([a.body_line for a in articles], dtype=np.int32),
            "section_start": (np.cumsum(segment.section_counts) - segment.section_counts).astype(
                np.int32
            ),
            "section_count": segment.section_counts.astype(np.int32),
        },
    )
    body_lines = np.array([a.body_line for a in articles], dtype=np.int64)
    write_table(
        target / "sections.arrow",
        shift_lines(segment.sections, np.repeat(body_lines, segment.section_counts)),
    )
    article_row = np.repeat(np.arange(len(articles), dtype=np.int32), segment.chunk_counts)
    write_table(
        target / "chunks.arrow", segment.chunks.append_column("article_row", pa.array(article_row))
    )
    started = time.perf_counter()
    KeywordIndex.from_terms(segment.terms).save(target / "bm25")
    bm25_seconds = time.perf_counter() - started
    fault_point("during-write")
    started = time.perf_counter()
    # vector rows: one per chunk, then one title vector per article pointing at its first chunk
    matrix, targets = segment.chunk_vectors, np.arange(len(segment.chunk_vectors))
    if settings.vectors.title_vectors:
        titled = np.flatnonzero(segment.chunk_counts > 0)
        matrix = np.concatenate([matrix, segment.title_vectors[titled]])
        targets = np.concatenate([targets, chunk_starts[titled]])
    FaissVectorIndex.build(matrix.reshape(-1, dim), dim).save(target / VECTORS_FILE)
    np.save(target / TARGETS_FILE, targets.astype(np.int64))
    return {
        "counts": {
            "articles": len(articles),
            "sections": segment.sections.num_rows,
            "chunks": segment.chunks.num_rows,
        },
        "seconds": {"bm25": bm25_seconds, "faiss": time.perf_counter() - started},
    }


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

    Unchanged articles are copied from the live version; only new and changed ones are split,
    encoded and tokenised. With nothing changed (articles, encoder, settings), nothing is published.
    `force` rebuilds every article from its source (the embedding cache still saves the encoding)
    and publishes.
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
            _Settings(text_settings, chunking, vector_settings),
            progress,
            force,
            timings,
        )


@dataclass(frozen=True)
class _Settings:
    text: TextSettings
    chunking: ChunkSettings
    vectors: VectorSettings


def _build_locked(articles, index_dir, encoder, build_settings, progress, force, timings):
    started = time.perf_counter()
    hashes = {a.slug: a.content_hash for a in articles}
    settings = {
        "encoder": {"id": encoder.id, "dim": encoder.dim},
        "text": settings_dict(build_settings.text),
        "chunking": settings_dict(build_settings.chunking),
        "vectors": settings_dict(build_settings.vectors),
    }
    previous = _live_manifest(index_dir)
    added, changed, removed = _diff(previous, hashes)
    same_settings = previous is not None and all(previous.get(k) == v for k, v in settings.items())
    report = BuildReport(
        version="",
        published=False,
        articles=len(articles),
        sections=0,
        chunks=0,
        encoded=0,
        reused=0,
        added=added,
        changed=changed,
        removed=removed,
        seconds=timings,
    )
    if same_settings and not (added or changed or removed) and not force:
        report.version = previous["version"]
        report.sections = previous["counts"]["all"]["sections"]
        report.chunks = previous["counts"]["all"]["chunks"]
        return report

    base = (
        _previous_segments(index_dir, previous, encoder.dim) if same_settings and not force else {}
    )
    timings["reuse"] = time.perf_counter() - started
    direction = None
    if build_settings.vectors.language_neutral:
        if base:
            direction = np.load(index_dir / previous["version"] / "all" / LANGUAGE_FILE)
        else:
            direction = language_direction(
                encoder, EmbeddingCache(index_dir / "cache", encoder.id, encoder.dim)
            )
    old_hashes = (
        dict(zip(base["all"].slugs, base["all"].content_hashes, strict=True)) if base else {}
    )
    fresh_articles = [a for a in articles if old_hashes.get(a.slug) != a.content_hash]
    fresh, encoded = _fresh_segment(
        fresh_articles, encoder, index_dir, build_settings, direction, progress, timings
    )
    started = time.perf_counter()
    partitions = {}
    for name, keep in (("public", lambda a: a.is_public), ("all", lambda a: True)):
        kept = [a for a in articles if keep(a)]
        segment, _ = assemble(
            [a.slug for a in kept], [a.content_hash for a in kept], base.get(name), fresh
        )
        partitions[name] = (kept, segment)
    timings["reuse"] += time.perf_counter() - started
    everything = partitions["all"][1]
    report.sections, report.chunks = everything.sections.num_rows, everything.chunks.num_rows
    report.encoded = encoded
    titles = int((everything.chunk_counts > 0).sum()) if build_settings.vectors.title_vectors else 0
    report.reused = report.chunks + titles - encoded

    started = time.perf_counter()
    version = store.new_version_name()
    tmp = index_dir / f".tmp-{version}"
    try:
        parts = {
            name: _write_partition(
                tmp / name, kept, segment, build_settings, direction, encoder.dim
            )
            for name, (kept, segment) in partitions.items()
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
