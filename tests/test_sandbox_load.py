"""`twilio-sandbox load`: many scripted callers against the test call center, each outcome told
from what the sandbox saw (bridges, queue hang-ups, recordings, callbacks, application errors)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.test_sandbox_callcenter import MENU, center  # noqa: F401  (the fixture)
from twilio_sandbox.cli import main
from twilio_sandbox.load_report import classify, percentile
from twilio_sandbox.load_script import DEFAULT_TALK_SECONDS, LoadScriptError, load_profiles

EXAMPLE = Path(__file__).resolve().parent.parent / "twilio_sandbox" / "load-example.yaml"

# One profile per outcome of the test call center's menu (tests/test_sandbox_callcenter.py).
SCRIPT = """
profiles:
  - {name: agent, weight: 1, digits: ["4"], talk_seconds: 0.2}
  - {name: gives-up, weight: 1, digits: ["1"], hangup_after_queue: 0.3}
  - {name: message, weight: 1, digits: ["2"]}
  - name: call-me-back
    digits: ["1", {digits: "9", after_queue_seconds: 0.2}]
    callback: {talk_seconds: 0.1}
  - {name: goodbye, weight: 1, digits: [{speech: 没事了}]}
  - {name: broken, weight: 1, digits: ["5"]}
"""


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["load", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_load_counts_every_kind_of_outcome(
    center: dict[str, Any],  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = tmp_path / "load.yaml"
    script.write_text(SCRIPT, encoding="utf-8")
    code, out, _ = run_cli(
        capsys, "--calls", "18", "--rate", "30", "--script", str(script), "--sandbox", center["url"], "--seed", "7"
    )

    assert code == 0
    summary = json.loads(out.strip().splitlines()[-1])
    profiles = summary["profiles"]
    assert sum(p["calls"] for p in profiles.values()) == summary["calls"] == 18
    assert summary["answered"] == profiles["agent"]["answered"] == profiles["agent"]["calls"]
    assert summary["abandoned"] == profiles["gives-up"]["abandoned"] == profiles["gives-up"]["calls"]
    assert summary["voicemails"] == profiles["message"]["voicemails"] == profiles["message"]["calls"]
    assert summary["callbacks"] == profiles["call-me-back"]["calls"]
    assert summary["ended_by_hotline"] == profiles["call-me-back"]["calls"] + profiles["goodbye"]["calls"]
    assert summary["failed"] == profiles["broken"]["failed"] == profiles["broken"]["calls"]
    assert summary["other"] == summary["unfinished"] == 0
    assert 0 < summary["queue_wait_p50"] <= summary["queue_wait_p90"] <= summary["queue_wait_p99"]
    assert "answered (bridged to an agent)" in out and "Queue wait" in out


def test_json_only_and_the_target_number(
    center: dict[str, Any],  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = tmp_path / "load.json"
    script.write_text(json.dumps([{"name": "goodbye", "digits": ["3"]}]), encoding="utf-8")
    code, out, err = run_cli(
        capsys, "--calls", "2", "--rate", "10", "--script", str(script), "--sandbox", center["url"], "--json"
    )

    assert code == 0 and err == ""
    [line] = out.strip().splitlines()
    assert json.loads(line)["ended_by_hotline"] == 2 and json.loads(line)["queue_wait_p50"] is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("profiles: []", "must list caller profiles"),
        ("- {weight: 2}", "needs a 'name'"),
        ("- {name: a, weight: 0}", "weight"),
        ("- {name: a, digits: [12]}", "keypad"),
        ("- {name: a, colour: red}", "unknown"),
        ("- {name: a, callback: {answer: maybe}}", "callback"),
        ("- {name: a}\n- {name: a}", "unique"),
        ("profiles: [", "not valid YAML"),
    ],
)
def test_bad_script_files_are_refused_with_the_reason(tmp_path: Path, text: str, message: str) -> None:
    script = tmp_path / "bad.yaml"
    script.write_text(text, encoding="utf-8")
    with pytest.raises(LoadScriptError, match=message):
        load_profiles(script)


def test_the_command_refuses_bad_options_and_an_unreachable_sandbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "--calls", "1", "--rate", "1", "--script", str(tmp_path / "missing.yaml"))
    assert code == 2 and "cannot read" in err
    code, _, err = run_cli(capsys, "--calls", "0", "--rate", "1", "--script", str(EXAMPLE))
    assert code == 2 and "calls must be at least 1" in err
    code, _, err = run_cli(
        capsys, "--calls", "1", "--rate", "1", "--script", str(EXAMPLE), "--sandbox", "http://127.0.0.1:9"
    )
    assert code == 2 and "cannot use the sandbox" in err


def test_the_shipped_example_is_valid() -> None:
    names = [profile.name for profile in load_profiles(EXAMPLE)]
    assert "callback-from-queue" in names and "english-speech" in names


def test_a_caller_without_talk_seconds_talks_the_default_as_does_its_callback(tmp_path: Path) -> None:
    script = tmp_path / "load.yaml"
    script.write_text(
        "- {name: quiet}\n- {name: chatty, talk_seconds: 7, callback: {talk_seconds: 1}}", encoding="utf-8"
    )
    quiet, chatty = load_profiles(script)
    assert quiet.call_body("+8613900000001", "+862180000000")["talk_seconds"] == DEFAULT_TALK_SECONDS
    assert quiet.callback.talk_seconds == DEFAULT_TALK_SECONDS
    assert (chatty.talk_seconds, chatty.callback.talk_seconds) == (7, 1)
    [quiet_for_longer, _] = load_profiles(script, default_talk_seconds=30)
    assert quiet_for_longer.talk_seconds == quiet_for_longer.callback.talk_seconds == 30


def test_the_command_refuses_a_talk_time_that_is_not_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["load", "--calls", "1", "--rate", "1", "--script", str(EXAMPLE), "--talk-seconds", "-1"])
    assert exit_.value.code == 2 and "--talk-seconds: '-1' is not a number of seconds" in capsys.readouterr().err


def test_outcomes_come_from_twilio_level_facts() -> None:
    base = {"status": "completed", "bridged": False, "queue_result": None, "log": []}
    assert classify({**base, "status": "in-progress"}) == "unfinished"
    assert classify({**base, "bridged": True, "queue_result": "hangup"}) == "answered"
    caller_left = [{"event": "hangup", "by": "caller"}]
    assert classify({**base, "queue_result": "hangup", "log": caller_left}) == "abandoned"
    assert classify({**base, "queue_result": "leave", "log": caller_left}) == "other"
    assert classify({**base, "log": [{"event": "end-of-twiml"}]}) == "ended_by_hotline"
    assert percentile([], 0.5) is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0 and percentile([1.0, 2.0, 3.0, 4.0], 0.99) == 4.0
