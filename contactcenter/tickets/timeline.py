"""A ticket as its page and the API show it: its fields, clocks, and one timeline of every contact, note,
recording, attachment, status change, clock and escalation (its own and those of tickets merged into it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from contactcenter.attachments.service import attachments_of
from contactcenter.audit.models import AuditEvent
from contactcenter.contacts.models import Contact
from contactcenter.customers.models import Customer
from contactcenter.tickets import clocks
from contactcenter.tickets.lifecycle import allowed_moves, both_labels
from contactcenter.tickets.models import Ticket, TicketClock, TicketNote
from contactcenter.timeutil import as_utc, utcnow
from contactcenter.users.models import User
from recordings.models import Recording

# Event kinds as a person reads them (no internal code is shown on a page).
EVENT_LABELS: dict[str, str] = {
    "opened": "创建 Opened",
    "categorized": "分类 Categorized",
    "status_changed": "状态变更 Status changed",
    "assigned": "分配 Assigned",
    "note_added": "备注 Note added",
    "message_left": "留言 Message left",
    "transcript_added": "聊天记录 Transcript filed",
    "wrap_up_filed_automatically": "自动提交话后记录 Wrap-up filed automatically",
    "return_visit_planned": "安排回访 Return visit planned",
    "return_visit_impossible": "无法回访 No number for the return visit",
    "satisfaction_recorded": "满意度 Satisfaction recorded",
    "complaint_opened": "转为投诉 Complaint opened",
    "attachment_added": "附件 Attachment added",
    "fields_changed": "信息修改 Details changed",
    "clock_started": "计时开始 Clock started",
    "clock_stopped": "计时结束 Clock stopped",
    "clock_paused": "计时暂停 Clock paused",
    "clock_resumed": "计时恢复 Clock resumed",
    "clock_superseded": "计时作废 Clock set aside",
    "clock_warning": "即将超时 Clock warning",
    "clock_breached": "已超时 Clock breached",
    "escalated": "升级 Escalated",
    "breach_at_top": "最高级别仍超时 Breached at the top level",
    "policy_reapplied": "重新应用时限 Policy re-applied",
    "merged": "合并 Merged",
    "merged_in": "并入 Merged in",
    "unmerged": "取消合并 Unmerged",
    "threaded": "归入同一工单 Threaded",
    "split": "拆分 Split off",
    "callback_scheduled": "安排回电 Callback scheduled",
}


def _iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None


def family(session: Session, *, ticket: Ticket) -> list[int]:
    """The ticket and every ticket merged into it (their contacts and notes are its own now)."""
    ids = [ticket.id]
    frontier = [ticket.id]
    while frontier:
        frontier = list(session.scalars(select(Ticket.id).where(Ticket.merged_into_id.in_(frontier))))
        ids += frontier
    return ids


def ticket_view(session: Session, *, ticket: Ticket) -> dict[str, Any]:
    """Everything a person with the ticket in scope sees of it, as JSON-ready data."""
    now = utcnow()
    ids = family(session, ticket=ticket)
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    contacts = session.scalars(select(Contact).where(Contact.ticket_id.in_(ids)).order_by(Contact.id)).all()
    notes = session.scalars(select(TicketNote).where(TicketNote.ticket_id.in_(ids)).order_by(TicketNote.id)).all()
    recordings = session.scalars(
        select(Recording)
        .where(or_(Recording.ticket_id.in_(ids), Recording.contact_id.in_([c.id for c in contacts])))
        .order_by(Recording.id)
    ).all()
    ticket_clocks = session.scalars(
        select(TicketClock).where(TicketClock.ticket_id == ticket.id).order_by(TicketClock.id)
    ).all()
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == "ticket", AuditEvent.subject_id.in_([str(i) for i in ids]))
        .order_by(AuditEvent.id)
    ).all()
    user_ids = {c.agent_id for c in contacts} | {n.author_id for n in notes} | {ticket.assignee_id}
    users = session.scalars(select(User).where(User.id.in_(user_ids - {None}))).all()
    names: dict[int | None, str] = {u.id: u.display_name for u in users}  # no one (None) has no name
    merged_into = session.get(Ticket, ticket.merged_into_id) if ticket.merged_into_id else None
    return {
        "id": ticket.id,
        "number": ticket.number,
        "status": ticket.status,
        "status_label": both_labels(ticket.status),
        "allowed_moves": [
            {"status": s.value, "label": both_labels(s)}
            for s in allowed_moves(category=ticket.category, state=ticket.status)
        ],
        "category": ticket.category,
        "subject": ticket.subject,
        "description": ticket.description,
        "queue": ticket.queue,
        "routed_deadline": _iso(ticket.routed_deadline),
        "product_model": ticket.product_model,
        "serial_number": ticket.serial_number,
        "purchase_date": ticket.purchase_date.isoformat() if ticket.purchase_date else None,
        "solution": ticket.solution,
        "outcome": ticket.outcome,
        "satisfaction": ticket.satisfaction,
        "about_agent_id": ticket.about_agent_id,
        "substantiated": ticket.substantiated,
        "escalation_level": ticket.escalation_level,
        "merged_into": merged_into and {"id": merged_into.id, "number": merged_into.number},
        "merged_in": [i for i in ids if i != ticket.id],
        "assignee_id": ticket.assignee_id,
        "assignee": names.get(ticket.assignee_id),
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "resolved_at": _iso(ticket.resolved_at),
        "closed_at": _iso(ticket.closed_at),
        "customer": customer
        and {"id": customer.id, "phone": customer.phone, "name": customer.name, "grade": customer.grade},
        "clocks": [clocks.view(c, now=now) for c in ticket_clocks],
        "contacts": [
            {
                "id": c.id,
                "ticket_id": c.ticket_id,
                "channel": c.channel,
                "call_sid": c.provider_id,
                "from": c.from_number,
                "status": c.status,
                "queue": c.queue,
                "menu_choice": c.menu_choice,
                "agent": names.get(c.agent_id),
                "created_at": _iso(c.created_at),
                "queued_at": _iso(c.queued_at),
                "answered_at": _iso(c.answered_at),
                "ended_at": _iso(c.ended_at),
            }
            for c in contacts
        ],
        "notes": [
            {
                "id": n.id,
                "ticket_id": n.ticket_id,
                "contact_id": n.contact_id,
                "kind": n.kind,
                "author": names.get(n.author_id),
                "body": n.body,
                "created_at": _iso(n.created_at),
            }
            for n in notes
        ],
        "recordings": [
            {
                "id": r.id,
                "contact_id": r.contact_id,
                "status": r.status,
                "duration_seconds": r.duration_seconds,
                "sha256": r.sha256,
                "media_url": f"/recordings/{r.id}/media" if r.status == "stored" else None,
                "created_at": _iso(r.created_at),
            }
            for r in recordings
        ],
        "attachments": attachments_of(session, ids),
        "history": [
            {
                "at": _iso(e.occurred_at),
                "actor": e.actor,
                "kind": e.kind,
                "label": EVENT_LABELS.get(e.kind, e.kind.replace("_", " ")),
                "ticket_id": int(e.subject_id),
                "data": e.data,
            }
            for e in events
        ],
    }
