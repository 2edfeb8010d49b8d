"""The call engine: runs one call by following the TwiML the app returns."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from .call_engine import Account
from .calls import Call
from .dial import run_dial
from .enqueue import run_enqueue
from .gather import run_gather
from .ids import utcnow
from .outbound import RingPlan, ring_phone
from .progress import Progress
from .record_verb import run_record
from .signals import ApplicationError, CallEnded, Fetch, HangupRequested, LeaveQueue, RedirectRequested
from .twiml import Document, TwimlError, Verb, parse_twiml
from .webhooks import WebhookError, WebhookSender, standard_params, tries

logger = logging.getLogger(__name__)

Handler = Callable[[Verb, Document, bool], Awaitable[Document | None]]

# For scripted callers speech and audio take no time; a token delay keeps verb ordering observable.
MEDIA_SECONDS = 0.01
# A live caller hears prompts (the softphone speaks them), so they take about as long as speaking them.
LIVE_PLAY_SECONDS = 1.0
LIVE_SAY_MAX_SECONDS = 20.0
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
# Documents whose failure does not go to the fallback URL: music and announcements (a failed one
# leaves silence; a failed queue wait ends the wait with QueueResult=error).
NO_FALLBACK = frozenset({"wait", "hold", "announce"})
# Twilio's error codes for a document it could not have (ErrorCode of the fallback request).
HTTP_RETRIEVAL_FAILURE = "11200"  # an answer that is not 2xx
HTTP_CONNECTION_FAILURE = "11205"  # no answer: refused, reset, timed out
DOCUMENT_PARSE_FAILURE = "12100"  # an answer that is not TwiML
# Verbs Twilio accepts in a waitUrl document.
WAIT_VERBS = frozenset({"Play", "Say", "Pause", "Gather", "Hangup", "Redirect", "Leave"})


def speaking_seconds(text: str) -> float:
    """Rough time a text-to-speech voice needs: ~4.5 CJK characters or ~2.8 other words a second."""
    cjk = len(_CJK_RE.findall(text))
    words = len(_CJK_RE.sub(" ", text).split())
    return min(LIVE_SAY_MAX_SECONDS, 0.3 + cjk * 0.22 + words * 0.35)


class Unfetched(Exception):
    """A TwiML document could not be had: why, and Twilio's error code for it."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class Interpreter:
    """Executes TwiML for one call, handling webhooks, interrupts and the call's end (a call_engine.CallEngine)."""

    def __init__(self, sandbox: Account, call: Call, webhooks: WebhookSender, ring: RingPlan | None = None) -> None:
        self.sandbox = sandbox
        self.call = call
        self.webhooks = webhooks
        self.ring = ring  # set for outbound calls: the phone rings before any TwiML runs
        self.progress = Progress(self)
        self._handlers: dict[str, Handler] = {
            "Say": self._prompt,
            "Play": self._prompt,
            "Pause": self._prompt,
            "Gather": lambda verb, doc, waiting: run_gather(self, verb, doc, waiting),
            "Redirect": self._redirect,
            "Hangup": self._hangup,
            "Reject": self._reject,
            "Leave": self._leave,
            "Record": lambda verb, doc, waiting: run_record(self, verb, doc, waiting),
            "Enqueue": lambda verb, doc, waiting: run_enqueue(self, verb, doc),
            "Dial": lambda verb, doc, waiting: run_dial(self, verb, doc),
        }

    # -- webhooks -----------------------------------------------------------------------

    def params(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Standard Twilio request parameters plus verb-specific ones."""
        return {**standard_params(self.sandbox.config, self.call), **(extra or {})}

    async def fetch_twiml(self, fetch: Fetch, extra: dict[str, str] | None = None) -> Document:
        """Request TwiML (or take inline TwiML) and parse it. A document that cannot be had is asked of the
        number's fallback URL, as Twilio does (with ErrorCode and ErrorUrl); without one, it ends the call."""
        params = self.params(extra)
        try:
            return await self._document(fetch, params)
        except Unfetched as failed:
            fallback = self.call.fallback
            if fallback is None or fetch.url is None or fetch.kind in NO_FALLBACK:
                raise ApplicationError(failed.reason) from None
            error_url = fetch.url.partition("#")[0]
            self.call.record("fallback", error_code=failed.code, error_url=error_url, url=fallback.url)
            try:
                return await self._document(fallback, {**params, "ErrorCode": failed.code, "ErrorUrl": error_url})
            except Unfetched as again:
                raise ApplicationError(f"{again.reason}, after {failed.reason}") from None

    async def _document(self, fetch: Fetch, params: dict[str, str]) -> Document:
        """One document, parsed; Unfetched (with Twilio's error code) when there is none to run."""
        call = self.call
        if fetch.twiml is not None:
            body, url = fetch.twiml.encode(), call.last_document_url or ""
            call.record("twiml", kind=fetch.kind)
        else:
            url = fetch.url or ""
            try:
                response = await self.webhooks.send(url, fetch.method, params)
            except WebhookError as exc:
                call.record("webhook", kind=fetch.kind, url=url, method=fetch.method, error=str(exc), **tries(exc))
                raise Unfetched(f"{fetch.kind} webhook failed: {exc}", HTTP_CONNECTION_FAILURE) from exc
            status = response.status_code
            call.record("webhook", kind=fetch.kind, url=url, method=fetch.method, status=status, **tries(response))
            if not response.is_success:
                raise Unfetched(f"{fetch.kind} webhook answered HTTP {response.status_code}", HTTP_RETRIEVAL_FAILURE)
            body = response.content
        try:
            document = parse_twiml(body, url)
        except TwimlError as exc:
            if fetch.twiml is not None:
                raise ApplicationError(f"{fetch.kind} returned no valid TwiML: {exc}") from exc
            raise Unfetched(f"{fetch.kind} returned no valid TwiML: {exc}", DOCUMENT_PARSE_FAILURE) from exc
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
        **log_fields: Any,
    ) -> httpx.Response | None:
        """Send a webhook whose answer Twilio ignores; failures are only logged."""
        payload = self.params(params) if standard else params
        try:
            response = await self.webhooks.send(url, method, payload)
        except WebhookError as exc:
            self.call.record("webhook", kind=kind, url=url, method=method, error=str(exc), **tries(exc), **log_fields)
            return None
        status = response.status_code
        self.call.record("webhook", kind=kind, url=url, method=method, status=status, **tries(response), **log_fields)
        return response

    # -- the call's life ------------------------------------------------------------------

    async def run(self) -> None:
        """Run the call from the first webhook to the final status callback."""
        call = self.call
        end_status = "completed"
        try:
            if self.ring is None:
                call.status = "ringing"
                call.record("incoming", **{"from": call.from_, "to": call.to})
            else:
                await ring_phone(self, self.ring)
            step: Document | Fetch | None = call.first
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
        self.sandbox.clients.forget(call)
        self.sandbox.conferences.call_ended(call, status)
        call.ended_at = utcnow()
        answered = call.answered_at
        call.duration = 0 if answered is None else math.ceil((call.ended_at - answered).total_seconds())
        call.record("end", status=status, duration=call.duration)
        await self.progress.report("completed", status)
        # Published last so that a poller seeing the final status also sees every callback.
        call.status = status
        call.announce()

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

    async def media_pause(self) -> None:
        """The token time a verb without real duration takes."""
        await self.call.sleep(MEDIA_SECONDS)

    async def _prompt(self, verb: Verb, doc: Document, waiting: bool) -> None:
        """<Say>, <Play> or <Pause> on its own."""
        await self.prompt(verb, doc)

    async def prompt(self, verb: Verb, doc: Document, *, barge_in: bool = False) -> None:
        """Play one prompt to the caller; with `barge_in`, live input cuts it short."""
        call = self.call
        live = call.caller.interactive
        if verb.name == "Say":
            voice = {"voice": verb.attrs["voice"]} if "voice" in verb.attrs else {}
            call.record("say", text=verb.text, language=verb.attr("language", "en-US"), **voice)
            seconds = speaking_seconds(verb.text) if live else MEDIA_SECONDS
        elif verb.name == "Play":
            digits = {"digits": verb.attrs["digits"]} if "digits" in verb.attrs else {}
            call.record("play", url=doc.resolve(verb.text), **digits)
            seconds = LIVE_PLAY_SECONDS if live else MEDIA_SECONDS
        else:  # <Pause length=N> really waits
            seconds = max(0.0, verb.number("length", 1))
            call.record("pause", seconds=seconds)
        await call.sleep(seconds, until=(lambda: bool(call.caller.pending)) if barge_in else None)

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
