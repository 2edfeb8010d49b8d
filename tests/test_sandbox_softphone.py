"""The softphone page in a real browser (Debian's chromium, driven by Playwright): dial the hotline,
see the greeting, press a key, hang up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser import chromium
from tests.hotline import IVR, events, wait_until

pytestmark = pytest.mark.system  # a browser (chromium)


@pytest.fixture
def page() -> Iterator[Any]:
    """A page in headless chromium, in Chinese (the softphone's labels follow the browser's language)."""
    with chromium() as browser:
        opened = browser.new_page(width=1280, height=720)
        yield opened
        opened.close()


def test_dial_hear_the_greeting_press_a_key_and_hang_up(env: dict[str, Any], page: Any) -> None:
    from playwright.sync_api import expect

    url = env["url"]
    page.goto(f"{url}/sandbox/phone")
    expect(page.locator("#to option")).to_have_count(5)
    page.select_option("#to", IVR)
    page.fill("#from", "+8613912345678")
    page.click("#dial")

    transcript = page.locator("#transcript")
    expect(transcript).to_contain_text("您好，欢迎致电。", timeout=10_000)
    expect(transcript).to_contain_text("请按键", timeout=10_000)  # the menu is listening
    page.click('[data-key="1"]')
    expect(transcript).to_contain_text("进入队列 support", timeout=10_000)
    expect(page.locator("#status")).to_have_text("排队等候中")
    page.click("#hangup")
    expect(transcript).to_contain_text("通话结束", timeout=10_000)
    expect(page.locator("#dial")).to_be_enabled()

    calls = httpx.get(f"{url}/sandbox/calls").json()["calls"]
    call = next(c for c in calls if c["from"] == "+8613912345678" and c["interactive"])
    assert wait_until(lambda: httpx.get(f"{url}/sandbox/calls/{call['call_sid']}").json()["status"] == "completed")
    assert env["hotline"].received("/menu", call["call_sid"])[0]["Digits"] == "1"
    ended = httpx.get(f"{url}/sandbox/calls/{call['call_sid']}").json()
    assert events(ended, "hangup")[-1]["by"] == "caller" and ended["queue_result"] == "hangup"
