"""Setup of the call benchmark: SQLite with the demo data and the bench's agents, then three servers, each
a process of its own: the product (`contactcenter serve`, as `contactcenter run` starts it), the Twilio
sandbox (its hotline's webhooks at the product, its ring delay set by the bench) and the old path's
reproduction (calls_dial.py)."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from agent_sockets import cheap_password_hash, free_port
from webhooks_setup import OWN_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
SERVER_SCRIPT = Path(__file__).resolve().parent / "calls_server.py"
CALENDARS = ROOT / "tests" / "calendars.yaml"  # the hotline open around the clock: runs do not depend on the hour
HOTLINE = "+862180000000"  # the demo hotline: every caller goes through the product's IVR
QUEUE = "general"  # the bench's agents take it; the old path's callers wait in "repair", where nobody answers
PASSWORD = "bench-password-not-secret"


def seed(database_url: str, agents: int) -> list[str]:
    """Migrate an empty database, add the demo data and `agents` agents of the general queue who speak
    Mandarin (the callers' choice), sharing one cheap password hash (agent_sockets.cheap_password_hash)."""
    from sqlalchemy import select

    import contactcenter.models  # noqa: F401  (every table mapped before the first query)
    from contactcenter.db import Database
    from contactcenter.demo import create_demo_data
    from contactcenter.users.models import Role, User
    from queues.models import Queue

    names = [f"caller-agent{n:04d}" for n in range(agents)]
    db = Database(database_url)
    try:
        db.upgrade()
        with db.session() as session:
            create_demo_data(session, password=PASSWORD)
            general = session.scalars(select(Queue).where(Queue.name == QUEUE)).one()
            cheap = cheap_password_hash(PASSWORD)
            session.add_all(
                User(
                    username=name,
                    display_name=name,
                    password_hash=cheap,
                    role=Role.AGENT,
                    skills={"zh": 5, "en": 5},
                    queues=[general],
                )
                for name in names
            )
    finally:
        db.dispose()
    return names


@dataclass
class Stack:
    """The running servers: where each answers, and their process ids (for CPU accounting)."""

    product: str
    sandbox: str
    dial: str
    pids: dict[str, int]


@contextlib.contextmanager
def _process(command: list[str], env: dict[str, str], workdir: Path, name: str, health: str) -> Iterator[int]:
    """A server process, up once `health` answers 200 (or failed with the end of its log); stopped afterwards."""
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the {name} did not start:\n" + log_path.read_text()[-3000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(health, timeout=1, trust_env=False).status_code == 200:
                    break
            time.sleep(0.2)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def start_stack(workdir: Path, *, redis_url: str, database_url: str, ring_seconds: float) -> Iterator[Stack]:
    """The product, the sandbox and the old path's server, wired to each other over loopback."""
    ports = {name: free_port() for name in ("product", "sandbox", "dial")}
    product, sandbox, dial = (f"http://127.0.0.1:{ports[name]}" for name in ("product", "sandbox", "dial"))
    account_sid, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    base = {k: v for k, v in os.environ.items() if not k.startswith(OWN_SETTINGS)}
    base |= {"TWILIO_ACCOUNT_SID": account_sid, "TWILIO_AUTH_TOKEN": token}
    product_env = base | {
        "VAR_DIR": str(workdir / "var"),
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "PUBLIC_BASE_URL": product,
        "TWILIO_API_BASE": sandbox,
        "CALENDARS": str(CALENDARS),
        "OFFER_TIMEOUT_SECONDS": "600",  # an offer waits for the bench's accept, however late
    }
    dial_env = base | {"PUBLIC_BASE_URL": dial, "TWILIO_API_BASE": sandbox}
    serve = [sys.executable, "-m", "contactcenter", "serve", "--port", str(ports["product"]), "--no-migrate"]
    sandbox_command = [sys.executable, str(SERVER_SCRIPT), "sandbox", "--port", str(ports["sandbox"])]
    sandbox_command += ["--ring-seconds", str(ring_seconds), "--recordings-dir", str(workdir / "recordings")]
    sandbox_command += ["--number", HOTLINE, product + "/twilio/voice", product + "/twilio/voice/status"]
    dial_command = [sys.executable, str(SERVER_SCRIPT), "dial", "--port", str(ports["dial"])]
    with (
        _process(sandbox_command, base, workdir, "sandbox", sandbox + "/sandbox/numbers") as sp,
        _process([*serve, "--log-level", "warning"], product_env, workdir, "product", product + "/healthz") as pp,
        _process(dial_command, dial_env, workdir, "dial", dial + "/healthz") as dp,
    ):
        yield Stack(product, sandbox, dial, {"product": pp, "sandbox": sp, "dial": dp})
