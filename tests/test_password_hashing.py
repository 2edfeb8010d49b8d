"""The product hashes passwords with argon2id at argon2-cffi's default cost (RFC 9106's low-memory
choice); the tests' own cheap parameters (tests/cheap_setup.py) never reach it."""

from __future__ import annotations

from argon2 import Type, extract_parameters

from contactcenter.users import service
from contactcenter.users.models import User
from tests.cheap_setup import PRODUCT_HASHER


def test_the_product_hashes_with_argon2id_at_64_mib_and_three_passes() -> None:
    assert (PRODUCT_HASHER.type, PRODUCT_HASHER.memory_cost, PRODUCT_HASHER.time_cost) == (Type.ID, 65536, 3)


def test_a_hash_made_cheaply_is_still_argon2id_and_verified_by_the_same_code() -> None:
    hashed = service.hash_password("a long enough password")
    user = User(username="li.na", password_hash=hashed)

    assert extract_parameters(hashed).type is Type.ID
    assert service.password_matches(user, "a long enough password")
    assert not service.password_matches(user, "a long enough passworD")
