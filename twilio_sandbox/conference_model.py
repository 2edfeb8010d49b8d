"""Conferences and their participants: their state, who hears whom, and the JSON Twilio's REST API shows."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .calls import Call
from .ids import API_VERSION, iso8601, new_sid, rfc2822, utcnow

MAX_PARTICIPANTS = 250
BEEPS = ("true", "false", "onEnter", "onExit")  # the values of beep / Beep
# Twilio's default music (its classical playlist). The sandbox runs offline: it logs this URL as what
# the participant hears but never fetches it.
DEFAULT_MUSIC = "https://twimlets.com/holdmusic?Bucket=com.twilio.music.classical"


@dataclass(frozen=True)
class EventCallback:
    """A statusCallback or recordingStatusCallback: URL, method and the events it asked for."""

    url: str
    method: str
    events: frozenset[str]


@dataclass(frozen=True)
class Music:
    """What a participant hears instead of the conference: a waitUrl or holdUrl ("" = silence)."""

    url: str
    method: str
    kind: str  # "wait" (the conference has not started) or "hold"


@dataclass(eq=False)
class Announcement:
    """An AnnounceUrl played to one participant or to the whole room; it ends once everyone heard it."""

    url: str
    method: str
    to_participant: bool
    waiting: set[str] = field(default_factory=set)  # CallSids still to hear it


@dataclass(frozen=True)
class JoinSpec:
    """The attributes of one <Dial><Conference> (a REST-created participant runs one too)."""

    name: str
    label: str | None = None
    muted: bool = False
    beep: str = "true"
    start_conference_on_enter: bool = True
    end_conference_on_exit: bool = False
    wait: Music | None = None  # None: Twilio's default music
    max_participants: int = MAX_PARTICIPANTS
    record: bool = False
    recording_callback: EventCallback | None = None
    status_callback: EventCallback | None = None
    coach: str | None = None  # CallSid of the participant this one coaches


@dataclass
class Participant:
    """One call in a conference, or on its way there (created over REST and still ringing)."""

    call: Call
    conference_sid: str
    label: str | None = None
    start_conference_on_enter: bool = True
    end_conference_on_exit: bool = False
    muted: bool = False
    hold: bool = False
    coaching: bool = False
    call_sid_to_coach: str | None = None
    beep: str = "true"
    wait: Music | None = None
    hold_music: Music | None = None
    joined: bool = False
    left: bool = False
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    # What the participant's engine plays right now, so the conference wakes it only when that changes.
    playing: Music | None = None
    last_audio: dict[str, Any] | None = None
    announcements: list[Announcement] = field(default_factory=list)

    @property
    def status(self) -> str:
        """Participant status as Twilio names it: queued, ringing, connecting, connected, complete, failed."""
        if self.left:
            return "complete"
        if self.joined:
            return "connected"
        if self.call.final:
            return "failed"
        return {"queued": "queued", "ringing": "ringing"}.get(self.call.status, "connecting")

    def apply(self, spec: JoinSpec) -> None:
        """Take the settings of the <Conference> the call runs."""
        self.label = spec.label or self.label
        self.muted = spec.muted
        self.beep = spec.beep
        self.start_conference_on_enter = spec.start_conference_on_enter
        self.end_conference_on_exit = spec.end_conference_on_exit
        self.wait = spec.wait
        self.coaching = spec.coach is not None
        self.call_sid_to_coach = spec.coach
        self.updated_at = utcnow()


class Conference:
    """One conference room: its participants, status, event subscription, recording and log."""

    def __init__(self, friendly_name: str, account_sid: str) -> None:
        self.sid = new_sid("CF")
        self.friendly_name = friendly_name
        self.account_sid = account_sid
        self.status = "init"
        self.created_at = utcnow()
        self.updated_at = self.created_at
        self.participants: dict[str, Participant] = {}
        # Set by the first participant to join; later participants' settings are ignored, as Twilio does.
        self.status_callback: EventCallback | None = None
        self.max_participants = MAX_PARTICIPANTS
        self.record = False
        self.recording_callback: EventCallback | None = None
        self.recording_sids: list[str] = []
        self.ever_joined = False
        self.reason_conference_ended: str | None = None
        self.call_sid_ending_conference: str | None = None
        self.sequence = 0
        self.log: list[dict[str, Any]] = []
        self._t0 = time.monotonic()

    def record_log(self, event: str, **fields: Any) -> None:
        """Append an entry to the conference log."""
        self.log.append({"t": round(time.monotonic() - self._t0, 3), "event": event, **fields})

    def connected(self) -> list[Participant]:
        """Participants in the room now, in the order they joined."""
        return [p for p in self.participants.values() if p.joined and not p.left]

    def pending(self) -> list[Participant]:
        """Participants created over REST whose call has not joined yet."""
        return [p for p in self.participants.values() if not p.joined and not p.left]

    def find(self, key: str) -> Participant | None:
        """A participant by CallSid or by label, as Twilio's REST API addresses them."""
        participant = self.participants.get(key)
        if participant is not None:
            return participant
        return next((p for p in self.participants.values() if p.label == key), None)

    # -- audio --------------------------------------------------------------------------

    def music_for(self, participant: Participant) -> Music | None:
        """The music a participant hears instead of the others, if any."""
        if participant.hold:
            return participant.hold_music or Music(DEFAULT_MUSIC, "GET", "hold")
        if self.status == "init":
            return participant.wait or Music(DEFAULT_MUSIC, "GET", "wait")
        return None

    def hears(self, listener: Participant, speaker: Participant) -> bool:
        """Whether `listener` hears `speaker` now."""
        if speaker is listener or self.status != "in-progress":
            return False
        if listener.hold or speaker.hold or speaker.muted:
            return False
        if speaker.coaching:  # a coach is heard by the coached participant only
            return listener.call.sid == speaker.call_sid_to_coach
        return True

    def audio(self, participant: Participant) -> dict[str, Any]:
        """Who the participant hears, who hears it, and the music it hears (None: the conference)."""
        others = [p for p in self.connected() if p is not participant]
        music = self.music_for(participant)
        return {
            "hears": [p.call.sid for p in others if self.hears(participant, p)],
            "heard_by": [p.call.sid for p in others if self.hears(p, participant)],
            "music": None if music is None else music.url,
        }

    # -- views --------------------------------------------------------------------------

    def uri(self) -> str:
        """Path of the conference resource, without extension."""
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Conferences/{self.sid}"

    def to_resource(self) -> dict[str, Any]:
        """Twilio-shaped JSON of the Conference resource."""
        uri = self.uri()
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "call_sid_ending_conference": self.call_sid_ending_conference,
            "date_created": rfc2822(self.created_at),
            "date_updated": rfc2822(self.updated_at),
            "friendly_name": self.friendly_name,
            "reason_conference_ended": self.reason_conference_ended,
            "region": "us1",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"participants": uri + "/Participants.json", "recordings": uri + "/Recordings.json"},
            "uri": uri + ".json",
        }

    def participant_resource(self, participant: Participant, *, queue_time: str | None = None) -> dict[str, Any]:
        """Twilio-shaped JSON of a Participant resource (queue_time only in the create answer)."""
        return {
            "account_sid": self.account_sid,
            "call_sid": participant.call.sid,
            "call_sid_to_coach": participant.call_sid_to_coach,
            "coaching": participant.coaching,
            "conference_sid": self.sid,
            "date_created": rfc2822(participant.created_at),
            "date_updated": rfc2822(participant.updated_at),
            "end_conference_on_exit": participant.end_conference_on_exit,
            "hold": participant.hold,
            "label": participant.label,
            "muted": participant.muted,
            "queue_time": queue_time,
            "start_conference_on_enter": participant.start_conference_on_enter,
            "status": participant.status,
            "uri": f"{self.uri()}/Participants/{participant.call.sid}.json",
        }

    def snapshot(self) -> dict[str, Any]:
        """The conference as the sandbox's control API shows it: participants, who hears whom, its log."""
        return {
            "sid": self.sid,
            "friendly_name": self.friendly_name,
            "status": self.status,
            "created_at": iso8601(self.created_at),
            "reason_conference_ended": self.reason_conference_ended,
            "recording_sids": list(self.recording_sids),
            "participants": [
                {
                    "call_sid": p.call.sid,
                    "label": p.label,
                    "status": p.status,
                    "muted": p.muted,
                    "hold": p.hold,
                    "coaching": p.coaching,
                    "call_sid_to_coach": p.call_sid_to_coach,
                    **self.audio(p),
                }
                for p in self.participants.values()
            ],
            "log": list(self.log),
        }
