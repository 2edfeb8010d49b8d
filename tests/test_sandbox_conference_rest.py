"""Participants that never make it into the conference (busy, declined, unanswered) and the REST API's refusals,
as the official twilio Client sees them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException

from tests.hotline import CALLER, CONFERENCE, registered_device, twilio_client, wait_until
from tests.twilio_conference_params import undocumented_in_event
from twilio_sandbox import place_call, wait_for_call


@pytest.fixture
def device(env: dict[str, Any]) -> Iterator[str]:
    """agent-3's browser phone, registered for one test."""
    with registered_device(env, "agent-3") as base:
        yield base


def waiting_room(env: dict[str, Any]) -> tuple[str, str]:
    """A caller waiting alone in its conference: (CallSid, ConferenceSid)."""
    sid = place_call(env["url"], from_=CALLER, to=CONFERENCE)
    wait_until(lambda: env["hotline"].received("/conference-wait", sid))
    return sid, wait_until(lambda: twilio_client(env).conferences.list(friendly_name=sid, status="init"))[0].sid


def left_event(env: dict[str, Any], call_sid: str) -> dict[str, str]:
    """The participant-leave callback of one participant."""
    return dict(
        wait_until(
            lambda: [
                p
                for p in env["hotline"].received("/conference-events", call_sid)
                if p["StatusCallbackEvent"] == "participant-leave"
            ]
        )[0]
    )


def test_a_busy_phone_a_declining_device_and_an_unanswered_one_fail_to_be_added(
    env: dict[str, Any], device: str
) -> None:
    url, client = env["url"], twilio_client(env)
    sid, conference_sid = waiting_room(env)
    participants = client.conferences(conference_sid).participants
    httpx.post(f"{url}/sandbox/phones/+8613911119999", json={"answer": "busy"}).raise_for_status()

    busy = participants.create(from_=CONFERENCE, to="+8613911119999")
    declined = participants.create(from_=CONFERENCE, to="client:agent-3", label="declined")
    wait_until(lambda: any(c["call_sid"] == declined.call_sid for c in httpx.get(f"{device}/calls").json()))
    assert httpx.post(f"{device}/calls/{declined.call_sid}/reject").status_code == 200
    unanswered = participants.create(from_=CONFERENCE, to="client:agent-3", timeout=1)

    outcomes = {
        leg.call_sid: (wait_for_call(url, leg.call_sid, timeout=10)["status"], left_event(env, leg.call_sid))
        for leg in (busy, declined, unanswered)
    }
    assert {sid_: status for sid_, (status, _) in outcomes.items()} == {
        busy.call_sid: "busy",
        declined.call_sid: "busy",
        unanswered.call_sid: "no-answer",
    }
    for status, left in outcomes.values():
        assert left["ParticipantCallStatus"] == status and left["ReasonParticipantLeft"] == "participant_add_failed"
        assert undocumented_in_event(left) == []
    assert [p.call_sid for p in participants.list()] == [sid]
    assert client.conferences(conference_sid).fetch().status == "init"  # the caller still waits
    client.calls(sid).update(status="completed")
    assert wait_for_call(url, sid, timeout=10)["status"] == "completed"


def test_the_rest_api_refuses_what_twilio_refuses(env: dict[str, Any]) -> None:
    client = twilio_client(env)
    with pytest.raises(TwilioRestException) as unknown:
        client.conferences("CF" + "0" * 32).fetch()
    assert unknown.value.status == 404 and unknown.value.code == 20404
    with pytest.raises(TwilioRestException) as no_room:
        client.conferences("CF" + "0" * 32).participants.create(from_=CONFERENCE, to="client:agent-9")
    assert no_room.value.status == 404

    sid, conference_sid = waiting_room(env)
    participants = client.conferences(conference_sid).participants
    with pytest.raises(TwilioRestException) as nobody:
        participants("nobody").fetch()
    assert nobody.value.status == 404
    with pytest.raises(TwilioRestException) as bad_to:
        participants.create(from_=CONFERENCE, to="agent 9")
    assert bad_to.value.code == 21211
    with pytest.raises(TwilioRestException) as not_ours:
        participants.create(from_="+8613800000000", to="+8613911110000")
    assert not_ours.value.code == 21210
    assert participants(sid).fetch().label == "customer"
    ended = client.conferences(conference_sid).update(status="completed")
    assert ended.status == "completed" and ended.reason_conference_ended == "conference-ended-via-api"
    assert wait_for_call(env["url"], sid, timeout=10)["status"] == "completed"


def test_a_room_made_over_rest_reports_to_its_conference_callback_and_ends_when_the_last_one_is_kicked(
    env: dict[str, Any],
) -> None:
    url, client = env["url"], twilio_client(env)
    room = client.conferences("rest-made-room").participants
    settings = {
        "from_": CONFERENCE,
        "conference_status_callback": env["hotline_url"] + "/rest-room-events",
        "conference_status_callback_event": ["start", "end", "join", "leave", "announcement"],
    }
    first = room.create(to="client:agent-11", label="first", **settings)
    second = room.create(to="client:agent-12", label="second", start_conference_on_enter=False, **settings)
    conference = wait_until(lambda: client.conferences.list(friendly_name="rest-made-room", status="in-progress"))[0]
    assert first.conference_sid == conference.sid == second.conference_sid
    assert client.conferences(conference.sid).participants("second").fetch().start_conference_on_enter is False

    nowhere = "http://127.0.0.1:9/announce"  # nothing listens there
    client.conferences(conference.sid).participants("first").update(announce_url=nowhere)
    failed = wait_until(
        lambda: [
            p
            for p in env["hotline"].received("/rest-room-events", first.call_sid)
            if p["StatusCallbackEvent"] == "announcement-fail"
        ]
    )[0]
    assert failed["AnnounceUrl"] == nowhere and failed["ReasonAnnouncementFailed"]

    assert client.conferences(conference.sid).participants("first").delete() is True
    assert client.conferences(conference.sid).participants("second").delete() is True
    for leg in (first, second):
        assert wait_for_call(url, leg.call_sid, timeout=10)["status"] == "completed"
    assert client.conferences(conference.sid).fetch().reason_conference_ended == "last-participant-kicked"
    reported = wait_until(
        lambda: (
            [
                p
                for p in env["hotline"].received("/rest-room-events")
                if p["ConferenceSid"] == conference.sid and p["StatusCallbackEvent"] == "conference-end"
            ]
            and env["hotline"].received("/rest-room-events")
        )
    )
    names = [p["StatusCallbackEvent"] for p in reported]
    assert names == [
        "participant-join",
        "participant-join",
        "conference-start",
        "announcement-fail",
        "participant-leave",
        "participant-leave",
        "conference-end",
    ]
    assert reported[-1]["CallSidEndingConference"] == second.call_sid
    assert [problem for p in reported for problem in undocumented_in_event(p)] == []
