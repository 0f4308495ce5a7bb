"""Article Markdown as HTML (issue 14 item 1): structure kept, nothing that runs let through."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from kb.model import ArticleView, Section
from kb.render import article_html, markdown_html, scroll_script_html


def view(markdown: str, heading: str = "正文", level: int = 2) -> ArticleView:
    section = Section("a", 1, heading, "正文", level, markdown, "", 9)
    return ArticleView("a", "标题", "c", "zh", "public", "", "", (), "a.md", (section,))


@pytest.mark.parametrize(
    ("source", "wanted"),
    [
        (
            "| 方式 | 费用 |\n| --- | --- |\n| 银行卡 | 1% |",
            ["<table>", "<th>方式</th>", "<td>1%</td>"],
        ),
        ("|a|b|\n|:-|-:|\n|x|y|", ['<td style="text-align:right">y</td>', "<thead>"]),
        ("- 第一\n- 第二\n", ["<ul>", "<li>第一</li>", "<li>第二</li>"]),
        ("* one\n* two\n", ["<ul>", "<li>one</li>"]),
        ("1. 打开 App\n2. 点提现\n", ["<ol>", "<li>打开 App</li>"]),
        ("3. third\n4. fourth\n", ['<ol start="3">']),
        ("```\nkb build\n```", ["<pre><code>kb build\n</code></pre>"]),
        ("    indented code", ["<pre><code>indented code"]),
        ("run `kb build` now", ["<code>kb build</code>"]),
        ("![提现页面截图](https://help.example.com/img/w.png)", ['alt="提现页面截图"', "<img "]),
        ("![](/img/a.png)", ['<img src="/img/a.png"']),
        ("**重要** and *soft* ~~old~~", ["<strong>重要</strong>", "<em>soft</em>", "<s>old</s>"]),
        ("> 提示：先核对卡号", ["<blockquote>"]),
        ("[帮助](https://help.example.com/x)", ['href="https://help.example.com/x"', "noopener"]),
    ],
)
def test_markdown_structure_is_rendered(source, wanted):
    rendered = markdown_html(source)
    for piece in wanted:
        assert piece in rendered
    assert "| --- |" not in rendered and not rendered.lstrip().startswith("<p>- ")


def test_the_article_view_renders_each_sections_markdown_under_its_anchor():
    rendered = article_html(view("| a | b |\n|---|---|\n| 1 | 2 |\n\n- x\n- y"))
    assert '<h3 id="正文">正文</h3>' in rendered
    assert "<table>" in rendered and "<li>x</li>" in rendered


def test_headings_inside_a_section_stay_below_the_section_heading():
    assert "<h3>" in markdown_html("# big") and "<h6>" in markdown_html("##### small")


HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<svg/onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "[x](vbscript:msgbox)",
    "[x](//evil.example/path)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2Zz4=)",
    '![x" onerror="alert(1)](https://ok.example/a.png)',
    '[x](https://ok.example/"onmouseover="alert(1))',
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    "- <b onclick=alert(1)>item</b>",
    "<!-- <script>alert(1)</script> -->",
    "<form action=https://evil.example><input name=p></form>",
]


class Tags(HTMLParser):
    """The real tags of an HTML string and their attributes, as a browser would parse them."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize("source", HOSTILE)
def test_nothing_in_an_article_can_run(source):
    for tag, attrs in Tags(markdown_html(source)).tags:
        assert tag not in ("script", "iframe", "svg", "form", "input", "style", "div")
        assert not [name for name in attrs if name.startswith("on") or name == "style"]
        for name in ("href", "src"):
            url = (attrs.get(name) or "").strip().lower()
            assert not url.startswith(("javascript:", "vbscript:", "data:", "//")), url


def test_the_scroll_script_cannot_be_closed_by_an_anchor():
    script = scroll_script_html("</script><script>alert(1)</script>")
    assert script.count("<script>") == 1 and script.count("</script>") == 1
    assert "getElementById" in script and "location.hash" in scroll_script_html("")
