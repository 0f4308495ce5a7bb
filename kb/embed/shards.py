"""Cache shard files: Arrow IPC files of entries sorted by key, read through a memory map.

A shard holds two columns: `key` (fixed_size_binary(KEY_BYTES), strictly increasing, so a lookup
is a binary search over the memory-mapped keys) and one value column (the caches in
kb/embed/cache.py choose its type). Nothing of a shard is copied into memory when it is opened
except, for a shard written in several record batches, its keys (KEY_BYTES per entry); values are
read from the map only when asked for, and `Shard.release` hands the pages read so far back to
the kernel (madvise DONTNEED: the file stays, this process's resident memory shrinks), so reading
every entry once does not leave the whole shard resident (issue 16: a build's peak memory).
Arrow IPC rather than .npz or JSON: it is memory-mappable, written batch by batch (a merge never
holds a whole shard), and holds no code to run (never pickle).
"""

from __future__ import annotations

import mmap
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa

KEY_BYTES = 32  # text_key() gives 32 hex characters
WRITE_ROWS = 8192  # entries per record batch of a merged shard


def key_array(keys: Iterable[str]) -> np.ndarray:
    """(n,) S32 array of `keys`; a key that is not ASCII or longer than KEY_BYTES becomes b""
    (it can never be stored, so it never matches)."""
    return np.array(
        [k.encode() if k.isascii() and len(k) <= KEY_BYTES else b"" for k in keys],
        dtype=f"S{KEY_BYTES}",
    )


def check_key(key: str) -> None:
    """Raises ValueError unless `key` can be stored: ASCII, 1..KEY_BYTES characters."""
    if not (key.isascii() and 0 < len(key) <= KEY_BYTES):
        raise ValueError(f"cache key {key!r} is not 1-{KEY_BYTES} ASCII characters (text_key)")


def _key_view(chunk: pa.Array) -> np.ndarray:
    data = np.frombuffer(chunk.buffers()[1], dtype=f"S{KEY_BYTES}")
    return data[chunk.offset : chunk.offset + len(chunk)]


class Shard:
    """One shard file, memory-mapped. `keys`: (n,) S32 sorted; `chunks`: the value column's
    record-batch arrays; `starts`: (batches + 1,) int64 first row of each. Raises OSError or
    ValueError (pyarrow.ArrowInvalid is one) for a missing, damaged or unsorted file."""

    def __init__(self, path: Path, column: str, value_type: pa.DataType):
        self.path = path
        with open(path, "rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        table = pa.ipc.open_file(pa.BufferReader(pa.py_buffer(self._map))).read_all()
        table.validate(full=True)  # offsets a tampered file points out of bounds raise here
        if table.schema.names != ["key", column] or table.schema.field(column).type != value_type:
            raise ValueError(f"{path}: unexpected columns {table.schema}")
        if table.schema.field("key").type != pa.binary(KEY_BYTES):
            raise ValueError(f"{path}: keys are not {KEY_BYTES} bytes")
        parts = [_key_view(c) for c in table.column("key").chunks]
        self.keys = parts[0] if len(parts) == 1 else np.concatenate(parts or [key_array([])])
        if len(self.keys) > 1 and not bool(np.all(self.keys[1:] > self.keys[:-1])):
            raise ValueError(f"{path}: keys are not sorted")
        self.chunks = table.column(column).chunks
        self.starts = np.cumsum([0] + [len(c) for c in self.chunks]).astype(np.int64)
        self.release()

    def __len__(self) -> int:
        return len(self.keys)

    def find(self, keys: np.ndarray) -> np.ndarray:
        """(len(keys),) int64: the row of each key in this shard, -1 where absent."""
        if not len(self.keys):
            return np.full(len(keys), -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[pos] == keys, pos, -1).astype(np.int64)

    def pieces(self, rows: np.ndarray) -> Iterator[tuple[np.ndarray, pa.Array, np.ndarray]]:
        """(positions in `rows`, record-batch array, rows local to it) for each batch `rows` hit."""
        which = np.searchsorted(self.starts, rows, side="right") - 1
        for b in np.unique(which):
            at = np.flatnonzero(which == b)
            yield at, self.chunks[b], rows[at] - self.starts[b]

    def release(self) -> None:
        """Drop the pages read so far from this process's resident memory (they are re-read
        from the file, or the page cache, when needed again)."""
        if hasattr(mmap, "MADV_DONTNEED") and len(self._map):
            self._map.madvise(mmap.MADV_DONTNEED)


def write_shard(
    file: BinaryIO,
    column: str,
    value_type: pa.DataType,
    batches: Iterable[tuple[np.ndarray, pa.Array]],
) -> None:
    """Write (keys (m,) S32, values) record batches to `file` as one shard; the caller gives
    the keys sorted and unique across all batches."""
    schema = pa.schema([("key", pa.binary(KEY_BYTES)), (column, value_type)])
    with pa.ipc.new_file(file, schema) as writer:
        for keys, values in batches:
            keys = np.ascontiguousarray(keys, dtype=f"S{KEY_BYTES}")
            array = pa.FixedSizeBinaryArray.from_buffers(
                pa.binary(KEY_BYTES), len(keys), [None, pa.py_buffer(keys.tobytes())]
            )
            writer.write_batch(pa.record_batch([array, values], schema=schema))


def merge_plan(shards: list[Shard], keep: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """(keys, shard index, row) of every distinct key of `shards` (only those in `keep`, an S32
    array, when given), sorted by key; a key in several shards is taken from the first."""
    sizes = [len(s) for s in shards]
    keys = np.concatenate([s.keys for s in shards] or [key_array([])])
    source = np.repeat(np.arange(len(shards), dtype=np.int64), sizes)
    rows = np.concatenate([np.arange(n, dtype=np.int64) for n in sizes] or [np.zeros(0, np.int64)])
    if keep is not None:
        wanted = np.isin(keys, keep)
        keys, source, rows = keys[wanted], source[wanted], rows[wanted]
    order = np.argsort(keys, kind="stable")  # ties stay in shard order
    keys, source, rows = keys[order], source[order], rows[order]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return keys[first], source[first], rows[first]
