"""Two costs the tests pay thousands of times, paid once (measured with py-spy over the fast tier).

One TLS context for every httpx client: httpx builds a TLS context for each client, even one that only
speaks plain HTTP to 127.0.0.1, and each costs ~30 ms of CPU (certifi's bundle is loaded again).
Measured with py-spy: the fast tier made about 3,700 clients (`httpx.get(...)`, the sandbox's own) and
spent 112 s of its 325 s of CPU there. A context is not changed once made, so one per set of arguments
serves them all.

Cheap argon2 in the tests' own process: every login verified a hash made at argon2's production cost
(~125 ms of CPU each, 33 s in all). The tests hash with argon2id at its cheapest parameters instead; the
code path is the same (the parameters travel in the hash), and `PRODUCT_HASHER` keeps the product's own
for the test that pins its cost.
"""

from __future__ import annotations

import ssl
from functools import cache
from typing import Any

import httpx._transports.default as transports
from argon2 import PasswordHasher, profiles

from contactcenter.users import service as users_service

_build = transports.create_ssl_context
PRODUCT_HASHER = users_service._hasher


@cache
def _shared(verify: bool | str, trust_env: bool) -> ssl.SSLContext:
    return _build(verify=verify, trust_env=trust_env)


def _create_ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> ssl.SSLContext:
    if cert is None and isinstance(verify, bool | str):
        return _shared(verify, trust_env)
    return _build(verify=verify, cert=cert, trust_env=trust_env)


def share_tls_contexts() -> None:
    """From now on, httpx clients in this process share their TLS context."""
    transports.create_ssl_context = _create_ssl_context


def cheap_password_hashing() -> None:
    """From now on, passwords hashed in this process use argon2id's cheapest parameters."""
    users_service._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
