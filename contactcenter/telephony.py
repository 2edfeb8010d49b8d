"""Talking to Twilio's REST API through the `twilio` package, at a configurable base URL."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from contactcenter.settings import REAL_TWILIO_API, Settings

log = logging.getLogger(__name__)

# Connection overrides on every status callback URL we give Twilio
# (https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides). Twilio's default retries a
# failed connection once and never a 5xx, but a status callback is answered 503 while Redis or the database
# is out of reach (ivr/webhook.py): asked again up to 5 times (Twilio's most) on a 5xx, a failed connection
# or no answer within 5 s, all within 15 s (Twilio's most). The fragment is no part of the signed URL.
CALLBACK_RETRIES = "rc=5&rp=5xx,ct,rt&ct=2000&rt=5000&tt=15000"
# Where a number's voice webhook goes when Twilio cannot get TwiML from one of ours (the number's
# VoiceFallbackUrl): ivr/routes.py answers it without Redis or the database.
VOICE_FALLBACK_PATH = "/twilio/voice/fallback"


def retried(url: str) -> str:
    """A status callback URL that Twilio retries when we answer 5xx or not at all."""
    return f"{url.partition('#')[0]}#{CALLBACK_RETRIES}"


def number_webhooks(public_base_url: str) -> dict[str, str]:
    """A hotline number's voice configuration, by Twilio's IncomingPhoneNumber names: VoiceUrl (a call comes
    in), VoiceFallbackUrl (the primary handler fails) and StatusCallback (call status changes), all POST."""
    return {
        "VoiceUrl": public_base_url + "/twilio/voice",
        "VoiceFallbackUrl": public_base_url + VOICE_FALLBACK_PATH,
        "StatusCallback": retried(public_base_url + "/twilio/voice/status"),
    }


class TelephonyError(Exception):
    """Twilio refused or could not be reached; the message is safe to show an agent."""


class BaseUrlHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio ships no type information
    """Sends twilio-python's requests to another base URL (the sandbox) instead of api.twilio.com."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if url.startswith(REAL_TWILIO_API):
            url = self.base_url + url.removeprefix(REAL_TWILIO_API)
        return super().request(method, url, *args, **kwargs)


class Telephony:
    """The few REST operations the contact center needs from Twilio."""

    def __init__(self, settings: Settings) -> None:
        self.account_sid = settings.twilio_account_sid or ""
        self.auth_token = settings.twilio_auth_token or ""
        self.api_base = settings.twilio_api
        http_client = BaseUrlHttpClient(self.api_base) if self.api_base != REAL_TWILIO_API else None
        self.client = Client(self.account_sid, self.auth_token, http_client=http_client)

    def redirect_call(self, *, call_sid: str, url: str) -> None:
        """Make a live call fetch new TwiML from `url` (e.g. to bridge it to an agent)."""
        self._call(lambda: self.client.calls(call_sid).update(url=url, method="POST"))

    def create_call(self, *, to: str, from_: str, url: str, status_callback: str) -> str:
        """Dial out (a callback); Twilio fetches `url` once the called party answers. Returns the CallSid."""
        call = self._call(
            lambda: self.client.calls.create(
                to=to,
                from_=from_,
                url=url,
                method="POST",
                status_callback=status_callback,
                status_callback_method="POST",
                status_callback_event=["initiated", "ringing", "answered", "completed"],
                timeout=30,
            )
        )
        return str(call.sid)

    def send_sms(self, *, to: str, from_: str, body: str) -> str:
        """Text `body` to `to` through the Messages API. Returns the MessageSid."""
        message = self._call(lambda: self.client.messages.create(to=to, from_=from_, body=body))
        return str(message.sid)

    def add_participant(
        self,
        *,
        conference: str,
        to: str,
        from_: str,
        label: str,
        status_callback: str,
        timeout: int,
        room: dict[str, Any],
        muted: bool = False,
        coach: str | None = None,
    ) -> tuple[str, str]:
        """Call `to` into a conference (by SID, or by name: Twilio opens the room if need be), with the
        room's own settings (`room`: ConferenceRecord, status callbacks…) in case this participant opens
        it. Returns (CallSid, ConferenceSid)."""
        options = dict(room)
        if coach is not None:
            options.update(coaching=True, call_sid_to_coach=coach)
        participant = self._call(
            lambda: self.client.conferences(conference).participants.create(
                from_=from_,
                to=to,
                label=label,
                status_callback=status_callback,
                status_callback_method="POST",
                # Only the leg's end is news (its join comes from the room): `completed` carries every
                # end (busy, no-answer, failed…). The other three cost the product three webhooks a call.
                status_callback_event=["completed"],
                timeout=timeout,
                start_conference_on_enter=True,
                end_conference_on_exit=False,
                beep="false",
                muted=muted,
                **options,
            )
        )
        return str(participant.call_sid), str(participant.conference_sid)

    def update_participant(self, *, conference_sid: str, call_sid: str, **changes: Any) -> None:
        """Change a participant: hold/hold_url, muted, coaching/call_sid_to_coach (twilio's names)."""
        self._call(lambda: self.client.conferences(conference_sid).participants(call_sid).update(**changes))

    def remove_participant(self, *, conference_sid: str, call_sid: str) -> None:
        """Take a participant out of the conference (their call ends)."""
        self._call(lambda: self.client.conferences(conference_sid).participants(call_sid).delete())

    def call_status(self, *, call_sid: str) -> str:
        """A call's status as Twilio has it (queued, ringing, in-progress, completed, …; "unknown" if
        Twilio has no such call). Raises TelephonyError when Twilio cannot say."""
        try:
            return str(self.client.calls(call_sid).fetch().status)
        except TwilioRestException as exc:
            if exc.status == 404:
                return "unknown"
            raise TelephonyError(f"Twilio refused: {exc.msg} (code {exc.code})") from exc
        except Exception as exc:
            raise TelephonyError(f"Twilio could not be reached: {exc}") from exc

    def end_call(self, *, call_sid: str) -> None:
        """Hang up a live call."""
        self._call(lambda: self.client.calls(call_sid).update(status="completed"))

    def _call(self, operation: Any) -> Any:
        try:
            return operation()
        except TwilioRestException as exc:
            raise TelephonyError(f"Twilio refused: {exc.msg} (code {exc.code})") from exc
        except Exception as exc:  # network errors surface from requests under many names
            raise TelephonyError(f"Twilio could not be reached: {exc}") from exc

    def recording_media_url(self, recording_sid: str) -> str:
        """Where the WAV of a recording is served; built from our own base URL, never from a webhook."""
        return f"{self.api_base}/2010-04-01/Accounts/{self.account_sid}/Recordings/{recording_sid}.wav"

    def download_recording(self, recording_sid: str) -> bytes:
        """The recording's audio bytes, both channels of a two-channel one (a conference's: the first to join on
        the first, everyone else on the second), which Twilio sends only when asked (RequestedChannels=2; it
        refuses that of a mono recording, 400: asked again plainly). httpx: twilio's client decodes bodies as text."""

        def fetch(params: dict[str, str]) -> httpx.Response:
            return httpx.get(
                self.recording_media_url(recording_sid),
                params=params,
                auth=(self.account_sid, self.auth_token),
                timeout=30.0,
                follow_redirects=True,
            )

        response = fetch({"RequestedChannels": "2"})
        if response.status_code == 400:  # a mono recording (warning 16113)
            response = fetch({})
        response.raise_for_status()
        return response.content
