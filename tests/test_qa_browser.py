"""The QA workspace end to end in a real browser (Debian's chromium, Playwright), on the in-process system: the
QA lead's work queue holds a sampled call; she opens it, the recording plays in the waveform player, she comments
at 0:07, scores it with a failed critical question and submits; the agent sees it in the console and disputes;
she partly accepts; the figures page shows the new score. The evaluation and figures pages are saved as
docs/screenshots/qa-evaluation.png and qa-figures.png."""

from __future__ import annotations

from typing import Any

from tests.browser import browser as opened_browser
from tests.browser import log_in, screenshot, system_in_process, wait_for
from tests.conftest import DEMO_PASSWORD
from tests.desk import services_of, user_id
from tests.inprocess import InProcessSystem
from tests.qa_world import handled_contact, last_week, published_scorecard, sampled_for, talk_wav

# The browser fixtures (tests/browser.py): this module's own system built in this process, and chromium.
system = system_in_process
browser = opened_browser


def sampled_call(system: InProcessSystem) -> int:
    """agent1's call of last week, sampled for the QA lead by a policy run; returns the contact."""
    services = services_of(system)
    published_scorecard(services, actor_id=user_id(system, "qa"), name="热线服务 Hotline service")
    contact = handled_contact(
        services,
        agent_id=user_id(system, "agent1"),
        queue="complaints",
        ended_ago=last_week(services),
        audio=talk_wav(12),
    )
    assert sampled_for(system.login("qa"), evaluator_id=user_id(system, "qa"), queue="complaints", seed=17) == [contact]
    return contact


def answer(page: Any, question: str, value: str) -> None:
    page.check(f'#answers input[name="a-{question}"][value="{value}"]')


def test_a_sampled_call_is_scored_disputed_partly_accepted_and_counted(system: InProcessSystem, browser: Any) -> None:
    contact = sampled_call(system)
    qa = browser.new_page(height=1000)
    log_in(qa, system.base_url, "qa", DEMO_PASSWORD, "/qa/work")
    wait_for(qa, '#nav a[href="/qa/figures"]')  # the QA pages' shared links (qa/static/qa-nav.js)
    assert qa.locator('#nav a[href="/qa/scorecards"]').count() == 1 and qa.locator('#nav a[href="/desk"]').count() == 0
    row = qa.locator("tr[data-item]").filter(has_text=str(contact)).first
    row.locator("button.claim").click()
    qa.wait_for_url("**/qa/evaluations/*")
    evaluation = int(qa.url.rsplit("/", 1)[1])
    wait_for(qa, "#media[data-drawn]")  # the waveform, both channels
    player = "document.querySelector('#media').recordingPlayer"
    qa.evaluate(f"{player}.seek(7)")
    qa.fill("#comment-text", "没有核实客户身份 No identity check")
    qa.click("#comment-form button[type=submit]")
    wait_for(qa, "#comments button.moment")
    assert qa.inner_text("#comments button.moment") == "0:07"
    assert qa.locator("#media button.rp-marker").count() == 1  # the comment on the waveform

    for question, value in (
        ("verified", "yes"),
        ("courtesy", "4"),
        ("explained", "fully"),
        ("follow_up_offered", "na"),
        ("accurate", "no"),
    ):
        answer(qa, question, value)
    qa.wait_for_function("() => document.querySelector('#score').textContent.startsWith('52.5')")  # autosaved, scored
    assert qa.locator("#answers .question.failed").count() == 1  # the critical question that failed its section
    qa.click("#actions button.primary")
    wait_for(qa, "#history li")
    screenshot(qa, "qa-evaluation.png", full_page=True)

    agent = browser.new_page()
    log_in(agent, system.base_url, "agent1", DEMO_PASSWORD, "/console")
    link = agent.locator(f'#quality-list a[href="/qa/evaluations/{evaluation}"]')
    link.wait_for()
    agent.goto(system.base_url + f"/qa/evaluations/{evaluation}")
    wait_for(agent, "#dispute-box form")
    agent.fill("#dispute-box textarea[name=words]", "我核对过订单号 I checked the order number")
    agent.click("#dispute-box details summary")
    agent.check('#dispute-box input[name="p-accurate"][value="yes"]')
    agent.click("#dispute-box button[type=submit]")
    agent.wait_for_function(
        "() => document.querySelector('#history').textContent.includes('In review') "
        "|| document.querySelector('#history').textContent.includes('审核中')"
    )

    qa.reload()
    wait_for(qa, "#dispute-box form")
    qa.select_option("#dispute-box select[name=outcome]", "partial")
    qa.fill("#dispute-box textarea[name=words]", "准确性可以接受 Accuracy accepted")
    qa.click("#dispute-box details summary")
    qa.check('#dispute-box input[name="r-accurate"][value="yes"]')
    qa.click("#dispute-box button[type=submit]")
    qa.wait_for_function("() => document.querySelector('#score').textContent.startsWith('92.5')")

    figures = browser.new_page(height=1000)
    log_in(figures, system.base_url, "qa", DEMO_PASSWORD, "/qa/figures")
    figures.wait_for_function("() => document.querySelector('#average').textContent.includes('92.5')")
    screenshot(figures, "qa-figures.png", full_page=True)
