"""Losing Redis under a running in-process system, for the rebuild's tests: the event hub must have seen
the stream start over before a console opens, or the hub's late resync closes that console too."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed

from contactcenter.context import Services
from contactcenter.reconcile.service import LOCK_KEY
from queues.stream import EventHub
from tests.console import AgentConsole
from tests.hotline import wait_until
from tests.inprocess import InProcessSystem


def hub_caught_up(system: InProcessSystem, services: Services) -> None:
    """Wait until the app's event hub has read the stream to its end (after noticing it started over)."""
    hub: EventHub = system.client.app.state.hub  # type: ignore[attr-defined]

    def caught_up() -> bool:
        last = services.redis.xrevrange(services.routing.events_key, count=1)
        end = last[0][0] if last else b"0-0"
        position = hub.position.encode() if isinstance(hub.position, str) else hub.position
        return bool(position == end)

    wait_until(caught_up, timeout=15)


def lose_redis(system: InProcessSystem, services: Services, *, hold_the_reconciler: bool = True) -> None:
    """Redis loses everything, and the app's event hub has noticed before this returns: its notice, come late,
    closed the console a later test had just opened ("fell behind", a loaded CI run; the hub's position alone
    does not tell, since the new stream may already have reached it)."""
    hub_caught_up(system, services)
    restarts, hub = hub_restarts(system), system.client.app.state.hub  # type: ignore[attr-defined]
    read_any = hub.position not in ("0-0", b"0-0")  # a hub that has read nothing has no start-over to notice
    services.redis.flushdb()
    if hold_the_reconciler:  # the test rebuilds by hand
        services.redis.set(LOCK_KEY, "this test", px=60_000)
    if read_any:
        wait_until(lambda: hub_restarts(system) > restarts, timeout=15)


def reopened(system: InProcessSystem, services: Services, console: AgentConsole) -> AgentConsole:
    """The console as the browser has it after a rebuild: sent to resync (4000) once the event hub saw the
    stream start over, or to log in again (4401) once the session watch found its session gone with the
    rest of Redis, it comes back (logged in anew) to a snapshot."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            console.ws.recv(timeout=15)
    assert closed.value.rcvd is not None and closed.value.rcvd.code in (4000, 4401)
    console.close()
    hub_caught_up(system, services)
    return AgentConsole(system, console.me["username"])


def hub_restarts(system: InProcessSystem) -> int:
    """How many times the app's event hub has found its stream started over."""
    hub: EventHub = system.client.app.state.hub  # type: ignore[attr-defined]
    return hub.restarts


def hub_noticed_the_loss(system: InProcessSystem, services: Services, *, restarts_before: int) -> None:
    """Wait until the hub has found the stream started over since `restarts_before`, and read it to its
    end: a console opened earlier would be sent to resync by the hub's late notice."""
    wait_until(lambda: hub_restarts(system) > restarts_before, timeout=15)
    hub_caught_up(system, services)
