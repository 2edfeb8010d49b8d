"""Flows per dialled number, business hours and the outside transfer, on a system with its own flow files."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests import twilio_params as tw
from tests.conftest import StartInProcess, System
from tests.inprocess import InProcessSystem
from tests.ivr_caller import Caller

HOTLINE_FLOW = Path(__file__).resolve().parent.parent / "ivr" / "flows" / "hotline.yaml"
TEST_CALENDARS = Path(__file__).resolve().parent / "calendars.yaml"
NIGHT_LINE = "+862180000099"  # always closed: callers leave a message
PARTNER_LINE = "+862180000077"  # open: callers are sent on to a partner's number
PARTNER = "+861012345678"
NOTICE_LINE = "+862180000066"  # plays a notice and hangs up
NOTICE_AUDIO = "https://example.com/notice.wav"

PROMPT = {"zh-CN": "您好。", "en": "Hello."}


def line_flow(number: str, calendar: str) -> dict:
    return {
        "company": "测试 Test",
        "languages": ["zh-CN", "en"],
        "numbers": [number],
        "start": "hello",
        "nodes": {
            "hello": {"say": PROMPT, "next": "hours"},
            "hours": {"hours": {"calendar": calendar, "open": "partner", "closed": "message"}},
            "partner": {"transfer": {"number": PARTNER, "timeout": 20, "failed": "message"}},
            "message": {
                "voicemail": {
                    "queue": "repair",
                    "category": "repair",
                    "label": {"zh-CN": "留言", "en": "Message"},
                    "prompt": {"zh-CN": "现在下班了,请留言。", "en": "We are closed; please leave a message."},
                }
            },
        },
    }


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, start_in_process: StartInProcess) -> Iterator[InProcessSystem]:
    """A system whose flows directory holds the hotline plus two lines of its own."""
    base = tmp_path_factory.mktemp("flows")
    flows = base / "flows"
    flows.mkdir()
    shutil.copy(HOTLINE_FLOW, flows / "hotline.yaml")
    (flows / "night.yaml").write_text(yaml.safe_dump(line_flow(NIGHT_LINE, "closed_now"), allow_unicode=True))
    (flows / "partner.yaml").write_text(yaml.safe_dump(line_flow(PARTNER_LINE, "hotline"), allow_unicode=True))
    notice = {
        "company": "测试 Test",
        "languages": ["zh-CN", "en"],
        "numbers": [NOTICE_LINE],
        "start": "notice",
        "nodes": {"notice": {"say": PROMPT, "play": NOTICE_AUDIO, "next": "bye"}, "bye": {"hangup": True}},
    }
    (flows / "notice.yaml").write_text(yaml.safe_dump(notice, allow_unicode=True))
    calendars = yaml.safe_load(TEST_CALENDARS.read_text())
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    closed = {str(today + timedelta(days=d)): "test closure" for d in range(-1, 3)}
    calendars["closed_now"] = {"hours": {"mon-sun": ["00:00-24:00"]}, "closed": closed}
    (base / "calendars.yaml").write_text(yaml.safe_dump(calendars, allow_unicode=True))
    env = {"IVR_FLOWS": str(flows), "CALENDARS": str(base / "calendars.yaml")}
    with start_in_process(env) as running:
        yield running


def test_a_closed_line_takes_a_message_in_its_own_queue(system: System) -> None:
    caller = Caller(system, to=NIGHT_LINE)
    caller.dial()
    assert "现在下班了,请留言。" in caller.heard() and "We are closed; please leave a message." in caller.heard()
    record = caller.root.find("Record")
    assert record is not None and record.attrib["maxLength"] == "120" and record.attrib["playBeep"] == "true"
    assert "transcribe" not in record.attrib
    caller.record_done("#")
    contact = caller.contact()
    assert contact["status"] == "ended" and contact["queue"] == "repair"


def test_an_open_line_sends_the_caller_to_the_partner_number(system: System) -> None:
    caller = Caller(system, to=PARTNER_LINE)
    caller.dial()
    dial = caller.root.find("Dial")
    assert dial is not None and dial.find("Number").text == PARTNER  # type: ignore[union-attr]
    assert dial.attrib["callerId"] == PARTNER_LINE
    from tests import twilio_params as tw

    done = tw.dial_action(
        call=caller.call, dial_call_status="completed", dial_call_sid=tw.new_sid("CA"), dial_call_duration=30
    )
    caller._post(dial.attrib["action"], done)
    assert caller.contact()["status"] == "ended"


def test_an_unanswered_transfer_takes_the_failed_branch(system: System) -> None:
    caller = Caller(system, to=PARTNER_LINE)
    caller.dial()
    action = caller.root.find("Dial").attrib["action"]  # type: ignore[union-attr]
    caller._post(action, tw.dial_action(call=caller.call, dial_call_status="no-answer", dial_call_sid=tw.new_sid("CA")))
    assert caller.root.find("Record") is not None  # the flow's `failed` branch: leave a message


def test_other_numbers_still_reach_the_hotline_flow(system: System) -> None:
    caller = Caller(system)
    caller.dial()
    assert "node=language" in caller.gather_url()


def test_a_line_can_play_a_recorded_notice_and_hang_up(system: System) -> None:
    caller = Caller(system, to=NOTICE_LINE)
    caller.dial()
    verbs = [child.tag for child in caller.root]
    assert verbs == ["Say", "Say", "Play", "Hangup"]
    assert caller.root.find("Play").text == NOTICE_AUDIO  # type: ignore[union-attr]
    assert caller.contact()["status"] == "ended"
