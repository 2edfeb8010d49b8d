"""Bad input over HTTP gets a clear 400, never a crash."""

from __future__ import annotations

import time

import httpx
import pytest
from twilio.request_validator import RequestValidator

from tests.conftest import HOTLINE, System

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("body", ["[1, 2]", "not json", '"agent1"'])
def test_a_login_that_is_not_a_json_object_gets_a_clear_400(system: System, body: str) -> None:
    response = httpx.post(system.base_url + "/login", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "username and password" in response.json()["error"]


@pytest.mark.parametrize("body", ["[]", "nope", '{"state": "dancing"}'])
def test_agent_actions_with_a_bad_body_get_a_clear_400(system: System, body: str) -> None:
    agent = system.login("agent1")
    response = agent.post("/api/agent/state", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]


def test_a_signed_10_mb_webhook_and_a_10_mb_login_get_413_from_the_served_app(system: System) -> None:
    """Over a real socket (uvicorn): refused by Content-Length, before the 10 MB are read."""
    fields = {"CallSid": "CA" + "2" * 32, "From": "+8613800000004", "To": HOTLINE, "Padding": "x" * 10_000_000}
    signature = RequestValidator(system.credentials[1]).compute_signature(system.base_url + "/twilio/voice", fields)
    started = time.monotonic()
    webhook = httpx.post(system.base_url + "/twilio/voice", data=fields, headers={"X-Twilio-Signature": signature})
    assert webhook.status_code == 413 and "bytes" in webhook.text, webhook.text[:200]
    login = httpx.post(
        system.base_url + "/login", content=b'{"username": "' + b"x" * 10_000_000 + b'"}', headers=JSON, timeout=30
    )
    assert login.status_code == 413 and login.json()["code"] == "too_large"
    assert time.monotonic() - started < 20


def test_a_login_of_100000_nested_brackets_gets_a_clear_400(system: System) -> None:
    response = httpx.post(system.base_url + "/login", content=b"[" * 100_000, headers=JSON)
    assert response.status_code == 400 and "deep" in response.json()["error"]
