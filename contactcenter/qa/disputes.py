"""Disputes: the agent disagrees with a submitted evaluation, within QA_DISPUTE_DAYS, saying why and what
they would have answered. Round 1 goes to the evaluator, round 2 one level up to the agent's team lead, round 3
to a QA lead (round 2 too, when the agent's team has no lead). The reviewer accepts (the agent's answers make a
new revision), partly accepts (the reviewer's own answers do) or rejects (no new revision); the agent may
retract while it is in review. Each round's answer opens the window for the next."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.errors import Conflict, Forbidden, Invalid
from contactcenter.qa.evaluations import add_revision, event, form_of, get_evaluation, notify
from contactcenter.qa.forms import check_answers
from contactcenter.qa.models import Dispute, DisputeStatus, Evaluation, EvaluationKind, EvaluationStatus
from contactcenter.timeutil import as_utc, iso, utcnow
from contactcenter.users.models import Role, User
from contactcenter.users.teams import EVERYONE_ROLES

ROUNDS = 3
OUTCOMES = (DisputeStatus.ACCEPTED, DisputeStatus.PARTIAL, DisputeStatus.REJECTED)
STATUS_LABELS = {
    "in_review": ("审核中", "In review"),
    "accepted": ("已接受", "Accepted"),
    "partial": ("部分接受", "Partly accepted"),
    "rejected": ("已驳回", "Rejected"),
    "retracted": ("已撤回", "Retracted"),
}


def rounds_of(session: Session, *, evaluation_id: int) -> list[Dispute]:
    """An evaluation's dispute rounds, first first."""
    return list(session.scalars(select(Dispute).where(Dispute.evaluation_id == evaluation_id).order_by(Dispute.round)))


def qa_lead(session: Session) -> int | None:
    """Who hears a dispute's last round: a QA lead, else a manager (the first by id)."""
    leads = select(User.id).where(User.active.is_(True), User.role == Role.QA, User.qa_lead.is_(True))
    managers = select(User.id).where(User.active.is_(True), User.role == Role.MANAGER)
    return session.scalar(leads.order_by(User.id).limit(1)) or session.scalar(managers.order_by(User.id).limit(1))


def _team_lead(session: Session, agent: User) -> int | None:
    if not agent.team:
        return None
    query = select(User.id).where(
        User.active.is_(True), User.role == Role.SUPERVISOR, User.team == agent.team, User.id != agent.id
    )
    return session.scalar(query.order_by(User.id).limit(1))


def reviewer_for(session: Session, *, evaluation: Evaluation, round_: int) -> tuple[int | None, int]:
    """Who reviews this round, and the round it really is (a team without a lead goes on to the QA lead)."""
    if round_ == 1:
        return evaluation.evaluator_id, 1
    if round_ == 2:
        lead = _team_lead(session, session.get_one(User, evaluation.agent_id))
        if lead is not None and lead != evaluation.evaluator_id:
            return lead, 2
    return qa_lead(session), ROUNDS


def may_decide(*, dispute: Dispute, user_id: int, role: str, is_qa_lead: bool) -> bool:
    """The round's reviewer decides it; a manager or admin any round; a QA lead the last."""
    return dispute.reviewer_id == user_id or role in EVERYONE_ROLES or (dispute.round == ROUNDS and is_qa_lead)


def dispute_window_ends(session: Session, *, evaluation: Evaluation, days: int) -> datetime | None:
    """Until when the agent may dispute (None: not now: a draft, a dispute in review, or no round left)."""
    if evaluation.status not in (EvaluationStatus.SUBMITTED, EvaluationStatus.ACKNOWLEDGED):
        return None
    rounds = rounds_of(session, evaluation_id=evaluation.id)
    if rounds and rounds[-1].round >= ROUNDS:
        return None
    since = as_utc(rounds[-1].decided_at) if rounds else as_utc(evaluation.submitted_at)
    return None if since is None else since + timedelta(days=days)


def raise_dispute(
    session: Session, *, evaluation_id: int, agent_id: int, comment: str, proposed: dict[str, Any], days: int
) -> Dispute:
    """The agent disputes their evaluation: the next round, to its reviewer."""
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    if evaluation.agent_id != agent_id or evaluation.kind != EvaluationKind.REGULAR:
        raise Forbidden("Only the agent evaluated disputes an evaluation.")
    if evaluation.status == EvaluationStatus.DISPUTED:
        raise Conflict("A dispute of this evaluation is in review already.")
    ends = dispute_window_ends(session, evaluation=evaluation, days=days)
    if ends is None:
        raise Conflict("This evaluation can no longer be disputed: every round has been heard.")
    if utcnow() > ends:
        raise Conflict(f"The {days} days to dispute this evaluation are over.")
    comment = comment.strip()
    if not comment:
        raise Invalid("Say why you disagree (a comment).")
    problems = check_answers(form_of(session, evaluation), proposed, complete=False)
    if problems:
        raise Invalid("Some proposed answers do not fit the scorecard: " + "; ".join(problems))
    previous = rounds_of(session, evaluation_id=evaluation_id)
    reviewer, round_ = reviewer_for(session, evaluation=evaluation, round_=previous[-1].round + 1 if previous else 1)
    if reviewer is None:
        raise Conflict("Nobody can hear this dispute: the hotline has no QA lead or manager.")
    dispute = Dispute(
        evaluation_id=evaluation_id,
        round=round_,
        raised_by=agent_id,
        reviewer_id=reviewer,
        comment=comment,
        proposed=proposed,
    )
    session.add(dispute)
    evaluation.status = EvaluationStatus.DISPUTED
    session.flush()
    event(session, evaluation, "disputed", agent_id, round=round_, reviewer=reviewer, proposed=proposed)
    notify(session, user_id=reviewer, kind="evaluation_disputed", evaluation=evaluation)
    return dispute


def _open_round(session: Session, evaluation_id: int) -> Dispute:
    rounds = rounds_of(session, evaluation_id=evaluation_id)
    if not rounds or rounds[-1].status != DisputeStatus.IN_REVIEW:
        raise Conflict("No dispute of this evaluation is in review.")
    return rounds[-1]


def decide(
    session: Session,
    *,
    evaluation_id: int,
    reviewer_id: int,
    role: str,
    is_qa_lead: bool,
    outcome: str,
    decision: str,
    answers: dict[str, Any] | None = None,
) -> Dispute:
    """The reviewer's answer to the round in review: accept, partly accept (with their answers) or reject."""
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    dispute = _open_round(session, evaluation_id)
    if not may_decide(dispute=dispute, user_id=reviewer_id, role=role, is_qa_lead=is_qa_lead):
        raise Forbidden("This dispute round is another reviewer's.")
    if outcome not in OUTCOMES:
        raise Invalid(f"outcome: one of {', '.join(OUTCOMES)}")
    if not decision.strip():
        raise Invalid("Say why (a decision the agent will read).")
    if outcome == DisputeStatus.PARTIAL:
        if not answers:
            raise Invalid("A partial acceptance gives the answers that change (answers).")
        problems = check_answers(form_of(session, evaluation), answers, complete=False)
        if problems:
            raise Invalid("Some answers do not fit the scorecard: " + "; ".join(problems))
    changed = {DisputeStatus.ACCEPTED: dispute.proposed, DisputeStatus.PARTIAL: answers or {}}.get(
        DisputeStatus(outcome)
    )
    if changed:
        revision = add_revision(
            session,
            evaluation=evaluation,
            answers={**evaluation.answers, **changed},
            reason=f"dispute_{outcome}",
            actor_id=reviewer_id,
        )
        dispute.revision = revision.number
    dispute.status, dispute.decision, dispute.decided_at = outcome, decision.strip(), utcnow()
    evaluation.status = EvaluationStatus.SUBMITTED  # the agent acknowledges the outcome, or disputes on
    event(
        session,
        evaluation,
        "dispute_decided",
        reviewer_id,
        round=dispute.round,
        outcome=outcome,
        score=evaluation.score,
    )
    notify(session, user_id=evaluation.agent_id, kind="dispute_decided", evaluation=evaluation)
    return dispute


def retract(session: Session, *, evaluation_id: int, agent_id: int) -> Dispute:
    """The agent withdraws the round in review; the evaluation stands as it was."""
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    if evaluation.agent_id != agent_id:
        raise Forbidden("Only the agent who disputed retracts.")
    dispute = _open_round(session, evaluation_id)
    dispute.status, dispute.decided_at = DisputeStatus.RETRACTED, utcnow()
    evaluation.status = EvaluationStatus.ACKNOWLEDGED if evaluation.acknowledged_at else EvaluationStatus.SUBMITTED
    event(session, evaluation, "dispute_retracted", agent_id, round=dispute.round)
    return dispute


def dispute_view(dispute: Dispute) -> dict[str, Any]:
    """A dispute round as the API shows it."""
    zh, en = STATUS_LABELS[dispute.status]
    return {
        "id": dispute.id,
        "round": dispute.round,
        "reviewer_id": dispute.reviewer_id,
        "comment": dispute.comment,
        "proposed": dispute.proposed,
        "status": dispute.status,
        "status_label": {"zh": zh, "en": en},
        "decision": dispute.decision,
        "revision": dispute.revision,
        "created_at": iso(dispute.created_at),
        "decided_at": iso(dispute.decided_at),
    }
