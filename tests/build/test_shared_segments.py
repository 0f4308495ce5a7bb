"""Versions share segment files: an incremental build writes one small segment and hard-links the
rest, serves exactly what a full build serves, and keeps rollback, pruning and crash safety."""

from __future__ import annotations

import gc
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kb import build_index, open_store
from kb.config import FAULT_ENV
from kb.faults import FAULT_POINTS
from kb.index import files, segfiles, versions
from kb.index.load import load_version
from kb.index.manifest import read_manifest, verify_version
from kb.options import Role

from .test_incremental import assert_same_partition, partition, row, write

ROOT = Path(__file__).resolve().parent.parent.parent


def built(tmp_path: Path, n: int = 80, seed: int = 3) -> tuple[list[dict], Path, Path]:
    rng = random.Random(seed)
    rows = [row(rng, i) for i in range(n)]
    for r in rows:
        r["visibility"] = "public"  # every edit then shows in both partitions
    index = tmp_path / "index"
    table = write(tmp_path / "faq.jsonl", rows)
    build_index(table, index, encoder="hash:32")
    return rows, table, index


def edit(rows: list[dict], table: Path, index: Path, i: int, text: str = "提现") -> str:
    rows[i]["answer"] += f" {text}"
    write(table, rows)
    return build_index(table, index, encoder="hash:32").version


def segment_names(index: Path, version: str, part: str = "all") -> list[str]:
    return [s["name"] for s in read_manifest(index / version).segments[part]]


def assert_equals_full_build(tmp_path: Path, table: Path, index: Path) -> None:
    full = tmp_path / "full"
    build_index(table, full, encoder="hash:32", force=True)
    for name in ("public", "all"):
        assert_same_partition(partition(index, name), partition(full, name))


def test_one_changed_article_adds_one_small_segment_and_links_the_rest(tmp_path):
    rows, table, index = built(tmp_path)
    first = versions.current_version(index)
    second = edit(rows, table, index, 5)
    assert segment_names(index, second) == [first, second]
    new = read_manifest(index / second)
    assert [s["docs"] for s in new.segments["all"]][1] == 1  # only the changed article's chunk
    for name, checksum in read_manifest(index / first).files.items():
        if "/segments/" in name:  # shared: the same file (inode), the checksum copied
            assert os.stat(index / first / name).st_ino == os.stat(index / second / name).st_ino
            assert new.files[name] == checksum
    assert_equals_full_build(tmp_path, table, index)


def test_several_rounds_and_a_removal_equal_a_full_build_then_roll_back(tmp_path):
    rows, table, index = built(tmp_path)
    names = [edit(rows, table, index, i * 7) for i in range(3)]
    del rows[11]
    write(table, rows)
    names.append(build_index(table, index, encoder="hash:32").version)
    assert len(segment_names(index, names[-1])) == 4  # no merge yet: few rows deleted
    assert_equals_full_build(tmp_path, table, index)
    assert versions.rollback(index) == (names[-1], names[-2])
    verify_version(index / names[-2])
    assert versions.current_version(index) == names[-2]


def test_pruning_old_versions_keeps_the_live_one_valid(tmp_path):
    rows, table, index = built(tmp_path)
    first = versions.current_version(index)
    live = [edit(rows, table, index, i) for i in range(versions.KEEP_VERSIONS + 2)][-1]
    assert first not in versions.versions(index)  # pruned, but its segment lives on in links
    assert first in segment_names(index, live)
    verify_version(index / live)
    assert_equals_full_build(tmp_path, table, index)


def test_many_changes_merge_into_one_segment(tmp_path):
    rows, table, index = built(tmp_path)
    for r in rows[: len(rows) // 3]:
        r["answer"] += " 到账"
    write(table, rows)
    version = build_index(table, index, encoder="hash:32").version
    assert segment_names(index, version) == [version]
    assert_equals_full_build(tmp_path, table, index)


def test_small_edits_merge_only_the_small_segments(tmp_path, monkeypatch):
    monkeypatch.setattr(segfiles, "MAX_SEGMENTS", 4)
    rows, table, index = built(tmp_path)
    first = versions.current_version(index)
    counts = []
    for i in range(9):  # two tiered merges: the small segments go, the first one stays linked
        counts.append(len(segment_names(index, edit(rows, table, index, i * 5))))
        assert segment_names(index, versions.current_version(index))[0] == first
    assert max(counts) == 4  # MAX_SEGMENTS stored: the next build merges
    assert counts[:4] == [2, 3, 4, 2]  # the fourth merged the three small ones with its own
    assert_equals_full_build(tmp_path, table, index)


@pytest.mark.parametrize(
    ("docs", "dead", "cut"),
    [
        ([100, 1, 1], 0, 3),  # few segments: nothing merged
        ([100, 1, 1, 1], 0, 1),  # the small run merged, the large segment kept
        ([100, 40, 1, 1], 0, 2),  # 40 is not small (over 10% of the stored rows)
        ([100, 1, 1, 1], 50, 0),  # too many deleted rows: everything
        ([30, 30, 30, 30], 0, 0),  # no small run brings the count down: everything
        ([], 0, 0),
    ],
)
def test_the_merge_policy(monkeypatch, docs, dead, cut):
    monkeypatch.setattr(segfiles, "MAX_SEGMENTS", 4)
    assert segfiles.merge_from([{"docs": d} for d in docs], dead) == cut


@pytest.mark.parametrize("point", FAULT_POINTS[1:])
def test_sigkill_during_an_incremental_publish_keeps_the_live_version_serving(tmp_path, point):
    rows, table, index = built(tmp_path)
    live = edit(rows, table, index, 1)  # the live version shares a segment already
    rows[2]["answer"] += " 退款"
    write(table, rows)
    env = {**os.environ, "KB_ENCODER": "hash:32", FAULT_ENV: point}
    args = ["build", "--articles", str(table), "--index", str(index)]
    done = subprocess.run([sys.executable, "-m", "kb", *args], cwd=ROOT, env=env, timeout=120)
    assert done.returncode == -signal.SIGKILL
    if FAULT_POINTS.index(point) < FAULT_POINTS.index("before-history"):
        assert versions.current_version(index) == live
    verify_version(index / versions.current_version(index))
    verify_version(index / live)
    build_index(table, index, encoder="hash:32")
    assert not list(index.glob(".tmp-*"))
    assert_equals_full_build(tmp_path, table, index)


def test_a_build_in_batches_serves_what_a_build_in_one_batch_serves(tmp_path, monkeypatch):
    rng = random.Random(8)
    table = write(tmp_path / "faq.jsonl", [row(rng, i) for i in range(40)])
    build_index(table, tmp_path / "one", encoder="hash:32")
    monkeypatch.setattr("kb.build.fresh.BUILD_BATCH", 7)
    build_index(table, tmp_path / "batched", encoder="hash:32")
    for name in ("public", "all"):
        assert_same_partition(
            partition(tmp_path / "batched", name), partition(tmp_path / "one", name)
        )


def test_a_build_leaves_the_garbage_collector_as_it_found_it(tmp_path, monkeypatch):
    seen = []
    real = segfiles.write_segments

    def spy(*args, **kwargs):  # during the publish: collector on, the loaded articles frozen
        seen.append((gc.isenabled(), gc.get_freeze_count() > 0))
        return real(*args, **kwargs)

    monkeypatch.setattr("kb.index.segfiles.write_segments", spy)
    _, _, index = built(tmp_path)
    assert seen and all(s == (True, True) for s in seen)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    (tmp_path / "bad.jsonl").write_text("{not json\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"bad\.jsonl"):  # a failed load restores it too
        build_index(tmp_path / "bad.jsonl", index, encoder="hash:32")
    assert gc.isenabled() and gc.get_freeze_count() == 0


def _inodes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): os.stat(p).st_ino for p in folder.rglob("*") if p.is_file()}


def test_without_internal_articles_the_two_partitions_share_their_files(tmp_path):
    rows, table, index = built(tmp_path)  # every article public
    version = versions.current_version(index)
    public, everything = _inodes(index / version / "public"), _inodes(index / version / "all")
    assert public == everything  # the same files (hard links), nothing written twice
    files = read_manifest(index / version).files
    assert {k[len("all/") :]: v for k, v in files.items() if k.startswith("all/")} == {
        k[len("public/") :]: v for k, v in files.items() if k.startswith("public/")
    }
    verify_version(index / version)
    assert_equals_full_build(tmp_path, table, index)

    rows[4]["visibility"] = "internal"  # now they differ: each partition its own files again
    rows[4]["answer"] += " 内部专用口令"
    write(table, rows)
    version = build_index(table, index, encoder="hash:32").version
    public, everything = _inodes(index / version / "public"), _inodes(index / version / "all")
    assert public["articles.arrow"] != everything["articles.arrow"]
    loaded = load_version(index, version, Role.PUBLIC)
    assert not any("内部" in t for t in loaded.keyword.vocabulary())  # never in the public files
    assert any("内部" in t for t in load_version(index, version, Role.AGENT).keyword.vocabulary())
    assert_equals_full_build(tmp_path, table, index)

    rows[4]["visibility"] = "public"  # and shared once more
    write(table, rows)
    version = build_index(table, index, encoder="hash:32").version
    assert _inodes(index / version / "public") == _inodes(index / version / "all")
    verify_version(index / version)
    assert_equals_full_build(tmp_path, table, index)


def test_a_shared_partition_is_read_and_verified_once_for_reuse(tmp_path, monkeypatch):
    rows, table, index = built(tmp_path)  # every article public: `all` links `public`'s files
    store = open_store(index)
    hashed: list[str] = []
    real = files.sha256_file
    monkeypatch.setattr(files, "sha256_file", lambda path: hashed.append(path.name) or real(path))
    bases = store.segments(store.live_manifest(), 32)
    assert bases["public"] is bases["all"]  # one Segment for both
    assert hashed and len(hashed) == len(set(hashed))  # each linked file hashed once

    rows[4]["visibility"] = "internal"  # the partitions differ: each is read and checked
    write(table, rows)
    build_index(table, index, encoder="hash:32")
    hashed.clear()
    bases = store.segments(store.live_manifest(), 32)
    assert bases["public"] is not bases["all"]
    assert "a4" in bases["all"].slugs and "a4" not in bases["public"].slugs
    assert hashed.count("articles.arrow") == 2


def test_the_published_manifest_is_kept_until_its_file_changes(tmp_path, monkeypatch):
    rows, table, index = built(tmp_path)
    store = open_store(index)
    reads: list[str] = []
    real = files.read_manifest
    monkeypatch.setattr(files, "read_manifest", lambda f: reads.append(f.name) or real(f))
    rows[3]["answer"] += " 到账"
    write(table, rows)
    version = build_index(table, store, encoder="hash:32").version
    assert reads and version not in reads  # checked in its temporary folder, then kept
    assert store.manifest(version) == read_manifest(index / version)
    stat = os.stat(index / version / "manifest.json")
    os.utime(index / version / "manifest.json", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1000))
    reads.clear()
    assert store.manifest(version) == read_manifest(index / version)
    assert reads == [version]  # a changed file is read again


def test_an_interrupted_build_keeps_what_it_encoded(tmp_path, monkeypatch):
    from kb.build import fresh
    from kb.embed import make_encoder

    _, table, _ = built(tmp_path, n=12)
    whole = build_index(table, tmp_path / "whole", encoder="hash:32").encoded  # every text
    monkeypatch.setattr(fresh, "ENCODE_BATCH", 2)
    real = make_encoder("hash:32")

    class Interrupted:  # Ctrl-C a few batches in (the language direction encodes first)
        id, dim, calls = real.id, real.dim, 0

        def encode_passages(self, texts):
            Interrupted.calls += 1
            if Interrupted.calls == 6:
                raise KeyboardInterrupt
            return real.encode_passages(texts)

        encode_queries = encode_passages

    index = tmp_path / "interrupted"
    with pytest.raises(KeyboardInterrupt):
        build_index(table, index, encoder=Interrupted())
    assert not versions.versions(index)  # nothing published
    again = build_index(table, index, encoder="hash:32").encoded
    assert 0 < again <= whole - 2  # the batches encoded before Ctrl-C were kept


def test_a_manifest_that_does_not_read_back_as_written_is_not_published(tmp_path, monkeypatch):
    """The manifest is checked against the bytes written, not parsed again: a byte changed
    between the write and the check (still valid JSON) fails the build, the live version stays."""
    from kb.errors import CorruptIndexError
    from kb.index import manifest

    rows, table, index = built(tmp_path)
    live = open_store(index).live_version()

    def change_it(name):
        if name == "before-verify":
            (path,) = [p for p in index.glob("*/manifest.json") if live not in str(p)]
            path.write_bytes(path.read_bytes() + b" ")

    monkeypatch.setattr(manifest, "fault_point", change_it)
    rows[2]["answer"] += " 到账"
    write(table, rows)
    with pytest.raises(CorruptIndexError, match="does not read back as written"):
        build_index(table, index, encoder="hash:32")
    assert open_store(index).live_version() == live
    monkeypatch.undo()
    assert build_index(table, index, encoder="hash:32").version != live
