"""Ending a contact everywhere at once: in routing (freeing the agent) and in SQL."""

from __future__ import annotations

import logging

from contactcenter.contacts import service as contacts
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from queues.engine import RoutingError

log = logging.getLogger(__name__)


class UnknownCall(LookupError):
    """A webhook or action names a call or contact we never saw."""


def finish_contact(services: Services, *, contact_id: int, reason: str) -> None:
    """End a contact in routing (freeing or wrapping up its agent) and in SQL. Idempotent."""
    with services.db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise UnknownCall(f"no contact {contact_id}")
        if contact.status in (ContactStatus.QUEUED, ContactStatus.CONNECTED):
            try:
                services.routing.finish(contact_id=str(contact_id), reason=reason)
            except RoutingError as exc:
                log.warning("contact %s unknown to routing while finishing: %s", contact_id, exc)
        contacts.mark_finished(session, contact=contact, reason=reason)
