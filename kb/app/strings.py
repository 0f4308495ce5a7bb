"""Interface strings of the Streamlit app: the zh/en tables the customer and agent pages speak,
the fixed bilingual labels of the page menu and language selector; the agent desk's and editor
page's zh/en strings (kb/app/staff_strings.py) join TEXT at the end. Data only, no Streamlit."""

from __future__ import annotations

from .staff_strings import AGENT_EDITOR, IMPROVE, SYNONYMS

# fixed, bilingual labels: a widget's labels must not change when the interface language does
PAGE_LABELS = {
    "customer": "帮助中心 · Help center",
    "agent": "客服工作台 · Agents",
    "editor": "内容编辑 · Editors",
    "improve": "改进内容 · Improve content",
}
LANGUAGE_LABELS = {"auto": "自动 · Auto", "zh": "中文", "en": "English"}
LANGUAGE_SELECTOR = "界面语言 / Language"

TEXT = {
    "zh": {
        "title": "OKPay 帮助中心",
        "customer": "帮助中心",
        "agent": "客服工作台",
        "editor": "内容编辑",
        "improve": "改进内容",
        "search": "有什么可以帮您？",
        "placeholder": "例如：忘记密码怎么办、提现多久到账",
        "all": "全部",
        "category": "分类",
        "language": "语言",
        "source": "来源",
        "open": "阅读全文",
        "helpful": "这个回答有帮助吗？",
        "thanks": "感谢反馈！",
        "no_match": "没有找到合适的答案。",
        "no_match_hint": "可以换个说法再试，或直接联系客服：",
        "closest": "最接近的结果",
        "back": "← 返回搜索",
        "related": "相关文章",
        "not_found": "没有找到这篇文章。",
        "internal": "内部",
        "copy": "复制给客户（含来源链接）",
        "locked": "此页面需要访问口令。",
        "token": "访问口令",
        "unlock": "进入",
        "wrong": "口令不正确。",
        "not_configured": "此页面尚未启用：请设置环境变量 {name}（或在 .streamlit/secrets.toml 中"
        "设置 {name}），然后重启应用。未配置时不会显示任何内部内容。",
        "no_index": "还没有索引。请先运行：python -m kb build",
        "config_error": "配置有误，应用无法启动：",
        "results": "{n} 个结果",
        "updated": "更新于",
        "other_version": "阅读{language}版",
    },
    "en": {
        "title": "OKPay Help Center",
        "customer": "Help center",
        "agent": "Agent desk",
        "editor": "Editors",
        "improve": "Improve content",
        "search": "How can we help?",
        "placeholder": "e.g. forgot password, how long does a withdrawal take",
        "all": "All",
        "category": "Category",
        "language": "Language",
        "source": "source",
        "open": "Read the article",
        "helpful": "Was this helpful?",
        "thanks": "Thanks for the feedback!",
        "no_match": "We could not find a good answer.",
        "no_match_hint": "Try other words, or contact support:",
        "closest": "Closest results",
        "back": "← Back to search",
        "related": "Related articles",
        "not_found": "Article not found.",
        "internal": "internal",
        "copy": "Copy for the customer (with source link)",
        "locked": "This page needs an access token.",
        "token": "Access token",
        "unlock": "Enter",
        "wrong": "Wrong token.",
        "not_configured": "This page is not enabled: set the environment variable {name} (or {name} "
        "in .streamlit/secrets.toml) and restart the app. Nothing internal is "
        "shown until then.",
        "no_index": "There is no index yet. Run: python -m kb build",
        "config_error": "The app is misconfigured and cannot start:",
        "results": "{n} results",
        "updated": "updated",
        "other_version": "Read it in {language}",
    },
}

# language code -> its name in each interface language, for the language filter and article
# meta (never `en`/`zh`)
LANGUAGE_NAMES = {
    "zh": {"zh": "中文", "en": "Chinese"},
    "en": {"zh": "英文", "en": "English"},
}


# the staff pages' strings (kb/app/staff_strings.py) join the same table
for _strings in (AGENT_EDITOR, IMPROVE, SYNONYMS):
    for _language, _text in _strings.items():
        TEXT[_language].update(_text)
