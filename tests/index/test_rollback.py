"""Rollback follows the switch history and only to versions that verify (items 8 and 9 of the
reliability issue): rolling back returns to the version that was live before, never to one rolled
back from, skips versions that were pruned or fail their checksums, and a damaged live version is
stood in for by the intact ones (the newer one too)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb import IndexNotFoundError, build_index, load_index, load_searcher
from kb.cli import main
from kb.index import versions
from kb.index.layout import HISTORY
from kb.testing import TINY, write_articles

NEW = "---\ntitle: 新文章 {n}\n---\n第 {n} 版的内容：ALPHA{n}。\n"


def publish(articles: Path, index: Path, n: int) -> str:
    """Publish a version whose marker article says ALPHA<n>; returns its name."""
    (articles / "marker.md").write_text(NEW.format(n=n), encoding="utf-8")
    return build_index(articles, index, encoder="hash:64").version


def serving(index: Path) -> int:
    """Which publish() the searcher now serves (the n of its marker article)."""
    body = load_index(index).articles["marker"].sections[0].text
    return int(body.split("ALPHA")[1].rstrip("。"))


@pytest.fixture
def folder(tmp_path):
    articles = write_articles(tmp_path / "articles", TINY)
    return articles, tmp_path / "index"


def test_rollback_returns_to_the_previously_live_version_not_the_newest_older_one(folder):
    """good v1, bad v2, rollback to v1, fixed v3, rollback: v1 again, never the bad v2."""
    articles, index = folder
    v1, v2 = publish(articles, index, 1), publish(articles, index, 2)
    assert versions.rollback(index) == (v2, v1)
    v3 = publish(articles, index, 3)
    assert versions.rollback(index) == (v3, v1)
    assert serving(index) == 1
    with pytest.raises(IndexNotFoundError, match="no version older"):
        versions.rollback(index)  # nothing was live before v1; v2 and v3 were rolled back from
    assert versions.current_version(index) == v1


def test_repeated_rollbacks_walk_back_without_ping_pong(folder):
    articles, index = folder
    names = [publish(articles, index, n) for n in range(1, 5)]
    seen = [versions.rollback(index)[1] for _ in range(3)]
    assert seen == names[2::-1]  # v3, v2, v1: each rollback one step further back
    with pytest.raises(IndexNotFoundError):
        versions.rollback(index)
    # a build (not a rollback) undoes a rollback; rolling back from it returns to where we were
    v5 = publish(articles, index, 5)
    assert versions.rollback(index) == (v5, names[0])


def test_every_switch_is_recorded_in_the_history(folder):
    articles, index = folder
    v1, v2 = publish(articles, index, 1), publish(articles, index, 2)
    versions.rollback(index)
    lines = [json.loads(line) for line in (index / HISTORY).read_text().splitlines()]
    assert [(e["action"], e["from"], e["to"]) for e in lines] == [
        ("publish", None, v1),
        ("publish", v1, v2),
        ("rollback", v2, v1),
    ]
    assert all(e["at"].endswith("+00:00") for e in lines)
    assert not list(index.glob(".HISTORY*")) and not list(index.glob(".CURRENT*"))


def test_rollback_skips_versions_that_were_pruned(folder):
    articles, index = folder
    names = [publish(articles, index, n) for n in range(1, 4)]
    for name in names[:2]:  # v1 and v2 deleted by hand (or by an older prune)
        __import__("shutil").rmtree(index / name)
    with pytest.raises(IndexNotFoundError, match="no version older"):
        versions.rollback(index)
    assert versions.current_version(index) == names[2]


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x55
    path.write_bytes(bytes(data))


def _manifest(change):
    def damage(path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(change(data)), encoding="utf-8")

    return damage


def _outside_link(path: Path) -> None:
    outside = path.parent.parent.parent.parent / "outside.faiss"
    outside.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(outside)


DAMAGE = {
    # per-version files: a segment file is shared (hard-linked) with the versions after the one
    # that wrote it, so damaging it damages them all (tests/index/test_segments.py)
    "truncated agent vector map": ("all/vector_rows.npy", _truncate),
    "flipped public table": ("public/chunks.arrow", _flip),
    "missing BM25 map": ("all/chunk_docs.npy", lambda p: p.unlink()),
    "missing partition": ("public", lambda p: __import__("shutil").rmtree(p)),
    "unreadable manifest": ("manifest.json", lambda p: p.write_text("{not json")),
    "manifest not UTF-8": ("manifest.json", lambda p: p.write_bytes(b"\xff\xfe{}")),
    "old-format manifest": ("manifest.json", _manifest(lambda d: {**d, "format": 1})),
    "manifest listing no files": ("manifest.json", _manifest(lambda d: {**d, "files": {}})),
    "manifest of another version": ("manifest.json", _manifest(lambda d: {**d, "version": "x"})),
    "manifest pointing outside": (
        "manifest.json",
        _manifest(lambda d: {**d, "files": {**d["files"], "../../outside": "0" * 64}}),
    ),
    "file linked from outside": ("all/chunks.arrow", _outside_link),
}


@pytest.mark.parametrize("kind", DAMAGE)
def test_rollback_skips_a_damaged_version_for_the_one_before_it(folder, kind, caplog):
    articles, index = folder
    v1, v2, v3 = (publish(articles, index, n) for n in range(1, 4))
    target, damage = DAMAGE[kind]
    damage(index / v2 / target)
    assert versions.rollback(index) == (v3, v1)
    assert f"not rolling back to {v2}" in caplog.text
    assert serving(index) == 1
    assert load_searcher(index, "agent", encoder="hash:64").search("新文章")


@pytest.mark.parametrize("kind", DAMAGE)
def test_rollback_refuses_when_no_earlier_version_verifies(folder, kind, capsys):
    articles, index = folder
    v1, v2 = publish(articles, index, 1), publish(articles, index, 2)
    target, damage = DAMAGE[kind]
    damage(index / v1 / target)
    assert main(["rollback", "--index", str(index)]) == 2
    err = capsys.readouterr().err
    assert "no version older" in err and v1 in err and "Traceback" not in err
    assert versions.current_version(index) == v2 and serving(index) == 2


@pytest.mark.parametrize("kind", DAMAGE)
def test_a_damaged_live_version_is_stood_in_for_by_an_intact_newer_one(folder, kind):
    """After a rollback to v1, v1 is damaged: search serves the intact v2 rather than failing."""
    articles, index = folder
    v1, v2 = publish(articles, index, 1), publish(articles, index, 2)
    versions.rollback(index)
    target, damage = DAMAGE[kind]
    damage(index / v1 / target)
    roles = {"public": ["public"], "all/": ["agent"]}
    for role in next((r for k, r in roles.items() if target.startswith(k)), ["public", "agent"]):
        loaded = load_searcher(index, role, encoder="hash:64")
        assert (loaded.version, loaded.index.fallback_from) == (v2, v1)


def test_an_index_without_history_rolls_back_by_build_time(folder):
    """A folder written before HISTORY existed keeps working, and gains a history on next switch."""
    articles, index = folder
    v1, v2, v3 = (publish(articles, index, n) for n in range(1, 4))
    (index / HISTORY).unlink()
    assert versions.rollback(index) == (v3, v2)
    assert versions.rollback(index) == (v2, v1)  # the seeded history remembers v1 before v2


@pytest.mark.parametrize(
    "junk",
    [
        "not json\n",
        '{"action": "publish", "from": null, "to": "../outside"}\n',
        '{"action": "publish", "from": null, "to": "/etc"}\n',
        '{"action": "delete", "from": null, "to": "v20260101T000000000000Z-abcd"}\n',
        "[1, 2, 3]\n",
        "\x00\xff garbage\n",
    ],
)
def test_damaged_history_lines_are_skipped(folder, junk, caplog):
    articles, index = folder
    _, v2, v3 = (publish(articles, index, n) for n in range(1, 4))
    path = index / HISTORY
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + junk + "".join(lines[1:]) + junk)
    assert versions.rollback(index) == (v3, v2)
    assert "damaged line" in caplog.text


def test_an_unreadable_history_falls_back_to_build_time(folder):
    articles, index = folder
    v1, v2 = publish(articles, index, 1), publish(articles, index, 2)
    (index / HISTORY).unlink()
    (index / HISTORY).mkdir()  # a folder where the file should be
    assert versions.rollback(index) == (v2, v1)


def test_prune_keeps_what_rollback_needs(folder):
    """Pruning keeps the live version and the ones live before it, even when newer ones exist."""
    articles, index = folder
    first = publish(articles, index, 1)
    later = [publish(articles, index, n) for n in range(2, 6)]
    for _ in later:  # back to the first one
        versions.rollback(index)
    assert versions.current_version(index) == first
    newest = publish(articles, index, 6)
    assert len(versions.versions(index)) == versions.KEEP_VERSIONS
    assert first in versions.versions(index)
    assert versions.rollback(index) == (newest, first)
