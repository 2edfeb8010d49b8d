"""The `contactcenter` command line, run as an operator would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from contactcenter import cli
from tests.conftest import HOTLINE, System, free_port
from tests.console import AgentConsole, signed_in_console
from tests.environment import clean_env, clear_settings

pytestmark = pytest.mark.system  # the `contactcenter` command, run as a process

HELP_COMMANDS = [
    [],
    ["run"],
    ["serve"],
    ["worker"],
    ["db", "upgrade"],
    ["users", "add"],
    ["keys", "rotate"],
    ["sandbox", "serve"],
    ["sandbox", "call"],
    ["sandbox", "load"],
]
# `contactcenter sandbox call|load` run the sandbox's own command, whose usage names the sandbox's program.
FORWARDED_USAGE = {"sandbox call": "usage: twilio-sandbox call", "sandbox load": "usage: twilio-sandbox load"}


def contactcenter(*args: str, cwd: Path, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contactcenter", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
    )


def test_every_command_has_help_that_exits_0_and_prints_usage(tmp_path: Path) -> None:
    running = [
        (
            command,
            subprocess.Popen(
                [sys.executable, "-m", "contactcenter", *command, "--help"],
                cwd=tmp_path,
                env=clean_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        for command in HELP_COMMANDS
    ]
    for command, process in running:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, (command, err)
        name = " ".join(command)
        assert out.startswith(FORWARDED_USAGE.get(name, f"usage: contactcenter {name}".rstrip())), (command, out)
        assert "--help" in out
    assert not (tmp_path / "var").exists()


def test_a_missing_command_is_a_usage_error(tmp_path: Path) -> None:
    result = contactcenter(cwd=tmp_path, env=clean_env())
    assert result.returncode == 2
    assert "usage: contactcenter" in result.stderr


def test_an_argument_no_command_takes_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    # Only `sandbox call|load` pass unknown arguments on (to the sandbox's command); the others refuse them.
    with pytest.raises(SystemExit) as exited:
        cli.main(["db", "upgrade", "--to-version", "3"])
    assert exited.value.code == 2
    assert "unrecognized arguments: --to-version 3" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("command", "needs"),
    [
        (["serve", "--no-migrate"], "serve needs REDIS_URL"),
        (["worker", "--burst"], "worker needs REDIS_URL"),
        (["sandbox", "serve"], "sandbox serve needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"),
    ],
)
def test_commands_that_need_a_setting_say_which_and_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    command: list[str],
    needs: str,
) -> None:
    clear_settings(monkeypatch, tmp_path)

    assert cli.main(command) == 2

    assert needs in capsys.readouterr().err


@pytest.fixture
def agent2(system: System) -> Iterator[AgentConsole]:
    yield from signed_in_console(system, "agent2")


def test_sandbox_call_prints_the_outcome_of_a_call_an_agent_took(
    tmp_path: Path, system: System, agent2: AgentConsole
) -> None:
    agent2.go("available")
    agent2.next_event("agent.state", state="available")
    call = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "contactcenter",
            "sandbox",
            "call",
            "--sandbox-url",
            system.sandbox_url,
            "--from",
            "+8613900139000",
            "--to",
            HOTLINE,
            "--digits",
            "1,2",
            "--talk",
            "1",
            "--timeout",
            "60",
        ],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        offer = agent2.next_event("offer.created")
        assert offer["info"]["from"] == "+86 139****9000"  # masked for agents
        assert agent2.accept(offer["contact"]).status_code == 200
        out, err = call.communicate(timeout=60)
    finally:
        if call.poll() is None:
            call.kill()
            call.wait()

    assert call.returncode == 0, err
    outcome = json.loads(out)
    assert outcome["status"] == "completed"
    assert outcome["bridged"] is True
    assert outcome["conference"] == f"contact-{offer['contact']}"  # the caller talked in the contact's room


def test_sandbox_call_with_no_sandbox_listening_says_it_cannot_reach_it(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = contactcenter("sandbox", "call", "--sandbox-url", url, "--timeout", "5", cwd=tmp_path, env=clean_env())
    assert result.returncode == 2
    assert f"Cannot reach the sandbox at {url}" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_sandbox_call_refused_by_the_sandbox_says_why(tmp_path: Path, system: System) -> None:
    result = contactcenter(
        "sandbox", "call", "--sandbox-url", system.sandbox_url, "--to", "+10000000000", cwd=tmp_path, env=clean_env()
    )
    assert result.returncode == 2
    assert "The sandbox refused the call" in result.stderr
