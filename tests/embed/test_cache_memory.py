"""The caches after issue 16: flushed entries leave memory (shards are memory-mapped Arrow files),
only the smallest shards are merged, the former .npz/.json shards are converted, and a shard that
is not what it claims (unsorted, foreign columns) is skipped."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest

from kb.embed.cache import MAX_SHARDS, EmbeddingCache, TokenCache


def vec(i: int, dim: int = 64) -> np.ndarray:
    return np.random.default_rng(i).standard_normal(dim).astype(np.float32)


@pytest.mark.parametrize("entries", [500, 3000])
def test_flushed_entries_leave_memory(tmp_path, entries):
    warm = EmbeddingCache(tmp_path / "warm", "enc", 64)  # first-use imports and buffers
    warm.put("k", vec(0))
    warm.flush()
    tracemalloc.start()
    try:
        cache = EmbeddingCache(tmp_path, "enc", 64)
        before = tracemalloc.get_traced_memory()[0]
        for i in range(entries):
            cache.put(f"k{i}", vec(i))
        cache.flush()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 0.1 * entries * 64 * 4  # the vectors alone are entries * 256 bytes
    assert np.array_equal(cache.get(f"k{entries - 1}"), vec(entries - 1))


def test_get_many_mixes_flushed_and_unflushed_entries(tmp_path):
    cache = TokenCache(tmp_path, {"char_bigrams": True})
    cache.put(cache.key("a"), ["x", "y"])
    cache.flush()
    cache.put(cache.key("b"), [])
    keys = [cache.key(t) for t in ("b", "missing", "a", "a")]
    assert cache.get_many(keys) == [[], None, ["x", "y"], ["x", "y"]]
    assert cache.get("é" * 3) is None  # a key that can never be stored is simply absent


@pytest.mark.parametrize("key", ["", "é", "x" * 33])
def test_keys_that_cannot_be_stored_are_refused(tmp_path, key):
    with pytest.raises(ValueError, match="ASCII"):
        EmbeddingCache(tmp_path, "enc", 64).put(key, vec(1))


def test_merging_rewrites_the_small_shards_not_the_big_one(tmp_path):
    cache = EmbeddingCache(tmp_path, "enc", 64)
    for i in range(1000):
        cache.put(f"big{i}", vec(i))
    cache.flush()
    (big,) = cache._shards()
    for i in range(MAX_SHARDS + 1):
        cache.put(f"small{i}", vec(i))
        cache.flush()
    assert big in cache._shards() and len(cache._shards()) <= MAX_SHARDS
    reopened = EmbeddingCache(tmp_path, "enc", 64)
    assert len(reopened) == 1000 + MAX_SHARDS + 1
    assert np.array_equal(reopened.get("small3"), vec(3))
    assert np.array_equal(reopened.get("big999"), vec(999))


def test_former_format_shards_are_converted(tmp_path):
    cache = EmbeddingCache(tmp_path, "enc", 64)
    tokens = TokenCache(tmp_path, {"char_bigrams": True})
    for folder in (cache.directory, tokens.directory):
        folder.mkdir(parents=True)
    with open(cache.directory / "shard-00000-abcdef.npz", "wb") as f:
        np.savez(f, keys=np.array(["k1", "k2"], dtype="U32"), vectors=np.stack([vec(1), vec(2)]))
    old = {tokens.key("提现"): "提现 到账", tokens.key("空"): ""}
    (tokens.directory / "shard-00000-abcdef.json").write_text(json.dumps(old), encoding="utf-8")
    again = EmbeddingCache(tmp_path, "enc", 64)
    assert np.array_equal(again.get("k2"), vec(2)) and len(again) == 2
    assert [p.suffix for p in again._shards()] == [".arrow"]
    assert not list(again.directory.glob("*.npz"))
    converted = TokenCache(tmp_path, {"char_bigrams": True})
    assert converted.get(tokens.key("提现")) == ["提现", "到账"]
    assert converted.get(tokens.key("空")) == []
    assert not list(converted.directory.glob("*.json"))


def test_a_shard_that_is_not_what_it_claims_is_skipped(tmp_path):
    cache = EmbeddingCache(tmp_path, "enc", 64)
    cache.put("good", vec(1))
    cache.flush()
    cache.put("b", vec(2))
    cache.put("a", vec(3))
    cache.flush()
    # swap the keys in the second shard: same bytes, unsorted (a binary search would be wrong)
    second = next(p for p in cache._shards() if p.read_bytes().count(b"a\0\0") == 1)
    data = bytearray(second.read_bytes())
    at = data.index(b"a" + b"\0" * 31 + b"b")
    data[at], data[at + 32] = ord("b"), ord("a")
    second.write_bytes(bytes(data))
    reopened = EmbeddingCache(tmp_path, "enc", 64)
    assert np.array_equal(reopened.get("good"), vec(1))
    assert reopened.get("a") is None and reopened.get("b") is None
    other_dim = EmbeddingCache(tmp_path, "enc", 32)  # same folder, vectors of another dimension
    assert other_dim.get("good") is None and len(other_dim) == 0


def test_token_lists_of_an_older_tokeniser_revision_are_not_reused(tmp_path, monkeypatch):
    import kb.text

    settings = {"char_bigrams": True}
    cache = TokenCache(tmp_path, settings)
    cache.put(cache.key("如何登出"), ["如何", "注销"])  # what the rules before revision 2 gave
    cache.flush()
    assert TokenCache(tmp_path, settings).get_many([cache.key("如何登出")]) == [["如何", "注销"]]
    monkeypatch.setattr(kb.text, "TOKENISER_REVISION", kb.text.TOKENISER_REVISION + 1)
    newer = TokenCache(tmp_path, settings)
    assert newer.get_many([newer.key("如何登出")]) == [None]
