"""What the sandbox refuses: bad call requests, a bad config, and how its client reports both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.hotline import CALLER, IVR
from twilio_sandbox import SandboxClientError, SandboxConfig, place_call, wait_for_call


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"from": CALLER, "to": "+8657199999999"}, "not a sandbox number"),
        ({"from": "13800138000", "to": IVR}, "E.164"),
        ({"from": CALLER, "to": IVR, "digits": "1"}, "digits"),
        ({"from": CALLER, "to": IVR, "talk_seconds": "soon"}, "talk_seconds"),
        ({"from": CALLER, "to": IVR, "hangup_after_queue": -1}, "negative"),
    ],
)
def test_place_call_rejects_bad_input(env: dict[str, Any], body: dict[str, Any], message: str) -> None:
    response = httpx.post(f"{env['url']}/sandbox/calls", json=body)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_config_rejects_bad_account_sid(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="account_sid"):
        SandboxConfig(account_sid="nope", auth_token="x", public_url="http://x", numbers={}, recordings_dir=tmp_path)


def test_client_reports_refusals_as_http_errors(env: dict[str, Any]) -> None:
    with pytest.raises(SandboxClientError, match="not a sandbox number") as refused:
        place_call(env["url"], from_=CALLER, to="+8657199999999")
    assert isinstance(refused.value, httpx.HTTPStatusError) and refused.value.response.status_code == 400
    with pytest.raises(TimeoutError):
        wait_for_call(
            env["url"], place_call(env["url"], from_=CALLER, to=IVR, digits=["1"], hangup_after_queue=1.0), timeout=0.2
        )
