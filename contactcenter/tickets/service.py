"""Tickets: opened by a contact, moved through their category's lifecycle, written up, assigned.

Every change is an audit event on the ticket (its timeline) and tells the SLA clocks what happened
(tickets/clocks.py). A merged ticket is read-only: every change here refuses it.
"""

from __future__ import annotations

from collections import deque
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from contactcenter.audit.service import event_row, record_event
from contactcenter.errors import Conflict, Invalid, NotFound
from contactcenter.outbox import service as outbox
from contactcenter.tickets import clocks
from contactcenter.tickets.lifecycle import PAUSING_STATES, State, check_move, lifecycle_of, state_in_lifecycle
from contactcenter.tickets.models import Ticket, TicketNote
from contactcenter.tickets.policies import policies_for
from contactcenter.timeutil import as_utc, utcnow
from contactcenter.users.models import User
from contactcenter.users.teams import AGENT_LIKE_ROLES
from queues.models import Queue

# Built once (every incoming call opens a ticket); plain table statements, no ORM bookkeeping.
_TICKETS = Ticket.__table__
_NEW_TICKET = insert(_TICKETS).returning(_TICKETS.c.id)
_NUMBER_TICKET = (
    update(_TICKETS).where(_TICKETS.c.id == bindparam("ticket_id")).values(number=bindparam("ticket_number"))
)
PLAN_VISIT_JOB = "contactcenter.satisfaction.jobs.plan_return_visit"
COMPLAINTS_JOB = "contactcenter.satisfaction.jobs.count_complaints"
NOTE_KINDS = ("note", "reply")  # what a person writes: an internal note, or what we told the customer
EDITABLE_FIELDS = (
    "subject",
    "description",
    "product_model",
    "serial_number",
    "purchase_date",
    "solution",
    "outcome",
    "about_agent_id",
    "substantiated",
    "queue",
    "routed_deadline",
)
RETURN_WINDOW_DAYS = 7  # a return or exchange is applied for within 7 working days of the purchase
RETURN_CALENDAR = "office"  # whose days are working days


def open_ticket(
    session: Session, *, subject: str, customer_id: int | None, actor: str, audit: list[dict[str, Any]]
) -> tuple[int, str]:
    """Create a ticket and give it its human number (T-000123); returns (id, number).

    Its audit entry is appended to `audit` for the caller to write with its own (one INSERT). Its clocks
    start when its category is known (`categorize`)."""
    now = utcnow()
    row = {
        "subject": subject,
        "customer_id": customer_id,
        "status": State.NEW,
        "escalation_level": 0,
        "created_at": now,
        "updated_at": now,
    }
    ticket_id = session.execute(_NEW_TICKET, row).scalar_one()
    number = f"T-{ticket_id:06d}"
    session.execute(_NUMBER_TICKET, {"ticket_id": ticket_id, "ticket_number": number})
    audit.append(
        event_row(actor=actor, subject_type="ticket", subject_id=ticket_id, kind="opened", at=now, subject=subject)
    )
    return ticket_id, number


def writable(ticket: Ticket) -> Ticket:
    """The ticket, or Conflict if it was merged into another (read-only until unmerged)."""
    if ticket.status == State.MERGED:
        raise Conflict(
            "This ticket was merged into another and is read-only; change that one, or unmerge this.",
            code="ticket_merged",
            merged_into=ticket.merged_into_id,
        )
    return ticket


def get_ticket(session: Session, ticket_id: int, *, for_update: bool = False) -> Ticket:
    """The ticket, or NotFound."""
    ticket = session.get(Ticket, ticket_id, with_for_update=for_update or None)
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


def _changed(ticket: Ticket, now: datetime) -> None:
    ticket.updated_at = now


def categorize(
    session: Session, work: clocks.Clockwork, *, ticket: Ticket, category: str, actor: str, queue: str | None = None
) -> None:
    """Set the ticket's category (e.g. from the caller's menu choice) and the group it was routed to; the first
    category starts its clocks, a change of category puts the live clocks on the new category's policies."""
    if queue and ticket.queue is None:
        ticket.queue = queue
    if ticket.category == category:
        return
    writable(ticket)
    if not state_in_lifecycle(category=category, state=ticket.status):
        raise Conflict(
            f"A {category} ticket has no status {ticket.status}: move this ticket to one both lifecycles share "
            "(in progress, waiting on customer) before changing its category."
        )
    now = utcnow()
    previous, ticket.category = ticket.category, category
    _changed(ticket, now)
    record_event(
        session,
        actor=actor,
        subject_type="ticket",
        subject_id=ticket.id,
        kind="categorized",
        category=category,
        previous=previous,
    )
    if previous is None:
        clocks.on_events(session, work, ticket=ticket, events=["opened"], at=now, now=now, actor=actor)
        return
    # Old targets must not stick to a ticket whose category changed: each live clock follows the new
    # category's policy for its target, or stops counting (superseded) if the new category has none.
    policies = policies_for(session, category=category)
    for clock in clocks.live_clocks(session, ticket_id=ticket.id):
        policy = policies.get(clock.target)
        if policy is None:
            clocks.supersede(session, clock=clock, actor=actor, why=f"category {category}")
        else:
            clocks.rebase(session, work, clock=clock, policy=policy, at=now, now=now)
    clocks.on_events(session, work, ticket=ticket, events=["opened"], at=now, now=now, actor=actor)


def move(
    session: Session,
    work: clocks.Clockwork,
    *,
    ticket: Ticket,
    to: str,
    actor: str,
    why: str | None = None,
    at: datetime | None = None,
) -> State:
    """One move of the ticket's lifecycle (IllegalMove names the allowed ones)."""
    writable(ticket)
    target = check_move(category=ticket.category, state=ticket.status, to=to)
    if ticket.category == "return_exchange" and target == State.PICKUP:
        _check_return_window(work, ticket=ticket)
    now = utcnow()
    at = at or now
    previous = ticket.status
    ticket.status = target
    _changed(ticket, now)
    if target == State.DISPATCHED and ticket.routed_deadline is None:
        # The group it goes to is given the ticket's resolution deadline, unless the dispatcher set one.
        resolve = [c for c in clocks.live_clocks(session, ticket_id=ticket.id) if c.target == "resolve"]
        ticket.routed_deadline = resolve[0].due_at if resolve else None
    if target == State.RESOLVED:
        ticket.resolved_at = at
        # The closed loop goes on after this commits: the return visit is planned, a complaint about an
        # agent is counted (contactcenter/satisfaction/jobs.py).
        # One per resolution (a reopened ticket resolved again plans again); RQ takes [A-Za-z0-9_-] only.
        job_id = f"visit-plan-{ticket.id}-{int(now.timestamp() * 1000)}"
        outbox.add(session, job=PLAN_VISIT_JOB, args=[ticket.id], job_id=job_id)
        if ticket.category == "complaint" and ticket.about_agent_id and ticket.substantiated:
            outbox.add(session, job=COMPLAINTS_JOB, args=[ticket.about_agent_id])
    elif target == State.CLOSED:
        ticket.closed_at = at
    elif target == State.REOPENED:
        ticket.resolved_at = ticket.closed_at = None
    record_event(
        session,
        actor=actor,
        subject_type="ticket",
        subject_id=ticket.id,
        kind="status_changed",
        status=target.value,
        previous=previous,
        why=why,
    )
    clocks.on_events(
        session, work, ticket=ticket, events=[f"left:{previous}", f"entered:{target}"], at=at, now=now, actor=actor
    )
    return target


def _check_return_window(work: clocks.Clockwork, *, ticket: Ticket) -> None:
    """A return or exchange is accepted (the goods picked up) only if it was applied for within 7 working
    days of the purchase; a late one can only be refused (resolved, with the reason)."""
    if ticket.purchase_date is None:
        raise Conflict("Record the purchase date first: a return or exchange is accepted within 7 working days of it.")
    applied = as_utc(ticket.created_at).astimezone(ZoneInfo(work.timezone)).date()
    days = work.working_days(RETURN_CALENDAR, after=ticket.purchase_date, until=applied)
    if days > RETURN_WINDOW_DAYS:
        raise Conflict(
            f"申请于购买后第 {days} 个工作日提出,超过 {RETURN_WINDOW_DAYS} 个工作日,只能拒绝(以原因办结)。"
            f"It was applied for {days} working days after the purchase, past the {RETURN_WINDOW_DAYS} allowed: "
            "it can only be refused (resolved, with the reason).",
            code="return_window_passed",
        )


def path_to(*, category: str | None, state: str, to: str) -> list[State] | None:
    """The shortest walk of the lifecycle from `state` to `to` through working states (never waiting,
    reopened or merged on the way), or None if there is none."""
    goal = State(to)
    if state == goal:
        return []
    moves = lifecycle_of(category).moves
    avoid = {*PAUSING_STATES, State.WAITING_PARTS, State.REOPENED, State.MERGED} - {goal}
    seen, queue = {State(state)}, deque([(State(state), list[State]())])
    while queue:
        here, walked = queue.popleft()
        for step in moves.get(here, ()):
            if step in seen or step in avoid:
                continue
            if step == goal:
                return [*walked, step]
            seen.add(step)
            queue.append((step, [*walked, step]))
    return None


def move_to(session: Session, work: clocks.Clockwork, *, ticket: Ticket, to: str, actor: str, why: str) -> None:
    """Bring the ticket to `to` by the lifecycle's shortest walk, each step an event (the agent's wrap-up
    says where the ticket stands, not every step on the way); a single illegal move if there is no walk."""
    walk = path_to(category=ticket.category, state=writable(ticket).status, to=to)
    if walk is None:
        check_move(category=ticket.category, state=ticket.status, to=to)  # raises, naming the allowed moves
        return
    for step in walk:
        move(session, work, ticket=ticket, to=step, actor=actor, why=why)


def answered(session: Session, work: clocks.Clockwork, *, ticket: Ticket, agent_id: int) -> None:
    """An agent took one of the ticket's calls or chats: it is theirs if nobody's, a new ticket is
    acknowledged, and its first-response clock is met."""
    if ticket.status == State.MERGED:
        return
    if ticket.assignee_id is None:
        ticket.assignee_id = agent_id
        record_event(
            session, actor=f"user:{agent_id}", subject_type="ticket", subject_id=ticket.id, kind="assigned", to=agent_id
        )
    now = utcnow()
    if ticket.status == State.NEW:
        move(session, work, ticket=ticket, to=State.ACKNOWLEDGED, actor=f"user:{agent_id}", why="answered")
    clocks.on_events(session, work, ticket=ticket, events=["answered"], at=now, now=now, actor=f"user:{agent_id}")


def assign(session: Session, *, ticket: Ticket, assignee_id: int | None, actor: str) -> None:
    """Give the ticket to an agent or team lead (None: back to nobody's, for a team lead to hand out)."""
    writable(ticket)
    if assignee_id is not None:
        user = session.get(User, assignee_id)
        if user is None or not user.active or user.role not in AGENT_LIKE_ROLES:
            raise Invalid(
                f"User {assignee_id} is not an active agent or team lead; tickets go to people who take contacts."
            )
    if ticket.assignee_id == assignee_id:
        return
    previous, ticket.assignee_id = ticket.assignee_id, assignee_id
    _changed(ticket, utcnow())
    record_event(
        session,
        actor=actor,
        subject_type="ticket",
        subject_id=ticket.id,
        kind="assigned",
        to=assignee_id,
        previous=previous,
    )


def add_note(
    session: Session,
    work: clocks.Clockwork | None,
    *,
    ticket: Ticket,
    body: str,
    author: User,
    contact_id: int | None,
    kind: str = "note",
) -> TicketNote:
    """Append a note (`reply`: what we told the customer, which meets the reply and first-response clocks)."""
    writable(ticket)
    if kind not in NOTE_KINDS:
        raise Invalid(f"A note's kind is one of: {', '.join(NOTE_KINDS)}.")
    if not body.strip():
        raise Invalid("A note needs some text.")
    note = TicketNote(ticket_id=ticket.id, body=body, author_id=author.id, contact_id=contact_id, kind=kind)
    session.add(note)
    now = utcnow()
    _changed(ticket, now)
    if ticket.assignee_id is None:
        ticket.assignee_id = author.id
    session.flush()
    record_event(
        session,
        actor=f"user:{author.id}",
        subject_type="ticket",
        subject_id=ticket.id,
        kind="note_added",
        note_id=note.id,
        note_kind=kind,
    )
    if kind == "reply" and work is not None:
        clocks.on_events(session, work, ticket=ticket, events=["reply"], at=now, now=now, actor=f"user:{author.id}")
    return note


def _shown(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def update_fields(session: Session, *, ticket: Ticket, changes: dict[str, Any], actor: str) -> dict[str, Any]:
    """Change the ticket's own fields (product, serial, purchase date, description, solution, …); returns
    what changed, old and new, also recorded as one event."""
    writable(ticket)
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise Invalid(
            f"Fields that cannot be changed here: {', '.join(unknown)}; editable: {', '.join(EDITABLE_FIELDS)}."
        )
    if "subject" in changes and not str(changes["subject"] or "").strip():
        raise Invalid("A ticket needs a subject.")
    if (
        changes.get("queue") is not None
        and session.scalar(select(Queue.id).where(Queue.name == changes["queue"])) is None
    ):
        raise Invalid(f"There is no group (queue) {changes['queue']!r} to route the ticket to.")
    if changes.get("about_agent_id") is not None:
        agent = session.get(User, changes["about_agent_id"])
        if agent is None or agent.role not in AGENT_LIKE_ROLES:
            raise Invalid(f"User {changes['about_agent_id']} is no agent or team lead; a complaint is about one.")
    done: dict[str, Any] = {}
    for name, value in changes.items():
        old = getattr(ticket, name)
        if old != value:
            setattr(ticket, name, value)
            done[name] = {"from": _shown(old), "to": _shown(value)}
    if done:
        _changed(ticket, utcnow())
        record_event(session, actor=actor, subject_type="ticket", subject_id=ticket.id, kind="fields_changed", **done)
    return done


def reapply_policies(session: Session, work: clocks.Clockwork, *, ticket: Ticket, actor: str) -> list[str]:
    """Put the ticket's live clocks on the current version of their policies (audited); returns the targets
    whose version changed."""
    writable(ticket)
    now = utcnow()
    policies = policies_for(session, category=ticket.category)
    changed = []
    for clock in clocks.live_clocks(session, ticket_id=ticket.id):
        policy = policies.get(clock.target)
        if policy is not None and (policy.policy_id, policy.version) != (clock.policy_id, clock.policy_version):
            old = clock.policy_version
            clocks.rebase(session, work, clock=clock, policy=policy, at=now, now=now)
            changed.append(clock.target)
            record_event(
                session,
                actor=actor,
                subject_type="ticket",
                subject_id=ticket.id,
                kind="policy_reapplied",
                target=clock.target,
                previous_version=old,
                version=policy.version,
            )
    return changed
