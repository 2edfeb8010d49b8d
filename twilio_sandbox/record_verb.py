"""<Record>: a voicemail, ended by a finish key, by the caller hanging up or by maxLength."""

from __future__ import annotations

import time

from .call_engine import CallEngine
from .recording_session import RecordingSession
from .signals import Fetch, HangupRequested
from .twiml import Document, Verb

# A scripted caller's message lasts this long at most, so tests and loads stay quick.
SCRIPTED_MAX_SECONDS = 3
# A live caller may talk longer, but a forgotten browser tab must not record for an hour.
LIVE_MAX_SECONDS = 120.0
DEFAULT_FINISH_KEYS = "1234567890*#"


async def run_record(engine: CallEngine, verb: Verb, doc: Document, waiting: bool) -> Document | None:
    """Run <Record>; return the action's TwiML (None never: the action always follows)."""
    call = engine.call
    if verb.flag("playBeep") or "playBeep" not in verb.attrs:
        call.record("beep")
    max_length = verb.number("maxLength", 3600)
    finish_keys = verb.attr("finishOnKey", DEFAULT_FINISH_KEYS)
    session = RecordingSession(
        engine,
        source="RecordVerb",
        channels=1,
        callback_url=doc.resolve(verb.attrs.get("recordingStatusCallback")),
        callback_method=verb.attr("recordingStatusCallbackMethod", "POST"),
        events=verb.attr("recordingStatusCallbackEvent", "completed"),
    )
    await session.start()
    action = doc.resolve(verb.attrs.get("action")) or doc.url
    method = verb.attr("method", "POST")
    if call.caller.interactive:
        try:
            pressed = await _live_finish_key(engine, finish_keys, min(max_length, LIVE_MAX_SECONDS))
        except HangupRequested:
            await _hung_up(engine, session, None, action, method)
            raise
        seconds = None  # the real time it took
    else:
        await engine.media_pause()
        # The scripted caller ends a recording with a finish key from the script, or by hanging up.
        key = call.caller.upcoming_key()
        pressed = key if key and key in finish_keys else None
        if pressed:
            call.caller.next_entry({"dtmf"})
        else:
            await _hung_up(engine, session, min(max_length, SCRIPTED_MAX_SECONDS), action, method)
            raise HangupRequested("caller")
        seconds = min(max_length, SCRIPTED_MAX_SECONDS)
    recording = await session.finish(seconds)
    params = _action_params(session, recording.sid, recording.duration)
    if pressed:
        params["Digits"] = pressed  # no Digits at all when maxLength ended the recording
    return await engine.fetch_twiml(Fetch(action, method, kind="record-action"), params)


async def _live_finish_key(engine: CallEngine, finish_keys: str, max_seconds: float) -> str | None:
    """Wait for a live caller's finish key; None when maxLength runs out first."""
    pending = engine.call.caller.pending
    end = time.monotonic() + max_seconds
    while await engine.call.sleep(max(0.0, end - time.monotonic()), until=lambda: bool(pending)):
        item = pending.popleft()
        if item.kind == "dtmf" and item.value in finish_keys:
            return item.value
        engine.call.record("input-ignored", kind=item.kind, value=item.value, reason="not a finish key of <Record>")
    return None


async def _hung_up(
    engine: CallEngine, session: RecordingSession, seconds: float | None, action: str, method: str
) -> None:
    """The caller hung up on the recording: Twilio still posts the action, and ignores its answer."""
    engine.call.caller_gone = True
    recording = await session.finish(seconds)
    params = {**_action_params(session, recording.sid, recording.duration), "Digits": "hangup"}
    await engine.notify(action, method, params, kind="record-action")


def _action_params(session: RecordingSession, sid: str, duration: int) -> dict[str, str]:
    """Recording details Twilio sends to the <Record> action."""
    return {"RecordingUrl": session.url, "RecordingSid": sid, "RecordingDuration": str(duration)}
