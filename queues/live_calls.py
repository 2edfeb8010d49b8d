"""Routing's side of a live call after its accept: the agent's leg joins or fails, hold, transfers
(cold and warm) and listening in. Mixed into `RoutingEngine` (queues/engine.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from queues.keys import ScriptArg, info_json

if TYPE_CHECKING:
    from queues.engine import RoutingConfig


class _Engine(Protocol):
    config: RoutingConfig

    def _run(self, name: str, *args: ScriptArg) -> Any: ...

    def today(self) -> str: ...


class RoutingCalls:
    """Routing of a call between its accept and its end; mixed into `RoutingEngine`."""

    def joined(self: _Engine, *, contact_id: str, agent_id: str) -> None:
        """The agent's leg joined the caller: the call is answered (idempotent)."""
        self._run("joined", contact_id, agent_id, self.today(), self.config.service_level_ms)

    def join_failed(self: _Engine, *, contact_id: str, agent_id: str, reason: str) -> str:
        """The agent's leg did not join: the contact goes back with its place, the agent not ready ('missed')."""
        _ok, state = self._run("join_failed", contact_id, agent_id, reason, self.config.offer_timeout_ms)
        return str(state)

    def transfer(
        self: _Engine,
        *,
        contact_id: str,
        agent_id: str,
        queue: str | None = None,
        to_agent: str | None = None,
        context: dict[str, Any] | None = None,
    ) -> str:
        """Hand an assigned contact to another queue (keeping its arrival time) or straight to an available
        agent; `context` (who transferred, their note) goes in the contact's info as `transfer`."""
        _ok, state = self._run(
            "transfer",
            contact_id,
            agent_id,
            queue or "",
            to_agent or "",
            self.config.offer_timeout_ms,
            self.config.wrapup_ms,
            info_json(context) if context else "",
        )
        return str(state)

    def consult(
        self: _Engine,
        *,
        contact_id: str,
        agent_id: str,
        queue: str | None,
        to_agent: str | None,
        context: dict[str, Any],
    ) -> str:
        """A warm transfer: offer the held caller to a queue's agent or a named agent while the transferring
        agent stays on the call; returns the contact's state (waiting or offered)."""
        _ok, state = self._run(
            "consult",
            contact_id,
            agent_id,
            queue or "",
            to_agent or "",
            self.config.offer_timeout_ms,
            info_json(context),
        )
        return str(state)

    def consult_end(self: _Engine, *, contact_id: str, agent_id: str, outcome: str) -> str:
        """The transferring agent completes ('complete': they leave) or cancels ('cancel': the call comes back)."""
        if outcome not in ("complete", "cancel"):
            raise ValueError("outcome must be complete or cancel")
        _ok, state = self._run(
            "consult_end", contact_id, agent_id, outcome, self.config.offer_timeout_ms, self.config.wrapup_ms
        )
        return str(state)

    def hold(self: _Engine, *, contact_id: str, agent_id: str, on: bool) -> str:
        """Put the agent's call on hold (the caller hears music) or take it back: 'held' or 'resumed'."""
        _ok, done = self._run("hold", contact_id, agent_id, "1" if on else "0")
        return str(done)

    def monitor(
        self: _Engine,
        *,
        contact_id: str,
        monitor_id: str,
        mode: str,
        name: str = "",
        agent_id: str = "",
        reason: str = "",
        hidden: bool = False,
    ) -> str:
        """Someone listens in to the agent's live call (`mode` listen, whisper or barge; RoutingError
        `not_live` unless the call is `agent_id`'s and answered) or, with `mode` '', leaves it ('none' if
        they were not listening). `hidden`: the agent's console is not told (SHOW_MONITORING=false)."""
        if mode not in ("listen", "whisper", "barge", ""):
            raise ValueError("mode must be listen, whisper or barge")
        _ok, done = self._run("monitor", contact_id, monitor_id, mode, name, agent_id, reason, "1" if hidden else "0")
        return str(done)
