"""Listening in to live calls: a team lead (their own team's calls) or QA staff join a call's room with
their own browser phone to **listen** (muted), **whisper** (Twilio's coach: only the agent hears them) or
**barge** (caller and agent hear them), switch between these, and leave.

Who listens is kept by routing on the contact (`monitors`; each change is a `contact.monitored` event
for the agent's console — unless SHOW_MONITORING is off — and the wallboards); each monitor's leg is
kept with the room's live state (agents/conference.LiveCall, `monitor:<user id>`). Every join, change
and leave is audited. A monitor whose agent leaves the room (transfer, hang-up, the call's end) is
taken out: agents/conference_events.py tells `agent_left`, `monitor_left_room` and `room_ended`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from agents.conference import LIVE_TTL_SECONDS, LiveCall, agent_of_label, new_attempt
from contactcenter.access.masking import sees_whole
from contactcenter.audit.service import record_event
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.errors import APIError, Forbidden, Invalid, NotFound
from contactcenter.telephony import TelephonyError, retried
from contactcenter.users.auth import MONITOR_ROLES, CurrentUser
from contactcenter.users.models import User
from contactcenter.users.teams import check_may_watch
from ivr.call import url
from queues.engine import RoutingError

log = logging.getLogger(__name__)
MODES = ("listen", "whisper", "barge")
# The supervisor's own routing states in which their phone may ring with a call routed to them.
TAKING_CALLS = ("available", "reserved", "busy")


class MonitoringError(APIError):
    """Listening in cannot be done now (409 unless said otherwise); the message says why."""

    status = 409


def monitor_label(user_id: int) -> str:
    """The participant label of a monitor's leg."""
    return f"monitor-{user_id}"


def monitor_of_label(label: str) -> int | None:
    """The user a monitor's participant label names (None for anyone else)."""
    prefix, _, number = label.partition("-")
    return int(number) if prefix == "monitor" and number.isdigit() else None


def monitors_view(raw: str | None, *, agent: str | None = None) -> list[dict[str, str]]:
    """Who listens to a call, from routing's `monitors` field (of `agent`'s call only, when given)."""
    monitors = json.loads(raw) if raw else {}
    return [
        {"monitor": user_id, "name": entry.get("name", ""), "mode": entry.get("mode", "")}
        for user_id, entry in sorted(monitors.items(), key=lambda item: int(item[0]))
        if agent is None or str(entry.get("agent")) == str(agent)
    ]


@dataclass(frozen=True)
class Leg:
    """A monitor's leg in the room: its CallSid ('' until the Participants API names it), the agent
    listened to, how, and the try that placed it (its status callback's `leg`)."""

    call_sid: str
    agent: int
    mode: str
    attempt: str = ""

    def is_reported_by(self, *, call_sid: str, attempt: str) -> bool:
        """Whether a status callback about `call_sid`, placed as `attempt`, is about this leg: a leg
        that fails at once reports before we know its CallSid; an earlier leg's late report is not."""
        return self.call_sid == call_sid or (not self.call_sid and bool(attempt) and self.attempt == attempt)


@dataclass(frozen=True)
class Target:
    """The live call to listen to: its agent and what the room needs to add or change a leg."""

    agent_id: int
    agent_leg: str
    conference_sid: str
    from_number: str


def _field(user_id: int) -> str:
    return f"monitor:{user_id}"


def _legs(live: LiveCall) -> dict[int, Leg]:
    legs = {}
    for field, value in live.redis.hgetall(live.key).items():
        name = field.decode() if isinstance(field, bytes) else str(field)
        if name.startswith("monitor:") and value:
            data = json.loads(value)
            legs[int(name.removeprefix("monitor:"))] = Leg(
                data["call_sid"], int(data["agent"]), data["mode"], data.get("attempt", "")
            )
    return legs


def _leg_json(leg: Leg) -> str:
    return json.dumps({"call_sid": leg.call_sid, "agent": leg.agent, "mode": leg.mode, "attempt": leg.attempt})


def _keep(live: LiveCall, user_id: int, leg: Leg) -> None:
    live.set(**{_field(user_id): _leg_json(leg)})


# Changes a monitor's leg only while they are still in: a callback may have taken them out meanwhile.
_REPLACE = """if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1"""


def _replace(live: LiveCall, user_id: int, leg: Leg) -> bool:
    return bool(live.redis.eval(_REPLACE, 1, live.key, _field(user_id), _leg_json(leg)))


def _busy_key(user_id: int) -> str:
    """The contact a user listens to now (one call at a time: their phone takes one)."""
    return f"monitoring:{user_id}"


def _audit(services: Services, actor: str, contact_id: int, kind: str, **data: Any) -> None:
    with services.db.session() as session:
        record_event(session, actor=actor, subject_type="contact", subject_id=contact_id, kind=kind, **data)


def _check_role(viewer: CurrentUser) -> None:
    if viewer.role not in MONITOR_ROLES:
        raise Forbidden(f"Listening in to calls is for team leads and QA staff; your role ({viewer.role}) may not.")


def _target(services: Services, viewer: CurrentUser, contact_id: int) -> Target:
    """The call as it is now, refused unless it is a call, live, and (for a team lead) their team's."""
    routing = services.routing.contact(str(contact_id))
    with services.db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise NotFound(f"There is no contact {contact_id}.")
        if contact.channel == "chat":
            raise MonitoringError("Only calls can be listened to; this contact is a chat.", code="not_a_call")
        agent = session.get(User, int(routing["agent"])) if routing.get("agent", "").isdigit() else None
        if agent is not None:
            check_may_watch(role=viewer.role, team=viewer.team, agent=agent)
        # What the listener's phone shows as calling: for QA staff (numbers masked) the hotline's number.
        from_number = (contact.from_number if sees_whole(viewer) else contact.to_number) or ""
    if agent is None or routing.get("state") != "assigned":
        raise MonitoringError(
            "This call is not live: its agent has not joined it yet, or it has ended.", code="not_live"
        )
    if agent.id == viewer.id:
        raise MonitoringError("This is your own call.", code="own_call")
    live = LiveCall(services, contact_id)
    leg = live.agent_leg(agent.id)
    if not live.conference_sid or not leg:
        raise MonitoringError("The agent's phone is not in this call's room.", code="not_live")
    return Target(agent.id, leg, live.conference_sid, from_number)


def _check_free(services: Services, viewer: CurrentUser, contact_id: int) -> None:
    """One call at a time, and none routed to the listener meanwhile (their phone would take that too)."""
    state = services.routing.agent(str(viewer.id)).get("state", "offline")
    if state in TAKING_CALLS:
        raise MonitoringError(
            f"You are taking calls yourself ({state}): go not ready first, or a call could ring your phone "
            "while you listen.",
            code="taking_calls",
        )
    raw = services.redis.get(_busy_key(viewer.id))
    other = int(raw) if raw else None
    if other is not None and other != contact_id and viewer.id in _legs(LiveCall(services, other)):
        raise MonitoringError(f"You are listening to contact {other}; leave it first.", code="monitoring_another")


def _participant_changes(mode: str, previous: str, agent_leg: str) -> dict[str, Any]:
    """Twilio's participant changes into a mode: a listener is muted, a whisperer coaches the agent."""
    changes: dict[str, Any] = {"muted": mode == "listen"}
    if mode == "whisper":
        changes.update(coaching=True, call_sid_to_coach=agent_leg)
    elif previous == "whisper":
        changes["coaching"] = False
    return changes


def monitor(services: Services, *, viewer: CurrentUser, contact_id: int, mode: str) -> dict[str, Any]:
    """Join the call in `mode`, or switch to it when already in. Returns {"state": mode, "agent",
    "ring_seconds"}: how long the listener's phone rings into the room (their page answers it), 0 when
    it is in already."""
    _check_role(viewer)
    if mode not in MODES:
        raise Invalid(f"mode must be one of {', '.join(MODES)}.")
    target = _target(services, viewer, contact_id)
    live = LiveCall(services, contact_id)
    current = _legs(live).get(viewer.id)
    if current is not None and current.agent == target.agent_id:
        _switch(services, viewer, contact_id, target, current, mode)
        return {"state": mode, "agent": target.agent_id, "ring_seconds": 0}
    _check_free(services, viewer, contact_id)
    if current is not None:  # still in from before the call went to another agent: out first
        _take_out(services, contact_id=contact_id, user_id=viewer.id, reason="agent_left", actor="system")
    _join(services, viewer, contact_id, target, mode)
    return {"state": mode, "agent": target.agent_id, "ring_seconds": services.settings.agent_ring_seconds}


def _record(services: Services, viewer: CurrentUser, contact_id: int, target: Target, mode: str) -> None:
    try:
        services.routing.monitor(
            contact_id=str(contact_id),
            monitor_id=str(viewer.id),
            mode=mode,
            name=viewer.display_name,
            agent_id=str(target.agent_id),
            hidden=not services.settings.show_monitoring,
        )
    except RoutingError as exc:
        raise MonitoringError(str(exc), code=exc.code) from exc


def _join(services: Services, viewer: CurrentUser, contact_id: int, target: Target, mode: str) -> None:
    _record(services, viewer, contact_id, target, mode)  # refused unless the call is still the agent's
    live = LiveCall(services, contact_id)
    # Kept before the leg exists: a leg that fails at once may report before Twilio's answer names it.
    attempt = new_attempt()
    _keep(live, viewer.id, Leg("", target.agent_id, mode, attempt))
    services.redis.set(_busy_key(viewer.id), contact_id, ex=LIVE_TTL_SECONDS)
    _audit(services, f"user:{viewer.id}", contact_id, "monitor_joined", mode=mode, agent_id=target.agent_id)
    with services.db.session() as session:
        identity = session.get_one(User, viewer.id).client_identity
    try:
        call_sid, _ = services.telephony.add_participant(
            conference=target.conference_sid,
            to=f"client:{identity}",
            from_=target.from_number,
            label=monitor_label(viewer.id),
            status_callback=retried(
                url(services, "/twilio/voice/monitor-leg", contact=contact_id, monitor=viewer.id, leg=attempt)
            ),
            timeout=services.settings.agent_ring_seconds,
            room={},  # joined by SID: the room is open already, with its own settings
            muted=mode == "listen",
            coach=target.agent_leg if mode == "whisper" else None,
        )
    except TelephonyError as exc:
        _take_out(services, contact_id=contact_id, user_id=viewer.id, reason="not_placed", actor="system", kick=False)
        raise MonitoringError(f"Your phone could not be called into the call: {exc}", 502) from exc
    if not _replace(live, viewer.id, Leg(call_sid, target.agent_id, mode, attempt)):
        # Taken out already (the leg failed at once, or the agent left): the new leg must not stay behind.
        try:
            services.telephony.remove_participant(conference_sid=target.conference_sid, call_sid=call_sid)
        except TelephonyError as exc:
            log.info("monitor %s's leg %s of contact %s was gone already: %s", viewer.id, call_sid, contact_id, exc)
        return
    # The agent may have left while the phone was being called, before the leg could be taken out with them.
    routing = services.routing.contact(str(contact_id))
    if routing.get("state") != "assigned" or routing.get("agent") != str(target.agent_id):
        _take_out(services, contact_id=contact_id, user_id=viewer.id, reason="agent_left", actor="system")


def _switch(services: Services, viewer: CurrentUser, contact_id: int, target: Target, current: Leg, mode: str) -> None:
    if current.mode == mode:
        return  # a second click: nothing changes
    if not current.call_sid:
        raise MonitoringError("Your phone is still being called into the call; try again in a moment.")
    changes = _participant_changes(mode, current.mode, target.agent_leg)
    try:
        services.telephony.update_participant(
            conference_sid=target.conference_sid, call_sid=current.call_sid, **changes
        )
    except TelephonyError as exc:
        raise MonitoringError(f"Could not switch to {mode}: {exc}", 502) from exc
    _record(services, viewer, contact_id, target, mode)
    _replace(LiveCall(services, contact_id), viewer.id, Leg(current.call_sid, current.agent, mode, current.attempt))
    _audit(
        services,
        f"user:{viewer.id}",
        contact_id,
        "monitor_mode_changed",
        mode=mode,
        previous_mode=current.mode,
        agent_id=current.agent,
    )


def leave(services: Services, *, viewer: CurrentUser, contact_id: int) -> str:
    """Leave the call (the listener's phone leaves the room). Returns 'left'."""
    _check_role(viewer)
    if not _take_out(services, contact_id=contact_id, user_id=viewer.id, reason="left", actor=f"user:{viewer.id}"):
        raise MonitoringError("You are not listening to this call.", code="not_monitoring")
    return "left"


def _take_out(services: Services, *, contact_id: int, user_id: int, reason: str, actor: str, kick: bool = True) -> bool:
    """Take a monitor out of the room (unless it is gone already: `kick` False) and out of routing's
    record; audited. False when they were not in (or another request took them out first)."""
    live = LiveCall(services, contact_id)
    leg = _legs(live).get(user_id)
    # HDEL answers 1 to one caller only: the room's callbacks and a Leave click may race.
    if leg is None or not live.redis.hdel(live.key, _field(user_id)):
        return False
    raw = services.redis.get(_busy_key(user_id))
    if raw is not None and int(raw) == contact_id:
        services.redis.delete(_busy_key(user_id))
    if kick and leg.call_sid:
        try:
            services.telephony.remove_participant(conference_sid=live.conference_sid, call_sid=leg.call_sid)
        except TelephonyError as exc:
            log.info("monitor %s's leg %s of contact %s was gone already: %s", user_id, leg.call_sid, contact_id, exc)
    services.routing.monitor(
        contact_id=str(contact_id),
        monitor_id=str(user_id),
        mode="",
        reason=reason,
        hidden=not services.settings.show_monitoring,  # an agent not told who came is not told who went
    )
    _audit(
        services,
        actor,
        contact_id,
        "monitor_left",
        mode=leg.mode,
        agent_id=leg.agent,
        monitor_id=user_id,
        reason=reason,
    )
    return True


def agent_left(services: Services, *, contact_id: int, label: str, call_sid: str) -> None:
    """A participant left the room: if it was an agent's current leg, whoever listened to them goes too."""
    agent_id = agent_of_label(label)
    if agent_id is None or LiveCall(services, contact_id).agent_leg(agent_id) not in (call_sid, ""):
        return  # not an agent, or an old leg of theirs while a newer one is in
    for user_id, leg in _legs(LiveCall(services, contact_id)).items():
        if leg.agent == agent_id:
            _take_out(services, contact_id=contact_id, user_id=user_id, reason="agent_left", actor="system")


def monitor_left_room(services: Services, *, contact_id: int, label: str, call_sid: str, why: str) -> None:
    """A monitor's phone left the room by itself: they hung up, or the room ended (`why`: Twilio's
    ReasonParticipantLeft)."""
    user_id = monitor_of_label(label)
    leg = _legs(LiveCall(services, contact_id)).get(user_id) if user_id is not None else None
    if user_id is None or leg is None or leg.call_sid != call_sid:
        return
    hung_up = why in ("", "participant_hung_up")
    actor = f"user:{user_id}" if hung_up else "system"
    reason = "hung_up" if hung_up else "not_answered" if why == "participant_add_failed" else "call_ended"
    _take_out(services, contact_id=contact_id, user_id=user_id, reason=reason, actor=actor, kick=False)


def monitor_leg_ended(
    services: Services, *, contact_id: int, user_id: int, call_sid: str, status: str, attempt: str = ""
) -> None:
    """The monitor leg's call ended (its status callback): never answered, or hung up."""
    leg = _legs(LiveCall(services, contact_id)).get(user_id)
    if leg is None or not leg.is_reported_by(call_sid=call_sid, attempt=attempt):
        return
    reason = "hung_up" if status == "completed" else "not_answered"
    actor = f"user:{user_id}" if status == "completed" else "system"
    _take_out(services, contact_id=contact_id, user_id=user_id, reason=reason, actor=actor, kick=False)


def room_ended(services: Services, *, contact_id: int) -> None:
    """The room is over: everyone listening is out."""
    for user_id in _legs(LiveCall(services, contact_id)):
        _take_out(services, contact_id=contact_id, user_id=user_id, reason="call_ended", actor="system", kick=False)
