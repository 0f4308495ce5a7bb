"""Hybrid retrieval: BM25 and dense hits fused (weighted RRF or a convex combination of min-max
scaled scores, kb/options.py `Fusion`), each BM25 hit scaled by how much of the query it covers
(kb/options.py `Coverage`)."""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..options import Fusion, SearchSettings
from .dense import DenseRetriever
from .fusion import convex, rrf
from .hits import Hit
from .keyword import KeywordRetriever

# remote vector searches one process runs at once beside their BM25 sides; more wait their turn
# (the service runs a few searches at a time: kb/service)
WORKERS = 8


class HybridRetriever:
    """`Retriever` fusing BM25 and dense hits (SearchSettings: fusion, rrf_k, bm25_weight,
    dense_weight, bm25_share, coverage); scores are fused scores: RRF > 0 with positive weights,
    convex in 0..1.

    The query is encoded first, on this thread. A vector index that searches in another process
    (`VectorIndex.remote`: PostgreSQL + pgvector) is then asked on a worker thread while this
    one computes BM25, so a search waits for the longer of the two, not their sum. A local index
    (FAISS) is searched after BM25 on this thread: running BM25 in a thread beside the encoder
    was measured 1.8x slower on 2 cores, because it competes with the encoder's own OpenMP
    threads (docs/BENCHMARKS.md)."""

    def __init__(self, keyword: KeywordRetriever, dense: DenseRetriever, settings: SearchSettings):
        self.keyword, self.dense, self.settings = keyword, dense, settings
        self._workers: ThreadPoolExecutor | None = None  # made on the first remote search
        self._lock = threading.Lock()

    def search(
        self,
        query: str,
        top_k: int,
        mask: np.ndarray | None = None,
        bm25_share: float | None = None,
    ) -> list[Hit]:
        """Fused hits, best first, each carrying its BM25 and dense scores where found. Each
        side is asked for `top_k` candidates (the caller sets the count:
        `SearchSettings.candidates_for`); `bm25_share` as in `fuse`."""
        return self.search_vector(query, self.dense.encode(query), top_k, mask, bm25_share)

    def search_vector(
        self,
        query: str,
        vector: np.ndarray,
        top_k: int,
        mask: np.ndarray | None = None,
        bm25_share: float | None = None,
    ) -> list[Hit]:
        """`search` with BM25 on the text `query` and the dense side on `vector` ((dim,) float32,
        already encoded: `DenseRetriever.encode` or `encode_bridged`). Errors of either side
        (psycopg.Error when no server answers) are raised here."""
        pending = None
        if getattr(self.dense.index.vectors, "remote", False):
            # in this thread's context: log lines of the search keep the request's id
            run = contextvars.copy_context().run
            pending = self._pool().submit(run, self.dense.search_vector, vector, top_k, mask)
        keyword_hits = self.keyword.search(query, top_k, mask)
        coverage = self.keyword.coverage(
            query, [h.row for h in keyword_hits], self.settings.coverage
        )
        local = pending is None
        dense_hits = self.dense.search_vector(vector, top_k, mask) if local else pending.result()
        return self.fuse(keyword_hits, dense_hits, coverage, limit=top_k, bm25_share=bm25_share)

    def _pool(self) -> ThreadPoolExecutor:
        """The worker threads of remote vector searches, one per search running at once up to
        WORKERS (each keeps its own database connection: kb/index/postgres/read.py)."""
        with self._lock:
            if self._workers is None:
                self._workers = ThreadPoolExecutor(WORKERS, thread_name_prefix="kb-vector")
            return self._workers

    def fuse(
        self,
        keyword_hits: list[Hit],
        dense_hits: list[Hit],
        coverage: dict[int, float] | None,
        limit: int | None = None,
        bm25_share: float | None = None,
    ) -> list[Hit]:
        """The two hit lists (each best first) fused by `settings.fusion`, BM25 contributions
        scaled by `coverage` (chunk row -> weight in 0..1, None: unscaled); every chunk of either
        list (the first `limit` when given), best fused score first, with its BM25 and cosine
        scores where that side found it. `bm25_share` (0..1) replaces `settings.bm25_share` in
        convex fusion for this call (a short English query: `Searcher.short_english`)."""
        lists = [[h[:2] for h in keyword_hits], [h[:2] for h in dense_hits]]  # (row, score)
        settings = self.settings
        if settings.fusion is Fusion.CONVEX:
            share = settings.bm25_share if bm25_share is None else bm25_share
            fused = convex(lists, [share, 1.0 - share], item_weights=[coverage, None])
        else:
            fused = rrf(
                lists,
                k=settings.rrf_k,
                weights=[settings.bm25_weight, settings.dense_weight],
                item_weights=[coverage, None],
            )
        bm25 = {h.row: h.score for h in keyword_hits}
        # the cosine, not the hub-corrected score the dense side ranked by
        dense = {h.row: h.score if h.dense_score is None else h.dense_score for h in dense_hits}
        return [Hit(r, s, bm25.get(r), dense.get(r)) for r, s in fused[:limit]]
