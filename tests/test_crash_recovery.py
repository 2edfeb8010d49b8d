"""A web process dies while offers are out; the next one to start returns them. Routing lives in Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from redis import Redis

from contactcenter.db import Database
from queues.engine import RoutingConfig, RoutingEngine
from tests.conftest import free_port
from tests.redis_replies import texts

pytestmark = pytest.mark.system  # a server process killed mid-offer


def start_server(tmp_path: Path, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "contactcenter", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("serve did not start")


def test_offers_out_when_the_server_is_killed_return_to_their_queue_once_a_server_runs_again(
    tmp_path: Path, redis_client: Redis, redis_url: str, new_database: Callable[[], str]
) -> None:
    database = new_database()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "VAR_DIR": str(tmp_path / "var"),
        "OFFER_TIMEOUT_SECONDS": "2",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "token",
    }
    Database(database.replace("postgresql://", "postgresql+psycopg://", 1)).upgrade()
    port = free_port()
    server = start_server(tmp_path, env, port)
    engine = RoutingEngine(redis_client, RoutingConfig(offer_timeout_ms=2_000))
    for agent in ("1", "2", "3"):
        engine.set_agent_state(agent_id=agent, state="available", queues=["general"])
    for contact in ("a", "b", "c", "d", "e"):
        engine.enqueue(contact_id=contact, queue="general", info={})
    offered = [c for c in "abcde" if engine.contact(c)["state"] == "offered"]
    assert len(offered) == 3

    server.send_signal(signal.SIGKILL)
    server.wait(10)
    time.sleep(2.5)  # every lease has run out while no process was reaping
    assert all(engine.contact(c)["state"] == "offered" for c in offered)

    server = start_server(tmp_path, env, port)
    try:
        time.sleep(1.5)
        states = {c: engine.contact(c)["state"] for c in "abcde"}
        assert set(states.values()) <= {"waiting", "offered"}
        leases = set(texts(redis_client.zrange("cc:{rt}:leases", 0, -1)))
        now_ms = time.time() * 1000
        for agent in ("1", "2", "3"):
            snap = engine.snapshot(agent_id=agent)
            if snap.agent["state"] == "reserved":
                contact = snap.agent["contact"]
                assert contact in leases and float(engine.contact(contact)["deadline"]) > now_ms - 1000
        waiting = set(texts(redis_client.zrange("cc:{rt}:waiting:general", 0, -1)))
        assert waiting | leases == set("abcde")
    finally:
        server.terminate()
        server.wait(20)
