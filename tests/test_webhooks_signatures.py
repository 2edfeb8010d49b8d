"""Webhook signatures: the signed URL includes its query string and the public base URL, also
behind a proxy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import HOTLINE, System, start_system, stop_system
from tests.webhooks import new_call_sid, new_mobile, signed_post, table_counts, twiml


def test_a_signed_url_with_a_query_string_validates_and_the_same_request_with_another_query_is_refused(
    system: System, registered_call: tuple[str, int]
) -> None:
    call_sid, contact_id = registered_call
    params = {"CallSid": call_sid, "AccountSid": system.credentials[0], "QueuePosition": "1"}

    assert signed_post(system, f"/twilio/voice/wait?contact={contact_id}", params).status_code == 200
    changed = signed_post(
        system,
        f"/twilio/voice/wait?contact={contact_id + 1}",
        params,
        signed_path_and_query=f"/twilio/voice/wait?contact={contact_id}",
    )
    assert changed.status_code == 403
    unsigned_query = signed_post(
        system, f"/twilio/voice/wait?contact={contact_id}", params, signed_path_and_query="/twilio/voice/wait"
    )
    assert unsigned_query.status_code == 403


def test_a_signature_made_for_another_base_url_is_refused(system: System, sql: Engine) -> None:
    before = table_counts(sql)
    call_sid = new_call_sid()
    params = {"CallSid": call_sid, "AccountSid": system.credentials[0], "From": new_mobile(), "To": HOTLINE}
    response = signed_post(system, "/twilio/voice", params, signed_base="https://hotline.example.com")
    assert response.status_code == 403
    assert table_counts(sql) == before


def test_behind_a_proxy_signatures_are_checked_against_the_public_base_url(
    tmp_path: Path,
    new_database: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TEST_REDIS_URL", raising=False)  # its own Redis: flushing the shared one would disturb others
    proxied = start_system(tmp_path, new_database(), {"PUBLIC_BASE_URL": "https://hotline.example.com"})
    try:
        params = {
            "CallSid": new_call_sid(),
            "AccountSid": proxied.credentials[0],
            "From": new_mobile(),
            "To": HOTLINE,
            "CallStatus": "ringing",
        }
        root = twiml(signed_post(proxied, "/twilio/voice", params, signed_base="https://hotline.example.com"))
        gather = root.find("Gather")
        assert gather is not None
        assert gather.attrib["action"].startswith("https://hotline.example.com/twilio/voice/gather?")
        assert signed_post(proxied, "/twilio/voice", params).status_code == 403
    finally:
        stop_system(proxied)
