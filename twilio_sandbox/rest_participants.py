"""Validation of the Participants REST requests (create, update), with Twilio's parameter names and error codes.

A participant created over REST is an outbound call that, once answered, runs the `<Dial><Conference>`
its parameters describe, as Twilio's own documentation of the parameters explains them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from .calls import StatusCallback
from .clients import CLIENT_PREFIX, IDENTITY_RE
from .conference_model import BEEPS, MAX_PARTICIPANTS, Music
from .conferences import ParticipantChange
from .config import E164_RE
from .rest_calls import (
    CreateError,
    absolute_url,
    last,
    method_param,
    status_callback_param,
    timeout_param,
)


@dataclass(frozen=True)
class CreateParticipant:
    """A valid request to add a participant: the call to place and the TwiML it runs once answered."""

    to: str
    from_: str
    status_callback: StatusCallback | None
    timeout: float
    conference_attrs: dict[str, str]

    def twiml(self, conference_name: str) -> str:
        """The `<Dial><Conference>` the answered call runs."""
        response = ET.Element("Response")
        conference = ET.SubElement(ET.SubElement(response, "Dial"), "Conference", self.conference_attrs)
        conference.text = conference_name
        return ET.tostring(response, encoding="unicode")


def _flag(form: dict[str, list[str]], name: str, default: bool | None = None) -> bool | None:
    """A true/false parameter (anything but "true" is false, as Twilio reads them); None if absent."""
    value = last(form, name)
    return default if value is None else value.strip().lower() == "true"


def _url(form: dict[str, list[str]], name: str, code: int) -> str | None:
    """An optional absolute URL parameter ("" is kept: an empty WaitUrl means silence)."""
    value = last(form, name)
    if value and not absolute_url(value):
        raise CreateError(code, f"{name} is not a valid URL: {value}")
    return value


def _to_and_from(form: dict[str, list[str]], numbers: set[str]) -> tuple[str, str]:
    """To (a number or `client:identity`) and From (one of our numbers when calling a number)."""
    to, from_ = last(form, "To"), last(form, "From")
    if not to:
        raise CreateError(21201, "No 'To' number is specified")
    if not from_:
        raise CreateError(21213, "No 'From' number is specified")
    if to.startswith(CLIENT_PREFIX):
        if not IDENTITY_RE.match(to.removeprefix(CLIENT_PREFIX)):
            raise CreateError(21211, f"Invalid 'To' client identity: {to}")
    elif not E164_RE.match(to):
        raise CreateError(21211, f"Invalid 'To' Phone Number: {to}")
    elif from_ not in numbers:
        raise CreateError(21210, f"The source phone number provided, {from_}, is not yet verified for your account.")
    return to, from_


def parse_participant(form: dict[str, list[str]], numbers: set[str]) -> CreateParticipant:
    """Validate a Participants.json POST body (parameters by name); raise CreateError like Twilio."""
    to, from_ = _to_and_from(form, numbers)
    attrs: dict[str, str] = {}
    for name, attr in (
        ("StartConferenceOnEnter", "startConferenceOnEnter"),
        ("EndConferenceOnExit", "endConferenceOnExit"),
        ("Muted", "muted"),
    ):
        value = _flag(form, name)
        if value is not None:
            attrs[attr] = "true" if value else "false"
    beep = last(form, "Beep")
    if beep is not None:
        attrs["beep"] = beep if beep in BEEPS else "true"
    label = last(form, "Label") or None
    if label:
        attrs["participantLabel"] = label
    wait_url = _url(form, "WaitUrl", 21205)
    if wait_url is not None:
        attrs["waitUrl"] = wait_url
        attrs["waitMethod"] = method_param(form, "WaitMethod", 21205)
    max_participants = last(form, "MaxParticipants")
    if max_participants:
        if not max_participants.isdigit() or not 2 <= int(max_participants) <= MAX_PARTICIPANTS:
            raise CreateError(21205, f"MaxParticipants must be 2 to {MAX_PARTICIPANTS}: {max_participants}")
        attrs["maxParticipants"] = max_participants
    coach = last(form, "CallSidToCoach")
    if coach and _flag(form, "Coaching", True):
        attrs["coach"] = coach
    _conference_callbacks(form, attrs)
    return CreateParticipant(
        to=to,
        from_=from_,
        status_callback=status_callback_param(form),
        timeout=timeout_param(last(form, "Timeout")),
        conference_attrs=attrs,
    )


def _conference_callbacks(form: dict[str, list[str]], attrs: dict[str, str]) -> None:
    """ConferenceRecord and the Conference*Callback parameters, as the <Conference> attributes they are."""
    if (last(form, "ConferenceRecord") or "").lower() in ("true", "record-from-start"):
        attrs["record"] = "record-from-start"
    pairs = (
        ("ConferenceStatusCallback", "statusCallback"),
        ("ConferenceRecordingStatusCallback", "recordingStatusCallback"),
    )
    for name, attr in pairs:
        url = _url(form, name, 21609)
        if not url:
            continue
        attrs[attr] = url
        attrs[attr + "Method"] = method_param(form, name + "Method", 21609)
        events = " ".join(form.get(name + "Event", []))
        if events:
            attrs[attr + "Event"] = events


def parse_change(form: dict[str, list[str]]) -> ParticipantChange:
    """Validate a participant update (POST Participants/{CallSid}.json)."""
    hold_url = _url(form, "HoldUrl", 21205)
    hold_method = (last(form, "HoldMethod") or "GET").upper()  # Twilio's default for HoldMethod is GET
    if hold_method not in ("GET", "POST"):
        raise CreateError(21205, f"HoldMethod must be GET or POST, not {hold_method}")
    wait_url = _url(form, "WaitUrl", 21205)
    return ParticipantChange(
        muted=_flag(form, "Muted"),
        hold=_flag(form, "Hold"),
        hold_music=None if hold_url is None else Music(hold_url, hold_method, "hold"),
        coaching=_flag(form, "Coaching"),
        call_sid_to_coach=last(form, "CallSidToCoach") or None,
        end_conference_on_exit=_flag(form, "EndConferenceOnExit"),
        beep_on_exit=_flag(form, "BeepOnExit"),
        wait=None if wait_url is None else Music(wait_url, method_param(form, "WaitMethod", 21205), "wait"),
    )


def announce_param(form: dict[str, list[str]]) -> tuple[str, str] | None:
    """AnnounceUrl and AnnounceMethod (default POST) of a conference or participant update."""
    url = _url(form, "AnnounceUrl", 21205)
    return None if not url else (url, method_param(form, "AnnounceMethod", 21205))
