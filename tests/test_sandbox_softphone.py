"""The softphone page in a real browser (Debian's chromium, driven by Playwright): dial the hotline,
see the greeting, press a key, hang up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser import chromium
from tests.hotline import CONFERENCE, IVR, events, twilio_client, wait_until

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


def test_a_caller_on_the_softphone_waits_in_a_conference_until_an_agent_joins(env: dict[str, Any], page: Any) -> None:
    from playwright.sync_api import expect

    url = env["url"]
    page.goto(f"{url}/sandbox/phone")
    page.select_option("#to", CONFERENCE)
    page.fill("#from", "+8613912345679")
    page.click("#dial")

    transcript = page.locator("#transcript")
    expect(transcript).to_contain_text("进入会议，请稍候", timeout=10_000)
    expect(transcript).to_contain_text("坐席马上就来。", timeout=10_000)  # the room's wait music
    calls = httpx.get(f"{url}/sandbox/calls").json()["calls"]
    sid = next(c["call_sid"] for c in calls if c["from"] == "+8613912345679")
    room = wait_until(lambda: twilio_client(env).conferences.list(friendly_name=sid))[0]
    twilio_client(env).conferences(room.sid).participants.create(from_=CONFERENCE, to="client:agent-5")
    expect(transcript).to_contain_text("已接通", timeout=10_000)
    expect(page.locator("#status")).to_have_text("已接通坐席")
    page.click("#hangup")
    expect(transcript).to_contain_text("通话结束", timeout=10_000)
