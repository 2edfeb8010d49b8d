"""A recording in progress on one call (<Dial record=...>, <Record>): the WAV file plus status callbacks."""

from __future__ import annotations

import asyncio
import time

from .audio import clamp_duration, write_conversation_wav
from .call_engine import CallEngine
from .ids import API_VERSION, new_sid, rfc2822, utcnow
from .recording import Recording


class RecordingSession:
    """A recording in progress on one call; finish() writes the WAV and notifies the app."""

    def __init__(
        self,
        engine: CallEngine,
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
