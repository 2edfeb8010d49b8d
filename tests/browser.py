"""Pages in Debian's chromium, driven by Playwright: what the browser tests share."""

from __future__ import annotations

import os
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEMO_PASSWORD, System, start_system, stop_system

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
        page = context.new_page()
        watch(page)
        return page


# What each page said (console messages, uncaught errors, failed requests, its websockets): a wait that
# fails reports it, since a page's script that throws leaves no trace in the server's log.
_PAGE_LOGS: weakref.WeakKeyDictionary[Any, list[str]] = weakref.WeakKeyDictionary()


def watch(page: Any) -> None:
    """Keeps what the page says for `page_log`, and prints each line as it comes: pytest shows those
    under any failing test, whatever it was waiting for."""
    lines = _PAGE_LOGS.setdefault(page, [])

    def note(line: str) -> None:
        lines.append(line)
        print(f"[browser {page.url}] {line}")

    def websocket(ws: Any) -> None:
        note(f"websocket opening: {ws.url}")
        ws.on("close", lambda _: note(f"websocket closed: {ws.url}"))
        ws.on("socketerror", lambda error: note(f"websocket error: {ws.url}: {error}"))

    def console(message: Any) -> None:
        where = message.location.get("url") or ""  # "Failed to load resource" names no resource otherwise
        note(f"console.{message.type}: {message.text}" + (f" ({where})" if where else ""))

    page.on("console", console)
    page.on("pageerror", lambda error: note(f"page error: {error}"))
    page.on("requestfailed", lambda request: note(f"request failed: {request.method} {request.url}: {request.failure}"))
    page.on("websocket", websocket)


def page_log(page: Any) -> str:
    """The page's address and what it said so far (see `watch`)."""
    said = "\n".join(f"  {line}" for line in _PAGE_LOGS.get(page, [])) or "  (nothing)"
    return f"page at {page.url}; it said:\n{said}"


def wait_for(page: Any, selector: str, timeout_ms: float = 30_000) -> None:
    """`page.wait_for_selector`, failing with the page's address and what it said."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_selector(selector, timeout=timeout_ms)
    except PlaywrightTimeout as error:
        raise AssertionError(f"{selector} did not appear within {timeout_ms / 1000:g} s; {page_log(page)}") from error


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


@contextmanager
def browser_system(tmp_path: Path, database_url: str, **settings: str) -> Iterator[System]:
    """The whole system as processes, for pages: offers ring for 20 s here (a person, and a browser,
    needs the time to read the card), with these settings besides."""
    require_browser()
    running = start_system(tmp_path, database_url, {"OFFER_TIMEOUT_SECONDS": "20", **settings})
    try:
        yield running
    finally:
        stop_system(running)


# The fixtures of a browser module (import them by name): the whole system as processes, and one
# chromium for the module's pages.
@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, new_database: Any) -> Iterator[System]:
    with browser_system(tmp_path_factory.mktemp("browser"), new_database()) as running:
        yield running


@pytest.fixture(scope="module")
def browser(system: System) -> Iterator[Any]:
    with chromium() as opened:
        yield opened


# Or, for a module whose pages need no processes: `system = system_in_process` and `browser` as above.
@pytest.fixture(scope="module", name="system")
def system_in_process(start_in_process: Any) -> Iterator[Any]:
    """A browser module's own system, built in this process (skipped without a browser)."""
    require_browser()
    with start_in_process() as started:
        yield started


def console_of(browser: Any, system: System, username: str) -> Any:
    """A logged-in console page whose socket is connected."""
    page = browser.new_page()
    log_in(page, system.base_url, username, DEMO_PASSWORD, "/console")
    wait_for(page, "#conn.on")
    return page
