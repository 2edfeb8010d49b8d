"""Who may read and do what in QA (docs/qa.md): the route policies let the roles through, these rules decide
on the one evaluation or scorecard."""

from __future__ import annotations

from sqlalchemy.orm import Session

from contactcenter.errors import Forbidden, NotFound
from contactcenter.qa.disputes import rounds_of
from contactcenter.qa.models import Calibration, Evaluation, EvaluationKind, EvaluationStatus
from contactcenter.users.auth import CurrentUser
from contactcenter.users.models import Role, User
from contactcenter.users.teams import EVERYONE_ROLES


def is_qa_lead(user: CurrentUser) -> bool:
    """QA leads build scorecards, run calibrations and hear a dispute's last round; managers and admins too."""
    return user.role in EVERYONE_ROLES or (user.role == Role.QA and user.qa_lead)


def check_qa_lead(user: CurrentUser, doing: str) -> None:
    """Forbidden unless the user leads QA."""
    if not is_qa_lead(user):
        raise Forbidden(f"Only QA leads, managers and admins {doing}.")


def _leads_agent(session: Session, user: CurrentUser, agent_id: int) -> bool:
    if user.role != Role.SUPERVISOR or not user.team:
        return False
    agent = session.get(User, agent_id)
    return agent is not None and agent.team == user.team


def may_read(session: Session, *, user: CurrentUser, evaluation: Evaluation) -> bool:
    """The evaluator; QA leads, managers, admins; the agent and their team lead once it is submitted; a
    dispute's reviewer. A calibration's: its evaluator, the lead who runs it, managers and admins only."""
    if evaluation.evaluator_id == user.id:
        return True
    if evaluation.kind == EvaluationKind.CALIBRATION:  # blind: not the other evaluators, QA leads among them
        calibration = session.get(Calibration, evaluation.calibration_id) if evaluation.calibration_id else None
        return user.role in EVERYONE_ROLES or (calibration is not None and calibration.created_by == user.id)
    if is_qa_lead(user):
        return True
    if evaluation.status == EvaluationStatus.DRAFT:
        return False
    if evaluation.agent_id == user.id or _leads_agent(session, user, evaluation.agent_id):
        return True
    return any(d.reviewer_id == user.id for d in rounds_of(session, evaluation_id=evaluation.id))


def readable(session: Session, *, user: CurrentUser, evaluation_id: int) -> Evaluation:
    """The evaluation if the user may read it; NotFound otherwise (its existence is not revealed)."""
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None or not may_read(session, user=user, evaluation=evaluation):
        raise NotFound(f"No evaluation {evaluation_id} that you may see.")
    return evaluation
