"""The wallboard in a real browser (Debian's chromium, driven by Playwright): a supervisor watches
callers queue, agent1 take one (busy in the grid), forces agent2 not ready from the grid; the page
is saved as docs/screenshots/wallboard.png."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

import pytest

from contactcenter.access.masking import mask_phone
from queues import history
from queues.engine import RoutingEngine
from tests.browser import chromium, log_in, require_browser, screenshot, wait_for
from tests.conftest import DEMO_PASSWORD, HOTLINE, System, start_system, stop_system
from tests.console import AgentConsole, signed_in_console
from twilio_sandbox import place_call

pytestmark = pytest.mark.system  # a browser (chromium) against `contactcenter run`

MS_ZHAO = "+8613800138000"  # a key account of the demo data
QUEUE_NAMES = {"general": "咨询 General enquiries", "repair": "报修 Repairs", "complaints": "投诉 Complaints"}
CALLERS = ("+8613500135000", "+8613700137000", "+8613600136000")


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, new_database: Any) -> Iterator[System]:
    require_browser()
    running = start_system(tmp_path_factory.mktemp("wallboard"), new_database(), {"OFFER_TIMEOUT_SECONDS": "20"})
    yield running
    stop_system(running)


@pytest.fixture
def agent1(system: System) -> Iterator[AgentConsole]:
    yield from signed_in_console(system, "agent1")


def seed_the_past_three_hours(system: System) -> None:
    """The system has just started: give the charts the morning a hotline would have had (a rush at
    ten, service level dipping with it), as the sampler would have recorded it minute by minute."""
    routing = RoutingEngine(system.redis())
    now = int(time.time() * 1000)
    minute = now // history.MINUTE_MS * history.MINUTE_MS
    dice = random.Random(20261123)
    for queue, scale in (("general", 6), ("repair", 3), ("complaints", 1.5)):
        drift = 0.0
        for back in range(180, 1, -1):
            rush = max(0.0, 1 - abs(back - 110) / 50)  # busiest 110 minutes ago
            drift = 0.85 * drift + dice.uniform(-0.5, 0.5)  # queues change gradually, not minute to minute
            waiting = max(0, round(scale * (0.3 + rush) + drift))
            level = min(100.0, round(96 - 30 * rush + dice.uniform(-3, 3), 1))
            point = {"at": minute - back * 60_000, "waiting": waiting, "longest_wait_seconds": waiting * 14.0}
            history.record(routing, queue, {**point, "service_level_percent": level}, now)


def test_a_supervisor_watches_a_caller_wait_and_agent1_take_the_call(system: System, agent1: AgentConsole) -> None:
    from playwright.sync_api import expect

    seed_the_past_three_hours(system)
    with chromium() as browser:
        page = browser.new_page(width=1600, height=1250)
        log_in(page, system.base_url, "supervisor", DEMO_PASSWORD, "/wallboard")
        wait_for(page, "#conn.on")
        expect(page.locator("#agents tbody tr")).to_have_count(3)  # 一组: agent1, agent2 and the lead
        expect(page.locator("#scope")).to_have_text("团队: 一组 Team 1")
        expect(page.locator("#charts .chart canvas")).to_have_count(3)
        expect(page.locator("#charts figcaption")).to_have_text([QUEUE_NAMES[q] for q in sorted(QUEUE_NAMES)])

        # One caller gives up before anyone is free (the abandonment rate), three wait.
        place_call(system.sandbox_url, from_="+8613500135000", to=HOTLINE, digits=["1", "1"], hangup_after_queue=2)
        place_call(
            system.sandbox_url, from_=MS_ZHAO, to=HOTLINE, digits=["1", "1"], hangup_after_queue=90, talk_seconds=90
        )
        place_call(system.sandbox_url, from_="+8613700137000", to=HOTLINE, digits=["1", "2"], hangup_after_queue=90)
        place_call(system.sandbox_url, from_="+8613600136000", to=HOTLINE, digits=["1", "3"], hangup_after_queue=90)
        waiting = page.locator("#waiting tbody tr")
        expect(waiting.filter(has_text="赵女士 Ms Zhao")).to_have_count(1, timeout=20_000)
        expect(waiting.filter(has_text="重点客户")).to_have_count(1)  # the key account is marked
        expect(waiting).to_have_count(3, timeout=20_000)
        expect(page.locator('.tile[data-queue="general"] .waiting-count')).to_have_text("1")

        agent2 = page.locator("#agents tbody tr").filter(has_text="李明 Li Ming")
        agent2.locator("select").select_option("not_ready")
        agent2.locator("input.reason").fill("培训")

        agent1.go("available")
        offer = agent1.next_event("offer.created")
        # complaints weigh double for agent1; its console sees the number masked, the wallboard whole
        caller = offer["info"]["customer"] or next(n for n in CALLERS if mask_phone(n) == offer["info"]["from"])
        assert agent1.accept(offer["contact"]).status_code == 200
        row = page.locator(f'#agents tr[data-agent="{agent1.id}"]')
        expect(row).to_have_attribute("data-state", "busy", timeout=10_000)
        expect(row).to_contain_text("通话中")
        expect(row).to_contain_text(f"{QUEUE_NAMES[offer['queue']]} · 电话 · {caller}")
        expect(waiting).to_have_count(2)

        # Force agent2 not ready from the grid (POST /api/agents/{id}/state; the event updates the row):
        # the choice was made before agent1's events re-drew the grid, and survived them.
        expect(agent2.locator("input.reason")).to_have_value("培训")
        agent2.locator("button").click()
        expect(agent2).to_have_attribute("data-state", "not_ready", timeout=10_000)
        expect(agent2).to_contain_text("培训")

        # Today's figures come from /api/stats/queues every few seconds.
        expect(page.locator('.tile[data-queue="general"] dd.good, .tile[data-queue="general"] dd.bad')).to_have_count(
            1, timeout=15_000
        )
        page.wait_for_timeout(1500)  # let the clocks tick once more
        screenshot(page, "wallboard.png")

        page.click("#lang")
        expect(row).to_contain_text("Busy")
        expect(page.locator("h1")).to_have_text("Wallboard")
        assert (
            system.login("supervisor")
            .post(f"/api/agents/{agent2.get_attribute('data-agent')}/state", json={"state": "offline"})
            .status_code
            == 200
        )
