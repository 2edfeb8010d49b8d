"""QA figures over a period of the hotline's calendar: per agent, team or queue, the count of evaluations, the
average score, the pass and excellent rates, the critical failures, the weakest questions, and a trend by day
or week. Only submitted regular evaluations count (a calibration's never), each at its latest revision's score
(`Evaluation.score`). Everything is aggregated in SQL: the evaluations' own columns, and for the questions the
answer rows of qa/figures_models.py (docs/qa-figures.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from contactcenter.errors import Invalid
from contactcenter.qa.figures_models import AnswerWorth
from contactcenter.qa.models import Evaluation, EvaluationKind, EvaluationStatus, Scorecard, ScorecardVersion
from contactcenter.qa.scorecards import read_form
from contactcenter.users.models import User
from queues.models import Queue

GROUPS = ("agent", "team", "queue")
BUCKETS = ("day", "week")
CHANNELS = ("voice", "chat")
MAX_DAYS = 366
MAX_DAY_BUCKETS = 92  # a longer period goes by week: a chart of more points says no more
PASSING = ("pass", "excellent")
WEAKEST = 10  # questions listed for the whole selection
ROW_WEAKEST = 3  # and for each row
NO_TEAM_ROW = {"name": None, "no_team": True}  # evaluations of agents without a team


@dataclass(frozen=True)
class Period:
    """Days of the hotline's calendar, `first` to `last` included; `start`/`end` their UTC instants (end
    excluded)."""

    first: date
    last: date
    start: datetime
    end: datetime
    zone: ZoneInfo

    def instant(self, day: date) -> datetime:
        return datetime.combine(day, time(), self.zone).astimezone(UTC)

    def as_json(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "timezone": self.zone.key}


def period_of(*, first: date, last: date, timezone: str) -> Period:
    """The period from `first` to `last` (both included) in `timezone`; Invalid when reversed or over a year."""
    if last < first:
        raise Invalid("to: the last day comes on or after the first (from).")
    if (last - first).days + 1 > MAX_DAYS:
        raise Invalid(f"A period is at most {MAX_DAYS} days.")
    zone = ZoneInfo(timezone)
    try:
        start = datetime.combine(first, time(), zone).astimezone(UTC)
        end = datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC)
    except OverflowError as exc:  # the year 1 or 9999: no such period to count
        raise Invalid("from, to: days between the years 2 and 9998.") from exc
    return Period(first, last, start, end, zone)


@dataclass(frozen=True)
class Filters:
    """Which evaluations count. `agents`: only these agents' (a team lead's team); None: everyone's."""

    queue: str | None = None
    team: str | None = None
    agent_id: int | None = None
    channel: str | None = None
    scorecard_id: int | None = None
    agents: frozenset[int] | None = None

    def as_text(self) -> str:
        """The filters as given, for the access log's detail."""
        named = {"queue": self.queue, "team": self.team, "agent": self.agent_id, "channel": self.channel}
        named["scorecard"] = self.scorecard_id
        return " ".join(f"{key}={value}" for key, value in named.items() if value is not None)


def _where(table: type[Evaluation] | type[AnswerWorth], period: Period, filters: Filters) -> list[ColumnElement[bool]]:
    """The conditions both the evaluations and their answer rows are filtered by."""
    found: list[ColumnElement[bool]] = [table.submitted_at >= period.start, table.submitted_at < period.end]
    if filters.queue is not None:
        found.append(table.queue == filters.queue)
    if filters.channel is not None:
        found.append(table.channel == filters.channel)
    if filters.agent_id is not None:
        found.append(table.agent_id == filters.agent_id)
    if filters.agents is not None:
        found.append(table.agent_id.in_(sorted(filters.agents)))
    if filters.team is not None:
        found.append(table.agent_id.in_(select(User.id).where(User.team == filters.team)))
    if filters.scorecard_id is not None:
        if table is AnswerWorth:
            found.append(AnswerWorth.scorecard_id == filters.scorecard_id)
        else:
            versions = select(ScorecardVersion.id).where(ScorecardVersion.scorecard_id == filters.scorecard_id)
            found.append(Evaluation.version_id.in_(versions))
    return found


def _counted(period: Period, filters: Filters) -> list[ColumnElement[bool]]:
    """Submitted regular evaluations of the period and filters (drafts have no submission time)."""
    return [
        Evaluation.kind == EvaluationKind.REGULAR,
        Evaluation.status != EvaluationStatus.DRAFT,
        Evaluation.score.is_not(None),
        *_where(Evaluation, period, filters),
    ]


def _rates(count: int, total: float, passed: int, excellent: int, critical: int) -> dict[str, Any]:
    return {
        "count": count,
        "average": round(total / count, 1) if count else None,
        "pass_rate": round(100 * passed / count, 1) if count else None,
        "excellent_rate": round(100 * excellent / count, 1) if count else None,
        "critical_failures": critical,
    }


def _aggregates(session: Session, key: Any, buckets: Any, period: Period, filters: Filters) -> list[Any]:
    """(key, bucket, count, sum of scores, passed, excellent, critical failures) per group and trend bucket: one
    scan of the evaluations gives both the rows and the trend."""
    query = select(
        key.label("key"),
        buckets.label("bucket"),
        func.count().label("n"),
        func.sum(Evaluation.score).label("total"),
        func.sum(case((Evaluation.band.in_(PASSING), 1), else_=0)).label("passed"),
        func.sum(case((Evaluation.band == "excellent", 1), else_=0)).label("excellent"),
        func.sum(case((Evaluation.critical_failed.is_(True), 1), else_=0)).label("critical"),
    ).where(*_counted(period, filters))
    return list(session.execute(query.group_by(key, buckets)).all())


@dataclass
class Sums:
    """Counts and sums added up over several (group, bucket) rows."""

    n: int = 0
    total: float = 0.0
    passed: int = 0
    excellent: int = 0
    critical: int = 0

    def add(self, row: Any) -> None:
        self.n += row.n
        self.total += row.total or 0.0
        self.passed += row.passed
        self.excellent += row.excellent
        self.critical += row.critical

    def rates(self) -> dict[str, Any]:
        return _rates(self.n, self.total, self.passed, self.excellent, self.critical)


def _question_sums(session: Session, key: Any, period: Period, filters: Filters) -> list[Any]:
    """(key, scorecard, question, sum of worths, answers) per group and question, from the answer rows."""
    query = select(
        key.label("key"),
        AnswerWorth.scorecard_id,
        AnswerWorth.question,
        func.sum(AnswerWorth.worth).label("worth"),
        func.count().label("n"),
    ).where(*_where(AnswerWorth, period, filters))
    return list(session.execute(query.group_by(key, AnswerWorth.scorecard_id, AnswerWorth.question)).all())


_WORDS: dict[int, dict[str, dict[str, str]]] = {}  # a published version's question texts: it never changes


def _question_words(session: Session, scorecard_ids: set[int]) -> dict[tuple[int, str], dict[str, Any]]:
    """(scorecard, question) → its text (the newest version that has it) and the scorecard's name."""
    rows = session.execute(
        select(ScorecardVersion.id, ScorecardVersion.scorecard_id, ScorecardVersion.status, Scorecard.name)
        .join(Scorecard, Scorecard.id == ScorecardVersion.scorecard_id)
        .where(ScorecardVersion.scorecard_id.in_(sorted(scorecard_ids)))
        .order_by(ScorecardVersion.number)
    ).all()
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:  # oldest first: a newer version's words replace an older one's
        texts = _WORDS.get(row.id)
        if texts is None:
            form = read_form(session.get_one(ScorecardVersion, row.id).form)
            texts = {q.id: q.text.model_dump() for q in form.questions().values()}
            if row.status != "draft":
                _WORDS[row.id] = texts
        for qid, text in texts.items():
            found[(row.scorecard_id, qid)] = {"text": text, "scorecard": row.name}
    return found


def _weakest(
    sums: dict[tuple[int, str], list[float]], words: dict[tuple[int, str], dict[str, Any]], limit: int
) -> list[dict[str, Any]]:
    """The questions by their average worth, lowest first (ties: the most answered first)."""
    ordered = sorted(sums.items(), key=lambda item: (item[1][0] / item[1][1], -item[1][1], item[0]))
    return [
        {
            "scorecard_id": scorecard_id,
            "question": qid,
            "scorecard": words.get((scorecard_id, qid), {}).get("scorecard", ""),
            "text": words.get((scorecard_id, qid), {}).get("text", {"zh": qid, "en": qid}),
            "average_percent": round(100 * worth / count, 1),
            "answers": int(count),
        }
        for (scorecard_id, qid), (worth, count) in ordered[:limit]
    ]


def _labels(session: Session, group: str, keys: Sequence[Any]) -> dict[Any, dict[str, Any]]:
    """What each row is called: an agent's name and team, a queue's display name, a team's name."""
    if group == "agent":
        people = session.execute(select(User.id, User.display_name, User.team).where(User.id.in_(list(keys))))
        return {p.id: {"name": p.display_name, "team": p.team} for p in people}
    if group == "queue":
        queues = session.execute(select(Queue.name, Queue.display_name).where(Queue.name.in_(list(keys))))
        return {q.name: {"name": q.display_name or q.name} for q in queues}
    return {key: {"name": key} for key in keys}


def _key(group: str) -> Any:
    if group not in GROUPS:
        raise Invalid(f"group: one of {', '.join(GROUPS)}")
    # By team: grouped by agent in SQL and added up per team here (no join per row; teams are few).
    return {"agent": Evaluation.agent_id, "team": Evaluation.agent_id, "queue": Evaluation.queue}[group]


def _answer_key(group: str) -> Any:
    return {"agent": AnswerWorth.agent_id, "team": AnswerWorth.agent_id, "queue": AnswerWorth.queue}[group]


def starts_of(period: Period, bucket: str) -> list[date]:
    """The first day of each bucket of the period: every day, or the first day and then each Monday."""
    if bucket not in BUCKETS:
        raise Invalid(f"bucket: one of {', '.join(BUCKETS)}")
    days = (period.last - period.first).days + 1
    if bucket == "day":
        if days > MAX_DAY_BUCKETS:
            raise Invalid(f"A trend by day covers at most {MAX_DAY_BUCKETS} days; choose by week.")
        return [period.first + timedelta(days=n) for n in range(days)]
    return [period.first] + [
        period.first + timedelta(days=n) for n in range(1, days) if (period.first + timedelta(days=n)).weekday() == 0
    ]


def _bucket_of(period: Period, starts: list[date]) -> Any:
    """The trend bucket of an evaluation: by the buckets' UTC starts (daylight saving included), compared in
    SQL, the same on every database."""
    return case(
        *[(Evaluation.submitted_at < period.instant(day), n) for n, day in enumerate(starts[1:])],
        else_=len(starts) - 1,
    )


def _trend(starts: list[date], sums: dict[int, Sums]) -> list[dict[str, Any]]:
    """Count and average score per bucket, every bucket of the period listed."""
    empty = Sums()
    return [
        {"start": day.isoformat(), "count": sums.get(n, empty).n, "average": sums.get(n, empty).rates()["average"]}
        for n, day in enumerate(starts)
    ]


def figures(session: Session, *, period: Period, group: str, filters: Filters, bucket: str = "week") -> dict[str, Any]:
    """The figures of the period: a row per agent, team or queue, the totals, the weakest questions, the trend."""
    key, starts = _key(group), starts_of(period, bucket)
    aggregates = _aggregates(session, key, _bucket_of(period, starts), period, filters)
    per_group: dict[Any, Sums] = defaultdict(Sums)
    per_bucket: dict[int, Sums] = defaultdict(Sums)
    totals = Sums()
    team_of: dict[int, str | None] | None = None
    if group == "team":
        team_of = {row.id: row.team for row in session.execute(select(User.id, User.team))}

    def group_of(value: Any) -> Any:
        return value if team_of is None else team_of.get(value)

    for line in aggregates:
        for sums in (per_group[group_of(line.key)], per_bucket[line.bucket], totals):
            sums.add(line)
    question_rows = _question_sums(session, _answer_key(group), period, filters)
    words = _question_words(session, {row.scorecard_id for row in question_rows}) if question_rows else {}
    overall: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0])
    per_key: dict[Any, dict[tuple[int, str], list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0]))
    for row in question_rows:
        for tally in (overall, per_key[group_of(row.key)]):
            tally[(row.scorecard_id, row.question)][0] += row.worth
            tally[(row.scorecard_id, row.question)][1] += row.n
    labels = _labels(session, group, [value for value in per_group if value is not None])
    rows = [
        {
            "key": value,
            **labels.get(value, {"name": value}),
            **(NO_TEAM_ROW if group == "team" and value is None else {}),
            **sums.rates(),
            "weakest": _weakest(per_key.get(value, {}), words, ROW_WEAKEST),
        }
        for value, sums in per_group.items()
    ]
    rows.sort(key=lambda row: (row["key"] is None, str(row.get("name") or "")))
    return {
        "period": period.as_json(),
        "group": group,
        "bucket": bucket,
        "totals": totals.rates(),
        "rows": rows,
        "weakest": _weakest(overall, words, WEAKEST),
        "trend": _trend(starts, per_bucket),
    }


def own_figures(session: Session, *, agent_id: int, period: Period, bucket: str = "week") -> dict[str, Any]:
    """One agent's own figures (their console): totals, trend, their weakest questions."""
    found = figures(session, period=period, group="agent", filters=Filters(agent_id=agent_id), bucket=bucket)
    return {key: found[key] for key in ("period", "bucket", "totals", "weakest", "trend")}
