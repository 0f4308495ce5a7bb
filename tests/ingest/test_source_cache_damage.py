"""The source cache against damage and misuse (a fresh helper's findings, 2026-11-30): entries
edited by hand, torn writes, `kb build --force`, leftover temporaries, `kb validate` of drafts.
A damaged cache is never a crash and never changes what is published."""

from __future__ import annotations

import io
import logging
import os
import pickle

import pytest

import kb.ingest.loader as loader
import kb.ingest.sourcecache as sourcecache
from kb import build_index
from kb.ingest import load_articles, load_report
from kb.ingest.loader import table_entries
from kb.options import Visibility
from tests.ingest.test_source_cache import MARKDOWN, ROWS, _cache_file, _csv, _same_as_uncached
from tests.ingest.test_source_cache import root as root  # the fixture


def _stored(cache) -> dict:
    """The cache file's payload, each file's entry unpickled."""
    data = _cache_file(cache).read_bytes()
    stored = pickle.loads(sourcecache._checked(data))
    stored["files"] = {d: pickle.loads(e) for d, e in stored["files"].items()}
    return stored


def _store(cache, stored: dict) -> None:
    """Write `stored` back, each entry pickled apart, with a valid checksum: as a deliberate
    edit would."""
    out = io.BytesIO()
    files = {d: sourcecache._pickled(e) for d, e in stored["files"].items()}
    sourcecache._dump({**stored, "files": files}, out)
    _cache_file(cache).write_bytes(out.getvalue())


def _edit_entry(cache, change) -> None:
    stored = _stored(cache)
    display = next(d for d in stored["files"] if d.endswith("faq.csv"))
    stored["files"][display] = change(stored["files"][display])
    _store(cache, stored)


@pytest.mark.parametrize(
    "change",
    [
        lambda entry: 5,
        lambda entry: (*entry[:3], 7, *entry[4:]),  # rows not a tuple
        lambda entry: entry[:6],  # one part short
        lambda entry: (*entry[:5], ([1],) * len(entry[5]), entry[6]),  # unhashable row keys
    ],
    ids=["int", "rows-int", "short", "unhashable-keys"],
)
def test_an_entry_edited_by_hand_is_parsed_again_not_a_crash(root, tmp_path, caplog, change):
    cache = tmp_path / "cache"
    load_articles(root, cache_dir=cache)
    _edit_entry(cache, change)
    with caplog.at_level(logging.WARNING, logger="kb.ingest"):
        _same_as_uncached(root, cache)  # unchanged source
        (root / "faq.csv").write_text(_csv([*ROWS, ["新问题", "新答案。", "public"]]), "utf-8")
        _same_as_uncached(root, cache)  # edited source: the row memo reads the entry too


def test_a_torn_write_is_detected_not_read_as_articles(root, tmp_path, caplog):
    cache = tmp_path / "cache"
    first = load_articles(root, cache_dir=cache)
    path = _cache_file(cache)
    data = bytearray(path.read_bytes())
    at = data.index("在订单页点击申请退款".encode())
    data[at : at + 12] = bytes(12)  # a lost page reads back as zeros
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="kb.ingest"):
        assert load_articles(root, cache_dir=cache) == first
    assert "checksum mismatch" in caplog.text


def test_force_rebuilds_from_the_sources_whatever_the_cache_says(root, tmp_path):
    """A cache entry changed to publish an internal row (with a valid checksum: the cache is in
    the index folder) is dropped by `kb build --force`."""
    cache_dir = tmp_path / "index"
    build_index(root, cache_dir, encoder="hash:32")
    cache = cache_dir / "cache"

    def publish_everything(entry):
        rows = tuple(
            tuple("public" if value == "internal" else value for value in row) for row in entry[3]
        )
        return (*entry[:3], rows, *entry[4:])

    _edit_entry(cache, publish_everything)
    poisoned = load_articles(root, cache_dir=cache)
    assert all(a.visibility is Visibility.PUBLIC for a in poisoned)  # what the edit did
    build_index(root, cache_dir, encoder="hash:32", force=True)
    after = load_articles(root, cache_dir=cache)
    assert [a.title for a in after if a.visibility is Visibility.INTERNAL] == ["怎么退款"]


def test_a_killed_write_leaves_one_temporary_file_at_most(root, tmp_path):
    cache = tmp_path / "cache"
    load_articles(root, cache_dir=cache)
    folder = _cache_file(cache).parent
    stale = folder / f".{_cache_file(cache).name}.1a2b3c4d.tmp"  # a random name of before
    stale.write_bytes(b"half a pickle")
    (root / "faq.csv").write_text(_csv(ROWS[:3]), encoding="utf-8")
    load_articles(root, cache_dir=cache)
    assert not stale.exists()
    assert [p.name for p in folder.iterdir()] == [_cache_file(cache).name]


def test_checking_a_draft_folders_ids_writes_no_cache_and_prunes_none(root, tmp_path):
    """`kb validate --articles draft --index I` reads the index's cache for the id check but
    must not write a draft folder's cache there, nor prune the live folder's."""
    cache = tmp_path / "cache"
    load_articles(root, cache_dir=cache)
    kept = _cache_file(cache)
    for name in ("draft1", "draft2"):
        draft = tmp_path / name
        draft.mkdir()
        (draft / "faq.csv").write_text(_csv(ROWS), encoding="utf-8")
        assert table_entries(draft, cache) == table_entries(draft)
    assert list((cache / sourcecache.CACHE_SUBDIR).glob("*.pickle")) == [kept]
    assert os.path.getsize(kept) > 0 and load_report(root, cache_dir=cache).problems == []


def test_a_damaged_entry_costs_only_its_own_file(root, tmp_path, caplog, monkeypatch):
    """Each file's entry is a pickle of its own: bytes of one that cannot be read (the cache
    file's checksum still valid, as after a deliberate edit) make that file alone parsed again."""
    cache = tmp_path / "cache"
    first = load_articles(root, cache_dir=cache)
    stored = pickle.loads(sourcecache._checked(_cache_file(cache).read_bytes()))
    display = next(d for d in stored["files"] if d.endswith("faq.csv"))
    stored["files"][display] = stored["files"][display][: len(stored["files"][display]) // 2]
    out = io.BytesIO()
    sourcecache._dump(stored, out)
    _cache_file(cache).write_bytes(out.getvalue())
    parsed = []
    load_file = loader.load_file
    monkeypatch.setattr(
        loader,
        "load_file",
        lambda path, *a, **k: parsed.append(path.name) or load_file(path, *a, **k),
    )
    with caplog.at_level(logging.WARNING, logger="kb.ingest"):
        assert load_articles(root, cache_dir=cache) == first
    assert parsed == ["faq.csv"]
    assert f"source cache entry of {display} is damaged" in caplog.text
    parsed.clear()
    assert load_articles(root, cache_dir=cache) == first  # the entry was written anew
    assert parsed == []


def test_a_save_pickles_only_the_entries_that_changed(root, tmp_path, monkeypatch):
    """Editing one file of several re-pickles that file's entry alone; the others' stored bytes
    are written back as they were read."""
    cache = tmp_path / "cache"
    (root / "more.md").write_text(MARKDOWN.replace("提现", "充值"), encoding="utf-8")
    load_articles(root, cache_dir=cache)
    before = pickle.loads(sourcecache._checked(_cache_file(cache).read_bytes()))["files"]
    pickled = []
    real = sourcecache._pickled

    def counted(value, *file):  # an entry is a tuple; the cache's payload, a dict, is too
        if isinstance(value, tuple):
            pickled.append(value[0])
        return real(value, *file)

    monkeypatch.setattr(sourcecache, "_pickled", counted)
    (root / "faq.csv").write_text(_csv(ROWS[:3]), encoding="utf-8")
    load_articles(root, cache_dir=cache)
    after = pickle.loads(sourcecache._checked(_cache_file(cache).read_bytes()))["files"]
    assert [os.path.basename(p) for p in pickled] == ["faq.csv"]
    changed = {d for d in after if after[d] != before[d]}
    assert len(after) == 3 and [os.path.basename(d) for d in changed] == ["faq.csv"]


def _forge(cache, change_row) -> None:
    """Change every row of faq.csv's entry with `change_row` and re-sign the cache file, as a
    deliberate edit would (the checksum only finds torn writes)."""
    _edit_entry(cache, lambda e: (*e[:3], tuple(change_row(list(r)) for r in e[3]), *e[4:]))


@pytest.mark.parametrize(
    "change_row",
    [
        lambda r: [r[0], None, *r[2:-1], "0" * 16],  # a title that is not text, encoded
        lambda r: [7, *r[1:]],  # a slug that is not text
        lambda r: [*r[:10], "x", *r[11:]],  # a body line that is not a number
    ],
    ids=["title-none", "slug-int", "line-text"],
)
def test_a_build_on_a_forged_entry_of_wrong_types_starts_again_from_the_sources(
    root, tmp_path, caplog, change_row
):
    """Values of the wrong type in a re-signed entry (found by a fresh helper, 2026-11-30)
    crashed `kb build` far from the cache, with a traceback. The build now deletes the cache and
    builds every article from its source, once, with a warning."""
    index = tmp_path / "index"
    build_index(root, index, encoder="hash:32")
    _forge(index / "cache", change_row)
    (root / "fees.md").write_text(MARKDOWN.replace("1%", "2%"), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="kb.build"):
        report = build_index(root, index, encoder="hash:32")
    assert "source cache" in caplog.text and "from its source" in caplog.text
    fresh = build_index(root, tmp_path / "fresh", encoder="hash:32")
    assert report.articles == fresh.articles and report.chunks == fresh.chunks
    assert load_articles(root, cache_dir=index / "cache") == load_articles(root)
