"""The app's test fixture: the tiny help center (plus a contact page and a hostile article) built
with the fake encoder, and the KB_* environment pointing at it."""

from __future__ import annotations

import pytest

from kb import build_index
from kb.testing import TINY, write_articles

CONTACT = {
    "contact/contact-support-channels.md": "---\ntitle: 如何联系客服\n---\n在线客服全天候服务。\n",
}
HOSTILE = {
    "evil/xss.md": """\
        ---
        title: 提现 <script>alert('title')</script> 标题
        category: withdrawals
        language: zh
        url: https://help.example.com/a/xss
        ---
        提现说明 <img src=x onerror="alert('img')"> 和 [点我](javascript:alert('md'))
        以及 <script>alert(1)</script>。

        ## 提现 <script>alert('heading')</script>
        更多提现内容 <a href="javascript:alert(2)">链接</a>。
        """,
}


@pytest.fixture
def env(tmp_path, monkeypatch):
    articles = write_articles(tmp_path / "articles", {**TINY, **CONTACT, **HOSTILE})
    index = tmp_path / "index"
    build_index(articles, index, encoder="hash:64")
    values = {
        "KB_INDEX": str(index),
        "KB_ARTICLES": str(articles),
        "KB_ENCODER": "hash:64",
        "KB_ANALYTICS_DB": str(tmp_path / "analytics.sqlite"),
        "KB_MIN_SCORE": "0.3",
        "KB_QUERIES": str(tmp_path / "queries.jsonl"),
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("KB_AGENT_TOKEN", raising=False)
    monkeypatch.delenv("KB_EDITOR_TOKEN", raising=False)
    return values
