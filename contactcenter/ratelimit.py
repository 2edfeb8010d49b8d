"""Attempts counted per fixed window in Redis, for what strangers can do: start a web chat or leave a
message (per client address), and log in with a wrong password (per user name and address, per user name
from any address, per address for any user name). Shared
by every app process, so a script cannot go round the limit by landing on another process."""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis
from redis.cluster import RedisCluster

from contactcenter.settings import Settings

PREFIX = "cc:limit:"


@dataclass(frozen=True)
class Limit:
    """At most `attempts` per `window_seconds` for one key (the window starts at its first attempt)."""

    name: str
    attempts: int
    window_seconds: int

    def count(self, redis: Redis | RedisCluster, key: str) -> int | None:
        """Count one attempt; None while within the limit, else the seconds until the window ends."""
        full = self._key(key)
        with redis.pipeline(transaction=True) as pipe:  # one key: also fine on a cluster
            pipe.set(full, 0, ex=self.window_seconds, nx=True)
            pipe.incr(full)
            pipe.ttl(full)
            _, attempts, ttl = pipe.execute()
        return max(int(ttl), 1) if int(attempts) > self.attempts else None

    def blocked(self, redis: Redis | RedisCluster, key: str) -> int | None:
        """Without counting: None when another attempt is allowed, else the seconds until it is."""
        full = self._key(key)
        with redis.pipeline(transaction=False) as pipe:
            pipe.get(full)
            pipe.ttl(full)
            attempts, ttl = pipe.execute()
        return max(int(ttl), 1) if attempts is not None and int(attempts) >= self.attempts else None

    def _key(self, key: str) -> str:
        return f"{PREFIX}{self.name}:{key}"


def chat_forms(settings: Settings) -> Limit:
    """Starting a web chat and leaving a message, per client address."""
    return Limit("chat_form", settings.chat_form_limit, settings.chat_form_window_seconds)


def login_failures(settings: Settings) -> Limit:
    """Wrong passwords, per user name and client address."""
    return Limit("login_failure", settings.login_failure_limit, settings.login_failure_window_seconds)


def login_user_failures(settings: Settings) -> Limit:
    """Wrong passwords for one user name from any address (one name guessed from many machines)."""
    return Limit("login_user", settings.login_user_failure_limit, settings.login_failure_window_seconds)


def login_address_failures(settings: Settings) -> Limit:
    """Wrong passwords from one address for any user name (one password tried on many names: spraying)."""
    return Limit("login_address", settings.login_address_failure_limit, settings.login_failure_window_seconds)


def wait_text(seconds: int) -> str:
    """How long to wait, for an error message in both languages."""
    if seconds < 120:
        return f"{seconds} 秒 / {seconds} seconds"
    minutes = -(-seconds // 60)
    return f"{minutes} 分钟 / {minutes} minutes"


@dataclass(frozen=True)
class LoginAttempt:
    """One login's three counts of wrong passwords: this name from this address, this name from anywhere,
    anything from this address. `blocked` before the password is checked, `failed` after a wrong one."""

    settings: Settings
    username: str
    client: str

    def _limits(self) -> list[tuple[str, Limit, str]]:
        name = self.username.strip().lower()
        return [
            ("pair", login_failures(self.settings), f"{name}|{self.client}"),
            ("user", login_user_failures(self.settings), name),
            ("address", login_address_failures(self.settings), self.client),
        ]

    def blocked(self, redis: Redis | RedisCluster) -> tuple[int, str] | None:
        """None when the password may be checked, else (seconds to wait, which count is full)."""
        waits = [(wait, why) for why, limit, key in self._limits() if (wait := limit.blocked(redis, key))]
        return max(waits) if waits else None

    def failed(self, redis: Redis | RedisCluster) -> None:
        """Count a wrong password in all three."""
        for _, limit, key in self._limits():
            limit.count(redis, key)
