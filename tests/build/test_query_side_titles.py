"""Title vectors are encoded on the query side (VectorSettings.query_side_titles): a title is a
short question, and question-to-question matching is e5's symmetric task."""

from __future__ import annotations

import json

from kb import build_index
from kb.build.fresh import title_text
from kb.index import open_store
from kb.options import VectorSettings
from kb.testing import TINY, CountingEncoder, write_articles


def _titles(index):
    store = open_store(index)
    catalog = store.catalog(store.live_manifest().version)
    return {title_text(catalog.view(row)) for row in range(len(catalog))}


def test_titles_go_to_the_query_side_and_chunks_to_the_passage_side(tmp_path):
    articles = write_articles(tmp_path / "a", TINY)
    encoder = CountingEncoder()
    build_index(articles, tmp_path / "index", encoder=encoder)
    titles = _titles(tmp_path / "index")
    assert titles and titles <= set(encoder.queries)
    assert not titles & set(encoder.passages)


def test_passage_side_titles_when_switched_off_and_switching_rebuilds_titles(tmp_path):
    articles = write_articles(tmp_path / "a", TINY)
    index = tmp_path / "index"
    encoder = CountingEncoder()
    off = VectorSettings(query_side_titles=False)
    build_index(articles, index, encoder=encoder, vector_settings=off)
    assert _titles(index) <= set(encoder.passages)
    encoder.queries.clear()
    report = build_index(articles, index, encoder=encoder)  # default: on; a setting change
    assert report.published and _titles(index) <= set(encoder.queries)


def test_a_version_built_before_the_setting_reads_as_passage_side(tmp_path):
    articles = write_articles(tmp_path / "a", TINY)
    index = tmp_path / "index"
    encoder = CountingEncoder()
    build_index(
        articles, index, encoder=encoder, vector_settings=VectorSettings(query_side_titles=False)
    )
    store = open_store(index)
    version = store.live_manifest().version
    path = index / version / "manifest.json"
    data = json.loads(path.read_text())
    del data["vectors"]["query_side_titles"]  # as written before the setting existed
    path.write_text(json.dumps(data))
    assert open_store(index).live_manifest().query_side_titles is False
