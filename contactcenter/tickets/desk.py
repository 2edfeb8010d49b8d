"""The desk's ticket list: whose tickets a person may list (their view), the filters, full-text search,
newest activity first, a page at a time (keyset: the cursor is the last row's `updated_at` and id, so a page
deep in a million tickets costs what the first does); and saved views.

Merged tickets are left out unless asked for by status: each request counts once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, any_, exists, func, or_, select, text
from sqlalchemy.orm import Session

from contactcenter.access.scopes import Reach
from contactcenter.contacts.models import Contact
from contactcenter.customers.models import Customer
from contactcenter.errors import MAX_ID, Conflict, Forbidden, Invalid, NotFound
from contactcenter.tickets import clocks
from contactcenter.tickets.lifecycle import State, both_labels, category_label
from contactcenter.tickets.models import SavedView, Ticket, TicketClock
from contactcenter.tickets.search import matching
from contactcenter.timeutil import as_utc, utcnow
from contactcenter.users.models import Role, User

VIEWS = ("mine", "queues", "team", "all")
DUE_FILTERS = ("breaching_soon", "breached")
SOON = timedelta(hours=1)  # "breaching soon": a counting clock past its warning share or due within the hour
MAX_PAGE = 100
MAX_SAVED_VIEWS = 50
# A search reads the matches of the last month's activity, then all of them (`_searched`).
SEARCH_WINDOWS: tuple[timedelta | None, ...] = (timedelta(days=30), None)
# Only the search index and the window's range, ANDed as bitmaps; exact ones (no page rechecked word by word).
_BITMAP_ONLY = ("enable_indexscan = off", "enable_seqscan = off", "work_mem = '64MB'")


@dataclass(frozen=True)
class Filters:
    """What the desk's list may be narrowed by (every one optional)."""

    view: str = "mine"
    status: tuple[str, ...] = ()
    category: str | None = None
    assignee_id: int | None = None
    queue: str | None = None
    customer_id: int | None = None
    due: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    q: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def views_for(reach: Reach) -> tuple[str, ...]:
    """The views a person may choose: agents their own and their queues', team leads also their team's,
    managers and admins everything."""
    if reach.recorded:
        return ()
    if reach.everything:
        return VIEWS
    if reach.dispatches:
        return ("mine", "queues", "team")
    return ("mine", "queues")


def _visible(reach: Reach, view: str) -> ColumnElement[bool]:
    if view not in views_for(reach):
        allowed = ", ".join(views_for(reach)) or "none"
        raise Forbidden(f"The {view!r} view is not yours; yours: {allowed}.")
    me = reach.user.id
    if view == "mine":
        return Ticket.assignee_id == me
    if view == "queues":
        return or_(Ticket.queue.in_(sorted(reach.queues)), Ticket.assignee_id == me)
    if view == "team":
        return or_(
            Ticket.assignee_id.in_(sorted(reach.agents)),
            Ticket.queue.in_(sorted(reach.led_queues | reach.queues)),
            # Nobody's and of no call or chat (a message left on the chat page): team leads hand these out. A
            # call still in the menu has no queue yet, and is no team's (scopes.py says the same).
            and_(
                Ticket.assignee_id.is_(None),
                Ticket.queue.is_(None),
                ~exists().where(Contact.ticket_id == Ticket.id),
            ),
        )
    return Ticket.id.is_not(None)


def _due(kind: str, now: datetime, dialect: str) -> ColumnElement[bool]:
    if kind == "breached":
        if dialect == "postgresql":
            # The few breached tickets by id, then sorted: told EXISTS, the planner walked the newest-first index
            # probing every ticket's clocks (bench/tickets.py: 40 ms at 1,000,000 tickets, 13 ms this way).
            breached = select(TicketClock.ticket_id).where(TicketClock.state == clocks.BREACHED)
            return Ticket.id == any_(func.array(breached.scalar_subquery()))
        return exists().where(TicketClock.ticket_id == Ticket.id, TicketClock.state == clocks.BREACHED)
    return exists().where(
        TicketClock.ticket_id == Ticket.id,
        TicketClock.state == clocks.RUNNING,
        or_(TicketClock.due_at <= now + SOON, TicketClock.warned_at.is_not(None)),
    )


def _cursor(value: str) -> tuple[datetime, int]:
    try:
        at, _, ident = value.rpartition("_")
        when, number = datetime.fromisoformat(at), int(ident)
    except ValueError as exc:
        raise Invalid("after must be the `next` value of an earlier page.") from exc
    if not 0 < number <= MAX_ID or when.tzinfo is None:
        raise Invalid("after must be the `next` value of an earlier page.")
    return when, number


def list_tickets(
    session: Session, *, reach: Reach, filters: Filters, limit: int = 50, after: str | None = None
) -> dict[str, Any]:
    """One page of the tickets the person may see that match the filters, newest activity first."""
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit must be between 1 and {MAX_PAGE}.")
    now = utcnow()
    dialect = session.get_bind().dialect.name
    where: list[ColumnElement[bool]] = [_visible(reach, filters.view)]
    for status in filters.status:
        if status not in State.__members__.values():
            raise Invalid(f"Unknown status {status!r}; statuses are: {', '.join(s.value for s in State)}.")
    if filters.status:
        where.append(Ticket.status.in_(filters.status))
    else:
        where.append(Ticket.status != State.MERGED)
    if filters.category:
        where.append(Ticket.category == filters.category)
    if filters.assignee_id is not None:
        where.append(Ticket.assignee_id == filters.assignee_id)
    if filters.queue:
        where.append(Ticket.queue == filters.queue)
    if filters.customer_id is not None:
        where.append(Ticket.customer_id == filters.customer_id)
    if filters.due:
        if filters.due not in DUE_FILTERS:
            raise Invalid(f"due must be one of: {', '.join(DUE_FILTERS)}.")
        where.append(_due(filters.due, now, dialect))
    for column, low, high in (
        (Ticket.created_at, filters.created_from, filters.created_to),
        (Ticket.updated_at, filters.updated_from, filters.updated_to),
    ):
        if low is not None:
            where.append(column >= low)
        if high is not None:
            where.append(column < high)
    if filters.q is not None:
        where.append(matching(filters.q, dialect=dialect))
    newest = now
    if after:
        newest, ident = _cursor(after)
        where.append(or_(Ticket.updated_at < newest, and_(Ticket.updated_at == newest, Ticket.id < ident)))
    query = select(Ticket).where(*where).order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(limit + 1)
    if filters.q is not None and dialect == "postgresql":
        rows = _searched(session, query, newest=newest, limit=limit)
    else:
        rows = list(session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    next_cursor = f"{as_utc(last.updated_at).isoformat()}_{last.id}" if more and last is not None else None
    return {"tickets": _rows(session, rows, now), "next": next_cursor, "views": list(views_for(reach))}


def _searched(session: Session, query: Select[Ticket], *, newest: datetime, limit: int) -> list[Ticket]:
    """A search's page on PostgreSQL: the search index's matches within the last month's activity, sorted; all of
    them if the page is not full.

    Left to itself the planner either walked the newest-first index working out each ticket's words again (~25 µs
    a ticket: 13-20 s for words it took for common that few tickets of the view hold) or read every match and
    sorted them (7 s for a word in a third of a million tickets). The window's tickets ANDed with the index's
    matches bound both (bench/tickets.py at 1,000,000 tickets: search p99 9-16 s, now 140 ms). A phrase whose
    words always go together still reads all its matches once per window: the planner takes it for rare."""
    for window in SEARCH_WINDOWS:
        bounded = query if window is None else query.where(Ticket.updated_at >= newest - window)
        for setting in _BITMAP_ONLY:
            session.execute(text(f"SET LOCAL {setting}"))
        rows = list(session.scalars(bounded))
        for setting in _BITMAP_ONLY:
            session.execute(text(f"RESET {setting.split(' = ')[0]}"))
        if len(rows) > limit or window is None:
            return rows
    raise AssertionError("the last search window is unbounded")


def _rows(session: Session, tickets: list[Ticket], now: datetime) -> list[dict[str, Any]]:
    ids = [t.id for t in tickets]
    counting = session.scalars(
        select(TicketClock)
        .where(TicketClock.ticket_id.in_(ids), TicketClock.state.in_(clocks.COUNTING))
        .order_by(TicketClock.due_at)
    ).all()
    next_due: dict[int, TicketClock] = {}
    breached: set[int] = set()
    for clock in counting:
        next_due.setdefault(clock.ticket_id, clock)
        if clock.state == clocks.BREACHED:
            breached.add(clock.ticket_id)
    people = {t.assignee_id for t in tickets} - {None}
    names = {i: n for i, n in session.execute(select(User.id, User.display_name).where(User.id.in_(people)))}
    customers = {t.customer_id for t in tickets} - {None}
    customer_names = {
        i: n for i, n in session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(customers)))
    }
    out = []
    for t in tickets:
        due = next_due.get(t.id)
        out.append(
            {
                "id": t.id,
                "number": t.number,
                "status": t.status,
                "status_label": both_labels(t.status),
                "category": t.category,
                "category_label": f"{category_label(t.category)} {category_label(t.category, 'en')}"
                if t.category
                else None,
                "subject": t.subject,
                "customer_id": t.customer_id,
                "customer": customer_names.get(t.customer_id) if t.customer_id else None,
                "assignee_id": t.assignee_id,
                "assignee": names.get(t.assignee_id) if t.assignee_id else None,
                "queue": t.queue,
                "escalation_level": t.escalation_level,
                "created_at": as_utc(t.created_at).isoformat(),
                "updated_at": as_utc(t.updated_at).isoformat(),
                "resolved_at": as_utc(t.resolved_at).isoformat() if t.resolved_at else None,
                "next_due": clocks.view(due, now=now) if due else None,
                "breached": t.id in breached,
            }
        )
    return out


def saved_views(session: Session, *, user_id: int) -> list[dict[str, Any]]:
    """A person's saved views, by name."""
    rows = session.scalars(select(SavedView).where(SavedView.user_id == user_id).order_by(SavedView.name))
    return [{"id": v.id, "name": v.name, "filters": v.filters} for v in rows]


def save_view(session: Session, *, user_id: int, name: str, filters: dict[str, Any]) -> dict[str, Any]:
    """Keep (or replace) a named view of the list for this person."""
    name = name.strip()
    if not 1 <= len(name) <= 64:
        raise Invalid("A view's name is 1 to 64 characters.")
    view = session.scalar(select(SavedView).where(SavedView.user_id == user_id, SavedView.name == name))
    if view is None:
        count = len(saved_views(session, user_id=user_id))
        if count >= MAX_SAVED_VIEWS:
            raise Conflict(f"You have {count} saved views, the most one may keep; delete one first.")
        view = SavedView(user_id=user_id, name=name, filters=filters)
        session.add(view)
    else:
        view.filters = filters
    session.flush()
    return {"id": view.id, "name": view.name, "filters": view.filters}


def delete_view(session: Session, *, user_id: int, view_id: int) -> None:
    """Forget one of this person's saved views."""
    view = session.get(SavedView, view_id)
    if view is None or view.user_id != user_id:
        raise NotFound("No such saved view of yours.")
    session.delete(view)


def assignable(session: Session, *, reach: Reach) -> list[dict[str, Any]]:
    """Whom the person may give a ticket to: team leads their team, managers anyone who takes contacts,
    agents themselves."""
    query = select(User.id, User.display_name, User.username).where(
        User.active.is_(True), User.role.in_([Role.AGENT, Role.SUPERVISOR])
    )
    if not reach.everything:
        query = query.where(User.id.in_(sorted(reach.agents)))
    return [{"id": i, "name": n, "username": u} for i, n, u in session.execute(query.order_by(User.display_name))]
