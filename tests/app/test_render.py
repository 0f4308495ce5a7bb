"""kb.render's link and id safety, on its own (the pages' escaping is tested in test_app.py)."""

from __future__ import annotations

import pytest

from kb.render import safe_href


@pytest.mark.parametrize(
    "url",
    [
        "https://help.example.com/a/fees#top",
        "http://help.example.com/x",
        "/help/withdrawals/fees/",
        "/help/fees#提现",
        "?article=fees&page=agent",
        "#top",
    ],
)
def test_safe_links_are_kept(url):
    assert safe_href(url) not in ("#", "") and "<" not in safe_href(url)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "//evil.example/x",
        "/\\evil.example/x",
        "/\\/evil.example",
        "data:text/html,<script>",
        "vbscript:msgbox",
        "https://ok.example/a b",
        '/help/"onmouseover=alert(1)',
        "",
    ],
)
def test_unsafe_links_become_a_harmless_fragment(url):
    assert safe_href(url) == "#"
