"""Routing's repairs: putting back what a lost Redis held (contactcenter/reconcile/rebuild_live.py) and
freeing an agent held on nothing live (the reconciler). Mixed into `RoutingEngine` (queues/engine.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from queues.keys import ScriptArg, Skills, info_json, skills_json

if TYPE_CHECKING:
    from queues.engine import RoutingConfig


class _Engine(Protocol):
    config: RoutingConfig

    def _run(self, name: str, *args: ScriptArg) -> Any: ...


@dataclass(frozen=True)
class StuckAgent:
    agent_id: str
    contact_id: str  # '' when the state names none
    reason: str


class RoutingRepairs:
    """Restoring agents and assignments after a lost Redis; freeing stuck agents. Mixed into `RoutingEngine`."""

    def restore_agent(
        self: _Engine,
        *,
        agent_id: str,
        queues: list[str],
        skills: Skills,
        chat_capacity: int,
        reason: str,
        previous: tuple[str, str] | None = None,
    ) -> str:
        """Give an agent routing has no record of its queues and skills back, not ready for `reason`;
        `previous` (state, reason) is what the console offers to go back to. Returns the agent's state
        (an agent routing knows is left as it is)."""
        was, was_reason = previous or ("", "")
        return str(
            self._run(
                "restore_agent",
                agent_id,
                "not_ready",
                reason,
                ",".join(queues),
                skills_json(skills),
                chat_capacity,
                int(self.config.voice_blocks_chat),
                was,
                was_reason,
                self.config.console_grace_ms,
            )
        )

    def restore_assignment(
        self: _Engine,
        *,
        contact_id: str,
        agent_id: str,
        channel: str,
        queue: str,
        priority: int,
        info: dict[str, Any],
        skills: Skills | None,
        call_sid: str | None,
        arrived_ms: int,
        answered_ms: int,
    ) -> str:
        """Make a contact the agent's again, answered, as its accept and join left it (a call: the agent busy on
        it; a chat: one of the agent's slots). Its agent's record must be there (`restore_agent`)."""
        _ok, state = self._run(
            "restore",
            contact_id,
            agent_id,
            channel,
            queue,
            priority,
            info_json(info),
            skills_json(skills),
            call_sid or "",
            arrived_ms,
            answered_ms,
        )
        return str(state)

    def stuck_agents(self: _Engine, agent_ids: list[str]) -> list[StuckAgent]:
        """Those of the agents whose state holds on to nothing live (reserved for a contact not offered to
        them, busy on one they are not on, in a wrap-up nothing will end): one read-only script run."""
        if not agent_ids:
            return []
        flat = self._run("stuck_agents", *agent_ids)
        return [StuckAgent(*map(str, flat[i : i + 3])) for i in range(0, len(flat), 3)]

    def free_agent(self: _Engine, *, agent_id: str, contact_id: str) -> str:
        """Free an agent found stuck on `contact_id` (checked again): available, or not ready if that was
        pending. Returns the new state, '' when the agent had moved on meanwhile."""
        return str(self._run("free_agent", agent_id, contact_id, self.config.offer_timeout_ms))
