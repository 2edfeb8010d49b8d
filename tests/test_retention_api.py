"""The retention page and API for managers and admins: the policies (the QA evaluations' among them before their
handler exists), what will go when, holds placed and released (audited), receipts and their verification; bad
input is a 4xx with a message."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from contactcenter.audit.models import AuditEvent
from contactcenter.retention import service
from contactcenter.timeutil import utcnow
from tests.conftest import System
from tests.desk import services_of
from tests.retention_world import a_call, a_recording, days_ago


@pytest.fixture(scope="module")
def manager(system: System) -> httpx.Client:
    return system.login("manager")


def test_the_page_is_served_to_managers_in_both_languages(system: System, manager: httpx.Client) -> None:
    page = manager.get("/retention")
    assert page.status_code == 200 and "数据保留" in page.text and "/static/retention/retention.js" in page.text
    script = manager.get("/static/retention/retention-i18n.js")
    assert script.status_code == 200 and "Legal holds" in script.text and "法律保全" in script.text
    refused = system.login("supervisor").get("/retention")
    assert refused.status_code == 403 and "经理和管理员" in refused.text


def test_the_overview_lists_every_policy_and_what_will_go_when(system: System, manager: httpx.Client) -> None:
    services = services_of(system)
    call = a_call(services, phone="+8613900139201", at=days_ago(400))
    recording_id, _ = a_recording(services, call, at=days_ago(400))
    service.run(services.db, services.settings)
    answer = manager.get("/api/retention").json()
    policies = {p["name"]: p for p in answer["policies"]}
    assert list(policies) == ["recordings", "voicemails", "chat_transcripts", "tickets", "evaluations", "audit"]
    assert policies["recordings"]["days"] == 365 and policies["recordings"]["marked"] >= 1
    assert policies["evaluations"] == {**policies["evaluations"], "registered": True, "days": 1095}  # qa/retention.py
    assert policies["audit"]["label"] == ["审计记录", "Audit trail"]
    assert answer["timezone"] == "Asia/Shanghai" and answer["grace_days"] == 7
    mark = next(m for m in answer["upcoming"] if m["object_id"] == recording_id and m["data_class"] == "recordings")
    assert mark["held_by"] == [] and mark["due_at"] > utcnow().isoformat()
    assert answer["last_run"]["classes"]["recordings"]["marked"] >= 1
    listed = manager.get("/api/retention/marks", params={"class": "recordings"}).json()["marks"]
    assert recording_id in [m["object_id"] for m in listed]


def test_a_hold_is_placed_shown_on_the_marks_it_covers_and_released_once(system: System, manager: httpx.Client) -> None:
    services = services_of(system)
    call = a_call(services, phone="+8613900139202", at=days_ago(400))
    recording_id, _ = a_recording(services, call, at=days_ago(400))
    service.run(services.db, services.settings)
    placed = manager.post(
        "/api/retention/holds",
        json={
            "case_number": "(2026)沪01民初7号",
            "reason": "诉讼 litigation",
            "scope": "customer",
            "subject_id": call.customer_id,
        },
    )
    assert placed.status_code == 201, placed.text
    hold = placed.json()
    assert hold["placed_by"] == "刘强 Liu Qiang" and hold["scope_label"] == ["客户", "Customer"]
    marks = manager.get("/api/retention/marks", params={"class": "recordings"}).json()["marks"]
    assert next(m for m in marks if m["object_id"] == recording_id)["held_by"] == [hold["id"]]
    assert hold["id"] in [h["id"] for h in manager.get("/api/retention").json()["holds"]]

    released = manager.post(f"/api/retention/holds/{hold['id']}/release", json={"reason": "结案 closed"})
    assert released.status_code == 200 and released.json()["released_by"] == "刘强 Liu Qiang"
    again = manager.post(f"/api/retention/holds/{hold['id']}/release", json={"reason": "again"})
    assert again.status_code == 409
    assert hold["id"] not in [h["id"] for h in manager.get("/api/retention/holds").json()["holds"]]
    assert hold["id"] in [
        h["id"] for h in manager.get("/api/retention/holds", params={"released": "1"}).json()["holds"]
    ]
    with services.db.reading() as session:
        kinds = session.scalars(
            select(AuditEvent.kind).where(
                AuditEvent.subject_type == "legal_hold", AuditEvent.subject_id == str(hold["id"])
            )
        ).all()
    assert list(kinds) == ["hold_placed", "hold_released"]


def test_a_date_range_hold_covers_the_hotlines_whole_days(manager: httpx.Client) -> None:
    placed = manager.post(
        "/api/retention/holds",
        json={
            "case_number": "审计-2026",
            "reason": "监管检查",
            "scope": "dates",
            "date_from": "2025-01-01",
            "date_to": "2025-01-31",
        },
    ).json()
    assert placed["date_from"] == "2024-12-31T16:00:00+00:00"  # midnight in Shanghai
    assert placed["date_to"] == "2025-01-31T15:59:59.999999+00:00"
    manager.post(f"/api/retention/holds/{placed['id']}/release", json={"reason": "done"})


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"case_number": "1", "reason": "r", "scope": "planet"}, 400, "scope"),
        ({"case_number": "1", "reason": "r", "scope": "customer"}, 400, "subject_id"),
        ({"case_number": "1", "reason": "r", "scope": "ticket", "subject_id": 999999}, 404, "ticket 999999"),
        ({"case_number": "1", "reason": "r", "scope": "dates"}, 400, "start or an end"),
        (
            {"case_number": "1", "reason": "r", "scope": "dates", "date_from": "2025-02-01", "date_to": "2025-01-01"},
            400,
            "ends before",
        ),
        ({"case_number": "", "reason": "r", "scope": "dates", "date_from": "2025-01-01"}, 400, "case_number"),
        ({"case_number": "1", "reason": "r", "scope": "dates", "date_from": "2025-01-01", "extra": 1}, 400, "extra"),
    ],
)
def test_a_bad_hold_is_refused_with_a_message(
    manager: httpx.Client, body: dict[str, object], status: int, words: str
) -> None:
    answer = manager.post("/api/retention/holds", json=body)
    assert answer.status_code == status and words in answer.text, answer.text


def test_receipts_are_listed_newest_first_and_the_chain_verifies(system: System, manager: httpx.Client) -> None:
    services = services_of(system)
    call = a_call(services, phone="+8613900139203", at=days_ago(400))
    recording_id, _ = a_recording(services, call, at=days_ago(400))
    now = utcnow()
    service.run(services.db, services.settings, now=now)
    service.run(services.db, services.settings, now=now + timedelta(days=8))
    listed = manager.get("/api/retention/receipts").json()
    seqs = [r["seq"] for r in listed["receipts"]]
    assert seqs == sorted(seqs, reverse=True)
    assert any(r["object_type"] == "recording" and r["object_id"] == recording_id for r in listed["receipts"])
    verdict = manager.get("/api/retention/receipts/verify").json()
    assert verdict["intact"] is True and verdict["count"] == len(seqs) == max(seqs)
    assert manager.get("/api/retention/receipts", params={"before": "x"}).status_code == 400
    assert manager.get("/api/retention/receipts", params={"before": "1"}).json()["receipts"] == []
