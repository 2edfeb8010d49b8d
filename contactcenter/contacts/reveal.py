"""Revealing a caller's whole number: an explicit, audited action (everywhere else numbers are masked for
agents: contactcenter/access/masking.py).

An agent may reveal the number of a contact that is theirs (offered to them, handled by them, a voicemail
or a callback they took), giving a reason; roles that see numbers whole may reveal any. Each reveal is an
audit entry `phone_revealed` with who, why and from where.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, StrictStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.access.masking import sees_whole
from contactcenter.audit.service import record_event
from contactcenter.callbacks.models import Callback
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.errors import Forbidden, NotFound
from contactcenter.users.auth import CurrentUser
from contactcenter.voicemails.models import Voicemail


class Reveal(BaseModel):
    """Why the whole number is needed (kept in the audit log)."""

    reason: StrictStr = Field(min_length=3, max_length=500, pattern=r"\S")


def reveal_phone(
    services: Services, *, viewer: CurrentUser, contact_id: int, reason: str, client: str
) -> dict[str, Any]:
    """The contact's whole number for this viewer, recorded in the audit log; 403 unless it is theirs to see."""
    with services.db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise NotFound(f"There is no contact {contact_id}.")
        if not (sees_whole(viewer) or _is_theirs(services, session, viewer=viewer, contact=contact)):
            raise Forbidden("You may reveal the number of your own contacts only.")
        audit_reveal(session, viewer=viewer, contact_id=contact_id, reason=reason.strip(), client=client)
        return {"contact": contact_id, "phone": contact.from_number}


def _is_theirs(services: Services, session: Session, *, viewer: CurrentUser, contact: Contact) -> bool:
    """Offered to or handled by the viewer, or a voicemail or callback the viewer took."""
    if contact.agent_id == viewer.id or services.routing.contact(str(contact.id)).get("agent") == str(viewer.id):
        return True
    took_voicemail = select(Voicemail.id).where(Voicemail.contact_id == contact.id, Voicemail.taken_by == viewer.id)
    took_callback = select(Callback.id).where(Callback.contact_id == contact.id, Callback.agent_id == viewer.id)
    return session.scalar(took_voicemail) is not None or session.scalar(took_callback) is not None


def audit_reveal(session: Session, *, viewer: CurrentUser, contact_id: int, reason: str, client: str) -> None:
    """The reveal in the audit trail (the route also writes it to the access log, before the number leaves)."""
    record_event(
        session,
        actor=f"user:{viewer.id}",
        subject_type="contact",
        subject_id=contact_id,
        kind="phone_revealed",
        reason=reason,
        client=client,
    )
