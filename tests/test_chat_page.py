"""The customer's chat page in a real browser (Debian's chromium, driven by Playwright): the pre-chat
form, the waiting view, an agent's reply holding HTML shown as text, reconnecting without duplicates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import chromium, screenshot
from tests.conftest import System
from tests.console import AgentConsole

pytestmark = pytest.mark.system  # a browser (chromium)

HTML_REPLY = "<img src=x onerror=\"document.title='pwned'\"><b>您好</b>"


@pytest.fixture
def page() -> Iterator[Any]:
    """A phone-sized page in headless chromium, in Chinese (the chat's labels follow the browser's language)."""
    with chromium() as browser:
        opened = browser.new_page(width=390, height=760)
        yield opened
        opened.close()


@pytest.fixture
def agent(system: System) -> Iterator[AgentConsole]:
    console = AgentConsole(system, "agent1")
    yield console
    console.post("/api/agent/state", {"state": "offline"})
    console.close()


def test_a_customer_chats_from_the_page_and_html_stays_text(system: System, page: Any, agent: AgentConsole) -> None:
    from playwright.sync_api import expect

    page.goto(f"{system.base_url}/chat")
    expect(page.locator("#prechat button[type=submit]")).to_have_text("开始咨询")
    page.fill("#prechat input[name=name]", "吴先生")
    page.fill("#prechat input[name=phone]", "13712345678")
    page.select_option("#prechat select[name=topic]", "complaint")
    page.click("#prechat button[type=submit]")

    expect(page.locator("#waiting")).to_be_visible(timeout=10_000)
    expect(page.locator("#prechat")).to_be_hidden()
    expect(page.locator("#offline")).to_be_hidden()
    expect(page.locator("#messages li.system").first).to_contain_text("您好,这里是示例电器")
    expect(page.locator("#position")).to_have_text("1 位", timeout=10_000)
    screenshot(page, "chat-waiting.png")

    agent.go("available")
    offer = agent.next_event("offer.created", channel="chat")
    assert agent.accept(offer["contact"]).status_code == 200
    expect(page.locator("#agent-name")).to_have_text("王芳 Wang Fang", timeout=10_000)

    page.fill("#body", "<i>洗衣机</i>坏了")
    page.press("#body", "Enter")
    expect(page.locator("#messages li.customer:not(.pending) .body")).to_have_text("<i>洗衣机</i>坏了")
    messages = f"/api/agent/chats/{offer['contact']}/messages"
    assert agent.post(messages, {"body": HTML_REPLY, "client_id": "r1"}).status_code == 201
    expect(page.locator("#messages li.agent .body")).to_have_text(HTML_REPLY, timeout=10_000)
    assert page.locator("#messages img, #messages b, #messages i").count() == 0
    assert page.title() != "pwned"

    page.reload()  # the page picks the chat up again and shows each message once
    expect(page.locator("#with-agent")).to_be_visible(timeout=10_000)
    expect(page.locator("#messages li.agent .body")).to_have_count(1)
    expect(page.locator("#messages li.customer")).to_have_count(1)

    page.click("#leave")
    expect(page.locator("#ended")).to_be_visible(timeout=10_000)
    agent.next_event("contact.ended", contact=offer["contact"])
    assert agent.post(f"/api/agent/contacts/{offer['contact']}/wrap-up", {"note": ""}).status_code == 200


def test_the_page_shows_the_customer_waiting_again_after_a_transfer(
    system: System, page: Any, agent: AgentConsole
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{system.base_url}/chat")
    page.fill("#prechat input[name=name]", "郑女士")
    page.select_option("#prechat select[name=topic]", "complaint")
    page.click("#prechat button[type=submit]")
    expect(page.locator("#waiting")).to_be_visible(timeout=10_000)
    agent.go("available")
    offer = agent.next_event("offer.created", channel="chat")
    assert agent.accept(offer["contact"]).status_code == 200
    expect(page.locator("#with-agent")).to_be_visible(timeout=10_000)

    moved = agent.post(f"/api/agent/contacts/{offer['contact']}/transfer", {"queue": "general"})
    assert moved.status_code == 200, moved.text
    expect(page.locator("#waiting")).to_be_visible(timeout=10_000)
    expect(page.locator("#with-agent")).to_be_hidden()
    expect(page.locator("#messages li.system").last).to_contain_text("正在为您转接")
    expect(page.locator("#position")).to_have_text("1 位", timeout=5_000)  # sent with the transfer
    page.click("#leave")
    expect(page.locator("#ended")).to_be_visible(timeout=10_000)
