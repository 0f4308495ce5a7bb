"""Start `streamlit run app.py` on a free local port for browser tests and screenshots."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from .servers import LOOPBACK, free_port, wait_ready

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@contextlib.contextmanager
def streamlit_app(env: dict[str, str], timeout: float = 60.0):
    """Yields the base URL; the server is stopped (and its output shown on failure) afterwards."""
    port = free_port()
    log = open(ROOT / ".streamlit-test.log", "w+", encoding="utf-8")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            LOOPBACK,
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://{LOOPBACK}:{port}"
    try:
        wait_ready(f"{url}/_stcore/health", process, timeout, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@contextlib.contextmanager
def chromium_page(width: int = 1100, height: int = 1400):
    """Yields a playwright page in headless Debian Chromium; the browser is closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def search(page, url: str, query: str, path: str = "/") -> None:
    """Type a question into the first text box and wait for answer cards (or the no-match box)."""
    page.goto(url + path)
    box = page.locator("[data-testid='stTextInput'] input").first
    box.wait_for(timeout=30_000)
    box.fill(query)
    box.press("Enter")
    page.locator(".kb-card").first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
