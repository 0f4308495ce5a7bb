"""A full disk during a build or a rollback (item 13 of the reliability issue): a message naming the
index folder and the fix instead of a traceback, the live version still serving, and nothing half
written left behind. The disk fills at each write a build makes: the embedding cache, the tables,
BM25, FAISS, the manifest, CURRENT (and HISTORY, which must not fail the build)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from kb import build_index, load_searcher
from kb.cli import main
from kb.errors import IndexWriteError
from kb.index import versions
from kb.testing import TINY, write_articles

QUERIES = ["忘记密码", "提现手续费", "card declined"]


def no_space() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def after_writing(real):
    """`real`, which writes its file, then fails as a disk that filled up meanwhile would."""

    def write(*args, **kwargs):
        real(*args, **kwargs)
        raise no_space()

    return write


def fsync_fails_for(monkeypatch, marker: str) -> None:
    """os.fsync raises ENOSPC for files whose name contains `marker` (how a full disk shows when
    writes are buffered: at fsync or close)."""
    real = os.fsync

    def fsync(fd):
        if marker in os.readlink(f"/proc/self/fd/{fd}"):
            raise no_space()
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def _patch(target: str, attribute: str):
    def apply(monkeypatch):
        module = __import__(target, fromlist=[attribute])
        monkeypatch.setattr(module, attribute, after_writing(getattr(module, attribute)))

    return apply


def _save(cls: str):
    def apply(monkeypatch):
        module = __import__("kb.index.segfiles", fromlist=[cls])
        real = getattr(module, cls).save
        monkeypatch.setattr(getattr(module, cls), "save", after_writing(real))

    return apply


PLACES = {
    "embedding cache": lambda mp: fsync_fails_for(mp, ".shard-"),
    "tables": _patch("kb.index.segfiles", "write_table"),
    "bm25": _save("Postings"),
    "faiss": _save("FaissVectorIndex"),
    "manifest": _patch("kb.index.files", "write_manifest"),
    "CURRENT": lambda mp: fsync_fails_for(mp, ".CURRENT."),
}


def answers(index: Path) -> list:
    searcher = load_searcher(index, "agent", encoder="hash:64")
    return [[a.slug for a in searcher.search(q, top_k=3)] for q in QUERIES]


def leftovers(index: Path) -> list[str]:
    return sorted(
        str(p.relative_to(index)) for p in index.rglob("*") if ".tmp" in p.name or "tmp-" in p.name
    )


@pytest.fixture
def edited(tmp_path):
    """(articles, index, live version, answers): built, then one article edited (not rebuilt)."""
    articles = write_articles(tmp_path / "articles", TINY)
    index = tmp_path / "index"
    live = build_index(articles, index, encoder="hash:64").version
    before = answers(index)
    (articles / "new.md").write_text("---\ntitle: 新文章\n---\n全新的内容。\n", encoding="utf-8")
    return articles, index, live, before


@pytest.mark.parametrize("place", PLACES)
def test_disk_full_during_a_build_keeps_the_live_version_and_says_what_to_do(
    edited, place, monkeypatch
):
    articles, index, live, before = edited
    stored = versions.versions(index)
    with monkeypatch.context() as patched:
        PLACES[place](patched)
        with pytest.raises(IndexWriteError) as caught:
            build_index(articles, index, encoder="hash:64")
    message = str(caught.value)
    assert str(index) in message and "No space left on device" in message
    assert "free space" in message and "move the index" in message and live in message
    assert versions.current_version(index) == live and versions.versions(index) == stored
    assert answers(index) == before
    assert leftovers(index) == []
    assert build_index(articles, index, encoder="hash:64").added == ["new"]  # once there is room


@pytest.mark.parametrize("place", PLACES)
def test_the_cli_prints_the_message_and_exits_2(edited, place, monkeypatch, capsys):
    articles, index, live, _ = edited
    PLACES[place](monkeypatch)
    code = main(
        ["build", "--articles", str(articles), "--index", str(index), "--encoder", "hash:64"]
    )
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: cannot write to the index") and str(index) in err
    assert "free space" in err and "Traceback" not in err
    assert versions.current_version(index) == live


@pytest.mark.parametrize("place", ["embedding cache", "tables", "manifest", "CURRENT"])
def test_disk_full_during_the_first_build_leaves_no_index(tmp_path, place, monkeypatch):
    articles = write_articles(tmp_path / "articles", TINY)
    index = tmp_path / "index"
    PLACES[place](monkeypatch)
    with pytest.raises(IndexWriteError, match="nothing was changed"):
        build_index(articles, index, encoder="hash:64")
    assert versions.versions(index) == [] and not (index / "CURRENT").exists()
    assert leftovers(index) == []


def test_disk_full_while_recording_the_history_does_not_fail_the_build(edited, monkeypatch, caplog):
    articles, index, live, _ = edited
    fsync_fails_for(monkeypatch, ".HISTORY.")
    report = build_index(articles, index, encoder="hash:64")
    assert report.published and versions.current_version(index) == report.version
    assert "could not record the switch" in caplog.text and leftovers(index) == []
    monkeypatch.undo()
    assert versions.rollback(index) == (report.version, live)  # CURRENT is the truth


def test_disk_full_during_a_rollback(edited, monkeypatch, capsys):
    articles, index, first, _ = edited
    second = build_index(articles, index, encoder="hash:64").version
    fsync_fails_for(monkeypatch, ".CURRENT.")
    assert main(["rollback", "--index", str(index)]) == 2
    err = capsys.readouterr().err
    assert "cannot write to the index" in err and "during the rollback" in err
    assert "free space" in err and "Traceback" not in err
    assert versions.current_version(index) == second and leftovers(index) == []
    monkeypatch.undo()
    assert versions.rollback(index) == (second, first)


@pytest.mark.parametrize(
    ("code", "fix"),
    [
        (errno.EDQUOT, "free space"),
        (errno.EROFS, "writable"),
        (errno.EACCES, "writable"),
        (errno.EIO, "check the disk"),
    ],
)
def test_every_refused_write_names_its_cause_and_fix(edited, monkeypatch, code, fix):
    articles, index, live, _ = edited

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr("kb.index.segfiles.write_table", refuse)
    with pytest.raises(IndexWriteError) as caught:
        build_index(articles, index, encoder="hash:64")
    assert os.strerror(code) in str(caught.value) and fix in str(caught.value)
    assert str(index) in str(caught.value) and versions.current_version(index) == live
    assert leftovers(index) == []
