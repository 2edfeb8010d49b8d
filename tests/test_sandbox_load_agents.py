"""`twilio-sandbox load --agent`: simulated agents answer the scripted callers, so the summary counts answered calls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD, System
from twilio_sandbox.cli import main

SCRIPT = """
profiles:
  - {name: enquiry, weight: 1, digits: ["1", "1"], talk_seconds: 0.5}
"""


def test_simulated_agents_answer_every_scripted_caller(
    system: System, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "load.yaml"
    script.write_text(SCRIPT, encoding="utf-8")
    args = ["load", "--sandbox", system.sandbox_url, "--app", system.base_url, "--calls", "4"]
    args += ["--rate", "4", "--script", str(script), "--timeout", "90", "--answer-seconds", "0.2", "--json"]
    args += ["--agent", f"agent1:{DEMO_PASSWORD}", "--agent", f"agent2:{DEMO_PASSWORD}"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["answered"] == 4 and summary["unfinished"] == 0
    assert sum(agent["accepted"] for agent in summary["agents"].values()) == 4
    assert all(not agent["errors"] for agent in summary["agents"].values())


def test_an_agent_who_cannot_log_in_stops_the_load_before_any_call(
    system: System, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "load.yaml"
    script.write_text(SCRIPT, encoding="utf-8")
    args = ["load", "--sandbox", system.sandbox_url, "--app", system.base_url, "--calls", "1"]
    args += ["--rate", "1", "--script", str(script), "--agent", "agent1:wrong-password"]
    assert main(args) == 2
    assert "agent 'agent1' cannot log in" in capsys.readouterr().err
