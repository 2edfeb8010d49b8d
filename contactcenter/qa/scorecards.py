"""Scorecards and their versions: a draft is edited freely, publishing checks the weights and freezes it (the
version before is retired, its evaluations keep it), and an edit of a published scorecard starts a new draft."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.errors import Conflict, Invalid, NotFound
from contactcenter.qa.forms import Form, rebalance, weight_problems
from contactcenter.qa.models import Scorecard, ScorecardVersion, VersionStatus
from contactcenter.timeutil import iso, utcnow

CHANNELS = ("voice", "chat")


def _event(session: Session, scorecard: Scorecard, kind: str, actor: str, **data: Any) -> None:
    record_event(session, actor=actor, subject_type="scorecard", subject_id=scorecard.id, kind=kind, **data)


def read_form(data: Any) -> Form:
    """A form as sent (or stored); Invalid naming each problem."""
    try:
        return Form.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'form'}: {e['msg']}" for e in exc.errors())
        raise Invalid(f"The form is not valid: {problems}") from exc


def get_scorecard(session: Session, *, scorecard_id: int) -> Scorecard:
    """The scorecard of this id; NotFound if none."""
    scorecard = session.get(Scorecard, scorecard_id)
    if scorecard is None:
        raise NotFound(f"No scorecard {scorecard_id}.")
    return scorecard


def get_version(session: Session, *, version_id: int) -> ScorecardVersion:
    """The scorecard version of this id; NotFound if none."""
    version = session.get(ScorecardVersion, version_id)
    if version is None:
        raise NotFound(f"No scorecard version {version_id}.")
    return version


def versions_of(session: Session, *, scorecard_id: int) -> list[ScorecardVersion]:
    """A scorecard's versions, newest first."""
    query = select(ScorecardVersion).where(ScorecardVersion.scorecard_id == scorecard_id)
    return list(session.scalars(query.order_by(ScorecardVersion.number.desc())))


def _check_where(channel: str | None, queue: str | None) -> None:
    if channel is not None and channel not in CHANNELS:
        raise Invalid(f"channel: one of {', '.join(CHANNELS)}, or none for both")
    if queue is not None and not queue.strip():
        raise Invalid("queue: a queue's name, or none for every queue")


def create_scorecard(
    session: Session, *, name: str, channel: str | None, queue: str | None, form: Form, actor_id: int
) -> ScorecardVersion:
    """A new scorecard with its first version, a draft."""
    _check_where(channel, queue)
    scorecard = Scorecard(name=name, channel=channel, queue=queue, created_by=actor_id)
    session.add(scorecard)
    session.flush()
    version = ScorecardVersion(scorecard_id=scorecard.id, number=1, form=form.as_json(), created_by=actor_id)
    session.add(version)
    session.flush()
    _event(session, scorecard, "created", f"user:{actor_id}", name=name, channel=channel, queue=queue)
    return version


def save_draft(
    session: Session,
    *,
    scorecard_id: int,
    form: Form,
    actor_id: int,
    balance: bool = False,
    name: str | None = None,
    channel: str | None = None,
    queue: str | None = None,
    where_given: bool = False,
) -> ScorecardVersion:
    """Save the scorecard's draft (a new one, numbered next, when the latest version is published); with
    `balance`, the weights are first scaled to total 100."""
    scorecard = get_scorecard(session, scorecard_id=scorecard_id)
    if scorecard.archived:
        raise Conflict("This scorecard is archived; restore it before editing.")
    if where_given:
        _check_where(channel, queue)
        scorecard.channel, scorecard.queue = channel, queue
    if name:
        scorecard.name = name
    if balance:
        form = rebalance(form)
    latest = versions_of(session, scorecard_id=scorecard_id)[0]
    if latest.status == VersionStatus.DRAFT:
        latest.form = form.as_json()
        _event(session, scorecard, "draft_saved", f"user:{actor_id}", version=latest.number)
        return latest
    draft = ScorecardVersion(
        scorecard_id=scorecard_id, number=latest.number + 1, form=form.as_json(), created_by=actor_id
    )
    session.add(draft)
    session.flush()
    _event(session, scorecard, "draft_started", f"user:{actor_id}", version=draft.number, after=latest.number)
    return draft


def publish(session: Session, *, scorecard_id: int, actor_id: int) -> ScorecardVersion:
    """Publish the scorecard's draft: its weights must total 100; the version published before retires."""
    scorecard = get_scorecard(session, scorecard_id=scorecard_id)
    versions = versions_of(session, scorecard_id=scorecard_id)
    draft = versions[0]
    if draft.status != VersionStatus.DRAFT:
        raise Conflict(f"Version {draft.number} is already published; edit the scorecard to start a new draft.")
    problems = weight_problems(read_form(draft.form))
    if problems:
        raise Invalid("The weights do not add up: " + "; ".join(problems) + ". Rebalance them, then publish.")
    for older in versions[1:]:
        if older.status == VersionStatus.PUBLISHED:
            older.status = VersionStatus.RETIRED
    draft.status, draft.published_by, draft.published_at = VersionStatus.PUBLISHED, actor_id, utcnow()
    _event(session, scorecard, "published", f"user:{actor_id}", version=draft.number)
    return draft


def set_archived(session: Session, *, scorecard_id: int, archived: bool, actor_id: int) -> Scorecard:
    """Archive a scorecard (no new evaluations use it; old ones keep it) or restore it."""
    scorecard = get_scorecard(session, scorecard_id=scorecard_id)
    if scorecard.archived != archived:
        scorecard.archived = archived
        _event(session, scorecard, "archived" if archived else "restored", f"user:{actor_id}")
    return scorecard


def published_for(session: Session, *, channel: str, queue: str | None) -> ScorecardVersion | None:
    """The published version new evaluations of a contact on this channel and queue use: a scorecard for the
    queue before one for every queue, one for the channel before one for both; the newest first."""
    query = (
        select(ScorecardVersion, Scorecard)
        .join(Scorecard, Scorecard.id == ScorecardVersion.scorecard_id)
        .where(
            ScorecardVersion.status == VersionStatus.PUBLISHED,
            Scorecard.archived.is_(False),
            or_(Scorecard.channel.is_(None), Scorecard.channel == channel),
            or_(Scorecard.queue.is_(None), Scorecard.queue == queue),
        )
    )
    found = session.execute(query).all()
    if not found:
        return None
    best = max(found, key=lambda row: (row[1].queue is not None, row[1].channel is not None, row[1].id))
    return best[0]


def listing(session: Session) -> list[dict[str, Any]]:
    """Every scorecard with its latest and its published version's numbers."""
    latest = dict(
        session.execute(
            select(ScorecardVersion.scorecard_id, func.max(ScorecardVersion.number)).group_by(
                ScorecardVersion.scorecard_id
            )
        ).all()
    )
    published = dict(
        session.execute(
            select(ScorecardVersion.scorecard_id, ScorecardVersion.number).where(
                ScorecardVersion.status == VersionStatus.PUBLISHED
            )
        ).all()
    )
    return [
        {
            "id": s.id,
            "name": s.name,
            "channel": s.channel,
            "queue": s.queue,
            "archived": s.archived,
            "latest_version": latest.get(s.id),
            "published_version": published.get(s.id),
        }
        for s in session.scalars(select(Scorecard).order_by(Scorecard.archived, Scorecard.name))
    ]


def version_view(version: ScorecardVersion, scorecard: Scorecard) -> dict[str, Any]:
    """A version as the API shows it, with its weights' problems (what keeps a draft from being published)."""
    return {
        "id": version.id,
        "scorecard": {
            "id": scorecard.id,
            "name": scorecard.name,
            "channel": scorecard.channel,
            "queue": scorecard.queue,
        },
        "number": version.number,
        "status": version.status,
        "form": version.form,
        "weight_problems": weight_problems(read_form(version.form)),
        "created_at": iso(version.created_at),
        "published_at": iso(version.published_at),
    }
