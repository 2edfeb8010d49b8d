"""Open websockets end with their session: one task per process checks, every SESSION_CHECK_SECONDS,
the sessions of all its open console and wallboard sockets in one Redis call, closes (4401) those
whose session ended (logout, user disabled, role or password changed, lapsed), and counts the others
as seen (an open console keeps its session from idling out; the absolute lifetime still ends it)."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from starlette.websockets import WebSocket

from contactcenter.users.sessions import SessionStore, session_id

log = logging.getLogger(__name__)
SESSION_ENDED = 4401  # the console and wallboard send the browser to the login page on this code


class SessionWatch:
    """The sessions of this process's open sockets; `wait_end` returns when a socket's session ends."""

    def __init__(self, store: SessionStore, interval: float) -> None:
        self.store, self.interval = store, interval
        self._watched: dict[str, set[asyncio.Event]] = defaultdict(set)

    async def wait_end(self, ws: WebSocket) -> None:
        """Return once the socket's session ended, after closing the socket with SESSION_ENDED."""
        sid, ended = session_id(ws), asyncio.Event()
        if sid is None:
            await asyncio.Event().wait()  # no session to watch (cannot happen for a logged-in socket)
        assert sid is not None
        self._watched[sid].add(ended)
        try:
            await ended.wait()
        finally:
            waiting = self._watched.get(sid)
            if waiting is not None:
                waiting.discard(ended)
                if not waiting:
                    del self._watched[sid]
        await ws.close(code=SESSION_ENDED, reason="session ended")

    async def check(self) -> None:
        """One round: end the waits of the sockets whose session is gone."""
        for sid in await self.store.gone(list(self._watched)):
            for ended in self._watched.get(sid, ()):
                ended.set()

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:  # Redis restarting: the next round checks again
                log.exception("checking the sessions of open sockets failed")
