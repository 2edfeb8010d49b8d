"""The account's conferences: joining, leaving, participant changes and the conference's end, with their events."""

from __future__ import annotations

from dataclasses import dataclass

from .calls import Call
from .conference_events import Outbox, emit
from .conference_model import Announcement, Conference, JoinSpec, Music, Participant
from .conference_recording import ConferenceRecording
from .config import SandboxConfig
from .ids import utcnow
from .recording import Recording
from .signals import ConferenceChanged, HangupRequested
from .webhooks import WebhookSender

END_MESSAGES = {
    "conference-ended-via-api": "Conference ended via API",
    "participant-with-end-conference-on-exit-left": "Participant with endConferenceOnExit left the conference",
    "participant-with-end-conference-on-exit-kicked": "Participant with endConferenceOnExit was kicked",
    "last-participant-left": "Last participant left the conference",
    "last-participant-kicked": "Last participant was kicked",
}


class JoinRefused(Exception):
    """The call cannot enter the conference; `to_action` says whether the <Dial> fails to its action."""

    def __init__(self, reason: str, *, to_action: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.to_action = to_action


@dataclass(frozen=True)
class ParticipantChange:
    """A REST update of a participant: only the fields that were sent are set."""

    muted: bool | None = None
    hold: bool | None = None
    hold_music: Music | None = None
    coaching: bool | None = None
    call_sid_to_coach: str | None = None
    end_conference_on_exit: bool | None = None
    beep_on_exit: bool | None = None
    wait: Music | None = None


class ConferenceRegistry:
    """Every conference of the sandbox account, by SID; named rooms are found by FriendlyName."""

    def __init__(self, config: SandboxConfig, recordings: dict[str, Recording]) -> None:
        self._config = config
        self._recordings = recordings
        self._conferences: dict[str, Conference] = {}
        self._recording: dict[str, ConferenceRecording] = {}
        self.outbox = Outbox()

    async def deliver(self, webhooks: WebhookSender) -> None:
        """Post conference callbacks while the sandbox runs."""
        await self.outbox.run(webhooks)

    # -- lookups --------------------------------------------------------------------------

    def all(self) -> list[Conference]:
        """Every conference, newest first."""
        return sorted(self._conferences.values(), key=lambda c: c.created_at, reverse=True)

    def get(self, sid: str) -> Conference | None:
        """A conference by its SID."""
        return self._conferences.get(sid)

    def open(self, name: str) -> Conference:
        """The named room that is not over yet, or a new one (status init)."""
        for conference in self._conferences.values():
            if conference.friendly_name == name and conference.status != "completed":
                return conference
        conference = Conference(name, self._config.account_sid)
        self._conferences[conference.sid] = conference
        conference.record_log("created", friendly_name=name)
        return conference

    def expect(self, conference: Conference, call: Call, spec: JoinSpec) -> Participant:
        """A participant created over REST: listed (queued, ringing...) with its settings until its call joins."""
        participant = Participant(call, conference.sid)
        participant.apply(spec)
        conference.participants[call.sid] = participant
        return participant

    # -- joining and leaving ----------------------------------------------------------------

    def join(self, call: Call, spec: JoinSpec) -> tuple[Conference, Participant]:
        """The call enters the room its <Conference> names; raise JoinRefused when it cannot."""
        conference = self.open(spec.name)
        participant = conference.participants.get(call.sid)
        connected = conference.connected()
        if spec.label and any(p.label == spec.label for p in connected):
            raise JoinRefused(f"a participant labelled {spec.label!r} is already in the conference", to_action=False)
        if len(connected) >= conference.max_participants:
            raise JoinRefused("the conference is full (maxParticipants)", to_action=False)
        if spec.coach is not None and not any(p.call.sid == spec.coach for p in connected):
            raise JoinRefused(f"the call to coach, {spec.coach}, is not in the conference", to_action=True)
        if participant is None:
            participant = conference.participants[call.sid] = Participant(call, conference.sid)
        participant.apply(spec)
        participant.joined = True
        if not conference.ever_joined:
            conference.ever_joined = True
            conference.status_callback = spec.status_callback
            conference.max_participants = spec.max_participants
        if spec.record and not conference.record:
            conference.record = True
            conference.recording_callback = spec.recording_callback
        conference.updated_at = utcnow()
        emit(self.outbox, conference, "participant-join", participant)
        everyone = conference.connected()
        if conference.status == "init" and len(everyone) >= 2 and any(p.start_conference_on_enter for p in everyone):
            self._start(conference, participant)
        self._changed(conference, joining=participant)
        return conference, participant

    def leave(self, participant: Participant, *, reason: str, call_status: str) -> None:
        """The participant's own call leaves (hung up, redirected, its TwiML moved on)."""
        self._remove(participant, reason=reason, call_status=call_status, kicked=False, wake=False)

    def kick(self, participant: Participant) -> None:
        """REST DELETE: the participant leaves; its call continues after the <Dial>."""
        if not participant.joined:
            # Still ringing: the add is called off.
            participant.call.interrupt(HangupRequested("api", "canceled"))
            return
        self._remove(
            participant, reason="participant_updated_via_api", call_status="in-progress", kicked=True, wake=True
        )

    def call_ended(self, call: Call, status: str) -> None:
        """A call ended: a REST-created participant that never joined failed to be added."""
        for conference in self._conferences.values():
            participant = conference.participants.get(call.sid)
            if participant is not None and not participant.joined and not participant.left:
                self._remove(participant, reason="participant_add_failed", call_status=status, kicked=False, wake=False)

    def end(self, conference: Conference) -> None:
        """REST Status=completed: the conference ends and every participant's <Dial> completes."""
        if conference.status != "completed":
            self._end(conference, "conference-ended-via-api", None, leave_reason="conference_ended_via_api")

    # -- changes ------------------------------------------------------------------------

    def update(self, conference: Conference, participant: Participant, change: ParticipantChange) -> None:
        """Apply a REST participant update and report what changed."""
        if change.hold_music is not None:
            participant.hold_music = change.hold_music
        if change.muted is not None and change.muted != participant.muted:
            participant.muted = change.muted
            emit(self.outbox, conference, "participant-mute" if change.muted else "participant-unmute", participant)
        if change.hold is not None and change.hold != participant.hold:
            participant.hold = change.hold
            emit(self.outbox, conference, "participant-hold" if change.hold else "participant-unhold", participant)
        modified = False
        if change.call_sid_to_coach is not None or change.coaching is not None:
            # Coaching=false stops coaching; a CallSidToCoach (with Coaching absent or true) starts it.
            target = None if change.coaching is False else (change.call_sid_to_coach or participant.call_sid_to_coach)
            if (target is not None, target) != (participant.coaching, participant.call_sid_to_coach):
                participant.coaching, participant.call_sid_to_coach = target is not None, target
                modified = True
        if (
            change.end_conference_on_exit is not None
            and change.end_conference_on_exit != participant.end_conference_on_exit
        ):
            participant.end_conference_on_exit = change.end_conference_on_exit
            modified = True
        if change.beep_on_exit is not None:
            on_enter = participant.beep in ("true", "onEnter")
            beep = {(True, True): "true", (True, False): "onEnter", (False, True): "onExit", (False, False): "false"}
            participant.beep = beep[(on_enter, change.beep_on_exit)]
            modified = True
        if change.wait is not None and change.wait != participant.wait:
            participant.wait = change.wait
            modified = True
        if modified:
            emit(self.outbox, conference, "participant-modify", participant)
        participant.updated_at = conference.updated_at = utcnow()
        self._changed(conference)

    def announce(self, conference: Conference, url: str, method: str, participant: Participant | None) -> None:
        """AnnounceUrl: play it to one participant, or to everyone in the room."""
        targets = [participant] if participant is not None else conference.connected()
        announcement = Announcement(url, method, participant is not None, {p.call.sid for p in targets})
        for target in targets:
            target.announcements.append(announcement)
            target.call.interrupt(ConferenceChanged())

    def announced(
        self, conference: Conference, participant: Participant, announcement: Announcement, failure: str | None
    ) -> None:
        """One participant heard an announcement; report its end (or failure) once everyone did."""
        announcement.waiting.discard(participant.call.sid)
        if announcement.waiting:
            return
        extra = {"AnnounceUrl": announcement.url}
        if failure is not None:
            extra["ReasonAnnouncementFailed"] = failure
        event = "announcement-end" if failure is None else "announcement-fail"
        present = announcement.to_participant and not participant.left
        emit(self.outbox, conference, event, participant if present else None, extra)

    # -- internals ------------------------------------------------------------------------

    def _start(self, conference: Conference, starter: Participant) -> None:
        """Two participants are in and one may start it: audio is mixed (and recorded) from now."""
        conference.status = "in-progress"
        emit(self.outbox, conference, "conference-start")
        if conference.record:
            recording = ConferenceRecording(conference, starter.call.sid)
            self._recording[conference.sid] = recording
            conference.record_log("recording-started", recording_sid=recording.sid)
            started = recording.started_job(self._config)
            if started is not None:
                self.outbox.put(started, conference.sid)

    def _remove(self, participant: Participant, *, reason: str, call_status: str, kicked: bool, wake: bool) -> None:
        """Take a participant out; the conference ends if it was the moderator or the last one."""
        conference = self._conferences.get(participant.conference_sid)
        if conference is None or participant.left:
            return
        joined = participant.joined
        self._drop(conference, participant, reason=reason, call_status=call_status, wake=wake)
        if conference.status == "completed":
            return
        if not conference.ever_joined:
            if not conference.participants:
                conference.status = "completed"  # nobody ever got in: the room closes without events
            return
        how = "kicked" if kicked else "left"
        if joined and participant.end_conference_on_exit:
            self._end(
                conference,
                f"participant-with-end-conference-on-exit-{how}",
                participant,
                leave_reason="moderator_ended_conference",
            )
        elif not conference.connected() and not conference.pending():
            self._end(conference, f"last-participant-{how}", participant, leave_reason="moderator_ended_conference")
        else:
            self._changed(conference)

    def _drop(
        self, conference: Conference, participant: Participant, *, reason: str, call_status: str, wake: bool
    ) -> None:
        """Mark one participant gone and report its leaving."""
        participant.left = True
        conference.participants.pop(participant.call.sid, None)
        conference.updated_at = utcnow()
        extra = {"ParticipantCallStatus": call_status, "ReasonParticipantLeft": reason}
        emit(self.outbox, conference, "participant-leave", participant, extra)
        participant.call.record("conference-left", conference_sid=conference.sid, reason=reason)
        if wake:
            participant.call.interrupt(ConferenceChanged())

    def _end(self, conference: Conference, reason: str, ender: Participant | None, *, leave_reason: str) -> None:
        """The conference is over: everyone else leaves, the recording is finished."""
        conference.status = "completed"
        conference.reason_conference_ended = reason
        conference.call_sid_ending_conference = None if ender is None else ender.call.sid
        for other in list(conference.participants.values()):
            if other.joined:
                self._drop(conference, other, reason=leave_reason, call_status="in-progress", wake=True)
            else:  # still ringing: the add is called off
                other.call.interrupt(HangupRequested("conference-ended", "canceled"))
        extra = {"ReasonConferenceEnded": reason, "Reason": END_MESSAGES[reason]}
        if ender is not None:
            extra["CallSidEndingConference"] = ender.call.sid
            if ender.label:
                extra["ParticipantLabelEndingConference"] = ender.label
        emit(self.outbox, conference, "conference-end", extra=extra)
        recording = self._recording.pop(conference.sid, None)
        if recording is not None:
            self.outbox.put(recording.finish_job(self._config, self._recordings), conference.sid)

    def _changed(self, conference: Conference, joining: Participant | None = None) -> None:
        """Log who now hears whom; wake the participants whose music must change."""
        for participant in conference.connected():
            audio = conference.audio(participant)
            if audio != participant.last_audio:
                participant.last_audio = audio
                participant.call.record("conference-audio", conference_sid=conference.sid, **audio)
                conference.record_log("audio", call_sid=participant.call.sid, label=participant.label, **audio)
            if conference.status == "in-progress":
                participant.call.bridged = True
            # The joining call's engine reads its music itself as it enters.
            if participant is not joining and conference.music_for(participant) != participant.playing:
                participant.call.interrupt(ConferenceChanged())
