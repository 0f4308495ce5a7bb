"""Screenshots of the three pages in Debian's Chromium, for docs/screenshots/ and the README.

    python scripts/screenshots.py [--index index] [--out docs/screenshots]

Starts `streamlit run app.py` with throwaway agent/editor tokens on a free local port.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from kb.testing.browser import chromium_page, search, streamlit_app

ROOT = Path(__file__).resolve().parent.parent

TOKEN = "screenshot-token"


def unlock(page) -> None:
    page.locator("input[type='password']").fill(TOKEN)
    page.locator("input[type='password']").press("Enter")
    page.wait_for_timeout(2500)


def customer_extras(page, url: str, out: Path) -> None:
    """The article view with a Markdown table, and a section link scrolled to its section
    (issue 14 items 1 and 2)."""
    page.goto(url + "/?article=withdrawal-fees")
    page.locator(".kb-article table").wait_for()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(out / "article-table.png"))
    page.set_viewport_size({"width": 1200, "height": 700})
    page.goto(url + "/?article=withdrawal-time#超过-3-个工作日没到账怎么办")
    page.locator(".kb-article").wait_for()
    page.wait_for_timeout(2500)
    page.screenshot(path=str(out / "deep-link.png"))
    page.set_viewport_size({"width": 1200, "height": 1500})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    env = {
        "KB_INDEX": str(args.index.resolve()),
        "KB_ARTICLES": str(ROOT / "articles"),  # categories.yaml: category display names
        "KB_AGENT_TOKEN": TOKEN,
        "KB_EDITOR_TOKEN": TOKEN,
        "KB_APP_URL": "https://help.example.com/",  # absolute links in the agents' copy boxes
        "KB_ANALYTICS_DB": str(Path(tempfile.mkdtemp()) / "analytics.sqlite"),
    }
    with streamlit_app(env) as url, chromium_page(width=1200, height=1500) as page:
        search(page, url, "提现要多久到账")
        page.locator(".kb-card").nth(2).wait_for()
        page.screenshot(path=str(args.out / "customer.png"))
        page.get_by_role("button", name="阅读全文").first.click()  # in the session, no reload
        page.locator(".kb-article").wait_for()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(args.out / "article.png"))
        customer_extras(page, url, args.out)

        page.goto(url + "/?page=agent")
        unlock(page)
        box = page.locator("[data-testid='stTextInput'] input").first
        box.fill("账户冻结 工单怎么处理")
        box.press("Enter")
        page.locator(".kb-badge").first.wait_for(timeout=30_000)
        # open two copy boxes: an internal article's note for colleagues, a public one's text
        for box in (0, 2):
            page.locator("[data-testid='stExpander'] summary").nth(box).click()
        page.set_viewport_size({"width": 1200, "height": 2000})  # both boxes in view
        page.wait_for_timeout(1000)
        page.screenshot(path=str(args.out / "agent.png"))
        page.set_viewport_size({"width": 1200, "height": 1500})

        page.goto(url + "/?page=editor")
        unlock(page)
        page.get_by_text("索引状态").wait_for()
        page.wait_for_timeout(4000)  # the tables render after the tabs
        page.screenshot(path=str(args.out / "editor.png"))
    print(f"wrote {', '.join(p.name for p in sorted(args.out.glob('*.png')))} to {args.out}")


if __name__ == "__main__":
    main()
