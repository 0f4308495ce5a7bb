"""An incremental rebuild (unchanged articles copied from the live version) must publish exactly
what a rebuild of every article from its source publishes."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from kb import build_index
from kb.index import versions
from kb.index.catalog import read_table
from kb.index.load import load_version
from kb.options import Role

WORDS = ["提现", "到账", "手续费", "密码", "冻结", "退款", "银行卡", "验证码", "客服", "限额"]
EN = ["withdrawal", "refund", "password", "card", "limit", "fee", "support"]


def row(rng: random.Random, i: int) -> dict:
    zh = rng.random() < 0.7
    words = WORDS if zh else EN
    answer = ("" if zh else " ").join(rng.choice(words) for _ in range(rng.randint(3, 40)))
    if rng.random() < 0.3:  # some long answers, so articles have several chunks
        answer = "\n\n".join([answer] * rng.randint(2, 6))
    return {
        "slug": f"a{i}",
        "question": f"{rng.choice(words)} {i}",
        "answer": answer,
        "category": rng.choice(["account", "payments"]),
        "language": "zh" if zh else "en",
        "visibility": "internal" if rng.random() < 0.2 else "public",
    }


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def partition(index: Path, name: str) -> Path:
    return index / versions.current_version(index) / name


QUERIES = (["提现"], ["到账", "手续费"], ["refund", "card"], WORDS, ["unknown"], ["提现", "提现"])


def assert_same_partition(a: Path, b: Path) -> None:
    """Two partition folders serve the same tables, vectors and scores (BM25 bit for bit)."""
    for table in ("articles.arrow", "sections.arrow", "chunks.arrow"):
        assert read_table(a / table).equals(read_table(b / table)), table
    assert np.array_equal(np.load(a / "vector_targets.npy"), np.load(b / "vector_targets.npy"))
    role = Role.AGENT if a.name == "all" else Role.PUBLIC
    la = load_version(a.parent.parent, a.parent.name, role)
    lb = load_version(b.parent.parent, b.parent.name, role)
    va, vb = la.vectors.reconstruct_all(), lb.vectors.reconstruct_all()
    assert np.allclose(va, vb, atol=1e-6)
    for query in QUERIES:
        assert np.array_equal(la.keyword.scores(query), lb.keyword.scores(query)), query
        assert la.keyword.known_share(query) == lb.keyword.known_share(query)
        assert la.keyword.top(query, 5) == lb.keyword.top(query, 5)
    for vector in vb[: min(len(vb), 8)]:
        found_a, found_b = la.vectors.search(vector, 5), lb.vectors.search(vector, 5)
        scores = [s for _, s in found_b]
        assert np.allclose([s for _, s in found_a], scores, atol=1e-6)
        # rows must agree except among equal scores (duplicate texts), which float rounding orders
        clear = scores[-1] + 1e-5
        assert {r for r, s in found_a if s > clear} == {r for r, s in found_b if s > clear}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_rebuild_equals_full_rebuild(tmp_path, seed):
    rng = random.Random(seed)
    rows = [row(rng, i) for i in range(60)]
    incremental = tmp_path / "incremental"
    build_index(write(tmp_path / "faq.jsonl", rows), incremental, encoder="hash:32")

    for r in rng.sample(rows, 6):  # edits
        r["answer"] += " " + rng.choice(WORDS)
    for r in rng.sample(rows, 2):  # visibility flips move an article between partitions
        r["visibility"] = "public" if r["visibility"] == "internal" else "internal"
    for r in rng.sample(rows, 3):  # removals
        rows.remove(r)
    rows += [row(rng, 100 + i) for i in range(4)]  # additions
    rng.shuffle(rows)  # and a new order
    report = build_index(write(tmp_path / "faq.jsonl", rows), incremental, encoder="hash:32")
    assert report.published and len(report.added) == 4 and len(report.removed) == 3
    assert len(report.changed) >= 6

    full = tmp_path / "full"
    build_index(tmp_path / "faq.jsonl", full, encoder="hash:32", force=True)
    for name in ("public", "all"):
        assert_same_partition(partition(incremental, name), partition(full, name))


def test_a_damaged_live_version_is_not_reused(tmp_path, caplog):
    rng = random.Random(5)
    rows = [row(rng, i) for i in range(20)]
    index = tmp_path / "index"
    build_index(write(tmp_path / "faq.jsonl", rows), index, encoder="hash:32")
    damaged = partition(index, "all") / "chunks.arrow"
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0x55
    damaged.write_bytes(bytes(data))
    rows[0]["answer"] += " 提现"
    build_index(write(tmp_path / "faq.jsonl", rows), index, encoder="hash:32")
    assert "not reusing index version" in caplog.text
    full = tmp_path / "full"
    build_index(tmp_path / "faq.jsonl", full, encoder="hash:32")
    assert_same_partition(partition(index, "all"), partition(full, "all"))
