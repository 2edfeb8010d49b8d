"""A caller is never dropped by us (issue 14), also when a webhook fails outright: every status callback
URL we give Twilio asks to be retried on a 5xx or no answer (connection overrides), so news answered 503
during a store outage is delivered again; and the number's voice fallback URL, asked when Twilio got no
TwiML from one of our voice webhooks, plays hold music and asks that webhook again, without Redis or the
database. Run through the sandbox, configured as a real number is."""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.telephony import CALLBACK_RETRIES, VOICE_FALLBACK_PATH, number_webhooks
from ivr import service
from tests.conftest import HOTLINE, System
from tests.hotline import events, wait_until
from tests.webhooks import new_call_sid, new_mobile, signed_post, twiml
from twilio_sandbox import get_call, place_call, wait_for_call

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("contactcenter", "ivr", "queues", "agents", "recordings")


def _status_callback_values(tree: ast.AST) -> list[ast.expr]:
    """Values given to Twilio as a status callback URL: keyword arguments and dict entries named
    `*status_callback` (not their `_method` or `_event`)."""
    values: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg and node.arg.endswith("status_callback"):
            values.append(node.value)
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and str(key.value).endswith("status_callback"):
                    values.append(value)
    return values


def _retried(value: ast.expr) -> bool:
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "retried"


def test_every_status_callback_url_the_product_gives_twilio_asks_for_retries() -> None:
    given: list[str] = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            for value in _status_callback_values(ast.parse(path.read_text(encoding="utf-8"))):
                # A bare name is a parameter passing on a URL built (and retried) by its caller.
                if not isinstance(value, ast.Name | ast.Constant):
                    given.append(
                        f"{path.relative_to(ROOT)}:{value.lineno}: {'ok' if _retried(value) else 'NOT RETRIED'}"
                    )
    assert len(given) >= 7  # rooms, recordings, agent and monitor legs, callbacks, voicemail
    assert [line for line in given if line.endswith("NOT RETRIED")] == []
    webhooks = number_webhooks("https://cc.example")
    assert webhooks["StatusCallback"] == "https://cc.example/twilio/voice/status#" + CALLBACK_RETRIES
    assert webhooks["VoiceFallbackUrl"] == "https://cc.example" + VOICE_FALLBACK_PATH


def test_a_callback_is_signed_over_its_url_without_the_connection_overrides(system: System) -> None:
    """Twilio leaves the fragment out of the signature; so does the check (the request never carries it)."""
    call_sid = new_call_sid()
    params = {"CallSid": call_sid, "CallStatus": "ringing", "From": new_mobile(), "To": HOTLINE}
    assert signed_post(system, "/twilio/voice/status", params).status_code == 200
    with_fragment = "/twilio/voice/status#" + CALLBACK_RETRIES
    refused = signed_post(system, "/twilio/voice/status", params, signed_path_and_query=with_fragment)
    assert refused.status_code == 403


def test_a_call_status_callback_answered_503_is_asked_again_and_the_caller_is_registered(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A caller who hangs up in the opening is registered by the final status callback alone: with the
    database out of reach at that moment, Twilio's retry brings it in."""
    real, seen = service.call_status, []

    def database_down_once(services: Services, **fields: Any) -> None:
        seen.append(fields["status"])
        if fields["status"] == "completed" and seen.count("completed") == 1:
            raise OperationalError("UPDATE contacts", {}, Exception("connection to 127.0.0.1:5432 failed"))
        real(services, **fields)

    monkeypatch.setattr(service, "call_status", database_down_once)
    call_sid = place_call(system.sandbox_url, from_=new_mobile(), to=HOTLINE, interactive=True)
    wait_until(lambda: events(get_call(system.sandbox_url, call_sid), "say"), timeout=10)  # the greeting
    httpx.post(f"{system.sandbox_url}/sandbox/calls/{call_sid}/hangup", json={"side": "caller"}).raise_for_status()
    call = wait_for_call(system.sandbox_url, call_sid, timeout=20)

    (callback,) = [e for e in events(call, "webhook") if e["kind"] == "status-callback"]
    assert callback["status"] == 200 and callback["attempts"] == 2
    assert seen.count("completed") == 2
    engine = system.sql()
    with engine.connect() as conn:
        assert conn.scalar(select(Contact.status).where(Contact.provider_id == call_sid)) == "abandoned"
    engine.dispose()


def test_an_answer_twilio_could_not_deliver_goes_to_the_fallback_the_caller_hears_music_and_goes_on(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The caller's first key reaches a webhook that fails (500): Twilio asks the number's fallback URL,
    the caller hears hold music, and the same webhook is asked again with the key they pressed."""
    real, answers = service.gather, []

    def crashing_once(services: Services, **fields: Any) -> str:
        answers.append(fields["digits"])
        if len(answers) == 1:
            raise RuntimeError("a bug, or a process dying mid-request")
        return str(real(services, **fields))

    monkeypatch.setattr(service, "gather", crashing_once)
    call_sid = place_call(system.sandbox_url, from_=new_mobile(), to=HOTLINE, digits=["1", "1"], hangup_after_queue=1)
    call = wait_for_call(system.sandbox_url, call_sid, timeout=30)

    (fallback,) = events(call, "fallback")
    assert fallback["error_code"] == "11200" and "/twilio/voice/gather?" in fallback["error_url"]
    assert fallback["url"] == system.base_url + VOICE_FALLBACK_PATH
    log = call["log"]
    after = log[log.index(fallback) :]
    assert any(e["event"] == "play" and "/ivr/hold-music.wav" in e["url"] for e in after)
    again = next(e for e in after if e["event"] == "redirect")
    assert again["url"] == fallback["error_url"] + "&fallback_round=1&Digits=1"
    assert answers[:2] == ["1", "1"]  # the key pressed once, answered after the fallback
    assert call["queue_result"] == "hangup" and not events(call, "application-error")


def test_the_fallback_answers_with_redis_and_the_database_out_of_reach(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    services: Services = system.client.app.state.services  # type: ignore[attr-defined]

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the fallback touched a store")

    for store, name in ((services.redis, "execute_command"), (services.db, "sessions"), (services.db, "reads")):
        monkeypatch.setattr(store, name, refused)
    failed = system.base_url + "/twilio/voice/queue-result?contact=7"
    params = {"CallSid": new_call_sid(), "ErrorCode": "11205", "ErrorUrl": failed, "QueueResult": "hangup"}
    root = twiml(signed_post(system, VOICE_FALLBACK_PATH, params))
    assert [element.tag for element in root] == ["Play", "Redirect"]
    assert "/ivr/hold-music.wav?seconds=5" in (root[0].text or "")
    assert root[1].text == failed + "&fallback_round=1&QueueResult=hangup" and root[1].get("method") == "POST"

    # Failing again and again (here: Twilio sent no QueueResult, refused 400): the call starts over.
    third = {**params, "ErrorUrl": failed + "&fallback_round=3"}
    assert twiml(signed_post(system, VOICE_FALLBACK_PATH, third))[1].text == system.base_url + "/twilio/voice"

    elsewhere = {**params, "ErrorUrl": "https://elsewhere.example/twiml"}
    redirect: ET.Element = twiml(signed_post(system, VOICE_FALLBACK_PATH, elsewhere))[1]
    assert redirect.text == system.base_url + "/twilio/voice"  # not ours: the call starts over
