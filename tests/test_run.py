"""`contactcenter run`: one command starts everything, seeds the demo once, and stops cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import start_system, stop_system
from tests.environment import clean_env

pytestmark = pytest.mark.system  # `contactcenter run` and its processes


def test_run_prints_the_urls_and_demo_passwords_once_and_stops_its_redis(
    tmp_path: Path, new_database: Callable[[], str]
) -> None:
    database = new_database()
    first = start_system(tmp_path, database)
    try:
        banner = "".join(first.output)
        assert f"Agent console:   {first.base_url}/console" in banner
        assert f"{first.base_url}/twilio/voice" in banner
        assert "Demo users (passwords shown once)" in banner
        for user in ("agent1", "agent2", "supervisor", "qa"):
            assert user in banner
        assert httpx.get(first.base_url + "/healthz").json() == {"ok": True}
        first.login("agent1").close()
    finally:
        stop_system(first)
    assert first.process.returncode == 0
    if not os.environ.get("TEST_REDIS_URL"):
        assert not (first.var_dir / "redis" / "redis.sock").exists()
        assert (first.var_dir / "redis" / "appendonlydir").exists() or (
            first.var_dir / "redis" / "appendonly.aof"
        ).exists()

    second = start_system(tmp_path, database)
    try:
        assert "Demo users" not in "".join(second.output)
        second.login("agent1").close()
    finally:
        stop_system(second)


def test_run_without_demo_creates_no_users(tmp_path: Path, new_database: Callable[[], str]) -> None:
    from contactcenter.db import Database
    from contactcenter.users.models import User

    database = new_database()
    env_db = Database(database.replace("postgresql://", "postgresql+psycopg://", 1))
    process = subprocess.run(
        [sys.executable, "-m", "contactcenter", "db", "upgrade"],
        env={**os.environ, "DATABASE_URL": database, "VAR_DIR": str(tmp_path / "var")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 0, process.stderr
    with env_db.session() as session:
        assert session.query(User).count() == 0
    env_db.dispose()


@pytest.mark.parametrize("command", [["serve"], ["worker"]])
def test_serve_and_worker_refuse_to_start_without_redis(tmp_path: Path, command: list[str]) -> None:
    process = subprocess.run(
        [sys.executable, "-m", "contactcenter", *command],
        env=clean_env(VAR_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert process.returncode == 2
    assert "REDIS_URL" in process.stderr
