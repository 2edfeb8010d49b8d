"""Coaching notes: what a QA lead, the agent's team lead or a manager tells one agent, optionally about one of
their evaluations. Written by those (routes check who), read by them, QA staff and the agent. Each note is an
event on the agent (subject_type `agent`, kind `coaching_note_added`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.errors import Invalid, NotFound
from contactcenter.qa.models import CoachingNote, Evaluation
from contactcenter.timeutil import as_utc
from contactcenter.users.models import User
from contactcenter.users.teams import AGENT_LIKE_ROLES

MAX_TEXT = 4000
LISTED = 200  # the newest notes of an agent a list shows


def add_note(
    session: Session, *, agent_id: int, author_id: int, text: str, evaluation_id: int | None = None
) -> CoachingNote:
    """A coaching note for an agent (about one of their evaluations, if given); recorded as the agent's event."""
    agent = session.get(User, agent_id)
    if agent is None or agent.role not in AGENT_LIKE_ROLES:
        raise NotFound(f"No agent {agent_id}.")
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise Invalid(f"text: a note of 1 to {MAX_TEXT} characters.")
    if evaluation_id is not None:
        evaluation = session.get(Evaluation, evaluation_id)
        if evaluation is None or evaluation.agent_id != agent_id:
            raise Invalid(f"evaluation_id: {evaluation_id} is not an evaluation of this agent.")
    note = CoachingNote(agent_id=agent_id, author_id=author_id, evaluation_id=evaluation_id, text=text)
    session.add(note)
    session.flush()
    record_event(
        session,
        actor=f"user:{author_id}",
        subject_type="agent",
        subject_id=agent_id,
        kind="coaching_note_added",
        note_id=note.id,
        evaluation_id=evaluation_id,
    )
    return note


def notes_of(session: Session, *, agent_id: int, limit: int = LISTED) -> list[dict[str, Any]]:
    """The agent's coaching notes, newest first, with their authors' names."""
    rows = session.execute(
        select(CoachingNote, User.display_name)
        .join(User, User.id == CoachingNote.author_id)
        .where(CoachingNote.agent_id == agent_id)
        .order_by(CoachingNote.id.desc())
        .limit(limit)
    ).all()
    return [note_view(note, author) for note, author in rows]


def note_view(note: CoachingNote, author: str) -> dict[str, Any]:
    """A note as the API shows it."""
    return {
        "id": note.id,
        "agent_id": note.agent_id,
        "author_id": note.author_id,
        "author": author,
        "evaluation_id": note.evaluation_id,
        "text": note.text,
        "created_at": as_utc(note.created_at).isoformat(),
    }
