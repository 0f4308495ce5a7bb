"""Embedding and token caches: what was put comes back, across processes, merges and damage;
compaction keeps exactly what it is told to, and a failed one changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

from kb.embed.cache import MAX_SHARDS, EmbeddingCache, TokenCache
from tests.build.test_disk_full import fsync_fails_for


def vec(i: int, dim: int = 8) -> np.ndarray:
    return np.random.default_rng(i).standard_normal(dim).astype(np.float32)


def test_embeddings_round_trip_and_load_lazily(tmp_path):
    cache = EmbeddingCache(tmp_path, "enc", 8)
    for i in range(5):
        cache.put(f"k{i}", vec(i))
    cache.flush()
    again = EmbeddingCache(tmp_path, "enc", 8)
    assert len(again) == 5
    assert again._new == {}  # nothing read into memory: the shards are memory-mapped
    assert np.array_equal(again.get("k3"), vec(3))
    assert again.get("missing") is None
    assert EmbeddingCache(tmp_path, "other-encoder", 8).get("k3") is None


def test_the_size_bound_is_never_below_the_count(tmp_path):
    cache = EmbeddingCache(tmp_path, "enc", 8)
    for i in range(4):
        cache.put(f"k{i}", vec(i))
    assert cache.size_bound() == len(cache) == 4  # unflushed entries count
    cache.flush()
    cache.put("k1", vec(1))  # stored again: in a second shard after the flush
    cache.put("k9", vec(9))
    cache.flush()
    assert len(cache) == 5
    assert cache.size_bound() >= len(cache)
    assert EmbeddingCache(tmp_path, "enc", 8).size_bound() >= 5


def test_merging_shards_keeps_every_entry(tmp_path):
    cache = EmbeddingCache(tmp_path, "enc", 8)
    for i in range(MAX_SHARDS + 3):
        cache.put(f"k{i}", vec(i))
        cache.flush()
    assert len(cache._shards()) <= MAX_SHARDS
    for i in range(MAX_SHARDS + 3):  # the same instance, after its shards were merged away
        assert np.array_equal(cache.get(f"k{i}"), vec(i))
    reopened = EmbeddingCache(tmp_path, "enc", 8)
    assert all(np.array_equal(reopened.get(f"k{i}"), vec(i)) for i in range(MAX_SHARDS + 3))


def test_a_damaged_shard_costs_only_its_entries(tmp_path):
    cache = EmbeddingCache(tmp_path, "enc", 8)
    cache.put("a", vec(1))
    cache.flush()
    cache.put("b", vec(2))
    cache.flush()
    second = cache._shards()[1]
    data = bytearray(second.read_bytes())
    second.write_bytes(bytes(data[: len(data) // 2]))  # truncated
    reopened = EmbeddingCache(tmp_path, "enc", 8)
    assert np.array_equal(reopened.get("a"), vec(1))
    assert reopened.get("b") is None


def test_tokens_round_trip(tmp_path):
    cache = TokenCache(tmp_path, {"char_bigrams": True})
    cache.put(cache.key("提现到账"), ["提现", "到账"])
    cache.put(cache.key("空"), [])
    cache.flush()
    again = TokenCache(tmp_path, {"char_bigrams": True})
    assert again.get(again.key("提现到账")) == ["提现", "到账"]
    assert again.get(again.key("空")) == []
    assert TokenCache(tmp_path, {"char_bigrams": False}).get(again.key("提现到账")) is None


def test_compaction_keeps_only_the_given_keys(tmp_path):
    cache = EmbeddingCache(tmp_path, "enc", 8)
    for i in range(10):
        cache.put(f"k{i}", vec(i))
        if i % 4 == 3:
            cache.flush()  # entries spread over several shards, some still in memory
    assert cache.compact({"k1", "k5", "k9", "absent"}) == 7
    assert len(cache._shards()) == 1 and cache.compacted_size == 3
    for same in (cache, EmbeddingCache(tmp_path, "enc", 8)):
        assert len(same) == 3 and same.get("k0") is None
        assert all(np.array_equal(same.get(f"k{i}"), vec(i)) for i in (1, 5, 9))
    tokens = TokenCache(tmp_path, {"char_bigrams": True})
    tokens.put("a", ["x"])
    tokens.put("b", ["y"])
    assert tokens.compact({"b"}) == 1
    assert TokenCache(tmp_path, {"char_bigrams": True})._items == {"b": ["y"]}


def test_a_compaction_that_cannot_be_written_changes_nothing(tmp_path, monkeypatch):
    cache = EmbeddingCache(tmp_path, "enc", 8)
    for i in range(4):
        cache.put(f"k{i}", vec(i))
    cache.flush()
    fsync_fails_for(monkeypatch, "-compacted")
    with pytest.raises(OSError):
        cache.compact({"k1"})
    monkeypatch.undo()
    reopened = EmbeddingCache(tmp_path, "enc", 8)
    assert len(reopened) == 4 and np.array_equal(reopened.get("k3"), vec(3))
    assert not list(reopened.directory.glob(".*")) and reopened.compacted_size == 0


def test_a_killed_builds_temporary_shard_is_removed_by_the_next_write(tmp_path):
    cache = EmbeddingCache(tmp_path, "enc", 8)
    cache.put("a", vec(1))
    cache.flush()
    stale = cache.directory / ".shard-00001-abcdef.tmp.npz"
    stale.write_bytes(b"half a shard")
    cache.put("b", vec(2))
    cache.flush()
    assert not stale.exists() and len(EmbeddingCache(tmp_path, "enc", 8)) == 2
