"""Console websocket benchmark: N agents' consoles open at once on ONE server process, with heartbeats;
the server's memory per connection, and how long a supervisor's announcement takes to reach all of them.
Then the machine's floor on the same cores (bench/socket_floor.py: bare sockets, no framework), so the
p99 can be read against what no server could beat here. Prints a table, then one JSON line (the last).

    python bench/console.py            # 5,000 consoles, 20 announcements 1 s apart (about 1.5 minutes)
    python bench/console.py --quick    # 1,000 consoles, 10 announcements 0.5 s apart (under a minute)

See docs/performance.md for what is measured and the latest figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: tests.twilio_params
from agent_sockets import cheap_password_hash, choose_cores, raise_fd_limit, web_server
from console_clients import run as client_process
from console_report import Memory, Run, figures, table, tally
from socket_floor import measure_floor
from webhooks_setup import Watch

from contactcenter.embedded_redis import EmbeddedRedis

PASSWORD = "bench-password-not-secret"
FD_SLACK = 1024


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark many open agent consoles on one server process: memory per websocket and "
        "announcement fan-out latency.",
        epilog="A private redis-server and a SQLite file live in a temporary directory; nothing of the machine's "
        "is touched. The server runs `contactcenter serve`'s settings (one process).",
    )
    parser.add_argument("--quick", action="store_true", help="1,000 consoles, 10 announcements (under a minute)")
    parser.add_argument("--connections", type=int, help="console websockets (default 5000; 1000 with --quick)")
    parser.add_argument("--clients", type=int, help="client processes the sockets are spread over (default 4; 2)")
    parser.add_argument("--announcements", type=int, help="announcements posted (default 20; 10 with --quick)")
    parser.add_argument("--spacing", type=float, help="seconds between announcements (default 1; 0.5 with --quick)")
    parser.add_argument("--idle", type=float, help="seconds all sockets sit idle before memory is read (default 10; 5)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the server to one core, clients to another")
    parser.add_argument("--no-floor", action="store_true", help="skip the machine's floor (bench/socket_floor.py)")
    args = parser.parse_args(argv)
    args.connections = args.connections or (1000 if args.quick else 5000)
    args.clients = args.clients or (2 if args.quick else 4)
    args.announcements = args.announcements or (10 if args.quick else 20)
    args.spacing = args.spacing if args.spacing is not None else (0.5 if args.quick else 1.0)
    args.idle = args.idle if args.idle is not None else (5.0 if args.quick else 10.0)
    return args


def seed(database_url: str, agents: int) -> list[str]:
    """Migrate an empty database, add the demo data (its supervisor posts the announcements, with PASSWORD)
    and `agents` agents sharing one cheap password hash (see agent_sockets.cheap_password_hash)."""
    import contactcenter.models  # noqa: F401  (every table mapped before the first query)
    from contactcenter.db import Database
    from contactcenter.demo import create_demo_data
    from contactcenter.users.models import Role, User

    names = [f"console{n:05d}" for n in range(agents)]
    db = Database(database_url)
    try:
        db.upgrade()
        with db.session() as session:
            create_demo_data(session, password=PASSWORD)
            cheap = cheap_password_hash(PASSWORD)
            session.add_all(
                User(username=n, display_name=n, password_hash=cheap, role=Role.AGENT, skills={}) for n in names
            )
    finally:
        db.dispose()
    return names


def ask(conns: list[Connection], command: str, timeout: float = 300) -> list[tuple[Any, ...]]:
    """Send a command to every client process; their answers, in order."""
    for conn in conns:
        conn.send(command)
    answers = []
    for conn in conns:
        if not conn.poll(timeout):
            raise RuntimeError(f"a client process did not answer {command!r} within {timeout:.0f} s")
        answers.append(conn.recv())
    return answers


def measure(run: Run, base: str, server_pid: int, redis_pid: int | None, names: list[str]) -> None:
    args = run.args
    supervisor = httpx.Client(base_url=base, timeout=30, trust_env=False)
    supervisor.post("/login", json={"username": "supervisor", "password": PASSWORD}).raise_for_status()
    warm = supervisor.post("/api/announcements", json={"text": "warm-up"})  # loads the code paths once
    warm.raise_for_status()

    ctx = multiprocessing.get_context("spawn")
    share = -(-len(names) // args.clients)
    conns, processes = [], []
    for k in range(args.clients):
        mine, theirs = ctx.Pipe()
        chunk = names[k * share : (k + 1) * share]
        proc = ctx.Process(target=client_process, args=(theirs, base, chunk, PASSWORD, k * share, run.client_core))
        proc.start()
        conns.append(mine)
        processes.append(proc)
    try:
        began = time.perf_counter()
        try:
            logged = [conn.recv() for conn in conns]  # the processes log in as soon as they start
        except EOFError:
            raise SystemExit("a client process failed while logging the agents in (its traceback is above)") from None
        run.login_s = time.perf_counter() - began
        assert all(answer[0] == "logged_in" for answer in logged), logged
        time.sleep(2)
        run.before = Memory.of(server_pid)
        print(f"memory before: {run.before}; opening {len(names)} consoles ...", file=sys.stderr, flush=True)
        began = time.perf_counter()
        connected = ask(conns, "connect")
        run.connect_s = time.perf_counter() - began
        run.opened = sum(answer[1] for answer in connected)
        run.open_errors = [e for answer in connected for e in answer[2]]
        pids = {"server": server_pid} | {f"client{k + 1}": p.pid or 0 for k, p in enumerate(processes)}
        pids |= {"redis": redis_pid} if redis_pid else {}
        time.sleep(args.idle)
        run.after = Memory.of(server_pid)
        print(f"memory after: {run.after}; announcing ...", file=sys.stderr, flush=True)

        watch = Watch(pids)
        for i in range(args.announcements):
            at = time.time()
            response = supervisor.post("/api/announcements", json={"text": f"bench announcement {i + 1}"})
            run.post_ms.append((time.time() - at) * 1000)
            if response.status_code != 201:
                run.post_errors.append(f"{response.status_code} {response.text[:200]}")
            else:
                run.posts[int(response.json()["seq"])] = at
            time.sleep(args.spacing)
        time.sleep(2)  # the last ones arrive
        run.cpu = watch.stop()
        run.announce_s = time.perf_counter() - watch.began
        watch = Watch(pids)  # the same sockets with nothing but heartbeats, for as long as the announcements took
        time.sleep(run.announce_s)
        run.idle_cpu = watch.stop()
        run.reports = [answer[1] for answer in ask(conns, "report")]
        ask(conns, "close")
    finally:
        for proc in processes:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
        supervisor.close()
    tally(run)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    wanted = args.connections + FD_SLACK
    limit = raise_fd_limit(wanted)
    if limit < wanted:
        print(
            f"Cannot open {args.connections} consoles here: the open-files limit is {limit} (hard limit; the server "
            f"needs one file per socket plus ~{FD_SLACK}). Raise it (ulimit -Hn, or LimitNOFILE) or use --connections.",
            file=sys.stderr,
        )
        return 1
    client_core, server_core = choose_cores(args.no_pin)
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    run = Run(args, client_core, server_core, load)
    with tempfile.TemporaryDirectory(prefix="console-bench-") as tmp:
        workdir = Path(tmp)
        redis = EmbeddedRedis(workdir / "redis")
        redis_url = redis.start()
        try:
            from redis import Redis

            client = Redis.from_url(redis_url)
            run.redis_version = str(client.info("server").get("redis_version", "?"))
            client.close()
            database_url = f"sqlite:///{workdir / 'bench.db'}"
            print(f"setup: SQLite with the demo data and {args.connections} agents ...", file=sys.stderr, flush=True)
            names = seed(database_url, args.connections)
            with web_server(workdir, redis_url, database_url, core=server_core) as (base, server_pid):
                redis_pid = redis.process.pid if redis.process else None
                measure(run, base, server_pid, redis_pid, names)
        finally:
            redis.stop()
    if not args.no_floor:
        print("the machine's floor: bare sockets ...", file=sys.stderr, flush=True)
        rounds = min(args.announcements, 10)
        run.floor = measure_floor(
            args.connections, args.clients, rounds=rounds, spacing=args.spacing, cores=(client_core, server_core)
        )
    run.took = time.perf_counter() - began
    result = figures(run)
    print(table(run, result))
    print(json.dumps(result))
    return 1 if run.problems() else 0


if __name__ == "__main__":
    sys.exit(main())
