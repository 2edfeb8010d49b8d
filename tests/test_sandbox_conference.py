"""<Dial><Conference> and the Conference / Participant REST resources, driven with the official twilio Client:
the caller waits alone with the wait music, agents' devices are added as participants, hold, mute, coaching,
kicks and the conference's end, with Twilio's callback parameters and one recording of the whole conference."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.hotline import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CALLER,
    CONFERENCE,
    events,
    registered_device,
    twilio_client,
    wait_until,
)
from tests.twilio_conference_params import undocumented_in_event, undocumented_in_recording
from twilio_sandbox import get_call, place_call, wait_for_call

LEG_EVENTS = ["initiated", "ringing", "answered", "completed"]


@pytest.fixture
def device(env: dict[str, Any]) -> Iterator[str]:
    """agent-1's browser phone, registered for one test: it rings until answered."""
    with registered_device(env, "agent-1") as base:
        yield base


def conference_events(env: dict[str, Any], conference_sid: str) -> list[dict[str, str]]:
    """The conference statusCallback requests the hotline got for one conference, in arrival order."""
    return [p for p in env["hotline"].received("/conference-events") if p.get("ConferenceSid") == conference_sid]


def announcements(env: dict[str, Any], conference_sid: str) -> list[dict[str, str]]:
    """The room's announcement-end callbacks so far."""
    return [e for e in conference_events(env, conference_sid) if e["StatusCallbackEvent"] == "announcement-end"]


def room(env: dict[str, Any], conference_sid: str) -> dict[str, Any]:
    """The sandbox's view of a conference: participants with who hears whom, and its log."""
    return dict(httpx.get(f"{env['url']}/sandbox/conferences/{conference_sid}").json())


def hearing(env: dict[str, Any], conference_sid: str, call_sid: str) -> dict[str, Any]:
    """One participant's audio (hears, heard_by, music) in the sandbox's view."""
    found = next((p for p in room(env, conference_sid)["participants"] if p["call_sid"] == call_sid), None)
    assert found is not None, f"{call_sid} is not in {conference_sid}"
    return dict(found)


def reported_until_the_end(env: dict[str, Any], conference_sid: str) -> list[dict[str, str]]:
    """The room's status callbacks, once conference-end (the last one) has arrived."""

    def ended() -> list[dict[str, str]]:
        reported = conference_events(env, conference_sid)
        return reported if reported and reported[-1]["StatusCallbackEvent"] == "conference-end" else []

    return list(wait_until(ended))


def a_caller_waiting(env: dict[str, Any]) -> tuple[str, str]:
    """Place a call to the conference number; return its CallSid and the SID of its (waiting) room."""
    sid = place_call(env["url"], from_=CALLER, to=CONFERENCE)
    wait_until(lambda: env["hotline"].received("/conference-wait", sid))
    rooms = wait_until(lambda: twilio_client(env).conferences.list(friendly_name=sid))
    return sid, rooms[0].sid


def test_an_agent_device_joins_the_waiting_caller_holds_them_and_the_caller_ends_the_conference(
    env: dict[str, Any], device: str
) -> None:
    hotline, url, client = env["hotline"], env["url"], twilio_client(env)
    sid, conference_sid = a_caller_waiting(env)
    assert client.conferences(conference_sid).fetch().status == "init"
    assert hearing(env, conference_sid, sid)["music"] == env["hotline_url"] + "/conference-wait"

    agent = client.conferences(conference_sid).participants.create(
        from_=CONFERENCE,
        to="client:agent-1",
        label="agent",
        status_callback=env["hotline_url"] + "/leg-status",
        status_callback_event=LEG_EVENTS,
    )
    assert (agent.status, agent.label, agent.conference_sid) == ("queued", "agent", conference_sid)
    wait_until(lambda: any(c["call_sid"] == agent.call_sid for c in httpx.get(f"{device}/calls").json()))
    assert client.conferences(conference_sid).participants("agent").fetch().status == "ringing"
    assert httpx.post(f"{device}/calls/{agent.call_sid}/answer").status_code == 200
    wait_until(lambda: client.conferences(conference_sid).fetch().status == "in-progress")
    caller_audio = hearing(env, conference_sid, sid)
    assert caller_audio["hears"] == [agent.call_sid] and caller_audio["heard_by"] == [agent.call_sid]
    assert caller_audio["music"] is None

    held = (
        client.conferences(conference_sid)
        .participants(sid)
        .update(hold=True, hold_url=env["hotline_url"] + "/hold-music")
    )
    assert held.hold is True and held.call_sid == sid
    wait_until(lambda: hotline.received("/hold-music", sid))
    caller_audio = hearing(env, conference_sid, sid)
    assert (caller_audio["hears"], caller_audio["heard_by"]) == ([], [])
    assert caller_audio["music"] == env["hotline_url"] + "/hold-music"
    assert [p.call_sid for p in client.conferences(conference_sid).participants.list(hold=True)] == [sid]

    def hold_music_playing() -> bool:
        return any(e["url"] == "https://music.example.com/hold.mp3" for e in events(get_call(url, sid), "play"))

    # The hold TwiML is fetched, then played: taken off hold in between (a loaded machine), it never plays.
    wait_until(hold_music_playing)
    assert client.conferences(conference_sid).participants("customer").update(hold=False).hold is False

    assert httpx.post(f"{url}/sandbox/calls/{sid}/hangup", json={"side": "caller"}).status_code == 202
    call, leg = wait_for_call(url, sid, timeout=10), wait_for_call(url, agent.call_sid, timeout=10)
    assert call["status"] == "completed" and leg["status"] == "completed" and leg["to"] == "client:agent-1"
    assert hotline.received("/conference-action", sid)[0]["DialCallStatus"] == "completed"
    assert [p["CallStatus"] for p in hotline.received("/leg-status", agent.call_sid)] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    assert client.conferences(conference_sid).fetch().reason_conference_ended == (
        "participant-with-end-conference-on-exit-left"
    )

    reported = reported_until_the_end(env, conference_sid)
    assert [e["StatusCallbackEvent"] for e in reported] == [
        "participant-join",
        "participant-join",
        "conference-start",
        "participant-hold",
        "participant-unhold",
        "participant-leave",
        "participant-leave",
        "conference-end",
    ]
    assert [e["SequenceNumber"] for e in reported] == [str(n) for n in range(1, len(reported) + 1)]
    assert [problem for e in reported for problem in undocumented_in_event(e)] == []
    assert reported[1]["ParticipantLabel"] == "agent" and reported[1]["CallSid"] == agent.call_sid
    assert reported[3]["Hold"] == "true" and reported[4]["Hold"] == "false"
    assert reported[5]["ReasonParticipantLeft"] == "participant_hung_up" and reported[5]["CallSid"] == sid
    assert reported[6]["ReasonParticipantLeft"] == "moderator_ended_conference"
    end = reported[-1]
    assert end["CallSidEndingConference"] == sid and end["ParticipantLabelEndingConference"] == "customer"

    recordings = wait_until(
        lambda: [
            p
            for p in hotline.received("/conference-recording")
            if p["ConferenceSid"] == conference_sid and p["RecordingStatus"] == "completed"
        ]
    )
    assert [
        problem for p in hotline.received("/conference-recording") for problem in undocumented_in_recording(p)
    ] == []
    assert recordings[0]["RecordingChannels"] == "2"  # recorded in two channels, as Twilio does since 2025
    media = httpx.get(recordings[0]["RecordingUrl"] + ".wav", auth=(ACCOUNT_SID, AUTH_TOKEN))
    with wave.open(io.BytesIO(media.content)) as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (1, 8000)  # sent as the mono mix unless asked
    both = httpx.get(
        recordings[0]["RecordingUrl"] + ".wav", params={"RequestedChannels": "2"}, auth=(ACCOUNT_SID, AUTH_TOKEN)
    )
    with wave.open(io.BytesIO(both.content)) as wav:
        assert (wav.getnchannels(), wav.getnframes()) == (2, len(media.content[44:]) // 2)
    resource = client.recordings(recordings[0]["RecordingSid"]).fetch()
    assert resource.conference_sid == conference_sid and resource.source == "Conference"


def test_a_muted_agent_is_not_heard_and_a_coach_is_heard_by_the_agent_only(env: dict[str, Any]) -> None:
    url, client = env["url"], twilio_client(env)
    sid, conference_sid = a_caller_waiting(env)
    participants = client.conferences(conference_sid).participants
    agent = participants.create(from_=CONFERENCE, to="client:agent-7", label="agent")  # unregistered: answers
    wait_until(lambda: client.conferences(conference_sid).fetch().status == "in-progress")

    assert participants("agent").update(muted=True).muted is True
    assert [p.label for p in participants.list(muted=True)] == ["agent"]
    assert hearing(env, conference_sid, sid)["hears"] == []
    assert hearing(env, conference_sid, agent.call_sid)["hears"] == [sid]
    participants("agent").update(muted=False)

    coach = participants.create(
        from_=CONFERENCE, to="client:supervisor-1", label="supervisor", coaching=True, call_sid_to_coach=agent.call_sid
    )
    wait_until(lambda: participants("supervisor").fetch().status == "connected")
    assert participants("supervisor").fetch().call_sid_to_coach == agent.call_sid
    assert sorted(hearing(env, conference_sid, agent.call_sid)["hears"]) == sorted([sid, coach.call_sid])
    assert hearing(env, conference_sid, sid)["hears"] == [agent.call_sid]
    assert sorted(hearing(env, conference_sid, coach.call_sid)["hears"]) == sorted([sid, agent.call_sid])
    agent_log = httpx.get(f"{url}/sandbox/calls/{agent.call_sid}").json()
    assert coach.call_sid in events(agent_log, "conference-audio")[-1]["hears"]

    assert participants("supervisor").delete() is True
    assert wait_for_call(url, coach.call_sid, timeout=10)["status"] == "completed"
    assert client.conferences(conference_sid).update(status="completed").status == "completed"
    call = wait_for_call(url, sid, timeout=10)
    assert any(e["text"] == "Thank you for calling." for e in events(call, "say"))
    assert client.conferences(conference_sid).fetch().reason_conference_ended == "conference-ended-via-api"
    reported = reported_until_the_end(env, conference_sid)
    names = [e["StatusCallbackEvent"] for e in reported]
    assert names.count("participant-mute") == 1 and names.count("participant-unmute") == 1
    left = {
        e["CallSid"]: e["ReasonParticipantLeft"] for e in reported if e["StatusCallbackEvent"] == "participant-leave"
    }
    assert left == {
        coach.call_sid: "participant_updated_via_api",
        sid: "conference_ended_via_api",
        agent.call_sid: "conference_ended_via_api",
    }
    assert [problem for e in reported for problem in undocumented_in_event(e)] == []


def test_coaching_changes_are_reported_and_a_kicked_caller_moves_on_to_the_dial_action(env: dict[str, Any]) -> None:
    url, client = env["url"], twilio_client(env)
    sid, conference_sid = a_caller_waiting(env)
    participants = client.conferences(conference_sid).participants
    agent = participants.create(from_=CONFERENCE, to="client:agent-8", label="agent")
    supervisor = participants.create(from_=CONFERENCE, to="client:supervisor-2", label="supervisor")
    wait_until(lambda: len(participants.list()) == 3 and all(p.status == "connected" for p in participants.list()))
    assert supervisor.call_sid in hearing(env, conference_sid, sid)["hears"]

    coaching = participants("supervisor").update(call_sid_to_coach=agent.call_sid)
    assert coaching.coaching is True and coaching.call_sid_to_coach == agent.call_sid
    assert hearing(env, conference_sid, sid)["hears"] == [agent.call_sid]
    assert [p.label for p in participants.list(coaching=True)] == ["supervisor"]
    assert participants("supervisor").update(coaching=False).coaching is False
    assert supervisor.call_sid in hearing(env, conference_sid, sid)["hears"]

    participants(sid).update(hold=True, hold_url="https://music.example.com/hold.mp3")  # an audio file
    wait_until(lambda: events(httpx.get(f"{url}/sandbox/calls/{sid}").json(), "play"))
    assert participants(sid).update(hold=False).hold is False

    participants(sid).update(announce_url=env["hotline_url"] + "/announce")
    # The room's announcement would cut the caller's short if it came while that one still plays.
    wait_until(lambda: len(announcements(env, conference_sid)) == 1)
    client.conferences(conference_sid).update(announce_url="https://music.example.com/chime.wav")
    wait_until(lambda: len(announcements(env, conference_sid)) == 2)
    announced = announcements(env, conference_sid)
    assert [(e.get("CallSid"), e["AnnounceUrl"]) for e in announced] == [
        (sid, env["hotline_url"] + "/announce"),
        (None, "https://music.example.com/chime.wav"),
    ]
    heard = {leg: events(httpx.get(f"{url}/sandbox/calls/{leg}").json(), "play") for leg in (sid, agent.call_sid)}
    assert all(any(e["url"].endswith("chime.wav") for e in entries) for entries in heard.values())

    assert participants(sid).delete() is True
    call = wait_for_call(url, sid, timeout=10)
    assert any(e["text"] == "您的通话正在转接。" for e in events(call, "say"))
    assert [e["url"] for e in events(call, "play") if "hold" in e["url"]] == ["https://music.example.com/hold.mp3"]
    assert events(call, "conference-music-failed") == []
    assert any(e["text"] == "Thank you for calling." for e in events(call, "say"))
    assert env["hotline"].received("/conference-action", sid)[0]["DialCallStatus"] == "completed"
    for leg in (agent, supervisor):
        assert wait_for_call(url, leg.call_sid, timeout=10)["status"] == "completed"
    reported = reported_until_the_end(env, conference_sid)
    modified = [e for e in reported if e["StatusCallbackEvent"] == "participant-modify"]
    assert [(e["CallSid"], e["Coaching"]) for e in modified] == [
        (supervisor.call_sid, "true"),
        (supervisor.call_sid, "false"),
    ]
    assert reported[-1]["ReasonConferenceEnded"] == "participant-with-end-conference-on-exit-kicked"
    assert [problem for e in reported for problem in undocumented_in_event(e)] == []
