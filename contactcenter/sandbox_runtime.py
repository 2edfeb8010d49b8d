"""Wiring the Twilio sandbox to this app: credentials, the hotline number and its webhooks.

The sandbox is a program of its own (`python -m twilio_sandbox`, never imported here): the app only
passes it values on its command line and in its environment, and talks to it over HTTP.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from contactcenter.settings import Settings
from contactcenter.telephony import number_webhooks

DEFAULT_HOTLINE = "+862180000000"
SANDBOX_PROGRAM = (sys.executable, "-m", "twilio_sandbox")


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


def sandbox_serve_command(
    settings: Settings, *, port: int, hotline: str = DEFAULT_HOTLINE
) -> tuple[list[str], dict[str, str]]:
    """Command line and environment of the sandbox as `run` starts it: one hotline whose webhooks point at
    this app, configured as a real number would be; the credentials go in the environment, so the token
    never shows in a process list."""
    webhooks = number_webhooks(settings.public_base_url)
    command = [
        *SANDBOX_PROGRAM,
        "serve",
        "--port",
        str(port),
        "--number",
        hotline,
        webhooks["VoiceUrl"],
        webhooks["StatusCallback"],
        webhooks["VoiceFallbackUrl"],
        "--recordings-dir",
        str(settings.var_dir / "sandbox-recordings"),
    ]
    environment = {
        **os.environ,
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid or "",
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token or "",
    }
    return command, environment


def run_sandbox_command(arguments: Sequence[str]) -> int:
    """Run one `twilio-sandbox` command to its end (its output goes straight to ours); its exit status."""
    return subprocess.run([*SANDBOX_PROGRAM, *arguments], check=False).returncode
