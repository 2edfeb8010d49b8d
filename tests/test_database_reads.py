"""Reads that need no writer's turn: a request's login check runs while another thread's write is open
(on SQLite every session used to take the process's one writer turn and SQLite's write lock, so every
request queued behind the IVR's and the worker's writes)."""

from __future__ import annotations

import threading

from sqlalchemy import text

from tests.inprocess import InProcessSystem

HOLD_AT_MOST = 10.0  # seconds the write stays open if the request never comes back meanwhile


def test_a_login_check_does_not_wait_for_a_write_in_progress(system: InProcessSystem) -> None:
    lead = system.login("supervisor")
    services = system.client.app.state.services  # type: ignore[attr-defined]
    writing, answered = threading.Event(), threading.Event()
    released_before_the_answer: list[bool] = []

    def hold_a_write_open() -> None:
        with services.db.session() as session:
            session.execute(text("UPDATE users SET display_name = display_name WHERE username = 'supervisor'"))
            writing.set()
            released_before_the_answer.append(not answered.wait(HOLD_AT_MOST))

    writer = threading.Thread(target=hold_a_write_open)
    writer.start()
    try:
        assert writing.wait(10)
        response = lead.get("/api/me")
        answered.set()
    finally:
        answered.set()
        writer.join(HOLD_AT_MOST + 5)

    assert response.status_code == 200 and response.json()["username"] == "supervisor"
    assert released_before_the_answer == [False]  # answered while the write was still open
