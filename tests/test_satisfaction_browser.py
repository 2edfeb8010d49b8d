"""The satisfaction page in a real browser (Debian's chromium, driven by Playwright), on the in-process system: a
team lead finds last days' resolved repairs, hands their return visits to two agents and follows the batch
(remembered after a reload); a manager reads the month's figures and acknowledges a complaint flag; team leads
never see the flags and agents get the page that says who may. No code (return_visit, ivr, scheduled, …) is
ever on the page, in either language. The manager's page is saved as docs/screenshots/satisfaction.png."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.satisfaction import flags, jobs
from contactcenter.satisfaction import service as satisfaction
from contactcenter.tickets import service
from contactcenter.tickets.clocks import clockwork
from contactcenter.tickets.models import Ticket
from tests.browser import browser as opened_browser
from tests.browser import log_in, screenshot, system_in_process, wait_for
from tests.conftest import DEMO_PASSWORD
from tests.desk import make_ticket, services_of, user_id
from tests.inprocess import InProcessSystem
from tests.test_desk_browser import no_raw_code

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The codes without an underscore the page must say in words too (RAW_CODE finds the others).
PLAIN_CODE = re.compile(
    r"\b(ivr|chat|resolved|closed|scheduled|waiting|dialing|connected|completed|failed|canceled|repair|complaint)\b"
)


# The browser fixtures (tests/browser.py): this module's own system built in this process, and chromium.
system = system_in_process
browser = opened_browser


def page_of(browser: Any, system: InProcessSystem, username: str, ready: str) -> Any:
    page = browser.new_page()
    log_in(page, system.base_url, username, DEMO_PASSWORD, "/desk/satisfaction")
    wait_for(page, ready)
    return page


def in_words(page: Any) -> None:
    """No code on the page: the desk's check, and (in Chinese) no source, state or category code either."""
    no_raw_code(page)
    shown = page.evaluate("document.body.innerText")
    if page.evaluate("document.documentElement.lang") == "zh-CN":
        assert not PLAIN_CODE.findall(shown), f"codes on the page: {sorted(set(PLAIN_CODE.findall(shown)))}"


def in_the_hotline_zone(iso: str) -> str:
    at = datetime.fromisoformat(iso)
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def resolved_ticket(services: Services, *, subject: str, phone: str, category: str = "repair") -> int:
    """A repair called in from `phone` (a number to visit), of the team's queue, resolved: its return visit
    planned, as the worker plans it after the commit."""
    ticket_id = make_ticket(services, category=category, phone=phone, subject=subject, queue="repair")
    with services.db.session() as session:
        ticket = session.get_one(Ticket, ticket_id)
        contact = Contact(provider_id=f"CA{ticket_id}-satisfaction", from_number=phone, to_number="+861010000000")
        contact.ticket_id, contact.customer_id, contact.status, contact.queue = (
            ticket_id,
            ticket.customer_id,
            "ended",
            "repair",
        )
        session.add(contact)
        service.move_to(session, clockwork(services), ticket=ticket, to="resolved", actor="test", why="test")
    jobs.plan(services, ticket_id=ticket_id)
    return ticket_id


def test_a_team_lead_hands_out_last_days_resolved_repairs_and_follows_the_batch(
    system: InProcessSystem, browser: Any
) -> None:
    from playwright.sync_api import expect

    services = services_of(system)
    fridge = resolved_ticket(services, subject="冰箱不制冷 Fridge not cooling", phone="+8613300134001")
    washer = resolved_ticket(services, subject="洗衣机异响 Washer noisy", phone="+8613300134002")
    asked = resolved_ticket(services, subject="空调遥控 AC remote", phone="+8613300134003", category="consultation")
    still_open = make_ticket(services, category="repair", subject="热水器 Heater", queue="repair")
    agent1, agent2 = user_id(system, "agent1"), user_id(system, "agent2")

    page = page_of(browser, system, "supervisor", f'#candidates tr[data-ticket="{fridge}"]')
    expect(page.locator("#month")).to_have_value(datetime.now(SHANGHAI).strftime("%Y-%m"))
    expect(page.locator("#flags-card")).to_be_hidden()  # complaint flags are the managers'
    expect(page.locator("#nav")).not_to_contain_text("满意度")  # the page itself is not linked
    for ticket in (asked, fridge, washer):
        expect(page.locator(f'#candidates tr[data-ticket="{ticket}"]')).to_have_count(1)
    expect(page.locator(f'#candidates tr[data-ticket="{still_open}"]')).to_have_count(0)  # not resolved
    expect(page.locator(f'#candidates tr[data-ticket="{fridge}"]')).to_contain_text("待回访")
    listed = system.login("supervisor").get("/api/tickets", params={"view": "team", "status": "return_visit"}).json()
    [row] = [t for t in listed["tickets"] if t["id"] == fridge]
    expect(page.locator(f'#candidates tr[data-ticket="{fridge}"]')).to_contain_text(
        in_the_hotline_zone(row["updated_at"])
    )

    filters = page.locator("#candidate-filters")
    filters.locator("select[name=category]").select_option("repair")
    page.click("#last-week")  # resolved today: none of last week's
    expect(page.locator("#candidates-empty")).to_be_visible()
    today = datetime.now(SHANGHAI).strftime("%Y-%m-%d")
    filters.locator("input[name=updated_from]").fill(today)
    filters.locator("input[name=updated_to]").fill(today)  # the last day included
    filters.locator("button[type=submit]").click()
    expect(page.locator(f'#candidates tr[data-ticket="{fridge}"]')).to_have_count(1)
    expect(page.locator(f'#candidates tr[data-ticket="{asked}"]')).to_have_count(0)  # a consultation
    in_words(page)

    page.click("#hand-out")
    expect(page.locator("#error")).to_have_text("请先勾选工单。")
    for ticket in (fridge, washer):
        page.check(f'#candidates tr[data-ticket="{ticket}"] input[type=checkbox]')
    expect(page.locator("#chosen")).to_have_text("2")
    page.check(f'#agents input[value="{agent1}"]')
    page.check(f'#agents input[value="{agent2}"]')
    page.fill("#batch-name", "本周维修回访")
    page.click("#hand-out")
    expect(page.locator("#notice")).to_contain_text("本周维修回访 · 已分派回访数: 2")
    batch = page.locator("#batches tbody tr").first
    expect(batch.locator("td.total")).to_have_text("2")
    expect(batch.locator("td.states")).to_have_text("已预约 2")
    expect(batch.locator("td.done")).to_contain_text("0%")

    # One customer answers: the batch is half done.
    answered = system.login("supervisor").post(f"/api/tickets/{fridge}/return-visit", json={"satisfaction": 5})
    assert answered.status_code == 201, answered.text
    batch.locator("button.refresh").click()
    expect(batch.locator("td.answered")).to_have_text("1")
    expect(batch.locator("td.done")).to_contain_text("50%")
    page.reload()  # the batches made here are remembered
    wait_for(page, "#batches tbody tr td.total")
    expect(page.locator("#batches tbody tr").first).to_contain_text("本周维修回访")
    in_words(page)
    page.click("#lang")
    expect(page.locator("h1")).to_have_text("Satisfaction")
    expect(page.locator("#batches tbody tr td.states").first).to_have_text("Scheduled 2")
    in_words(page)
    page.context.close()


def test_a_manager_reads_the_months_figures_and_acknowledges_a_complaint_flag(
    system: InProcessSystem, browser: Any
) -> None:
    from playwright.sync_api import expect

    services = services_of(system)
    answers = [("return_visit", 5, True), ("ivr", 4, True), ("chat", 2, True), ("return_visit", None, False)]
    for n, (source, score, reached) in enumerate(answers):
        ticket_id = resolved_ticket(services, subject=f"维修 Visit {n}", phone=f"+861330013410{n}")
        with services.db.session() as session:
            satisfaction.record(
                services,
                session,
                ticket=session.get_one(Ticket, ticket_id),
                source=source,
                actor="test",
                satisfaction=score,
                resolved=True if reached else None,
                reached=reached,
            )
    agent2 = user_id(system, "agent2")
    complaints = [
        make_ticket(services, category="complaint", subject=f"态度 Rude {n}", about_agent_id=agent2, substantiated=True)
        for n in range(3)
    ]
    with services.db.session() as session:
        flags.count_complaints(services, session, agent_id=agent2)

    page = page_of(browser, system, "manager", f'#flags tr[data-agent="{agent2}"]')
    month = datetime.now(SHANGHAI).strftime("%Y-%m")
    figures = system.login("manager").get("/api/satisfaction", params={"month": month}).json()
    expect(page.locator("#answers")).to_have_text(str(figures["answers"]))
    expect(page.locator("#average")).to_have_text(f"{figures['average']:.2f} / 5")
    expect(page.locator("#satisfied")).to_have_text(f"{figures['satisfied_percent']:g}%")
    expect(page.locator("#not-reached")).to_have_text(str(figures["not_reached"]))
    verdict = ("已达标", "met") if figures["met_target"] else ("未达标", "missed")
    expect(page.locator("#target")).to_have_text(f"{verdict[0]} (目标 90%)")
    expect(page.locator("#target")).to_have_class(re.compile(verdict[1]))
    for code, words in (("return_visit", "回访"), ("ivr", "电话满意度调查"), ("chat", "在线会话评价")):
        row = page.locator(f'#by-source tr[data-code="{code}"]')
        expect(row.locator("td").first).to_have_text(words)
        expect(row.locator("td").nth(1)).to_have_text(str(figures["by_source"][code]["answers"]))
    expect(page.locator('#by-category tr[data-code="repair"] td').first).to_have_text("报修")

    flag = page.locator(f'#flags tr[data-agent="{agent2}"]')
    expect(flag).to_contain_text("李明 Li Ming")
    expect(flag).to_contain_text("183 天内 3 次")
    links = flag.locator("td.complaints a")
    expect(links).to_have_text([f"T-{ticket:06d}" for ticket in complaints])
    expect(links.first).to_have_attribute("href", f"/desk/tickets/{complaints[0]}")
    [listed] = [f for f in system.login("manager").get("/api/agent-flags").json()["flags"] if f["agent_id"] == agent2]
    expect(flag).to_contain_text(in_the_hotline_zone(listed["created_at"]))
    in_words(page)
    screenshot(page, "satisfaction.png", full_page=True)

    flag.locator("button.ack").click()
    expect(page.locator("#notice")).to_contain_text("李明 Li Ming · 预警已确认")
    expect(flag).to_have_count(0)  # no longer open
    page.check("#all-flags")
    expect(flag.locator(".pill")).to_contain_text("已确认")
    [listed] = [f for f in system.login("manager").get("/api/agent-flags").json()["flags"] if f["agent_id"] == agent2]
    assert listed["acknowledged_at"] is not None

    page.fill("#month", "2020-01")
    page.dispatch_event("#month", "change")
    expect(page.locator("#answers")).to_have_text("0")
    expect(page.locator("#target")).to_have_text("本月暂无评价 (目标 90%)")
    in_words(page)
    page.click("#lang")
    expect(page.locator("#target")).to_have_text("No answers this month yet (goal 90%)")
    expect(page.locator('#by-source tr[data-code="ivr"] td').first).to_have_text("Phone survey")
    in_words(page)
    page.context.close()


def test_an_agent_gets_the_page_that_says_who_may(system: InProcessSystem, browser: Any) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()
    log_in(page, system.base_url, "agent1", DEMO_PASSWORD, "/desk/satisfaction")
    expect(page.locator("h1")).to_have_text("无权访问 Not allowed")
    expect(page.locator("body")).to_contain_text("满意度页面只供组长、经理和管理员使用。")
    assert system.login("agent1").get("/desk/satisfaction").status_code == 403
    page.context.close()
