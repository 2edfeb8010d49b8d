"""Legal holds: placed by a manager or admin with a case number and a reason, over a customer, a ticket, an
agent or a date range; released with a reason. A hold in force always beats a policy: the daily run neither
marks nor destroys what it covers (a hold placed during an object's grace period saves it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.customers.models import Customer
from contactcenter.errors import Conflict, Invalid, NotFound
from contactcenter.retention.models import LegalHold
from contactcenter.tickets.models import Ticket
from contactcenter.timeutil import as_utc, utcnow
from contactcenter.users.models import User

SCOPES = ("customer", "ticket", "agent", "dates")
SCOPE_LABELS = {
    "customer": ("客户", "Customer"),
    "ticket": ("工单", "Ticket"),
    "agent": ("坐席", "Agent"),
    "dates": ("日期范围", "Date range"),
}


@dataclass(frozen=True)
class Hold:
    """A hold in force, as the run matches it (read once per batch, detached from any session)."""

    id: int
    scope: str
    customer_id: int | None
    ticket_id: int | None
    agent_id: int | None
    date_from: datetime | None
    date_to: datetime | None

    def covers(self, *, customer_id: int | None, ticket_id: int | None, agent_id: int | None, at: datetime) -> bool:
        """Whether an object of this customer, ticket and agent, of this time, is held."""
        at = as_utc(at)
        if (self.date_from and at < self.date_from) or (self.date_to and at > self.date_to):
            return False
        if self.scope == "customer":
            return customer_id is not None and customer_id == self.customer_id
        if self.scope == "ticket":
            return ticket_id is not None and ticket_id == self.ticket_id
        if self.scope == "agent":
            return agent_id is not None and agent_id == self.agent_id
        return True  # a date range alone


def in_force(session: Session) -> list[Hold]:
    """Every hold not released."""
    rows = session.scalars(select(LegalHold).where(LegalHold.released_at.is_(None)).order_by(LegalHold.id))
    return [
        Hold(h.id, h.scope, h.customer_id, h.ticket_id, h.agent_id, as_utc(h.date_from), as_utc(h.date_to))
        for h in rows
    ]


def holding(
    holds: list[Hold], *, customer_id: int | None, ticket_id: int | None, agent_id: int | None, at: datetime
) -> list[int]:
    """The ids of the holds that cover such an object."""
    return [h.id for h in holds if h.covers(customer_id=customer_id, ticket_id=ticket_id, agent_id=agent_id, at=at)]


def place(
    session: Session,
    *,
    case_number: str,
    reason: str,
    scope: str,
    subject_id: int | None,
    date_from: datetime | None,
    date_to: datetime | None,
    by: int,
) -> LegalHold:
    """Place a hold (the customer, ticket or agent it names must exist); audited `hold_placed`."""
    if scope not in SCOPES:
        raise Invalid(f"scope must be one of: {', '.join(SCOPES)}.")
    if not case_number.strip() or not reason.strip():
        raise Invalid("A legal hold needs its case number and a reason.")
    if date_from and date_to and as_utc(date_from) > as_utc(date_to):
        raise Invalid("The date range ends before it starts.")
    if scope == "dates":
        if date_from is None and date_to is None:
            raise Invalid("A date-range hold needs a start or an end date.")
        subject_id = None
    elif subject_id is None:
        raise Invalid(f"Name the {scope} this hold covers (subject_id).")
    else:
        model = {"customer": Customer, "ticket": Ticket, "agent": User}[scope]
        if session.get(model, subject_id) is None:
            raise NotFound(f"No {scope} {subject_id}.")
    hold = LegalHold(
        case_number=case_number.strip(),
        reason=reason.strip(),
        scope=scope,
        customer_id=subject_id if scope == "customer" else None,
        ticket_id=subject_id if scope == "ticket" else None,
        agent_id=subject_id if scope == "agent" else None,
        date_from=date_from,
        date_to=date_to,
        placed_by=by,
        placed_at=utcnow(),
    )
    session.add(hold)
    session.flush()
    record_event(
        session,
        actor=f"user:{by}",
        subject_type="legal_hold",
        subject_id=hold.id,
        kind="hold_placed",
        case_number=hold.case_number,
        scope=scope,
        subject=subject_id,
        date_from=as_utc(date_from).isoformat() if date_from else None,
        date_to=as_utc(date_to).isoformat() if date_to else None,
    )
    return hold


def release(session: Session, *, hold_id: int, reason: str, by: int) -> LegalHold:
    """Release a hold (with a reason); what it kept expires again at the next run. Audited `hold_released`."""
    hold = session.get(LegalHold, hold_id, with_for_update=True)
    if hold is None:
        raise NotFound(f"No legal hold {hold_id}.")
    if hold.released_at is not None:
        raise Conflict("This hold is released already.")
    if not reason.strip():
        raise Invalid("Say why the hold is released.")
    hold.released_at, hold.released_by, hold.release_reason = utcnow(), by, reason.strip()
    record_event(
        session,
        actor=f"user:{by}",
        subject_type="legal_hold",
        subject_id=hold.id,
        kind="hold_released",
        case_number=hold.case_number,
        reason=hold.release_reason,
    )
    return hold


def view(hold: LegalHold, names: dict[int, str]) -> dict[str, Any]:
    """A hold as the API shows it."""
    subject = hold.customer_id or hold.ticket_id or hold.agent_id

    def iso(value: datetime | None) -> str | None:
        return as_utc(value).astimezone(UTC).isoformat() if value else None

    return {
        "id": hold.id,
        "case_number": hold.case_number,
        "reason": hold.reason,
        "scope": hold.scope,
        "scope_label": SCOPE_LABELS[hold.scope],
        "subject_id": subject,
        "date_from": iso(hold.date_from),
        "date_to": iso(hold.date_to),
        "placed_by": names.get(hold.placed_by, f"#{hold.placed_by}"),
        "placed_at": iso(hold.placed_at),
        "released_by": names.get(hold.released_by, f"#{hold.released_by}") if hold.released_by else None,
        "released_at": iso(hold.released_at),
        "release_reason": hold.release_reason,
    }


def listing(session: Session, *, released: bool) -> list[dict[str, Any]]:
    """Holds in force (newest first), and the released ones too when asked."""
    query = select(LegalHold).order_by(LegalHold.id.desc()).limit(500)
    if not released:
        query = query.where(LegalHold.released_at.is_(None))
    rows = session.scalars(query).all()
    people = {h.placed_by for h in rows} | {h.released_by for h in rows if h.released_by}
    names = {
        row.id: row.display_name
        for row in session.execute(select(User.id, User.display_name).where(User.id.in_(people)))
    }
    return [view(h, names) for h in rows]
