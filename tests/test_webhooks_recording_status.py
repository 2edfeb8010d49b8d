"""Recording status callbacks, each status Twilio documents: noted once, bad ones refused without a trace."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from tests import twilio_params as tw
from tests.conftest import System
from tests.ivr_caller import Caller


def recordings_of(system: System, contact_id: int) -> list[dict]:
    engine = system.sql()
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("select * from recordings where contact_id = :c order by id"), {"c": contact_id})
            return [dict(r) for r in rows.mappings()]
    finally:
        engine.dispose()


def report(caller: Caller, contact_id: int, status: str, sid: str, *, call: dict | None = None) -> int:
    params = tw.recording_status_callback(
        call=call or caller.call,
        recording_sid=sid,
        recording_status=status,
        recording_start_time=datetime.now(UTC),
        recording_duration=9 if status == "completed" else None,
        error_code=0 if status in ("in-progress", "completed") else 16104,
    )
    return caller.post(caller.system.base_url + f"/twilio/recording?contact={contact_id}", params).status_code


@pytest.fixture
def caller(system: System) -> Caller:
    """A caller who chose a language at the opening (which registers the call)."""
    caller = Caller(system)
    caller.dial()
    caller.press("1")
    return caller


def test_in_progress_is_acknowledged_and_leaves_nothing(system: System, caller: Caller) -> None:
    contact_id = caller.contact()["id"]
    assert report(caller, contact_id, "in-progress", tw.new_sid("RE")) == 200
    assert recordings_of(system, contact_id) == []


def test_completed_is_noted_once_however_often_twilio_retries(system: System, caller: Caller) -> None:
    contact_id, sid = caller.contact()["id"], tw.new_sid("RE")
    for _ in range(3):
        assert report(caller, contact_id, "completed", sid) == 200
    [recording] = recordings_of(system, contact_id)
    assert recording["provider_sid"] == sid and recording["duration_seconds"] == 9
    assert recording["ticket_id"] == caller.contact()["ticket_id"]


@pytest.mark.parametrize("status", ["absent", "failed"])
def test_absent_and_failed_are_noted_as_failed_with_the_reason(system: System, caller: Caller, status: str) -> None:
    contact_id = caller.contact()["id"]
    assert report(caller, contact_id, status, tw.new_sid("RE")) == 200
    [recording] = recordings_of(system, contact_id)
    assert recording["status"] == "failed" and status in recording["last_error"]


def test_an_unknown_status_is_refused_and_leaves_nothing(system: System, caller: Caller) -> None:
    contact_id = caller.contact()["id"]
    params = {**caller.call, "RecordingSid": tw.new_sid("RE"), "RecordingStatus": "exploded"}
    response = caller.post(system.base_url + f"/twilio/recording?contact={contact_id}", params)
    assert response.status_code == 400 and "exploded" in response.text
    assert recordings_of(system, contact_id) == []


def test_a_recording_of_another_call_is_refused(system: System, caller: Caller) -> None:
    other = Caller(system)
    other.dial()
    contact_id = caller.contact()["id"]
    assert report(caller, contact_id, "completed", tw.new_sid("RE"), call=other.call) == 400
    assert recordings_of(system, contact_id) == []


def test_the_recording_of_an_earlier_room_of_the_call_is_noted_on_its_contact(system: System, caller: Caller) -> None:
    """A caller given back to the queue after their room started is connected in a new room: the first
    room's recording names a ConferenceSid that is no longer the contact's, and was refused 400 (lost)."""
    contact_id, sid = caller.contact()["id"], tw.new_sid("RE")
    params = tw.recording_status_callback(
        call=caller.call,
        recording_sid=sid,
        recording_status="completed",
        recording_start_time=datetime.now(UTC),
        recording_duration=9,
        recording_source="Conference",
    )
    params.pop("CallSid")
    params["ConferenceSid"] = tw.new_sid("CF")  # an earlier room: the contact's conference_sid is another
    response = caller.post(system.base_url + f"/twilio/recording?contact={contact_id}", params)
    assert response.status_code == 200, response.text
    [recording] = recordings_of(system, contact_id)
    assert recording["provider_sid"] == sid and recording["call_sid"] == params["ConferenceSid"]
