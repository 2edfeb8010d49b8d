"""The console's page and chats in a real browser (Debian's chromium, driven by Playwright): the language
switch, a page whose last script comes late, a customer's chat to an agent and back, and the canned
replies supervisors keep. Calls in the browser: tests/test_browser_console.py."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from tests import browser as browsers
from tests.browser import console_of, log_in, screenshot, wait_for
from tests.conftest import DEMO_PASSWORD, System
from tests.hotline import wait_until

pytestmark = pytest.mark.system  # a browser (chromium) against `contactcenter run`
system, browser = browsers.system, browsers.browser  # this module's fixtures (tests/browser.py)


def test_the_console_switches_language_and_keeps_the_choice(system: System, browser: Any) -> None:
    from playwright.sync_api import expect

    page = console_of(browser, system, "agent2")
    page.click("#lang")
    expect(page.locator("h1")).to_have_text("Agent console")
    expect(page.locator("#go-available")).to_contain_text("Available")
    page.reload()
    wait_for(page, "#conn.on")
    expect(page.locator("h1")).to_have_text("Agent console")
    page.click("#lang")
    expect(page.locator("h1")).to_have_text("坐席工作台")
    page.close()


def test_the_console_connects_though_its_last_script_arrives_after_the_first_answers(
    system: System, browser: Any
) -> None:
    """console-chat.js comes after console.js on the page, and the console's first render needs it: held
    back here (as a loaded server may serve it), /api/me and /api/agent/options answer first."""
    page = browser.new_page()

    def late(route: Any) -> None:
        time.sleep(1.5)  # Playwright's sync handlers block only its own dispatch: the page goes on loading
        route.continue_()

    page.route("**/static/agents/console-chat.js", late)
    log_in(page, system.base_url, "agent2", DEMO_PASSWORD, "/console")
    wait_for(page, "#conn.on")
    page.close()


def test_a_customer_chat_reaches_the_agent_and_back_with_html_shown_as_text(system: System, browser: Any) -> None:
    from playwright.sync_api import expect

    agent = console_of(browser, system, "agent2")
    agent.click("#go-available")
    expect(agent.locator("#state-badge")).to_have_text("就绪")

    customer = browser.new_page(width=420, height=760)
    customer.goto(f"{system.base_url}/chat")
    prechat = customer.locator("#prechat")
    expect(prechat).to_be_visible(timeout=10_000)
    prechat.locator("input[name=name]").fill("孙小姐 <i>Ms Sun</i>")
    prechat.locator("input[name=phone]").fill("13700137000")
    prechat.locator("button[type=submit]").click()
    expect(customer.locator("#conversation")).to_be_visible(timeout=10_000)

    offer = agent.locator("#offers .offer")
    expect(offer).to_be_visible(timeout=20_000)
    expect(offer.locator(".offer-title")).to_have_text("新会话")
    offer.locator(".accept").click()
    panel = agent.locator("#chats .chat")
    expect(panel).to_be_visible(timeout=10_000)
    expect(customer.locator("#with-agent")).to_be_visible(timeout=10_000)

    # The number typed is only a claim until the code texted to it (the sandbox shows the SMS) is typed back.
    expect(panel.locator(".pop")).to_contain_text("未验证", timeout=10_000)
    expect(panel.locator(".identity-actions")).to_be_visible()
    expect(customer.locator("#verify")).to_be_visible()
    customer.click("#send-code")
    texts = f"{system.sandbox_url}/sandbox/messages?to=%2B8613700137000"
    sms = wait_until(lambda: httpx.get(texts, timeout=5).json()["messages"])[0]
    customer.fill("#code", re.findall(r"\b\d{6}\b", sms["body"])[0])
    customer.locator("#verify button[type=submit]").click()
    expect(customer.locator("#verified")).to_be_visible(timeout=10_000)
    expect(customer.locator("#verify")).to_be_hidden()
    expect(panel.locator(".pop")).to_contain_text("已验证", timeout=10_000)
    expect(panel.locator(".identity-actions")).to_be_hidden()

    customer.fill("#body", "洗衣机漏水 <script>alert(1)</script>")
    customer.keyboard.press("Enter")
    expect(panel.locator(".message.customer .body")).to_have_text(
        "洗衣机漏水 <script>alert(1)</script>", timeout=10_000
    )
    expect(panel.locator(".message.customer script")).to_have_count(0)

    panel.locator("textarea").fill("您好，请问是哪个型号？<b>Which model?</b>")
    panel.locator("textarea").press("Enter")
    reply = customer.locator("#messages li", has_text="哪个型号")
    expect(reply).to_contain_text("<b>Which model?</b>", timeout=10_000)
    expect(customer.locator("#messages b")).to_have_count(0)
    screenshot(agent, "console-chat.png")
    screenshot(customer, "chat.png")

    customer.click("#leave")
    expect(panel.locator("form.wrapup")).to_be_visible(timeout=10_000)  # the chat's own wrap-up
    customer.locator("#rating-comment").fill("很快 quick")
    customer.locator("#rating [data-score='4']").click()  # the customer rates the ended chat, once
    expect(customer.locator("#rated")).to_be_visible(timeout=10_000)
    expect(customer.locator("#rating")).to_be_hidden()
    figures = system.login("manager").get("/api/satisfaction").json()
    assert figures["by_source"]["chat"]["answers"] >= 1
    panel.locator("select[name=disposition]").select_option("resolved")
    panel.locator("button[value=available]").click()
    expect(agent.locator("#chats .chat")).to_have_count(0, timeout=10_000)
    agent.close()
    customer.close()


def test_a_supervisor_keeps_the_canned_replies_agents_insert(system: System, browser: Any) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()
    log_in(page, system.base_url, "supervisor", DEMO_PASSWORD, "/canned-replies")
    form = page.locator("#add")
    form.locator("input[name=title]").fill("保修期 Warranty")
    form.locator("textarea[name=body]").fill("整机保修一年。 <b>One year</b> on the whole machine.")
    form.locator("select[name=queue]").select_option("repair")
    form.locator("button").click()
    row = page.locator("#replies tr[data-title='保修期 Warranty']")
    expect(row).to_have_count(1)
    expect(row.locator("textarea")).to_have_value("整机保修一年。 <b>One year</b> on the whole machine.")
    row.locator("input[type=checkbox]").uncheck()
    row.locator("button.primary").click()
    expect(page.locator("#replies tr[data-title='保修期 Warranty'] input[type=checkbox]")).not_to_be_checked()

    agent = system.login("agent2")
    assert agent.get("/canned-replies").status_code == 403
    titles = [r["title"] for r in agent.get("/api/canned-replies").json()["canned_replies"]]
    assert "保修期 Warranty" not in titles  # switched off: agents no longer get it
    page.close()
