"""Routing's live state rebuilt from SQL and Twilio after Redis lost its data (flushed, restarted without
its files): queue settings; the agents, not ready, remembering their last choice; calls in progress (asked
of Twilio: one that ended meanwhile is ended) and chats in progress, their agents' again; then every call,
callback and chat still waiting, each at its original place (arrival time and priority), a contact that
was being offered among them, and a caller who hung up during the outage ended instead. What is decided
about agents and work in progress, and why, is in rebuild_live.py.

Redis holds a mark (`EPOCH_KEY`) from the moment its live state was built: its absence is how a lost
Redis is noticed (the reconciler looks every pass) and `contactcenter rebuild` does it by hand.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from contactcenter.callbacks.models import Callback, CallbackStatus
from contactcenter.chats import presence
from contactcenter.contacts.lifecycle import finish_contact
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.reconcile.rebuild_live import (
    chat_priority,
    contact_info,
    in_progress,
    restore_agents,
    restore_assignment,
)
from contactcenter.telephony import TelephonyError
from contactcenter.timeutil import as_utc
from queues.config import publish_all
from queues.engine import RoutingError

log = logging.getLogger(__name__)
EPOCH_KEY = "cc:{rt}:epoch"  # in routing's hash tag: on a cluster it lives, and is lost, with routing's keys
# Twilio's final statuses. A call Twilio does not know ("unknown": another account, another sandbox) is
# no proof the caller left: nothing is done about it.
CALL_OVER = ("completed", "busy", "failed", "no-answer", "canceled")
CALL_LIVE = ("queued", "ringing", "in-progress")


@dataclass
class Rebuilt:
    queues: int = 0
    requeued: list[int] = field(default_factory=list)  # contact ids back in their queue, oldest first
    ended: list[int] = field(default_factory=list)  # callers Twilio says hung up meanwhile
    assigned: list[int] = field(default_factory=list)  # calls and chats in progress, their agent's again
    agents: list[int] = field(default_factory=list)  # agents back, not ready, remembering their last choice


def redis_was_lost(services: Services) -> bool:
    """Whether Redis lacks the mark of a built live state (new, flushed, or restarted without its data)."""
    return not services.redis.exists(EPOCH_KEY)


def rebuild(services: Services) -> Rebuilt:
    """Rebuild routing's live state from SQL and Twilio; contacts routing holds already are left alone."""
    rebuilt = Rebuilt()
    with services.db.session() as session:
        rebuilt.queues = publish_all(session, services.routing)
        working = [work for work in in_progress(session) if not services.routing.contact(str(work.contact.id))]
        live = []
        for work in working:
            if work.line and final_status(services, work.line) is not None:
                rebuilt.ended.append(work.contact.id)
            else:
                live.append(work)
        rebuilt.agents = restore_agents(services, session, working={int(w.contact.agent_id or 0) for w in live})
        for work in live:
            try:
                restore_assignment(services, session, work)
            except RoutingError as exc:  # e.g. SQL has its agent on two calls: one is stale, Twilio cannot say which
                log.warning("contact %s not given back to agent %s: %s", work.contact.id, work.contact.agent_id, exc)
                continue
            rebuilt.assigned.append(work.contact.id)
        _requeue_waiting(services, session, rebuilt)
    for contact_id in rebuilt.ended:
        finish_contact(services, contact_id=contact_id, reason="caller_gone")
    services.redis.set(EPOCH_KEY, int(time.time() * 1000))
    log.warning(
        "routing rebuilt from SQL: %d queue(s), %d agent(s) back not ready, %d contact(s) back with their agent, "
        "%d back in their queue, %d ended (caller gone)",
        rebuilt.queues,
        len(rebuilt.agents),
        len(rebuilt.assigned),
        len(rebuilt.requeued),
        len(rebuilt.ended),
    )
    return rebuilt


def _requeue_waiting(services: Services, session: Session, rebuilt: Rebuilt) -> None:
    """Every call, callback and chat SQL has waiting, back at its place (a caller gone meanwhile: ended)."""
    waiting = session.scalars(
        select(Contact)
        .where(
            or_(
                Contact.status.in_((ContactStatus.QUEUED, ContactStatus.CALLBACK)) & (Contact.channel == "voice"),
                (Contact.status == ContactStatus.QUEUED) & (Contact.channel == "chat"),
            )
        )
        .order_by(Contact.queued_at, Contact.id)
    ).all()
    for contact in waiting:
        if services.routing.contact(str(contact.id)):
            continue
        callback = None
        if contact.status == ContactStatus.CALLBACK:
            callback = session.scalar(select(Callback).where(Callback.contact_id == contact.id))
            if callback is None or callback.status != CallbackStatus.WAITING:
                continue  # released, dialled or over: that callback lives on in a later contact, or not
        elif contact.channel == "voice" and final_status(services, contact.provider_id) is not None:
            rebuilt.ended.append(contact.id)
            continue
        _requeue(services, session, contact, callback)
        rebuilt.requeued.append(contact.id)


def requeue_contact(services: Services, *, contact_id: int) -> None:
    """One waiting call SQL has and routing lost (not a whole Redis: say its enqueue was lost), back at its
    place by its original arrival time; nothing if routing has it meanwhile or SQL no longer waits on it."""
    with services.db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.status != ContactStatus.QUEUED or services.routing.contact(str(contact_id)):
            return
        _requeue(services, session, contact, None)


def _requeue(services: Services, session: Session, contact: Contact, callback: Callback | None) -> None:
    arrived = as_utc(contact.queued_at) or as_utc(contact.created_at)
    chat = contact.channel == "chat"
    services.routing.enqueue(
        contact_id=str(contact.id),
        queue=contact.queue or "general",
        priority=chat_priority(session, contact) if chat else contact.priority,
        info=contact_info(services, session, contact, callback),
        skills=contact.routing_skills,
        caller=None if chat or callback or not contact.from_number.startswith("+") else contact.from_number,
        channel=contact.channel,
        call_sid=None if chat or callback else contact.provider_id,
        arrived_ms=int(arrived.timestamp() * 1000) if arrived else None,
    )
    if chat:  # watched again: a page that went away meanwhile is abandoned after the grace, as ever
        presence.heard(services.redis, contact_id=contact.id)


def final_status(services: Services, call_sid: str) -> str | None:
    """Twilio's final status of a call ("completed", "busy", …), or None: still live, unknown to Twilio,
    not a Twilio call (a callback's placeholder id), or Twilio cannot say now."""
    status = call_status_of(services, call_sid)
    return status if status in CALL_OVER else None


def call_status_of(services: Services, call_sid: str) -> str | None:
    """Twilio's status of a call ("in-progress", "completed", "unknown" when it has none, …), or None: not a
    Twilio call (a callback's placeholder id), or Twilio cannot say now."""
    if not call_sid.startswith("CA"):
        return None
    try:
        return services.telephony.call_status(call_sid=call_sid)
    except TelephonyError as exc:  # the caller is most likely still there
        log.info("Twilio cannot tell about %s now: %s", call_sid, exc)
        return None
