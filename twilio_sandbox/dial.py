"""<Dial>: ringing a client or number, the bridge, its recording and the action request."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .call_engine import CallEngine
from .clients import DeviceCall
from .conference_verb import run_conference
from .ids import new_sid
from .recording_session import RecordingSession
from .signals import AgentHangup, Fetch, HangupRequested, RedirectRequested
from .twiml import Document, Verb

RECORD_MODES = {
    "record-from-answer": (1, "answer"),
    "record-from-answer-dual": (2, "answer"),
    "record-from-ringing": (1, "ringing"),
    "record-from-ringing-dual": (2, "ringing"),
}
DEFAULT_TIMEOUT = 30.0
DEFAULT_TIME_LIMIT = 14400.0


@dataclass
class _Leg:
    """The dialled party's call leg."""

    sid: str
    kind: str  # "client" or "number"
    target: str
    answered_at: float | None = None
    ended_at: float | None = None

    def duration(self) -> int:
        """Whole seconds the leg was connected."""
        if self.answered_at is None:
            return 0
        end = self.ended_at if self.ended_at is not None else time.monotonic()
        return round(end - self.answered_at)


def _target(verb: Verb) -> tuple[str, str] | None:
    """(kind, target) of the first dialable noun, or None when there is nothing to dial."""
    for noun in verb.children:
        if noun.name == "Client":
            identity = next((c.text for c in noun.children if c.name == "Identity"), noun.text)
            return ("client", identity.strip())
        if noun.name in ("Number", "Sip"):
            return ("number", noun.text.strip())
        return (noun.name.lower(), noun.text.strip())  # Queue...: unsupported
    return ("number", verb.text) if verb.text else None


async def run_dial(engine: CallEngine, verb: Verb, doc: Document) -> Document | None:
    """Run <Dial>; return the action's TwiML, or None to continue after the verb."""
    if verb.children and verb.children[0].name == "Conference":
        return await run_conference(engine, verb, verb.children[0], doc)
    call = engine.call
    action = doc.resolve(verb.attrs.get("action"))
    method = verb.attr("method", "POST")
    target = _target(verb)
    leg = _Leg(new_sid("CA"), *(target or ("number", "")))
    if leg.kind == "client":
        call.dialed_client = leg.target
    elif leg.kind == "number":
        call.dialed_number = leg.target
    call.record("dial", **{leg.kind: leg.target}, dial_call_sid=leg.sid)
    if target is None or leg.kind not in ("client", "number") or not leg.target:
        call.record("dial-failed", reason=f"cannot dial <{leg.kind}> in the sandbox")
        return await _after(engine, leg, "failed", None, action, method)
    channels, record_from = RECORD_MODES.get(verb.attr("record", "do-not-record"), (0, ""))
    session = None
    if channels:
        session = RecordingSession(
            engine,
            source="DialVerb",
            channels=channels,
            callback_url=doc.resolve(verb.attrs.get("recordingStatusCallback")),
            callback_method=verb.attr("recordingStatusCallbackMethod", "POST"),
            events=verb.attr("recordingStatusCallbackEvent", "completed"),
        )
    try:
        status = await _ring_and_bridge(engine, verb, leg, session, record_from)
    except HangupRequested as hangup:
        call.caller_gone = True
        await _end_bridge(engine, leg, session, ended_by=hangup.by)
        if hangup.by != "api" and action:
            # Twilio still requests the action when the caller hangs up; the answer is ignored.
            status = "completed" if leg.answered_at is not None else "canceled"
            await engine.notify(action, method, _action_params(leg, status, session), kind="dial-action")
        raise
    except RedirectRequested:
        await _end_bridge(engine, leg, session, ended_by="redirect")
        raise
    await _end_bridge(engine, leg, session, ended_by=status)  # no-op unless it never answered
    return await _after(engine, leg, status, session, action, method)


async def _ring_and_bridge(
    engine: CallEngine,
    verb: Verb,
    leg: _Leg,
    session: RecordingSession | None,
    record_from: str,
) -> str:
    """Ring the party, bridge when it answers; return the DialCallStatus."""
    call, config = engine.call, engine.sandbox.config
    if session and record_from == "ringing":
        await session.start()
    timeout = max(0.0, verb.number("timeout", DEFAULT_TIMEOUT))
    clients = engine.sandbox.clients
    if leg.kind == "client" and clients.is_registered(leg.target):
        device = clients.ring(leg.target, call)
        try:
            return await _ring_device(engine, verb, leg, device, session, record_from, timeout)
        finally:
            clients.end(device)
    call.record("ringing", seconds=config.ring_seconds)
    if config.ring_seconds > timeout:
        await call.sleep(timeout)
        call.record("dial-no-answer", timeout=timeout)
        return "no-answer"
    await call.sleep(config.ring_seconds)
    return await _bridge(engine, verb, leg, session, record_from)


async def _ring_device(
    engine: CallEngine,
    verb: Verb,
    leg: _Leg,
    device: DeviceCall,
    session: RecordingSession | None,
    record_from: str,
    timeout: float,
) -> str:
    """Ring a registered client device until it answers or rejects, or the Dial timeout passes."""
    call = engine.call
    call.record("ringing", client=leg.target, registered=True, timeout=timeout)
    if not await call.sleep(timeout, until=lambda: device.outcome is not None):
        call.record("dial-no-answer", timeout=timeout)
        return "no-answer"
    if device.outcome == "rejected":
        call.record("dial-rejected", client=leg.target)
        return "busy"
    device.status = "in-progress"
    return await _bridge(engine, verb, leg, session, record_from)


async def _bridge(engine: CallEngine, verb: Verb, leg: _Leg, session: RecordingSession | None, record_from: str) -> str:
    """The dialled party answered: bridge until someone leaves; return the DialCallStatus."""
    call = engine.call
    leg.answered_at = time.monotonic()
    if session and record_from == "answer":
        await session.start()
    call.bridged = True
    call.in_bridge = True
    call.record("bridged", dial_call_sid=leg.sid, **{leg.kind: leg.target})
    if call.caller.talk_seconds is not None:
        call.caller_deadline = time.monotonic() + call.caller.talk_seconds
    try:
        await call.sleep(max(0.0, verb.number("timeLimit", DEFAULT_TIME_LIMIT)))
        ended_by = "time-limit"
    except AgentHangup:
        ended_by = "agent"
    finally:
        call.in_bridge = False
        call.caller_deadline = None
        call.clear_agent_hangup()
    await _end_bridge(engine, leg, session, ended_by=ended_by)
    return "completed"


async def _end_bridge(engine: CallEngine, leg: _Leg, session: RecordingSession | None, *, ended_by: str) -> None:
    """Hang up the dialled leg and finalise its recording."""
    call = engine.call
    call.in_bridge = False
    call.caller_deadline = None
    if leg.ended_at is None:
        leg.ended_at = time.monotonic()
        if leg.answered_at is not None:
            call.record("bridge-ended", by=ended_by, dial_call_duration=leg.duration())
    if session is not None and session.finished is None and session.started:
        await session.finish()


def _action_params(leg: _Leg, status: str, session: RecordingSession | None) -> dict[str, str]:
    """Parameters Twilio sends to the <Dial> action URL."""
    params = {
        "DialCallStatus": status,
        "DialCallSid": leg.sid,
        "DialCallDuration": str(leg.duration()),
        "DialBridged": "true" if leg.answered_at is not None else "false",
    }
    if session is not None and session.finished is not None:
        params["RecordingUrl"] = session.url
    return params


async def _after(
    engine: CallEngine,
    leg: _Leg,
    status: str,
    session: RecordingSession | None,
    action: str | None,
    method: str,
) -> Document | None:
    """The dialled party is gone and the caller is still here: request the action."""
    engine.call.record("dial-ended", dial_call_status=status)
    if action is None:
        return None
    return await engine.fetch_twiml(Fetch(action, method, kind="dial-action"), _action_params(leg, status, session))
