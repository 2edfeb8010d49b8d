"""`ivr check`: graph problems of a flow, each printed with its file and line; the registry keeps the last good flow."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from contactcenter.cli import main
from ivr.flow_file import read_flow
from ivr.registry import FlowRegistry
from tests.test_ivr_flow import HOTLINE_YAML, write_flow

CALENDARS = HOTLINE_YAML.parent.parent / "calendars.yaml"
QUEUES = {"general", "repair", "complaints"}


@pytest.fixture
def hotline() -> dict[str, Any]:
    return yaml.safe_load(HOTLINE_YAML.read_text(encoding="utf-8"))


def problems(path: Path, **known: Any) -> list[str]:
    flow, found = read_flow(path, **known)
    assert flow is None, "the flow should have been refused"
    return [str(p) for p in found]


def test_an_unknown_queue_is_named_with_the_line_it_is_on(tmp_path: Path, hotline: dict[str, Any]) -> None:
    hotline["nodes"]["repair"]["enqueue"]["queue"] = "repairs"
    path = write_flow(tmp_path, hotline)
    [found] = problems(path, queues=QUEUES)
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "queue: repairs" in text)
    assert found.startswith(f"{path}:{line}: nodes.repair.enqueue.queue: unknown queue 'repairs'")


def test_an_unknown_calendar_is_refused(tmp_path: Path, hotline: dict[str, Any]) -> None:
    hotline["nodes"]["hours"]["hours"]["calendar"] = "weekdays"
    [found] = problems(write_flow(tmp_path, hotline), calendars={"hotline", "office"})
    assert "nodes.hours.hours.calendar: unknown calendar 'weekdays'" in found


def test_nodes_nobody_can_reach_are_listed(tmp_path: Path, hotline: dict[str, Any]) -> None:
    hotline["nodes"]["welcome"]["next"] = "main_menu"  # skips language, hours, lookup …
    found = "\\n".join(problems(write_flow(tmp_path, hotline)))
    for name in ("language", "hours", "after_hours", "lookup", "greet_known"):
        assert f"nodes.{name}: unreachable from start" in found


def test_a_language_missing_from_a_prompt_is_refused(tmp_path: Path, hotline: dict[str, Any]) -> None:
    del hotline["nodes"]["orders"]["identify"]["prompt"]["en"]
    assert any("nodes.orders.identify.prompt: no en text" in p for p in problems(write_flow(tmp_path, hotline)))


def test_a_menu_whose_every_choice_comes_back_has_no_way_out(tmp_path: Path, hotline: dict[str, Any]) -> None:
    hotline["nodes"]["order_menu"]["menu"]["options"] = {"1": "order_status", "2": "ticket_status"}
    hotline["nodes"]["order_menu"]["menu"]["fallback"] = "order_status"
    hotline["nodes"]["orders"]["identify"]["failed"] = "order_menu"
    found = "\\n".join(problems(write_flow(tmp_path, hotline)))
    assert "nodes.order_menu: menu has no way out" in found
    assert "nodes.order_status: loop with no exit" in found


def test_a_loop_that_never_waits_for_the_caller_is_refused(tmp_path: Path, hotline: dict[str, Any]) -> None:
    hotline["nodes"]["lookup"]["lookup"]["unknown"] = "hours"
    found = "\\n".join(problems(write_flow(tmp_path, hotline)))
    assert "without waiting for the caller" in found and "hours → lookup → hours" in found


def test_account_data_reachable_without_an_identity_check_is_refused(tmp_path: Path, hotline: dict[str, Any]) -> None:
    hotline["nodes"]["main_menu"]["menu"]["options"]["4"] = "order_status"
    found = "\\n".join(problems(write_flow(tmp_path, hotline)))
    assert "nodes.order_status: reads account data but is reachable without an identity check" in found
    assert "main_menu → order_status" in found


def test_an_unknown_placeholder_in_a_prompt_is_refused(tmp_path: Path, hotline: dict[str, Any]) -> None:
    hotline["nodes"]["greet_known"]["say"]["en"] = "Hello {nmae}"
    assert any("unknown placeholder {nmae}" in p for p in problems(write_flow(tmp_path, hotline)))


def test_a_transfer_to_something_that_is_not_a_phone_number_is_refused(tmp_path: Path, hotline: dict[str, Any]) -> None:
    hotline["nodes"]["operator"] = {"transfer": {"number": "010-12345678"}}
    assert any("is not a phone number in E.164 form" in p for p in problems(write_flow(tmp_path, hotline)))


def test_ivr_check_prints_each_problem_and_fails(
    tmp_path: Path, hotline: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    hotline["nodes"]["repair"]["enqueue"]["queue"] = "repairs"
    hotline["nodes"]["welcome"]["next"] = "main_menu"
    path = write_flow(tmp_path, hotline)
    assert main(["ivr", "check", str(path), "--queues", "general,repair,complaints"]) == 1
    out = capsys.readouterr().out
    assert f"{path}:" in out and "unknown queue 'repairs'" in out and "nodes.lookup: unreachable from start" in out


def test_ivr_check_passes_the_bundled_hotline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ivr", "check", str(HOTLINE_YAML), "--queues", "general,repair,complaints"]) == 0
    assert "hotline.yaml: ok (" in capsys.readouterr().out


def registry_for(directory: Path) -> FlowRegistry:
    return FlowRegistry(directory, calendars_path=CALENDARS, timezone="Asia/Shanghai")


def test_each_dialled_number_gets_its_flow_and_others_the_default(tmp_path: Path, hotline: dict[str, Any]) -> None:
    shutil.copy(HOTLINE_YAML, tmp_path / "hotline.yaml")
    vip = {**hotline, "company": "VIP line", "numbers": ["+862180000088"]}
    (tmp_path / "vip.yaml").write_text(yaml.safe_dump(vip, allow_unicode=True), encoding="utf-8")
    registry = registry_for(tmp_path)
    assert registry.for_number("+862180000088").company == "VIP line"
    assert registry.for_number("+862180000000").company.startswith("示例电器")


def test_a_broken_edit_is_refused_and_the_last_good_flow_stays_in_use(tmp_path: Path, hotline: dict[str, Any]) -> None:
    path = tmp_path / "hotline.yaml"
    shutil.copy(HOTLINE_YAML, path)
    registry = registry_for(tmp_path)
    hotline["company"] = "Renamed Appliances"
    path.write_text(yaml.safe_dump(hotline, allow_unicode=True), encoding="utf-8")
    os.utime(path, ns=(1, 2_000_000_000))  # a new mtime even on coarse clocks
    registry.refresh(force=True)
    assert registry.for_number("+862180000000").company == "Renamed Appliances"

    hotline["nodes"]["welcome"]["next"] = "nowhere"
    path.write_text(yaml.safe_dump(hotline, allow_unicode=True), encoding="utf-8")
    os.utime(path, ns=(1, 3_000_000_000))
    registry.refresh(force=True)
    assert registry.for_number("+862180000000").company == "Renamed Appliances"
    assert any("unknown node 'nowhere'" in str(p) for p in registry.problems())


def test_a_registry_with_no_usable_flow_refuses_to_start(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("company: x\\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no usable IVR flow"):
        registry_for(tmp_path)
