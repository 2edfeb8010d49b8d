"""QA figures on the in-process system: averages, pass and excellent rates and critical failures per agent, team
and queue; the weakest questions (lowest first, the same question across a scorecard's versions); the trend by
the hotline's days and weeks; calibrations and drafts never counted; who sees whose; coaching notes; the CSV
and XLSX exports and their entries in the access log. Each test counts a period of its own."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.audit.models import AccessEntry, AuditEvent
from contactcenter.context import Services
from contactcenter.demo import TEAM
from contactcenter.qa.figures import Filters, figures, period_of, starts_of
from contactcenter.qa.models import EvaluationKind, EvaluationStatus
from contactcenter.users.models import Role, User
from contactcenter.users.service import create_user
from tests.conftest import System
from tests.inprocess import DEMO_PASSWORD
from tests.qa_seed import BEST, CRITICAL, FAIR, answer_table, evaluate, form, published, republished
from tests.qa_world import extra_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
OTHER_TEAM = "二组 质检 Team QA"


def at(day: str, clock: str = "10:00") -> datetime:
    """A moment of the hotline's calendar."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def services(system: System) -> Services:
    built: Services = system.client.app.state.services  # type: ignore[attr-defined]
    answer_table(built.db.engine)
    return built


@pytest.fixture(scope="module")
def world(services: Services) -> dict[str, int]:
    """The demo's people, an agent of another team, a QA lead and a published scorecard."""
    with services.db.session() as session:
        ids = {u.username: u.id for u in session.scalars(select(User))}
        other = create_user(
            session, username="qa_fig_other", password=DEMO_PASSWORD, role=Role.AGENT, team=OTHER_TEAM,
            display_name="赵六 Zhao Liu", queues=["general"],
        )  # fmt: skip
        lead = create_user(session, username="qa_fig_lead", password=DEMO_PASSWORD, role=Role.QA, qa_lead=True)
        scorecard_id, version_id = published(session, name="通话质检 Calls", actor_id=ids["admin"])
        session.flush()
        made = {"other": other.id, "qa_lead": lead.id, "scorecard": scorecard_id, "version": version_id}
    return {**ids, **made}


def seed(services: Services, world: dict[str, int], rows: list[tuple[str, dict[str, object], datetime]]) -> None:
    """Submitted evaluations: (agent's username or key, answers, when)."""
    with services.db.session() as session:
        for who, answers, when in rows:
            evaluate(
                session, agent_id=world[who], evaluator_id=world["qa"], version_id=world["version"],
                answers=answers, at=when,
            )  # fmt: skip


def figures_of(services: Services, first: str, last: str, group: str = "agent", **filters: Any) -> dict[str, Any]:
    period = period_of(first=date.fromisoformat(first), last=date.fromisoformat(last), timezone="Asia/Shanghai")
    with services.db.reading() as session:
        return figures(session, period=period, group=group, filters=Filters(**filters))


def test_averages_pass_rates_and_critical_failures_per_agent(services: Services, world: dict[str, int]) -> None:
    seed(services, world, [("agent1", BEST, at("2025-01-06")), ("agent1", FAIR, at("2025-01-07"))])
    seed(services, world, [("agent1", CRITICAL, at("2025-01-08")), ("agent2", BEST, at("2025-01-08"))])
    found = figures_of(services, "2025-01-01", "2025-01-31")
    rows = {row["key"]: row for row in found["rows"]}
    assert rows[world["agent1"]] | {"weakest": []} == {
        "key": world["agent1"], "name": "王芳 Wang Fang", "team": TEAM, "count": 3, "average": 60.0,
        "pass_rate": 66.7, "excellent_rate": 33.3, "critical_failures": 1, "weakest": [],
    }  # fmt: skip
    assert rows[world["agent2"]]["average"] == 100.0 and rows[world["agent2"]]["pass_rate"] == 100.0
    assert found["totals"] == {
        "count": 4, "average": 70.0, "pass_rate": 75.0, "excellent_rate": 50.0, "critical_failures": 1
    }  # fmt: skip


def test_calibrations_and_drafts_are_not_counted(services: Services, world: dict[str, int]) -> None:
    seed(services, world, [("agent2", FAIR, at("2025-02-03"))])
    with services.db.session() as session:
        common = {"evaluator_id": world["qa"], "version_id": world["version"], "at": at("2025-02-04")}
        evaluate(session, agent_id=world["agent2"], answers=CRITICAL, kind=EvaluationKind.CALIBRATION, **common)  # type: ignore[arg-type]
        evaluate(session, agent_id=world["agent2"], answers=BEST, status=EvaluationStatus.DRAFT, **common)  # type: ignore[arg-type]
    found = figures_of(services, "2025-02-01", "2025-02-28")
    assert found["totals"]["count"] == 1 and found["totals"]["average"] == 80.0
    assert found["totals"]["critical_failures"] == 0
    assert {q["question"]: q["answers"] for q in found["weakest"]} == {"greet": 1, "empathy": 1, "resolve": 1}


def test_weakest_questions_come_lowest_first_the_same_across_versions(
    services: Services, world: dict[str, int]
) -> None:
    with services.db.session() as session:
        scorecard_id, first = published(session, name="质检 v1", actor_id=world["admin"])
        second = republished(
            session, scorecard_id=scorecard_id, actor_id=world["admin"], the_form=form(greet="Greets by name")
        )
        for version, answers in (
            (first, {"greet": "no", "empathy": "na", "resolve": "partial"}),
            (second, {"greet": "no", "empathy": 3, "resolve": "full"}),
            (second, {"greet": "yes", "empathy": 5, "resolve": "full"}),
        ):
            evaluate(
                session, agent_id=world["agent1"], evaluator_id=world["qa"], version_id=version, answers=answers,
                at=at("2025-03-20"), queue="repair",
            )  # fmt: skip
    found = figures_of(services, "2025-03-16", "2025-03-31", scorecard_id=scorecard_id)
    weakest = [(q["question"], q["average_percent"], q["answers"]) for q in found["weakest"]]
    # greet: 0, 0, 100; empathy: 50 and 100 (the "na" left out); resolve: 50, 100, 100.
    assert weakest == [("greet", 33.3, 3), ("empathy", 75.0, 2), ("resolve", 83.3, 3)]
    assert found["weakest"][0]["text"] == {"zh": "问候客户", "en": "Greets by name"}  # the newest version's words
    assert found["weakest"][0]["scorecard"] == "质检 v1"
    assert [q["question"] for q in found["rows"][0]["weakest"]] == ["greet", "empathy", "resolve"]


def test_the_trend_buckets_are_the_hotlines_days_and_weeks(services: Services, world: dict[str, int]) -> None:
    # 23:30 on the 2nd in Shanghai is the 2nd's; 00:30 on the 3rd is the 3rd's (16:30 UTC on the 2nd).
    seed(services, world, [("agent2", BEST, at("2025-04-02", "23:30")), ("agent2", FAIR, at("2025-04-03", "00:30"))])
    assert at("2025-04-03", "00:30").astimezone(UTC).day == 2
    found = figures_of(services, "2025-04-01", "2025-04-14")
    by_day = {b["start"]: (b["count"], b["average"]) for b in found["trend"]}  # the period's default: by week
    assert by_day == {"2025-04-01": (2, 90.0), "2025-04-07": (0, None), "2025-04-14": (0, None)}
    period = period_of(first=date(2025, 4, 1), last=date(2025, 4, 14), timezone="Asia/Shanghai")
    with services.db.reading() as session:
        daily = figures(session, period=period, group="agent", filters=Filters(), bucket="day")["trend"]
    assert len(daily) == 14 and [(b["start"], b["count"], b["average"]) for b in daily[1:3]] == [
        ("2025-04-02", 1, 100.0), ("2025-04-03", 1, 80.0),
    ]  # fmt: skip
    assert starts_of(period, "week") == [date(2025, 4, 1), date(2025, 4, 7), date(2025, 4, 14)]


def test_grouping_by_team_and_by_queue(services: Services, world: dict[str, int]) -> None:
    seed(services, world, [("agent1", BEST, at("2025-05-05")), ("other", CRITICAL, at("2025-05-05"))])
    with services.db.session() as session:
        evaluate(
            session, agent_id=world["agent2"], evaluator_id=world["qa"], version_id=world["version"],
            answers=FAIR, at=at("2025-05-06"), queue="repair", channel="chat",
        )  # fmt: skip
    teams = {
        row["key"]: (row["count"], row["average"])
        for row in figures_of(services, "2025-05-01", "2025-05-31", "team")["rows"]
    }
    assert teams == {TEAM: (2, 90.0), OTHER_TEAM: (1, 0.0)}
    queues = {row["key"]: row["count"] for row in figures_of(services, "2025-05-01", "2025-05-31", "queue")["rows"]}
    assert queues == {"general": 2, "repair": 1}
    chats = figures_of(services, "2025-05-01", "2025-05-31", "queue", channel="chat", team=TEAM)
    assert [(row["key"], row["count"]) for row in chats["rows"]] == [("repair", 1)]


def test_a_team_lead_sees_only_their_team(system: System, services: Services, world: dict[str, int]) -> None:
    seed(services, world, [("agent1", BEST, at("2025-06-02")), ("other", FAIR, at("2025-06-02"))])
    lead = system.login("supervisor")
    answer = lead.get("/api/qa/figures", params={"from": "2025-06-01", "to": "2025-06-30"})
    assert answer.status_code == 200, answer.text
    assert [row["key"] for row in answer.json()["rows"]] == [world["agent1"]]
    assert (
        lead.get("/api/qa/figures", params={"from": "2025-06-01", "to": "2025-06-30", "team": OTHER_TEAM}).status_code
        == 403
    )
    assert (
        lead.get(
            "/api/qa/figures", params={"from": "2025-06-01", "to": "2025-06-30", "agent": world["other"]}
        ).status_code
        == 403
    )
    qa = system.login("qa").get("/api/qa/figures", params={"from": "2025-06-01", "to": "2025-06-30"})
    assert {row["key"] for row in qa.json()["rows"]} == {world["agent1"], world["other"]}


def test_an_agent_sees_only_their_own_figures_and_notes(
    system: System, services: Services, world: dict[str, int]
) -> None:
    seed(services, world, [("agent1", FAIR, at("2025-07-02")), ("agent2", CRITICAL, at("2025-07-02"))])
    agent = system.login("agent1")
    assert agent.get("/api/qa/figures", params={"from": "2025-07-01"}).status_code == 403
    assert agent.get(f"/api/qa/agents/{world['agent1']}/coaching-notes").status_code == 403
    note = system.login("supervisor").post(
        f"/api/qa/agents/{world['agent1']}/coaching-notes", json={"text": "开场先问候客户 Greet first"}
    )
    assert note.status_code == 201, note.text
    own = agent.get("/api/qa/my-figures", params={"from": "2025-07-01", "to": "2025-07-31"}).json()
    assert own["totals"]["count"] == 1 and own["totals"]["average"] == 80.0
    assert own["weakest"][0]["question"] == "greet"
    assert own["coaching_notes"][0]["text"] == "开场先问候客户 Greet first"


def test_coaching_notes_are_written_by_leads_and_recorded(
    system: System, services: Services, world: dict[str, int]
) -> None:
    path = f"/api/qa/agents/{world['agent2']}/coaching-notes"
    extra_user(services, "qa_staff", Role.QA)
    plain = system.login("qa_staff", "correct horse battery 1")
    assert plain.post(path, json={"text": "x"}).status_code == 403  # QA staff who lead nothing
    assert (
        system.login("supervisor")
        .post(f"/api/qa/agents/{world['other']}/coaching-notes", json={"text": "x"})
        .status_code
        == 403
    )  # another team's agent
    made = system.login("qa_fig_lead").post(path, json={"text": "语速放慢 Slow down"})
    assert made.status_code == 201, made.text
    listed = system.login("supervisor").get(path).json()["notes"]
    assert listed[0]["text"] == "语速放慢 Slow down" and listed[0]["author_id"] == world["qa_lead"]
    with services.db.reading() as session:
        event = session.execute(
            select(AuditEvent.subject_type, AuditEvent.data).where(
                AuditEvent.kind == "coaching_note_added", AuditEvent.subject_id == str(world["agent2"])
            )
        ).one()
    assert event.subject_type == "agent" and event.data["note_id"] == made.json()["id"]


def exports_logged(session: Session, user_id: int) -> list[AccessEntry]:
    query = select(AccessEntry).where(AccessEntry.object_type == "qa_figures", AccessEntry.user_id == user_id)
    return list(session.scalars(query))


def test_the_csv_starts_with_a_bom_and_reads_as_utf8_with_chinese_names(
    system: System, services: Services, world: dict[str, int]
) -> None:
    seed(services, world, [("agent1", BEST, at("2025-08-04")), ("agent1", FAIR, at("2025-08-05"))])
    answer = system.login("manager").get("/api/qa/figures.csv", params={"from": "2025-08-01", "to": "2025-08-31"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["坐席 Agent", "团队 Team", "评估数 Evaluations"]
    assert rows[1][:7] == ["王芳 Wang Fang", TEAM, "2", "90.0", "100.0", "50.0", "0"]
    assert rows[-1][0] == "合计 Total"
    english = system.login("manager").get(
        "/api/qa/figures.csv", params={"from": "2025-08-01", "to": "2025-08-31", "lang": "en"}
    )
    assert english.content.decode("utf-8-sig").startswith("Agent,Team,Evaluations")
    with services.db.reading() as session:
        logged = [(entry.action, entry.detail) for entry in exports_logged(session, world["manager"])]
    assert [action for action, _ in logged] == ["export", "export"]
    assert logged[0][1].startswith("2025-08-01..2025-08-31 group=agent")


def test_the_xlsx_opens_with_the_same_rows_and_is_logged(
    system: System, services: Services, world: dict[str, int]
) -> None:
    seed(services, world, [("agent2", CRITICAL, at("2025-09-01"))])
    answer = system.login("admin").get("/api/qa/figures.xlsx", params={"from": "2025-09-01", "to": "2025-09-30"})
    assert answer.status_code == 200, answer.text
    assert "attachment" in answer.headers["content-disposition"]
    assert "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "坐席 Agent" and rows[1][:7] == ("李明 Li Ming", TEAM, 1, 0, 0, 0, 1)
    assert [sheet.title for sheet in book.worksheets] == ["质检数据 QA figures", "最弱问题 Weakest", "趋势 Trend"]
    with services.db.reading() as session:
        assert len(exports_logged(session, world["admin"])) == 1


def test_bad_periods_and_filters_are_refused_plainly(system: System, world: dict[str, int]) -> None:
    manager = system.login("manager")
    for params in (
        {"from": "2025-13-01"}, {"from": "2025-03-01", "to": "2025-02-01"}, {"from": "2024-01-01", "to": "2025-06-01"},
        {"from": "2025-01-01", "to": "2025-06-01", "bucket": "fortnight"}, {"group": "city"}, {"agent": "x"},
        {"channel": "fax"}, {"to": "9999-12-31", "from": "9999-12-01"},
    ):  # fmt: skip
        answer = manager.get("/api/qa/figures", params=params)
        assert answer.status_code == 400, (params, answer.text)
