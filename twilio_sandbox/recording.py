"""A finished recording (made by <Dial record=...> or <Record>), as the Recordings REST resource serves it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .ids import API_VERSION, rfc2822


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
    conference_sid: str | None = None

    def uri(self, extension: str = ".json") -> str:
        """Path of this recording on the Twilio API host."""
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Recordings/{self.sid}{extension}"

    def to_resource(self, public_url: str) -> dict[str, Any]:
        """Twilio-shaped JSON of the recording resource."""
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "call_sid": self.call_sid,
            "conference_sid": self.conference_sid,
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
