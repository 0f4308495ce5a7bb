"""Caches keyed by content hash, shared by all builds, so an unchanged chunk costs (almost) nothing:
embeddings (encoding is the slowest step) and BM25 tokens (jieba is the next slowest).

Each build appends one shard file (written under a temporary name, fsynced, then renamed), so a
crash loses at most that build's new entries; shards are merged when there are many. `compact`
keeps only the entries a caller still needs (the build decides which and when, kb/build/compact.py).
Token shards are JSON, never pickle: a cache file someone tampered with must not be able to run
code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import secrets
import zipfile
from collections.abc import Callable, Collection
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..atomic import replace_file
from ..faults import fault_point

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
    """key -> value, loaded from every readable shard under `directory/<namespace>-<hash>` at
    construction; `put` entries reach disk at `flush`. No locking: one build writes at a time."""

    suffix = ""

    def __init__(self, directory: Path, namespace: str):
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", namespace)[:80]
        digest = hashlib.sha256(namespace.encode()).hexdigest()[:8]
        self.directory = directory / f"{safe}-{digest}"
        self._items: dict = {}
        self._new: dict = {}
        for shard in self._shards():
            try:
                self._items.update(self._read(shard))
            except DAMAGED:
                continue  # a damaged shard only costs recomputing its entries

    def _shards(self) -> list[Path]:
        return (
            sorted(self.directory.glob(f"shard-*{self.suffix}")) if self.directory.is_dir() else []
        )

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str):
        """The value stored under `key`, or None."""
        return self._items.get(key)

    def put(self, key: str, value) -> None:
        """Store `value` under `key`, in memory until the next `flush`."""
        self._items[key] = value
        self._new[key] = value

    def flush(self) -> None:
        """Persist entries added since the last flush as a new shard; merge when shards pile up.
        Temporary files a killed build left behind are removed. Raises OSError (disk full); the
        unwritten entries stay in memory and no temporary file is left."""
        if not self._new:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temporaries()
        self._write_atomic(self._new, f"shard-{len(self._shards()):05d}-{secrets.token_hex(3)}")
        self._new = {}
        shards = self._shards()
        if len(shards) > MAX_SHARDS:
            merged = self._write_atomic(self._items, f"shard-00000-{secrets.token_hex(3)}-merged")
            for old in shards:
                old.unlink(missing_ok=True)
            self._merged(merged, self._items)

    def compact(self, keep: Collection[str]) -> int:
        """Rewrite the cache as one shard holding only the entries whose key is in `keep`; returns
        how many entries were dropped. Crash-safe: the new shard is complete (fsynced, renamed)
        before any old shard is deleted, and a crash in between leaves duplicate entries, which
        read as one (fault point `during-compact`). Raises OSError (disk full): the cache is then
        unchanged."""
        self.flush()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temporaries()
        shards = self._shards()
        kept = {k: v for k, v in self._items.items() if k in keep}
        compacted = self._write_atomic(kept, f"shard-00000-{secrets.token_hex(3)}-compacted")
        fault_point("during-compact")
        for old in shards:
            old.unlink(missing_ok=True)
        dropped = len(self._items) - len(kept)
        self._merged(compacted, kept)
        with contextlib.suppress(OSError):  # only a hint for when to compact next
            note = json.dumps({"kept": len(kept)}).encode()
            _replace(self.directory / COMPACTED, lambda f: f.write(note))
        return dropped

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
        for tmp in self.directory.glob(f".shard-*.tmp{self.suffix}"):
            tmp.unlink(missing_ok=True)

    def _merged(self, path: Path, items: dict) -> None:
        """Every entry, `items`, now lives in `path`."""
        self._items = dict(items)

    def _write_atomic(self, items: dict, stem: str) -> Path:
        final = self.directory / f"{stem}{self.suffix}"
        _replace(final, lambda f: self._write(items, f))
        return final

    def _read(self, path: Path) -> dict:
        raise NotImplementedError

    def _write(self, items: dict, file: BinaryIO) -> None:
        raise NotImplementedError


class EmbeddingCache(_ShardedCache):
    """Vectors by hash of (encoder id, embedded text): `text_key(encoder.id, text)` -> (dim,)
    float32 vector as the encoder returned it (L2-normalised, before any language projection).
    Shards are .npz files (keys as U32, vectors as (n, dim) float32)."""

    suffix = ".npz"

    def __init__(self, directory: Path, encoder_id: str, dim: int):
        self.dim = dim
        self._shard_vectors: dict[Path, np.ndarray | None] = {}
        super().__init__(directory, encoder_id)

    def _read(self, path: Path) -> dict:
        """Only the keys: a shard's vectors are read when one of them is first asked for, so an
        incremental build that encodes a few chunks does not read the whole cache."""
        with np.load(path) as data:
            keys = data["keys"]
        return {key: (path, row) for row, key in enumerate(keys.tolist())}

    def get(self, key: str):
        """The (dim,) float32 vector under `key`, or None: absent, or its shard is damaged or of
        another dimension (the caller encodes the text again). A shard's vectors are read on the
        first `get` that needs them, then kept."""
        value = self._items.get(key)
        if not isinstance(value, tuple):
            return value
        path, row = value
        if path not in self._shard_vectors:
            try:
                with np.load(path) as data:
                    vectors = data["vectors"]
                ok = vectors.ndim == 2 and vectors.shape[1] == self.dim
                self._shard_vectors[path] = vectors if ok else None
            except DAMAGED:
                self._shard_vectors[path] = None  # damaged: its entries are encoded again
        vectors = self._shard_vectors[path]
        return None if vectors is None or row >= len(vectors) else vectors[row]

    def _merged(self, path: Path, items: dict) -> None:
        self._items, self._shard_vectors = self._read(path), {}

    def _write(self, items: dict, file: BinaryIO) -> None:
        keys = [k for k in items if self.get(k) is not None or not isinstance(items[k], tuple)]
        np.savez(
            file,
            keys=np.array(keys, dtype="U32"),
            vectors=np.stack(
                [items[k] if not isinstance(items[k], tuple) else self.get(k) for k in keys]
            ).astype(np.float32)
            if keys
            else np.zeros((0, self.dim), np.float32),
        )


class TokenCache(_ShardedCache):
    """BM25 token lists (list[str]) by hash of (text settings, keyword text), `settings` being
    `settings_dict(TextSettings)`. Shards are JSON (token lists space-joined)."""

    suffix = ".json"

    def __init__(self, directory: Path, settings: dict):
        self.settings_key = json.dumps(settings, sort_keys=True)
        super().__init__(directory, f"tokens-{self.settings_key}")

    def key(self, text: str) -> str:
        """The cache key of a keyword text under these text settings (`text_key`)."""
        return text_key(self.settings_key, text)

    def _read(self, path: Path) -> dict:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {k: v.split(" ") if v else [] for k, v in data.items()}

    def _write(self, items: dict, file: BinaryIO) -> None:
        # tokens never contain whitespace (kb.text.TOKEN_RE), so a space joins them losslessly
        text = json.dumps({k: " ".join(v) for k, v in items.items()}, ensure_ascii=False)
        file.write(text.encode("utf-8"))
