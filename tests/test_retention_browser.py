"""The retention page in a real browser (Debian's chromium, driven by Playwright), on the in-process system: a
manager sees the policies, what will go when in the hotline's time, places a hold from the page (the marked
recording it covers then says it will be kept), releases it, checks the receipts' chain; in Chinese and English,
with no code shown to a person."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from contactcenter.retention import service
from contactcenter.timeutil import utcnow
from tests.browser import browser as opened_browser
from tests.browser import log_in, screenshot, system_in_process, wait_for
from tests.conftest import DEMO_PASSWORD
from tests.desk import services_of
from tests.inprocess import InProcessSystem
from tests.retention_world import a_call, a_recording, days_ago
from tests.test_desk_browser import in_the_hotline_zone, no_raw_code

# The browser fixtures (tests/browser.py): this module's own system built in this process, and chromium.
system = system_in_process
browser = opened_browser


def test_a_manager_follows_what_will_go_places_and_releases_a_hold_and_checks_the_receipts(
    system: InProcessSystem, browser: Any
) -> None:
    services = services_of(system)
    gone = a_call(services, phone="+8613900139301", at=days_ago(500))
    a_recording(services, gone, at=days_ago(500))
    service.run(services.db, services.settings, now=utcnow() - timedelta(days=8))
    service.run(services.db, services.settings)  # one destroyed with its receipt
    waiting = a_call(services, phone="+8613900139302", at=days_ago(400))
    recording_id, _ = a_recording(services, waiting, at=days_ago(400))
    service.run(services.db, services.settings)  # and one waiting out its grace
    due = system.login("manager").get("/api/retention").json()["upcoming"]
    due_at = next(m["due_at"] for m in due if m["object_id"] == recording_id)

    page = browser.new_page()
    log_in(page, system.base_url, "manager", DEMO_PASSWORD, "/retention")
    wait_for(page, "#policies tbody tr[data-class=recordings]")
    assert "365 天" in page.inner_text("#policies tr[data-class=recordings]")
    assert "1095 天" in page.inner_text(
        "#policies tr[data-class=evaluations]"
    )  # registered by contactcenter/qa/retention.py
    row = page.locator("#upcoming tbody tr", has_text=f"#{recording_id}")
    assert in_the_hotline_zone(due_at) in row.inner_text() and "将销毁" in row.inner_text()
    wait_for(page, "#receipts tbody tr")
    no_raw_code(page)

    page.fill("#hold-form [name=case_number]", "(2026)沪01民初99号")
    page.select_option("#hold-form [name=scope]", "customer")
    page.fill("#hold-form [name=subject_id]", str(waiting.customer_id))
    page.fill("#hold-form [name=reason]", "诉讼保全")
    page.click("#hold-form button[type=submit]")
    wait_for(page, "#holds tbody tr[data-hold]")
    page.wait_for_function(
        f"[...document.querySelectorAll('#upcoming tbody tr')].some(r => r.innerText.includes('#{recording_id}')"
        " && r.innerText.includes('(2026)沪01民初99号'))"
    )
    page.click("#verify")
    page.wait_for_selector(".verdict.intact")
    screenshot(page, "retention.png", full_page=True)

    page.on("dialog", lambda dialog: dialog.accept("结案 case closed"))
    page.click("#holds tbody tr[data-hold] button.danger")
    page.wait_for_selector("#holds-empty:not([hidden])")

    page.click("#lang")
    assert "Retention policies" in page.inner_text("#policies-card")
    assert "1095 days" in page.inner_text("#policies tr[data-class=evaluations]")
    assert "Recording #" in page.inner_text("#receipts")
    no_raw_code(page)
