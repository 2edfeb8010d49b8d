"""Setup of the webhook benchmark: SQLite with the demo data, the two server processes (the product and
the bare endpoint, pinned to the same core), and the CPU accounting of each measured phase."""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from agent_sockets import free_port, running
from routing_latency import cpu_seconds
from webhooks_load import Callers

from tests.twilio_params import incoming_call, new_sid, signed

SERVER_SCRIPT = Path(__file__).resolve().parent / "webhooks_server.py"
# Settings the benchmark chooses; anything else of the kind in the caller's environment is dropped.
OWN_SETTINGS = ("TWILIO_", "REDIS_", "DATABASE_", "PUBLIC_BASE_URL", "IVR_", "VAR_DIR", "SECRET_KEY", "CALENDARS")


def seed_database(database_url: str) -> None:
    """Migrate an empty SQLite file and add the demo queues, users and customers (`run --demo`'s data)."""
    import contactcenter.models  # noqa: F401  (every table mapped before the first query)
    from contactcenter.db import Database
    from contactcenter.demo import create_demo_data

    db = Database(database_url)
    try:
        db.upgrade()
        with db.session() as session:
            create_demo_data(session, password=secrets.token_urlsafe(12))
    finally:
        db.dispose()


def count_rows(database_url: str) -> dict[str, int]:
    """Rows the run left behind, per table the incoming-call webhook writes."""
    with contextlib.closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as conn:
        tables = ("contacts", "tickets", "customers", "audit_events")
        return {table: int(conn.execute(f"select count(*) from {table}").fetchone()[0]) for table in tables}


@contextlib.contextmanager
def _server(kind: str, port: int, env: dict[str, str], workdir: Path, core: int | None) -> Iterator[int]:
    """One webhooks_server.py process, up and answering /healthz; yields its process id."""
    command = [sys.executable, str(SERVER_SCRIPT), kind, "--port", str(port)]
    command += ["--cpu", str(core)] if core is not None else []
    log_path = workdir / f"{kind}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    with running(process, f"http://127.0.0.1:{port}", log_path, f"the {kind} server"):
        yield process.pid


@dataclass
class Servers:
    app_port: int
    bare_port: int
    app_pid: int
    bare_pid: int
    request_settings: dict[str, Any]  # build_requests' keywords: where to sign for, token, callers
    sample: bytes  # the TwiML of the first call, which the bare endpoint answers every time

    def pids(self, name: str) -> dict[str, int]:
        return {"server": self.app_pid if name == "webhook" else self.bare_pid, "client": os.getpid()}

    @classmethod
    @contextlib.contextmanager
    def start(
        cls, workdir: Path, *, redis_url: str, database_url: str, core: int | None, callers: Callers, to: str
    ) -> Iterator[Servers]:
        """The product on a free port, one real incoming call to get its TwiML, then the bare server
        answering that TwiML, both with the same settings and on the same core."""
        token, account_sid = secrets.token_hex(16), "AC" + secrets.token_hex(16)
        app_port, bare_port = free_port(), free_port()
        public = f"http://127.0.0.1:{app_port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_SETTINGS)}
        env |= {
            "VAR_DIR": str(workdir / "var"),
            "REDIS_URL": redis_url,
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "PUBLIC_BASE_URL": public,
            "TWILIO_ACCOUNT_SID": account_sid,
            "TWILIO_AUTH_TOKEN": token,
        }
        with _server("app", app_port, env, workdir, core) as app_pid:
            url = public + "/twilio/voice"
            params = incoming_call(account_sid=account_sid, call_sid=new_sid("CA"), from_=callers.known[0], to=to)
            answer = httpx.post(url, data=params, headers=signed(url, params, token), timeout=30, trust_env=False)
            if answer.status_code != 200 or b"<Response" not in answer.content:
                raise RuntimeError(f"the first incoming call was answered {answer.status_code}: {answer.text[:500]}")
            (workdir / "twiml.xml").write_bytes(answer.content)
            with _server(
                "bare", bare_port, env | {"BENCH_TWIML_FILE": str(workdir / "twiml.xml")}, workdir, core
            ) as bare:
                settings = {
                    "public_url": url,
                    "host": f"127.0.0.1:{app_port}",
                    "token": token,
                    "account_sid": account_sid,
                    "to": to,
                    "callers": callers,
                }
                yield cls(app_port, bare_port, app_pid, bare, settings, answer.content)


def core_ticks() -> dict[int, tuple[int, int]]:
    """Busy and total CPU ticks of each core so far (Linux /proc; empty elsewhere)."""
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return {}
    out = {}
    for line in lines:
        name, *values = line.split()
        if name.startswith("cpu") and name[3:].isdigit():
            ticks = [int(v) for v in values]
            out[int(name[3:])] = (sum(ticks) - ticks[3] - ticks[4], sum(ticks))  # all but idle and iowait
    return out


class Watch:
    """CPU use during one phase: each named process in % of one core, and each core's busy % (whoever
    used it: a busy core the server did not use is another process's load)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
        self.cores = core_ticks()
        self.began = time.perf_counter()

    def stop(self) -> dict[str, float]:
        wall = time.perf_counter() - self.began
        out = {name: 100 * (cpu_seconds(pid) - self.cpu[name]) / wall for name, pid in self.pids.items()}
        for core, (busy, total) in core_ticks().items():
            busy_before, total_before = self.cores.get(core, (busy, total))
            out[f"core{core}"] = 100 * (busy - busy_before) / (total - total_before) if total > total_before else 0.0
        return out
