"""A corpus of bad article input. Each case is refused with `path:line: message` naming the fix, or
accepted and indexed correctly where that is right; a refused build never touches the live index.

BAD and ACCEPTED are also counted by scripts/reliability_report.py for docs/RELIABILITY.md.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kb import ValidationError, build_index, load_searcher
from kb.index import versions
from kb.ingest import load_report
from kb.testing import TINY, write_articles
from kb.testing.corpora import ACCEPTED, BAD


def write(root: Path, files: dict) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def live(tmp_path):
    """A live index built from the tiny corpus; returns (articles dir, index dir, version)."""
    articles = write_articles(tmp_path / "articles", TINY)
    index = tmp_path / "index"
    build_index(articles, index, encoder="hash:64")
    return articles, index, versions.current_version(index)


def test_the_corpus_is_large_enough():
    assert len(BAD) + len(ACCEPTED) >= 30


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_refused_with_file_line_and_fix(live, name):
    articles, index, version = live
    files, expected = BAD[name]
    write(articles / "bad", files)
    files_before = sorted(os.listdir(index))
    with pytest.raises(ValidationError) as info:
        build_index(articles, index, encoder="hash:64")
    messages = [str(p) for p in info.value.problems]
    assert any(expected in m for m in messages), messages
    assert all(m.startswith("articles/bad/") for m in messages), messages
    assert versions.current_version(index) == version  # never a half-valid index
    assert sorted(os.listdir(index)) == files_before


def test_a_title_row_above_the_header_is_skipped_and_reported(tmp_path):
    files, _, slug = ACCEPTED["FAQ title row above the header"]
    root = write(tmp_path / "a", files)
    report = load_report(root)
    assert [a.slug for a in report.articles] == [slug]
    assert "a/faq.xlsx:2: header found on row 2; rows above skipped" in map(str, report.notices)


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_unusual_but_valid_input_is_indexed_correctly(live, name):
    articles, index, _ = live
    files, query, slug = ACCEPTED[name]
    write(articles / "ok", files)
    build_index(articles, index, encoder="hash:64")
    answers = load_searcher(index, "public", encoder="hash:64").search(query, top_k=3)
    assert answers[0].slug == slug
    shown = answers[0].title + answers[0].snippet_text
    assert not any(ch in shown for ch in "\u200b\u200c\u200d\u202e\u202c\x07\x1b\x08")
