"""RQ jobs of the recordings domain."""

from __future__ import annotations

from contactcenter.worker import worker_services
from recordings.service import fetch_and_store


def fetch_recording(recording_id: int) -> str:
    """Fetch one recording's media from Twilio and store it; RQ retries it with backoff."""
    recording = fetch_and_store(worker_services(), recording_id=recording_id)
    return recording.sha256 or ""
