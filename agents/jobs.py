"""RQ jobs of the agents domain."""

from __future__ import annotations

from agents.conference_events import leg_overdue
from contactcenter.worker import worker_services


def check_join(contact_id: int, agent_id: int) -> None:
    """An accepted call's agent leg should have joined or failed by now: if Twilio never said, give up on it."""
    leg_overdue(worker_services(), contact_id=contact_id, agent_id=agent_id)
