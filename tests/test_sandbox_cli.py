"""`twilio-sandbox serve` as `contactcenter run` starts it: the app passes values only (arguments and
environment), and the sandbox builds its own configuration from them."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest

from contactcenter.sandbox_runtime import DEFAULT_HOTLINE, sandbox_serve_command
from contactcenter.settings import load_settings
from contactcenter.telephony import CALLBACK_RETRIES
from tests.conftest import free_port
from tests.environment import clean_env, clear_settings
from twilio_sandbox import place_call, wait_for_call
from twilio_sandbox.cli import main

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2


def test_serve_without_an_account_in_the_environment_says_so_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    clear_settings(monkeypatch, tmp_path)
    assert main(["serve", "--number", DEFAULT_HOTLINE, "http://127.0.0.1:8000/twilio/voice"]) == 2
    assert "serve needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN" in capsys.readouterr().err


def test_serve_refuses_a_number_without_its_voice_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    clear_settings(monkeypatch, tmp_path)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token")
    assert main(["serve", "--number", DEFAULT_HOTLINE]) == 2
    assert f"--number {DEFAULT_HOTLINE}: give the number, its voice URL" in capsys.readouterr().err


def test_the_sandbox_run_starts_answers_the_hotline_and_posts_to_the_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clear_settings(monkeypatch, tmp_path)
    app, port = f"http://127.0.0.1:{free_port()}", free_port()  # nothing listens at the app's address
    settings = load_settings(
        TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN="token", PUBLIC_BASE_URL=app, VAR_DIR=str(tmp_path)
    )
    command, environment = sandbox_serve_command(settings, port=port)
    assert "token" not in command  # the token travels in the environment, out of the process list
    url = f"http://127.0.0.1:{port}"
    sandbox = subprocess.Popen(command, env={**clean_env(), **environment}, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert sandbox.poll() is None, "the sandbox exited"
            try:
                index = httpx.get(f"{url}/", timeout=1.0, trust_env=False).json()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the sandbox did not answer"
                time.sleep(0.1)
        call = wait_for_call(url, place_call(url, from_="+8613800138000", to=DEFAULT_HOTLINE), timeout=30)
    finally:
        sandbox.terminate()
        sandbox.wait(10)

    assert index["account_sid"] == ACCOUNT_SID and index["numbers"] == [DEFAULT_HOTLINE]
    assert (tmp_path / "sandbox-recordings").is_dir()
    webhooks = {entry["kind"]: entry["url"] for entry in call["log"] if entry["event"] == "webhook"}
    # The hotline as a real number is configured: the fallback URL (down too: the app is), and the status
    # callback with its connection overrides.
    assert webhooks == {
        "voice": app + "/twilio/voice",
        "fallback": app + "/twilio/voice/fallback",
        "status-callback": app + "/twilio/voice/status#" + CALLBACK_RETRIES,
    }
