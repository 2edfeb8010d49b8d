"""IVR flow files: the bundled hotline loads, and broken files are refused with the file and problem named."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from ivr.flow_file import FlowError, load_flow

HOTLINE_YAML = Path(__file__).resolve().parent.parent / "ivr" / "flows" / "hotline.yaml"


@pytest.fixture
def hotline() -> dict[str, Any]:
    return yaml.safe_load(HOTLINE_YAML.read_text(encoding="utf-8"))


def write_flow(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "flow.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    message = str(caught.value)
    assert str(path) in message
    return message


def test_the_bundled_hotline_loads_with_its_three_queues() -> None:
    flow = load_flow(HOTLINE_YAML)
    assert flow.queues() == {"general", "repair", "complaints"}
    assert flow.languages == ["zh-CN", "en"]
    assert flow.start == "welcome"
    menu = flow.nodes["main_menu"].menu
    assert menu is not None
    targets = {key: option.to for key, option in menu.options.items()}
    assert targets == {"1": "consult", "2": "repair", "3": "complaint", "4": "orders", "5": "callback", "0": "operator"}
    assert "报修" in menu.options["2"].words["zh-CN"] and "repair" in menu.options["2"].words["en"]
    assert menu.retries == 3 and menu.fallback == "operator"
    assert flow.nodes["complaint"].enqueue is not None and flow.nodes["complaint"].enqueue.priority == 3


def test_a_copy_of_the_hotline_written_elsewhere_loads(tmp_path: Path, hotline: dict[str, Any]) -> None:
    assert load_flow(write_flow(tmp_path, hotline)).queues() == {"general", "repair", "complaints"}


def test_a_next_to_an_unknown_node_is_refused(tmp_path: Path, hotline: dict[str, Any]) -> None:
    hotline["nodes"]["welcome"]["next"] = "main_manu"
    message = refusal(write_flow(tmp_path, hotline))
    assert "nodes.welcome.next" in message and "unknown node 'main_manu'" in message


def test_a_menu_option_to_an_unknown_node_is_refused(tmp_path: Path, hotline: dict[str, Any]) -> None:
    hotline["nodes"]["main_menu"]["menu"]["options"]["4"] = "billing"
    message = refusal(write_flow(tmp_path, hotline))
    assert "nodes.main_menu.menu.options.4" in message and "unknown node 'billing'" in message


def test_a_menu_fallback_to_an_unknown_node_is_refused(tmp_path: Path, hotline: dict[str, Any]) -> None:
    hotline["nodes"]["main_menu"]["menu"]["fallback"] = "reception"
    message = refusal(write_flow(tmp_path, hotline))
    assert "nodes.main_menu.menu.fallback" in message and "unknown node 'reception'" in message


def test_an_unknown_start_node_is_refused(tmp_path: Path, hotline: dict[str, Any]) -> None:
    hotline["start"] = "hello"
    message = refusal(write_flow(tmp_path, hotline))
    assert "start: unknown node 'hello'" in message


def test_a_say_without_text_in_one_of_the_languages_is_refused(tmp_path: Path, hotline: dict[str, Any]) -> None:
    del hotline["nodes"]["welcome"]["say"]["en"]
    message = refusal(write_flow(tmp_path, hotline))
    assert "nodes.welcome.say: no en text" in message


def test_a_menu_prompt_with_empty_text_in_one_language_is_refused(tmp_path: Path, hotline: dict[str, Any]) -> None:
    hotline["nodes"]["main_menu"]["menu"]["prompt"]["zh-CN"] = ""
    message = refusal(write_flow(tmp_path, hotline))
    assert "nodes.main_menu.menu.prompt: no zh-CN text" in message


def test_a_queue_label_without_text_in_one_language_is_refused(tmp_path: Path, hotline: dict[str, Any]) -> None:
    del hotline["nodes"]["repair"]["enqueue"]["label"]["zh-CN"]
    message = refusal(write_flow(tmp_path, hotline))
    assert "nodes.repair.enqueue.label: no zh-CN text" in message


def test_an_invalid_choice_message_without_text_in_one_language_is_refused(
    tmp_path: Path, hotline: dict[str, Any]
) -> None:
    del hotline["nodes"]["main_menu"]["menu"]["invalid"]["en"]
    message = refusal(write_flow(tmp_path, hotline))
    assert "nodes.main_menu.menu.invalid" in message and "en" in message


def test_a_node_with_both_a_menu_and_an_enqueue_is_refused(tmp_path: Path, hotline: dict[str, Any]) -> None:
    hotline["nodes"]["repair"]["menu"] = copy.deepcopy(hotline["nodes"]["main_menu"]["menu"])
    message = refusal(write_flow(tmp_path, hotline))
    assert "nodes.repair" in message and "menu and enqueue" in message


def test_a_next_after_an_enqueue_is_refused(tmp_path: Path, hotline: dict[str, Any]) -> None:
    hotline["nodes"]["repair"]["next"] = "welcome"
    message = refusal(write_flow(tmp_path, hotline))
    assert "nodes.repair" in message and "'next' makes no sense after enqueue" in message


def test_a_misspelt_field_is_refused(tmp_path: Path, hotline: dict[str, Any]) -> None:
    hotline["nodes"]["welcome"]["sya"] = hotline["nodes"]["welcome"].pop("say")
    message = refusal(write_flow(tmp_path, hotline))
    assert "nodes.welcome.sya" in message


@pytest.mark.parametrize(
    "key", ["12", "a", "", "**", "５"], ids=["two-digits", "letter", "empty", "two-stars", "fullwidth-digit"]
)
def test_a_menu_option_that_is_not_a_single_phone_key_is_refused(
    tmp_path: Path, hotline: dict[str, Any], key: str
) -> None:
    hotline["nodes"]["main_menu"]["menu"]["options"][key] = "repair"
    message = refusal(write_flow(tmp_path, hotline))
    assert f"{key!r} is not a single phone key" in message


@pytest.mark.parametrize("key", ["*", "#", "9"])
def test_star_hash_and_digits_are_valid_menu_keys(tmp_path: Path, hotline: dict[str, Any], key: str) -> None:
    hotline["nodes"]["main_menu"]["menu"]["options"][key] = "repair"
    assert load_flow(write_flow(tmp_path, hotline)).nodes["main_menu"].menu.options[key].to == "repair"  # type: ignore[union-attr]


def test_a_flow_that_loops_without_waiting_for_the_caller_is_refused(tmp_path: Path, hotline: dict[str, Any]) -> None:
    hotline["nodes"]["hold_on"] = {"say": {"zh-CN": "请稍候。", "en": "Please hold."}, "next": "welcome"}
    hotline["nodes"]["welcome"]["next"] = "hold_on"
    message = refusal(write_flow(tmp_path, hotline))
    assert "welcome" in message or "hold_on" in message


def test_invalid_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text("company: [unclosed\nnodes: {\n", encoding="utf-8")
    assert "not valid YAML" in refusal(path)


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text("- welcome\n- main_menu\n", encoding="utf-8")
    refusal(path)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text("", encoding="utf-8")
    refusal(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    message = refusal(tmp_path / "no-such-flow.yaml")
    assert "cannot read the flow file" in message and "No such file" in message


def test_a_file_not_in_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_bytes(HOTLINE_YAML.read_text(encoding="utf-8").encode("gbk"))
    refusal(path)
