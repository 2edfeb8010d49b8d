"""The recording of a whole conference (record="record-from-start"): one mono WAV from start to end."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime

from .audio import clamp_duration, write_conversation_wav
from .conference_events import Job, post
from .conference_model import Conference
from .config import SandboxConfig
from .ids import API_VERSION, new_sid, rfc2822, utcnow
from .recording import Recording
from .webhooks import WebhookSender

# Twilio records conferences in two channels (since September 2025, every account): the first participant to
# join on the first, everyone else on the second; the media is sent as the mono mix unless RequestedChannels=2.
CHANNELS = 2


@dataclass
class ConferenceRecording:
    """A conference recording in progress; it starts when the conference does (hold music is never in it)."""

    conference: Conference
    call_sid: str  # the participant whose arrival started the conference
    sid: str = field(default_factory=lambda: new_sid("RE"))
    started_at: datetime = field(default_factory=utcnow)
    started: float = field(default_factory=time.monotonic)

    def url(self, config: SandboxConfig) -> str:
        """RecordingUrl as Twilio sends it: no file extension."""
        return f"{config.public_url}/{API_VERSION}/Accounts/{config.account_sid}/Recordings/{self.sid}"

    def params(self, config: SandboxConfig, status: str, duration: int | None) -> dict[str, str]:
        """Parameters of the conference's recordingStatusCallback request."""
        params = {
            "AccountSid": config.account_sid,
            "ConferenceSid": self.conference.sid,
            "RecordingSid": self.sid,
            "RecordingUrl": self.url(config),
            "RecordingStatus": status,
            "RecordingChannels": str(CHANNELS),
            "RecordingStartTime": rfc2822(self.started_at) or "",
            "RecordingSource": "Conference",
        }
        if duration is not None:
            params["RecordingDuration"] = str(duration)
        return params

    def started_job(self, config: SandboxConfig) -> Job | None:
        """The in-progress callback, if the conference asked for it."""
        callback = self.conference.recording_callback
        if callback is None or "in-progress" not in callback.events:
            return None
        return post(self.conference, callback, self.params(config, "in-progress", None), kind="recording-status")

    def finish_job(self, config: SandboxConfig, recordings: dict[str, Recording]) -> Job:
        """Write the WAV, register the recording, then post the completed callback."""
        duration = clamp_duration(time.monotonic() - self.started)

        async def finish(webhooks: WebhookSender) -> None:
            path = config.recordings_dir / f"{self.sid}.wav"
            await asyncio.to_thread(write_conversation_wav, path, duration, CHANNELS)
            recordings[self.sid] = Recording(
                sid=self.sid,
                account_sid=config.account_sid,
                call_sid=self.call_sid,
                channels=CHANNELS,
                duration=duration,
                source="Conference",
                start_time=self.started_at,
                created_at=utcnow(),
                path=path,
                conference_sid=self.conference.sid,
            )
            self.conference.recording_sids.append(self.sid)
            self.conference.record_log("recording", recording_sid=self.sid, duration=duration)
            callback = self.conference.recording_callback
            if callback is not None and "completed" in callback.events:
                params = self.params(config, "completed", duration)
                await post(self.conference, callback, params, kind="recording-status")(webhooks)

        return finish
