"""Recordings made by <Dial record=...> and <Record>: WAV files plus status callbacks."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .audio import clamp_duration, write_conversation_wav
from .ids import API_VERSION, new_sid, rfc2822, utcnow

if TYPE_CHECKING:
    from .engine import Interpreter


@dataclass
class Recording:
    """A finished recording, as served by the Recordings REST resource."""

    sid: str
    account_sid: str
    call_sid: str
    channels: int
    duration: int
    source: str
    start_time: datetime
    created_at: datetime
    path: Path
    status: str = "completed"

    def uri(self, extension: str = ".json") -> str:
        """Path of this recording on the Twilio API host."""
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Recordings/{self.sid}{extension}"

    def to_resource(self, public_url: str) -> dict[str, Any]:
        """Twilio-shaped JSON of the recording resource."""
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "call_sid": self.call_sid,
            "conference_sid": None,
            "api_version": API_VERSION,
            "date_created": rfc2822(self.created_at),
            "date_updated": rfc2822(self.created_at),
            "start_time": rfc2822(self.start_time),
            "duration": str(self.duration),
            "channels": self.channels,
            "source": self.source,
            "status": self.status,
            "track": "both",
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "encryption_details": None,
            "media_url": public_url + self.uri(""),
            "uri": self.uri(),
            "subresource_uris": {},
        }


class RecordingSession:
    """A recording in progress on one call; finish() writes the WAV and notifies the app."""

    def __init__(
        self,
        engine: Interpreter,
        *,
        source: str,
        channels: int,
        callback_url: str | None,
        callback_method: str = "POST",
        events: str = "completed",
    ) -> None:
        self._engine = engine
        self.source = source
        self.channels = channels
        self._callback_url = callback_url
        self._callback_method = callback_method or "POST"
        # Space-separated like Twilio; some helpers emit commas, accept both.
        self._events = set(events.replace(",", " ").split()) or {"completed"}
        self.sid = new_sid("RE")
        self.started_at = utcnow()
        self._started = time.monotonic()
        self.started = False
        self.finished: Recording | None = None

    @property
    def url(self) -> str:
        """RecordingUrl as Twilio sends it: no file extension."""
        config = self._engine.sandbox.config
        return f"{config.public_url}/{API_VERSION}/Accounts/{config.account_sid}/Recordings/{self.sid}"

    def _callback_params(self, status: str, duration: int | None) -> dict[str, str]:
        """Parameters of a recordingStatusCallback request."""
        params = {
            "AccountSid": self._engine.sandbox.config.account_sid,
            "CallSid": self._engine.call.sid,
            "RecordingSid": self.sid,
            "RecordingUrl": self.url,
            "RecordingStatus": status,
            "RecordingChannels": str(self.channels),
            "RecordingStartTime": rfc2822(self.started_at) or "",
            "RecordingSource": self.source,
            "RecordingTrack": "both",
        }
        if duration is not None:
            params["RecordingDuration"] = str(duration)
        return params

    async def start(self) -> None:
        """Mark the recording as started; send the in-progress callback if asked for."""
        self.started = True
        self.started_at = utcnow()
        self._started = time.monotonic()
        self._engine.call.record("recording-started", recording_sid=self.sid, source=self.source)
        if self._callback_url and "in-progress" in self._events:
            await self._engine.notify(
                self._callback_url,
                self._callback_method,
                self._callback_params("in-progress", None),
                kind="recording-status",
                standard=False,
            )

    async def finish(self, seconds: float | None = None) -> Recording:
        """Write the WAV, register the recording and send the completed callback."""
        if self.finished is not None:
            return self.finished
        sandbox, call = self._engine.sandbox, self._engine.call
        elapsed = time.monotonic() - self._started if seconds is None else seconds
        duration = clamp_duration(elapsed)
        path = sandbox.config.recordings_dir / f"{self.sid}.wav"
        # Writing up to 30 s of stereo audio takes a moment; keep the event loop free.
        await asyncio.to_thread(write_conversation_wav, path, duration, self.channels)
        recording = Recording(
            sid=self.sid,
            account_sid=sandbox.config.account_sid,
            call_sid=call.sid,
            channels=self.channels,
            duration=duration,
            source=self.source,
            start_time=self.started_at,
            created_at=utcnow(),
            path=path,
        )
        self.finished = recording
        sandbox.recordings[recording.sid] = recording
        call.recording_sids.append(recording.sid)
        call.record(
            "recording", recording_sid=recording.sid, duration=duration, channels=self.channels, source=self.source
        )
        if self._callback_url and "completed" in self._events:
            await self._engine.notify(
                self._callback_url,
                self._callback_method,
                self._callback_params("completed", duration),
                kind="recording-status",
                standard=False,
            )
        return recording
