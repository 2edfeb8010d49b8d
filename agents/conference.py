"""A voice contact carried as a Twilio conference: the caller is one participant, each agent another.

The room is named for the contact (`contact-42`). The caller enters it with `<Dial><Conference>` when
an agent accepts (`startConferenceOnEnter=false`: hold music until someone joins them;
`endConferenceOnExit=true`: the room closes when they hang up). Agents are added with the
Participants REST API and may come and go — hold, transfer, consult — without the caller's leg ever
depending on an agent's phone. The room records from its start: one recording per call.

What is live (the room's SID, whether the caller is inside, each agent's leg) is kept in Redis next
to routing, under `call:{contact}`; the room's SID also goes on the contact for its recording.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from twilio.twiml.voice_response import Dial, VoiceResponse

from contactcenter.context import Services
from contactcenter.telephony import TelephonyError, retried
from ivr import prompts
from ivr.call import IvrCall, url

log = logging.getLogger(__name__)
CALLER = "caller"
RELEASED = "released"  # an agent leg we let go of on purpose: its end changes nothing
# A leg on its way, before the Participants API's answer names it: "placing:<attempt>". Its callbacks
# carry the attempt in their URL, so a late or repeated report of an earlier leg (Twilio retries and
# may deliver late) is not taken for this one.
PLACING = "placing:"
LIVE_TTL_SECONDS = 86_400  # a day: far longer than any call, short enough to clean up after itself
# Twilio's names for the room's events we act on (participant join/leave, the room's start/end) and
# show (hold, mute).
ROOM_EVENTS = ["start", "end", "join", "leave", "hold", "mute"]


def room_name(contact_id: int) -> str:
    """The conference's FriendlyName for a contact."""
    return f"contact-{contact_id}"


def agent_label(agent_id: int) -> str:
    """The participant label of an agent's leg."""
    return f"agent-{agent_id}"


def agent_of_label(label: str) -> int | None:
    """The agent a participant label names (None for the caller and anyone else)."""
    prefix, _, number = label.partition("-")
    return int(number) if prefix == "agent" and number.isdigit() else None


def live_key(contact_id: int) -> str:
    """The Redis hash of a contact's live room (LiveCall)."""
    return f"call:{contact_id}"


class LiveCall:
    """The live state of one contact's room in Redis: what Twilio told us and what we asked of it."""

    def __init__(self, services: Services, contact_id: int) -> None:
        self.redis = services.redis
        self.key = live_key(contact_id)

    def get(self, field: str) -> str:
        value = self.redis.hget(self.key, field)
        return value.decode() if isinstance(value, bytes) else (value or "")

    def set(self, **fields: str) -> None:
        self.redis.hset(self.key, mapping=dict[str | bytes, str | bytes](fields))  # type: ignore[arg-type]
        self.redis.expire(self.key, LIVE_TTL_SECONDS)

    def first_report(self, field: str) -> bool:
        """Note that something was reported (`field`); False if it had been already (a retried webhook)."""
        first = bool(self.redis.hsetnx(self.key, field, "1"))
        self.redis.expire(self.key, LIVE_TTL_SECONDS)
        return first

    @property
    def conference_sid(self) -> str:
        return self.get("conference_sid")

    @property
    def started(self) -> bool:
        """Whether somebody besides the caller has been in the room (it records from then on)."""
        return self.get("started") == "1"

    def agent_leg(self, agent_id: int) -> str:
        """The CallSid of the agent's current leg ('' if none, none any more, or not named yet)."""
        leg = self.get(f"agent:{agent_id}")
        return "" if leg == RELEASED or leg.startswith(PLACING) else leg

    def is_agent_leg(self, agent_id: int, *, call_sid: str, attempt: str) -> bool:
        """Whether a report about `call_sid`, placed as `attempt`, is about the agent's current leg."""
        leg = self.get(f"agent:{agent_id}")
        return leg == call_sid or (bool(attempt) and leg == PLACING + attempt)

    def name_leg(self, field: str, *, attempt: str, call_sid: str) -> None:
        """The leg placed as `attempt` is `call_sid` — unless its join or end was reported meanwhile."""
        self.redis.eval(_NAME_LEG, 1, self.key, field, PLACING + attempt, call_sid)

    def agent_muted(self, agent_id: int) -> bool:
        """Whether the agent muted their current leg (a new leg joins unmuted, whatever the last one was)."""
        leg = self.agent_leg(agent_id)
        return bool(leg) and self.get(f"muted:{agent_id}") == leg

    def released(self, agent_id: int) -> bool:
        """Whether we let the agent's last leg go on purpose (its end is then no news)."""
        return self.get(f"agent:{agent_id}") == RELEASED

    def release(self, agent_id: int) -> str:
        """We let the agent's leg go (a transfer, the caller sent elsewhere): its end is no news. Returns it."""
        leg = self.agent_leg(agent_id)
        self.set(**{f"agent:{agent_id}": RELEASED})
        return leg


# Sets a leg's CallSid only while it is still the one being placed (a report may have come first).
_NAME_LEG = """if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1"""


def new_attempt() -> str:
    """A token naming one try at placing a leg (carried in its status callback's URL)."""
    return secrets.token_hex(6)


def room_settings(services: Services, contact_id: int) -> dict[str, Any]:
    """The room's own settings, as Participants-API parameters: whoever opens the room sets them."""
    return {
        "conference_status_callback": retried(url(services, "/twilio/voice/conference", contact=contact_id)),
        "conference_status_callback_method": "POST",
        "conference_status_callback_event": ROOM_EVENTS,
        "conference_record": "record-from-start",
        "conference_recording_status_callback": retried(url(services, "/twilio/recording", contact=contact_id)),
        "conference_recording_status_callback_method": "POST",
        "conference_recording_status_callback_event": ["completed", "absent"],
    }


def hold_music_url(services: Services) -> str:
    return url(services, "/ivr/hold-music.wav", seconds=60)


def caller_joins(services: Services, *, contact_id: int, response: VoiceResponse) -> str:
    """TwiML putting the caller in their room: music until an agent joins; the room ends when they leave.
    When the room ends first (ended over the API), the Dial's action says goodbye."""
    dial = Dial(action=url(services, "/twilio/voice/conference-done", contact=contact_id), method="POST")
    dial.conference(
        room_name(contact_id),
        start_conference_on_enter=False,
        end_conference_on_exit=True,
        beep=False,
        participant_label=CALLER,
        wait_url=hold_music_url(services),
        wait_method="GET",
        status_callback=retried(url(services, "/twilio/voice/conference", contact=contact_id)),
        status_callback_method="POST",
        status_callback_event=" ".join(ROOM_EVENTS),
        record="record-from-start",
        recording_status_callback=retried(url(services, "/twilio/recording", contact=contact_id)),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )
    response.append(dial)
    return str(response)


def prepare_caller(services: Services, call: IvrCall) -> None:
    """Render, before the caller is moved, what /connect will answer them (the prompt in their language,
    then their room), so that answer needs no database: the caller hears the agent sooner."""
    response = VoiceResponse()
    call.say(response, prompts.CONNECTING)
    LiveCall(services, call.contact.id).set(
        connect=caller_joins(services, contact_id=call.contact.id, response=response)
    )


def bring_caller(services: Services, *, contact_id: int, call_sid: str) -> None:
    """Move the caller from the queue into their room (it answers /connect with `caller_joins`)."""
    services.telephony.redirect_call(call_sid=call_sid, url=url(services, "/twilio/voice/connect", contact=contact_id))


def call_agent(services: Services, *, contact_id: int, agent_id: int, identity: str, from_number: str) -> str:
    """Ring the agent's browser phone into the room; returns the leg's CallSid. Raises TelephonyError."""
    live = LiveCall(services, contact_id)
    attempt = new_attempt()
    live.set(**{f"agent:{agent_id}": PLACING + attempt})  # its join or end may come before its CallSid
    # A room that has started (a transfer) is joined by SID; else by name: Twilio opens it if need be
    # (a room the caller left before anyone joined is gone, and a new one takes the name).

    def add(conference: str) -> tuple[str, str]:
        return services.telephony.add_participant(
            conference=conference,
            to=f"client:{identity}",
            from_=from_number,
            label=agent_label(agent_id),
            status_callback=retried(
                url(services, "/twilio/voice/agent-leg", contact=contact_id, agent=agent_id, leg=attempt)
            ),
            timeout=services.settings.agent_ring_seconds,
            room=room_settings(services, contact_id),
        )

    if not live.started:
        call_sid, conference_sid = add(room_name(contact_id))
    else:
        try:
            call_sid, conference_sid = add(live.conference_sid)
        except TelephonyError as exc:
            # The room by that SID is over (the caller left it and went back to the queue, its end unheard
            # in an outage): every accept failed at once and the call went round the agents twice a second
            # (bench/chaos.py, redis_data_loss). A new room by the contact's name takes them.
            log.warning("contact %s's room %s is gone (%s): a new one", contact_id, live.conference_sid, exc)
            live.set(started="", conference_sid="")
            call_sid, conference_sid = add(room_name(contact_id))
    live.name_leg(f"agent:{agent_id}", attempt=attempt, call_sid=call_sid)
    live.set(conference_sid=conference_sid)
    return call_sid


def hold_caller(services: Services, *, contact_id: int, caller_sid: str, on: bool) -> None:
    """Put the caller on hold (music from our hold-music URL) or take them off. Raises TelephonyError.
    `caller_sid` is the contact's call; a callback's customer is on the leg the room saw join."""
    live = LiveCall(services, contact_id)
    if not live.conference_sid:
        raise TelephonyError("the call is not in its conference yet")
    caller_sid = live.get("caller") or caller_sid
    changes: dict[str, Any] = {"hold": on}
    if on:
        changes.update(hold_url=hold_music_url(services), hold_method="GET")
    services.telephony.update_participant(conference_sid=live.conference_sid, call_sid=caller_sid, **changes)
    live.set(caller_held="1" if on else "")


def resume_caller(services: Services, *, contact_id: int, caller_sid: str) -> None:
    """Take the caller off hold after a transfer; a caller gone meanwhile is no error (the room's end
    finishes the contact)."""
    try:
        hold_caller(services, contact_id=contact_id, caller_sid=caller_sid, on=False)
    except TelephonyError as exc:
        log.warning("taking contact %s's caller off hold failed: %s", contact_id, exc)


def mute_agent(services: Services, *, contact_id: int, agent_id: int, muted: bool) -> None:
    """Mute or unmute the agent's leg in the room. Raises TelephonyError."""
    live = LiveCall(services, contact_id)
    leg = live.agent_leg(agent_id)
    if not live.conference_sid or not leg:
        raise TelephonyError("your phone is not in this call")
    services.telephony.update_participant(conference_sid=live.conference_sid, call_sid=leg, muted=muted)
    live.set(**{f"muted:{agent_id}": leg if muted else ""})  # for a console opened mid-call (its snapshot)


def caller_leg(services: Services, *, contact_id: int, call_sid: str) -> str:
    """The caller's CallSid in the room: the contact's own call, or a callback's call to the customer."""
    return LiveCall(services, contact_id).get("caller") or call_sid


def empty_room(services: Services, *, contact_id: int) -> None:
    """End every agent leg still in (or ringing into) the room: nobody is left to talk to."""
    live = LiveCall(services, contact_id)
    raw = services.redis.hgetall(live.key)
    for field, value in raw.items():
        name = field.decode() if isinstance(field, bytes) else str(field)
        if name.startswith("agent:") and value:
            drop_agent(services, contact_id=contact_id, agent_id=int(name.removeprefix("agent:")))


def drop_agent(services: Services, *, contact_id: int, agent_id: int) -> None:
    """Take the agent's leg out of the room (a transfer, a failed join); a leg already gone is fine."""
    live = LiveCall(services, contact_id)
    leg = live.release(agent_id)
    if not leg:
        return
    try:
        if live.conference_sid:
            services.telephony.remove_participant(conference_sid=live.conference_sid, call_sid=leg)
        else:
            services.telephony.end_call(call_sid=leg)
    except TelephonyError as exc:
        log.info("agent %s's leg %s of contact %s was gone already: %s", agent_id, leg, contact_id, exc)
