"""The ticket desk in a real browser (Debian's chromium, driven by Playwright), on the in-process system: a
team lead filters the desk, saves a view, opens a ticket, adds a note, moves its status, sees a refused
move's message and assigns it; an emergency escalation reaches the manager's wallboard and the lead's
console as notices; callbacks and voicemails are worked from the desk's tabs; a manager edits an SLA
policy in place. No raw code (in_progress, waiting_customer, …) is ever on a page, in either language. The
browsers run in UTC, as a machine may: every time shown is still the hotline's (Asia/Shanghai).
The desk, a ticket and the policies are saved as docs/screenshots/desk*.png."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from contactcenter.contacts.models import Contact
from contactcenter.timeutil import utcnow
from contactcenter.voicemails.models import Voicemail
from tests.browser import browser as opened_browser
from tests.browser import log_in, page_log, screenshot, system_in_process, wait_for, watch
from tests.conftest import DEMO_PASSWORD
from tests.desk import make_ticket, services_of, user_id
from tests.inprocess import InProcessSystem

RAW_CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")
# Codes of one word, which read as English: on a page in Chinese none of them is ever shown.
RAW_WORDS = re.compile(
    r"\b(general|repair|complaints|voice|chat|inbound|callback|stored|pending|transferred|resolved|reopened|"
    r"closed|dispatched|acknowledged|ended|connected|queued|abandoned|normal|key|yes|no|true|false|null)\b"
)
MS_ZHAO = "+8613800138000"


# The browser fixtures (tests/browser.py): this module's own system built in this process, and chromium.
system = system_in_process
browser = opened_browser


def page_in_utc(browser: Any) -> Any:
    """A page whose browser runs in UTC (the machine's zone, not the hotline's): times must still be Shanghai's."""
    context = browser.browser.new_context(
        locale=browser.locale, timezone_id="UTC", viewport={"width": 1400, "height": 900}
    )
    page = context.new_page()
    watch(page)
    return page


def page_of(browser: Any, system: InProcessSystem, username: str, path: str, ready: str) -> Any:
    page = page_in_utc(browser)
    log_in(page, system.base_url, username, DEMO_PASSWORD, path)
    wait_for(page, ready)
    return page


def no_raw_code(page: Any) -> None:
    """What a person reads on the page has no code in it (statuses, categories, targets are in words)."""
    shown = page.evaluate("document.body.innerText")
    assert not RAW_CODE.findall(shown), f"raw codes on the page: {sorted(set(RAW_CODE.findall(shown)))}"
    if page.evaluate("document.documentElement.lang") == "zh-CN":
        assert not RAW_WORDS.findall(shown), f"codes on the page in Chinese: {sorted(set(RAW_WORDS.findall(shown)))}"
    assert "page error" not in page_log(page)


def in_the_hotline_zone(iso: str) -> str:
    """A stored time as the desk shows it: the hotline's wall clock (a time without an offset is UTC)."""
    at = datetime.fromisoformat(iso)
    return (
        (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    )


def test_a_team_lead_filters_the_desk_and_works_a_ticket_on_its_page(system: InProcessSystem, browser: Any) -> None:
    from playwright.sync_api import expect

    services = services_of(system)
    agent1, agent2 = user_id(system, "agent1"), user_id(system, "agent2")
    leak = make_ticket(
        services, category="repair", subject="洗衣机漏水 Washer leaking", queue="repair", assignee_id=agent1
    )
    late = make_ticket(
        services,
        category="complaint",
        subject="安装师傅迟到 Installer late",
        queue="complaints",
        opened_at=utcnow() - timedelta(hours=2),
    )
    make_ticket(services, category="consultation", subject="空调怎么清洗 How to clean the AC", phone=MS_ZHAO)
    make_ticket(services, category="return_exchange", subject="退货申请 Return request", assignee_id=agent2)

    page = page_of(browser, system, "supervisor", "/desk", "#tickets tbody tr")
    expect(page.locator("#views button.active")).to_have_text("我的团队")  # a team lead starts on the team's tickets
    rows = page.locator("#tickets tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator(f'tr[data-ticket="{late}"] td.due')).to_have_class(re.compile("breached"))  # past due: red
    expect(page.locator(f'tr[data-ticket="{late}"] td.due')).to_contain_text("超时")
    expect(page.locator(f'tr[data-ticket="{leak}"]')).to_contain_text("报修")
    expect(page.locator(f'tr[data-ticket="{leak}"] td.due')).to_contain_text("剩余 0:")  # 30 minutes to respond
    shown = system.login("supervisor").get(f"/api/tickets/{late}").json()
    # The browser is in UTC: the hotline's wall clock all the same (14:24, not 06:24).
    expect(page.locator(f'tr[data-ticket="{late}"] td').last).to_have_text(in_the_hotline_zone(shown["updated_at"]))
    no_raw_code(page)
    screenshot(page, "desk.png")

    page.locator("#filters select[name=category]").select_option("repair")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-ticket", str(leak))
    page.fill("#saved-name", "报修 Repairs")
    page.click("#saved-save")
    expect(page.locator("#notice")).to_contain_text("报修 Repairs")
    page.click("#reset")
    expect(rows).to_have_count(4)
    page.locator("#saved").select_option(label="报修 Repairs")
    expect(rows).to_have_count(1)
    page.click("#reset")
    page.fill("#filters input[name=q]", "迟到")
    page.press("#filters input[name=q]", "Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-ticket", str(late))
    page.click("#reset")
    page.locator("#filters select[name=due]").select_option("breached")
    expect(rows).to_have_count(0)  # the alarm has not run: past due, not yet recorded breached
    page.click("#reset")

    page.click(f'tr[data-ticket="{leak}"] a >> nth=0')
    page.wait_for_url(f"**/desk/tickets/{leak}")
    wait_for(page, "#moves button.move")
    expect(page.locator("#status")).to_have_text("新建")
    opened = system.login("supervisor").get(f"/api/tickets/{leak}").json()["created_at"]
    expect(page.locator("#facts")).to_contain_text(f"创建于: {in_the_hotline_zone(opened)}")
    expect(page.locator("#clocks li")).to_have_count(3)  # respond, dispatch, resolve
    page.fill("#compose textarea[name=body]", "客户说洗衣机漏水 the washer leaks")
    page.click("#compose button[type=submit]")
    expect(page.locator("#timeline li.note").first).to_contain_text("客户说洗衣机漏水 the washer leaks")

    page.click("#moves button[data-status=acknowledged]")
    expect(page.locator("#status")).to_have_text("已受理")
    expect(page.locator("#clocks li[data-clock=respond]")).to_contain_text("已完成")  # answered in time
    # Someone else dispatches it meanwhile: this page still offers "resolved", which is refused as it comes.
    assert system.login("agent1").post(f"/api/tickets/{leak}/status", json={"status": "dispatched"}).status_code == 200
    page.click("#moves button[data-status=resolved]")
    expect(page.locator("#error")).to_contain_text("cannot go from 已派单 Dispatched to 已解决 Resolved")
    expect(page.locator("#status")).to_have_text("已派单")  # read again: the moves of now
    expect(page.locator("#moves button.move")).to_have_text(["处理中", "等待客户"])

    page.locator("#assignee").select_option(str(agent2))
    page.click("#assign")
    expect(page.locator("#facts")).to_contain_text("李明 Li Ming")
    expect(page.locator("#timeline")).to_contain_text("分配 · 张伟 Zhang Wei · 王芳 Wang Fang → 李明 Li Ming")
    page.fill("#fields input[name=product_model]", "XQG100-B")
    page.fill("#fields input[name=purchase_date]", "2026-11-02")
    page.locator("#fields select[name=outcome]").select_option("fixed")
    page.click("#fields button[type=submit]")
    expect(page.locator("#timeline")).to_contain_text("产品型号: — → XQG100-B")
    expect(page.locator("#timeline")).to_contain_text("处理结果: — → 已修复")  # the outcome in words
    no_raw_code(page)
    screenshot(page, "desk-ticket.png", full_page=True)

    page.click("#lang")
    expect(page.locator("h1")).to_have_text("Ticket")
    expect(page.locator("#status")).to_have_text("Dispatched")
    expect(page.locator("#timeline")).to_contain_text("Assigned · 张伟 Zhang Wei")
    no_raw_code(page)
    page.click("#lang")
    expect(page.locator("#status")).to_have_text("已派单")
    ticket = system.login("supervisor").get(f"/api/tickets/{leak}").json()
    assert (ticket["assignee_id"], ticket["product_model"], ticket["outcome"]) == (agent2, "XQG100-B", "fixed")
    assert ticket["notes"][0]["body"] == "客户说洗衣机漏水 the washer leaks"
    page.context.close()


def test_an_emergency_escalation_reaches_the_managers_wallboard_and_the_leads_console(
    system: InProcessSystem, browser: Any
) -> None:
    from playwright.sync_api import expect

    ticket = make_ticket(
        services_of(system),
        category="repair",
        subject="热水器漏电 Heater leaks current",
        assignee_id=user_id(system, "agent1"),
    )
    number = f"T-{ticket:06d}"
    wallboard = page_of(browser, system, "manager", "/wallboard", "#conn.on")
    console = page_of(browser, system, "supervisor", "/console", "#conn.on")
    expect(console.locator("#notices .notices-count")).to_have_text("0")

    page = page_of(browser, system, "supervisor", f"/desk/tickets/{ticket}", "#moves button.move")
    expect(page.locator("#level")).to_have_text("处理人")
    page.fill("#emergency input[name=reason]", "客户家中有漏电危险 risk of electric shock")
    page.click("#emergency button[type=submit]")
    expect(page.locator("#level")).to_have_text("经理")
    expect(page.locator("#escalate")).to_be_disabled()
    expect(page.locator("#timeline")).to_contain_text("升级 · 张伟 Zhang Wei · 处理人 → 经理 · 紧急 · 跳过 组长")

    # The managers hear of it on the wallboard; the skipped team lead on the console, with the reason.
    expect(wallboard.locator("#notices .notices-count")).to_have_text("1", timeout=10_000)
    wallboard.click("#notices .notices-bell")
    expect(wallboard.locator(".notice-item")).to_contain_text(f"工单 {number} 已升级至经理(紧急)")
    expect(console.locator("#notices .notices-count")).to_have_text("1", timeout=10_000)
    console.click("#notices .notices-bell")
    item = console.locator(".notice-item")
    expect(item).to_contain_text(f"工单 {number} 紧急升级至经理,跳过了组长")
    expect(item).to_contain_text("risk of electric shock")
    expect(item.locator("a")).to_have_attribute("href", f"/desk/tickets/{ticket}")
    console.click(".notice-read")
    expect(console.locator("#notices .notices-count")).to_have_text("0")
    assert system.login("supervisor").get("/api/notifications", params={"unread": "1"}).json()["notifications"] == []
    wallboard.reload()  # unread ones are read at start
    expect(wallboard.locator("#notices .notices-count")).to_have_text("1", timeout=10_000)
    wallboard.click("#lang")
    wallboard.click("#notices .notices-bell")
    expect(wallboard.locator(".notice-item")).to_contain_text(f"Ticket {number} escalated to Manager (emergency)")
    for opened in (wallboard, console, page):
        opened.context.close()


def test_a_duplicate_is_merged_from_its_page_and_unmerged_and_the_list_pages_with_more(
    system: InProcessSystem, browser: Any
) -> None:
    from playwright.sync_api import expect

    services = services_of(system)
    first = make_ticket(services, category="order", subject="订单未送达 Order not delivered", phone="+8613700137001")
    again = make_ticket(services, category="order", subject="又来电催单 Calling again", phone="+8613700137001")
    page = page_of(browser, system, "supervisor", f"/desk/tickets/{again}", "#moves button.move")
    page.click("#find-duplicates")
    found = page.locator(f'#duplicates li[data-ticket="{first}"]')
    expect(found).to_contain_text(f"T-{first:06d} 订单未送达 Order not delivered · 新建 · 订单")
    found.locator("button").click()
    expect(page.locator("#merged-banner")).to_be_visible()
    expect(page.locator("#merged-link")).to_have_text(f"T-{first:06d}")
    expect(page.locator("#status")).to_have_text("已合并")
    expect(page.locator("#moves")).to_have_text("只读")
    expect(page.locator("#compose button[type=submit]")).to_be_disabled()
    no_raw_code(page)
    page.click("#unmerge")
    expect(page.locator("#merged-banner")).to_be_hidden()
    expect(page.locator("#status")).to_have_text("新建")
    expect(page.locator("#timeline")).to_contain_text("取消合并")
    page.click("#reapply")  # team leads may put the clocks on today's policies
    expect(page.locator("#notice")).to_have_text("已重新应用时限策略")

    for n in range(50):
        make_ticket(services, category="order", subject=f"批量订单 Bulk order {n}", phone=None)
    page.goto(f"{system.base_url}/desk?view=team&category=order")
    rows = page.locator("#tickets tbody tr")
    expect(rows).to_have_count(50)  # a page
    page.click("#more")
    expect(rows).to_have_count(52)  # and the rest, after the last one shown
    expect(page.locator("#more")).to_be_hidden()
    for ticket in (first, again):
        expect(page.locator(f'#tickets tr[data-ticket="{ticket}"]')).to_have_count(1)
    page.context.close()


def test_callbacks_and_voicemails_are_worked_from_the_desk(system: InProcessSystem, browser: Any) -> None:
    from playwright.sync_api import expect

    services = services_of(system)
    ticket = make_ticket(
        services, category="repair", subject="回电确认上门时间 Call back about the visit", queue="repair"
    )
    with services.db.session() as session:
        message = Contact(provider_id=f"CA-voicemail-{ticket}", from_number=MS_ZHAO, to_number="+8640000000")
        message.ticket_id, message.queue, message.status = ticket, "general", "ended"
        session.add(message)
        session.flush()
        session.add(
            Voicemail(
                contact_id=message.id,
                ticket_id=ticket,
                queue="general",
                phone=MS_ZHAO,
                status="new",
                duration_seconds=42,
            )
        )
        called = Contact(provider_id=f"CA-desk-{ticket}", from_number=MS_ZHAO, to_number="+8640000000", queue="repair")
        called.ticket_id, called.status, called.ended_at = ticket, "ended", utcnow()
        session.add(called)  # the newest call: the callback goes to its number, in its queue

    page = page_of(browser, system, "supervisor", f"/desk/tickets/{ticket}", "#moves button.move")
    at = page.locator("#callback input[name=at]").input_value()  # tomorrow, 10:00 in the hotline's zone
    assert at.endswith("T10:00")
    page.fill("#callback input[name=note]", "确认师傅上门时间 confirm the visit")
    page.click("#callback button[type=submit]")
    expect(page.locator("#timeline")).to_contain_text("安排回电 · 张伟 Zhang Wei · 回电")

    page.goto(f"{system.base_url}/desk#callbacks")
    row = page.locator("#callbacks tbody tr").filter(has_text="确认师傅上门时间")
    [scheduled] = [
        c for c in system.login("supervisor").get("/api/callbacks").json()["callbacks"] if c["ticket_id"] == ticket
    ]
    expect(row).to_contain_text(in_the_hotline_zone(scheduled["scheduled_for"]))
    expect(row).to_contain_text("已预约")
    expect(row).to_contain_text("报修 Repairs")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button.cancel").click()
    expect(row).to_contain_text("已取消")
    no_raw_code(page)

    page.click(".tabs button[data-tab=voicemails]")
    voicemail = page.locator("#voicemails tbody tr").filter(has_text=f"T-{ticket:06d}")
    expect(voicemail).to_contain_text("新留言")
    expect(voicemail).to_contain_text("咨询 General enquiries")
    voicemail.locator("button.take").click()
    expect(voicemail).to_contain_text("处理中")
    expect(voicemail).to_contain_text("张伟 Zhang Wei")
    voicemail.locator("button.done").click()
    expect(voicemail).to_contain_text("已完成")
    no_raw_code(page)
    page.context.close()


def test_a_manager_edits_an_sla_policy_in_place(system: InProcessSystem, browser: Any) -> None:
    from playwright.sync_api import expect

    assert system.login("agent1").get("/desk/policies").status_code == 403  # managers' page
    page = page_of(browser, system, "manager", "/desk/policies", "#policies tbody tr")
    row = page.locator('tr[data-policy="complaint/resolve"]')
    expect(row).to_contain_text("投诉")
    expect(row).to_contain_text("48 小时")
    row.locator("input[name=minutes]").fill("2160")
    row.locator("select[name=calendar]").select_option("office")
    row.locator("input[name=warn_percent]").fill("75")
    expect(row).to_contain_text("36 小时")
    row.locator("button").click()
    expect(page.locator("#notice")).to_contain_text("投诉 · 解决: 策略已保存,新版本: 1")
    expect(page.locator('tr[data-policy="complaint/resolve"] td.version')).to_have_text("1")
    no_raw_code(page)
    screenshot(page, "desk-policies.png")
    manager: httpx.Client = system.login("manager")
    saved = next(
        p
        for p in manager.get("/api/sla-policies").json()["policies"]
        if p["target"] == "resolve" and p["category"] == "complaint"
    )
    assert (saved["minutes"], saved["calendar"], saved["warn_percent"], saved["version"]) == (2160, "office", 75, 1)
    page.click("#lang")
    expect(page.locator("h1")).to_have_text("SLA policies")
    expect(page.locator('tr[data-policy="*/escalation:1"]')).to_contain_text("Every category")
    no_raw_code(page)
    page.context.close()
