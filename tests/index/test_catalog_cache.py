"""The article catalog keeps the views and sections the query path reads (kb/index/catalog.py):
what it returns must be what a fresh read returns, also after the cache was emptied."""

from __future__ import annotations

from kb import build_index, load_searcher
from kb.embed import HashingEncoder
from kb.index import catalog as catalog_module
from kb.index.catalog import ArticleCatalog
from kb.testing import TINY, write_articles


def _fresh(catalog: ArticleCatalog) -> ArticleCatalog:
    return ArticleCatalog(catalog.table, catalog.sections)


def test_cached_views_sections_and_headings_equal_fresh_reads(tmp_path, monkeypatch):
    articles = write_articles(tmp_path / "a", TINY)
    encoder = HashingEncoder(64)
    build_index(articles, tmp_path / "index", encoder=encoder)
    catalog = load_searcher(tmp_path / "index", "agent", encoder=encoder).index.articles
    monkeypatch.setattr(catalog_module, "VIEW_CACHE", 3)  # evictions happen within the test
    rows = list(range(len(catalog)))
    for order in (rows, rows[::-1], rows + rows, [rows[-1], rows[0], rows[-1]]):
        assert catalog.views(order) == _fresh(catalog).views(order)
        firsts = [0] * len(order)
        assert catalog.sections_at(order, firsts) == _fresh(catalog).sections_at(order, firsts)
        assert [catalog.headings(r) for r in order] == [_fresh(catalog).headings(r) for r in order]
        assert len(catalog._views) <= 3 + len(order)
