"""Calibration over HTTP on the in-process system: evaluators score one contact blind, then each answer is
compared with the expert's and those far off are flagged; only QA leads run one, with two people at least."""

from __future__ import annotations

from typing import Any

import pytest

from contactcenter.context import Services
from contactcenter.users.models import Role
from tests.conftest import System
from tests.desk import services_of, user_id
from tests.qa_forms import PERFECT
from tests.qa_world import extra_user, handled_contact, published_scorecard

PASSWORD = "correct horse battery 1"


@pytest.fixture(scope="module")
def services(system: System) -> Services:
    return services_of(system)


@pytest.fixture(scope="module")
def version_id(system: System, services: Services) -> int:
    return published_scorecard(services, actor_id=user_id(system, "qa"), name="Calls")


def test_a_calibration_is_scored_blind_then_compared_with_the_expert_and_flags_who_is_far_off(
    system: System, services: Services, version_id: int
) -> None:
    one, two = extra_user(services, "qa_cal1", Role.QA), extra_user(services, "qa_cal2", Role.QA)
    expert = user_id(system, "qa")
    contact = handled_contact(services, agent_id=user_id(system, "agent1"))
    lead = system.login("qa")
    made = lead.post(
        "/api/qa/calibrations",
        json={
            "name": "十二月校准",
            "contact_id": contact,
            "evaluator_ids": [one, two],
            "expert_id": expert,
            "version_id": version_id,
        },
    )
    assert made.status_code == 201, made.text
    calibration = made.json()
    assert calibration["complete"] is False and "questions" not in calibration and calibration["threshold"] == 10
    drafts = {p["id"]: p["evaluation_id"] for p in calibration["people"]}

    first, second = system.login("qa_cal1", PASSWORD), system.login("qa_cal2", PASSWORD)
    assert second.get(f"/api/qa/evaluations/{drafts[one]}").status_code == 404  # blind: not a colleague's
    assert first.get(f"/api/qa/calibrations/{calibration['id']}").json()["complete"] is False
    scored = {
        expert: (lead, PERFECT),
        one: (first, {**PERFECT, "courtesy": 4}),
        two: (second, {**PERFECT, "explained": "not"}),
    }
    for person, (client, answers) in scored.items():
        client.put(f"/api/qa/evaluations/{drafts[person]}/draft", json={"answers": answers})
        assert client.post(f"/api/qa/evaluations/{drafts[person]}/submit").status_code == 200

    compared = lead.get(f"/api/qa/calibrations/{calibration['id']}").json()
    assert compared["complete"] and compared["reference"] == "expert" and compared["reference_score"] == 100.0
    scores = {s["evaluator_id"]: s for s in compared["scores"]}
    assert scores[one]["deviation"] == -7.5 and not scores[one]["flagged"]  # courtesy 4 of 5: 75 % of 30 % × 60 %
    assert scores[two]["deviation"] == -16.0 and scores[two]["flagged"]  # explained "not": 40 % of the 40 % section
    explained = next(q for q in compared["questions"] if q["id"] == "explained")
    assert explained["reference"] == 100.0 and explained["deviation"][str(two)] == -100.0
    assert agent_sees_no_calibration(system, drafts.values())


def agent_sees_no_calibration(system: System, evaluation_ids: Any) -> bool:
    agent = system.login("agent1")
    mine = {e["id"] for e in agent.get("/api/agent/evaluations").json()["evaluations"]}
    return not mine & set(evaluation_ids) and all(
        agent.get(f"/api/qa/evaluations/{ident}").status_code == 404 for ident in evaluation_ids
    )


def test_only_qa_leads_run_calibrations_and_need_two_people_to_compare(system: System, services: Services) -> None:
    extra_user(services, "qa_plain", Role.QA)
    contact = handled_contact(services, agent_id=user_id(system, "agent1"))
    body = {"name": "x", "contact_id": contact, "evaluator_ids": [user_id(system, "qa")]}
    assert system.login("qa_plain", PASSWORD).post("/api/qa/calibrations", json=body).status_code == 403
    alone = system.login("qa").post("/api/qa/calibrations", json=body)
    assert alone.status_code == 400 and "at least two" in alone.json()["error"]
    agent = system.login("qa").post(
        "/api/qa/calibrations", json={**body, "evaluator_ids": [user_id(system, "qa"), user_id(system, "agent2")]}
    )
    assert agent.status_code == 400 and "Not QA staff" in agent.json()["error"]
