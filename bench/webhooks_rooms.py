"""The conference webhooks' requests for bench/webhooks.py, signed before the clock starts:

- `/twilio/voice/conference?contact=N`: a room's status callbacks, six per call in the order a call makes
  them (the caller joins, the agent joins, the caller is held and taken back, the agent leaves, the caller
  leaves), each with the form fields Twilio documents (tests/twilio_conference_params.py checks every one);
- `/twilio/voice/agent-leg?contact=N&agent=M`: the agent leg's call progress (queued, ringing,
  in-progress, completed), as tests/twilio_params.call_status_callback builds them.

The contacts (numbers no run reaches) are calls in progress to routing: `hold_in_routing` writes each one's
record as answered, and nothing else, so no event changes routing, the database or a call: a request
costs what every such event costs, the form, the signature, the thread-pool hop, routing's record and the
live call's in Redis (agents/conference_events.py). (Unknown to routing, a caller's join would be taken
for a caller entering after their call ended, and told goodbye over Twilio's REST API.) The one event
per call that does more, the agent's join that answers the call, is timed end to end by bench/calls.py.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

from redis import Redis
from webhooks_load import form_request

from queues.keys import PREFIX
from tests.twilio_conference_params import undocumented_in_event
from tests.twilio_params import call_status_callback, incoming_call, new_sid, signed, twilio_time

FIRST_CONTACT = 10_000_000  # far past the contacts a run registers
ROOM_EVENTS = (
    ("participant-join", "caller"),
    ("participant-join", "agent"),
    ("participant-hold", "caller"),
    ("participant-unhold", "caller"),
    ("participant-leave", "agent"),
    ("participant-leave", "caller"),
)
LEG_STATUSES = ("queued", "ringing", "in-progress", "completed")  # StatusCallbackEvent initiated … completed


@contextlib.contextmanager
def hold_in_routing(redis_url: str, calls: int) -> Iterator[None]:
    """Routing's record of each bench contact, as a call whose agent answered (the state a call's room
    events meet), in the product's Redis while the rounds run; removed afterwards."""
    keys = [f"{PREFIX}contact:{FIRST_CONTACT + n}" for n in range(calls)]
    with Redis.from_url(redis_url) as redis:
        with redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hset(key, mapping={"state": "assigned", "channel": "voice"})
            pipe.execute()
        try:
            yield
        finally:
            redis.delete(*keys)


def room_requests(calls: int, *, base: str, host: str, token: str, account_sid: str, seed: int) -> list[bytes]:
    """The room events of `calls` calls, call after call."""
    rng, now, out = random.Random(seed), twilio_time(datetime.now(UTC)), []
    for n in range(calls):
        contact, agent = FIRST_CONTACT + n, rng.randrange(1, 2000)
        room, legs = new_sid("CF"), {"caller": new_sid("CA"), "agent": new_sid("CA")}
        path = f"/twilio/voice/conference?contact={contact}"
        for sequence, (event, who) in enumerate(ROOM_EVENTS, start=2):  # 1 was conference-start
            caller = who == "caller"
            params = {
                "AccountSid": account_sid,
                "ConferenceSid": room,
                "FriendlyName": f"contact-{contact}",
                "SequenceNumber": str(sequence),
                "Timestamp": now,
                "StatusCallbackEvent": event,
                "CallSid": legs[who],
                "Muted": "false",
                "Hold": "true" if event == "participant-hold" else "false",
                "Coaching": "false",
                "EndConferenceOnExit": "true" if caller else "false",
                "StartConferenceOnEnter": "false" if caller else "true",
                "ParticipantLabel": "caller" if caller else f"agent-{agent}",
            }
            if event == "participant-leave":
                params |= {"ParticipantCallStatus": "completed", "ReasonParticipantLeft": "participant_hung_up"}
            problems = undocumented_in_event(params)
            if problems:
                raise AssertionError(f"the benchmark's {event} is not what Twilio documents: {problems}")
            signature = signed(base + path, params, token)["X-Twilio-Signature"]
            out.append(form_request(path, host, urlencode(params), signature))
    return out


def leg_requests(legs: int, *, base: str, host: str, token: str, account_sid: str, seed: int) -> list[bytes]:
    """The call progress of `legs` agent legs, leg after leg."""
    rng, out = random.Random(seed), []
    for n in range(legs):
        contact, agent = FIRST_CONTACT + n, rng.randrange(1, 2000)
        call = incoming_call(
            account_sid=account_sid,
            call_sid=new_sid("CA"),
            from_=f"+86139{rng.randrange(10**8):08d}",  # the agent's phone shows the caller's number
            to=f"client:agent-{agent}",
            direction="outbound-api",
            call_status="queued",
        )
        path = f"/twilio/voice/agent-leg?contact={contact}&agent={agent}"
        for sequence, status in enumerate(LEG_STATUSES):
            params = call_status_callback(
                call=call,
                call_status=status,
                timestamp=datetime.now(UTC),
                sequence_number=sequence,
                call_duration=42 if status == "completed" else None,
            )
            signature = signed(base + path, params, token)["X-Twilio-Signature"]
            out.append(form_request(path, host, urlencode(params), signature))
    return out
