"""Canned replies: ready-made answers agents insert into chats; supervisors keep the list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.chats.forms import LANGUAGES, ChatError
from contactcenter.chats.models import CannedReply
from contactcenter.chats.schemas import CannedReplyChange, NewCannedReply
from contactcenter.chats.transcript import iso
from contactcenter.context import Services
from contactcenter.timeutil import utcnow
from queues.models import Queue


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


def _checked(session: Session, fields: CannedReplyChange) -> dict[str, Any]:
    """The fields given, once their queue (if any) is known to exist."""
    changes = fields.changes()
    queue = changes.get("queue")
    if queue is not None and session.scalar(select(Queue.id).where(Queue.name == queue)) is None:
        raise ChatError(f"There is no queue {queue!r} (null: every queue).")
    return changes


def create(services: Services, *, fields: NewCannedReply, user_id: int) -> dict[str, Any]:
    """Add a canned reply (zh-CN and every queue unless said otherwise)."""
    with services.db.session() as session:
        reply = CannedReply(**{"language": "zh-CN", **_checked(session, fields)})
        reply.updated_by, reply.updated_at = user_id, utcnow()
        session.add(reply)
        session.flush()
        _audit(session, reply, user_id, "created", title=reply.title)
        return view(reply)


def update(services: Services, *, reply_id: int, fields: CannedReplyChange, user_id: int) -> dict[str, Any]:
    """Change some fields of a canned reply."""
    with services.db.session() as session:
        reply = _get(session, reply_id)
        checked = _checked(session, fields)
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
