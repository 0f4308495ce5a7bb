"""The new and changed articles of a build: split, encoded (through the embedding cache) and
tokenised (through the token cache) into a Segment; the unchanged ones are reused elsewhere."""

from __future__ import annotations

import contextlib
import mmap
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..embed import EmbeddingCache, Encoder, TokenCache, project_out, side_key
from ..faults import fault_point
from ..index.segment import Segment
from ..ingest import chunk_article, split_sections
from ..model import Article, Chunk, Section
from ..options import ChunkSettings, TextSettings, VectorSettings, settings_dict
from ..text import tokens
from .report import Progress

ENCODE_BATCH = 16
# a crash loses at most this much encoding; flushing by count instead wrote one shard per 128 texts,
# and re-merging those made a million-chunk build quadratic
FLUSH_SECONDS = 20.0
# articles split, encoded and tokenised at a time: their token lists are turned into term counts
# before the next batch (20,000 one-chunk articles held about 0.2 GB of token lists)
BUILD_BATCH = 20_000
TOKEN_CACHE_MIN = 200  # fewer chunks than this are tokenised faster than the cache is read


@dataclass(frozen=True)
class BuildSettings:
    """Everything about how articles become an index, recorded in the manifest."""

    text: TextSettings = TextSettings()
    chunking: ChunkSettings = ChunkSettings()
    vectors: VectorSettings = VectorSettings()


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
    texts: list[str],
    encoder: Encoder,
    cache: EmbeddingCache,
    progress: Progress | None = None,
    queries: int = 0,
) -> tuple[np.ndarray, int]:
    """Vectors for `texts`, encoding only cache misses; returns (vectors, number encoded).

    Vectors: (len(texts), dim) float32, row i for text i, as the encoder gave them: the last
    `queries` texts on the query side (`encode_queries`; cache keys `side_key`), the others as
    passages. Misses are encoded once per distinct text and side, ENCODE_BATCH at a time,
    reporting (done, total, "encode") to `progress` (a tqdm bar on a terminal when None); the
    cache is flushed at least every FLUSH_SECONDS, at the end, and when encoding is interrupted
    (Ctrl-C, an encoder error), so a crash or an interrupted build keeps what was encoded."""
    first_query = len(texts) - queries
    keys = [side_key(encoder.id, text, i >= first_query) for i, text in enumerate(texts)]
    found = cache.get_many(keys)
    wanted = {
        k: (i >= first_query, text)
        for i, (k, text, v) in enumerate(zip(keys, texts, found, strict=True))
        if v is None
    }
    missing = sorted(wanted.items(), key=lambda item: (item[1][0], item[0]))  # passages first
    report = progress or _tqdm_progress(len(missing))
    flushed, new = time.monotonic(), {}
    try:
        for start in range(0, len(missing), ENCODE_BATCH):
            batch = missing[start : start + ENCODE_BATCH]
            vectors = _encode_batch(encoder, [item for _, item in batch])
            for (key, _), vector in zip(batch, vectors, strict=True):
                cache.put(key, vector)
                new[key] = vector  # kept for the result: the flushed cache no longer holds it
            if report:
                report(start + len(batch), len(missing), "encode")
            if time.monotonic() - flushed > FLUSH_SECONDS:
                cache.flush()  # a crash mid-build keeps what was already encoded
                flushed = time.monotonic()
    except BaseException:  # Ctrl-C or a failing encoder: keep what was encoded, then go on
        with contextlib.suppress(OSError):  # raising (a full disk must not hide the cause)
            cache.flush()
        raise
    cache.flush()
    out = np.empty((len(texts), encoder.dim), dtype=np.float32)
    for row, (key, vector) in enumerate(zip(keys, found, strict=True)):
        out[row] = vector if vector is not None else new[key]
    return out, len(missing)


def _encode_batch(encoder: Encoder, items: list[tuple[bool, str]]) -> np.ndarray:
    """(len(items), dim) vectors of (query side?, text) items, in order, one encoder call per
    side present."""
    out = np.zeros((len(items), encoder.dim), dtype=np.float32)
    for query in (False, True):
        rows = [i for i, (side, _) in enumerate(items) if side is query]
        if rows:
            encode = encoder.encode_queries if query else encoder.encode_passages
            out[rows] = encode([items[i][1] for i in rows])
    return out


def title_text(article: Article) -> str:
    """What the per-article title vector encodes: the title and the tags editors chose (short
    questions read like titles; title vectors lift the sample's MRR@10 0.835 -> 0.865,
    docs/BENCHMARKS.md)."""
    return "\n".join([article.title, " ".join(article.tags)]).strip()


def keyword_text(article: Article, section: Section, chunk: Chunk, chunking: ChunkSettings) -> str:
    """Text BM25 sees for a chunk: the title (title_weight times), tags, heading, then the chunk."""
    head = " ".join([article.title] * chunking.title_weight + list(article.tags))
    heading = "" if section.level == 0 else section.heading
    return f"{head}\n{heading}\n{chunk.text}"


def fresh_segment(
    articles: list[Article],
    encoder: Encoder,
    cache_dir: Path,
    settings: BuildSettings,
    direction: np.ndarray | None,
    progress: Progress | None,
    timings: dict[str, float],
    cache: EmbeddingCache | None = None,
) -> tuple[Segment, int]:
    """Split, encode and tokenise `articles` (the new and changed ones); returns (segment, encoded).

    Streams: BUILD_BATCH articles at a time are split, encoded and tokenised, and their tokens
    turned into term counts at once, so no list of every chunk's sections, texts or tokens is ever
    held (issue 16: token lists of every chunk were the largest part of a build's memory).
    Vectors are projected with `direction` ((dim,) unit vector, or None). `timings` gets seconds
    for "chunk", "encode" and "tokenize"; `encoded` is what `embed_texts` encoded. `cache`: the
    encoder's embedding cache when the caller has it open, else it is opened under `cache_dir`.
    Raises OSError when a cache cannot be written (disk full)."""
    if cache is None:  # not `or`: an empty cache is falsy (it has a length)
        cache = EmbeddingCache(cache_dir, encoder.id, encoder.dim)
    for stage in ("chunk", "encode", "tokenize"):
        timings[stage] = 0.0
    parts, encoded = [], 0
    spools = [
        _Spool(cache_dir, encoder.dim) for _ in range(2 if len(articles) > BUILD_BATCH else 0)
    ]
    for start in range(0, max(len(articles), 1), BUILD_BATCH):
        batch = articles[start : start + BUILD_BATCH]
        part, done = _fresh_batch(
            batch, encoder, cache_dir, settings, (direction, progress, timings, cache)
        )
        if spools:  # several batches: their vectors go to disk instead of being concatenated
            spools[0].append(part.chunk_vectors)
            spools[1].append(part.title_vectors)
            part.chunk_vectors = part.title_vectors = None
        parts.append(part)
        encoded += done
    segment = Segment.fresh_concat(parts)
    if spools:
        segment.chunk_vectors, segment.title_vectors = (s.array() for s in spools)
    return segment, encoded


class _Spool:
    """(n, dim) float32 vectors appended batch by batch to an unnamed temporary file under
    `folder` (written, not mapped, so they leave this process's memory), then read back
    memory-mapped and read-only by `array`: a build of many batches holds no in-memory copy of
    its vectors (issue 16), and the file is gone once the array is. Raises OSError (disk full)."""

    def __init__(self, folder: Path, dim: int):
        folder.mkdir(parents=True, exist_ok=True)
        self._file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 (closed by `array`)
        self.dim, self.rows = dim, 0

    def append(self, vectors: np.ndarray) -> None:
        """Add (m, dim) vectors after those appended before."""
        self._file.write(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
        self.rows += len(vectors)

    def array(self) -> np.ndarray:
        """(rows, dim) float32, memory-mapped (the file is closed; the map keeps it)."""
        self._file.flush()
        if not self.rows:
            self._file.close()
            return np.zeros((0, self.dim), dtype=np.float32)
        mapped = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        self._file.close()
        return np.frombuffer(mapped, dtype=np.float32).reshape(self.rows, self.dim)


def _fresh_batch(articles, encoder, cache_dir, settings, rest) -> tuple[Segment, int]:
    """`fresh_segment` of one batch; `rest` is (direction, progress, timings, cache)."""
    direction, progress, timings, cache = rest
    started = time.perf_counter()
    sections = [split_sections(a) for a in articles]
    chunks = [
        chunk_article(a, s, settings.chunking) for a, s in zip(articles, sections, strict=True)
    ]
    flat_chunks = [c for group in chunks for c in group]
    timings["chunk"] += time.perf_counter() - started

    started = time.perf_counter()
    titles = [title_text(a) for a in articles] if settings.vectors.title_vectors else []
    texts = [c.embed_text for c in flat_chunks] + titles
    fault_point("before-encode")
    queries = len(titles) if settings.vectors.query_side_titles else 0
    vectors, encoded = embed_texts(texts, encoder, cache, progress, queries)
    vectors = project_out(vectors, direction)
    title_vectors = (
        vectors[len(flat_chunks) :]
        if settings.vectors.title_vectors
        else np.zeros((len(articles), encoder.dim), dtype=np.float32)
    )
    timings["encode"] += time.perf_counter() - started

    started = time.perf_counter()
    texts = [
        keyword_text(a, s[c.section_index], c, settings.chunking)
        for a, s, group in zip(articles, sections, chunks, strict=True)
        for c in group
    ]
    token_lists = chunk_tokens(texts, settings.text, cache_dir)
    timings["tokenize"] += time.perf_counter() - started
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


def uses_token_cache(count: int) -> bool:
    """Whether tokenising `count` chunk texts goes through the token cache (TOKEN_CACHE_MIN)."""
    return count >= TOKEN_CACHE_MIN


def chunk_tokens(texts: list[str], text_settings: TextSettings, cache_dir: Path) -> list[list[str]]:
    """BM25 tokens of each keyword text, from the token cache when there are enough to be worth it
    (TOKEN_CACHE_MIN texts or more; the cache is flushed after)."""
    if not uses_token_cache(len(texts)):
        return [tokens(t, text_settings) for t in texts]
    cache = TokenCache(cache_dir, settings_dict(text_settings))
    keys = [cache.key(text) for text in texts]
    out = cache.get_many(keys)
    for i, (key, text) in enumerate(zip(keys, texts, strict=True)):
        if out[i] is None:
            out[i] = tokens(text, text_settings)
            cache.put(key, out[i])
    cache.flush()
    return out
