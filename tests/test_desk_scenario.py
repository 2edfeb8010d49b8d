"""The desk's closed loop in a real browser (Debian's chromium, driven by Playwright), on the in-process system
with calls through the Twilio sandbox: a customer rings about their open complaint and the call is threaded
to it; the team lead sees the complaint breaching soon on the desk; its clock breaches and the ticket climbs
to the manager, whose wallboard says so; an agent takes the call; the team lead names the agent complained
about, attaches a photo (a file of another kind is refused with the server's words) and resolves it on its
page; the next day (the clock moved by the test) its return visit is offered to the agent's console, whose
ticket panel takes the answers: a low score reopens the ticket. Answering a call meets the first-response
clock, so the call waits in the queue while the clock runs out. Then the customer's file: masked for agents,
the grade kept to team leads, products added and removed, every ticket and contact.

Every browser runs in UTC: each time shown is the hotline's (Asia/Shanghai). No raw code on any page.
Screenshots: docs/screenshots/desk-breaching-soon.png, desk-ticket-return-visit.png, console-return-visit.png,
desk-customer.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from contactcenter.callbacks.models import Callback
from contactcenter.callbacks.service import release
from contactcenter.contacts.models import Contact
from contactcenter.satisfaction.jobs import plan
from contactcenter.tickets.jobs import sweep
from contactcenter.tickets.models import TicketClock
from contactcenter.timeutil import utcnow
from tests.browser import chromium, log_in, require_browser, screenshot, wait_for
from tests.conftest import DEMO_PASSWORD, HOTLINE, StartInProcess
from tests.console import AgentConsole
from tests.desk import make_ticket
from tests.hotline import wait_until
from tests.inprocess import InProcessSystem
from tests.test_desk_browser import in_the_hotline_zone, no_raw_code, page_in_utc, page_of, services_of, user_id
from twilio_sandbox import place_call

MR_ZHOU = "+8613100131000"
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(200)  # a PNG by its first bytes, as the server tells kinds


@pytest.fixture(scope="module")
def system(start_in_process: StartInProcess) -> Iterator[InProcessSystem]:
    require_browser()
    with start_in_process({"OFFER_TIMEOUT_SECONDS": "20"}) as started:  # a person, and a browser, reads the offer
        yield started


@pytest.fixture(scope="module")
def browser(system: InProcessSystem) -> Iterator[Any]:
    with chromium() as opened:
        yield opened


def breach_now(system: InProcessSystem, ticket: int, target: str) -> None:
    """The ticket's running `target` clock runs out: its due time moved into the past, then the minute's sweep."""
    services = services_of(system)
    with services.db.session() as session:
        [clock] = session.scalars(
            select(TicketClock).where(TicketClock.ticket_id == ticket, TicketClock.target == target)
        ).all()
        clock.due_at = utcnow() - timedelta(seconds=5)
    assert sweep(services) >= 1


def contact_of(system: InProcessSystem, call_sid: str) -> tuple[int | None, str] | None:
    with services_of(system).db.reading() as session:
        row = session.execute(select(Contact.ticket_id, Contact.status).where(Contact.provider_id == call_sid)).first()
    return (row[0], row[1]) if row else None


def test_a_threaded_complaint_breaches_escalates_is_resolved_and_a_low_score_on_its_return_visit_reopens_it(
    system: InProcessSystem, browser: Any
) -> None:
    from playwright.sync_api import expect

    services = services_of(system)
    complaint = make_ticket(
        services,
        category="complaint",
        phone=MR_ZHOU,
        subject="安装师傅态度差 Rude installer",
        queue="complaints",
        opened_at=utcnow() - timedelta(minutes=25),  # its 30 minutes to respond: past the 80 % warning
    )
    number = f"T-{complaint:06d}"
    agent = AgentConsole(system, "agent1")  # offline: the call waits in the complaints queue
    call = place_call(system.sandbox_url, from_=MR_ZHOU, to=HOTLINE, digits=["1", "3"], talk_seconds=2)
    assert wait_until(lambda: contact_of(system, call) == (complaint, "queued"), timeout=20)  # threaded to it

    lead = page_of(browser, system, "supervisor", "/desk?due=breaching_soon", f'tr[data-ticket="{complaint}"]')
    row = lead.locator(f'tr[data-ticket="{complaint}"]')
    expect(lead.locator("#tickets tbody tr")).to_have_count(1)
    expect(row.locator("td.due")).to_have_class("due soon")  # orange: less than an hour left
    expect(row.locator("td.due")).to_contain_text("剩余 0:0")
    expect(row.locator("td.due")).to_contain_text("响应")
    no_raw_code(lead)
    screenshot(lead, "desk-breaching-soon.png")
    row.locator("a").first.click()
    wait_for(lead, "#moves button.move")
    expect(lead.locator("#timeline")).to_contain_text("归入同一工单")
    expect(lead.locator("#timeline li").filter(has_text="电话 → 投诉 Complaints")).to_contain_text("排队中")

    # The first-response clock runs out: the team lead, then (its own clock out too) the manager.
    wallboard = page_of(browser, system, "manager", "/wallboard", "#conn.on")
    breach_now(system, complaint, "respond")
    lead.reload()
    expect(lead.locator("#level")).to_have_text("组长")
    expect(lead.locator("#clocks li[data-clock=respond]")).to_contain_text("已超时")
    breach_now(system, complaint, "escalation:1")
    lead.reload()
    expect(lead.locator("#level")).to_have_text("经理")
    wallboard.click("#notices .notices-bell")
    expect(wallboard.locator(".notice-item").filter(has_text=f"工单 {number} 已升级至经理")).to_have_count(1)
    wallboard.context.close()

    agent.go("available")
    offer = agent.next_event("offer.created")
    assert offer["info"]["ticket_id"] == complaint and offer["info"]["ticket"] == number
    assert agent.accept(str(offer["contact"])).status_code == 200
    agent.next_event("contact.ended", timeout=30, contact=offer["contact"])  # he says his piece and hangs up
    wrapped = agent.post(
        f"/api/agent/contacts/{offer['contact']}/wrap-up", {"note": "客户仍很生气", "next_state": "not_ready"}
    )
    assert wrapped.status_code == 200, wrapped.text
    agent.go("offline")
    agent.close()

    # The team lead names the agent complained about, attaches the customer's photo and resolves the complaint.
    lead.reload()
    expect(lead.locator("#status")).to_have_text("已受理")  # answered
    expect(lead.locator("#clocks li[data-clock=respond]")).to_contain_text("已完成(超时)")
    expect(lead.locator("#complaint")).to_be_visible()
    lead.locator("#complaint select[name=about_agent_id]").select_option(str(user_id(system, "agent2")))
    lead.locator("#complaint select[name=substantiated]").select_option("false")
    lead.click("#complaint button[type=submit]")
    expect(lead.locator("#timeline")).to_contain_text("被投诉坐席: — → 李明 Li Ming")
    expect(lead.locator("#timeline")).to_contain_text("投诉属实: — → 否")
    lead.set_input_files("#upload input[name=file]", {"name": "门框划痕.png", "mimeType": "image/png", "buffer": PHOTO})
    lead.click("#upload button[type=submit]")
    item = lead.locator("#attachments li").first
    expect(item).to_contain_text("门框划痕.png")
    expect(item).to_contain_text("208 B · ")
    expect(item).to_contain_text("张伟 Zhang Wei")
    expect(item.locator("a.view")).to_have_attribute("href", f"{item.locator('a.file').get_attribute('href')}?inline=1")
    expect(lead.locator("#timeline li.attachment")).to_contain_text("门框划痕.png")
    lead.set_input_files("#upload input[name=file]", {"name": "notes.png", "mimeType": "image/png", "buffer": b"hello"})
    lead.click("#upload button[type=submit]")
    expect(lead.locator("#error")).to_contain_text("只接受 JPEG")  # by its bytes, whatever its name says
    expect(lead.locator("#attachments li")).to_have_count(1)
    for status in ("in_progress", "resolved"):
        lead.click(f"#moves button[data-status={status}]")
    expect(lead.locator("#status")).to_have_text("已解决")
    expect(lead.locator("#visit")).to_be_visible()  # a return visit may be recorded from now on

    # The next day: the return visit, planned (the outbox's job), comes due and is offered to the agent.
    plan(services, ticket_id=complaint)
    with services.db.session() as session:
        [visit] = session.scalars(select(Callback).where(Callback.ticket_id == complaint)).all()
        visit_id, planned_for = visit.id, visit.scheduled_for.isoformat() if visit.scheduled_for else ""
    lead.reload()
    expect(lead.locator("#status")).to_have_text("待回访")
    expect(lead.locator("#visit-planned")).to_have_text(f"回访时间 {in_the_hotline_zone(planned_for)}")
    no_raw_code(lead)
    screenshot(lead, "desk-ticket-return-visit.png", full_page=True)

    console = page_in_utc(browser)
    log_in(console, system.base_url, "agent1", DEMO_PASSWORD, "/console")
    wait_for(console, "#conn.on")
    console.click("#go-available")
    expect(console.locator("#phone-state")).to_have_text("已注册 Registered", timeout=15_000)
    with services.db.session() as session:
        session.get_one(Callback, visit_id).scheduled_for = utcnow()
    release(services, callback_id=visit_id)
    offered = console.locator("#offers .offer")
    expect(offered.locator(".offer-title")).to_have_text("回访来电", timeout=20_000)
    expect(offered).to_contain_text(f"回访 Return visit: {number}")
    console.keyboard.press("Alt+a")
    expect(console.locator("#state-badge")).to_have_text("通话中", timeout=20_000)  # our phone joined the call
    form = console.locator("#ticket-visit")
    expect(form).to_be_visible()
    expect(console.locator("#ticket-number")).to_have_text(number)
    first_call = system.login("supervisor").get(f"/api/tickets/{complaint}").json()["contacts"][0]["created_at"]
    expect(console.locator("#ticket-contacts li").first).to_contain_text(in_the_hotline_zone(first_call))
    form.locator("select[name=satisfaction]").select_option("2")
    form.locator("select[name=resolved]").select_option("no")
    form.locator("textarea[name=comment]").fill("师傅没有道歉 still waiting for an apology")
    screenshot(console, "console-return-visit.png")
    form.locator("button[type=submit]").click()
    expect(console.locator("#ticket-visit-done")).to_have_text("回访已记录:工单已重开")
    expect(console.locator("#ticket-status")).to_have_text("已重开")
    expect(form).to_be_hidden()
    no_raw_code(console)
    console.click("#end")
    wrap_up = console.locator("#call-wrapup form.wrapup")
    wrap_up.locator("select[name=disposition]").select_option("follow_up")  # reopened: to be followed up
    wrap_up.locator("button[value=not_ready]").click()
    expect(console.locator("#state-badge")).to_contain_text("小休", timeout=10_000)
    console.click("#go-offline")
    console.context.close()

    lead.reload()
    expect(lead.locator("#status")).to_have_text("已重开")
    expect(lead.locator("#visit")).to_be_hidden()
    expect(lead.locator("#facts")).to_contain_text("满意度: 2 不满意")
    expect(lead.locator("#timeline")).to_contain_text("满意度 · 王芳 Wang Fang · 回访 · 满意度 2 · 未解决")
    no_raw_code(lead)
    lead.click("#lang")
    expect(lead.locator("#status")).to_have_text("Reopened")
    expect(lead.locator("#timeline")).to_contain_text(
        "Satisfaction recorded · 王芳 Wang Fang · return visit · Satisfaction 2"
    )
    expect(lead.locator("#timeline")).to_contain_text(
        "Status changed · 王芳 Wang Fang · Return visit → Reopened · unsatisfied"
    )
    no_raw_code(lead)
    ticket = system.login("supervisor").get(f"/api/tickets/{complaint}").json()
    assert (ticket["status"], ticket["satisfaction"], ticket["substantiated"]) == ("reopened", 2, False)
    lead.context.close()


def test_the_customer_file_lists_every_ticket_and_contact_and_keeps_the_grade_to_team_leads(
    system: InProcessSystem, browser: Any
) -> None:
    from playwright.sync_api import expect

    services = services_of(system)
    phone = "+8613100131001"
    agent1 = user_id(system, "agent1")
    older = make_ticket(services, category="repair", phone=phone, subject="冰箱不制冷 Fridge warm", queue="repair")
    newer = make_ticket(
        services,
        category="consultation",
        phone=phone,
        subject="保修期多久 How long is the warranty",
        assignee_id=agent1,
    )
    with services.db.session() as session:
        called = Contact(provider_id=f"CA-file-{newer}", from_number=phone, to_number=HOTLINE, queue="general")
        called.ticket_id, called.status, called.agent_id = newer, "ended", agent1
        called.answered_at, called.ended_at = utcnow() - timedelta(minutes=9), utcnow() - timedelta(minutes=5)
        session.add(called)
    customer = system.login("supervisor").get(f"/api/tickets/{newer}").json()["customer"]["id"]

    page = page_of(browser, system, "agent1", f"/desk/tickets/{newer}", "#customer-link")
    page.click("#customer-link")
    page.wait_for_url(f"**/desk/customers/{customer}")
    wait_for(page, "#tickets tbody tr")
    expect(page.locator("#facts")).to_contain_text("+86 131****1001")  # masked for agents
    expect(page.locator("#tickets tbody tr")).to_have_count(2)
    expect(page.locator(f'#tickets tr[data-ticket="{older}"]')).to_contain_text("冰箱不制冷 Fridge warm")
    expect(page.locator(f'#tickets tr[data-ticket="{older}"] a').first).to_have_attribute(
        "href", f"/desk/tickets/{older}"
    )
    file = system.login("supervisor").get(f"/api/customers/{customer}").json()
    [shown] = [c for c in file["contacts"] if c["ticket_id"] == newer]
    row = page.locator(f'#contacts tr[data-contact="{shown["id"]}"]')
    expect(row).to_contain_text(in_the_hotline_zone(shown["created_at"]))  # the hotline's clock, not UTC
    expect(row).to_contain_text("电话 · +86 131****1001")
    expect(row).to_contain_text("已结束")
    expect(row).to_contain_text("王芳 Wang Fang")

    page.locator("#grade select[name=grade]").select_option("key")
    page.click("#grade button[type=submit]")
    expect(page.locator("#error")).to_contain_text("只有组长、经理和管理员可以更改客户等级")
    expect(page.locator("#grade-shown")).to_have_text("普通客户")
    expect(page.locator("#grade select[name=grade]")).to_have_value("normal")  # as it is: nothing changed
    page.fill("#product input[name=product_model]", "BCD-470")
    page.fill("#product input[name=serial_number]", "SN-2026-0042")
    page.fill("#product input[name=purchase_date]", "2026-06-18")
    page.click("#product button[type=submit]")
    expect(page.locator("#products li")).to_contain_text("BCD-470")
    expect(page.locator("#products li")).to_contain_text("序列号 SN-2026-0042 · 购买日期 2026-06-18")
    no_raw_code(page)
    page.context.close()

    lead = page_of(browser, system, "supervisor", f"/desk/customers/{customer}", "#products li[data-product]")
    expect(lead.locator("#facts")).to_contain_text(phone)  # team leads see it whole
    lead.locator("#grade select[name=grade]").select_option("key")
    lead.click("#grade button[type=submit]")
    expect(lead.locator("#notice")).to_have_text("客户等级已更新")
    expect(lead.locator("#grade-shown")).to_have_text("重点客户")
    no_raw_code(lead)
    screenshot(lead, "desk-customer.png", full_page=True)
    lead.once("dialog", lambda dialog: dialog.accept())
    lead.click("#products li button.remove")
    expect(lead.locator("#products li")).to_have_text("暂无产品")
    lead.click("#lang")
    expect(lead.locator("#grade-shown")).to_have_text("Key account")
    expect(lead.locator(f'#tickets tr[data-ticket="{older}"]')).to_contain_text("Repair")
    no_raw_code(lead)
    lead.click("#lang")
    assert system.login("supervisor").get(f"/api/customers/{customer}").json()["grade"] == "key"
    lead.context.close()
