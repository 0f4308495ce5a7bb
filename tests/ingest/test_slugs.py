"""Any file name gives valid default slugs, the same on every build (item 14).

The fault: a FAQ table named `常见问题.csv` made every row "invalid slug" because the default slug is
derived from the file name. Markdown files without a `slug` field had the same fault.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb import load_articles
from kb.ingest.fields import SLUG_RE, default_slug
from kb.ingest.ids import question_id

NAMES = [
    "常见问题",
    "常見問題",
    "よくある質問",
    "자주 묻는 질문",
    "FAQ 常见问题 2026",
    "My FAQ (new)",
    "Café crème",
    "🧧 红包 🎉",
    "faq.v2",
    "-faq-",
    "..",
    " ",
    "ＦＡＱ",
    "x" * 200,
    "常" * 80,
    "a" * 150 + "常见问题",
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".md"])
def test_any_file_name_gives_valid_slugs(tmp_path, name, suffix):
    path = tmp_path / f"{name}{suffix}"
    if suffix == ".csv":
        path.write_text("question,answer\n年费,没有。\n退款,三天到账。\n", encoding="utf-8")
    elif suffix == ".jsonl":
        path.write_text('{"question": "年费", "answer": "没有。"}\n', encoding="utf-8")
    else:
        path.write_text("---\ntitle: 年费\n---\n没有。\n", encoding="utf-8")
    articles = load_articles(path)
    assert all(SLUG_RE.match(a.slug) for a in articles)
    assert [a.slug for a in load_articles(path)] == [a.slug for a in articles]


def test_valid_names_keep_their_slugs(tmp_path):
    """Names that were valid slugs already keep exactly the slugs they had."""
    (tmp_path / "Fees.csv").write_text("question,answer\n年费,没有。\n", encoding="utf-8")
    (tmp_path / "forgot-password.md").write_text("---\ntitle: t\n---\n正文\n", encoding="utf-8")
    assert sorted(a.slug for a in load_articles(tmp_path)) == [
        f"fees-{question_id('年费')}",
        "forgot-password",
    ]


def test_names_that_differ_only_in_chinese_get_different_slugs(tmp_path):
    for name in ("常见问题", "支付问题"):
        (tmp_path / f"{name}.csv").write_text("question,answer\n年费,没有。\n", encoding="utf-8")
    assert len({a.slug for a in load_articles(tmp_path)}) == 2


def test_explicit_id_and_slug_columns_win(tmp_path):
    path = tmp_path / "常见问题.csv"
    path.write_text("id,slug,question,answer\nfee,,年费,没有。\nx,refund,退款,三天。\n", "utf-8")
    assert sorted(a.slug for a in load_articles(path)) == ["fee", "refund"]


def test_slugs_are_the_same_in_another_process(tmp_path):
    """Stable across builds: no per-process hash seed decides them."""
    (tmp_path / "常见问题.csv").write_text("question,answer\n年费,没有。\n", encoding="utf-8")
    (tmp_path / "忘记 密码.md").write_text("---\ntitle: t\n---\n正文\n", encoding="utf-8")
    here = sorted(a.slug for a in load_articles(tmp_path))
    code = f"from kb import load_articles; print(sorted(a.slug for a in load_articles({str(tmp_path)!r})))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"PYTHONHASHSEED": "12345"},
        cwd=Path(__file__).resolve().parents[2],
    ).stdout
    assert out.strip() == str(here)


def test_file_name_that_is_not_utf8_is_shown_and_slugged(tmp_path):
    """A byte that is not UTF-8 in a file name: the slug is valid and the source is printable."""
    path = Path(os.fsdecode(bytes(tmp_path) + b"/faq\xff.csv"))
    path.write_text("question,answer\n年费,没有。\n", encoding="utf-8")
    (article,) = load_articles(tmp_path)
    assert SLUG_RE.match(article.slug)
    assert article.source.encode("utf-8").endswith(b"faq\\xff.csv")


@settings(max_examples=300, deadline=None)
@given(
    name=st.text(st.characters(exclude_categories=()), min_size=1, max_size=300),
    room=st.integers(9, 120),
)
def test_default_slug_is_valid_fits_and_is_deterministic(name, room):
    slug = default_slug(name, room)
    assert SLUG_RE.match(slug) and len(slug) <= room
    assert default_slug(name, room) == slug
