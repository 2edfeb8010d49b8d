"""The parameter sets Twilio posts to voice webhooks, built the way Twilio's documentation lists them.

Every builder returns the form fields of one request as `dict[str, str]`. The values that belong to
one call or one event are keyword arguments; the rest are what Twilio sends for a mobile phone
calling the hotline. Sign the result with `signed()` and post it form-encoded:

    call = incoming_call(account_sid=sid, call_sid=new_sid("CA"), from_="+8613800138000", to=HOTLINE)
    httpx.post(url, data=call, headers=signed(url, call, token))
    menu = gather_action(call=call, digits="1")

Builders check values against the sets Twilio documents, so a test cannot post a status or a
result that real Twilio never sends. Each builder names the page it follows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

import phonenumbers
from twilio.request_validator import RequestValidator

Params = dict[str, str]

API_VERSION = "2010-04-01"
# https://www.twilio.com/docs/voice/api/call-resource#call-status-values
CALL_STATUSES = ("queued", "ringing", "in-progress", "completed", "busy", "no-answer", "failed", "canceled")
DIRECTIONS = ("inbound", "outbound-api", "outbound-dial")
# https://www.twilio.com/docs/voice/trusted-calling-with-shakenstir (values of StirVerstat)
STIR_VERSTATS = (
    "TN-Validation-Passed-A",
    "TN-Validation-Passed-B",
    "TN-Validation-Passed-C",
    "TN-Validation-Failed-A",
    "TN-Validation-Failed-B",
    "TN-Validation-Failed-C",
    "TN-Validation-Failed",
    "No-TN-Validation",
)
# https://www.twilio.com/docs/voice/twiml/enqueue (QueueResult values). Kept apart from ivr/routes.py's
# copy on purpose: tests check the app against the documentation, not against itself.
QUEUE_RESULTS = (
    "bridged",
    "bridging-in-process",
    "error",
    "hangup",
    "leave",
    "redirected",
    "queue-full",
    "system-error",
)
# The results of a call that did get into the queue: only these carry QueueSid and QueueTime.
ENQUEUED_RESULTS = ("bridged", "bridging-in-process", "hangup", "leave", "redirected")
# https://www.twilio.com/docs/voice/twiml/dial (DialCallStatus values)
DIAL_CALL_STATUSES = ("completed", "answered", "busy", "no-answer", "failed", "canceled")
# https://www.twilio.com/docs/usage/webhooks/voice-webhooks#recording-status-callbacks: the callback
# events are in-progress, completed and absent; failed is a recording that could not be stored
# (it comes with a non-zero ErrorCode).
RECORDING_STATUSES = ("in-progress", "completed", "absent", "failed")
# https://www.twilio.com/docs/voice/api/recording (the Recording resource's source values)
RECORDING_SOURCES = (
    "DialVerb",
    "RecordVerb",
    "Conference",
    "OutboundAPI",
    "Trunking",
    "StartCallRecordingAPI",
    "StartConferenceRecordingAPI",
)
# Parameters documented for the incoming-call request only; later requests of the call omit them.
FIRST_REQUEST_ONLY = ("CallToken", "StirVerstat")


@dataclass(frozen=True)
class Place:
    """What Twilio's geographic lookup found for a number. Twilio still sends the four keys when it
    found nothing (blank values), and blank values are part of the signature, so they matter."""

    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = ""


def place_of(number: str) -> Place:
    """The country of an E.164 number, the rest blank: what Twilio sends for numbers outside North
    America (it fills city, state and zip for US and Canadian numbers only)."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return Place()  # client:agent-1, anonymous, ... have no place
    return Place(country=region if region and region != "ZZ" else "")


def new_sid(prefix: str) -> str:
    """A Twilio-shaped SID: two letters ("CA", "RE", "QU", "AC") and 32 hex digits."""
    return prefix + uuid.uuid4().hex


def twilio_time(moment: datetime) -> str:
    """Twilio's callback timestamps: RFC 2822 in UTC, e.g. 'Mon, 16 Aug 2010 03:45:01 +0000'."""
    return format_datetime(moment.astimezone(UTC))


def twilio_recording_url(account_sid: str, recording_sid: str) -> str:
    """RecordingUrl as Twilio sends it: the REST resource, without a media extension."""
    return f"https://api.twilio.com/{API_VERSION}/Accounts/{account_sid}/Recordings/{recording_sid}"


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not a value Twilio documents ({', '.join(allowed)})")
    return value


def _geography(prefix: str, place: Place) -> Params:
    return {
        f"{prefix}City": place.city,
        f"{prefix}Country": place.country,
        f"{prefix}State": place.state,
        f"{prefix}Zip": place.zip,
    }


def incoming_call(
    *,
    account_sid: str,
    call_sid: str,
    from_: str,
    to: str,
    call_status: str = "ringing",
    direction: str = "inbound",
    from_place: Place | None = None,
    to_place: Place | None = None,
    caller_name: str | None = None,
    forwarded_from: str | None = None,
    parent_call_sid: str | None = None,
    call_token: str | None = None,
    stir_verstat: str | None = None,
) -> Params:
    """The request to the number's voice URL when a call comes in.

    https://www.twilio.com/docs/usage/webhooks/voice-webhooks#incoming-voice-call and
    https://www.twilio.com/docs/voice/twiml ("Twilio's request") list CallSid, AccountSid, From, To,
    CallStatus, ApiVersion, Direction, ForwardedFrom, CallerName, ParentCallSid, CallToken and the
    geographic From*/To* fields. Twilio also still sends the older Caller/Called names with their
    own City/Country/State/Zip (same values), so they are here too. StirVerstat comes with calls
    that carry a SHAKEN/STIR attestation:
    https://www.twilio.com/docs/voice/trusted-calling-with-shakenstir
    """
    from_place = from_place or place_of(from_)
    to_place = to_place or place_of(to)
    params = {
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
        "CallSid": call_sid,
        "CallStatus": _one_of("CallStatus", call_status, CALL_STATUSES),
        "Called": to,
        **_geography("Called", to_place),
        "Caller": from_,
        **_geography("Caller", from_place),
        "Direction": _one_of("Direction", direction, DIRECTIONS),
        "From": from_,
        **_geography("From", from_place),
        "To": to,
        **_geography("To", to_place),
    }
    optional = {
        "CallerName": caller_name,
        "ForwardedFrom": forwarded_from,
        "ParentCallSid": parent_call_sid,
        "CallToken": call_token,
        "StirVerstat": stir_verstat and _one_of("StirVerstat", stir_verstat, STIR_VERSTATS),
    }
    params.update({name: value for name, value in optional.items() if value is not None})
    return params


def call_request(*, call: Params, call_status: str = "in-progress") -> Params:
    """The standard parameters of any later request of the same call (action URLs, waitUrl, status
    callbacks): the incoming call's set with the call's status at that moment.
    https://www.twilio.com/docs/voice/twiml ("Twilio's request")"""
    params = {name: value for name, value in call.items() if name not in FIRST_REQUEST_ONLY}
    params["CallStatus"] = _one_of("CallStatus", call_status, CALL_STATUSES)
    return params


def gather_action(
    *,
    call: Params,
    digits: str | None = None,
    finished_on_key: str | None = None,
    speech_result: str | None = None,
    confidence: float | None = None,
    call_status: str = "in-progress",
) -> Params:
    """<Gather>'s action request: Digits for key presses; SpeechResult and Confidence (0.0-1.0) for
    speech. https://www.twilio.com/docs/voice/twiml/gather#action

    FinishedOnKey (the finishOnKey key that ended the input, blank when none did) is not in that
    table but real Twilio requests carry it next to Digits; pass it to reproduce one exactly."""
    if (speech_result is None) != (confidence is None):
        raise ValueError("SpeechResult and Confidence come together")
    params = call_request(call=call, call_status=call_status)
    if digits is not None:
        params["Digits"] = digits
    if finished_on_key is not None:
        params["FinishedOnKey"] = finished_on_key
    if speech_result is not None and confidence is not None:
        params["SpeechResult"] = speech_result
        params["Confidence"] = f"{confidence:.8g}"
    return params


def enqueue_action(
    *,
    call: Params,
    queue_result: str,
    queue_sid: str | None = None,
    queue_time: int | None = None,
    call_status: str | None = None,
) -> Params:
    """<Enqueue>'s action request when the call leaves the queue: QueueResult, and QueueSid and
    QueueTime (seconds) only if the call was actually enqueued.
    https://www.twilio.com/docs/voice/twiml/enqueue (action)"""
    _one_of("QueueResult", queue_result, QUEUE_RESULTS)
    enqueued = queue_result in ENQUEUED_RESULTS
    if enqueued != (queue_sid is not None and queue_time is not None):
        raise ValueError(f"QueueSid and QueueTime come with {', '.join(ENQUEUED_RESULTS)} (and only then)")
    # A caller who hung up in the queue is gone by the time Twilio reports it.
    status = call_status or ("completed" if queue_result == "hangup" else "in-progress")
    params = call_request(call=call, call_status=status)
    params["QueueResult"] = queue_result
    if queue_sid is not None and queue_time is not None:
        params["QueueSid"] = queue_sid
        params["QueueTime"] = str(queue_time)
    return params


def enqueue_wait(
    *,
    call: Params,
    queue_sid: str,
    queue_position: int,
    queue_time: int,
    avg_queue_time: int,
    current_queue_size: int,
    max_queue_size: int = 100,
    call_status: str = "in-progress",
) -> Params:
    """The request to <Enqueue>'s waitUrl while the caller waits (times in seconds; 100 is Twilio's
    default maximum queue size). https://www.twilio.com/docs/voice/twiml/enqueue (waitUrl)"""
    params = call_request(call=call, call_status=call_status)
    params |= {
        "QueuePosition": str(queue_position),
        "QueueSid": queue_sid,
        "QueueTime": str(queue_time),
        "AvgQueueTime": str(avg_queue_time),
        "CurrentQueueSize": str(current_queue_size),
        "MaxQueueSize": str(max_queue_size),
    }
    return params


def dial_action(
    *,
    call: Params,
    dial_call_status: str,
    dial_call_sid: str | None = None,
    dial_call_duration: int | None = None,
    dial_bridged: bool = False,
    recording_url: str | None = None,
    call_status: str = "in-progress",
) -> Params:
    """<Dial>'s action request when the dialled leg ends: DialCallStatus, DialCallSid and
    DialCallDuration of the new leg, DialBridged ("true" once the two legs were connected), and
    RecordingUrl when the <Dial> was recorded. https://www.twilio.com/docs/voice/twiml/dial (action)"""
    params = call_request(call=call, call_status=call_status)
    params["DialCallStatus"] = _one_of("DialCallStatus", dial_call_status, DIAL_CALL_STATUSES)
    if dial_call_sid is not None:
        params["DialCallSid"] = dial_call_sid
    if dial_call_duration is not None:
        params["DialCallDuration"] = str(dial_call_duration)
    params["DialBridged"] = "true" if dial_bridged else "false"
    if recording_url is not None:
        params["RecordingUrl"] = recording_url
    return params


def call_status_callback(
    *,
    call: Params,
    call_status: str,
    timestamp: datetime,
    sequence_number: int = 0,
    call_duration: int | None = None,
    sip_response_code: int | None = None,
    recording_url: str | None = None,
    recording_sid: str | None = None,
    recording_duration: int | None = None,
) -> Params:
    """A call status callback: the standard parameters plus Timestamp (RFC 2822),
    CallbackSource=call-progress-events and SequenceNumber (0 for the first callback of the call);
    CallDuration (seconds) is sent with the completed event only.
    https://www.twilio.com/docs/usage/webhooks/voice-webhooks#call-status-callbacks"""
    if (call_status == "completed") != (call_duration is not None):
        raise ValueError("CallDuration comes with CallStatus=completed (and only then)")
    params = call_request(call=call, call_status=call_status)
    params |= {
        "Timestamp": twilio_time(timestamp),
        "CallbackSource": "call-progress-events",
        "SequenceNumber": str(sequence_number),
    }
    optional = {
        "CallDuration": call_duration,
        "SipResponseCode": sip_response_code,
        "RecordingUrl": recording_url,
        "RecordingSid": recording_sid,
        "RecordingDuration": recording_duration,
    }
    params.update({name: str(value) for name, value in optional.items() if value is not None})
    return params


def recording_status_callback(
    *,
    call: Params,
    recording_sid: str,
    recording_status: str,
    recording_start_time: datetime,
    recording_duration: int | None = None,
    recording_url: str | None = None,
    recording_channels: int = 1,
    recording_source: str = "DialVerb",
    recording_track: str | None = None,
    error_code: int = 0,
) -> Params:
    """A recordingStatusCallback request. Unlike the call's own requests it carries only the
    account, the call and the recording: RecordingSid, RecordingUrl, RecordingStatus,
    RecordingDuration (seconds, once completed), RecordingChannels, RecordingSource,
    RecordingStartTime (RFC 2822), RecordingTrack (for API-started recordings) and ErrorCode
    (0 unless the recording failed or is absent).
    https://www.twilio.com/docs/usage/webhooks/voice-webhooks#recording-status-callbacks"""
    _one_of("RecordingStatus", recording_status, RECORDING_STATUSES)
    if recording_status == "completed" and recording_duration is None:
        raise ValueError("a completed recording has a RecordingDuration")
    params = {
        "AccountSid": call["AccountSid"],
        "CallSid": call["CallSid"],
        "RecordingSid": recording_sid,
        "RecordingUrl": recording_url or twilio_recording_url(call["AccountSid"], recording_sid),
        "RecordingStatus": recording_status,
        "RecordingChannels": str(recording_channels),
        "RecordingSource": _one_of("RecordingSource", recording_source, RECORDING_SOURCES),
        "RecordingStartTime": twilio_time(recording_start_time),
        "ErrorCode": str(error_code),
    }
    if recording_duration is not None:
        params["RecordingDuration"] = str(recording_duration)
    if recording_track is not None:
        params["RecordingTrack"] = recording_track
    return params


def record_action(
    *,
    call: Params,
    recording_sid: str,
    recording_duration: int,
    digits: str,
    recording_url: str | None = None,
    call_status: str | None = None,
) -> Params:
    """<Record>'s action request: RecordingUrl, RecordingDuration (seconds), RecordingSid, and Digits,
    the key that ended the recording or "hangup" when the caller hung up.
    https://www.twilio.com/docs/voice/twiml/record (action)"""
    status = call_status or ("completed" if digits == "hangup" else "in-progress")
    params = call_request(call=call, call_status=status)
    params |= {
        "RecordingUrl": recording_url or twilio_recording_url(call["AccountSid"], recording_sid),
        "RecordingDuration": str(recording_duration),
        "RecordingSid": recording_sid,
        "Digits": digits,
    }
    return params


def signed(url: str, params: Params, token: str) -> dict[str, str]:
    """The X-Twilio-Signature header Twilio sends with a POST of `params` to `url`: HMAC-SHA1 over the
    full URL (query string included) followed by each parameter name and value in name order.
    https://www.twilio.com/docs/usage/webhooks/webhooks-security
    For a GET, put the parameters in the URL's query string and sign with `params={}`."""
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}
