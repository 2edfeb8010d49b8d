"""The call engine: runs one call by following the TwiML the app returns."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import httpx

from .calls import (
    ApplicationError,
    Call,
    CallEnded,
    Fetch,
    HangupRequested,
    LeaveQueue,
    RedirectRequested,
)
from .dial import run_dial
from .enqueue import run_enqueue
from .ids import rfc2822, utcnow
from .recording import RecordingSession
from .twiml import Document, TwimlError, Verb, parse_twiml
from .webhooks import WebhookError, WebhookSender, standard_params

if TYPE_CHECKING:
    from .sandbox import Sandbox

logger = logging.getLogger(__name__)

Handler = Callable[[Verb, Document, bool], Awaitable[Document | None]]

# Speech and audio are not synthesised; a token delay keeps verb ordering observable.
MEDIA_SECONDS = 0.01
# Verbs Twilio accepts in a waitUrl document.
WAIT_VERBS = frozenset({"Play", "Say", "Pause", "Gather", "Hangup", "Redirect", "Leave"})
RECORD_VERB_MAX_SECONDS = 3


class Interpreter:
    """Executes TwiML for one call, handling webhooks, interrupts and the call's end."""

    def __init__(self, sandbox: Sandbox, call: Call, webhooks: WebhookSender) -> None:
        self.sandbox = sandbox
        self.call = call
        self.webhooks = webhooks
        self._handlers: dict[str, Handler] = {
            "Say": self._say,
            "Play": self._play,
            "Pause": self._pause,
            "Gather": self._gather,
            "Redirect": self._redirect,
            "Hangup": self._hangup,
            "Reject": self._reject,
            "Leave": self._leave,
            "Record": self._record,
            "Enqueue": lambda verb, doc, waiting: run_enqueue(self, verb, doc),
            "Dial": lambda verb, doc, waiting: run_dial(self, verb, doc),
        }

    # -- webhooks -----------------------------------------------------------------------

    def params(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Standard Twilio request parameters plus verb-specific ones."""
        return {**standard_params(self.sandbox.config, self.call), **(extra or {})}

    async def fetch_twiml(self, fetch: Fetch, extra: dict[str, str] | None = None) -> Document:
        """Request TwiML (or take inline TwiML) and parse it; app failures end the call."""
        call = self.call
        if fetch.twiml is not None:
            body, url = fetch.twiml.encode(), call.last_document_url or ""
            call.record("twiml", kind=fetch.kind)
        else:
            url = fetch.url or ""
            try:
                response = await self.webhooks.send(url, fetch.method, self.params(extra))
            except WebhookError as exc:
                call.record("webhook", kind=fetch.kind, url=url, method=fetch.method, error=str(exc))
                raise ApplicationError(f"{fetch.kind} webhook failed: {exc}") from exc
            call.record("webhook", kind=fetch.kind, url=url, method=fetch.method, status=response.status_code)
            if not response.is_success:
                raise ApplicationError(f"{fetch.kind} webhook answered HTTP {response.status_code}")
            body = response.content
        try:
            document = parse_twiml(body, url)
        except TwimlError as exc:
            raise ApplicationError(f"{fetch.kind} returned no valid TwiML: {exc}") from exc
        call.last_document_url = url or call.last_document_url
        call.checkpoint()
        return document

    async def notify(
        self,
        url: str,
        method: str,
        params: dict[str, str],
        *,
        kind: str,
        standard: bool = True,
    ) -> httpx.Response | None:
        """Send a webhook whose answer Twilio ignores; failures are only logged."""
        payload = self.params(params) if standard else params
        try:
            response = await self.webhooks.send(url, method, payload)
        except WebhookError as exc:
            self.call.record("webhook", kind=kind, url=url, method=method, error=str(exc))
            return None
        self.call.record("webhook", kind=kind, url=url, method=method, status=response.status_code)
        return response

    # -- the call's life ------------------------------------------------------------------

    async def run(self) -> None:
        """Run the call from the first webhook to the final status callback."""
        call = self.call
        call.status = "ringing"
        call.record("incoming", **{"from": call.from_, "to": call.to})
        end_status = "completed"
        step: Document | Fetch | None = Fetch(call.number.voice_url, "POST", kind="voice")
        try:
            while step is not None:
                try:
                    if isinstance(step, Fetch):
                        step = await self.fetch_twiml(step)
                        self._answer()
                    else:
                        step = await self.execute(step)
                except RedirectRequested as redirect:
                    call.record("redirected", url=redirect.fetch.url, inline=redirect.fetch.twiml is not None)
                    step = redirect.fetch
            call.record("end-of-twiml")
        except HangupRequested as hangup:
            call.caller_gone = True
            call.record("hangup", by=hangup.by)
            end_status = hangup.status
        except ApplicationError as error:
            call.record("application-error", reason=error.reason)
        except CallEnded as ended:
            call.record("hangup", by=ended.by)
            end_status = ended.status
        except Exception:  # a sandbox bug must not take the other calls down with it
            logger.exception("sandbox call %s crashed", call.sid)
            call.record("sandbox-error")
            end_status = "failed"
        await self._finish(end_status)

    def _answer(self) -> None:
        """The first TwiML arrived: the call is now in progress."""
        if self.call.status in ("queued", "ringing"):
            self.call.status = "in-progress"
            self.call.answered_at = utcnow()

    async def _finish(self, status: str) -> None:
        """Settle the final status and post the number's status callback."""
        call = self.call
        call.ending = True
        call.caller_gone = True
        self.sandbox.queues.forget(call)
        call.ended_at = utcnow()
        call.duration = math.ceil((call.ended_at - call.created_at).total_seconds())
        call.record("end", status=status, duration=call.duration)
        if call.number.status_callback:
            # Numbers only subscribe to the "completed" event, so this is always the first.
            await self.notify(
                call.number.status_callback,
                "POST",
                {
                    "CallStatus": status,
                    "CallDuration": str(call.duration),
                    "Timestamp": rfc2822(call.ended_at) or "",
                    "SequenceNumber": "0",
                    "CallbackSource": "call-progress-events",
                },
                kind="status-callback",
            )
        # Published last so that a poller seeing the final status also sees every callback.
        call.status = status

    # -- TwiML ----------------------------------------------------------------------------

    async def execute(self, doc: Document, *, waiting: bool = False) -> Document | None:
        """Run a document's verbs; return the next document, or None when it ran out."""
        for verb in doc.verbs:
            self.call.checkpoint()
            if waiting and verb.name not in WAIT_VERBS:
                self.call.record("ignored", verb=verb.name, reason="not allowed in waitUrl")
                continue
            handler = self._handlers.get(verb.name)
            if handler is None:
                self.call.record("ignored", verb=verb.name, reason="not supported by the sandbox")
                continue
            following = await handler(verb, doc, waiting)
            if following is not None:
                return following
        return None

    async def _say(self, verb: Verb, doc: Document, waiting: bool) -> None:
        """<Say>: logged, not spoken."""
        voice = {"voice": verb.attrs["voice"]} if "voice" in verb.attrs else {}
        self.call.record("say", text=verb.text, language=verb.attr("language", "en-US"), **voice)
        await self.call.sleep(MEDIA_SECONDS)

    async def _play(self, verb: Verb, doc: Document, waiting: bool) -> None:
        """<Play>: logged, not played."""
        digits = {"digits": verb.attrs["digits"]} if "digits" in verb.attrs else {}
        self.call.record("play", url=doc.resolve(verb.text), **digits)
        await self.call.sleep(MEDIA_SECONDS)

    async def _pause(self, verb: Verb, doc: Document, waiting: bool) -> None:
        """<Pause length=N>: really waits, interruptibly."""
        seconds = max(0.0, verb.number("length", 1))
        self.call.record("pause", seconds=seconds)
        await self.call.sleep(seconds)

    async def _gather(self, verb: Verb, doc: Document, waiting: bool) -> Document | None:
        """<Gather>: nested prompts, then the caller's next scripted entry."""
        for child in verb.children:
            if child.name in ("Say", "Play", "Pause"):
                await self._handlers[child.name](child, doc, waiting)
        finish_keys = verb.attr("finishOnKey", "#")
        entry = self.call.next_digits() if "dtmf" in verb.attr("input", "dtmf") else None
        digits = _collect(entry, finish_keys, int(verb.number("numDigits", 0)))
        if not digits:
            self.call.record("gather", digits=None, timed_out=True, timeout=verb.number("timeout", 5))
            await self.call.sleep(MEDIA_SECONDS)
            if not verb.flag("actionOnEmptyResult"):
                return None  # Twilio moves on to the verb after <Gather>
        else:
            self.call.record("gather", digits=digits)
        action = doc.resolve(verb.attrs.get("action")) or doc.url
        method = verb.attr("method", "POST")
        return await self.fetch_twiml(Fetch(action, method, kind="gather-action"), {"Digits": digits})

    async def _redirect(self, verb: Verb, doc: Document, waiting: bool) -> Document:
        """<Redirect>: fetch and run another document."""
        target = doc.resolve(verb.text) or doc.url
        self.call.record("redirect", url=target)
        return await self.fetch_twiml(Fetch(target, verb.attr("method", "POST"), kind="redirect"))

    async def _hangup(self, verb: Verb, doc: Document, waiting: bool) -> None:
        """<Hangup/>: the app ends the call."""
        raise CallEnded("twiml")

    async def _reject(self, verb: Verb, doc: Document, waiting: bool) -> None:
        """<Reject>: the call ends unanswered (busy or failed)."""
        reason = verb.attr("reason", "rejected")
        self.call.record("reject", reason=reason)
        raise CallEnded("twiml-reject", "busy" if reason == "busy" else "failed")

    async def _leave(self, verb: Verb, doc: Document, waiting: bool) -> None:
        """<Leave>: only meaningful while waiting in a queue."""
        if waiting:
            raise LeaveQueue()
        self.call.record("ignored", verb="Leave", reason="call is not in a queue")

    async def _record(self, verb: Verb, doc: Document, waiting: bool) -> Document | None:
        """<Record>: a short voicemail, then the action with the recording details."""
        if verb.flag("playBeep") or "playBeep" not in verb.attrs:
            self.call.record("beep")
        seconds = min(verb.number("maxLength", 3600), RECORD_VERB_MAX_SECONDS)
        session = RecordingSession(
            self,
            source="RecordVerb",
            channels=1,
            callback_url=doc.resolve(verb.attrs.get("recordingStatusCallback")),
            callback_method=verb.attr("recordingStatusCallbackMethod", "POST"),
            events=verb.attr("recordingStatusCallbackEvent", "completed"),
        )
        await session.start()
        await self.call.sleep(MEDIA_SECONDS)
        # The caller ends a recording with a finish key from the script, or by hanging up.
        upcoming = self.call.digits[0] if self.call.digits else ""
        finish_keys = verb.attr("finishOnKey", "1234567890*#")
        pressed = upcoming[:1] if upcoming[:1] and upcoming[:1] in finish_keys else None
        if pressed:
            self.call.next_digits()
        recording = await session.finish(seconds)
        action = doc.resolve(verb.attrs.get("action")) or doc.url
        params = {
            "RecordingUrl": session.url,
            "RecordingSid": recording.sid,
            "RecordingDuration": str(recording.duration),
            "Digits": pressed or "hangup",
        }
        if pressed is None:
            self.call.caller_gone = True
            await self.notify(action, verb.attr("method", "POST"), params, kind="record-action")
            raise HangupRequested("caller")
        return await self.fetch_twiml(Fetch(action, verb.attr("method", "POST"), kind="record-action"), params)


def _collect(entry: str | None, finish_keys: str, num_digits: int) -> str:
    """Digits Twilio would report for one keypad entry of the caller's script."""
    if not entry:
        return ""
    digits = ""
    for key in entry:
        if finish_keys and key in finish_keys:
            break
        digits += key
        if num_digits and len(digits) >= num_digits:
            break
    return digits
