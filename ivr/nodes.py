"""Walking a flow: render nodes from one name until a node waits for the caller or ends the flow."""

from __future__ import annotations

import logging

from twilio.twiml.voice_response import Dial, VoiceResponse

from contactcenter.callbacks import dialog
from contactcenter.contacts import service as contacts
from contactcenter.timeutil import utcnow
from contactcenter.voicemails import service as voicemails
from ivr import prompts, self_service
from ivr.call import FlowVoice, IvrCall
from ivr.flow import Node
from ivr.queueing import enqueue

log = logging.getLogger(__name__)
GATHER_PATH = "/twilio/voice/gather"
QUESTIONS = ("menu", "language", "identify")


def opening(voice: FlowVoice) -> str | None:
    """What every new call of the flow hears up to its first question, when nothing on the way needs
    to know the caller or the time (else None: the call is registered first and the flow run).

    The question's answer carries no contact: that webhook registers the call (see service.gather).
    """
    flow, response = voice.flow, VoiceResponse()
    node_name: str | None = flow.start
    seen: set[str] = set()
    while node_name is not None and node_name not in seen:
        seen.add(node_name)
        node = flow.nodes[node_name]
        if node.kind not in ("say", *QUESTIONS) or _names_the_caller(node):
            return None
        if node.say:
            voice.say(response, node.say)
        if node.play:
            response.play(node.play)
        if node.kind != "say":
            _ask(voice, node_name, node, 1, response)
            return str(response)
        node_name = node.next
    return None


def _names_the_caller(node: Node) -> bool:
    return any("{name}" in text for _, prompt in node.prompts() for text in prompt.values())


def run(call: IvrCall, node_name: str, *, attempt: int = 1, response: VoiceResponse | None = None) -> str:
    """TwiML for the flow from `node_name` on; nodes that do not wait for the caller run straight through."""
    flow = call.flow
    response = response or VoiceResponse()
    seen: set[str] = set()
    while True:
        if node_name in seen:  # ivr check refuses such flows; never spin on one that slipped through
            raise ValueError(f"flow loops through {node_name!r} without waiting for the caller")
        seen.add(node_name)
        node: Node = flow.nodes[node_name]
        if node.say:
            call.say(response, node.say)
        if node.play:
            response.play(node.play)
        following = _act(call, node_name, node, attempt, response)
        if following is None:
            return str(response)
        node_name, attempt = following, 1


def _act(call: IvrCall, name: str, node: Node, attempt: int, response: VoiceResponse) -> str | None:
    """Do a node's action: the name of the node to go on with, or None once `response` is complete."""
    kind = node.kind
    if kind == "say":
        return node.next
    if kind in QUESTIONS:
        _ask(call, name, node, attempt, response)
        return None
    if node.hours:
        calendars = call.services.flows.calendars
        is_open = calendars.is_open(node.hours.calendar, utcnow()) if calendars else True
        return node.hours.open if is_open else node.hours.closed
    if node.lookup:
        customer = call.customer
        return node.lookup.known if customer and customer.name else node.lookup.unknown
    if node.self_service:
        if not call.contact.identity_verified or call.contact.customer_id is None:
            # ivr check refuses such flows; the guard is for account data: told why, and offered an agent
            log.warning("contact %s reached %s without an identity check", call.contact.id, name)
            call.say(response, prompts.NO_STATUS_UNVERIFIED)
            return call.flow.fallback or node.next
        call.say(response, self_service.read(call, node.self_service.read))
        return node.next
    if node.enqueue:
        enqueue(call, node.enqueue, response)
    elif node.callback:
        dialog.offer(call, response, queue=node.callback.queue, category=node.callback.category, in_queue=False)
    elif node.voicemail:
        voicemails.record(call, response, node.voicemail)
    elif node.transfer:
        _transfer(call, name, node, response)
    else:
        response.hangup()
        contacts.mark_finished(call.session, contact=call.contact, reason="ivr_hangup", served=True)
    return None


def _ask(call: FlowVoice, name: str, node: Node, attempt: int, response: VoiceResponse) -> None:
    """A question: gather the caller's answer, and come back to the same URL if they say nothing."""
    action = call.url(GATHER_PATH, node=name, attempt=attempt)
    if node.menu:
        hints = [
            word
            for option in node.menu.options.values()
            for lang in call.languages
            for word in option.words.get(lang, [])
        ]
        gather = call.gather(response, action, timeout=node.menu.timeout, speech_hints=hints or None)
        call.say(gather, node.menu.prompt)
    elif node.language:
        gather = call.gather(response, action)
        call.say(gather, node.language.prompt)
    else:
        assert node.identify is not None
        gather = call.gather(response, action, num_digits=None, timeout=10, finish_on_key="#")
        call.say(gather, node.identify.prompt)
    response.redirect(action, method="POST")  # no input: Twilio moves past <Gather>; same URL without Digits


def _transfer(call: IvrCall, name: str, node: Node, response: VoiceResponse) -> None:
    """Dial the outside number; the result decides between goodbye and the node's `failed` branch."""
    assert node.transfer is not None
    dial = Dial(
        action=call.url("/twilio/voice/transfer-result", node=name),
        method="POST",
        timeout=node.transfer.timeout,
        caller_id=call.contact.to_number if call.contact.to_number.startswith("+") else None,
    )
    dial.number(node.transfer.number)
    response.append(dial)
    contacts.note_transferred_out(call.session, contact=call.contact, number=node.transfer.number)


def transfer_result(call: IvrCall, *, node_name: str, dial_status: str) -> str:
    """The outside number answered and the call is over, or it did not answer."""
    node = call.flow.nodes.get(node_name)
    if dial_status == "completed" or node is None or node.transfer is None:
        contacts.mark_finished(call.session, contact=call.contact, reason=f"transfer_{dial_status}", served=True)
        return str(VoiceResponse())
    if node.transfer.failed:
        return run(call, node.transfer.failed)
    contacts.mark_finished(call.session, contact=call.contact, reason=f"transfer_{dial_status}")
    return call.goodbye(prompts.TRANSFER_FAILED)
