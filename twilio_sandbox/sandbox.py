"""The sandbox's state: calls, queues, recordings, faults and the running call tasks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import httpx

from .caller import Caller
from .calls import Call, StatusCallback
from .clients import CLIENT_PREFIX, ClientRegistry
from .conferences import ConferenceRegistry
from .config import SandboxConfig
from .engine import Interpreter
from .faults import Faults
from .ids import new_sid, queue_sid
from .outbound import RingPlan
from .phones import PhoneBook
from .queues import QueueRegistry
from .recording import Recording
from .script import LiveInput
from .signals import Fetch, HangupRequested, Interrupt, RedirectRequested
from .webhooks import WebhookSender

logger = logging.getLogger(__name__)


class Sandbox:
    """One sandbox Twilio account; created per app, so tests never share state."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.calls: dict[str, Call] = {}
        self.queues = QueueRegistry(config.account_sid)
        self.recordings: dict[str, Recording] = {}
        self.faults = Faults()
        self.phones = PhoneBook()
        self.clients = ClientRegistry()
        self.conferences = ConferenceRegistry(config, self.recordings)
        self._webhooks: WebhookSender | None = None
        self._task_group: asyncio.TaskGroup | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Own the HTTP client and the task group the calls run in (the app's lifespan)."""
        self.config.recordings_dir.mkdir(parents=True, exist_ok=True)
        # trust_env=False: webhooks go straight to the app, never through an env-configured proxy.
        async with (
            httpx.AsyncClient(timeout=self.config.http_timeout, trust_env=False) as http,
            asyncio.TaskGroup() as task_group,
        ):
            self._webhooks = WebhookSender(http, self.config.auth_token)
            self._task_group = task_group
            deliveries = task_group.create_task(
                self.conferences.deliver(self._webhooks), name="sandbox-conference-callbacks"
            )
            self._tasks.add(deliveries)
            try:
                yield
            finally:
                self._task_group = None
                for task in list(self._tasks):
                    task.cancel()

    def queue_sid(self, name: str) -> str:
        """QueueSid of a named queue."""
        return queue_sid(self.config.account_sid, name)

    def place_call(self, *, from_: str, to: str, caller: Caller | None = None) -> Call:
        """Start an inbound call to one of the sandbox numbers."""
        number = self.config.numbers[to]
        status_callback = StatusCallback(number.status_callback) if number.status_callback else None
        first = Fetch(number.voice_url, "POST", kind="voice")
        fallback = Fetch(number.voice_fallback_url, "POST", kind="fallback") if number.voice_fallback_url else None
        call = Call(new_sid("CA"), from_, to, first, caller=caller, status_callback=status_callback, fallback=fallback)
        return self._start(call, None)

    def place_outbound(
        self, *, from_: str, to: str, first: Fetch, status_callback: StatusCallback | None, timeout: float
    ) -> Call:
        """Start an outbound-api call to a simulated phone, or to `client:identity` (a device)."""
        if to.startswith(CLIENT_PREFIX):
            # A registered device rings until its user decides; an unregistered one answers by itself.
            plan = RingPlan("answer", self.config.ring_seconds, timeout, client=to.removeprefix(CLIENT_PREFIX))
            call = Call(new_sid("CA"), from_, to, first, direction="outbound-api", status_callback=status_callback)
            return self._start(call, plan)
        phone = self.phones.get(to)
        caller = Caller(phone.script, talk_seconds=phone.talk_seconds)
        ring_seconds = self.config.ring_seconds if phone.ring_seconds is None else phone.ring_seconds
        call = Call(
            new_sid("CA"), from_, to, first, caller=caller, direction="outbound-api", status_callback=status_callback
        )
        return self._start(call, RingPlan(phone.answer, ring_seconds, timeout))

    def _start(self, call: Call, ring: RingPlan | None) -> Call:
        """Register a call and run it as a task of the sandbox's task group."""
        if self._task_group is None or self._webhooks is None:
            raise RuntimeError("the sandbox is not running (app lifespan not started)")
        self.calls[call.sid] = call
        interpreter = Interpreter(self, call, self._webhooks, ring)
        task = self._task_group.create_task(self._run_guarded(interpreter), name=f"sandbox-call-{call.sid}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return call

    async def _run_guarded(self, interpreter: Interpreter) -> None:
        """Run one call; an unexpected error ends that call only, never the task group."""
        try:
            await interpreter.run()
        except Exception:
            logger.exception("sandbox call %s failed", interpreter.call.sid)
            interpreter.call.record("sandbox-error")
            interpreter.call.status = "failed"

    def redirect(self, call: Call, fetch: Fetch) -> bool:
        """Give a live call new TwiML; False if the call is not in progress."""
        accepted = call.interrupt(RedirectRequested(fetch))
        if accepted:
            call.record("rest-update", url=fetch.url, inline=fetch.twiml is not None)
        return accepted

    def hang_up(self, call: Call, *, by: str, status: str = "completed") -> bool:
        """End a live call (REST Status=completed/canceled, or the scripted caller)."""
        accepted = call.interrupt(HangupRequested(by, status))
        if accepted:
            call.record("hangup-requested", by=by, status=status)
        return accepted

    def signal(self, call: Call, signal: Interrupt) -> bool:
        """Deliver any other interrupt (e.g. the agent leaving the bridge)."""
        return call.interrupt(signal)

    def send_input(self, call: Call, inputs: Iterable[LiveInput]) -> bool:
        """A live caller pressed keys or said something; False if the call cannot take input."""
        if not call.caller.interactive or not call.live:
            return False
        for item in inputs:
            call.caller.pending.append(item)
            call.record("input", kind=item.kind, value=item.value)
        call.poke()
        return True
