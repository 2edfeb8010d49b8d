"""Server-side sessions in Redis. The `cc_session` cookie carries only a random id; Redis holds the
session (`cc:session:<id>`: user, created, seen, must_change) and each user's set of session ids
(`cc:user_sessions:<user id>`), so that logging out, disabling a user, a role change and a password
change end every session of that user at once (`end_user_sessions`).

A session lapses after SESSION_IDLE_MINUTES without a request (the key's expiry, renewed by each
request and by each open console or wallboard socket) and SESSION_LIFETIME_HOURS after login
whatever happens. Checking one costs one Redis round trip (a script), never the database. After Redis
lost its data every session is gone and everyone logs in again (the console's pages go to /login on
a 401, or a websocket's 4401).
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from starlette.requests import HTTPConnection

SESSION_COOKIE = "cc_session"
SESSION_KEY = "cc:session:"
USER_KEY = "cc:user_sessions:"
SESSION_ID = "cc.session_id"  # scope key: the id of this request's live session, or None
FRESH = "cc.session_fresh"  # scope key: (user id, must change password) of a session to start on the response
GONE_BATCH = 500  # sessions checked per script run (`SessionStore.gone`)
_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)

# KEYS: the session. ARGV: now (ms), absolute lifetime (ms), idle timeout (ms). Returns {user, must_change}
# of a live session after noting it was seen, or nil.
TOUCH = """
local v = redis.call('HMGET', KEYS[1], 'user', 'created', 'must_change')
if not v[1] then return nil end
local left = tonumber(v[2]) + tonumber(ARGV[2]) - tonumber(ARGV[1])
if left <= 0 then redis.call('DEL', KEYS[1]) return nil end
redis.call('HSET', KEYS[1], 'seen', ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.min(tonumber(ARGV[3]), left))
return {v[1], v[3] or '0'}
"""

# KEYS: the new session, the user's set, the session it replaces (or the new one again). ARGV: session id,
# user id, now (ms), idle (ms), absolute (ms), must_change ('1'/'0'), the session prefix. Also forgets the
# user's sessions that lapsed (their ids stay in the set until now).
START = """
if KEYS[3] ~= KEYS[1] then
  redis.call('DEL', KEYS[3])
end
redis.call('HSET', KEYS[1], 'user', ARGV[2], 'created', ARGV[3], 'seen', ARGV[3], 'must_change', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[7] .. id) == 0 then redis.call('SREM', KEYS[2], id) end
end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
"""

# KEYS: the user's set. ARGV: the session prefix. Ends every session of the user; returns how many lived.
END_USER = """
local ended = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  ended = ended + redis.call('DEL', ARGV[1] .. id)
end
redis.call('DEL', KEYS[1])
return ended
"""

# KEYS: sessions with an open socket. ARGV: now, absolute, idle (ms). Renews the live ones (an open
# console is a person at work); returns the 1-based positions of those gone.
ALIVE = """
local gone = {}
for i, key in ipairs(KEYS) do
  local created = redis.call('HGET', key, 'created')
  local left = created and (tonumber(created) + tonumber(ARGV[2]) - tonumber(ARGV[1])) or 0
  if left <= 0 then
    if created then redis.call('DEL', key) end
    gone[#gone + 1] = i
  else
    redis.call('PEXPIRE', key, math.min(tonumber(ARGV[3]), left))
  end
end
return gone
"""


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Lifetimes:
    idle_ms: int
    absolute_ms: int


class SessionStore:
    """The sessions, through the app's asyncio Redis client (one per app, opened in its lifespan)."""

    def __init__(self, redis: AsyncRedis, lifetimes: Lifetimes) -> None:
        self.redis, self.lifetimes = redis, lifetimes
        self._touch = redis.register_script(TOUCH)
        self._start = redis.register_script(START)
        self._alive = redis.register_script(ALIVE)

    async def touch(self, session_id: str) -> tuple[int, bool] | None:
        """(user id, must change password) of a live session, noted as seen now; None if it is gone."""
        if not _ID.match(session_id):
            return None
        found = await self._touch(
            keys=[SESSION_KEY + session_id], args=[_now_ms(), self.lifetimes.absolute_ms, self.lifetimes.idle_ms]
        )
        return (int(found[0]), found[1] == b"1") if found else None

    async def start(self, *, user_id: int, must_change: bool, replacing: str | None) -> str:
        """A new session of the user (a new random id: never one the client chose); ends `replacing`."""
        session_id = secrets.token_urlsafe(32)
        key = SESSION_KEY + session_id
        old = SESSION_KEY + replacing if replacing else key
        now, lt = _now_ms(), self.lifetimes
        args: list[str | int] = [session_id, user_id, now, lt.idle_ms, lt.absolute_ms, int(must_change), SESSION_KEY]
        await self._start(keys=[key, USER_KEY + str(user_id), old], args=args)
        return session_id

    async def end(self, session_id: str) -> None:
        """End one session (the others of its user live on)."""
        await self.redis.delete(SESSION_KEY + session_id)

    async def gone(self, session_ids: list[str]) -> set[str]:
        """Of these sessions (with a socket open), those that ended; the others count as seen now."""
        lt, ended = self.lifetimes, set()
        # In slices: one script over thousands of keys would hold Redis for milliseconds.
        for start in range(0, len(session_ids), GONE_BATCH):
            batch = session_ids[start : start + GONE_BATCH]
            positions = await self._alive(
                keys=[SESSION_KEY + s for s in batch], args=[_now_ms(), lt.absolute_ms, lt.idle_ms]
            )
            ended |= {batch[int(i) - 1] for i in positions}
        return ended


def end_user_sessions(redis: Redis, *, user_id: int) -> int:
    """End every session of the user at once (blocking); their open sockets close at the next check."""
    return int(redis.eval(END_USER, 1, USER_KEY + str(user_id), SESSION_KEY))


def begin(conn: HTTPConnection, *, user_id: int, must_change: bool = False) -> None:
    """Log this client in: the response ends its old session, if any, and sets a fresh session id."""
    conn.session.clear()
    conn.session["user_id"] = user_id
    conn.scope[FRESH] = (user_id, must_change)


def session_id(conn: HTTPConnection) -> str | None:
    """The id of the live session this request or socket came with."""
    value = conn.scope.get(SESSION_ID)
    return value if isinstance(value, str) else None
