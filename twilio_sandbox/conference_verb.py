"""<Dial><Conference>: the call is a participant of a named room until it leaves, then the Dial action runs."""

from __future__ import annotations

import math
import time
from urllib.parse import urlsplit

from .call_engine import CallEngine
from .conference_events import CONFERENCE_EVENTS, DEFAULT_CONFERENCE_EVENTS, RECORDING_EVENTS
from .conference_model import (
    BEEPS,
    DEFAULT_MUSIC,
    MAX_PARTICIPANTS,
    Announcement,
    Conference,
    EventCallback,
    JoinSpec,
    Music,
    Participant,
)
from .conferences import JoinRefused
from .signals import ApplicationError, CallEnded, ConferenceChanged, Fetch, HangupRequested, RedirectRequested
from .twiml import Document, Verb

# A hold or wait document that loops with <Redirect> and prompts that take no time would be requested
# in a tight loop; as for <Enqueue>'s waitUrl, each pass takes at least this long.
MIN_MUSIC_LOOP_SECONDS = 0.5
# A waitUrl or holdUrl may name an audio file rather than TwiML; the sandbox (offline) logs it as played.
AUDIO_EXTENSIONS = (".mp3", ".wav", ".ogg", ".aiff", ".gsm", ".ulaw")


def _words(text: str, allowed: frozenset[str]) -> frozenset[str]:
    """Space- (or comma-) separated event words, keeping the known ones."""
    return frozenset(text.replace(",", " ").split()) & allowed


def join_spec(noun: Verb, doc: Document) -> JoinSpec:
    """The <Conference> noun's attributes, with Twilio's defaults."""
    callback_url = doc.resolve(noun.attrs.get("statusCallback"))
    status_callback = None
    if callback_url:
        events = _words(noun.attr("statusCallbackEvent"), CONFERENCE_EVENTS) or DEFAULT_CONFERENCE_EVENTS
        status_callback = EventCallback(callback_url, noun.attr("statusCallbackMethod", "POST").upper(), events)
    recording_url = doc.resolve(noun.attrs.get("recordingStatusCallback"))
    recording_callback = None
    if recording_url:
        events = _words(noun.attr("recordingStatusCallbackEvent", "completed"), RECORDING_EVENTS) or frozenset(
            {"completed"}
        )
        method = noun.attr("recordingStatusCallbackMethod", "POST").upper()
        recording_callback = EventCallback(recording_url, method, events)
    wait = None
    if "waitUrl" in noun.attrs:  # an empty waitUrl means silence
        wait = Music(doc.resolve(noun.attrs["waitUrl"]) or "", noun.attr("waitMethod", "POST").upper(), "wait")
    beep = noun.attr("beep", "true")
    return JoinSpec(
        name=noun.text.strip(),
        label=noun.attrs.get("participantLabel") or None,
        muted=noun.flag("muted"),
        beep=beep if beep in BEEPS else "true",
        start_conference_on_enter=noun.attr("startConferenceOnEnter", "true").strip().lower() != "false",
        end_conference_on_exit=noun.flag("endConferenceOnExit"),
        wait=wait,
        max_participants=max(2, min(MAX_PARTICIPANTS, int(noun.number("maxParticipants", MAX_PARTICIPANTS)))),
        record=noun.attr("record") == "record-from-start",
        recording_callback=recording_callback,
        status_callback=status_callback,
        coach=noun.attrs.get("coach") or None,
    )


async def run_conference(engine: CallEngine, dial: Verb, noun: Verb, doc: Document) -> Document | None:
    """Run <Dial><Conference>; return the action's TwiML, or None to continue after the verb."""
    call, registry = engine.call, engine.sandbox.conferences
    action = doc.resolve(dial.attrs.get("action"))
    method = dial.attr("method", "POST")
    spec = join_spec(noun, doc)
    if not spec.name:
        call.record("dial-failed", reason="<Conference> without a name")
        return await _action(engine, action, method, "failed")
    try:
        conference, participant = registry.join(call, spec)
    except JoinRefused as refused:
        call.record("conference-refused", conference=spec.name, reason=refused.reason)
        return await _action(engine, action, method, "failed") if refused.to_action else None
    call.discard(ConferenceChanged)  # the engine reads the room's state itself from here
    call.record("conference-joined", conference_sid=conference.sid, friendly_name=conference.friendly_name)
    call.conference = conference.friendly_name
    try:
        await _stay(engine, conference, participant)
    except HangupRequested as hangup:
        call.caller_gone = True
        reason = "participant_updated_via_api" if hangup.by == "api" else "participant_hung_up"
        registry.leave(participant, reason=reason, call_status="completed")
        if hangup.by != "api" and action:
            # Twilio still requests the action when the caller hangs up; the answer is ignored.
            await engine.notify(action, method, {"DialCallStatus": "completed"}, kind="dial-action")
        raise
    except RedirectRequested:
        registry.leave(participant, reason="participant_updated_via_api", call_status="in-progress")
        raise
    except CallEnded:  # <Hangup/> in a wait or hold document, or its webhook failing
        call.caller_gone = True
        registry.leave(participant, reason="participant_hung_up", call_status="completed")
        raise
    finally:
        call.discard(ConferenceChanged)
        call.caller_deadline = None
    return await _action(engine, action, method, "completed")


async def _action(engine: CallEngine, action: str | None, method: str, status: str) -> Document | None:
    """The caller is out of the conference and still on the line: request the Dial action, if any."""
    engine.call.record("dial-ended", dial_call_status=status)
    if action is None:
        return None
    return await engine.fetch_twiml(Fetch(action, method, kind="dial-action"), {"DialCallStatus": status})


async def _stay(engine: CallEngine, conference: Conference, participant: Participant) -> None:
    """Be in the room until taken out (kicked, the conference ended); music plays while waiting or held."""
    call = engine.call
    while not participant.left:
        if participant.announcements:
            announcement = participant.announcements.pop(0)
            failure = await _announce(engine, announcement)
            engine.sandbox.conferences.announced(conference, participant, announcement, failure)
            continue
        music = conference.music_for(participant)
        participant.playing = music
        if conference.status == "in-progress" and call.caller.talk_seconds is not None and call.caller_deadline is None:
            # A scripted caller talks for talk_seconds once someone is there to hear them.
            call.caller_deadline = time.monotonic() + call.caller.talk_seconds
        try:
            if music is None or not music.url:
                await call.sleep(math.inf)
            else:
                await _play(engine, music)
        except ConferenceChanged:
            continue


def _audio_file(url: str) -> bool:
    """Whether a URL names an audio file rather than TwiML."""
    return urlsplit(url).path.lower().endswith(AUDIO_EXTENSIONS)


async def _announce(engine: CallEngine, announcement: Announcement) -> str | None:
    """Play an AnnounceUrl to this participant; return why it failed, or None."""
    call = engine.call
    call.record("conference-announcement", url=announcement.url)
    try:
        if _audio_file(announcement.url):
            call.record("play", url=announcement.url)
            await engine.media_pause()
            return None
        document: Document | None = await engine.fetch_twiml(
            Fetch(announcement.url, announcement.method, kind="announce")
        )
        while document is not None:
            document = await engine.execute(document, waiting=True)
    except ApplicationError as error:
        return error.reason
    except ConferenceChanged:  # held or kicked meanwhile: the announcement stops there
        pass
    return None


async def _play(engine: CallEngine, music: Music) -> None:
    """Play a waitUrl or holdUrl until the conference changes; Twilio's own music is only logged."""
    call = engine.call
    call.record("conference-music", kind=music.kind, url=music.url)
    if music.url == DEFAULT_MUSIC or _audio_file(music.url):
        call.record("play", url=music.url)
        await call.sleep(math.inf)
        return
    try:
        document: Document | None = await engine.fetch_twiml(Fetch(music.url, music.method, kind=music.kind))
    except ApplicationError as error:
        # A failing music URL leaves the participant in silence, not disconnected.
        call.record("conference-music-failed", kind=music.kind, reason=error.reason)
        await call.sleep(math.inf)
        return
    while document is not None:
        started = time.monotonic()
        document = await engine.execute(document, waiting=True)
        remaining = MIN_MUSIC_LOOP_SECONDS - (time.monotonic() - started)
        if document is not None and remaining > 0:
            await call.sleep(remaining)
    await call.sleep(math.inf)  # the document ran out of verbs: silence, as Twilio plays
