"""Wiring the Twilio sandbox to this app: credentials, the hotline number and its webhooks."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from contactcenter.sandbox import NumberConfig, SandboxConfig
from contactcenter.settings import Settings

DEFAULT_HOTLINE = "+862180000000"


def sandbox_credentials(var_dir: Path) -> tuple[str, str]:
    """A sandbox account SID and auth token, made once and kept under var/."""
    path = var_dir / "sandbox-credentials.json"
    if path.exists():
        data = json.loads(path.read_text())
        return data["account_sid"], data["auth_token"]
    var_dir.mkdir(parents=True, exist_ok=True)
    sid, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    path.write_text(json.dumps({"account_sid": sid, "auth_token": token}))
    path.chmod(0o600)
    return sid, token


def sandbox_config(settings: Settings, *, port: int, hotline: str = DEFAULT_HOTLINE) -> SandboxConfig:
    """The sandbox as `run` starts it: one hotline number whose webhooks point at our app."""
    return SandboxConfig(
        account_sid=settings.twilio_account_sid or "",
        auth_token=settings.twilio_auth_token or "",
        public_url=f"http://127.0.0.1:{port}",
        numbers={
            hotline: NumberConfig(
                voice_url=settings.public_base_url + "/twilio/voice",
                status_callback=settings.public_base_url + "/twilio/voice/status",
            )
        },
        recordings_dir=settings.var_dir / "sandbox-recordings",
    )
