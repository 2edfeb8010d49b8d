"""Configuration of the Twilio sandbox."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ACCOUNT_SID_RE = re.compile(r"^AC[0-9a-fA-F]{32}$")
E164_RE = re.compile(r"^\+[1-9]\d{1,14}$")

# No sandbox call may outlive this, whatever its script says, so a forgotten call cannot
# keep the demo (or a test run) busy forever.
SAFETY_CAP_SECONDS = 600.0


@dataclass
class NumberConfig:
    """Webhooks of one sandbox phone number, like the Twilio console's number settings."""

    voice_url: str
    status_callback: str | None = None
    # Requested (POST, with ErrorCode and ErrorUrl) when a document of the call's TwiML cannot be fetched.
    voice_fallback_url: str | None = None


@dataclass
class SandboxConfig:
    """Everything the sandbox needs to impersonate one Twilio account."""

    account_sid: str
    auth_token: str
    public_url: str
    numbers: dict[str, NumberConfig]
    recordings_dir: Path
    ring_seconds: float = 0.5
    http_timeout: float = 10.0

    def __post_init__(self) -> None:
        """Normalise and validate the settings early, so mistakes fail at startup."""
        if not ACCOUNT_SID_RE.match(self.account_sid):
            raise ValueError("account_sid must be 'AC' followed by 32 hex digits")
        if not self.auth_token:
            raise ValueError("auth_token must not be empty")
        # RecordingUrl and resource URIs are built by appending paths to it.
        self.public_url = self.public_url.rstrip("/")
        self.recordings_dir = Path(self.recordings_dir)
        for number in self.numbers:
            if not E164_RE.match(number):
                raise ValueError(f"sandbox number {number!r} is not in E.164 format")
        if self.ring_seconds < 0 or self.http_timeout <= 0:
            raise ValueError("ring_seconds must be >= 0 and http_timeout > 0")
