"""Calibration: a QA lead picks a contact and evaluators (and an expert, or none); each scores it blind on the
same scorecard version; once all have submitted (or the lead closes it) the comparison shows, per question,
each evaluator's answer beside the reference (the expert's, else the mean) and flags an evaluator whose score
is QA_CALIBRATION_POINTS or more off. Calibration evaluations never count in QA figures or reach the agent."""

from __future__ import annotations

from statistics import fmean
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.contacts.models import Contact
from contactcenter.errors import Conflict, Invalid, NotFound
from contactcenter.qa import evaluations
from contactcenter.qa.forms import NA
from contactcenter.qa.models import Calibration, Evaluation, EvaluationKind, EvaluationStatus
from contactcenter.qa.scorecards import get_version, published_for, read_form
from contactcenter.timeutil import iso, utcnow
from contactcenter.users.auth import QA_ROLES
from contactcenter.users.models import User

MAX_EVALUATORS = 30


def _event(session: Session, calibration: Calibration, kind: str, actor_id: int, **data: Any) -> None:
    record_event(
        session, actor=f"user:{actor_id}", subject_type="calibration", subject_id=calibration.id, kind=kind, **data
    )


def get_calibration(session: Session, *, calibration_id: int) -> Calibration:
    """The calibration of this id; NotFound if none."""
    calibration = session.get(Calibration, calibration_id)
    if calibration is None:
        raise NotFound(f"No calibration {calibration_id}.")
    return calibration


def create(
    session: Session,
    *,
    name: str,
    contact_id: int,
    evaluator_ids: list[int],
    expert_id: int | None,
    threshold: float,
    actor_id: int,
    version_id: int | None = None,
) -> Calibration:
    """A calibration session: a blind draft evaluation for each evaluator (and the expert)."""
    people = sorted(set(evaluator_ids) | ({expert_id} if expert_id else set()))
    if len(set(evaluator_ids)) < 2 and expert_id is None:
        raise Invalid("A calibration compares at least two evaluators (or one and an expert).")
    if len(people) > MAX_EVALUATORS:
        raise Invalid(f"At most {MAX_EVALUATORS} people in one calibration.")
    found = {u.id: u for u in session.scalars(select(User).where(User.id.in_(people), User.active.is_(True)))}
    strangers = [p for p in people if p not in found or found[p].role not in QA_ROLES]
    if strangers:
        raise Invalid(f"Not QA staff, team leads or managers: users {', '.join(map(str, strangers))}.")
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"No contact {contact_id}.")
    version = (
        get_version(session, version_id=version_id)
        if version_id
        else published_for(session, channel=contact.channel, queue=contact.queue)
    )
    if version is None or version.status == "draft":
        raise Conflict("No published scorecard for this contact: pick a published version.")
    calibration = Calibration(
        name=name,
        contact_id=contact_id,
        version_id=version.id,
        expert_id=expert_id,
        evaluator_ids=sorted(set(evaluator_ids) - {expert_id} if expert_id else set(evaluator_ids)),
        threshold=threshold,
        created_by=actor_id,
    )
    session.add(calibration)
    session.flush()
    for person in people:
        evaluations.start(
            session,
            contact_id=contact_id,
            evaluator_id=person,
            version_id=version.id,
            kind=EvaluationKind.CALIBRATION,
            calibration_id=calibration.id,
        )
    _event(
        session,
        calibration,
        "created",
        actor_id,
        contact=contact_id,
        evaluators=calibration.evaluator_ids,
        expert=expert_id,
    )
    return calibration


def close(session: Session, *, calibration_id: int, actor_id: int) -> Calibration:
    """End the calibration: drafts not submitted stay out of the comparison."""
    calibration = get_calibration(session, calibration_id=calibration_id)
    if calibration.closed_at is None:
        calibration.closed_at = utcnow()
        _event(session, calibration, "closed", actor_id)
    return calibration


def _scored(session: Session, calibration: Calibration) -> list[Evaluation]:
    query = select(Evaluation).where(Evaluation.calibration_id == calibration.id).order_by(Evaluation.evaluator_id)
    return list(session.scalars(query))


def comparison(session: Session, *, calibration: Calibration) -> dict[str, Any]:
    """The side-by-side view: each evaluator's score and answers against the reference, and who is off."""
    everyone = _scored(session, calibration)
    submitted = [e for e in everyone if e.status != EvaluationStatus.DRAFT]
    done = calibration.closed_at is not None or (bool(everyone) and len(submitted) == len(everyone))
    names = {
        u.id: u.display_name
        for u in session.scalars(select(User).where(User.id.in_([e.evaluator_id for e in everyone])))
    }
    view: dict[str, Any] = {
        "id": calibration.id,
        "name": calibration.name,
        "contact_id": calibration.contact_id,
        "version_id": calibration.version_id,
        "threshold": calibration.threshold,
        "closed_at": iso(calibration.closed_at),
        "created_at": iso(calibration.created_at),
        "people": [
            {
                "id": e.evaluator_id,
                "name": names.get(e.evaluator_id, ""),
                "expert": e.evaluator_id == calibration.expert_id,
                "submitted": e.status != EvaluationStatus.DRAFT,
                "evaluation_id": e.id,
            }
            for e in everyone
        ],
        "complete": done,
    }
    if not done:
        return view  # blind until everyone has scored (or the lead closes it)
    form = read_form(get_version(session, version_id=calibration.version_id).form)
    expert = next((e for e in submitted if e.evaluator_id == calibration.expert_id), None)
    others = [e for e in submitted if e is not expert]
    reference_score = expert.score if expert else (fmean(e.score or 0 for e in others) if others else None)
    questions = []
    for qid, question in form.questions().items():
        worth = {
            e.evaluator_id: (
                None if e.answers.get(qid) in (None, NA) else round(100 * question.worth(e.answers[qid]), 1)
            )
            for e in submitted
        }
        given = [w for who, w in worth.items() if w is not None and (expert is None or who != expert.evaluator_id)]
        reference = worth.get(expert.evaluator_id) if expert else (round(fmean(given), 1) if given else None)
        questions.append(
            {
                "id": qid,
                "text": question.text.model_dump(),
                "reference": reference,
                "answers": {str(who): w for who, w in worth.items()},
                "deviation": {
                    str(who): None if w is None or reference is None else round(w - reference, 1)
                    for who, w in worth.items()
                },
            }
        )
    view["reference_score"] = None if reference_score is None else round(reference_score, 1)
    view["reference"] = "expert" if expert else "mean"
    view["questions"] = questions
    view["scores"] = [
        {
            "evaluator_id": e.evaluator_id,
            "score": e.score,
            "band": e.band,
            "deviation": None if reference_score is None else round((e.score or 0) - reference_score, 1),
            "flagged": reference_score is not None
            and e is not expert
            and abs((e.score or 0) - reference_score) >= calibration.threshold,
        }
        for e in submitted
    ]
    return view


def involving(session: Session, *, user_id: int, sees_all: bool) -> list[Calibration]:
    """The calibrations the user runs or scores in (a QA lead or manager: all), newest first."""
    query = select(Calibration).order_by(Calibration.id.desc()).limit(200)
    found = list(session.scalars(query))
    if sees_all:
        return found
    mine = set(
        session.scalars(
            select(Evaluation.calibration_id).where(
                Evaluation.evaluator_id == user_id, Evaluation.calibration_id.is_not(None)
            )
        )
    )
    return [c for c in found if c.created_by == user_id or c.id in mine]
