"""Caches keyed by content hash, shared by all builds, so an unchanged chunk costs (almost) nothing:
embeddings (encoding is the slowest step) and BM25 tokens (jieba is the next slowest).

Each flush appends one shard file (written under a temporary name, fsynced, then renamed), so a
crash loses at most the entries put since the last flush; the smallest shards are merged when
there are many. `compact` keeps only the entries a caller still needs (the build decides which
and when, kb/build/compact.py). Shards are Arrow IPC files sorted by key (kb/embed/shards.py),
read through memory maps: entries written by a flush leave memory, and a lookup reads only the
keys it searches and the values it returns, so a million-entry cache costs a build almost no
memory (issue 16; before, every entry stayed in a dict until the process ended). Shards of the
former format (.npz embeddings, .json tokens) are converted when a cache is opened. Never pickle:
a cache file someone tampered with must not be able to run code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import secrets
import zipfile
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa

from ..atomic import replace_file
from ..faults import fault_point
from .shards import WRITE_ROWS, Shard, check_key, key_array, merge_plan, write_shard

MAX_SHARDS = 16
COMPACTED = "compacted.json"  # {"kept": entries the last `compact` kept}
# what reading a truncated or overwritten shard raises (np.load of a broken .npz: BadZipFile)
DAMAGED = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)


def text_key(encoder_id: str, text: str) -> str:
    """Cache key of `text` under `encoder_id`: 32 hex characters (128 bits) of sha256 over both.
    Another encoder, variant or prompt (all part of the id) gives another key."""
    return hashlib.sha256(f"{encoder_id}\x00{text}".encode()).hexdigest()[:32]


QUERY_MARK = "\x00query\x00"


def side_key(encoder_id: str, text: str, query: bool) -> str:
    """Cache key of `text` encoded on the query side (`query` True: `encode_queries`, the e5
    `query: ` prefix) or the passage side (False: `text_key`). Query-side keys hash QUERY_MARK
    before the text, so one text encoded both ways keeps two entries."""
    return text_key(encoder_id, (QUERY_MARK if query else "") + text)


def _replace(final: Path, write: Callable[[BinaryIO], object]) -> None:
    """`replace_file` through the temporary `.<stem>.tmp<suffix>`, the name a later write looks
    for to remove what a killed build left behind."""
    replace_file(final, write, final.with_name(f".{final.stem}.tmp{final.suffix}"))


class _ShardedCache:
    """key -> value in the shards under `directory/<namespace>-<hash>`, plus the entries `put`
    since the last `flush` (in memory until then). Keys are `text_key`s (1-32 ASCII characters).
    No locking: one build writes at a time."""

    suffix = ".arrow"
    legacy = ""  # suffix of the former format's shards, converted at open
    column = ""
    value_type: pa.DataType

    def __init__(self, directory: Path, namespace: str):
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", namespace)[:80]
        digest = hashlib.sha256(namespace.encode()).hexdigest()[:8]
        self.directory = directory / f"{safe}-{digest}"
        self._new: dict = {}
        self._open: list[Shard] = []
        for path in self._shards():
            with contextlib.suppress(*DAMAGED):  # a damaged shard costs recomputing its entries
                self._open.append(Shard(path, self.column, self.value_type))
        self._convert_legacy()

    def _shards(self, suffix: str = "") -> list[Path]:
        pattern = f"shard-*{suffix or self.suffix}"
        return sorted(self.directory.glob(pattern)) if self.directory.is_dir() else []

    def __len__(self) -> int:
        return len(self._all_keys())

    def size_bound(self) -> int:
        """An upper bound of `len(self)` without reading a key: the rows of every shard plus the
        unflushed entries (a key stored in several shards is counted once per shard). One call
        of `len` sorts every key (0.25 CPU s for 200,000 entries)."""
        return sum(len(s) for s in self._open) + len(self._new)

    def _all_keys(self) -> np.ndarray:
        """Every distinct key, sorted, as an S32 array."""
        return np.unique(np.concatenate([s.keys for s in self._open] + [key_array(self._new)]))

    @property
    def _items(self) -> Mapping:
        """Read-only view key -> value of every entry (for tests and tools; reads the shards)."""
        return _Entries(self)

    def get(self, key: str):
        """The value stored under `key`, or None."""
        return self.get_many([key])[0]

    def get_many(self, keys: list[str]) -> list:
        """The value stored under each key (None where absent), in one pass over each shard; the
        pages read are released after."""
        wanted = key_array(keys)
        out: list = [None] * len(keys)
        todo = np.arange(len(keys))
        for shard in self._open:
            rows = shard.find(wanted[todo])
            hit = rows >= 0
            if hit.any():
                for at, value in zip(todo[hit], self._gather(shard, rows[hit]), strict=True):
                    out[at] = value
                shard.release()
            todo = todo[~hit]
        for at in todo:
            out[at] = self._new.get(keys[at])
        return out

    def put(self, key: str, value) -> None:
        """Store `value` under `key`, in memory until the next `flush`. Raises ValueError for a
        key that is not 1-32 ASCII characters."""
        check_key(key)
        self._new[key] = value

    def flush(self) -> None:
        """Persist entries added since the last flush as a new shard, then drop them from memory;
        merge the smallest shards when there are more than MAX_SHARDS. Temporary files a killed
        build left behind are removed. Raises OSError (disk full); the unwritten entries stay in
        memory and no temporary file is left."""
        if not self._new:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temporaries()
        keys = sorted(self._new)
        values = self._arrow([self._new[k] for k in keys])
        stem = f"shard-{len(self._shards()):05d}-{secrets.token_hex(3)}"
        path = self._write_atomic([(key_array(keys), values)], stem)
        self._new = {}
        self._open.append(Shard(path, self.column, self.value_type))
        if len(self._open) > MAX_SHARDS:
            # the smallest ones: each entry is rewritten about log(entries) times, not per flush
            small = sorted(self._open, key=len)[: len(self._open) - MAX_SHARDS // 2]
            merged = self._rewrite(small, f"shard-00000-{secrets.token_hex(3)}-merged")
            for old in small:
                old.path.unlink(missing_ok=True)
            self._open = [s for s in self._open if s not in small]
            self._open.append(Shard(merged, self.column, self.value_type))

    def compact(self, keep: Collection[str]) -> int:
        """Rewrite the cache as one shard holding only the entries whose key is in `keep`; returns
        how many entries were dropped. Crash-safe: the new shard is complete (fsynced, renamed)
        before any old shard is deleted, and a crash in between leaves duplicate entries, which
        read as one (fault point `during-compact`). Raises OSError (disk full): the cache is then
        unchanged."""
        self.flush()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temporaries()
        shards, before = self._shards(), len(self)
        keep_keys = key_array(keep)
        compacted = self._rewrite(
            self._open, f"shard-00000-{secrets.token_hex(3)}-compacted", keep_keys
        )
        fault_point("during-compact")
        for old in shards:
            old.unlink(missing_ok=True)
        self._open = [Shard(compacted, self.column, self.value_type)]
        with contextlib.suppress(OSError):  # only a hint for when to compact next
            note = json.dumps({"kept": len(self._open[0])}).encode()
            _replace(self.directory / COMPACTED, lambda f: f.write(note))
        return before - len(self._open[0])

    @property
    def compacted_size(self) -> int:
        """Entries the last `compact` kept (0 when never compacted, or its note is unreadable)."""
        try:
            kept = json.loads((self.directory / COMPACTED).read_text(encoding="utf-8"))["kept"]
        except (OSError, ValueError, KeyError, TypeError):
            return 0
        return kept if isinstance(kept, int) and kept >= 0 else 0

    def _remove_stale_temporaries(self) -> None:
        """Temporary shard files of a build that was killed (one build writes at a time)."""
        for tmp in self.directory.glob(".shard-*.tmp*"):
            tmp.unlink(missing_ok=True)

    def _rewrite(self, shards: list[Shard], stem: str, keep: np.ndarray | None = None) -> Path:
        """One new shard with every distinct entry of `shards` (those in `keep` only, when
        given), written WRITE_ROWS entries at a time, so no shard is ever held whole."""
        keys, source, rows = merge_plan(shards, keep)

        def batches():
            for start in range(0, len(keys), WRITE_ROWS):
                part = slice(start, start + WRITE_ROWS)
                values: list = [None] * len(keys[part])
                for s in np.unique(source[part]):
                    at = np.flatnonzero(source[part] == s)
                    for i, value in zip(at, self._gather(shards[s], rows[part][at]), strict=True):
                        values[i] = value
                    shards[s].release()
                yield keys[part], self._arrow(values)

        return self._write_atomic(batches(), stem)

    def _write_atomic(self, batches, stem: str) -> Path:
        final = self.directory / f"{stem}{self.suffix}"
        _replace(final, lambda f: write_shard(f, self.column, self.value_type, batches))
        return final

    def _convert_legacy(self) -> None:
        """Move the entries of former-format shards into one new shard, then delete them; when
        the folder cannot be written they stay in memory (this process still uses them)."""
        old = self._shards(self.legacy) if self.legacy else []
        for path in old:
            with contextlib.suppress(*DAMAGED):
                self._new.update(self._read_legacy(path))
        with contextlib.suppress(OSError):
            self.flush()
            for path in old:
                path.unlink(missing_ok=True)

    def _gather(self, shard: Shard, rows: np.ndarray) -> list:
        raise NotImplementedError

    def _arrow(self, values: list) -> pa.Array:
        raise NotImplementedError

    def _read_legacy(self, path: Path) -> dict:
        raise NotImplementedError


class _Entries(Mapping):
    """`_ShardedCache._items`: a read-only mapping over a cache's entries."""

    def __init__(self, cache: _ShardedCache):
        self._cache = cache

    def __iter__(self) -> Iterator[str]:
        return (k.decode() for k in self._cache._all_keys())

    def __len__(self) -> int:
        return len(self._cache)

    def __getitem__(self, key: str):
        value = self._cache.get(key)
        if value is None:
            raise KeyError(key)
        return value


class EmbeddingCache(_ShardedCache):
    """Vectors by hash of (encoder id, embedded text): `text_key(encoder.id, text)` -> (dim,)
    float32 vector as the encoder returned it (L2-normalised, before any language projection).
    Shard value column `vector`: fixed_size_list<float32>[dim]; a shard of another dimension is
    skipped."""

    legacy = ".npz"
    column = "vector"

    def __init__(self, directory: Path, encoder_id: str, dim: int):
        self.dim = dim
        self.value_type = pa.list_(pa.float32(), dim)
        super().__init__(directory, encoder_id)

    def get(self, key: str):
        """The (dim,) float32 vector under `key` (a copy), or None: absent, or its shard is
        damaged or of another dimension (the caller encodes the text again)."""
        return super().get(key)

    def _gather(self, shard: Shard, rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(rows), self.dim), dtype=np.float32)
        for at, chunk, local in shard.pieces(rows):
            flat = chunk.flatten().to_numpy(zero_copy_only=True)
            out[at] = flat.reshape(-1, self.dim)[local]
        return out

    def _arrow(self, values: list) -> pa.Array:
        flat = np.stack(values).astype(np.float32) if values else np.zeros((0, self.dim))
        return pa.FixedSizeListArray.from_arrays(pa.array(flat.reshape(-1), pa.float32()), self.dim)

    def _read_legacy(self, path: Path) -> dict:
        with np.load(path) as data:
            keys, vectors = data["keys"], data["vectors"]
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            return {}
        return dict(zip(keys.tolist(), vectors.astype(np.float32), strict=True))


class TokenCache(_ShardedCache):
    """BM25 token lists (list[str]) by hash of (text settings, tokeniser revision, keyword text),
    `settings` being `settings_dict(TextSettings)` and the revision kb.text's TOKENISER_REVISION
    (so token lists of older normalising or tokenising rules are not reused). Shard value column
    `tokens`: the tokens space-joined (tokens never contain whitespace, kb.text.TOKEN_RE, so the
    join is lossless)."""

    legacy = ".json"
    column = "tokens"
    value_type = pa.string()

    def __init__(self, directory: Path, settings: dict):
        from ..text import TOKENISER_REVISION

        revised = {**settings, "tokeniser": TOKENISER_REVISION}
        self.settings_key = json.dumps(revised, sort_keys=True)
        super().__init__(directory, f"tokens-{self.settings_key}")

    def key(self, text: str) -> str:
        """The cache key of a keyword text under these text settings (`text_key`)."""
        return text_key(self.settings_key, text)

    def _gather(self, shard: Shard, rows: np.ndarray) -> list[list[str]]:
        out: list = [None] * len(rows)
        for at, chunk, local in shard.pieces(rows):
            for i, text in zip(at, chunk.take(pa.array(local)).to_pylist(), strict=True):
                out[i] = text.split(" ") if text else []
        return out

    def _arrow(self, values: list) -> pa.Array:
        return pa.array([" ".join(v) for v in values], pa.string())

    def _read_legacy(self, path: Path) -> dict:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {k: v.split(" ") if v else [] for k, v in data.items()}
