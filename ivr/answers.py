"""The caller answered a question (menu, language, identity) — or did not, and is asked again."""

from __future__ import annotations

import re

from twilio.twiml.voice_response import VoiceResponse

from ivr import identity, prompts
from ivr.call import IvrCall
from ivr.flow import Menu, Node
from ivr.nodes import GATHER_PATH, run

_NOT_WORDS = re.compile(r"[\s\W_]+", re.UNICODE)


def _normalized(text: str) -> str:
    return _NOT_WORDS.sub("", text).lower()


def menu_choice(menu: Menu, *, digits: str | None, speech: str | None) -> str | None:
    """The node a key or a spoken keyword leads to, if any."""
    if digits and digits in menu.options:
        return menu.options[digits].to
    said = _normalized(speech or "")
    if said:
        for option in menu.options.values():
            if any(
                _normalized(word) and _normalized(word) in said for words in option.words.values() for word in words
            ):
                return option.to
    return None


def answer(call: IvrCall, *, node_name: str, attempt: int, digits: str | None, speech: str | None) -> str:
    """TwiML after the caller's answer to the question at `node_name`."""
    node = call.flow.nodes.get(node_name)
    if node is None or node.kind not in ("menu", "language", "identify"):
        # A flow reloaded mid-call without this node: start the caller over rather than fail the call.
        return run(call, call.flow.start)
    given = bool(digits or speech)
    if node.menu:
        target = menu_choice(node.menu, digits=digits, speech=speech)
        if target:
            return run(call, target)
        return _again(
            call, node_name, node, attempt, given, fallback=call.flow.menu_fallback(node), invalid=node.menu.invalid
        )
    if node.language:
        chosen = node.language.options.get(digits or "")
        if chosen:
            call.contact.language = chosen
            return run(call, node.next or call.flow.start)
        if attempt >= 3 or not given:
            # Nobody has to choose: silence keeps the flow's first language.
            call.contact.language = call.flow.languages[0]
            return run(call, node.next or call.flow.start)
        return _again(call, node_name, node, attempt, given, fallback=node.next, invalid=prompts.INVALID)
    assert node.identify is not None
    outcome = identity.verify(call, digits) if digits else "refused"
    if outcome == "verified":
        return run(call, node.identify.verified)
    if outcome == "id_needed" and attempt < node.identify.retries:
        return _ask_id(call, node_name, attempt + 1)
    return _again(call, node_name, node, attempt, given, fallback=node.identify.failed, invalid=node.identify.invalid)


def _again(
    call: IvrCall,
    node_name: str,
    node: Node,
    attempt: int,
    given: bool,
    *,
    fallback: str | None,
    invalid: dict[str, str],
) -> str:
    """Say why (if they answered wrongly), then ask again — or, after the last try, take the fallback."""
    response = VoiceResponse()
    if given:
        call.say(response, invalid or prompts.INVALID)
    retries = node.menu.retries if node.menu else node.identify.retries if node.identify else 3
    if attempt >= retries:
        if node.identify:  # the flow's `failed` branch (an agent, in the demo) says what comes next
            call.say(response, prompts.NO_STATUS_UNVERIFIED)
        return run(call, fallback or call.flow.start, response=response)
    return run(call, node_name, attempt=attempt + 1, response=response)


def _ask_id(call: IvrCall, node_name: str, attempt: int) -> str:
    """After an order number keyed from a number not its customer's: the ID's last 4 of that customer."""
    response = VoiceResponse()
    action = call.url(GATHER_PATH, node=node_name, attempt=attempt)
    gather = call.gather(response, action, num_digits=None, timeout=10, finish_on_key="#")
    call.say(gather, prompts.ID_FOR_ORDER)
    response.redirect(action, method="POST")  # no input: asked again at the same URL, as every question is
    return str(response)
