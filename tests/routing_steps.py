"""Steps routing tests take often, named as an agent would say them."""

from __future__ import annotations

from queues.engine import RoutingEngine


def answer(engine: RoutingEngine, *, contact_id: str, agent_id: str) -> None:
    """The agent accepts the offer and, for a call, their phone leg joins the caller (a chat is assigned at once)."""
    engine.accept(contact_id=contact_id, agent_id=agent_id)
    engine.joined(contact_id=contact_id, agent_id=agent_id)
