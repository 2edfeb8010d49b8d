"""A waiting chat whose customer's page goes away (tab closed, signal lost) is abandoned after the
grace period, as a caller who hangs up is; a page that comes back within it keeps its place."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from tests.conftest import StartInProcess, System
from tests.inprocess import InProcessSystem
from tests.test_chat_web import ChatCustomer

GRACE_SECONDS = 2


@pytest.fixture(scope="module")
def system(start_in_process: StartInProcess) -> Iterator[InProcessSystem]:
    with start_in_process({"CHAT_CUSTOMER_GRACE_SECONDS": str(GRACE_SECONDS)}) as running:
        yield running


def status_of(system: System, contact: int) -> str:
    with system.sql().connect() as db:
        return str(db.execute(text("SELECT status FROM contacts WHERE id = :id"), {"id": contact}).scalar_one())


def test_a_page_gone_past_the_grace_abandons_the_waiting_chat(system: System) -> None:
    customer = ChatCustomer(system)  # nobody is logged in: the chat waits
    customer.open()
    customer.close()  # the tab is closed
    deadline = time.monotonic() + GRACE_SECONDS + 10
    while status_of(system, customer.contact) == "queued" and time.monotonic() < deadline:
        time.sleep(0.3)
    assert status_of(system, customer.contact) == "abandoned"


def test_a_page_back_within_the_grace_keeps_waiting(system: System) -> None:
    customer = ChatCustomer(system)
    customer.open()
    for _ in range(3):  # a page that keeps talking (its 15 s ping, here faster) is never given up
        time.sleep(GRACE_SECONDS / 2)
        customer.send(type="ping")
        customer.next("pong")
    assert status_of(system, customer.contact) == "queued"
    customer.close()
    customer.open()  # a reload
    time.sleep(GRACE_SECONDS / 2)
    assert status_of(system, customer.contact) == "queued"
    customer.send(type="leave")
    customer.close()
