"""The `contactcenter` command line."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

from contactcenter.qa import cli as qa_cli
from contactcenter.retention import cli as retention_cli
from contactcenter.settings import SettingsError, load_settings
from ivr import cli as ivr_cli
from recordings import cli as keys_cli

if TYPE_CHECKING:
    from contactcenter.context import Services


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from contactcenter.db import Database
    from contactcenter.web_guard import proxy_options
    from contactcenter.ws_protocol import UVICORN_WEBSOCKETS

    settings = load_settings()
    if not settings.redis_url:
        print("serve needs REDIS_URL (use `contactcenter run` for an all-in-one start).", file=sys.stderr)
        return 2
    from contactcenter.runner import ensure_port_free

    try:
        ensure_port_free(args.host, args.port)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not args.no_migrate:
        db = Database(settings.sqlalchemy_url)
        db.upgrade()
        db.dispose()
    uvicorn.run(
        "contactcenter.asgi:app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        **UVICORN_WEBSOCKETS,  # uvicorn's websockets-sansio, plus frames prepared once for many sockets
        log_level=args.log_level,
        **proxy_options(settings),  # X-Forwarded-For believed from TRUSTED_PROXIES only
    )
    return 0


def _on_the_running_system(command: str, action: Callable[[Services], object]) -> object | None:
    """`action` with the services of the system the environment names (None: REDIS_URL is missing)."""
    from contactcenter.context import build_services
    from contactcenter.settings import load_settings

    settings = load_settings()
    if not settings.redis_url:
        print(f"{command} needs REDIS_URL and DATABASE_URL (those of the running system).", file=sys.stderr)
        return None
    services = build_services(settings)
    try:
        return action(services)
    finally:
        services.close()


def _reconcile(args: argparse.Namespace) -> int:
    """Compare SQL, Redis and Twilio once; print each repair as a JSON line (made unless --dry-run)."""
    from contactcenter.reconcile.service import Reconciler, Repair, as_lines

    repairs = _on_the_running_system("reconcile", lambda services: Reconciler(services).run_once(dry_run=args.dry_run))
    if not isinstance(repairs, list):
        return 2
    for line in as_lines(cast(list[Repair], repairs)):
        print(json.dumps(line | {"done": not args.dry_run}, ensure_ascii=False))
    verb = "would make" if args.dry_run else "made"
    print(f"{len(repairs)} repair(s) {verb}.", file=sys.stderr)
    return 0


def _rebuild(args: argparse.Namespace) -> int:
    """Rebuild routing's live state in Redis from SQL and Twilio (after Redis lost its data)."""
    from contactcenter.reconcile.rebuild import rebuild

    rebuilt = _on_the_running_system("rebuild", rebuild)
    if rebuilt is None:
        return 2
    print(json.dumps(dataclasses.asdict(rebuilt)))  # type: ignore[call-overload]
    return 0


def _worker(args: argparse.Namespace) -> int:
    from contactcenter.worker import run_worker

    if not load_settings().redis_url:
        print("worker needs REDIS_URL (use `contactcenter run` for an all-in-one start).", file=sys.stderr)
        return 2
    run_worker(burst=args.burst)
    return 0


def _run(args: argparse.Namespace) -> int:
    from contactcenter.runner import RunOptions, run

    options = RunOptions(
        host=args.host, port=args.port, sandbox_port=args.sandbox_port, sandbox=not args.no_sandbox, demo=args.demo
    )
    try:
        return run(options)
    except RuntimeError as exc:
        print(f"contactcenter run: {exc}", file=sys.stderr)
        return 1


def _db_upgrade(args: argparse.Namespace) -> int:
    from contactcenter.db import Database

    db = Database(load_settings().sqlalchemy_url)
    db.upgrade()
    db.dispose()
    print("Database is at the latest schema.")
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    """Recompute the access log's hash chain: OK with the count (exit 0), or the first broken entry (exit 1)."""
    from sqlalchemy.exc import SQLAlchemyError

    from contactcenter.audit.access import verify
    from contactcenter.db import Database

    db = Database(load_settings().sqlalchemy_url)
    try:
        with db.reading() as session:
            verdict = verify(session, noted=args.head)
    except SQLAlchemyError as exc:
        print(f"Cannot read the access log (run `contactcenter db upgrade` first?): {exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    if verdict.broken is not None:
        print(
            f"BROKEN at entry {verdict.broken}: {verdict.problem} ({verdict.count} entries before it are intact).",
            file=sys.stderr,
        )
        return 1
    if args.head and not verdict.noted_found:
        print(f"BROKEN: the head hash noted earlier ({args.head}) is no longer in the chain.", file=sys.stderr)
        return 1
    print(f"OK: {verdict.count} entries, the chain is intact; head hash {verdict.head}")
    return 0


def _parse_skills(text: str) -> dict[str, int]:
    """`repair:3,english:2` → {"repair": 3, "english": 2}."""
    skills = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, level = part.partition(":")
        if not name or not level.isdigit():
            raise ValueError(f"skill {part!r}: write name:level, e.g. repair:3")
        skills[name] = int(level)
    return skills


def _users_add(args: argparse.Namespace) -> int:
    from contactcenter.db import Database
    from contactcenter.users.service import UserError, create_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            print("The passwords differ.", file=sys.stderr)
            return 2
    queues = [q for q in (args.queues or "").split(",") if q]
    try:
        skills = _parse_skills(args.skills or "")
    except ValueError as exc:
        print(f"Cannot add user: {exc}", file=sys.stderr)
        return 2
    db = Database(load_settings().sqlalchemy_url)
    try:
        db.upgrade()
        with db.session() as session:
            user = create_user(
                session,
                username=args.username,
                password=password,
                role=args.role,
                display_name=args.display_name,
                queues=queues,
                skills=skills,
                chat_capacity=args.chat_capacity,
                actor="cli",
            )
            print(f"Created {user.role} {user.username!r} (id {user.id}).")
    except UserError as exc:
        print(f"Cannot add user: {exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    return 0


def _sandbox_serve(args: argparse.Namespace) -> int:
    from contactcenter.sandbox_runtime import sandbox_serve_command

    settings = load_settings()
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        print("sandbox serve needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (run sets them).", file=sys.stderr)
        return 2
    command, environment = sandbox_serve_command(settings, port=args.port, hotline=args.hotline)
    sys.stdout.flush()
    # This process becomes the sandbox, so whoever started it (run, a supervisor) stops the sandbox itself.
    os.execve(command[0], command, environment)


def _sandbox_forward(args: argparse.Namespace) -> int:
    from contactcenter.sandbox_runtime import run_sandbox_command

    return run_sandbox_command([args.sandbox_command, *args.forwarded])


def build_parser() -> argparse.ArgumentParser:
    from contactcenter.sandbox_runtime import DEFAULT_HOTLINE
    from contactcenter.users.models import Role

    parser = argparse.ArgumentParser(prog="contactcenter", description="Contact center: IVR, routing, console, QA.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start everything on this machine (web, worker, sandbox, Redis)")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--sandbox-port", type=int, default=8001)
    run.add_argument("--demo", action="store_true", help="create demo users, queues and customers on an empty DB")
    run.add_argument("--no-sandbox", action="store_true", help="use real Twilio (TWILIO_* settings) instead")
    run.set_defaults(handler=_run)

    serve = commands.add_parser("serve", help="run the web app (production: several behind a load balancer)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--no-migrate", action="store_true", help="skip applying migrations at start")
    serve.set_defaults(handler=_serve)

    worker = commands.add_parser("worker", help="run an RQ worker with its scheduler")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.set_defaults(handler=_worker)

    reconcile = commands.add_parser("reconcile", help="compare SQL, Redis and Twilio once and repair what differs")
    reconcile.add_argument("--dry-run", action="store_true", help="print the repairs without making them")
    reconcile.set_defaults(handler=_reconcile)

    rebuild = commands.add_parser("rebuild", help="rebuild routing's live state in Redis from SQL and Twilio")
    rebuild.set_defaults(handler=_rebuild)

    db = commands.add_parser("db", help="database maintenance").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(handler=_db_upgrade)

    audit = commands.add_parser("audit", help="the access log").add_subparsers(dest="audit_command", required=True)
    audit_verify = audit.add_parser("verify", help="recompute the access log's hash chain; exit 1 at a broken entry")
    audit_verify.add_argument("--head", help="a head hash printed by an earlier run: it must still be in the chain")
    audit_verify.set_defaults(handler=_audit_verify)

    users = commands.add_parser("users", help="manage users").add_subparsers(dest="users_command", required=True)
    add = users.add_parser("add", help="add a user (password asked, or read from stdin)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--display-name")
    add.add_argument("--queues", help="comma-separated queue names, e.g. general,repair")
    add.add_argument("--skills", help="comma-separated skill:level (1-5), e.g. repair:3,english:2")
    add.add_argument(
        "--chat-capacity", type=int, help="chats at once (default: the CHAT_CAPACITY setting; 0: no chats)"
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(handler=_users_add)

    ivr_cli.register(commands)
    keys_cli.register(commands)
    qa_cli.register(commands)
    retention_cli.register(commands)
    sandbox = commands.add_parser("sandbox", help="the offline Twilio stand-in")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    sserve = sandbox_commands.add_parser("serve", help="run the sandbox (run starts it for you)")
    sserve.add_argument("--port", type=int, default=8001)
    sserve.add_argument("--hotline", default=DEFAULT_HOTLINE)
    sserve.set_defaults(handler=_sandbox_serve)
    # The sandbox's own commands (`twilio-sandbox call|load`), run with whatever arguments follow.
    for name, text in (
        ("call", "place a scripted call and print its outcome as JSON"),
        ("load", "place many scripted calls and summarise what happened"),
    ):
        forwarded = sandbox_commands.add_parser(name, help=text, add_help=False)
        forwarded.set_defaults(handler=_sandbox_forward, forwards_arguments=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and not getattr(args, "forwards_arguments", False):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.forwarded = unknown
    try:
        return int(args.handler(args))
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
