"""Embedding and token caches: what was put comes back, across processes, merges and damage;
a killed build's temporary shard is removed by the next write."""

from __future__ import annotations

import numpy as np

from kb.embed.cache import MAX_SHARDS, EmbeddingCache, TokenCache


def vec(i: int, dim: int = 8) -> np.ndarray:
    return np.random.default_rng(i).standard_normal(dim).astype(np.float32)


def test_embeddings_round_trip_and_load_lazily(tmp_path):
    cache = EmbeddingCache(tmp_path, "enc", 8)
    for i in range(5):
        cache.put(f"k{i}", vec(i))
    cache.flush()
    again = EmbeddingCache(tmp_path, "enc", 8)
    assert len(again) == 5
    assert again._shard_vectors == {}  # only keys were read
    assert np.array_equal(again.get("k3"), vec(3))
    assert again.get("missing") is None
    assert EmbeddingCache(tmp_path, "other-encoder", 8).get("k3") is None


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


def test_a_killed_builds_temporary_shard_is_removed_by_the_next_write(tmp_path):
    cache = EmbeddingCache(tmp_path, "enc", 8)
    cache.put("a", vec(1))
    cache.flush()
    stale = cache.directory / ".shard-00001-abcdef.tmp.npz"
    stale.write_bytes(b"half a shard")
    cache.put("b", vec(2))
    cache.flush()
    assert not stale.exists() and len(EmbeddingCache(tmp_path, "enc", 8)) == 2
