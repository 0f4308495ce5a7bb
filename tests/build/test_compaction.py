"""The build caches are compacted on build (item 15 of the reliability issue): the embedding cache
(and the token cache, alike) stays within COMPACT_FACTOR of what the kept versions need, never drops
an entry a kept version needs (a rebuild of any kept version's sources encodes nothing), and costs
an incremental build nothing until due."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from kb import build_index
from kb.build import compact as compact_module
from kb.build import fresh as fresh_module
from kb.build.compact import COMPACT_FACTOR, kept_texts
from kb.embed import QUERY_MARK, EmbeddingCache, TokenCache, direction_keys, text_key
from kb.embed.language import parallel_sentences
from kb.index import open_store, versions
from kb.options import TextSettings, settings_dict
from kb.testing import TINY, CountingEncoder, write_articles
from tests.build.test_disk_full import fsync_fails_for

EDITS = 40


def needed(index: Path, encoder) -> set[str]:
    keys = {text_key(encoder.id, text) for text in kept_texts(open_store(index))[0]}
    return keys | direction_keys(encoder.id)


def stored(index: Path, encoder) -> EmbeddingCache:
    return EmbeddingCache(index / "cache", encoder.id, encoder.dim)


def edit_every_article(articles: Path, n: int) -> None:
    """A bulk edit: every article's footer names revision n (the last chunk of each changes)."""
    for path in sorted(articles.rglob("*.md")):
        text = path.read_text(encoding="utf-8").split("\n<!-- footer -->")[0]
        path.write_text(f"{text}\n<!-- footer -->\n更新于第 {n} 次修订。\n", encoding="utf-8")


def add_junk(cache: EmbeddingCache, times: int) -> None:
    """`times` as many entries as `cache` holds, that no version needs: compaction is due."""
    for i in range(times * len(cache)):
        cache.put(f"junk{i:028d}", np.ones(cache.dim, np.float32))
    cache.flush()


@pytest.fixture
def folder(tmp_path):
    return write_articles(tmp_path / "articles", TINY), tmp_path / "index"


def test_forty_edits_keep_the_cache_bounded_and_lose_nothing_needed(folder, tmp_path):
    articles, index = folder
    encoder = CountingEncoder()
    report = build_index(articles, index, encoder=encoder)
    ever = len(stored(index, encoder))  # what the cache would hold without compaction
    snapshots = {}
    for n in range(EDITS):
        edit_every_article(articles, n)
        report = build_index(articles, index, encoder=encoder)
        ever += report.encoded
        snapshots[report.version] = shutil.copytree(articles, tmp_path / f"snap{n}")
        need, cache = needed(index, encoder), stored(index, encoder)
        assert all(cache.get(key) is not None for key in need)  # nothing needed is ever dropped
        assert len(cache) <= COMPACT_FACTOR * len(need)
    print(f"\n{EDITS} edits: needed {len(need)}, stored {len(cache)} (without compaction {ever})")
    assert len(cache) < 0.7 * ever  # 259 against 457 when this was written

    for version in versions.versions(index):  # any kept version can be rebuilt from the cache
        fresh = CountingEncoder()
        build_index(snapshots[version], index, encoder=fresh, force=True)
        assert fresh.passages == [] and fresh.queries == [], version


def test_the_texts_compaction_keeps_are_the_texts_the_build_encoded(folder, monkeypatch):
    """kept_texts recomputes a version's texts from its tables; they must be exactly the texts
    the build sent to the encoder (else compaction would drop live entries)."""
    articles, index = folder
    monkeypatch.setattr("kb.build.fresh.TOKEN_CACHE_MIN", 0)  # tokens go through their cache too
    encoder = CountingEncoder()
    build_index(articles, index, encoder=encoder)
    edit_every_article(articles, 1)
    (articles / "account" / "forgot-password.md").unlink()
    build_index(articles, index, encoder=encoder)
    sentences = {text for pair in parallel_sentences() for text in pair}
    embedded, keyword = kept_texts(open_store(index))
    encoded = set(encoder.passages) | {QUERY_MARK + text for text in encoder.queries}
    assert {QUERY_MARK + t for t in encoder.queries} - {QUERY_MARK + s for s in sentences}  # titles
    assert embedded == encoded - sentences - {QUERY_MARK + s for s in sentences}
    tokens = TokenCache(index / "cache", settings_dict(TextSettings()))
    assert {tokens.key(text) for text in keyword} == set(tokens._items)


def test_compaction_costs_nothing_until_it_is_due(folder, monkeypatch):
    articles, index = folder
    calls = []
    real = compact_module.kept_texts
    monkeypatch.setattr(compact_module, "kept_texts", lambda store: calls.append(1) or real(store))
    encoder = CountingEncoder()
    build_index(articles, index, encoder=encoder)
    for n in range(10):  # far below twice what the live version needs
        edit_every_article(articles, n)
        build_index(articles, index, encoder=encoder)
    assert calls == []
    add_junk(stored(index, encoder), 2)
    edit_every_article(articles, 99)
    report = build_index(articles, index, encoder=encoder)
    assert calls == [1] and report.seconds["compact"] > 0
    assert not any(k.startswith("junk") for k in stored(index, encoder)._items)


def test_disk_full_during_compaction_keeps_the_build_and_the_cache(folder, monkeypatch, caplog):
    articles, index = folder
    encoder = CountingEncoder()
    build_index(articles, index, encoder=encoder)
    add_junk(stored(index, encoder), 3)
    before = len(stored(index, encoder))
    fsync_fails_for(monkeypatch, "-compacted")
    edit_every_article(articles, 1)
    report = build_index(articles, index, encoder=encoder)
    assert report.published and versions.current_version(index) == report.version
    assert "could not compact the cache" in caplog.text
    after = stored(index, encoder)
    assert len(after) == before + report.encoded  # unchanged, plus this build's entries
    assert not list(after.directory.glob(".*"))


def test_the_token_cache_is_compacted_alike(folder, monkeypatch):
    articles, index = folder
    monkeypatch.setattr("kb.build.fresh.TOKEN_CACHE_MIN", 0)
    encoder = CountingEncoder()
    build_index(articles, index, encoder=encoder)
    tokens = TokenCache(index / "cache", settings_dict(TextSettings()))
    for i in range(3 * len(tokens)):  # entries no version needs: compaction is due
        tokens.put(f"junk{i}", ["x"])
    tokens.flush()
    edit_every_article(articles, 1)
    build_index(articles, index, encoder=encoder)
    compacted = TokenCache(index / "cache", settings_dict(TextSettings()))
    keyword = kept_texts(open_store(index))[1]
    assert set(compacted._items) == {compacted.key(text) for text in keyword}

    calls = []
    real = fresh_module.tokens
    monkeypatch.setattr(fresh_module, "tokens", lambda *a: calls.append(1) or real(*a))
    build_index(articles, index, encoder=encoder, force=True)
    assert calls == []  # every kept chunk's tokens survived
