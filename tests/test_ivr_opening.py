"""The opening of a flow: what every new call hears up to its first question, rendered without
knowing the caller, or None when the flow needs the caller or the clock before that question."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from contactcenter.context import Services
from ivr.call import STARTED, FlowVoice
from ivr.flow import Flow
from ivr.nodes import opening

HOTLINE_YAML = Path(__file__).resolve().parent.parent / "ivr" / "flows" / "hotline.yaml"


class PublicUrls:
    """The one thing the opening asks of the services: our public URLs."""

    def url(self, path: str) -> str:
        return "https://hotline.example.com" + path


def opening_of(data: dict[str, Any]) -> str | None:
    """The opening of a flow as parsed (the graph checks of `ivr check` would refuse some of these)."""
    return opening(FlowVoice(cast(Services, PublicUrls()), Flow.model_validate(data)))


@pytest.fixture
def hotline() -> dict[str, Any]:
    return yaml.safe_load(HOTLINE_YAML.read_text(encoding="utf-8"))


def test_the_hotline_opening_greets_in_both_languages_and_asks_for_one(hotline: dict[str, Any]) -> None:
    rendered = opening_of(hotline)
    assert rendered is not None
    root = ET.fromstring(rendered)
    said = [say.text or "" for say in root.iter("Say")]
    assert said[0].startswith("您好") and said[1].startswith("Hello, this is the 示例电器 Example Appliances")
    gather = root.find("Gather")
    assert gather is not None and "For English, press 2." in [s.text for s in gather.iter("Say")]
    action = gather.attrib["action"]
    assert action == (f"https://hotline.example.com/twilio/voice/gather?started={STARTED}&node=language&attempt=1")
    assert root.find("Redirect").text == action  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda flow: flow.update(start="lookup"), "a lookup needs the caller"),
        (lambda flow: flow.update(start="hours"), "business hours need the clock"),
        (lambda flow: flow["nodes"]["welcome"].update(next="consult"), "an enqueue needs a contact"),
        (lambda flow: flow["nodes"]["welcome"]["say"].update(en="Hello {name}."), "a prompt names the caller"),
        (lambda flow: flow["nodes"]["welcome"].update(next=None, hangup=True), "the flow ends before any question"),
    ],
)
def test_no_opening_when_the_flow_needs_more_than_prompts_before_its_first_question(
    hotline: dict[str, Any], change: Any, why: str
) -> None:
    flow = copy.deepcopy(hotline)
    change(flow)
    assert opening_of(flow) is None, why
