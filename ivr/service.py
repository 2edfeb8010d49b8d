"""What happens on each Twilio voice webhook: the flow, the queue, the bridge, the end.

Every function here is safe to call twice with the same request (Twilio retries).
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from contactcenter.contacts import service as contacts
from contactcenter.contacts.lifecycle import UnknownCall, finish_contact
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.customers.models import Customer
from contactcenter.telephony import TelephonyError
from contactcenter.tickets.models import Ticket
from contactcenter.users.models import User
from ivr import twiml
from ivr.flow import Node

log = logging.getLogger(__name__)
FINAL_CALL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}


def _url(services: Services, path: str, **query: object) -> str:
    return services.url(path + ("?" + urlencode(query) if query else ""))


def incoming_call(services: Services, *, call_sid: str, from_number: str, to_number: str) -> str:
    """Register the call (contact, customer, ticket) and start the flow."""
    with services.db.session() as session:
        contact, _created = contacts.register_inbound_call(
            session,
            call_sid=call_sid,
            from_number=from_number,
            to_number=to_number,
            region=services.settings.default_region,
        )
        return _run(services, session, contact, services.flow.start, attempt=1)


def menu_input(services: Services, *, call_sid: str, node_name: str, attempt: int, digits: str | None) -> str:
    """The caller pressed a key in a menu (or pressed nothing)."""
    with services.db.session() as session:
        contact = _contact_by_sid(session, call_sid)
        if contact.status in (ContactStatus.ENDED, ContactStatus.ABANDONED):
            return twiml.hang_up()  # a late retry for a call that is already over
        node = services.flow.nodes.get(node_name)
        if node is None or node.menu is None:
            raise ValueError(f"node {node_name!r} is not a menu of this flow")
        target = node.menu.options.get(digits or "")
        if target:
            return _run(services, session, contact, target, attempt=1)
        response = VoiceResponse()
        if digits:
            twiml.say(response, services.flow, node.menu.invalid)
        if attempt >= node.menu.retries:
            return _run(services, session, contact, node.menu.fallback, attempt=1, response=response)
        return _run(services, session, contact, node_name, attempt=attempt + 1, response=response)


def _run(
    services: Services,
    session: Session,
    contact: Contact,
    node_name: str,
    *,
    attempt: int,
    response: VoiceResponse | None = None,
) -> str:
    """Render nodes from `node_name` until one waits for the caller or ends the flow."""
    flow = services.flow
    response = response or VoiceResponse()
    seen: set[str] = set()
    while True:
        if node_name in seen:
            raise ValueError(f"flow loops through {node_name!r} without waiting for the caller")
        seen.add(node_name)
        node: Node = flow.nodes[node_name]
        if node.say:
            twiml.say(response, flow, node.say)
        if node.menu:
            action = _url(services, "/twilio/voice/menu", node=node_name, attempt=attempt)
            gather = response.gather(num_digits=1, action=action, method="POST", timeout=6)
            twiml.say(gather, flow, node.menu.prompt)
            response.redirect(action, method="POST")  # no key pressed: same URL without Digits
            return str(response)
        if node.enqueue:
            return _enqueue(services, session, contact, node, response)
        if node.hangup or not node.next:
            response.hangup()
            return str(response)
        node_name = node.next


def _enqueue(services: Services, session: Session, contact: Contact, node: Node, response: VoiceResponse) -> str:
    """Queue the contact in SQL and in routing, and park the caller in Twilio's queue."""
    assert node.enqueue is not None
    step = node.enqueue
    label = " / ".join(step.label[lang] for lang in services.flow.languages if step.label.get(lang))
    contacts.mark_queued(session, contact=contact, queue=step.queue, choice=label, category=step.category)
    if contact.status != ContactStatus.QUEUED:
        # Already past the queue (connected, ended): a retried webhook must not queue it again.
        return twiml.hang_up()
    customer = session.get(Customer, contact.customer_id) if contact.customer_id else None
    ticket = session.get(Ticket, contact.ticket_id) if contact.ticket_id else None
    session.commit()  # SQL first: a Redis failure then gets retried by Twilio, both steps idempotent
    priority = max(step.priority, 5 if customer and customer.grade == "key" else 0)
    preferred = contacts.last_agent_of(session, customer_id=customer.id) if customer else None
    _created, state = services.routing.enqueue(
        contact_id=str(contact.id),
        queue=step.queue,
        priority=priority,
        caller=contact.from_number if contact.from_number.startswith("+") else None,
        preferred_agent=str(preferred) if preferred else None,
        info={
            "call_sid": contact.provider_id,
            "from": contact.from_number,
            "customer": customer.name if customer else None,
            "customer_id": customer and customer.id,
            "grade": customer.grade if customer else None,
            "choice": label,
            "ticket_id": ticket and ticket.id,
            "ticket": ticket and ticket.number,
        },
    )
    if state == "full":
        contacts.mark_finished(session, contact=contact, reason="queue_full")
        return twiml.goodbye(services.flow, twiml.QUEUE_FULL)
    response.enqueue(
        step.queue,
        action=_url(services, "/twilio/voice/queue-result", contact=contact.id),
        method="POST",
        wait_url=_url(services, "/twilio/voice/wait", contact=contact.id),
        wait_url_method="POST",
    )
    return str(response)


def wait_music(services: Services, *, contact_id: int) -> str:
    """What a queued caller hears: their place in line, then a pause before the next update."""
    routing = services.routing.contact(str(contact_id))
    if not routing:
        with services.db.session() as session:
            if session.get(Contact, contact_id) is None:
                raise UnknownCall(f"no contact {contact_id}")
    response = VoiceResponse()
    if routing.get("state") == "timed_out":
        response.leave()  # past the queue's maximum wait: Twilio posts QueueResult=leave to the action
        return str(response)
    estimate = services.routing.wait_estimate(contact_id=str(contact_id)) if routing.get("state") == "waiting" else None
    if estimate:
        prompt = twiml.position_prompt(estimate["position"], estimate["estimated_wait_seconds"])
    else:
        prompt = twiml.position_prompt(None)
    twiml.say(response, services.flow, prompt)
    response.pause(length=20)
    return str(response)


def leave_queue(services: Services, *, contact_id: int) -> None:
    """The caller reached the queue's maximum wait: take them out of Twilio's queue to be told so."""
    with services.db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.channel != "voice":
            return
        call_sid = contact.provider_id
    try:
        services.telephony.redirect_call(
            call_sid=call_sid, url=_url(services, "/twilio/voice/timed-out", contact=contact_id)
        )
    except TelephonyError as exc:
        log.warning("sending timed-out contact %s off failed (caller gone?): %s", contact_id, exc)
        finish_contact(services, contact_id=contact_id, reason="max_wait")


def timed_out(services: Services, *, contact_id: int) -> str:
    """What a caller hears after the queue's maximum wait."""
    finish_contact(services, contact_id=contact_id, reason="max_wait")
    return twiml.goodbye(services.flow, twiml.WAITED_TOO_LONG)


def queue_result(services: Services, *, contact_id: int, result: str) -> str:
    """The caller left Twilio's queue: hung up, bridged, redirected to an agent, or an error."""
    if result in ("bridged", "redirected"):
        return str(VoiceResponse())
    timed_out = services.routing.contact(str(contact_id)).get("state") == "timed_out"
    finish_contact(services, contact_id=contact_id, reason="max_wait" if timed_out else f"queue_{result}")
    if result == "hangup":
        return str(VoiceResponse())
    return twiml.goodbye(services.flow, twiml.WAITED_TOO_LONG if timed_out else twiml.SORRY)


def connect_agent(services: Services, *, contact_id: int) -> str:
    """Bridge the caller to the agent who accepted; anything else keeps them waiting or ends."""
    routing = services.routing.contact(str(contact_id))
    with services.db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise UnknownCall(f"no contact {contact_id}")
        if routing.get("state") == "assigned" and routing.get("agent"):
            agent = session.get(User, int(routing["agent"]))
            if agent is not None:
                return twiml.bridge_to_agent(
                    services.flow,
                    client_identity=agent.client_identity,
                    action_url=_url(services, "/twilio/voice/dial-result", contact=contact_id),
                    recording_callback_url=_url(services, "/twilio/recording", contact=contact_id),
                )
        if routing.get("state") in ("waiting", "offered") and contact.queue:
            response = VoiceResponse()
            response.enqueue(
                contact.queue,
                action=_url(services, "/twilio/voice/queue-result", contact=contact_id),
                method="POST",
                wait_url=_url(services, "/twilio/voice/wait", contact=contact_id),
                wait_url_method="POST",
            )
            return str(response)
    return twiml.goodbye(services.flow, twiml.SORRY)


def dial_result(services: Services, *, contact_id: int, dial_status: str) -> str:
    """The agent leg ended; the call is over."""
    finish_contact(services, contact_id=contact_id, reason=f"dial_{dial_status}")
    return twiml.goodbye(services.flow, twiml.THANKS if dial_status == "completed" else twiml.SORRY)


def call_status(services: Services, *, call_sid: str, status: str) -> None:
    """Twilio reports a call's progress; a final status ends the contact wherever it was."""
    if status not in FINAL_CALL_STATUSES:
        return
    with services.db.session() as session:
        contact = contacts.by_provider_id(session, call_sid)
        contact_id = contact.id if contact else None
    if contact_id is not None:
        finish_contact(services, contact_id=contact_id, reason=f"call_{status}")


def _contact_by_sid(session: Session, call_sid: str) -> Contact:
    contact = contacts.by_provider_id(session, call_sid)
    if contact is None:
        raise UnknownCall(f"no call {call_sid} was registered; the incoming-call webhook comes first")
    return contact
