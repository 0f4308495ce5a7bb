"""A vector index in another process (`VectorIndex.remote`: PostgreSQL) is searched on a worker
thread while BM25 runs; a local one (FAISS) on the calling thread, after BM25. Same answers."""

from __future__ import annotations

import contextvars
import threading

import pytest

from kb import load_searcher

QUERIES = ["忘记密码", "提现手续费", "refund", "how to contact support", "账户被冻结了怎么办"]
MARK: contextvars.ContextVar[str] = contextvars.ContextVar("mark", default="-")


class Recording:
    """Wraps a vector index: as `remote` says, and records where and when each search ran."""

    def __init__(self, inner, remote: bool, bm25_started: threading.Event):
        self.inner, self.remote, self.bm25_started = inner, remote, bm25_started
        self.count, self.dim = inner.count, inner.dim
        self.calls: list[tuple[str, bool, str]] = []  # (thread name, BM25 began first, mark)

    def search_arrays(self, query, k, mask=None):  # what the dense retriever calls
        # a remote search must be under way while BM25 runs: it waits here for BM25 to begin
        began = self.bm25_started.wait(5 if self.remote else 0)
        self.calls.append((threading.current_thread().name, began, MARK.get()))
        return self.inner.search_arrays(query, k, mask)

    def __getattr__(self, name):  # reconstruct, kind, ... as the wrapped index
        return getattr(self.inner, name)


def _searcher(built, remote: bool):
    _, index_dir, encoder = built
    searcher = load_searcher(index_dir, "public", encoder=encoder)
    started = threading.Event()
    recording = Recording(searcher.index.vectors, remote, started)
    searcher.index.vectors = recording
    keyword_search = searcher.hybrid.keyword.search

    def search(*args, **kwargs):
        started.set()
        try:
            return keyword_search(*args, **kwargs)
        finally:
            started.clear()

    searcher.hybrid.keyword.search = search
    return searcher, recording


@pytest.mark.parametrize("query", QUERIES)
def test_a_remote_vector_search_runs_beside_bm25_with_the_same_answers(built, query):
    plain = load_searcher(built[1], "public", encoder=built[2])
    searcher, recording = _searcher(built, remote=True)
    MARK.set(query)
    answers = searcher.search(query)
    assert [(a.slug, a.score) for a in answers] == [(a.slug, a.score) for a in plain.search(query)]
    (thread, began, mark), *_ = recording.calls
    assert thread != threading.current_thread().name and thread.startswith("kb-vector")
    assert began, "the vector search did not run while BM25 did"
    assert mark == query  # the request's context (its id in log lines) reached the worker


def test_a_local_vector_search_stays_on_the_calling_thread(built):
    searcher, recording = _searcher(built, remote=False)
    for query in QUERIES:
        searcher.search(query)
    assert recording.calls
    assert {thread for thread, _, _ in recording.calls} == {threading.current_thread().name}
