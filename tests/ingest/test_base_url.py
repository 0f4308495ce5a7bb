"""Issue 13 item 6: relative `url:` values become absolute under KB_BASE_URL; an article without
a url links to itself inside the app."""

from __future__ import annotations

import pytest

from kb import ConfigError, build_index, load_articles, load_searcher
from kb.config import load_config
from kb.ingest import load_report
from kb.testing import write_articles

FILES = {
    "reset.md": "---\ntitle: 重置密码\nurl: /help/account/reset-password/\n---\n点击忘记密码。\n",
    "fees.md": "---\ntitle: 提现手续费\nurl: https://other.example.com/fees\n---\n收取 1%。\n",
    "limits.md": "---\ntitle: 转账限额\n---\n每日 5000 元。\n",
    "faq.csv": "id,question,answer,url\ncard,卡丢了怎么办,立即冻结。,/help/cards/lost\n",
}


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://help.example.com", "https://help.example.com/help/account/reset-password/"),
        ("https://help.example.com/", "https://help.example.com/help/account/reset-password/"),
        ("https://example.com/docs", "https://example.com/docs/help/account/reset-password/"),
    ],
)
def test_relative_urls_become_absolute_under_the_base_url(tmp_path, monkeypatch, base, expected):
    root = write_articles(tmp_path / "a", FILES)
    monkeypatch.setenv("KB_BASE_URL", base)
    urls = {a.slug: a.url for a in load_articles(root)}
    assert urls["reset"] == expected
    assert urls["card"] == expected.replace("/help/account/reset-password/", "/help/cards/lost")
    assert urls["fees"] == "https://other.example.com/fees"  # absolute urls are kept
    assert urls["limits"] == ""


def test_answers_link_to_the_site_or_to_the_article_in_the_app(tmp_path, monkeypatch):
    root = write_articles(tmp_path / "a", FILES)
    monkeypatch.setenv("KB_BASE_URL", "https://help.example.com")
    build_index(root, tmp_path / "index", encoder="hash:64")
    searcher = load_searcher(tmp_path / "index", "public", encoder="hash:64")
    reset = searcher.search("重置密码", top_k=1)[0]
    assert reset.url.startswith("https://help.example.com/help/account/reset-password/#")
    limits = searcher.search("转账限额", top_k=1)[0]
    assert limits.url.startswith("?article=limits")


def test_without_a_base_url_relative_urls_are_kept_and_named_once(tmp_path, monkeypatch):
    monkeypatch.delenv("KB_BASE_URL", raising=False)
    report = load_report(write_articles(tmp_path / "a", FILES))
    assert {a.slug: a.url for a in report.articles}["reset"] == "/help/account/reset-password/"
    found = [str(n) for n in report.notices if "KB_BASE_URL" in str(n)]
    assert len(found) == 1 and "2 article(s)" in found[0]


@pytest.mark.parametrize(
    "bad",
    [
        "help.example.com",
        "ftp://help.example.com",
        "https://help.example.com/?a=1",
        "https://help.example.com/#x",
        "https://user@help.example.com",
        "javascript:alert(1)",
    ],
)
def test_a_bad_base_url_is_refused_naming_the_variable(bad):
    with pytest.raises(ConfigError, match="KB_BASE_URL="):
        load_config({"KB_BASE_URL": bad})


def test_the_config_carries_the_base_url():
    assert load_config({"KB_BASE_URL": "https://help.example.com/"}).base_url == (
        "https://help.example.com"
    )
    assert load_config({}).base_url == ""
