"""Retrieval: BM25, dense and hybrid retrievers returning `list[Hit]`, reciprocal rank fusion, the
`Searcher` that turns hits into one `Answer` per article with a snippet, related articles, and the
`LiveSearcher` that follows new versions. Imports: kb.index, kb.embed, kb.text, kb.model."""

from .hits import Hit, Retriever
from .live import LiveSearcher
from .searcher import Answer, Searcher, load_searcher

__all__ = ["Answer", "Hit", "LiveSearcher", "Retriever", "Searcher", "load_searcher"]
