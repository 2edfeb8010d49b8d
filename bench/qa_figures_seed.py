"""Seeding of the QA figures benchmark's PostgreSQL database: the schema by the migrations (and the answer rows'
table from its model until its migration exists), then a bulk load by COPY: queues, three teams of agents with
their leads, QA evaluators, a ten-question scorecard in two published versions, contacts, evaluations over a
year (each scored by the form's own rules, `qa/forms.py`), their first revisions and their answer rows. The
secondary indexes of the loaded tables are dropped for the load and built again after it; then VACUUM ANALYZE.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg

from contactcenter.qa.forms import NA, Form, score

TEAMS = {"east": ("general", "repair"), "south": ("complaints", "orders"), "north": ("general", "orders")}
AGENTS_PER_TEAM = 20
EVALUATORS = 6
CONTACTS = 2000
LOADED = ("qa_evaluations", "qa_evaluation_revisions", "qa_answer_worths")
SECTIONS = (  # (id, weight, [(question, kind, weight, critical, allow_na)])
    ("open", 20, [("greet", "yes_no", 40, None, False), ("verify", "yes_no", 60, "section", False)]),
    ("talk", 40, [("empathy", "scale", 30, None, True), ("clarity", "scale", 30, None, False),
                  ("hold", "yes_no", 20, None, True), ("accuracy", "choice", 20, "form", False)]),
    ("close", 40, [("resolve", "choice", 50, None, False), ("next_steps", "yes_no", 20, None, True),
                   ("recap", "yes_no", 15, None, False), ("farewell", "yes_no", 15, None, False)]),
)  # fmt: skip
CHOICES = [{"id": i, "label": {"zh": z, "en": e}, "score": s} for i, z, e, s in (
    ("full", "完全", "Fully", 100), ("partial", "部分", "Partly", 50), ("none", "没有", "Not", 0))]  # fmt: skip


def make_form(version: int) -> Form:
    """The benchmark's scorecard; version 2 rewords two questions (the same questions: their ids stay)."""
    words = {q: (f"问题 {q}", f"Question {q}" + (" (v2)" if version == 2 and q in ("greet", "recap") else ""))
             for _, _, qs in SECTIONS for q, *_ in qs}  # fmt: skip
    sections = []
    for sid, weight, questions in SECTIONS:
        items = []
        for qid, kind, qweight, critical, allow_na in questions:
            item = {"id": qid, "text": {"zh": words[qid][0], "en": words[qid][1]}, "kind": kind, "weight": qweight}
            item.update({"critical": critical, "allow_na": allow_na})
            if kind == "choice":
                item["options"] = CHOICES
            items.append(item)
        sections.append({"id": sid, "title": {"zh": sid, "en": sid}, "weight": weight, "questions": items})
    return Form.model_validate({"sections": sections, "bands": {"pass": 80, "excellent": 95}})


@dataclass
class Seeded:
    now: datetime
    agents: dict[int, str] = field(default_factory=dict)  # id → team
    leads: dict[str, int] = field(default_factory=dict)  # team → the lead's id
    managers: list[int] = field(default_factory=list)
    scorecard_id: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)


def _answers(rng: random.Random, form: Form, skill: float) -> dict[str, object]:
    """One evaluation's answers: an agent of `skill` (0-1) answers well that often; some n/a where allowed."""
    found: dict[str, object] = {}
    for question in form.questions().values():
        if question.allow_na and rng.random() < 0.12:
            found[question.id] = NA
        elif question.kind == "scale":
            found[question.id] = max(1, min(5, round(1 + 4 * rng.betavariate(1 + 6 * skill, 2))))
        elif question.kind == "choice":
            good = rng.random() < skill + (0.25 if question.critical else 0)
            found[question.id] = "full" if good else rng.choice(("partial", "partial", "none"))
        else:
            found[question.id] = "yes" if rng.random() < skill + (0.2 if question.critical else 0) else "no"
    return found


def _people(conn: psycopg.Connection, seeded: Seeded) -> list[int]:
    """Queues, the agents of each team (in their team's queues) and its lead, QA evaluators, a manager."""
    queue_ids = {}
    for name in sorted({q for queues in TEAMS.values() for q in queues}):
        queue_ids[name] = conn.execute(
            "INSERT INTO queues (name, display_name, skills, strategy, service_level_percent, service_level_seconds,"
            " overflow, weight, created_at) VALUES (%s, %s, '{}', 'longest_idle', 80, 15, '[]', 1, now()) RETURNING id",
            (name, name.title()),
        ).fetchone()[0]  # type: ignore[index]

    def user(username: str, role: str, team: str | None, qa_lead: bool = False) -> int:
        return conn.execute(
            "INSERT INTO users (username, display_name, password_hash, role, skills, active, team, qa_lead, created_at,"
            " must_change_password) VALUES (%s, %s, 'x', %s, '{}', true, %s, %s, now(), false) RETURNING id",
            (username, f"坐席 {username}", role, team, qa_lead),
        ).fetchone()[0]  # type: ignore[index]

    for team, queues in TEAMS.items():
        for n in range(1, AGENTS_PER_TEAM + 1):
            agent = user(f"{team}{n:02d}", "agent", team)
            seeded.agents[agent] = team
            for queue in queues:
                conn.execute("INSERT INTO queue_members (user_id, queue_id) VALUES (%s, %s)", (agent, queue_ids[queue]))
        seeded.leads[team] = user(f"lead_{team}", "supervisor", team)
    seeded.managers.append(user("manager1", "manager", None))
    return [user(f"qa{n}", "qa", None, qa_lead=n == 1) for n in range(1, EVALUATORS + 1)]


def _copy(conn: psycopg.Connection, statement: str, lines: Iterator[str], batch: int = 5000) -> int:
    count = 0
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        chunk: list[str] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= batch:
                copy.write("".join(chunk))
                count += len(chunk)
                chunk.clear()
        copy.write("".join(chunk))
        count += len(chunk)
    return count


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def seed(url: str, *, evaluations: int, say: Callable[[str], None] = print) -> Seeded:
    """Load the migrated, empty database at `url` (a plain postgresql:// URL for psycopg)."""
    rng = random.Random(17)
    seeded = Seeded(datetime.now(UTC).replace(microsecond=0))
    forms = {1: make_form(1), 2: make_form(2)}
    with psycopg.connect(url, autocommit=True) as conn:
        began = time.perf_counter()
        evaluators = _people(conn, seeded)
        card = conn.execute(
            "INSERT INTO qa_scorecards (name, archived, created_at) VALUES (%s, false, now()) RETURNING id",
            ("通话质检 Calls",),
        ).fetchone()[0]  # type: ignore[index]
        seeded.scorecard_id = card
        versions = {}
        for number, status in ((1, "retired"), (2, "published")):
            versions[number] = conn.execute(
                "INSERT INTO qa_scorecard_versions (scorecard_id, number, status, form, created_at, published_at)"
                " VALUES (%s, %s, %s, %s, now(), now()) RETURNING id",
                (card, number, status, json.dumps(forms[number].as_json())),
            ).fetchone()[0]  # type: ignore[index]
        agents = list(seeded.agents)
        contacts = _copy(
            conn,
            "COPY contacts (channel, provider_id, direction, from_number, to_number, status, queue, agent_id,"
            " identity_verified, priority, created_at) FROM STDIN",
            (
                f"voice\tCA-bench-{n}\tinbound\t+8613800138000\t+862180000000\tended\tgeneral\t"
                f"{agents[n % len(agents)]}"
                f"\tf\t0\t{_iso(seeded.now)}\n"
                for n in range(CONTACTS)
            ),  # fmt: skip
        )
        contact_ids = [r[0] for r in conn.execute("SELECT id FROM contacts ORDER BY id").fetchall()]
        definitions = conn.execute(
            "SELECT indexdef, indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(%s)"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            (list(LOADED),),
        ).fetchall()
        for _, name in definitions:
            conn.execute(f'DROP INDEX "{name}"')
        seeded.phases["people"] = time.perf_counter() - began
        say(f"  people, scorecard, {contacts} contacts: {seeded.phases['people']:.1f} s")

        began = time.perf_counter()
        skill = {agent: rng.uniform(0.55, 0.95) for agent in agents}
        answer_lines: list[str] = []
        start = seeded.now - timedelta(days=365)

        def evaluation_lines() -> Iterator[str]:
            for n in range(1, evaluations + 1):
                agent = agents[rng.randrange(len(agents))]
                team = seeded.agents[agent]
                queue = rng.choice(TEAMS[team])
                channel = "chat" if rng.random() < 0.3 else "voice"
                at = start + timedelta(seconds=rng.uniform(0, 365 * 86400))
                number = 1 if at < start + timedelta(days=150) else 2  # version 2 published after five months
                answers = _answers(rng, forms[number], skill[agent])
                kind = "calibration" if rng.random() < 0.02 else "regular"
                draft = rng.random() < 0.03
                result = score(forms[number], answers)
                stamps = f"{_iso(at)}\t{_iso(at)}"
                if draft:
                    yield (f"{n}\t{contact_ids[n % len(contact_ids)]}\t{agent}\t{rng.choice(evaluators)}\t"
                           f"{versions[number]}\t{kind}\tdraft\t{queue}\t{channel}\t{json.dumps(answers)}\t\\N\t\\N"
                           f"\tf\t0\t{stamps}\t\\N\n")  # fmt: skip
                    continue
                status = rng.choice(("submitted", "acknowledged", "acknowledged", "acknowledged", "disputed"))
                yield (f"{n}\t{contact_ids[n % len(contact_ids)]}\t{agent}\t{rng.choice(evaluators)}\t"
                       f"{versions[number]}\t{kind}\t{status}\t{queue}\t{channel}\t{json.dumps(answers)}\t"
                       f"{result.score}\t{result.band}\t{'t' if result.critical_failed else 'f'}\t1\t{stamps}"
                       f"\t{_iso(at)}\n")  # fmt: skip
                if kind == "regular":
                    questions = forms[number].questions()
                    answer_lines.extend(
                        f"{n}\t{qid}\t{card}\t{agent}\t{queue}\t{channel}\t{_iso(at)}\t{questions[qid].worth(a)}\n"
                        for qid, a in answers.items()
                        if a != NA
                    )

        seeded.counts["evaluations"] = _copy(
            conn,
            "COPY qa_evaluations (id, contact_id, agent_id, evaluator_id, version_id, kind, status, queue, channel,"
            " answers, score, band, critical_failed, revision, created_at, updated_at, submitted_at) FROM STDIN",
            evaluation_lines(),
        )
        conn.execute("SELECT setval('qa_evaluations_id_seq', (SELECT max(id) FROM qa_evaluations))")
        seeded.counts["answer_rows"] = _copy(
            conn,
            "COPY qa_answer_worths (evaluation_id, question, scorecard_id, agent_id, queue, channel, submitted_at,"
            " worth) FROM STDIN",
            iter(answer_lines),
        )
        conn.execute(
            "INSERT INTO qa_evaluation_revisions (evaluation_id, number, answers, score, band, critical_failed, reason,"
            " actor_id, created_at) SELECT id, 1, answers, score, band, critical_failed, 'submitted', evaluator_id,"
            " submitted_at FROM qa_evaluations WHERE status <> 'draft'"
        )
        seeded.phases["evaluations"] = time.perf_counter() - began
        say(f"  {evaluations:,} evaluations, {seeded.counts['answer_rows']:,} answer rows: "
            f"{seeded.phases['evaluations']:.1f} s")  # fmt: skip

        began = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '512MB'")
        for definition, _ in definitions:
            conn.execute(definition)
        for table in (*LOADED, "contacts", "users"):
            conn.execute(f"VACUUM ANALYZE {table}")
        seeded.phases["indexes"] = time.perf_counter() - began
        say(f"  indexes and VACUUM ANALYZE: {seeded.phases['indexes']:.1f} s")
        seeded.counts["regular_submitted"] = conn.execute(
            "SELECT count(*) FROM qa_evaluations WHERE kind = 'regular' AND status <> 'draft'"
        ).fetchone()[0]  # type: ignore[index]
    return seeded
