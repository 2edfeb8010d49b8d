"""Outbound calls (REST Calls.json, conference participants): ringing the phone or client before the TwiML runs."""

from __future__ import annotations

from dataclasses import dataclass

from .call_engine import CallEngine
from .ids import utcnow
from .signals import CallEnded


@dataclass(frozen=True)
class RingPlan:
    """How the called party behaves: whether it answers, after how long, and the caller's Timeout."""

    answer: str
    ring_seconds: float
    timeout: float
    client: str | None = None  # a `client:` identity: its registered device decides, as a person would


async def ring_phone(engine: CallEngine, plan: RingPlan) -> None:
    """Ring the called party; return once it answers, or raise CallEnded with the final status."""
    call = engine.call
    call.record("outbound", **{"from": call.from_, "to": call.to}, timeout=plan.timeout)
    await engine.progress.report("initiated", "initiated")
    if plan.client is not None and engine.sandbox.faults.take_client_call_failure():
        call.record("phone", outcome="failed", client=plan.client, injected=True)
        raise CallEnded("client", "failed")
    if plan.answer in ("busy", "failed"):
        call.record("phone", outcome=plan.answer)
        raise CallEnded("phone", plan.answer)
    call.status = "ringing"
    call.record("ringing", seconds=plan.ring_seconds)
    await engine.progress.report("ringing", "ringing")
    if plan.client is not None and engine.sandbox.clients.is_registered(plan.client):
        await _ring_device(engine, plan.client, plan.timeout)
    elif plan.answer == "no-answer" or plan.ring_seconds > plan.timeout:
        await call.sleep(plan.timeout)
        call.record("phone", outcome="no-answer")
        raise CallEnded("phone", "no-answer")
    else:
        await call.sleep(plan.ring_seconds)
    call.status = "in-progress"
    call.answered_at = utcnow()
    call.record("answered")
    await engine.progress.report("answered", "in-progress")


async def _ring_device(engine: CallEngine, identity: str, timeout: float) -> None:
    """Ring a registered client device until it answers, rejects (busy) or the Timeout passes (no-answer)."""
    call, clients = engine.call, engine.sandbox.clients
    device = clients.ring(identity, call, leg=True)
    if not await call.sleep(timeout, until=lambda: device.outcome is not None):
        clients.end(device)
        call.record("phone", outcome="no-answer", client=identity)
        raise CallEnded("client", "no-answer")
    if device.outcome == "rejected":
        clients.end(device)
        call.record("phone", outcome="busy", client=identity)
        raise CallEnded("client", "busy")
    # Answered: the device shows the call until it ends (the engine forgets it then).
