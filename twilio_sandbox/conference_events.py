"""Conference status callbacks with Twilio's parameter names, delivered in order per conference."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from .conference_model import Conference, EventCallback, Participant
from .ids import rfc2822, utcnow
from .webhooks import WebhookError, WebhookSender, tries

logger = logging.getLogger(__name__)

# statusCallbackEvent words and the StatusCallbackEvent values each subscribes to.
EVENT_GROUPS = {
    "conference-start": "start",
    "conference-end": "end",
    "participant-join": "join",
    "participant-leave": "leave",
    "participant-mute": "mute",
    "participant-unmute": "mute",
    "participant-hold": "hold",
    "participant-unhold": "hold",
    "participant-modify": "modify",
    "announcement-end": "announcement",
    "announcement-fail": "announcement",
}
CONFERENCE_EVENTS = frozenset({"start", "end", "join", "leave", "mute", "hold", "modify", "speaker", "announcement"})
# What a statusCallback without statusCallbackEvent reports (the REST API documents this default).
DEFAULT_CONFERENCE_EVENTS = frozenset({"start", "end"})
RECORDING_EVENTS = frozenset({"in-progress", "completed", "absent"})

Job = Callable[[WebhookSender], Awaitable[None]]


def flag(value: bool) -> str:
    """A boolean as Twilio writes it in callbacks."""
    return "true" if value else "false"


def participant_params(participant: Participant) -> dict[str, str]:
    """The participant's parameters, sent with every participant event."""
    params = {
        "CallSid": participant.call.sid,
        "Muted": flag(participant.muted),
        "Hold": flag(participant.hold),
        "Coaching": flag(participant.coaching),
        "EndConferenceOnExit": flag(participant.end_conference_on_exit),
        "StartConferenceOnEnter": flag(participant.start_conference_on_enter),
    }
    if participant.label:
        params["ParticipantLabel"] = participant.label
    return params


class Outbox:
    """Callbacks waiting to be posted: in order within one conference (its SequenceNumber order, its
    recording after its events), conferences side by side, as Twilio sends them. One account-wide
    line would hold every room's news behind the slowest webhook (measured: bench/calls.py)."""

    def __init__(self) -> None:
        self._lanes: dict[str, deque[Job]] = {}
        self._webhooks: WebhookSender | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def put(self, job: Job, lane: str) -> None:
        """Queue a delivery in `lane` (a conference SID); it runs after the current request or call step."""
        waiting = self._lanes.get(lane)
        if waiting is not None:
            waiting.append(job)
            return
        self._lanes[lane] = deque([job])
        if self._webhooks is not None:
            self._start(lane)

    def _start(self, lane: str) -> None:
        task = asyncio.get_running_loop().create_task(self._drain(lane))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, lane: str) -> None:
        waiting = self._lanes[lane]
        assert self._webhooks is not None
        while waiting:
            job = waiting[0]
            try:
                await job(self._webhooks)
            except Exception:  # one broken delivery must not stop the others
                logger.exception("sandbox conference callback failed")
            waiting.popleft()
        del self._lanes[lane]

    async def run(self, webhooks: WebhookSender) -> None:
        """Deliver queued callbacks for as long as the sandbox runs."""
        self._webhooks = webhooks
        for lane in list(self._lanes):
            self._start(lane)
        try:
            await asyncio.Event().wait()
        finally:
            for task in list(self._tasks):
                task.cancel()


def post(conference: Conference, callback: EventCallback, params: dict[str, str], *, kind: str) -> Job:
    """A job posting one callback and logging the outcome on the conference."""

    async def deliver(webhooks: WebhookSender) -> None:
        try:
            response = await webhooks.send(callback.url, callback.method, params)
        except WebhookError as exc:
            conference.record_log("webhook", kind=kind, url=callback.url, error=str(exc), **tries(exc))
            return
        conference.record_log("webhook", kind=kind, url=callback.url, status=response.status_code, **tries(response))

    return deliver


def emit(
    outbox: Outbox,
    conference: Conference,
    event: str,
    participant: Participant | None = None,
    extra: dict[str, str] | None = None,
) -> None:
    """Log a conference event and post it if the conference's statusCallback subscribed to it."""
    fields: dict[str, str | None] = (
        {} if participant is None else {"call_sid": participant.call.sid, "label": participant.label}
    )
    conference.record_log(event, **fields, **(extra or {}))
    callback = conference.status_callback
    if callback is None or EVENT_GROUPS[event] not in callback.events:
        return
    conference.sequence += 1
    params = {
        "ConferenceSid": conference.sid,
        "FriendlyName": conference.friendly_name,
        "AccountSid": conference.account_sid,
        "SequenceNumber": str(conference.sequence),
        "Timestamp": rfc2822(utcnow()) or "",
        "StatusCallbackEvent": event,
    }
    if participant is not None:
        params |= participant_params(participant)
    params |= extra or {}
    outbox.put(post(conference, callback, params, kind="conference-status"), conference.sid)
