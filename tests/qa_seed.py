"""Evaluations made straight in SQL for the QA figures' tests: a scorecard published by the product's own
service, then submitted (or draft, or calibration) evaluations at given instants, each with its revision and
its answer rows (qa/figures_models.py `record_answers`, what submission writes)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from contactcenter.contacts.models import Contact
from contactcenter.qa import scorecards
from contactcenter.qa.figures_models import AnswerWorth, record_answers
from contactcenter.qa.forms import Form, score
from contactcenter.qa.models import Evaluation, EvaluationKind, EvaluationRevision, EvaluationStatus

BEST = {"greet": "yes", "empathy": 5, "resolve": "full"}  # 100: excellent
FAIR = {"greet": "no", "empathy": 5, "resolve": "full"}  # 80: pass (greet worth 0)
CRITICAL = {"greet": "yes", "empathy": 5, "resolve": "none"}  # 0: a form-level critical question failed


def form(*, greet: str = "Greets the caller") -> Form:
    """Two sections: greeting (yes/no) and empathy (scale 1-5, n/a allowed); resolution (critical for the form)."""
    return Form.model_validate(
        {
            "sections": [
                {
                    "id": "open",
                    "title": {"zh": "开场", "en": "Opening"},
                    "weight": 40,
                    "questions": [
                        {"id": "greet", "text": {"zh": "问候客户", "en": greet}, "kind": "yes_no", "weight": 50},
                        {
                            "id": "empathy",
                            "text": {"zh": "同理心", "en": "Shows empathy"},
                            "kind": "scale",
                            "weight": 50,
                            "allow_na": True,
                        },
                    ],
                },
                {
                    "id": "solve",
                    "title": {"zh": "解决", "en": "Resolution"},
                    "weight": 60,
                    "questions": [
                        {
                            "id": "resolve",
                            "text": {"zh": "解决问题", "en": "Resolves the issue"},
                            "kind": "choice",
                            "weight": 100,
                            "critical": "form",
                            "options": [
                                {"id": "full", "label": {"zh": "完全", "en": "Fully"}, "score": 100},
                                {"id": "partial", "label": {"zh": "部分", "en": "Partly"}, "score": 50},
                                {"id": "none", "label": {"zh": "未解决", "en": "Not"}, "score": 0},
                            ],
                        }
                    ],
                },
            ],
            "bands": {"pass": 80, "excellent": 95},
        }
    )


def answer_table(engine: Engine) -> None:
    """The answer rows' table, until its migration is written (the lead's: docs/qa-figures.md)."""
    AnswerWorth.__table__.create(engine, checkfirst=True)


def published(session: Session, *, name: str, actor_id: int, the_form: Form | None = None) -> tuple[int, int]:
    """A new scorecard published with `the_form`: (scorecard id, version id)."""
    version = scorecards.create_scorecard(
        session, name=name, channel=None, queue=None, form=the_form or form(), actor_id=actor_id
    )
    scorecards.publish(session, scorecard_id=version.scorecard_id, actor_id=actor_id)
    return version.scorecard_id, version.id


def republished(session: Session, *, scorecard_id: int, actor_id: int, the_form: Form) -> int:
    """A new version of the scorecard, published; its id."""
    draft = scorecards.save_draft(session, scorecard_id=scorecard_id, form=the_form, actor_id=actor_id)
    scorecards.publish(session, scorecard_id=scorecard_id, actor_id=actor_id)
    return draft.id


def evaluate(
    session: Session,
    *,
    agent_id: int,
    evaluator_id: int,
    version_id: int,
    answers: dict[str, Any],
    at: datetime,
    queue: str = "general",
    channel: str = "voice",
    kind: str = EvaluationKind.REGULAR,
    status: str = EvaluationStatus.SUBMITTED,
) -> Evaluation:
    """An evaluation of a new contact of `agent_id`'s, scored by the form's rules, submitted at `at` (a draft
    when `status` says so: not scored, no revision, no answer rows)."""
    contact = Contact(
        provider_id=f"CA-qa-{uuid.uuid4().hex[:16]}",
        from_number="+8613800138000",
        to_number="+862180000000",
        status="ended",
        queue=queue,
        channel=channel,
        agent_id=agent_id,
    )
    session.add(contact)
    session.flush()
    evaluation = Evaluation(
        contact_id=contact.id,
        agent_id=agent_id,
        evaluator_id=evaluator_id,
        version_id=version_id,
        kind=kind,
        status=status,
        queue=queue,
        channel=channel,
        answers=dict(answers),
    )
    session.add(evaluation)
    session.flush()
    if status == EvaluationStatus.DRAFT:
        return evaluation
    result = score(scorecards.read_form(scorecards.get_version(session, version_id=version_id).form), answers)
    revision = EvaluationRevision(
        evaluation_id=evaluation.id,
        number=1,
        answers=dict(answers),
        score=result.score,
        band=result.band,
        critical_failed=result.critical_failed,
        reason="submitted",
        actor_id=evaluator_id,
    )
    session.add(revision)
    evaluation.revision, evaluation.submitted_at = 1, at
    evaluation.score, evaluation.band, evaluation.critical_failed = result.score, result.band, result.critical_failed
    session.flush()
    record_answers(session, evaluation=evaluation, revision=revision)
    return evaluation
