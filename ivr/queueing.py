"""Putting a caller in a queue: SQL first, then routing, then Twilio's own queue to hold them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from twilio.twiml.voice_response import VoiceResponse

from contactcenter.contacts import service as contacts
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.customers.models import Customer
from contactcenter.tickets.clocks import clockwork
from contactcenter.tickets.linking import thread_contact
from contactcenter.tickets.models import Ticket
from contactcenter.timeutil import as_utc
from ivr import prompts, twiml
from ivr.call import IvrCall, url
from ivr.flow import Enqueue, Prompt

KEY_ACCOUNT_PRIORITY = 5


def label_text(call: IvrCall, label: Prompt) -> str:
    """What the caller chose, in every language of the flow, for the agent's screen."""
    return " / ".join(label[lang] for lang in call.flow.languages if label.get(lang))


def priority_for(customer: Customer | None, base: int) -> int:
    """The flow's priority, raised for key accounts."""
    return max(base, KEY_ACCOUNT_PRIORITY if customer and customer.grade == "key" else 0)


def routing_info(call: IvrCall, choice: str) -> dict[str, Any]:
    """What the agent's screen pop shows about the contact."""
    contact, customer = call.contact, call.customer
    ticket = call.session.get(Ticket, contact.ticket_id) if contact.ticket_id else None
    return {
        "call_sid": contact.provider_id,
        "from": contact.from_number,
        "customer": customer.name if customer else None,
        "customer_id": customer and customer.id,
        "grade": customer.grade if customer else None,
        "choice": choice,
        "language": contact.language,
        "verified": contact.identity_verified,
        "ticket_id": ticket and ticket.id,
        "ticket": ticket and ticket.number,
    }


def enter_routing(
    call: IvrCall,
    *,
    queue: str,
    choice: str,
    category: str | None,
    priority: int,
    skills: dict[str, int],
    callback: dict[str, Any] | None = None,
) -> str:
    """Queue the contact in SQL and in routing; routing's state for it ("full" when refused)."""
    contact = call.contact
    work = clockwork(call.services)
    if not contacts.mark_queued(call.session, work, contact=contact, queue=queue, choice=choice, category=category):
        if contact.status == ContactStatus.QUEUED and not call.services.routing.contact(str(contact.id)):
            rejoin_routing(call)  # SQL had queued it when Redis failed: routing's half is done now
        return "already"  # a retried webhook: it was queued (or is over) already
    # A repeat of the customer's open request joins its ticket (before routing: the screen pop shows that one).
    window = call.services.settings.ticket_thread_hours
    thread_contact(call.session, work, contact=contact, window_hours=window, actor="twilio")
    customer = call.customer
    if callback:
        contact.status = ContactStatus.CALLBACK
    contact.priority, contact.routing_skills = priority_for(customer, priority), skills or None
    call.session.commit()  # SQL first: a Redis failure then gets retried by Twilio, both steps idempotent
    # A return visit handed to an agent in a batch waits for them first; others, for the customer's last agent.
    assigned = (callback or {}).get("assigned_agent")
    preferred = assigned or (contacts.last_agent_of(call.session, customer_id=customer.id) if customer else None)
    _created, state = call.services.routing.enqueue(
        contact_id=str(contact.id),
        queue=queue,
        priority=contact.priority,
        skills=contact.routing_skills,
        caller=contact.from_number if contact.from_number.startswith("+") and not callback else None,
        preferred_agent=str(preferred) if preferred else None,
        info={**routing_info(call, choice), **(callback or {})},
        call_sid=None if callback else contact.provider_id,
        # Its place is SQL's time of queueing, which a rebuild restores it by: two callers queued within a few
        # ms reached Redis in the other order once (a loaded CI run), and came back from a rebuild swapped.
        arrived_ms=_ms(contact.queued_at),
    )
    if state == "full":
        contacts.mark_finished(call.session, contact=contact, reason="queue_full")
    return state


def enqueue(call: IvrCall, step: Enqueue, response: VoiceResponse) -> None:
    """The caller waits in the step's queue, hearing the wait loop, until an agent takes them."""
    state = enter_routing(
        call,
        queue=step.queue,
        choice=label_text(call, step.label),
        category=step.category,
        priority=step.priority,
        skills=step.skills,
    )
    if state == "full":
        call.say(response, prompts.QUEUE_FULL)
        response.hangup()
    elif state == "already" and call.contact.status != ContactStatus.QUEUED:
        response.hangup()  # already past the queue (connected, ended): a retry must not queue it again
    else:
        park(call.services, call.contact, response)


def park(services: Services, contact: Contact, response: VoiceResponse) -> None:
    """Hold the caller in Twilio's queue named after ours, with our wait loop and result webhooks."""
    twiml.enqueue(
        response,
        contact.queue or "general",
        action_url=url(services, "/twilio/voice/queue-result", contact=contact.id),
        wait_url=url(services, "/twilio/voice/wait", contact=contact.id),
    )


def rejoin_routing(call: IvrCall, callback: dict[str, Any] | None = None) -> None:
    """Give routing a contact SQL holds as waiting (Redis failed between the two, or lost its data): its
    queue, priority and skills as SQL has them, and its place by its original arrival time."""
    contact = call.contact
    arrived = as_utc(contact.queued_at) or as_utc(contact.created_at)
    call.services.routing.enqueue(
        contact_id=str(contact.id),
        queue=contact.queue or "general",
        priority=contact.priority,
        info={**routing_info(call, contact.menu_choice or ""), **(callback or {})},
        skills=contact.routing_skills,
        caller=None if callback or not contact.from_number.startswith("+") else contact.from_number,
        call_sid=None if callback else contact.provider_id,
        arrived_ms=_ms(arrived),
    )


def resume_waiting(call: IvrCall) -> str:
    """A caller whose queue step was committed and who is asked again (a store failed meanwhile): routing
    gets them if it has not, and they wait in their queue."""
    if not call.services.routing.contact(str(call.contact.id)):
        rejoin_routing(call)
    response = VoiceResponse()
    park(call.services, call.contact, response)
    return str(response)


def _ms(at: datetime | None) -> int | None:
    """An instant as routing's milliseconds since the epoch (None: routing's now)."""
    at = as_utc(at)
    return int(at.timestamp() * 1000) if at else None
