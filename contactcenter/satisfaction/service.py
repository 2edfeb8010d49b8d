"""The closed loop's last steps: the return visit (回访) after every resolution, the customer's satisfaction
recorded truthfully (a return visit's answers, the IVR's 1-5, a chat's rating, or "not reached"), what an
unsatisfied answer does to the ticket, batches of return visits, and the monthly summary.

Resolving a ticket writes an outbox job (tickets/service.py); `plan_return_visit` is that job's work: a callback
of kind return_visit for the next day in callback hours, given up `RETURN_VISIT_EXPIRE_HOURS` after it was due.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.callbacks import service as callbacks
from contactcenter.callbacks.models import Callback, CallbackKind, CallbackStatus
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.errors import Conflict, Invalid, NotFound
from contactcenter.outbox import service as outbox
from contactcenter.satisfaction.models import ReturnVisitBatch, Survey
from contactcenter.tickets import service as tickets
from contactcenter.tickets.clocks import Clockwork, clockwork, on_events
from contactcenter.tickets.lifecycle import State
from contactcenter.tickets.models import Ticket
from contactcenter.tickets.timeline import family
from contactcenter.timeutil import as_utc, utcnow

SOURCES = ("return_visit", "ivr", "chat")
EXPIRE_JOB = "contactcenter.satisfaction.jobs.expire_return_visit"
VISITED = (State.RESOLVED, State.RETURN_VISIT, State.CLOSED)  # a ticket whose return visit may be recorded
OPEN_VISIT = (CallbackStatus.SCHEDULED, CallbackStatus.WAITING, CallbackStatus.DIALING, CallbackStatus.CONNECTED)


def _event(session: Session, ticket: Ticket, kind: str, actor: str, **data: Any) -> None:
    record_event(session, actor=actor, subject_type="ticket", subject_id=ticket.id, kind=kind, **data)


def open_visit(session: Session, *, ticket: Ticket) -> Callback | None:
    """The ticket's return visit not yet made (scheduled, waiting, being dialled or on the line)."""
    return session.scalar(
        select(Callback)
        .where(
            Callback.ticket_id == ticket.id,
            Callback.kind == CallbackKind.RETURN_VISIT,
            Callback.status.in_(list(OPEN_VISIT)),
        )
        .order_by(Callback.id.desc())
        .limit(1)
    )


def _reachable_contact(session: Session, ticket: Ticket) -> Contact | None:
    """The ticket's latest call or proved chat with a number to call."""
    return session.scalar(
        select(Contact)
        .where(Contact.ticket_id.in_(family(session, ticket=ticket)), Contact.from_number.startswith("+"))
        .order_by(Contact.id.desc())
        .limit(1)
    )


def visit_time(services: Services, *, resolved_at: datetime) -> datetime:
    """The next day at RETURN_VISIT_HOUR in the hotline's time zone, or the next opening of callback hours."""
    zone = ZoneInfo(services.settings.timezone)
    next_day: date = as_utc(resolved_at).astimezone(zone).date() + timedelta(days=1)
    at = datetime.combine(next_day, time(services.settings.return_visit_hour), tzinfo=zone)
    return callbacks.next_callback_time(services, at)


def plan_return_visit(
    services: Services, session: Session, *, ticket: Ticket, actor: str, agent_id: int | None = None
) -> Callback | None:
    """Schedule the ticket's return visit (nothing if one is open already, or nobody can be called: said on
    the ticket); the ticket then waits for it (return visit)."""
    if ticket.status not in (State.RESOLVED, State.RETURN_VISIT):
        return None
    planned = open_visit(session, ticket=ticket)
    if planned is not None:  # the agent planned it in the wrap-up: it is the one
        if planned.expires_at is None:
            _expires(services, session, planned)
        if ticket.status == State.RESOLVED:
            tickets.move(session, clockwork(services), ticket=ticket, to=State.RETURN_VISIT, actor=actor, why="planned")
        return planned
    contact = _reachable_contact(session, ticket)
    if contact is None:
        _event(session, ticket, "return_visit_impossible", actor, why="no number to call")
        return None
    when = visit_time(services, resolved_at=ticket.resolved_at or utcnow())
    callback = callbacks.schedule(
        services,
        session,
        contact=contact,
        kind=CallbackKind.RETURN_VISIT,
        at=max(when, utcnow() + timedelta(minutes=1)),
        note=f"回访 Return visit: {ticket.number}",
        agent_id=agent_id or ticket.assignee_id or 0,
    )
    callback.ticket_id = ticket.id
    callback.agent_id = agent_id
    _expires(services, session, callback)
    if ticket.status == State.RESOLVED:
        tickets.move(session, clockwork(services), ticket=ticket, to=State.RETURN_VISIT, actor=actor, why="planned")
    _event(
        session,
        ticket,
        "return_visit_planned",
        actor,
        callback=callback.id,
        at=as_utc(callback.scheduled_for or when).isoformat(),
    )
    return callback


def _expires(services: Services, session: Session, callback: Callback) -> None:
    """Give the return visit its expiry, and schedule the job that gives it up then."""
    due = as_utc(callback.scheduled_for or utcnow()) + timedelta(hours=services.settings.return_visit_expire_hours)
    callback.expires_at = due
    outbox.add(session, job=EXPIRE_JOB, args=[callback.id], due=due, job_id=f"visit-expiry-{callback.id}")


def record(
    services: Services,
    session: Session,
    *,
    ticket: Ticket,
    source: str,
    actor: str,
    satisfaction: int | None,
    resolved: bool | None,
    comment: str = "",
    reached: bool = True,
    contact_id: int | None = None,
    callback_id: int | None = None,
    agent_id: int | None = None,
) -> Survey:
    """Keep the customer's answer (or that the return visit found nobody) and act on it: a satisfied
    return visit closes the ticket; an unsatisfied or unresolved answer reopens it or opens a complaint."""
    if source not in SOURCES:
        raise Invalid(f"source must be one of: {', '.join(SOURCES)}.")
    if reached and satisfaction is None and resolved is None:
        raise Invalid("Record the customer's satisfaction (1-5) or whether it was resolved, or that nobody answered.")
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise Invalid("satisfaction is from 1 (very unsatisfied) to 5 (very satisfied).")
    tickets.writable(ticket)
    survey = Survey(
        ticket_id=ticket.id,
        contact_id=contact_id,
        callback_id=callback_id,
        source=source,
        reached=reached,
        satisfaction=satisfaction if reached else None,
        resolved=resolved if reached else None,
        comment=comment.strip() or None,
        agent_id=agent_id or ticket.assignee_id,
        recorded_by=actor,
    )
    session.add(survey)
    session.flush()
    if reached and satisfaction is not None:
        ticket.satisfaction = satisfaction
    _event(
        session,
        ticket,
        "satisfaction_recorded",
        actor,
        source=source,
        reached=reached,
        satisfaction=survey.satisfaction,
        resolved=survey.resolved,
    )
    work = clockwork(services)
    unhappy = reached and (
        (satisfaction is not None and satisfaction < services.settings.satisfied_from) or resolved is False
    )
    if source == "return_visit":
        now = utcnow()  # the return visit is made: its clock is met
        on_events(session, work, ticket=ticket, events=["visited"], at=now, now=now, actor=actor)
    if unhappy and ticket.status in VISITED:
        _unhappy(services, session, work, ticket=ticket, survey=survey, actor=actor)
    elif source == "return_visit" and ticket.status in (State.RESOLVED, State.RETURN_VISIT):
        if ticket.status == State.RESOLVED:
            tickets.move(session, work, ticket=ticket, to=State.RETURN_VISIT, actor=actor, why="visited")
        why = "return visit: satisfied" if reached else "return visit: not reached"
        tickets.move(session, work, ticket=ticket, to=State.CLOSED, actor=actor, why=why)
    return survey


def _unhappy(
    services: Services, session: Session, work: Clockwork, *, ticket: Ticket, survey: Survey, actor: str
) -> None:
    if services.settings.unsatisfied_action == "complaint":
        audit: list[dict[str, Any]] = []
        subject = f"回访不满意 Unsatisfied with {ticket.number}"
        complaint_id, number = tickets.open_ticket(
            session, subject=subject, customer_id=ticket.customer_id, actor=actor, audit=audit
        )
        complaint = session.get_one(Ticket, complaint_id)
        complaint.created_at = utcnow()
        complaint.description = survey.comment
        complaint.about_agent_id = survey.agent_id
        tickets.categorize(session, work, ticket=complaint, category="complaint", actor=actor, queue=ticket.queue)
        _event(session, ticket, "complaint_opened", actor, complaint=number)
        if ticket.status != State.CLOSED:
            tickets.move_to(session, work, ticket=ticket, to=State.CLOSED, actor=actor, why="unsatisfied: complaint")
        return
    tickets.move(session, work, ticket=ticket, to=State.REOPENED, actor=actor, why="unsatisfied")


def expire_visit(services: Services, *, callback_id: int) -> bool:
    """A return visit not made by its expiry: called off, recorded as not reached, the ticket closed.
    Nothing if it was made, or is being dialled or spoken now."""
    with services.db.reading() as session:
        callback = session.get(Callback, callback_id)
        if callback is None or callback.kind != CallbackKind.RETURN_VISIT or callback.ticket_id is None:
            return False
        status, ticket_id = callback.status, callback.ticket_id
    if status in (CallbackStatus.DIALING, CallbackStatus.CONNECTED):
        return False
    if status in (CallbackStatus.SCHEDULED, CallbackStatus.WAITING):
        try:
            callbacks.cancel(services, callback_id=callback_id, actor="scheduler")
        except Conflict:  # taken by an agent this moment: the visit is being made
            return False
    with services.db.session() as session:
        if session.scalar(select(Survey.id).where(Survey.callback_id == callback_id)) is not None:
            return False
        ticket = session.get_one(Ticket, ticket_id, with_for_update=True)
        if ticket.status not in VISITED or ticket.status == State.CLOSED and visited(session, ticket):
            return False
        record_event(session, actor="scheduler", subject_type="callback", subject_id=callback_id, kind="expired")
        record(
            services,
            session,
            ticket=ticket,
            source="return_visit",
            actor="scheduler",
            satisfaction=None,
            resolved=None,
            reached=False,
            callback_id=callback_id,
        )
        return True


def create_batch(
    services: Services, session: Session, *, name: str, ticket_ids: list[int], agent_ids: list[int], by: int
) -> dict[str, Any]:
    """Hand out the return visits of these tickets to these agents in turn (each waits for its agent first)."""
    if not ticket_ids or not agent_ids:
        raise Invalid("A batch needs tickets and agents to call them.")
    batch = ReturnVisitBatch(name=name.strip() or "回访 Return visits", created_by=by)
    session.add(batch)
    session.flush()
    planned, skipped = [], []
    for index, ticket_id in enumerate(ticket_ids):
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.status not in VISITED or ticket.status == State.CLOSED and visited(session, ticket):
            skipped.append(ticket_id)
            continue
        existing = open_visit(session, ticket=ticket)
        if existing is not None:
            existing.batch_id, existing.agent_id = batch.id, agent_ids[index % len(agent_ids)]
            planned.append(existing.id)
            continue
        if ticket.status == State.CLOSED:
            tickets.move(
                session, clockwork(services), ticket=ticket, to=State.REOPENED, actor=f"user:{by}", why="batch"
            )
            skipped.append(ticket_id)
            continue
        callback = plan_return_visit(
            services, session, ticket=ticket, actor=f"user:{by}", agent_id=agent_ids[index % len(agent_ids)]
        )
        if callback is None:
            skipped.append(ticket_id)
            continue
        callback.batch_id = batch.id
        planned.append(callback.id)
    record_event(
        session,
        actor=f"user:{by}",
        subject_type="return_visit_batch",
        subject_id=batch.id,
        kind="created",
        tickets=len(planned),
        skipped=skipped,
    )
    return {"id": batch.id, "name": batch.name, "planned": len(planned), "skipped": skipped}


def visited(session: Session, ticket: Ticket) -> bool:
    """Whether the ticket's return visit has an answer (or was found unreachable)."""
    return (
        session.scalar(select(Survey.id).where(Survey.ticket_id == ticket.id, Survey.source == "return_visit").limit(1))
        is not None
    )


def batch_progress(session: Session, *, batch_id: int) -> dict[str, Any]:
    """How far a batch is: its return visits by state, and the answers recorded."""
    batch = session.get(ReturnVisitBatch, batch_id)
    if batch is None:
        raise NotFound(f"No batch {batch_id}.")
    by_status = dict(
        (s, n)
        for s, n in session.execute(
            select(Callback.status, func.count()).where(Callback.batch_id == batch_id).group_by(Callback.status)
        )
    )
    answered = session.scalar(
        select(func.count(Survey.id))
        .join(Callback, Callback.id == Survey.callback_id)
        .where(Callback.batch_id == batch_id)
    )
    total = sum(by_status.values())
    return {
        "id": batch.id,
        "name": batch.name,
        "created_by": batch.created_by,
        "total": total,
        "by_status": by_status,
        "answered": answered or 0,
        "done_percent": round(100 * (answered or 0) / total) if total else 0,
    }


def monthly_summary(services: Services, session: Session, *, month: str) -> dict[str, Any]:
    """One month's satisfaction (in the hotline's time zone): answers, average, share satisfied (target 90 %),
    by source and by category; return visits that found nobody counted apart, never as satisfied."""
    try:
        first = datetime.strptime(month, "%Y-%m")
    except ValueError as exc:
        raise Invalid("month must be like 2026-12.") from exc
    zone = ZoneInfo(services.settings.timezone)
    start = first.replace(tzinfo=zone)
    end = (start + timedelta(days=32)).replace(day=1)
    rows = session.execute(
        select(Survey.source, Survey.reached, Survey.satisfaction, Ticket.category)
        .join(Ticket, Ticket.id == Survey.ticket_id)
        .where(Survey.created_at >= start, Survey.created_at < end, Ticket.status != State.MERGED)
    ).all()
    scored = [r for r in rows if r.reached and r.satisfaction is not None]
    satisfied = [r for r in scored if r.satisfaction >= 4]

    def figures(subset: list[Any]) -> dict[str, Any]:
        scores = [r.satisfaction for r in subset]
        good = [s for s in scores if s >= 4]
        return {
            "answers": len(scores),
            "average": round(sum(scores) / len(scores), 2) if scores else None,
            "satisfied_percent": round(100 * len(good) / len(scores), 1) if scores else None,
        }

    return {
        "month": month,
        **figures(scored),
        "target_percent": 90,
        "met_target": bool(scored) and 100 * len(satisfied) / len(scored) >= 90,
        "not_reached": sum(1 for r in rows if not r.reached),
        "by_source": {s: figures([r for r in scored if r.source == s]) for s in SOURCES},
        "by_category": {
            c: figures([r for r in scored if r.category == c]) for c in sorted({r.category or "other" for r in scored})
        },
    }
