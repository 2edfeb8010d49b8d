"""Client devices, as the agent console uses them in sandbox mode: registering, a <Dial><Client> that
rings until the device answers or rejects it, mute and hang-up, and CORS for the console's origin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.hotline import CALLER, DIRECT, IVR, events, twilio_client, wait_until
from twilio_sandbox import place_call, wait_for_call


@pytest.fixture
def device(env: dict[str, Any]) -> Iterator[str]:
    """agent-2's device registered for one test (hotline's DIRECT number dials agent-2)."""
    base = f"{env['url']}/sandbox/clients/agent-2"
    assert httpx.post(f"{base}/register").json() == {"identity": "agent-2", "expires_in": 60}
    yield base
    httpx.delete(f"{base}/register")


def ringing(base: str, call_sid: str, status: str = "ringing") -> dict[str, Any] | None:
    """The device's entry for one call once it has `status`."""
    calls = httpx.get(f"{base}/calls").json()
    return next((c for c in calls if c["call_sid"] == call_sid and c["status"] == status), None)


def test_a_registered_device_rings_until_answered_then_mutes_and_hangs_up(env: dict[str, Any], device: str) -> None:
    hotline, url = env["hotline"], env["url"]
    sid = place_call(url, from_=CALLER, to=DIRECT)
    entry = wait_until(lambda: ringing(device, sid))
    assert entry["from"] == CALLER and entry["since"]
    assert httpx.get(f"{url}/sandbox/calls/{sid}").json()["bridged"] is False

    answered = httpx.post(f"{device}/calls/{sid}/answer")
    assert answered.status_code == 200 and answered.json()["status"] == "in-progress"
    wait_until(lambda: httpx.get(f"{url}/sandbox/calls/{sid}").json()["bridged"])
    assert httpx.post(f"{device}/calls/{sid}/answer").status_code == 409
    assert httpx.post(f"{device}/calls/{sid}/mute", json={"muted": True}).json()["muted"] is True
    assert httpx.post(f"{device}/calls/{sid}/mute", json={"muted": "yes"}).status_code == 400
    assert httpx.post(f"{device}/calls/{sid}/hangup").status_code == 200
    call = wait_for_call(url, sid, timeout=10)

    assert hotline.received("/dial-action", sid)[0]["DialCallStatus"] == "completed"
    assert events(call, "bridge-ended")[0]["by"] == "agent"
    assert events(call, "client-mute")[0] == {**events(call, "client-mute")[0], "client": "agent-2", "muted": True}
    assert httpx.get(f"{device}/calls").json() == []


def test_a_rejected_call_reports_busy_to_the_dial_action(env: dict[str, Any], device: str) -> None:
    sid = place_call(env["url"], from_=CALLER, to=DIRECT)
    wait_until(lambda: ringing(device, sid))
    assert httpx.post(f"{device}/calls/{sid}/reject").status_code == 200
    call = wait_for_call(env["url"], sid, timeout=10)

    action = env["hotline"].received("/dial-action", sid)[0]
    assert action["DialCallStatus"] == "busy" and action["DialBridged"] == "false"
    assert call["bridged"] is False


def test_an_unanswered_device_reports_no_answer_after_the_dial_timeout(env: dict[str, Any], device: str) -> None:
    sid = place_call(env["url"], from_=CALLER, to=IVR, digits=["1"])
    wait_until(lambda: env["hotline"].received("/hold", sid))
    twiml = '<Response><Dial timeout="1" action="/dial-action"><Client>agent-2</Client></Dial></Response>'
    twilio_client(env).calls(sid).update(twiml=twiml)
    wait_until(lambda: ringing(device, sid))
    call = wait_for_call(env["url"], sid, timeout=10)

    assert env["hotline"].received("/dial-action", sid)[0]["DialCallStatus"] == "no-answer"
    assert events(call, "dial-no-answer") and httpx.get(f"{device}/calls").json() == []


def test_device_requests_are_checked(env: dict[str, Any], device: str) -> None:
    clients = f"{env['url']}/sandbox/clients"
    assert httpx.post(f"{clients}/agent%202/register").status_code == 400
    assert httpx.post(f"{device}/calls/CA{'0' * 32}/answer").status_code == 404
    assert httpx.post(f"{device}/calls/CA{'0' * 32}/transfer").status_code == 404
    unregistered = httpx.delete(f"{clients}/agent-77/register").json()
    assert unregistered == {"identity": "agent-77", "registered": False, "was_registered": False}


def test_the_console_origin_may_call_the_sandbox_control_api(env: dict[str, Any], device: str) -> None:
    origin = {"Origin": "http://127.0.0.1:8000"}
    preflight = httpx.options(f"{device}/register", headers={**origin, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == "*"
    assert httpx.get(f"{device}/calls", headers=origin).headers["access-control-allow-origin"] == "*"
    rest = httpx.get(f"{env['url']}/2010-04-01/Accounts/x/Calls.json", headers=origin)
    assert "access-control-allow-origin" not in rest.headers
