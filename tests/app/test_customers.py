"""The help center as customers use it (issue 14 items 1-6), through AppTest with the fake encoder:
formatted articles, section links, display names, navigation that keeps state, and the version of
an article in the interface language."""

from __future__ import annotations

import pytest

from kb import build_index
from kb.render import scroll_script_html
from kb.testing import TINY, write_articles

from .conftest import CONTACT, HOSTILE
from .test_app import cards, html_of, run_app, search

EXTRA = {
    "withdrawals/fee-table.md": """\
        ---
        title: 提现手续费一览
        category: withdrawals
        ---
        各方式的收费如下。

        ## 收费标准
        | 提现方式 | 手续费 |
        | --- | --- |
        | 国内银行卡 | 1% |

        - 每月首笔免费
        - 国际转账 15 元

        ![提现页面截图](https://help.example.com/img/withdraw.png)

        ```
        钱包 > 提现
        ```
        """,
    "contact/contact-support-channels-en.md": """\
        ---
        title: How to contact support
        category: contact
        language: en
        translation_of: contact-support-channels
        ---
        Live chat is open all day.
        """,
    "account/forgot-password-en.md": """\
        ---
        title: Forgot your password
        category: account
        language: en
        translation_of: forgot-password
        ---
        Tap forgot password on the login screen and open the reset link we email you.
        """,
}
NAMES = {
    "account": ("账户安全", "Account security"),
    "withdrawals": ("提现", "Withdrawals"),
    "payments": ("支付", "Payments"),
    "contact": ("联系客服", "Contact us"),
    "internal": ("内部资料", "Internal"),
    "evil": ("其他", "Other"),
    "general": ("其他", "Other"),
}


@pytest.fixture
def shop(env, tmp_path, monkeypatch):
    """The app fixture's articles plus a formatted article, English versions linked by
    translation_of and a categories file, rebuilt into the same index."""
    articles = write_articles(tmp_path / "articles", {**TINY, **CONTACT, **HOSTILE, **EXTRA})
    lines = [f"{code}:\n  zh: {zh}\n  en: {en}\n" for code, (zh, en) in NAMES.items()]
    (articles / "categories.yaml").write_text("".join(lines), encoding="utf-8")
    build_index(articles, env["KB_INDEX"], encoder="hash:64")
    return env


def test_articles_show_tables_lists_images_and_code(shop):
    body = html_of(run_app(query_params={"article": "fee-table"}))
    assert "<table>" in body and "<td>国内银行卡</td>" in body
    assert "<li>每月首笔免费</li>" in body and "| --- |" not in body
    assert 'alt="提现页面截图"' in body and "<pre><code>" in body


def test_a_section_link_opens_the_article_scrolled_to_that_section(shop):
    at = run_app(query_params={"article": "withdrawal-time", "section": "超过三天没到账"})
    body = html_of(at)
    assert 'id="超过三天没到账"' in body
    assert scroll_script_html("超过三天没到账") in body
    # a plain #fragment link: the script scrolls to the URL's own fragment
    assert scroll_script_html("") in html_of(run_app(query_params={"article": "withdrawal-time"}))


def test_the_card_opens_the_article_at_its_section_without_a_reload(shop):
    at = search(run_app(), "超过三天没到账怎么办")
    first = cards(at)[0]
    assert 'data-slug="withdrawal-time"' in first and "section=" in first
    at.button(key="open-public-0").click().run()
    assert at.query_params["article"] == "withdrawal-time"
    anchor = at.query_params["section"]
    assert f'id="{anchor}"' in html_of(at) and scroll_script_html(anchor) in html_of(at)


def test_back_to_search_keeps_the_query_and_filters(shop):
    at = run_app()
    at.selectbox(key="cat-public").select("withdrawals").run()
    search(at, "提现多久到账")
    before = cards(at)
    at.button(key="open-public-0").click().run()
    assert at.query_params["article"] and not cards(at)
    at.button(key="back").click().run()
    assert "article" not in at.query_params
    assert at.text_input(key="q-public").value == "提现多久到账"
    assert at.selectbox(key="cat-public").value == "withdrawals"
    assert cards(at) == before


def test_related_articles_open_in_the_session(shop):
    at = run_app(query_params={"article": "withdrawal-time"})
    related = [b for b in at.button if b.key.startswith("related-")]
    assert related
    label = related[0].label
    related[0].click().run()
    assert at.query_params["article"] not in ("", "withdrawal-time")
    assert f"<h2>{label}" in html_of(at)


def test_filters_and_cards_show_names_not_codes(shop):
    at = search(run_app(), "提现多久到账")
    categories = at.selectbox(key="cat-public").options
    assert "提现" in categories and "withdrawals" not in categories
    languages = at.selectbox(key="lang-public").options
    assert {"中文", "英文"} <= set(languages) and not {"zh", "en"} & set(languages)
    assert '<div class="kb-meta">提现' in cards(at)[0]
    at = search(at, "how long does a withdrawal take")  # the English interface
    assert "Withdrawals" in at.selectbox(key="cat-public").options
    assert {"Chinese", "English"} <= set(at.selectbox(key="lang-public").options)


def test_article_meta_shows_names(shop):
    body = html_of(run_app(query_params={"article": "fee-table"}))
    assert "提现 · 中文" in body and "withdrawals" not in body.split("kb-meta", 1)[1][:60]


def test_english_interface_links_the_english_contact_article(shop):
    at = search(run_app(), "qwxz vbnm plk")
    assert "?article=contact-support-channels-en" in html_of(at)
    at = search(at, "软件 乱码 闪退 蓝屏")  # a Chinese question keeps the Chinese article
    body = html_of(at)
    if "kb-nomatch" in body:
        assert '?article=contact-support-channels"' in body


def test_an_article_offers_its_version_in_the_interface_language(shop):
    at = run_app(query_params={"article": "forgot-password"})
    at.sidebar.selectbox(key="ui_lang").select("en").run()
    button = at.button(key="other-version")
    assert button.label == "Read it in English"
    button.click().run()
    assert at.query_params["article"] == "forgot-password-en"
    at.sidebar.selectbox(key="ui_lang").select("zh").run()
    assert at.button(key="other-version").label == "阅读中文版"
