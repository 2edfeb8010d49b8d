"""What runs beside routing in production, for the throughput's side-by-side rounds: the reconciler's pass
(contactcenter/reconcile) and the outbox relay (contactcenter/outbox), in a process of their own against
the benchmark's Redis and a SQLite database, switched on and off by the benchmark between rounds.

The benchmark's contacts are SQL rows too (chats, waiting: the reconciler has nothing to repair and asks
Twilio nothing), so a pass does all its reading: routing's live set and its records, then SQL. It runs
`python bench/routing_beside.py` itself; on stdin it takes `on` and `off` (each answered once done: `off`
after a pass under way has finished); at the end of stdin it prints its figures as JSON and exits.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

RELAY_EVERY = 0.5  # contactcenter/outbox/service.py, RELAY_INTERVAL


def prepare_database(database_url: str, contact_ids: Iterable[int]) -> None:
    """Migrate an empty database and add each benchmark contact as a waiting chat (what SQL would hold)."""
    from sqlalchemy import insert

    import contactcenter.models  # noqa: F401  (every table mapped before the first query)
    from contactcenter.contacts.models import Contact, ContactStatus
    from contactcenter.db import Database

    db = Database(database_url)
    db.upgrade()
    try:
        rows = [
            {"id": cid, "channel": "chat", "provider_id": f"bench-{cid}", "from_number": "bench", "to_number": "bench"}
            | {"status": ContactStatus.QUEUED, "queue": "bench"}
            for cid in contact_ids
        ]
        with db.session() as session:
            session.execute(insert(Contact), rows)
    finally:
        db.dispose()


class Beside:
    """The reconciler and the relay in a child process, passing every `every` seconds while switched on."""

    def __init__(self, workdir: Path, redis_url: str, database_url: str, every: float) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "REDIS_", "DATABASE_"))}
        env |= {"VAR_DIR": str(workdir / "var"), "REDIS_URL": redis_url, "DATABASE_URL": database_url}
        env["TWILIO_API_BASE"] = "http://127.0.0.1:9"  # never asked (chats only); nowhere if it were
        self.every = every
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__)), str(every)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.ready = json.loads(self._answer("ready"))  # its first pass swept every record once
        self.figures: dict[str, Any] = {}

    def _answer(self, expected: str) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        word, _, rest = line.strip().partition(" ")
        if word != expected:
            raise RuntimeError(f"the reconciler's process said {line!r} (expected {expected})")
        return rest

    def _say(self, word: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(word + "\n")
        self.process.stdin.flush()
        self._answer(word)

    def on(self) -> None:
        self._say("on")

    def off(self) -> None:
        self._say("off")

    def close(self) -> dict[str, Any]:
        """Stop the process; its figures (passes, their time, repairs, relays)."""
        try:
            if self.process.poll() is None and self.process.stdin is not None:
                self.process.stdin.close()
                self.figures = json.loads(self._answer("figures"))
            self.process.wait(15)
        except (RuntimeError, subprocess.TimeoutExpired, ValueError, OSError):
            self.process.kill()
            self.process.wait()
        return self.figures


@dataclass
class _Figures:
    pass_ms: list[float] = field(default_factory=list)
    repairs: int = 0
    relay_ms: list[float] = field(default_factory=list)

    def as_json(self) -> str:
        def ms(values: list[float]) -> dict[str, float]:
            if not values:
                return {"count": 0}
            return {
                "count": len(values),
                "median_ms": round(statistics.median(values), 2),
                "max_ms": round(max(values), 2),
            }

        return json.dumps({"passes": ms(self.pass_ms), "repairs": self.repairs, "relays": ms(self.relay_ms)})


def serve(every: float, commands: IO[str]) -> None:
    """The child: a pass as `reconcile_forever` makes it (lock, lost-Redis check, run_once) every `every`
    seconds and the relay every 0.5 s, while switched on; its first pass at a random point of the first
    interval, so passes fall anywhere in the rounds."""
    from contactcenter.context import build_services
    from contactcenter.outbox.service import relay
    from contactcenter.reconcile.rebuild import EPOCH_KEY, rebuild, redis_was_lost
    from contactcenter.reconcile.service import LOCK_KEY, Reconciler
    from contactcenter.settings import load_settings

    services = build_services(load_settings())
    services.redis.set(EPOCH_KEY, int(time.time() * 1000))  # a built live state, as after the first pass
    reconciler, figures = Reconciler(services), _Figures()
    began = time.perf_counter()
    first: dict[str, float] = {
        "first_pass_repairs": len(reconciler.run_once())
    }  # it sweeps every record (then once an hour)
    first["first_pass_ms"] = round((time.perf_counter() - began) * 1000, 1)
    active, busy, stop = threading.Event(), threading.Lock(), threading.Event()
    due = {"pass": 0.0, "relay": 0.0}

    def one_pass() -> None:
        began = time.perf_counter()
        services.redis.set(LOCK_KEY, str(os.getpid()), px=int(every * 1000))
        if redis_was_lost(services):
            rebuild(services)
        figures.repairs += len(reconciler.run_once())
        figures.pass_ms.append((time.perf_counter() - began) * 1000)

    def work() -> None:
        while not stop.is_set():
            if not active.wait(0.1):
                continue
            with busy:
                now = time.monotonic()
                if active.is_set() and now >= due["pass"]:
                    one_pass()
                    due["pass"] = now + every
                if active.is_set() and now >= due["relay"]:
                    began = time.perf_counter()
                    relay(services)
                    figures.relay_ms.append((time.perf_counter() - began) * 1000)
                    due["relay"] = now + RELAY_EVERY
            stop.wait(0.005)

    worker = threading.Thread(target=work, name="beside", daemon=True)
    worker.start()
    print("ready " + json.dumps(first), flush=True)
    for line in commands:
        word = line.strip()
        if word == "on":
            now = time.monotonic()
            due.update({"pass": now + random.uniform(0, every), "relay": now + random.uniform(0, RELAY_EVERY)})
            active.set()
        elif word == "off":
            active.clear()
            with busy:  # a pass under way ends before the rounds without it start
                pass
        print(word, flush=True)
    stop.set()
    worker.join()
    print("figures " + figures.as_json(), flush=True)
    services.close()


if __name__ == "__main__":
    serve(float(sys.argv[1]), sys.stdin)
