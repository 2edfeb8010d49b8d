"""Pages in Debian's chromium, driven by Playwright: what the browser tests share."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
# The docs' pictures are retaken only when asked (UPDATE_SCREENSHOTS=1): otherwise a run would leave
# tracked files changed. Without it they go to a folder of the run, and are still taken (and so checked).
UPDATE_SCREENSHOTS = "UPDATE_SCREENSHOTS"


def require_browser() -> None:
    """CI must run browser tests (it installs chromium); elsewhere a missing browser only skips them."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"browser tests need {CHROMIUM}"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "browser tests need the playwright package (the 'test' extra)"
    if problem:
        message = f"{problem}; install it with: apt-get install -y chromium fonts-noto-cjk"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def chromium(locale: str = "zh-CN") -> Iterator[Any]:
    """A headless chromium; `new_page()` on what it yields opens a page in its own context (cookies)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
        )
        try:
            yield Browser(browser, locale)
        finally:
            browser.close()


class Browser:
    def __init__(self, browser: Any, locale: str) -> None:
        self.browser = browser
        self.locale = locale

    def new_page(self, width: int = 1400, height: int = 900) -> Any:
        context = self.browser.new_context(locale=self.locale, viewport={"width": width, "height": height})
        return context.new_page()


def log_in(page: Any, base_url: str, username: str, password: str, then: str) -> None:
    page.goto(f"{base_url}/login?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{then}")


def screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """Under docs/screenshots/ (the pages in docs/ show them) with UPDATE_SCREENSHOTS=1, else in a temporary folder."""
    folder = SCREENSHOTS if os.environ.get(UPDATE_SCREENSHOTS) else Path(tempfile.gettempdir()) / "cc-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    page.screenshot(path=str(path), full_page=full_page)
    return path
