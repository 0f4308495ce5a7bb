"""Caches keyed by content hash, shared by all builds, so an unchanged chunk costs (almost) nothing:
embeddings (encoding is the slowest step) and BM25 tokens (jieba is the next slowest).

Each build appends one shard file (written under a temporary name, then renamed), so a crash loses
at most that build's new entries; shards are merged when there are many. Token shards are JSON,
never pickle: a cache file someone tampered with must not be able to run code.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from pathlib import Path

import numpy as np

MAX_SHARDS = 16


def text_key(encoder_id: str, text: str) -> str:
    return hashlib.sha256(f"{encoder_id}\x00{text}".encode()).hexdigest()[:32]


class _ShardedCache:
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
            except (OSError, ValueError, KeyError):
                continue  # a damaged shard only costs recomputing its entries

    def _shards(self) -> list[Path]:
        return (
            sorted(self.directory.glob(f"shard-*{self.suffix}")) if self.directory.is_dir() else []
        )

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str):
        return self._items.get(key)

    def put(self, key: str, value) -> None:
        self._items[key] = value
        self._new[key] = value

    def flush(self) -> None:
        """Persist entries added since the last flush as a new shard; merge when shards pile up."""
        if not self._new:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        self._write_atomic(self._new, f"shard-{len(self._shards()):05d}-{secrets.token_hex(3)}")
        self._new = {}
        shards = self._shards()
        if len(shards) > MAX_SHARDS:
            self._write_atomic(self._items, f"shard-00000-{secrets.token_hex(3)}-merged")
            for old in shards:
                old.unlink(missing_ok=True)

    def _write_atomic(self, items: dict, stem: str) -> None:
        tmp = self.directory / f".{stem}.tmp{self.suffix}"
        self._write(items, tmp)
        os.replace(tmp, self.directory / f"{stem}{self.suffix}")

    def _read(self, path: Path) -> dict:
        raise NotImplementedError

    def _write(self, items: dict, path: Path) -> None:
        raise NotImplementedError


class EmbeddingCache(_ShardedCache):
    """Vectors by hash of (encoder id, embedded text)."""

    suffix = ".npz"

    def __init__(self, directory: Path, encoder_id: str, dim: int):
        self.encoder_id, self.dim = encoder_id, dim
        super().__init__(directory, encoder_id)

    def _read(self, path: Path) -> dict:
        with np.load(path) as data:
            keys, vectors = data["keys"], data["vectors"]
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            return {}
        return dict(zip(keys.tolist(), vectors, strict=True))

    def _write(self, items: dict, path: Path) -> None:
        np.savez(
            path,
            keys=np.array(list(items), dtype="U32"),
            vectors=np.stack(list(items.values())).astype(np.float32),
        )


class TokenCache(_ShardedCache):
    """BM25 token lists by hash of (text settings, keyword text)."""

    suffix = ".json"

    def __init__(self, directory: Path, settings: dict):
        self.settings_key = json.dumps(settings, sort_keys=True)
        super().__init__(directory, f"tokens-{self.settings_key}")

    def key(self, text: str) -> str:
        return text_key(self.settings_key, text)

    def _read(self, path: Path) -> dict:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {k: v.split(" ") if v else [] for k, v in data.items()}

    def _write(self, items: dict, path: Path) -> None:
        # tokens never contain whitespace (kb.text.TOKEN_RE), so a space joins them losslessly
        path.write_text(
            json.dumps({k: " ".join(v) for k, v in items.items()}, ensure_ascii=False),
            encoding="utf-8",
        )
