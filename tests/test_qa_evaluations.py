"""The QA workspace over HTTP on the in-process system: scorecards built and published by a QA lead (a
published version never changes), an evaluation drafted, commented at a moment, submitted; the agent sees
it, acknowledges, disputes in rounds (evaluator, team lead, QA lead), each outcome a new revision."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from contactcenter.audit.models import AccessEntry
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.customers.models import Customer
from contactcenter.qa.models import Evaluation, EvaluationRevision, ScorecardVersion
from contactcenter.retention import holds
from contactcenter.retention import service as retention
from contactcenter.retention.models import DeletionReceipt
from contactcenter.timeutil import utcnow
from contactcenter.users.models import Role
from recordings.models import Recording
from tests.conftest import System
from tests.desk import services_of, user_id
from tests.qa_forms import PERFECT, service_form
from tests.qa_world import extra_user, handled_contact, last_week, published_scorecard, sampled_for, silent_wav

PASSWORD = "correct horse battery 1"


@pytest.fixture(scope="module")
def services(system: System) -> Services:
    return services_of(system)


@pytest.fixture(scope="module")
def version_id(system: System, services: Services) -> int:
    return published_scorecard(services, actor_id=user_id(system, "qa"), name="Calls")


def evaluated(system: System, services: Services, version_id: int, answers: dict[str, Any] | None = None) -> dict:
    """agent1's contact, evaluated and submitted by the QA lead."""
    contact = handled_contact(services, agent_id=user_id(system, "agent1"))
    qa = system.login("qa")
    started = qa.post(f"/api/qa/contacts/{contact}/evaluations", json={"version_id": version_id})
    assert started.status_code == 201, started.text
    ident = started.json()["id"]
    assert qa.put(f"/api/qa/evaluations/{ident}/draft", json={"answers": answers or PERFECT}).status_code == 200
    submitted = qa.post(f"/api/qa/evaluations/{ident}/submit")
    assert submitted.status_code == 200, submitted.text
    return submitted.json()


def test_a_qa_lead_builds_a_scorecard_whose_weights_must_total_100_before_it_is_published(system: System) -> None:
    qa = system.login("qa")
    uneven = service_form()
    uneven["sections"][0]["weight"] = 30
    made = qa.post("/api/qa/scorecards", json={"name": "Chats", "channel": "chat", "form": uneven})
    assert made.status_code == 201, made.text
    card = made.json()["scorecard"]["id"]
    assert made.json()["weight_problems"] == ["the sections' weights total 70, not 100"]
    refused = qa.post(f"/api/qa/scorecards/{card}/publish")
    assert refused.status_code == 400 and "the sections' weights total 70" in refused.json()["error"]
    balanced = qa.put(f"/api/qa/scorecards/{card}/draft", json={"form": uneven, "rebalance": True})
    assert balanced.json()["weight_problems"] == [] and balanced.json()["number"] == 1
    published = qa.post(f"/api/qa/scorecards/{card}/publish")
    assert published.status_code == 200 and published.json()["status"] == "published"


def test_editing_a_published_scorecard_makes_a_new_draft_and_the_published_version_never_changes(
    system: System, services: Services
) -> None:
    qa = system.login("qa")
    card = qa.post("/api/qa/scorecards", json={"name": "Repairs", "queue": "repair", "form": service_form()}).json()
    scorecard = card["scorecard"]["id"]
    assert qa.post(f"/api/qa/scorecards/{scorecard}/publish").status_code == 200
    changed = service_form()
    changed["bands"] = {"pass": 60, "excellent": 90}
    draft = qa.put(f"/api/qa/scorecards/{scorecard}/draft", json={"form": changed}).json()
    assert (draft["number"], draft["status"]) == (2, "draft")
    first = qa.get(f"/api/qa/scorecard-versions/{card['id']}").json()
    assert first["status"] == "published" and first["form"]["bands"] == {"pass": 80, "excellent": 95}
    again = qa.post(f"/api/qa/scorecards/{scorecard}/publish")
    assert again.json()["number"] == 2
    with services.db.reading() as session:
        assert session.get_one(ScorecardVersion, card["id"]).status == "retired"
    assert qa.post(f"/api/qa/scorecards/{scorecard}/publish").status_code == 409  # nothing new to publish


def test_only_qa_leads_managers_and_admins_build_scorecards(system: System, services: Services) -> None:
    extra_user(services, "qa_plain", Role.QA)
    plain = system.login("qa_plain", PASSWORD)
    refused = plain.post("/api/qa/scorecards", json={"name": "Mine", "form": service_form()})
    assert refused.status_code == 403 and "QA leads" in refused.json()["error"]
    assert plain.get("/api/qa/scorecards").status_code == 200  # reading them is part of evaluating
    assert system.login("agent1").get("/api/qa/scorecards").status_code == 403


def test_a_form_that_is_not_a_form_is_refused_with_its_problems_named(system: System) -> None:
    qa = system.login("qa")
    bad = qa.post("/api/qa/scorecards", json={"name": "Bad", "form": {"sections": [{"id": "BAD ID"}]}})
    assert bad.status_code == 400 and "sections.0.id" in bad.json()["error"]


def test_an_evaluation_is_drafted_commented_at_a_moment_and_scored_when_submitted(
    system: System, services: Services, version_id: int
) -> None:
    contact = handled_contact(services, agent_id=user_id(system, "agent1"))
    qa = system.login("qa")
    ident = qa.post(f"/api/qa/contacts/{contact}/evaluations", json={"version_id": version_id}).json()["id"]
    assert qa.post(f"/api/qa/contacts/{contact}/evaluations", json={}).json()["id"] == ident  # theirs, again
    saved = qa.put(f"/api/qa/evaluations/{ident}/draft", json={"answers": {"verified": "yes", "courtesy": 4}})
    assert saved.status_code == 200 and saved.json()["missing"] == ["explained", "follow_up_offered", "accurate"]
    bad = qa.put(f"/api/qa/evaluations/{ident}/draft", json={"answers": {"courtesy": 9}})
    assert bad.status_code == 400 and "courtesy: answer a number from 1 to 5" in bad.json()["error"]
    comment = qa.post(
        f"/api/qa/evaluations/{ident}/comments", json={"text": "没有核实身份 no ID check", "at_seconds": 7}
    )
    assert comment.status_code == 201 and comment.json()["comments"][0]["at_seconds"] == 7
    incomplete = qa.post(f"/api/qa/evaluations/{ident}/submit")
    assert incomplete.status_code == 400 and "explained: not answered" in incomplete.json()["error"]
    assert system.login("agent1").get(f"/api/qa/evaluations/{ident}").status_code == 404  # a draft is the evaluator's

    answers = {**PERFECT, "accurate": "no"}  # a failed critical question of its section
    qa.put(f"/api/qa/evaluations/{ident}/draft", json={"answers": answers, "summary": "准确性不足"})
    done = qa.post(f"/api/qa/evaluations/{ident}/submit").json()
    assert (done["status"], done["score"], done["band"], done["revision"]) == ("submitted", 60.0, "fail", 1)
    assert done["failed_questions"] == ["accurate"] and done["band_label"] == {"zh": "不合格", "en": "Fail"}
    assert qa.put(f"/api/qa/evaluations/{ident}/draft", json={"answers": PERFECT}).status_code == 409

    agent = system.login("agent1")
    mine = agent.get("/api/agent/evaluations").json()["evaluations"]
    assert ident in [e["id"] for e in mine]
    seen = agent.get(f"/api/qa/evaluations/{ident}").json()
    assert seen["comments"][0]["text"] == "没有核实身份 no ID check" and seen["may"]["acknowledge"]
    assert system.login("agent2").get(f"/api/qa/evaluations/{ident}").status_code == 404
    assert system.login("supervisor").get(f"/api/qa/evaluations/{ident}").status_code == 200  # agent1's team lead


def test_a_dispute_goes_to_the_evaluator_then_the_team_lead_then_the_qa_lead_each_outcome_a_new_revision(
    system: System, services: Services, version_id: int
) -> None:
    lead_qa = user_id(system, "qa")
    evaluator_id = extra_user(services, "qa_eval", Role.QA, queues=["general"])
    contact = handled_contact(services, agent_id=user_id(system, "agent1"))
    evaluator = system.login("qa_eval", PASSWORD)
    ident = evaluator.post(f"/api/qa/contacts/{contact}/evaluations", json={"version_id": version_id}).json()["id"]
    evaluator.put(
        f"/api/qa/evaluations/{ident}/draft", json={"answers": {**PERFECT, "courtesy": 1, "explained": "not"}}
    )
    first = evaluator.post(f"/api/qa/evaluations/{ident}/submit").json()
    agent = system.login("agent1")
    assert agent.post(f"/api/qa/evaluations/{ident}/acknowledge").json()["status"] == "acknowledged"

    one = agent.post(
        f"/api/qa/evaluations/{ident}/disputes",
        json={"comment": "我很礼貌", "proposed": {"courtesy": 5, "explained": "fully"}},
    )
    assert one.status_code == 201 and one.json()["disputes"][0]["reviewer_id"] == evaluator_id
    assert agent.post(f"/api/qa/evaluations/{ident}/disputes", json={"comment": "again"}).status_code == 409
    assert (
        system.login("supervisor")
        .post(f"/api/qa/evaluations/{ident}/disputes/decision", json={"outcome": "accepted", "decision": "ok"})
        .status_code
        == 403
    )  # round 1 is the evaluator's
    assert ident in [e["id"] for e in evaluator.get("/api/qa/reviews").json()["evaluations"]]
    partial = evaluator.post(
        f"/api/qa/evaluations/{ident}/disputes/decision",
        json={"outcome": "partial", "decision": "礼貌可以,解释不足", "answers": {"courtesy": 5}},
    ).json()
    assert partial["revision"] == 2 and partial["score"] > first["score"] and partial["answers"]["explained"] == "not"

    two = agent.post(
        f"/api/qa/evaluations/{ident}/disputes", json={"comment": "解释了", "proposed": {"explained": "fully"}}
    )
    assert two.json()["disputes"][1]["reviewer_id"] == user_id(system, "supervisor")
    rejected = (
        system.login("supervisor")
        .post(f"/api/qa/evaluations/{ident}/disputes/decision", json={"outcome": "rejected", "decision": "录音里没有"})
        .json()
    )
    assert rejected["revision"] == 2 and rejected["disputes"][1]["status_label"]["en"] == "Rejected"

    three = agent.post(
        f"/api/qa/evaluations/{ident}/disputes", json={"comment": "请质检组长看", "proposed": {"explained": "fully"}}
    )
    assert three.json()["disputes"][2]["reviewer_id"] == lead_qa
    accepted = (
        system.login("qa")
        .post(f"/api/qa/evaluations/{ident}/disputes/decision", json={"outcome": "accepted", "decision": "同意"})
        .json()
    )
    assert accepted["revision"] == 3 and accepted["score"] == 100.0
    last = agent.post(f"/api/qa/evaluations/{ident}/disputes", json={"comment": "more", "proposed": {}})
    assert last.status_code == 409 and "every round" in last.json()["error"]

    with services.db.reading() as session:
        revisions = session.scalars(
            select(EvaluationRevision)
            .where(EvaluationRevision.evaluation_id == ident)
            .order_by(EvaluationRevision.number)
        ).all()
        seen = [(r.number, r.reason, r.score, r.answers["courtesy"]) for r in revisions]
    assert [row[:2] for row in seen] == [
        (1, "submitted"),
        (2, "dispute_partial"),
        (3, "dispute_accepted"),
    ]
    assert seen[0][2:] == (first["score"], 1)  # the first revision as submitted: never edited


def test_a_dispute_after_its_window_is_refused_and_one_in_review_can_be_retracted(
    system: System, services: Services, version_id: int
) -> None:
    late = evaluated(system, services, version_id)
    with services.db.session() as session:
        evaluation = session.get_one(Evaluation, late["id"])
        evaluation.submitted_at = utcnow() - timedelta(days=8)
    agent = system.login("agent1")
    refused = agent.post(f"/api/qa/evaluations/{late['id']}/disputes", json={"comment": "late", "proposed": {}})
    assert refused.status_code == 409 and "7 days" in refused.json()["error"]

    fresh = evaluated(system, services, version_id)
    agent.post(f"/api/qa/evaluations/{fresh['id']}/disputes", json={"comment": "hmm", "proposed": {"courtesy": 4}})
    retracted = agent.post(f"/api/qa/evaluations/{fresh['id']}/disputes/retract").json()
    assert retracted["status"] == "submitted" and retracted["disputes"][0]["status"] == "retracted"
    assert retracted["revision"] == 1


def test_the_agents_side_is_the_agents_own(system: System, services: Services, version_id: int) -> None:
    done = evaluated(system, services, version_id)
    other: httpx.Client = system.login("supervisor")  # a team lead takes contacts too, but this one is agent1's
    assert other.post(f"/api/qa/evaluations/{done['id']}/acknowledge").status_code == 403
    assert other.post(f"/api/qa/evaluations/{done['id']}/disputes", json={"comment": "x"}).status_code == 403


def test_the_qa_pages_are_served_to_whom_they_are_for(system: System) -> None:
    qa = system.login("qa")
    builder = qa.get("/qa/scorecards")
    assert builder.status_code == 200 and "/static/qa/scorecards.js" in builder.text
    page = system.login("agent1").get("/qa/evaluations/1")
    assert page.status_code == 200 and "/static/recordings/player.js" in page.text
    assert qa.get("/static/qa/evaluation.js").status_code == 200
    assert system.login("agent1").get("/qa/scorecards").status_code == 403


def test_the_agent_is_told_of_their_evaluation_and_hears_its_recording_and_nobody_else_does(
    system: System, services: Services, version_id: int
) -> None:
    contact = handled_contact(services, agent_id=user_id(system, "agent1"), audio=silent_wav())
    qa = system.login("qa")
    ident = qa.post(f"/api/qa/contacts/{contact}/evaluations", json={"version_id": version_id}).json()["id"]
    qa.put(f"/api/qa/evaluations/{ident}/draft", json={"answers": PERFECT})
    [recording] = qa.get(f"/api/qa/evaluations/{ident}").json()["contact"]["recordings"]
    media = f"/api/qa/evaluations/{ident}/recordings/{recording['id']}/media"
    agent = system.login("agent1")
    assert agent.get(media).status_code == 404  # a draft is the evaluator's, and so is its recording for now

    qa.post(f"/api/qa/evaluations/{ident}/submit")
    told = agent.get("/api/notifications", params={"unread": 1}).json()["notifications"]
    assert any(n["kind"] == "evaluation_submitted" and n["data"]["evaluation_id"] == ident for n in told)
    heard = agent.get(media, headers={"Range": "bytes=0-99"})
    assert heard.status_code == 206 and heard.content[:4] == b"RIFF"
    assert agent.get(f"/api/qa/evaluations/{ident}/recordings/{recording['id']}/peaks").status_code == 200
    assert system.login("agent2").get(media).status_code == 404
    assert agent.get(f"/recordings/{recording['id']}/media").status_code == 403  # not every recording of theirs
    with services.db.reading() as session:
        plays = session.scalars(
            select(AccessEntry).where(
                AccessEntry.object_type == "recording", AccessEntry.object_id == str(recording["id"])
            )
        ).all()
        assert [(p.action, p.username) for p in plays] == [("play", "agent1")]


def test_qa_staff_reach_their_queues_recorded_calls_and_what_is_sampled_for_them_and_nothing_else(
    system: System, services: Services, version_id: int
) -> None:
    reviewer = extra_user(services, "qa_noqueue", Role.QA)  # reviews no queue of their own
    contact = handled_contact(
        services, agent_id=user_id(system, "agent2"), queue="repair", ended_ago=last_week(services)
    )
    with services.db.reading() as session:
        recording = session.scalar(select(Recording.id).where(Recording.contact_id == contact))
    plain = system.login("qa_noqueue", PASSWORD)
    assert plain.post(f"/api/qa/contacts/{contact}/evaluations", json={}).status_code == 404
    assert recording not in [r["id"] for r in plain.get("/api/recordings").json()]
    assert recording in [r["id"] for r in system.login("qa").get("/api/recordings").json()]  # her queues'

    assert sampled_for(system.login("qa"), evaluator_id=reviewer, queue="repair", seed=7) == [contact]
    started = plain.post(f"/api/qa/contacts/{contact}/evaluations", json={"version_id": version_id})
    assert started.status_code == 201, started.text  # sampled for them: theirs to review
    assert recording in [r["id"] for r in plain.get("/api/recordings").json()]


def test_an_evaluation_past_its_retention_goes_with_its_revisions_and_comments_unless_held(
    system: System, services: Services, version_id: int
) -> None:
    old, held = evaluated(system, services, version_id), evaluated(system, services, version_id)
    qa = system.login("qa")
    with services.db.session() as session:
        for ident in (old["id"], held["id"]):
            session.get_one(Evaluation, ident).submitted_at = utcnow() - timedelta(days=1200)  # past 3 years
        held_contact = session.get_one(Contact, held["contact"]["id"])
        held_contact.customer_id = session.scalar(select(Customer.id).limit(1))
        customer = held_contact.customer_id
    manager = user_id(system, "manager")
    with services.db.session() as session:
        case = "(2026)沪01民初9号"
        holds.place(
            session,
            case_number=case,
            reason="诉讼",
            scope="customer",
            subject_id=customer,
            date_from=None,
            date_to=None,
            by=manager,
        )
    now = utcnow()
    retention.run(services.db, services.settings, now=now)
    retention.run(services.db, services.settings, now=now + timedelta(days=7))
    assert qa.get(f"/api/qa/evaluations/{old['id']}").status_code == 404
    assert qa.get(f"/api/qa/evaluations/{held['id']}").status_code == 200  # the customer's hold keeps it
    with services.db.reading() as session:
        receipt = session.scalar(
            select(DeletionReceipt).where(
                DeletionReceipt.object_type == "evaluation", DeletionReceipt.object_id == old["id"]
            )
        )
        assert receipt is not None and receipt.policy == "evaluations 1095 d" and len(receipt.checksum) == 64
        assert not session.scalars(
            select(EvaluationRevision).where(EvaluationRevision.evaluation_id == old["id"])
        ).all()


def test_the_demo_starts_with_a_published_scorecard_whose_identity_check_fails_the_whole_evaluation(
    system: System,
) -> None:
    cards = system.login("qa").get("/api/qa/scorecards").json()["scorecards"]
    [starter] = [c for c in cards if c["name"] == "热线服务标准 Hotline service standard"]
    assert starter["published_version"] == 1 and (starter["channel"], starter["queue"]) == (None, None)
    card = system.login("qa").get(f"/api/qa/scorecards/{starter['id']}").json()
    assert card["weight_problems"] == []
    identity = next(q for s in card["form"]["sections"] for q in s["questions"] if q["id"] == "identity")
    assert identity["critical"] == "form"
