"""Masking in one place (contactcenter/access/masking.py): what is masked, how, and for whom."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from contactcenter.access.masking import (
    for_viewer,
    mask_address,
    mask_id_number,
    mask_phone,
    masked,
    masked_text,
    sees_whole,
)
from contactcenter.responses import JSONResponse

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Viewer:
    role: str


def test_only_supervisors_managers_and_admins_see_personal_data_whole() -> None:
    assert [r for r in ("agent", "qa", "supervisor", "manager", "admin", "") if sees_whole(Viewer(r))] == [
        "supervisor",
        "manager",
        "admin",
    ]
    assert not sees_whole(None)


def test_numbers_anywhere_in_a_payload_are_masked_and_the_rest_is_left_alone() -> None:
    payload = {
        "from": "+8613800138000",
        "to": "client:agent-1",
        "subject": "Call from +8613800138000",
        "messages": [{"body": "我的手机 13900139000,身份证 11010519491231002X"}],
        "recording_sid": "RE13800138000138001380001380013800",  # part of a SID: not a number
        "sha256": "0" * 64,
        "at": "2026-12-06T22:44:30+00:00",
        "order": "20261101001",
        "count": 13800138000,  # numbers as numbers are ids and counts, never phone numbers
        "id_number": "110105194912310021",
        "address": "上海市浦东新区世纪大道100号",
    }
    shown = masked(payload)
    assert shown == {
        **payload,
        "from": "+86 138****8000",
        "subject": "Call from +86 138****8000",
        "messages": [{"body": "我的手机 139****9000,身份证 110***********002X"}],
        "id_number": "110***********0021",
        "address": "上海市浦东新区****",
    }
    assert "+8613800138000" not in json.dumps(shown)


def test_masking_leaves_a_payload_without_personal_data_as_the_same_object() -> None:
    event = {"type": "agent.state", "state": "available", "info": {"queue": "general", "seq": "1733524470123-0"}}
    assert masked(event) is event
    assert masked_text("+86 138****8000") == "+86 138****8000"  # masking twice changes nothing


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("上海市浦东新区世纪大道100号", "上海市浦东新区****"),
        ("广东省深圳市南山区科技园南区高新南一道9号", "广东省深圳市南山区****"),
        ("北京市朝阳区建国路88号SOHO现代城", "北京市朝阳区****"),
        ("Room 501, 100 Century Avenue, Pudong, Shanghai", "****, Pudong, Shanghai"),
        ("世纪大道100号", "****"),
    ],
)
def test_addresses_keep_their_city_and_district(address: str, shown: str) -> None:
    assert mask_address(address) == shown


def test_id_numbers_keep_their_first_3_and_last_4_characters() -> None:
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_id_number("1234") == "****"
    assert mask_phone("client:agent-1") == "client:agent-1" and mask_phone("+12025550123") == "+1 202***0123"


def test_for_viewer_masks_for_agents_and_qa_only() -> None:
    payload = {"phone": "+8613800138000"}
    assert for_viewer(payload, Viewer("supervisor")) is payload
    assert for_viewer(payload, Viewer("qa")) == for_viewer(payload, None) == {"phone": "+86 138****8000"}


def rendered(response: JSONResponse) -> object:
    return json.loads(bytes(response.body))


def test_the_json_response_masks_unless_its_viewer_needs_numbers_whole() -> None:
    body = {"phone": "+8613800138000"}
    assert rendered(JSONResponse(body)) == {"phone": "+86 138****8000"}  # nobody named: masked
    assert rendered(JSONResponse(body, viewer=Viewer("agent"))) == {"phone": "+86 138****8000"}
    assert rendered(JSONResponse(body, viewer=Viewer("manager"))) == body
    assert rendered(JSONResponse(body, whole=True)) == body


def test_no_product_module_imports_starlettes_own_json_response() -> None:
    """ruff's banned-api rule (pyproject.toml) refuses it; this says so in the suite too."""
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("agents", "contactcenter", "ivr", "queues", "recordings")
        for path in (ROOT / package).rglob("*.py")
        if "from starlette.responses import" in (text := path.read_text(encoding="utf-8"))
        and "JSONResponse" in text.split("from starlette.responses import", 1)[1].split("\n", 1)[0]
        and path != ROOT / "contactcenter" / "responses.py"
    ]
    assert offenders == []
