"""Interface strings of the Streamlit app: the zh/en tables the customer and agent pages speak,
the fixed bilingual labels of the page menu and language selector, and the editor page's English
labels. Data only, no Streamlit."""

from __future__ import annotations

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
    },
}

# the editor page is for the content team and speaks English only
EDITOR = {
    "tabs": ["Index status", "Validate & rebuild", "Search analytics", "Evaluation"],
    "rollback": "Roll back to the previous version",
    "rolled_back": "Rolled back: {new} is live (was {old}).",
    "validate": "Validate articles",
    "problems": "{n} problem(s) in {path}",
    "no_problems": "No problems in {path}.",
    "rebuild": "Rebuild index",
    "chunking": "validating and chunking…",
    "encoding": "encoding {done}/{total} new chunks",
    "build_problems": "Build failed: {n} problem(s). The live index keeps serving.",
    "build_failed": "Build failed: {error}. The live index keeps serving.",
    "published": "Published a new version.",
    "unchanged": "Nothing changed; the live version stays.",
    "days": "days",
    "who": "searches by",
    # analytics roles: the reports count customers and support agents apart
    "roles": {"public": "customers", "agent": "support agents"},
    "analytics_unreadable": "The search reports cannot be shown: {error}. Searches keep working "
    "and are answered as usual.",
    "analytics_failures": "Analytics could not record or read some events since the app started "
    "({counts}); customers still got their answers. Details are in the server log.",
    "status_failed": "The index status cannot be shown: {error}. Validate & rebuild still works.",
    "download": "Download {name} (CSV)",
    "evaluate": "Run evaluation ({path})",
    "evaluating": "evaluating {n} queries…",
    "evaluated": "{n} queries, index {version}",
}

# the "Improve content" page (kb/app/improve.py): attach queries, content gaps, gated rebuild, preview
IMPROVE = {
    "tabs": ["Attach questions", "Content gaps", "Preview & publish"],
    "source": "queries from",
    "sources": {"no good match": "no good match", "unhelpful answers": "unhelpful answers"},
    "no_queries": "No such queries in the last {days} days.",
    "pick_query": "customer query",
    "question": "question to attach (edit if needed)",
    "find": "find the article",
    "pick_article": "attach to",
    "attach": "Attach this query to the article",
    "attached": "Saved to {path}: the next build indexes it with {slug}.",
    "already": "{slug} already has this question.",
    "no_articles": "No article found; try other words.",
    "saved": "Reviewed questions in {path}",
    "threshold": "how close (cosine distance) queries of one topic are",
    "group": "Group the no-good-match queries",
    "gaps": "{n} topics from {q} searches without a good match",
    "gap_line": "{questions} questions about “{topic}” ({distinct} wordings)",
    "download": "Download content gaps (CSV)",
    "no_held": "No built-but-unpublished version. A rebuild with the eval gate keeps a version that "
    "searches worse here.",
    "version": "unpublished version",
    "query": "search both versions",
    "live": "live {version}",
    "candidate": "unpublished {version}",
    "run_gate": "Compare on the eval file ({path})",
    "publish": "Publish this version",
    "published": "{new} is live (was {old}); recorded in HISTORY.",
    "gate": "Publish only if the eval file searches no worse (eval gate)",
    "gate_held": "The new version {version} searches worse and was kept, not published. The "
    "live version keeps serving; preview it on the Improve content page.",
    "gate_passed": "Published {version}: the eval gate passed.",
}
