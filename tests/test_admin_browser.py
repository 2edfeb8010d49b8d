"""User administration and session ends in a real browser (Debian's chromium, driven by Playwright), on the
in-process system: an admin creates a user and a shift on /admin/users in both languages (the page is saved
as docs/screenshots/admin-users.png); an agent's console whose session ended goes to the login page by itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contactcenter.users.sessions import end_user_sessions
from tests.browser import chromium, log_in, page_log, require_browser, screenshot, wait_for
from tests.conftest import DEMO_PASSWORD, StartInProcess
from tests.inprocess import InProcessSystem


@pytest.fixture(scope="module")
def system(start_in_process: StartInProcess) -> Iterator[InProcessSystem]:
    require_browser()
    with start_in_process({"SESSION_CHECK_SECONDS": "0.2"}) as started:
        yield started


def test_an_admin_creates_a_user_and_a_shift_on_the_page(system: InProcessSystem) -> None:
    from playwright.sync_api import expect

    with chromium() as browser:
        page = browser.new_page()
        log_in(page, system.base_url, "admin", DEMO_PASSWORD, "")
        wait_for(page, "#users tbody tr")  # an admin's home page is /admin/users
        expect(page.locator("h1")).to_have_text("用户管理")
        expect(page.locator("#users tbody tr")).to_have_count(6)
        page.click("#lang")
        expect(page.locator("h1")).to_have_text("Users")
        form = page.locator("#create")
        form.locator("[name=username]").fill("zhou.min")
        form.locator("[name=role]").select_option("agent")
        form.locator("[name=queues]").fill("general")
        form.locator("[name=skills]").fill("zh:5, en:2")
        form.locator("[name=password]").fill("a-long-enough-passphrase")
        form.locator("button[type=submit]").click()
        expect(page.locator("#notice")).to_contain_text("zhou.min")
        expect(page.locator("#users tbody tr")).to_have_count(7)
        shift = page.locator("#shift")
        shift.locator("[name=username]").fill("zhou.min")
        shift.locator("[name=weekly]").fill("mon-fri 09:00-18:00; sat 22:00-06:00")
        shift.locator("[name=exceptions]").fill("2026-10-01 off")
        shift.locator("button[type=submit]").click()
        expect(page.locator("#shifts tbody tr")).to_have_count(1)
        expect(page.locator("#shifts tbody tr")).to_contain_text("fri 09:00-18:00")
        expect(page.locator("#shifts tbody tr")).to_contain_text("2026-10-01 off")
        assert "page error" not in page_log(page)
        screenshot(page, "admin-users.png", full_page=True)


def test_a_console_whose_session_ended_goes_to_the_login_page(system: InProcessSystem) -> None:
    with chromium() as browser:
        page = browser.new_page()
        log_in(page, system.base_url, "agent2", DEMO_PASSWORD, "/console")
        wait_for(page, "#conn.on")  # the console's socket is open
        user_id = page.evaluate("fetch('/api/me').then((r) => r.json()).then((me) => me.id)")
        with system.redis() as redis:
            end_user_sessions(redis, user_id=user_id)
        page.wait_for_url("**/login?next=/console", timeout=15_000)  # closed with 4401 at the next check
