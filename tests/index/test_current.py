"""A damaged CURRENT (item 10 of the reliability issue) never takes search, rollback or the build
down, is never followed outside the index folder, and its content (perhaps a server path) never
appears in a message: the version last recorded as live stands in, with a logged warning."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kb import IndexNotFoundError, LiveSearcher, build_index, load_index, load_searcher
from kb.cli import main
from kb.index import describe_index, versions
from kb.testing import TINY, write_articles

OUTSIDE = "---\ntitle: 外部文章\n---\nOUTSIDEONLY 不应出现。\n"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """An index with two versions (v1, then v2 live) and, beside it, an outside index."""
    root = tmp_path_factory.mktemp("current")
    articles = write_articles(root / "articles", TINY)
    index = root / "index"
    v1 = build_index(articles, index, encoder="hash:64").version
    (articles / "new.md").write_text("---\ntitle: 新文章\n---\n新的内容。\n", encoding="utf-8")
    v2 = build_index(articles, index, encoder="hash:64").version
    outside_articles = write_articles(root / "outside-articles", {"outside.md": OUTSIDE})
    outside = root / "outside"
    other = build_index(outside_articles, outside, encoder="hash:64").version
    return root, articles, v1, v2, other


@pytest.fixture
def case(template, tmp_path):
    """(articles, index, v1, v2, outside version folder): a fresh copy of the template."""
    root, articles, v1, v2, other = template
    index = tmp_path / "index"
    shutil.copytree(root / "index", index, symlinks=True)
    return articles, index, v1, v2, root / "outside" / other


def _write(content: bytes):
    return lambda path, case: path.write_bytes(content)


def _symlink_to_outside_pointer(path: Path, case) -> None:
    path.unlink()
    path.symlink_to(case[4].parent / "CURRENT")  # a valid pointer, of another index


def _version_named_link(path: Path, case) -> None:
    link = path.parent / "v20990101T000000000000Z-beef"  # named like a version, leads outside
    link.symlink_to(case[4])
    path.write_text(link.name + "\n")


def _folder(path: Path, case) -> None:
    path.unlink()
    path.mkdir()


def _fifo(path: Path, case) -> None:
    path.unlink()
    os.mkfifo(path)


KINDS = {
    "empty": _write(b""),
    "whitespace": _write(b" \n\t \n"),
    "absolute path outside": lambda p, c: p.write_text(str(c[4])),
    "absolute path inside": lambda p, c: p.write_text(str(p.parent / c[3])),
    "relative path outside": lambda p, c: p.write_text(f"../../{c[4].parent.name}/{c[4].name}"),
    "parent": _write(b"../x"),
    "name with a slash": lambda p, c: p.write_text(f"{c[3]}/public"),
    "cache folder": _write(b"cache"),
    "temporary folder": lambda p, c: p.write_text(f".tmp-{c[3]}"),
    "version that does not exist": _write(b"v20000101T000000000000Z-dead\n"),
    "10 MB": _write(b"v" * (10 << 20)),
    "NUL bytes": _write(b"\x00" * 40),
    "not UTF-8": _write(b"\xff\xfe\xfa"),
    "symbolic link to another index's CURRENT": _symlink_to_outside_pointer,
    "version-named link out of the folder": _version_named_link,
    "a folder": _folder,
    "a pipe": _fifo,
}


@pytest.mark.parametrize("kind", KINDS)
def test_damaged_current_falls_back_to_the_last_live_version(case, kind, caplog, capsys):
    _articles, index, v1, v2, outside = case
    live = LiveSearcher(index, "public", encoder="hash:64")
    KINDS[kind](index / "CURRENT", case)

    assert versions.current_version(index) == v2
    for role in ("public", "agent"):
        loaded = load_index(index, role)
        assert loaded.version == v2 and "outside" not in loaded.articles
    assert live.current().version == v2 and live.search("新文章")
    assert "CURRENT" in caplog.text and "serving " + v2 in caplog.text
    assert main(["stats", "--index", str(index)]) == 0
    assert describe_index(index).live.version == v2
    shown = caplog.text + capsys.readouterr().err
    assert str(outside) not in shown and outside.name not in shown

    assert versions.rollback(index) == (v2, v1)  # rollback works, and repairs CURRENT
    assert versions.read_current(index) == (v1, "")
    assert (index / "CURRENT").read_text() == v1 + "\n"


@pytest.mark.parametrize("kind", ["absolute path outside", "empty", "10 MB", "a pipe"])
def test_a_build_repairs_a_damaged_current(case, kind):
    articles, index, _, v2, _ = case
    KINDS[kind](index / "CURRENT", case)
    (articles / "more.md").write_text("---\ntitle: 再一篇\n---\n更多内容。\n", encoding="utf-8")
    report = build_index(articles, index, encoder="hash:64")
    assert report.published and report.added == ["more"]  # incremental from the stand-in v2
    assert versions.read_current(index) == (report.version, "")
    assert versions.rollback(index) == (report.version, v2)


def test_the_stand_in_is_the_version_last_recorded_live_not_the_newest(case):
    """After a rollback to v1, a damaged CURRENT must not resurrect the rolled-back v2."""
    _, index, v1, _v2, _ = case
    versions.rollback(index)
    (index / "CURRENT").write_text("")
    assert versions.current_version(index) == v1
    assert load_searcher(index, encoder="hash:64").version == v1


@pytest.mark.parametrize("kind", ["absolute path outside", "relative path outside", "a folder"])
def test_a_damaged_current_without_versions_names_no_server_path(case, kind, capsys):
    _, index, v1, v2, outside = case
    for name in (v1, v2):
        shutil.rmtree(index / name)
    KINDS[kind](index / "CURRENT", case)
    with pytest.raises(IndexNotFoundError) as caught:
        load_index(index)
    message = str(caught.value)
    assert "CURRENT" in message and str(index) in message and str(outside) not in message
    assert main(["search", "提现", "--index", str(index)]) == 2
    err = capsys.readouterr().err
    assert str(outside) not in err and "Traceback" not in err
