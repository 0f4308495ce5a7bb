"""Embedding cache keyed by a hash of (encoder id, embedded text).

An unchanged chunk is never encoded twice, by any build. Each build appends one shard file (written
under a temporary name, then renamed), so a crash loses at most that build's new vectors; shards are
merged when there are many.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

import numpy as np

MAX_SHARDS = 16


def text_key(encoder_id: str, text: str) -> str:
    return hashlib.sha256(f"{encoder_id}\x00{text}".encode()).hexdigest()[:32]


class EmbeddingCache:
    def __init__(self, directory: Path, encoder_id: str, dim: int):
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", encoder_id)[:80]
        digest = hashlib.sha256(encoder_id.encode()).hexdigest()[:8]
        self.directory = directory / f"{safe}-{digest}"
        self.encoder_id = encoder_id
        self.dim = dim
        self._vectors: dict[str, np.ndarray] = {}
        self._new: dict[str, np.ndarray] = {}
        self._load()

    def _shards(self) -> list[Path]:
        return sorted(self.directory.glob("shard-*.npz")) if self.directory.is_dir() else []

    def _load(self) -> None:
        for shard in self._shards():
            try:
                with np.load(shard) as data:
                    keys, vectors = data["keys"], data["vectors"]
            except (OSError, ValueError, KeyError):
                continue  # a damaged shard only costs re-encoding
            if vectors.ndim == 2 and vectors.shape[1] == self.dim:
                self._vectors.update(zip(keys.tolist(), vectors, strict=True))

    def __len__(self) -> int:
        return len(self._vectors)

    def get(self, key: str) -> np.ndarray | None:
        return self._vectors.get(key)

    def put(self, key: str, vector: np.ndarray) -> None:
        self._vectors[key] = vector
        self._new[key] = vector

    def flush(self) -> None:
        """Persist vectors added since the last flush as a new shard; merge when shards pile up."""
        if not self._new:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        self._write(self._new, f"shard-{len(self._shards()):05d}-{secrets.token_hex(3)}.npz")
        self._new = {}
        shards = self._shards()
        if len(shards) > MAX_SHARDS:
            self._write(self._vectors, f"shard-00000-{secrets.token_hex(3)}-merged.npz")
            for old in shards:
                old.unlink(missing_ok=True)

    def _write(self, items: dict[str, np.ndarray], name: str) -> None:
        keys = np.array(list(items), dtype="U32")
        vectors = np.stack(list(items.values())).astype(np.float32)
        tmp = self.directory / f".{name}.tmp.npz"
        np.savez(tmp, keys=keys, vectors=vectors)
        os.replace(tmp, self.directory / name)
