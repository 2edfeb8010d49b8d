"""Canned replies: ready-made answers agents insert into chats; supervisors keep the list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.chats.forms import LANGUAGES, MAX_MESSAGE_LENGTH, ChatError
from contactcenter.chats.models import CannedReply
from contactcenter.chats.transcript import iso
from contactcenter.context import Services
from contactcenter.timeutil import utcnow
from queues.models import Queue

MAX_TITLE_LENGTH = 128
FIELDS = ("title", "body", "language", "queue", "active", "position")


def view(reply: CannedReply) -> dict[str, Any]:
    """A canned reply as JSON-ready data."""
    return {
        "id": reply.id,
        "title": reply.title,
        "body": reply.body,
        "language": reply.language,
        "queue": reply.queue,
        "active": reply.active,
        "position": reply.position,
        "updated_at": iso(reply.updated_at),
    }


def listing(
    services: Services, *, queues: list[str] | None, language: str | None, include_inactive: bool = False
) -> list[dict[str, Any]]:
    """Replies for these queues (None: every queue) and language, in the order supervisors set."""
    query = select(CannedReply).order_by(CannedReply.position, CannedReply.id)
    if not include_inactive:
        query = query.where(CannedReply.active.is_(True))
    if language is not None:
        if language not in LANGUAGES:
            raise ChatError(f"language must be one of {', '.join(LANGUAGES)}.")
        query = query.where(CannedReply.language == language)
    if queues is not None:
        query = query.where(or_(CannedReply.queue.is_(None), CannedReply.queue.in_(queues)))
    with services.db.session() as session:
        return [view(r) for r in session.scalars(query)]


def _checked(session: Session, changes: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ChatError(f"Unknown fields: {', '.join(sorted(unknown))}; a canned reply has {', '.join(FIELDS)}.")
    for name in ("title", "body") if not partial else ():
        if name not in changes:
            raise ChatError(f"{name} is required.")
    checked: dict[str, Any] = {}
    for name, value in changes.items():
        if name in ("title", "body"):
            limit = MAX_TITLE_LENGTH if name == "title" else MAX_MESSAGE_LENGTH
            if not isinstance(value, str) or not value.strip() or len(value) > limit:
                raise ChatError(f"{name} must be text of 1 to {limit} characters.")
            value = value.strip()
        elif name == "language" and value not in LANGUAGES:
            raise ChatError(f"language must be one of {', '.join(LANGUAGES)}.")
        elif name == "queue" and value is not None:
            if not isinstance(value, str) or session.scalar(select(Queue.id).where(Queue.name == value)) is None:
                raise ChatError(f"There is no queue {value!r} (null: every queue).")
        elif name == "active" and not isinstance(value, bool):
            raise ChatError("active must be true or false.")
        elif name == "position" and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 9999):
            raise ChatError("position must be a whole number from 0 to 9999.")
        checked[name] = value
    return checked


def create(services: Services, *, fields: dict[str, Any], user_id: int) -> dict[str, Any]:
    """Add a canned reply (title and body required; zh-CN and every queue unless said otherwise)."""
    with services.db.session() as session:
        reply = CannedReply(**{"language": "zh-CN", **_checked(session, fields, partial=False)})
        reply.updated_by, reply.updated_at = user_id, utcnow()
        session.add(reply)
        session.flush()
        _audit(session, reply, user_id, "created", title=reply.title)
        return view(reply)


def update(services: Services, *, reply_id: int, fields: dict[str, Any], user_id: int) -> dict[str, Any]:
    """Change some fields of a canned reply."""
    with services.db.session() as session:
        reply = _get(session, reply_id)
        checked = _checked(session, fields, partial=True)
        for name, value in checked.items():
            setattr(reply, name, value)
        reply.updated_by, reply.updated_at = user_id, utcnow()
        _audit(session, reply, user_id, "updated", fields=sorted(checked))
        return view(reply)


def delete(services: Services, *, reply_id: int, user_id: int) -> None:
    """Remove a canned reply for good (set active false to keep it aside)."""
    with services.db.session() as session:
        reply = _get(session, reply_id)
        _audit(session, reply, user_id, "deleted", title=reply.title)
        session.delete(reply)


def _get(session: Session, reply_id: int) -> CannedReply:
    reply = session.get(CannedReply, reply_id)
    if reply is None:
        raise ChatError(f"There is no canned reply {reply_id}.", 404)
    return reply


def _audit(session: Session, reply: CannedReply, user_id: int, kind: str, **data: object) -> None:
    record_event(session, actor=f"user:{user_id}", subject_type="canned_reply", subject_id=reply.id, kind=kind, **data)
