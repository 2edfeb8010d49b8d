"""The parameters Twilio documents for conference callbacks, kept apart from the sandbox on purpose: tests
check the sandbox against the documentation, not against itself.

https://www.twilio.com/docs/voice/twiml/conference ("statusCallback" request parameters, and the
recordingStatusCallback request parameters of a conference recording).
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime

Params = dict[str, str]

# Sent with every conference event.
EVERY_EVENT = ("ConferenceSid", "FriendlyName", "AccountSid", "SequenceNumber", "Timestamp", "StatusCallbackEvent")
# Sent with participant events (join leave mute hold modify speaker announcement); the label only when set.
PARTICIPANT = ("CallSid", "Muted", "Hold", "Coaching", "EndConferenceOnExit", "StartConferenceOnEnter")
PARTICIPANT_OPTIONAL = ("ParticipantLabel",)
# Sent on participant-leave.
LEAVE = ("ParticipantCallStatus", "ReasonParticipantLeft")
# Sent on conference-end; who ended it only "if applicable".
END = ("ReasonConferenceEnded", "Reason")
END_OPTIONAL = ("CallSidEndingConference", "ParticipantLabelEndingConference")
# Sent on announcement-end|fail; a participant announcement adds the participant's parameters if it is still there.
ANNOUNCEMENT = ("AnnounceUrl",)
ANNOUNCEMENT_FAILED = ("ReasonAnnouncementFailed",)
STATUS_CALLBACK_EVENTS = (
    "conference-end",
    "conference-start",
    "participant-leave",
    "participant-join",
    "participant-mute",
    "participant-unmute",
    "participant-hold",
    "participant-unhold",
    "participant-modify",
    "participant-speech-start",
    "participant-speech-stop",
    "announcement-end",
    "announcement-fail",
)
REASONS_CONFERENCE_ENDED = (
    "conference-ended-via-api",
    "last-participant-kicked",
    "last-participant-left",
    "participant-with-end-conference-on-exit-kicked",
    "participant-with-end-conference-on-exit-left",
)
PARTICIPANT_CALL_STATUSES = ("no-answer", "busy", "in-progress", "failed", "canceled", "completed")
REASONS_PARTICIPANT_LEFT = (
    "conference_ended_via_api",
    "moderator_ended_conference",
    "participant_updated_via_api",
    "participant_hung_up",
    "participant_add_failed",
)
# A conference's recordingStatusCallback (RecordingDuration once completed); two channels since Twilio's change of
# September 2025 (the first participant to join, everyone else), one on an account that keeps them mono.
RECORDING = (
    "AccountSid",
    "ConferenceSid",
    "RecordingSid",
    "RecordingUrl",
    "RecordingStatus",
    "RecordingChannels",
    "RecordingStartTime",
    "RecordingSource",
)
RECORDING_STATUSES = ("in-progress", "completed", "absent")


def undocumented_in_event(params: Params) -> list[str]:
    """What in one conference statusCallback request Twilio's documentation does not have (empty: all fine)."""
    event = params.get("StatusCallbackEvent", "")
    problems = [] if event in STATUS_CALLBACK_EVENTS else [f"StatusCallbackEvent={event!r}"]
    required, optional = set(EVERY_EVENT), set()
    if event.startswith("participant-"):
        required |= set(PARTICIPANT)
        optional |= set(PARTICIPANT_OPTIONAL)
    if event.startswith("announcement-"):
        required |= set(ANNOUNCEMENT) | (set(ANNOUNCEMENT_FAILED) if event == "announcement-fail" else set())
        optional |= set(PARTICIPANT) | set(PARTICIPANT_OPTIONAL)
    if event == "participant-leave":
        required |= set(LEAVE)
        if params.get("ParticipantCallStatus") not in PARTICIPANT_CALL_STATUSES:
            problems.append(f"ParticipantCallStatus={params.get('ParticipantCallStatus')!r}")
        if params.get("ReasonParticipantLeft") not in REASONS_PARTICIPANT_LEFT:
            problems.append(f"ReasonParticipantLeft={params.get('ReasonParticipantLeft')!r}")
    if event == "conference-end":
        required |= set(END)
        optional |= set(END_OPTIONAL)
        if params.get("ReasonConferenceEnded") not in REASONS_CONFERENCE_ENDED:
            problems.append(f"ReasonConferenceEnded={params.get('ReasonConferenceEnded')!r}")
    problems += [f"missing {name}" for name in sorted(required - set(params))]
    problems += [f"undocumented {name}" for name in sorted(set(params) - required - optional)]
    problems += [
        f"{name}={params[name]!r}" for name in PARTICIPANT[1:] if params.get(name, "true") not in ("true", "false")
    ]
    if not params.get("SequenceNumber", "").isdigit():
        problems.append("SequenceNumber is not a number")
    try:
        parsedate_to_datetime(params.get("Timestamp", ""))
    except (TypeError, ValueError):
        problems.append(f"Timestamp={params.get('Timestamp')!r} is not RFC 2822")
    return problems


def undocumented_in_recording(params: Params) -> list[str]:
    """What in one conference recordingStatusCallback request is not documented (empty: all fine)."""
    status = params.get("RecordingStatus")
    required = set(RECORDING) | ({"RecordingDuration"} if status == "completed" else set())
    problems = [] if status in RECORDING_STATUSES else [f"RecordingStatus={status!r}"]
    problems += [f"missing {name}" for name in sorted(required - set(params))]
    problems += [f"undocumented {name}" for name in sorted(set(params) - required)]
    if params.get("RecordingSource") != "Conference" or params.get("RecordingChannels") not in ("1", "2"):
        problems.append("a conference recording has RecordingSource=Conference and one or two channels")
    return problems
