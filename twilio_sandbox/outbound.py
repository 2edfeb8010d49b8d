"""Outbound calls (REST Calls.json): ringing the simulated phone before the TwiML runs."""

from __future__ import annotations

from dataclasses import dataclass

from .call_engine import CallEngine
from .ids import utcnow
from .signals import CallEnded


@dataclass(frozen=True)
class RingPlan:
    """How the called phone behaves: whether it answers, after how long, and the caller's Timeout."""

    answer: str
    ring_seconds: float
    timeout: float


async def ring_phone(engine: CallEngine, plan: RingPlan) -> None:
    """Ring the called phone; return once it answers, or raise CallEnded with the final status."""
    call = engine.call
    call.record("outbound", **{"from": call.from_, "to": call.to}, timeout=plan.timeout)
    await engine.progress.report("initiated", "initiated")
    if plan.answer in ("busy", "failed"):
        call.record("phone", outcome=plan.answer)
        raise CallEnded("phone", plan.answer)
    call.status = "ringing"
    call.record("ringing", seconds=plan.ring_seconds)
    await engine.progress.report("ringing", "ringing")
    if plan.answer == "no-answer" or plan.ring_seconds > plan.timeout:
        await call.sleep(plan.timeout)
        call.record("phone", outcome="no-answer")
        raise CallEnded("phone", "no-answer")
    await call.sleep(plan.ring_seconds)
    call.status = "in-progress"
    call.answered_at = utcnow()
    call.record("answered")
    await engine.progress.report("answered", "in-progress")
