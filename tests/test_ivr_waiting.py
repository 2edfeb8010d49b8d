"""Waiting callers: announcements and hold music, keys for a callback (keeping the place) or a
voicemail, every QueueResult Twilio sends, and every call status."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from redis import Redis
from sqlalchemy import text

from tests import twilio_params as tw
from tests.conftest import HOTLINE, System
from tests.console import AgentConsole
from tests.ivr_caller import Caller
from tests.webhooks import signed_post
from twilio_sandbox.client import place_call


def queued_caller(system: System, *, english: bool = False, choice: str = "3") -> Caller:
    """A caller waiting in the complaints queue (nobody is available in these tests)."""
    caller = Caller(system)
    caller.dial()
    caller.press("2" if english else "1")
    caller.press(choice)
    assert caller.root.find("Enqueue") is not None
    return caller


def score(system: System, queue: str, contact_id: int) -> float | None:
    return Redis.from_url(system.redis_url).zscore(f"cc:{{rt}}:waiting:{queue}", str(contact_id))


def rows(system: System, query: str, **params: object) -> list[dict]:
    engine = system.sql()
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(query), params).mappings()]
    finally:
        engine.dispose()


def test_a_waiting_round_tells_the_place_offers_the_keys_and_plays_hold_music(system: System) -> None:
    caller = queued_caller(system, english=True)
    caller.wait_round(caller.enqueue_url("wait"), queue_time=0)
    gather = caller.root.find("Gather")
    assert gather is not None and "wait-key" in gather.attrib["action"]
    heard = caller.heard()
    assert "You are next in line" in heard or "ahead of you" in heard
    assert "press 1" in heard and "press 2" in heard
    play = gather.find("Play")
    assert play is not None and play.text and "/ivr/hold-music.wav?seconds=" in play.text
    music = httpx.get(play.text, timeout=10)
    assert music.status_code == 200 and music.content[:4] == b"RIFF"
    caller.status("completed")


def test_later_rounds_repeat_the_place_without_the_keys_while_the_wait_is_short(system: System) -> None:
    caller = queued_caller(system)
    caller.wait_round(caller.enqueue_url("wait"), queue_time=50)
    assert "请稍候" in caller.heard() and "请按1" not in caller.heard()
    caller.status("completed")


def test_hold_music_refuses_silly_lengths(system: System) -> None:
    assert httpx.get(system.base_url + "/ivr/hold-music.wav?seconds=9999", timeout=10).status_code == 400


def test_pressing_2_while_waiting_leaves_a_voicemail_that_reaches_the_queues_list(system: System) -> None:
    caller = queued_caller(system)
    action = caller.enqueue_url("action")
    contact_id = caller.contact()["id"]
    caller.wait_round(caller.enqueue_url("wait"))
    caller.press("2")
    assert caller.root.find("Leave") is not None
    caller.queue_result(action, "leave")
    assert caller.root.find("Record") is not None and "请在提示音后留言" in caller.heard()
    assert score(system, "complaints", contact_id) is None  # out of the queue
    caller.record_done("#")
    assert "您的留言已收到" in caller.heard() and caller.root.find("Hangup") is not None
    [voicemail] = rows(system, "select * from voicemails where contact_id = :c", c=contact_id)
    assert voicemail["status"] == "recording" and voicemail["queue"] == "complaints"

    params = tw.recording_status_callback(
        call=caller.call,
        recording_sid=tw.new_sid("RE"),
        recording_status="completed",
        recording_start_time=datetime.now(UTC),
        recording_duration=7,
        recording_source="RecordVerb",
    )
    assert caller.post(system.base_url + f"/twilio/recording?contact={contact_id}", params).status_code == 200
    agent = system.login("agent1")
    listed = agent.get("/api/voicemails", params={"queue": "complaints", "status": "new"}).json()["voicemails"]
    mine = [v for v in listed if v["contact_id"] == contact_id]
    assert mine and mine[0]["ticket"] and mine[0]["duration_seconds"] == 7
    taken = agent.post(f"/api/voicemails/{mine[0]['id']}/take")
    assert taken.status_code == 200 and taken.json()["status"] == "taken"
    assert agent.post(f"/api/voicemails/{mine[0]['id']}/take").status_code == 409
    assert caller.contact()["status"] == "ended"


def test_pressing_1_while_waiting_books_a_callback_that_keeps_the_place(system: System) -> None:
    caller = queued_caller(system, english=True)
    action = caller.enqueue_url("action")
    contact_id = caller.contact()["id"]
    place = score(system, "complaints", contact_id)
    caller.wait_round(caller.enqueue_url("wait"))
    caller.press("1")
    tail = caller.call["From"][-4:]
    assert f"ending in {' '.join(tail)}" in caller.heard()
    caller.press("1")
    assert caller.root.find("Leave") is not None
    caller.queue_result(action, "leave")
    assert "your place is kept" in caller.heard() and caller.root.find("Hangup") is not None
    assert caller.status("completed").status_code == 200
    assert caller.contact()["status"] == "callback"
    assert score(system, "complaints", contact_id) == place  # same place in the queue
    [callback] = rows(system, "select * from callbacks where contact_id = :c", c=contact_id)
    assert callback["status"] == "waiting" and callback["phone"] == caller.call["From"]
    routing = Redis.from_url(system.redis_url)
    assert routing.hget(f"cc:{{rt}}:contact:{contact_id}", "callback") == b"1"

    supervisor = system.login("supervisor")
    listed = supervisor.get("/api/callbacks", params={"status": "waiting"}).json()["callbacks"]
    assert any(c["id"] == callback["id"] for c in listed)
    canceled = supervisor.post(f"/api/callbacks/{callback['id']}/cancel")
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    assert score(system, "complaints", contact_id) is None  # called off: out of the queue
    assert supervisor.post(f"/api/callbacks/{callback['id']}/cancel").status_code == 409
    assert system.login("agent1").post(f"/api/callbacks/{callback['id']}/cancel").status_code == 403


def test_a_caller_can_key_in_another_number_for_the_callback(system: System) -> None:
    caller = queued_caller(system)
    caller.wait_round(caller.enqueue_url("wait"))
    caller.press("1")
    caller.press("2")
    assert "请输入您的电话号码" in caller.heard()
    caller.press("123")
    assert "这个号码无法回拨" in caller.heard()
    caller.press("13912345678")
    assert "尾号为5 6 7 8" in caller.heard()
    caller.press("1")
    [callback] = rows(system, "select * from callbacks where contact_id = :c", c=caller.contact()["id"])
    assert callback["phone"] == "+8613912345678"


@pytest.mark.parametrize("result", ["bridged", "bridging-in-process", "redirected"])
def test_queue_results_that_mean_the_call_moved_on_change_nothing(system: System, result: str) -> None:
    caller = queued_caller(system)
    caller.queue_result(caller.enqueue_url("action"), result)
    assert list(caller.root) == [] and caller.contact()["status"] == "queued"
    caller.status("completed")


def test_a_hangup_in_the_queue_is_abandoned_silently(system: System) -> None:
    caller = queued_caller(system)
    caller.queue_result(caller.enqueue_url("action"), "hangup")
    assert list(caller.root) == []
    contact = caller.contact()
    assert contact["status"] == "abandoned"


@pytest.mark.parametrize("result", ["queue-full", "error", "system-error", "leave"])
def test_queue_results_that_end_the_wait_apologise_and_hang_up(system: System, result: str) -> None:
    caller = queued_caller(system, english=True)
    caller.queue_result(caller.enqueue_url("action"), result)
    assert "Sorry, we cannot take your call right now." in caller.heard()
    assert caller.root.find("Hangup") is not None and caller.contact()["status"] == "abandoned"


@pytest.mark.parametrize("status", ["queued", "ringing", "in-progress"])
def test_progress_statuses_leave_the_call_as_it_is(system: System, status: str) -> None:
    caller = queued_caller(system)
    assert caller.status(status).status_code == 200
    assert caller.contact()["status"] == "queued"
    caller.status("completed")


@pytest.mark.parametrize("status", ["completed", "busy", "no-answer", "failed", "canceled"])
def test_final_statuses_end_a_waiting_call_once(system: System, status: str) -> None:
    caller = queued_caller(system)
    assert caller.status(status).status_code == 200
    assert caller.status(status).status_code == 200  # Twilio retries
    contact = caller.contact()
    assert contact["status"] == "abandoned" and score(system, "complaints", contact["id"]) is None


def test_an_unknown_call_status_is_refused_and_changes_nothing(system: System) -> None:
    caller = queued_caller(system)
    params = {**caller.call, "CallStatus": "exploded"}
    response = signed_post(system, "/twilio/voice/status", params)
    assert response.status_code == 400 and "exploded" in response.text
    assert caller.contact()["status"] == "queued"
    caller.status("completed")


def test_while_the_expected_wait_is_long_every_round_offers_the_callback_again(system: System) -> None:
    console = AgentConsole(system, "agent2")  # general and repair
    try:
        console.go("available")
        talking = place_call(system.sandbox_url, from_="+8613912340009", to=HOTLINE, digits=["1", "1"], talk_seconds=30)
        offer = console.next_event("offer.created")
        assert console.accept(offer["contact"]).status_code == 200
        console.next_event("agent.state", state="busy")
        first, second = queued_caller(system, choice="1"), queued_caller(system, choice="1")  # both behind the call

        second.wait_round(second.enqueue_url("wait"), queue_time=50)  # 2nd in line, one agent: ~270 s
        assert "预计等待约" in second.heard() and "如需保留排队位置并由我们回电,请按1" in second.heard()
        first.wait_round(first.enqueue_url("wait"), queue_time=50)  # next in line: ~90 s, under 180 s
        assert "您是下一位" in first.heard() and "请按1" not in first.heard()
        for caller in (first, second):
            caller.status("completed")
        httpx.post(f"{system.sandbox_url}/sandbox/calls/{talking}/hangup", json={"side": "caller"}, timeout=10)
    finally:
        console.post("/api/agent/state", {"state": "offline"})
        console.close()
