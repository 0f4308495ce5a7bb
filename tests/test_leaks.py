"""The leak test: for every internal article of the sample help center, its title, each heading and
several body sentences are searched as the public role through the library, the CLI and the
rendered Streamlit page. Zero internal articles, snippets or counts may appear."""

from __future__ import annotations

import hmac
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kb import build_index, load_articles, load_index, load_searcher
from kb.access import check_secret
from kb.cli import main
from kb.testing.corpora import probes, secret_phrases
from kb.text import tokens

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "articles"
INTERNAL = [a for a in load_articles(ARTICLES) if not a.is_public]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    index = tmp_path_factory.mktemp("leak") / "index"
    build_index(ROOT / "articles", index, encoder="hash:64")
    return index


def test_there_is_something_to_leak():
    assert (
        len(INTERNAL) >= 4 and len(probes(ARTICLES)) >= 40 and len(secret_phrases(ARTICLES)) >= 10
    )


def test_library_never_returns_internal_to_public(sample):
    public = load_searcher(sample, "public", encoder="hash:64")
    internal_slugs = {a.slug for a in INTERNAL}
    for _, text in probes(ARTICLES):
        answers = public.search(text, top_k=10)
        assert not {a.slug for a in answers} & internal_slugs, text
        assert all(a.visibility == "public" for a in answers)
    assert public.categories() == sorted(set(public.categories()) - {"internal"})


def test_cli_never_returns_internal_to_public(sample, capsys, monkeypatch):
    monkeypatch.setenv("KB_ENCODER", "hash:64")
    internal_slugs = {a.slug for a in INTERNAL}
    for _, text in probes(ARTICLES):
        assert main(["search", text, "--index", str(sample), "--json", "--top-k", "10"]) == 0
        answers = json.loads(capsys.readouterr().out)["answers"]
        assert not {a["slug"] for a in answers} & internal_slugs, text
        assert {a["visibility"] for a in answers} <= {"public"}


def test_rendered_page_never_shows_internal_text(sample, tmp_path, monkeypatch):
    for key, value in {
        "KB_INDEX": str(sample),
        "KB_ENCODER": "hash:64",
        "KB_ANALYTICS_DB": str(tmp_path / "a.sqlite"),
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("KB_AGENT_TOKEN", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["page"] = "customer"
    at.run()
    phrases = secret_phrases(ARTICLES)
    titles = [a.title for a in INTERNAL]
    for _, text in probes(ARTICLES):
        at.text_input(key="q-public").input(text).run()
        page = "\n".join([h.proto.body for h in at.html] + [str(c.value) for c in at.caption])
        assert not any(t in page for t in titles), text
        assert not any(p in page for p in phrases), text
        assert 'class="kb-badge"' not in page
        cards = page.count('class="kb-card" data-slug')
        shown = [c.value for c in at.caption if c.value.endswith(("个结果", "results"))]
        assert all(str(cards) in s for s in shown)  # the count is the public cards, nothing more


def test_public_searcher_holds_no_internal_data_in_memory(sample):
    index = load_index(sample, "public")
    words = {w for a in INTERNAL for w in ("【内部】", a.title)}
    held = " ".join(index.chunk_texts()) + " ".join(
        s.text + s.heading for a in index.articles.values() for s in a.sections
    )
    assert not any(w in held for w in words)
    assert not any(p in held for p in secret_phrases(ARTICLES))
    assert not {a.slug for a in INTERNAL} & set(index.articles)
    assert "internal" not in {a.visibility for a in index.articles.values()}
    public_articles = [a for a in load_articles(ROOT / "articles") if a.is_public]
    public_tokens = {
        t for a in public_articles for t in tokens(f"{a.title} {' '.join(a.tags)} {a.body}")
    }
    only_internal = {t for a in INTERNAL for t in tokens(a.title + a.body)} - public_tokens
    assert len(only_internal) > 50
    assert not only_internal & index.keyword.vocabulary()
    assert index.chunk_count == index.manifest.counts["public"]["chunks"]
    assert len(index.vector_targets) == index.vectors.count


def test_secret_comparison_is_constant_time(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert check_secret("right", "right") and not check_secret("wrong", "right")
    assert len(calls) == 2
    assert not check_secret("anything", None) and not check_secret(None, "right")
    assert not check_secret("", "")  # an empty secret never opens a page
