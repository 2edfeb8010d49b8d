"""<Gather>: keypad and speech input, from a caller's script or from a live person."""

from __future__ import annotations

from .call_engine import CallEngine
from .script import ScriptEntry
from .signals import Fetch
from .twiml import Document, Verb

# The sandbox recognises speech perfectly, but Twilio always reports a confidence; a fixed,
# plausible one lets apps exercise their confidence threshold.
SPEECH_CONFIDENCE = "0.9"
DEFAULT_TIMEOUT = 5.0
PROMPT_VERBS = ("Say", "Play", "Pause")


def input_kinds(verb: Verb) -> frozenset[str]:
    """Which input the Gather listens for: 'dtmf', 'speech' or both (Twilio's default is dtmf)."""
    kinds = frozenset(verb.attr("input", "dtmf").split()) & {"dtmf", "speech"}
    return kinds or frozenset({"dtmf"})


def collect(keys: str, finish_keys: str, num_digits: int) -> str:
    """Digits Twilio reports for keys pressed in a row: up to a finish key or numDigits."""
    digits = ""
    for key in keys:
        if finish_keys and key in finish_keys:
            break
        digits += key
        if num_digits and len(digits) >= num_digits:
            break
    return digits


async def run_gather(engine: CallEngine, verb: Verb, doc: Document, waiting: bool) -> Document | None:
    """Run <Gather>; return the action's TwiML, or None to continue after the verb."""
    call = engine.call
    kinds = input_kinds(verb)
    finish_keys = verb.attr("finishOnKey", "#")
    num_digits = int(verb.number("numDigits", 0))
    timeout = max(0.0, verb.number("timeout", DEFAULT_TIMEOUT))
    if call.caller.interactive:
        params = await _live(engine, verb, doc, waiting, kinds, finish_keys, num_digits, timeout)
    else:
        for child in verb.children:
            if child.name in PROMPT_VERBS:
                await engine.prompt(child, doc)
        entry = call.caller.next_entry(kinds)
        params = _scripted(entry, finish_keys, num_digits)
    if params is None:
        call.record("gather", digits=None, timed_out=True, timeout=timeout)
        await engine.media_pause()
        if not verb.flag("actionOnEmptyResult"):
            return None  # Twilio moves on to the verb after <Gather>
        params = {"Digits": ""} if "dtmf" in kinds else {}
    elif "SpeechResult" in params:
        call.record("gather", speech=params["SpeechResult"], confidence=params["Confidence"])
    else:
        call.record("gather", digits=params["Digits"])
    action = doc.resolve(verb.attrs.get("action")) or doc.url
    method = verb.attr("method", "POST")
    return await engine.fetch_twiml(Fetch(action, method, kind="gather-action"), params)


def _speech(text: str) -> dict[str, str]:
    """Action parameters for recognised speech (no Digits, as with Twilio)."""
    return {"SpeechResult": text, "Confidence": SPEECH_CONFIDENCE}


def _scripted(entry: ScriptEntry | None, finish_keys: str, num_digits: int) -> dict[str, str] | None:
    """Action parameters for a scripted caller's entry; None when there is no input."""
    if entry is None:
        return None
    if entry.speech is not None:
        return _speech(entry.speech)
    digits = collect(entry.digits or "", finish_keys, num_digits)
    return {"Digits": digits} if digits else None


async def _live(
    engine: CallEngine,
    verb: Verb,
    doc: Document,
    waiting: bool,
    kinds: frozenset[str],
    finish_keys: str,
    num_digits: int,
    timeout: float,
) -> dict[str, str] | None:
    """Wait for a live caller's input; `timeout` counts from the prompts' end and after each key."""
    call, pending = engine.call, engine.call.caller.pending
    call.record("gather-start", input=" ".join(sorted(kinds)), timeout=timeout, num_digits=num_digits or None)
    for child in verb.children:
        if child.name in PROMPT_VERBS and not pending:
            await engine.prompt(child, doc, barge_in=True)  # any input stops the prompts, as on Twilio
    digits = ""
    while await call.sleep(timeout, until=lambda: bool(pending)):
        item = pending.popleft()
        if item.kind not in kinds or (item.kind == "speech" and digits):
            call.record("input-ignored", kind=item.kind, value=item.value, reason="this Gather does not take it")
            continue
        if item.kind == "speech":
            return _speech(item.value)
        if finish_keys and item.value in finish_keys:
            break
        digits += item.value
        if num_digits and len(digits) >= num_digits:
            break
    return {"Digits": digits} if digits else None
