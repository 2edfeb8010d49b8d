"""QA sampling and the work queue (docs/qa-sampling.md): selections reproducible with their seed, spread evenly over
evaluators with due dates, the policies' filters, complaints and flagged agents always taken, nothing sampled
twice, claims (of two at once one wins), coverage per agent, and who may do what. Each test works in a week and
a queue of its own, so the module's one system serves them all."""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.audit.service import events_for
from contactcenter.chats.models import ChatMessage
from contactcenter.cli import main
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.qa import sampling, scorecards
from contactcenter.qa import sampling_policies as policies
from contactcenter.qa.forms import Form
from contactcenter.qa.models import Evaluation, ScorecardVersion
from contactcenter.qa.sampling_models import SampleItem, SampleRun, SamplingPolicy
from contactcenter.qa.sampling_runs import run_due, run_policy
from contactcenter.satisfaction.models import AgentFlag
from contactcenter.tickets.models import Ticket
from contactcenter.users.models import Role, User
from recordings.models import Recording
from tests.conftest import System
from tests.environment import clear_settings
from tests.inprocess import DEMO_PASSWORD

SHANGHAI = ZoneInfo("Asia/Shanghai")
FORM = {
    "sections": [
        {
            "id": "s1",
            "title": {"zh": "礼貌", "en": "Courtesy"},
            "weight": 100,
            "questions": [{"id": "q1", "text": {"zh": "问候", "en": "Greeting"}, "kind": "yes_no", "weight": 100}],
        }
    ]
}


# ---- the pure rules ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def services(system: System) -> Services:
    built: Services = system.client.app.state.services  # type: ignore[attr-defined]
    return built


@pytest.fixture(scope="module")
def people(services: Services) -> dict[str, int]:
    """Agents a1-a4, QA staff q1-q3 (q3 leads QA), the demo's admin; a published scorecard for every contact."""
    with services.db.session() as session:
        hashed = session.scalars(select(User.password_hash).where(User.username == "agent1")).one()
        for name, role, lead in [
            *((f"a{n}", Role.AGENT, False) for n in range(1, 5)),
            ("q1", Role.QA, False),
            ("q2", Role.QA, False),
            ("q3", Role.QA, True),
        ]:
            session.add(
                User(username=name, display_name=name, password_hash=hashed, role=role, skills={}, qa_lead=lead)
            )
        session.flush()
        found = {u.username: u.id for u in session.scalars(select(User))}
        version = scorecards.create_scorecard(
            session,
            name="通用 General",
            channel=None,
            queue=None,
            form=Form.model_validate(FORM),
            actor_id=found["admin"],
        )
        scorecards.publish(session, scorecard_id=version.scorecard_id, actor_id=found["admin"])
    return found


_weeks = iter(range(1, 500))


def week() -> tuple[datetime, datetime, datetime, str]:
    """A week of the past no other test uses (its start, its end, a moment in the next week) and a queue name."""
    n = next(_weeks)
    start = datetime(2024, 1, 1, tzinfo=SHANGHAI) + timedelta(weeks=n)  # a Monday
    return start, start + timedelta(days=7), start + timedelta(days=9), f"q-{uuid.uuid4().hex[:8]}"


def contact(
    session: Session,
    *,
    agent: int,
    queue: str,
    ended: datetime,
    seconds: int = 120,
    channel: str = "voice",
    recorded: bool = True,
    category: str | None = None,
) -> int:
    ticket_id = None
    if category:
        ticket = Ticket(subject="test", category=category)
        session.add(ticket)
        session.flush()
        ticket_id = ticket.id
    tag = uuid.uuid4().hex[:12]
    row = Contact(
        provider_id=f"T{tag}",
        channel=channel,
        from_number="+8613800000000",
        to_number="+862100000000",
        status="ended",
        queue=queue,
        agent_id=agent,
        ticket_id=ticket_id,
        answered_at=ended - timedelta(seconds=seconds),
        ended_at=ended,
    )
    session.add(row)
    session.flush()
    if recorded and channel == "voice":
        session.add(Recording(provider_sid=f"RE{tag}", call_sid=row.provider_id, contact_id=row.id, status="stored"))
    elif recorded:
        session.add(ChatMessage(contact_id=row.id, sender="agent", body="您好 Hello"))
    return row.id


def policy(session: Session, people: dict[str, int], **fields: Any) -> SamplingPolicy:
    spec = {"name": f"test {uuid.uuid4().hex[:8]}", "kind": "random_per_agent", "per_agent": 2, **fields}
    return policies.create_policy(session, fields=spec, actor_id=people["admin"])


def run(services: Services, policy_id: int, now: datetime, **options: Any) -> Any:
    with services.db.session() as session:
        found = session.get_one(SamplingPolicy, policy_id)
        return run_policy(session, policy=found, settings=services.settings, now=now, trigger="manual", **options)


def test_a_dry_run_with_a_runs_seed_chooses_what_the_run_chose_and_the_run_is_kept_and_audited(
    services: Services, people: dict[str, int]
) -> None:
    start, _, now, queue = week()
    with services.db.session() as session:
        for agent in ("a1", "a2"):
            for n in range(8):
                contact(session, agent=people[agent], queue=queue, ended=start + timedelta(hours=n + 1))
        made = policy(session, people, queues=[queue], evaluator_ids=[people["q1"], people["q2"]]).id
    preview = run(services, made, now, seed=42, dry_run=True)
    done = run(services, made, now, seed=42)
    assert done.contact_ids == preview.contact_ids and len(done.contact_ids) == 4 and done.candidates == 16
    with services.db.session() as session:
        kept = session.get_one(SampleRun, done.run_id)
        assert (kept.seed, kept.contact_ids, kept.selected) == (42, done.contact_ids, 4)
        [audited] = events_for(session, subject_type="qa_sample_run", subject_id=done.run_id)
        assert audited.kind == "sampled" and audited.data["seed"] == 42
        assert audited.data["contact_ids"] == done.contact_ids
    again = run(services, made, now, seed=42)  # the same seed, but those contacts are sampled already
    assert not set(again.contact_ids) & set(done.contact_ids) and len(again.contact_ids) == 4


def test_filters_leave_out_short_unrecorded_other_queue_and_other_channel_contacts(
    services: Services, people: dict[str, int]
) -> None:
    start, _, now, queue = week()
    at = start + timedelta(days=1)
    with services.db.session() as session:
        wanted = contact(session, agent=people["a1"], queue=queue, ended=at, seconds=60)
        contact(session, agent=people["a1"], queue=queue, ended=at, seconds=59)  # too short
        contact(session, agent=people["a1"], queue=queue, ended=at, recorded=False)  # nothing to review
        contact(session, agent=people["a1"], queue=queue + "x", ended=at)  # another queue
        contact(session, agent=people["a1"], queue=queue, ended=at, channel="chat")  # a chat
        contact(session, agent=people["a1"], queue=queue, ended=start - timedelta(minutes=1))  # the week before
        pending = contact(session, agent=people["a1"], queue=queue, ended=at, recorded=False)
        session.add(Recording(provider_sid=f"RE{pending}x", call_sid="x", contact_id=pending, status="pending"))
        voice = policy(session, people, queues=[queue], channel="voice", min_seconds=60, per_agent=10).id
        chats = policy(session, people, queues=[queue], channel="chat", per_agent=10).id
    assert run(services, voice, now, dry_run=True).contact_ids == [wanted]
    assert len(run(services, chats, now, dry_run=True).contact_ids) == 1


def test_every_complaint_and_every_contact_of_a_flagged_agent_is_taken_before_a_random_draw(
    services: Services, people: dict[str, int]
) -> None:
    start, end, now, queue = week()
    with services.db.session() as session:
        complaints = [
            contact(
                session, agent=people["a1"], queue=queue, ended=start + timedelta(hours=n + 1), category="complaint"
            )
            for n in range(6)
        ]
        flagged = [
            contact(session, agent=people["a2"], queue=queue, ended=start + timedelta(hours=n + 1)) for n in range(5)
        ]
        others = [
            contact(session, agent=people["a3"], queue=queue, ended=start + timedelta(hours=n + 1)) for n in range(5)
        ]
        flag = AgentFlag(
            agent_id=people["a2"], count=3, window_days=183, ticket_ids=[], created_at=end - timedelta(days=60)
        )
        session.add(flag)  # old, but not acknowledged: still watched
        kinds = ("complaints", "flagged_agents")
        ids = [policy(session, people, queues=[queue], kind=kind, min_seconds=0).id for kind in kinds]
        random_id = policy(session, people, queues=[queue], per_agent=1).id
    assert run(services, ids[0], now).contact_ids == complaints
    assert run(services, ids[1], now).contact_ids == flagged
    drawn = run(services, random_id, now).contact_ids
    assert len(drawn) == 1 and drawn[0] in others  # a1's and a2's contacts are all sampled already
    with services.db.session() as session:
        session.get_one(AgentFlag, flag.id).acknowledged_by = people["admin"]
        session.get_one(AgentFlag, flag.id).acknowledged_at = end
    with services.db.session() as session:
        contact(session, agent=people["a2"], queue=queue, ended=start + timedelta(days=2))
    assert run(services, ids[1], now, dry_run=True).contact_ids == []  # acknowledged, and older than the watch


def test_a_run_spreads_items_evenly_over_its_evaluators_with_due_dates_in_working_days(
    services: Services, people: dict[str, int]
) -> None:
    start, _, now, queue = week()
    evaluators = [people["q1"], people["q2"], people["q3"]]
    with services.db.session() as session:
        for agent in ("a1", "a2", "a3", "a4"):
            for n in range(3):
                contact(session, agent=people[agent], queue=queue, ended=start + timedelta(hours=n + 1))
        made = policy(session, people, queues=[queue], per_agent=3, evaluator_ids=evaluators, due_days=2).id
    done = run(services, made, now)
    with services.db.session() as session:
        items = list(session.scalars(select(SampleItem).where(SampleItem.run_id == done.run_id)))
    counts = Counter(item.evaluator_id for item in items)
    assert len(items) == 12 and set(counts) == set(evaluators) and max(counts.values()) - min(counts.values()) <= 1
    assert {item.due_at for item in items} == {sampling.due_at(now, days=2, zone=SHANGHAI).astimezone(UTC)}


def test_the_scheduled_run_samples_each_period_once(services: Services, people: dict[str, int]) -> None:
    start, _, now, queue = week()
    with services.db.session() as session:
        contact(session, agent=people["a1"], queue=queue, ended=start + timedelta(hours=3))
        made = policy(session, people, queues=[queue], per_agent=1).id
    first = [r for r in run_due(services, now=now) if r.policy_id == made]
    assert len(first) == 1 and len(first[0].contact_ids) == 1
    assert [r for r in run_due(services, now=now + timedelta(hours=1)) if r.policy_id == made] == []


# ---- over HTTP ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def who(system: System, people: dict[str, int]) -> Iterator[dict[str, httpx.Client]]:
    clients = {name: system.login(name) for name in ("q1", "q2", "q3", "a1", "admin")}
    yield clients
    for client in clients.values():
        client.close()


def pooled(services: Services, people: dict[str, int], count: int = 1, **fields: Any) -> tuple[list[int], str]:
    """`count` items in the pool (a policy that assigns nobody) of a new queue; their ids."""
    start, _, now, queue = week()
    with services.db.session() as session:
        for n in range(count):
            contact(session, agent=people["a1"], queue=queue, ended=start + timedelta(hours=n + 1))
        made = policy(session, people, queues=[queue], per_agent=count, assign=False, **fields).id
    run(services, made, now)
    with services.db.session() as session:
        return list(session.scalars(select(SampleItem.id).where(SampleItem.queue == queue))), queue


def test_of_two_claims_at_once_one_wins_and_the_other_is_told_409(
    system: System, services: Services, people: dict[str, int]
) -> None:
    [item], _ = pooled(services, people)
    barrier, answers = threading.Barrier(2), {}

    def claim(name: str) -> None:
        with httpx.Client(base_url=system.base_url, timeout=15) as client:  # over loopback: truly at once
            assert client.post("/login", json={"username": name, "password": DEMO_PASSWORD}).status_code == 200
            barrier.wait()
            answers[name] = client.post(f"/api/qa/work/{item}/claim")

    threads = [threading.Thread(target=claim, args=(name,)) for name in ("q1", "q2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(answer.status_code for answer in answers.values())
    assert statuses == [200, 409], {name: a.text for name, a in answers.items()}
    loser = next(a for a in answers.values() if a.status_code == 409)
    assert loser.json()["code"] == "conflict"  # "someone else claimed it just now" / "another evaluator's"


def test_claiming_starts_the_evaluation_links_it_and_the_item_is_done_once_it_is_submitted(
    services: Services, people: dict[str, int], who: dict[str, httpx.Client]
) -> None:
    [item], queue = pooled(services, people)
    claimed = who["q1"].post("/api/qa/work/claim", json={"queue": queue})
    assert claimed.status_code == 200, claimed.text
    body = claimed.json()
    assert body["id"] == item and body["evaluation_url"] == f"/qa/evaluations/{body['evaluation_id']}"
    assert who["q1"].post(f"/api/qa/work/{item}/claim").json()["evaluation_id"] == body["evaluation_id"]  # reopened
    assert who["q2"].post(f"/api/qa/work/{item}/claim").status_code == 409  # another evaluator's
    with services.db.session() as session:
        evaluation = session.get_one(Evaluation, body["evaluation_id"])
        assert evaluation.evaluator_id == people["q1"] and evaluation.due_at is not None
        evaluation.status, evaluation.submitted_at, evaluation.score = "submitted", evaluation.created_at, 90.0
    mine = who["q1"].get("/api/qa/work", params={"queue": queue, "status": "done"}).json()["items"]
    assert [(i["id"], i["status"]) for i in mine] == [(item, "done")]


def test_the_work_queue_filters_by_queue_channel_agent_due_and_status(
    services: Services, people: dict[str, int], who: dict[str, httpx.Client]
) -> None:
    start, _, now, queue = week()
    with services.db.session() as session:
        voice = contact(session, agent=people["a1"], queue=queue, ended=start + timedelta(hours=1))
        chat = contact(session, agent=people["a2"], queue=queue, ended=start + timedelta(hours=2), channel="chat")
        made = policy(session, people, queues=[queue], per_agent=5, evaluator_ids=[people["q2"]], due_days=1).id
    run(services, made, now)  # due a working day after `now`, long past

    def ids(**params: Any) -> list[int]:
        answer = who["q2"].get("/api/qa/work", params={"queue": queue, **params})
        assert answer.status_code == 200, answer.text
        return [i["contact_id"] for i in answer.json()["items"]]

    assert ids() == [voice, chat]
    assert ids(channel="chat") == [chat] and ids(agent_id=people["a1"]) == [voice]
    assert ids(due="overdue") == [voice, chat] and ids(status="done") == []
    assert ids(status="open") == [voice, chat]
    assert who["q2"].get("/api/qa/work", params={"due": "soon"}).status_code == 400
    assert who["q2"].get("/api/qa/work", params={"bogus": "1"}).status_code == 400


def test_qa_staff_see_only_their_own_queue_and_agents_are_refused(
    services: Services, people: dict[str, int], who: dict[str, httpx.Client]
) -> None:
    start, _, now, queue = week()
    with services.db.session() as session:
        contact(session, agent=people["a1"], queue=queue, ended=start + timedelta(hours=1))
        made = policy(session, people, queues=[queue], per_agent=1, evaluator_ids=[people["q1"]]).id
    run(services, made, now)
    assert len(who["q1"].get("/api/qa/work", params={"queue": queue}).json()["items"]) == 1
    assert who["q2"].get("/api/qa/work", params={"queue": queue}).json()["items"] == []
    assert who["q2"].get("/api/qa/work", params={"evaluator_id": people["q1"]}).status_code == 403
    assert who["q2"].get("/api/qa/work", params={"everyone": "true"}).status_code == 403
    lead_view = who["q3"].get("/api/qa/work", params={"queue": queue, "everyone": "true"}).json()
    assert len(lead_view["items"]) == 1 and lead_view["viewer"]["lead"] is True
    refused = who["a1"].get("/api/qa/work")
    assert refused.status_code == 403 and refused.json()["policy"] is True
    assert who["a1"].get("/qa/work", follow_redirects=False).status_code == 403


def test_policies_runs_and_skips_are_for_qa_leads_managers_and_admins(
    services: Services, people: dict[str, int], who: dict[str, httpx.Client]
) -> None:
    spec = {"name": f"每周 {uuid.uuid4().hex[:6]}", "kind": "percentage", "per_agent": 2, "percentage": 10}
    assert who["q1"].post("/api/qa/sampling/policies", json=spec).status_code == 403  # QA, but not a lead
    assert who["a1"].post("/api/qa/sampling/policies", json=spec).status_code == 403
    made = who["q3"].post("/api/qa/sampling/policies", json=spec)
    assert made.status_code == 201, made.text
    assert who["q3"].post("/api/qa/sampling/policies", json=spec).status_code == 409  # the same name
    assert (
        who["q3"].post("/api/qa/sampling/policies", json={**spec, "name": "x", "percentage": None}).status_code == 400
    )
    policy_id = made.json()["id"]
    assert (
        who["admin"].patch(f"/api/qa/sampling/policies/{policy_id}", json={"active": False}).json()["active"] is False
    )
    preview = who["q3"].post(f"/api/qa/sampling/policies/{policy_id}/run", json={"seed": 9, "dry_run": True})
    assert preview.status_code == 200 and preview.json()["seed"] == 9 and preview.json()["run_id"] is None
    assert who["q3"].delete(f"/api/qa/sampling/policies/{policy_id}").status_code == 200  # never run
    [item], _ = pooled(services, people)
    assert who["q1"].post(f"/api/qa/work/{item}/skip", json={"reason": "静音 silent"}).status_code == 403
    skipped = who["q3"].post(f"/api/qa/work/{item}/skip", json={"reason": "静音 silent"})
    assert skipped.status_code == 200 and skipped.json()["status"] == "skipped"
    assert who["q1"].post(f"/api/qa/work/{item}/claim").status_code == 409
    with services.db.session() as session:
        [event] = events_for(session, subject_type="qa_sample_item", subject_id=item)
        assert (event.kind, event.data["reason"]) == ("skipped", "静音 silent")
    listed = who["admin"].get("/api/qa/sampling/policies").json()["policies"]
    assert {"complaints", "flagged_agents", "random_per_agent"} <= {p["kind"] for p in listed}  # the defaults


def test_coverage_counts_handled_sampled_evaluated_the_average_score_and_whether_the_target_is_met(
    services: Services, people: dict[str, int], who: dict[str, httpx.Client]
) -> None:
    start, end, now, queue = week()
    with services.db.session() as session:
        mine = {
            a: [contact(session, agent=people[a], queue=queue, ended=start + timedelta(hours=n + 1)) for n in range(3)]
            for a in ("a1", "a2")
        }
        made = policy(session, people, queues=[queue], per_agent=2, evaluator_ids=[people["q1"]]).id
    run(services, made, now, seed=5)
    with services.db.session() as session:
        version = session.scalars(select(ScorecardVersion.id).limit(1)).one()
        for contact_id, score in ((mine["a1"][0], 80.0), (mine["a1"][1], 90.0), (mine["a2"][0], 70.0)):
            session.add(
                Evaluation(
                    contact_id=contact_id,
                    agent_id=session.get_one(Contact, contact_id).agent_id,
                    evaluator_id=people["q1"],
                    version_id=version,
                    status="submitted",
                    score=score,
                    submitted_at=end,
                    revision=1,
                )
            )
    period: dict[str, str | int] = {
        "policy_id": made,
        "from": start.date().isoformat(),
        "to": (end - timedelta(days=1)).date().isoformat(),
    }
    answer = who["q3"].get("/api/qa/coverage", params=period)
    assert answer.status_code == 200, answer.text
    rows = {row["agent_id"]: row for row in answer.json()["agents"]}
    a1, a2 = rows[people["a1"]], rows[people["a2"]]
    figures = ("handled", "sampled", "evaluated", "average_score", "target", "met")
    assert [a1[name] for name in figures] == [3, 2, 2, 85.0, 2, True]
    assert [a2[name] for name in figures] == [3, 2, 1, 70.0, 2, False]
    assert who["q1"].get("/api/qa/coverage").status_code == 403
    assert who["q3"].get("/api/qa/coverage", params={"from": "yesterday"}).status_code == 400


def test_the_command_line_runs_every_active_policy_and_prints_each_runs_seed(
    system: System,
    people: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    clear_settings(monkeypatch, tmp_path)
    monkeypatch.setenv("DATABASE_URL", system.database_url)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    assert main(["qa", "sample", "--dry-run", "--seed", "7"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines and all(line["seed"] == 7 and line["run_id"] is None and line["dry_run"] for line in lines)
    assert main(["qa", "sample", "--policy", "999999"]) == 2
