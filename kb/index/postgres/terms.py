"""BM25 from a version's `terms` table: each query term's postings arrive as two arrays in one row
(kb/index/postgres/schema.py), are summed with numpy, and are kept in a bounded cache.

Why not SQL: summing one row per posting (`GROUP BY chunk`) costs the database ~0.1-0.2 us a
posting, and a query's postings number a large share of the chunks (character unigrams such as
账 or 的 occur in most chunks), so at 100k chunks that was most of a search's time
(docs/benchmarks/postgres-100000.md). Fetched as arrays, the same sum is the file backend's
(bm25s: scattered adds over the query terms' postings), and a version never changes, so the arrays
can be cached by the searching process.
"""

from __future__ import annotations

import collections
import threading

import numpy as np
from psycopg import sql

CACHE_BYTES = 256 << 20  # postings arrays a keyword index keeps between searches
ENTRY_BYTES = 200  # what the cache counts for an entry besides its arrays (dict slot, key, tuple)
# a term the partition does not have: kept too (a version never changes), or every search with
# a word the help center lacks (an English word, a pinyin form) would ask the database again
ABSENT = (np.zeros(0, dtype="<i4"), np.zeros(0, dtype="<f4"))


class TermLists:
    """term -> (chunk rows int32 array, impacts float32 array) from the `terms` table `table`,
    least recently used first out beyond `budget` bytes (terms the table lacks are remembered
    as absent, at ENTRY_BYTES each)."""

    def __init__(self, db, table: sql.Composed, budget: int | None = None):
        self.db, self.table = db, table
        self.budget = CACHE_BYTES if budget is None else budget
        self._cache: collections.OrderedDict[str, tuple[np.ndarray, np.ndarray]] = (
            collections.OrderedDict()
        )
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, terms: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The postings of each of `terms` the partition has (absent terms are left out).
        Raises psycopg.Error when no server answers."""
        wanted = list(dict.fromkeys(t for t in terms if t))
        with self._lock:
            found = {t: self._cache[t] for t in wanted if t in self._cache}
            for t in found:
                self._cache.move_to_end(t)
        missing = [t for t in wanted if t not in found]
        if missing:
            statement = sql.SQL("SELECT term, chunks, impacts FROM {} WHERE term = ANY(%s)")
            for term, chunks, impacts in self.db.query(
                statement.format(self.table), [missing], binary=True
            ):
                found[term] = (np.frombuffer(chunks, "<i4"), np.frombuffer(impacts, "<f4"))
            self._keep({t: found.get(t, ABSENT) for t in missing})
        return {t: lists for t, lists in found.items() if len(lists[0])}

    def _keep(self, new: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        with self._lock:
            for term, lists in new.items():
                if term not in self._cache:
                    self._cache[term] = lists
                    self._bytes += lists[0].nbytes + lists[1].nbytes + ENTRY_BYTES
            while self._bytes > self.budget and self._cache:
                _, (chunks, impacts) = self._cache.popitem(last=False)
                self._bytes -= chunks.nbytes + impacts.nbytes + ENTRY_BYTES


def top_n(
    lists: dict[str, tuple[np.ndarray, np.ndarray]],
    terms: list[str],
    count: int,
    n: int,
    mask: np.ndarray | None,
) -> list[tuple[int, float]]:
    """The best `n` (row, score) of `count` rows: a row's score is the sum of its query terms'
    impacts (a repeated query term counts again), added in float64 and given as float32, as the
    SQL it replaces did; positive scores only, best first, ties by row; `mask` ((count,) bool)
    limits the rows."""
    found = [(lists[t], times) for t, times in collections.Counter(terms).items() if t in lists]
    if not found:
        return []
    # one bincount over every term's postings, in term order: the same float64 additions per
    # row as a scattered add per term, in one pass (as the file backend, kb/index/postings.py)
    scores = np.bincount(
        np.concatenate([chunks for (chunks, _), _ in found]),
        np.concatenate([impacts.astype(np.float64) * times for (_, impacts), times in found]),
        minlength=count,
    )
    if mask is not None:
        scores[~mask] = 0.0
    rows = np.flatnonzero(scores > 0)
    values = scores[rows]
    if rows.size > n:
        kth = np.partition(values, rows.size - n)[rows.size - n]  # the n-th best score
        keep = values >= kth  # every row tied with it stays, so ties go by row below
        rows, values = rows[keep], values[keep]
    order = np.lexsort((rows, -values))[:n]
    return [(int(rows[i]), float(np.float32(values[i]))) for i in order]
