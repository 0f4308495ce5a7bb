"""Related articles: the nearest other articles to the mean of one article's vectors.

One vector search rather than a matrix of every article against every other, so it stays cheap
at a million chunks."""

from __future__ import annotations

import numpy as np

from ..index import LoadedIndex
from ..model import ArticleView


def vector_articles(index: LoadedIndex) -> np.ndarray:
    """(vector_count,) article row of every vector row (compute once per loaded index)."""
    return index.chunk_article[index.vector_targets]


def related(
    index: LoadedIndex, vector_article: np.ndarray, slug: str, top_k: int = 5
) -> list[ArticleView]:
    """At most `top_k` other articles, nearest first, with their sections; [] for an unknown slug
    or an article without vectors."""
    row = index.articles.row_of(slug)
    if row is None:
        return []
    own = np.flatnonzero(vector_article == row)
    if own.size == 0:
        return []
    centre = index.vectors.reconstruct(own).mean(axis=0)
    centre /= max(float(np.linalg.norm(centre)), 1e-12)
    found: list[int] = []
    for vector_row, _ in index.vectors.search(centre, (top_k + 1) * 4 + own.size):
        article_row = int(vector_article[vector_row])
        if article_row != row and article_row not in found:
            found.append(article_row)
    return [index.articles.view(i) for i in found[:top_k]]
