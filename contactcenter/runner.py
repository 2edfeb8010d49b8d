"""`contactcenter run`: every piece on one machine, stopped together however `run` ends.

Each child runs in a session of its own, so what a terminal sends its foreground group (Ctrl-C, the
hang-up of a closed terminal) reaches `run` alone, which stops the children in order with one signal
each (RQ's worker, given a second while it stops, can wait a minute for its pubsub thread): the web
app, worker and sandbox, then Redis, which they write to until they stop. A `run` killed outright
takes them with it (contactcenter/children.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx

from contactcenter.children import StopRequested, StopSignals, child_process, starting_children
from contactcenter.db import Database
from contactcenter.demo import create_demo_data, needs_demo_data
from contactcenter.embedded_redis import EmbeddedRedis
from contactcenter.private_files import UMASK, private_dir
from contactcenter.sandbox_runtime import DEFAULT_HOTLINE, sandbox_credentials, sandbox_serve_command
from contactcenter.settings import Settings, load_settings
from contactcenter.telephony import number_webhooks
from recordings.storage import master_keys, migrate_plain


@dataclass(frozen=True)
class RunOptions:
    host: str
    port: int
    sandbox_port: int
    sandbox: bool
    demo: bool


def ensure_port_free(host: str, port: int) -> None:
    """Fail early and clearly when a port is taken (uvicorn would hang after its bind error)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise RuntimeError(
                f"port {port} on {host} is not free ({exc.strerror}); choose another with --port"
            ) from None


def _wait_healthy(url: str, processes: list[subprocess.Popen[bytes]], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise RuntimeError("a process exited during start-up; see the messages above")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def run(options: RunOptions) -> int:
    """Start Redis (if needed), migrate, seed the demo, then web, worker and sandbox; stop all on exit.
    SIGINT, SIGTERM or SIGHUP stops it in order at any moment: 0 once it ran, 128 + the signal while starting."""
    with StopSignals() as signals:
        try:
            return _run(options, signals)
        except StopRequested as stop:
            return 128 + stop.signum


def _run(options: RunOptions, signals: StopSignals) -> int:
    ensure_port_free(options.host, options.port)
    if options.sandbox:
        ensure_port_free("127.0.0.1", options.sandbox_port)
    settings = load_settings()
    var = private_dir(settings.var_dir.resolve())
    os.umask(UMASK)  # what run and its children (Redis, the sandbox) create under var/ is owner-only too
    os.environ["VAR_DIR"] = str(var)
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://{options.host}:{options.port}")
    redis = None
    processes: list[subprocess.Popen[bytes]] = []
    try:
        if not settings.redis_url:
            redis = EmbeddedRedis(var / "redis")
            os.environ["REDIS_URL"] = redis.start()
        if options.sandbox:
            sid, token = sandbox_credentials(var)
            os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"] = sid, token
            os.environ["TWILIO_API_BASE"] = f"http://127.0.0.1:{options.sandbox_port}"
            os.environ.setdefault("SMS_FROM", DEFAULT_HOTLINE)  # chat codes are texted from the sandbox's hotline
        settings = load_settings()
        db = Database(settings.sqlalchemy_url)
        db.upgrade()
        _encrypt_plain_recordings(settings, db)
        passwords: dict[str, str] = {}
        if options.demo:
            with db.session() as session:
                if needs_demo_data(session):
                    passwords = create_demo_data(session, password=settings.demo_password)
        db.dispose()
        python = [sys.executable, "-m", "contactcenter"]
        commands: list[tuple[list[str], dict[str, str] | None]] = [
            ([*python, "serve", "--host", options.host, "--port", str(options.port), "--no-migrate"], None),
            ([*python, "worker"], None),
        ]
        if options.sandbox:
            commands.append(sandbox_serve_command(settings, port=options.sandbox_port))
        for command, environment in commands:
            with starting_children():
                processes.append(child_process(command, env=environment, start_new_session=True))
        _wait_healthy(f"http://127.0.0.1:{options.port}/healthz", processes)
        if options.sandbox:
            _wait_healthy(f"http://127.0.0.1:{options.sandbox_port}/sandbox/calls", processes)
        _print_banner(options, settings.public_base_url, passwords, settings.sqlalchemy_url, os.environ["REDIS_URL"])
        signals.hold()
        return _supervise(processes, signals)
    finally:
        signals.hold()  # nothing may cut the stop short
        _stop(processes)
        if redis:
            redis.stop()


def _encrypt_plain_recordings(settings: Settings, db: Database) -> None:
    """Make the master key once before the web app and worker could race to, and encrypt the recordings an
    older version stored plain (`contactcenter keys migrate` does the same for other deployments)."""
    done = migrate_plain(db=db, keys=master_keys(settings), root=settings.recordings_path)
    if done.encrypted or done.missing or done.altered:
        print(
            f"Recordings encrypted at rest: {done.encrypted}; plain files missing: {done.missing}, not matching"
            f" their checksum: {done.altered} (left plain)",
            flush=True,
        )


def _print_banner(options: RunOptions, base: str, passwords: dict[str, str], db_url: str, redis_url: str) -> None:
    webhooks = number_webhooks(base)
    lines = [
        "",
        "Contact center is running.",
        f"  Agent console:   {base}/console",
        f"  Ticket desk:     {base}/desk",
        f"  QA workspace:    {base}/qa/work  (recordings {base}/qa, scorecards {base}/qa/scorecards)",
        f"  QA figures:      {base}/qa/figures  (managers: retention and legal holds {base}/retention)",
        f"  Twilio webhooks: {webhooks['VoiceUrl']}  (fallback: {webhooks['VoiceFallbackUrl']})",
        f"  Call status:     {webhooks['StatusCallback']}",
        f"  Database:        {db_url}",
        f"  Redis:           {redis_url}",
    ]
    if options.sandbox:
        sandbox = f"http://127.0.0.1:{options.sandbox_port}"
        lines += [
            f"  Twilio sandbox:  {sandbox}/sandbox/calls  (hotline {DEFAULT_HOTLINE})",
            f"  Softphone:       {sandbox}/sandbox/phone  (dial the hotline from the browser)",
            f"  Text messages:   {sandbox}/sandbox/sms  (e.g. the web chat's verification codes)",
            f"  Place a call:    contactcenter sandbox call --digits 1,1 --talk 5 --sandbox-url {sandbox}",
        ]
    if passwords:
        lines += ["", "Demo users (passwords shown once):"]
        lines += [f"  {user:<11} {password}" for user, password in passwords.items()]
    lines += ["", "Press Ctrl-C to stop.", ""]
    print("\n".join(lines), flush=True)


def _supervise(processes: list[subprocess.Popen[bytes]], signals: StopSignals) -> int:
    while signals.received is None:
        for process in processes:
            if process.poll() is not None:
                command = process.args if isinstance(process.args, list) else []  # each is started from a list
                print(f"{' '.join(map(str, command[2:4]))} exited with {process.returncode}; stopping.", flush=True)
                return 1
        time.sleep(0.3)
    return 0


def _stop(processes: list[subprocess.Popen[bytes]], grace_seconds: float = 10.0) -> None:
    """One SIGTERM each, then SIGKILL for those still running after `grace_seconds`."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace_seconds
    for process in processes:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
