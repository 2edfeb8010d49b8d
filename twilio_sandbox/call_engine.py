"""What the verbs of a call may use of the engine running it, and of the sandbox account around it.

Protocols, so the verb modules (dial, enqueue, gather, record, outbound ringing, progress, recording
sessions) depend on this small surface and the engine on them, never the other way round:
engine.Interpreter and sandbox.Sandbox satisfy them.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from .calls import Call
from .clients import ClientRegistry
from .conferences import ConferenceRegistry
from .config import SandboxConfig
from .faults import Faults
from .queues import QueueRegistry
from .recording import Recording
from .signals import Fetch
from .twiml import Document, Verb


class Account(Protocol):
    """The sandbox account a call belongs to: its settings, queues, client devices, conferences and recordings."""

    @property
    def config(self) -> SandboxConfig: ...

    @property
    def queues(self) -> QueueRegistry: ...

    @property
    def clients(self) -> ClientRegistry: ...

    @property
    def conferences(self) -> ConferenceRegistry: ...

    @property
    def recordings(self) -> dict[str, Recording]: ...

    @property
    def faults(self) -> Faults: ...

    def queue_sid(self, name: str) -> str:
        """QueueSid of a named queue."""
        ...


class ProgressReporter(Protocol):
    """The call's progress status callbacks."""

    async def report(self, event: str, status: str) -> None:
        """Report `event` (initiated, ringing, answered, completed) with CallStatus `status`."""
        ...


class CallEngine(Protocol):
    """The engine running one call, as its verbs use it."""

    @property
    def call(self) -> Call: ...

    @property
    def sandbox(self) -> Account: ...

    @property
    def progress(self) -> ProgressReporter: ...

    async def fetch_twiml(self, fetch: Fetch, extra: dict[str, str] | None = None) -> Document:
        """Request TwiML (or take inline TwiML) and parse it; app failures end the call."""
        ...

    async def notify(
        self, url: str, method: str, params: dict[str, str], *, kind: str, standard: bool = True, **log_fields: Any
    ) -> httpx.Response | None:
        """Send a webhook whose answer Twilio ignores; failures are only logged."""
        ...

    async def execute(self, doc: Document, *, waiting: bool = False) -> Document | None:
        """Run a document's verbs; return the next document, or None when it ran out."""
        ...

    async def prompt(self, verb: Verb, doc: Document, *, barge_in: bool = False) -> None:
        """Play one prompt to the caller; with `barge_in`, live input cuts it short."""
        ...

    async def media_pause(self) -> None:
        """The token time a verb without real duration takes."""
        ...
