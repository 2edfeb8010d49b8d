"""Routing's live state rebuilt from SQL and Twilio after Redis lost its data (flushed, restarted without
its files): queue settings, then every call still waiting (asked of Twilio: a caller who hung up during
the outage is ended instead) and every callback waiting, each at its original place (arrival time and
priority). Chats, offers out and calls in progress are not rebuilt (an agent sets their state again;
docs/architecture.md).

Redis holds a mark (`EPOCH_KEY`) from the moment its live state was built: its absence is how a lost
Redis is noticed (the reconciler looks every pass) and `contactcenter rebuild` does it by hand.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import select

from contactcenter.callbacks.models import Callback, CallbackStatus
from contactcenter.contacts.lifecycle import finish_contact
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.telephony import TelephonyError
from contactcenter.timeutil import as_utc
from ivr.call import IvrCall
from ivr.queueing import routing_info
from queues.config import publish_all

log = logging.getLogger(__name__)
EPOCH_KEY = "cc:{rt}:epoch"  # in routing's hash tag: on a cluster it lives, and is lost, with routing's keys
# Twilio's final statuses. A call Twilio does not know ("unknown": another account, another sandbox) is
# no proof the caller left: nothing is done about it.
CALL_OVER = ("completed", "busy", "failed", "no-answer", "canceled")


@dataclass
class Rebuilt:
    queues: int = 0
    requeued: list[int] = field(default_factory=list)  # contact ids back in their queue, oldest first
    ended: list[int] = field(default_factory=list)  # callers Twilio says hung up meanwhile


def redis_was_lost(services: Services) -> bool:
    """Whether Redis lacks the mark of a built live state (new, flushed, or restarted without its data)."""
    return not services.redis.exists(EPOCH_KEY)


def rebuild(services: Services) -> Rebuilt:
    """Rebuild routing's live state from SQL and Twilio; contacts routing holds already are left alone."""
    rebuilt = Rebuilt()
    with services.db.session() as session:
        rebuilt.queues = publish_all(session, services.routing)
        waiting = session.scalars(
            select(Contact)
            .where(Contact.status.in_((ContactStatus.QUEUED, ContactStatus.CALLBACK)), Contact.channel == "voice")
            .order_by(Contact.queued_at, Contact.id)
        ).all()
        for contact in waiting:
            if services.routing.contact(str(contact.id)):
                continue
            if contact.status == ContactStatus.CALLBACK:
                callback = session.scalar(select(Callback).where(Callback.contact_id == contact.id))
                if callback is None or callback.status != CallbackStatus.WAITING:
                    continue  # released, dialled or over: that callback lives on in a later contact, or not
            elif final_status(services, contact.provider_id) is not None:
                rebuilt.ended.append(contact.id)
                continue
            else:
                callback = None
            call = IvrCall(services, services.flows.for_number(contact.to_number), session, contact)
            _requeue(services, call, callback)
            rebuilt.requeued.append(contact.id)
    for contact_id in rebuilt.ended:
        finish_contact(services, contact_id=contact_id, reason="caller_gone")
    services.redis.set(EPOCH_KEY, int(time.time() * 1000))
    log.warning(
        "routing rebuilt from SQL: %d queue(s), %d contact(s) back in their queue, %d ended (caller gone)",
        rebuilt.queues,
        len(rebuilt.requeued),
        len(rebuilt.ended),
    )
    return rebuilt


def _requeue(services: Services, call: IvrCall, callback: Callback | None) -> None:
    contact = call.contact
    info = routing_info(call, contact.menu_choice or "")
    if callback is not None:  # what the agent's offer shows of a callback (as its release put it)
        info |= {"callback": True, "callback_id": callback.id, "callback_phone": callback.phone}
        info |= {"callback_kind": callback.kind, "callback_note": callback.note}
    arrived = as_utc(contact.queued_at) or as_utc(contact.created_at)
    services.routing.enqueue(
        contact_id=str(contact.id),
        queue=contact.queue or "general",
        priority=contact.priority,
        info=info,
        skills=contact.routing_skills,
        caller=None if callback or not contact.from_number.startswith("+") else contact.from_number,
        call_sid=None if callback else contact.provider_id,
        arrived_ms=int(arrived.timestamp() * 1000) if arrived else None,
    )


def final_status(services: Services, call_sid: str) -> str | None:
    """Twilio's final status of a call ("completed", "busy", …), or None: still live, unknown to Twilio,
    not a Twilio call (a callback's placeholder id), or Twilio cannot say now."""
    if not call_sid.startswith("CA"):
        return None
    try:
        status = services.telephony.call_status(call_sid=call_sid)
    except TelephonyError as exc:  # the caller is most likely still there
        log.info("Twilio cannot tell about %s now: %s", call_sid, exc)
        return None
    return status if status in CALL_OVER else None
