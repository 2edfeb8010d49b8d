"""The `twilio-sandbox` command line: serve a sandbox, place one scripted call, or run a scripted load."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import httpx

from .client import first_number, place_call, wait_for_call
from .config import NumberConfig, SandboxConfig
from .load_cli import add_load_parser

PROG = "twilio-sandbox"


def numbers_from(entries: Sequence[Sequence[str]]) -> dict[str, NumberConfig]:
    """`--number E164 VOICE_URL [STATUS_CALLBACK [VOICE_FALLBACK_URL]]` entries as the sandbox's phone
    numbers (`-` for no status callback)."""
    numbers = {}
    for entry in entries:
        if len(entry) not in (2, 3, 4):
            raise ValueError(
                f"--number {' '.join(entry)}: give the number, its voice URL, maybe a status URL and a fallback URL"
            )
        number, voice_url, *optional = [*entry, "-", "-"][:4]
        status, fallback = (None if value == "-" else value for value in optional)
        numbers[number] = NumberConfig(voice_url=voice_url, status_callback=status, voice_fallback_url=fallback)
    return numbers


def config_from(args: argparse.Namespace, environ: dict[str, str]) -> SandboxConfig:
    """The sandbox `serve` runs: the account from the environment, numbers and paths from the arguments."""
    account_sid, auth_token = environ.get("TWILIO_ACCOUNT_SID"), environ.get("TWILIO_AUTH_TOKEN")
    if not (account_sid and auth_token):
        raise ValueError("serve needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN in the environment")
    return SandboxConfig(
        account_sid=account_sid,
        auth_token=auth_token,
        public_url=args.public_url or f"http://127.0.0.1:{args.port}",
        numbers=numbers_from(args.number),
        recordings_dir=args.recordings_dir,
    )


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_sandbox_app

    try:
        config = config_from(args, dict(os.environ))
    except ValueError as exc:
        print(f"{PROG} serve: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(create_sandbox_app(config), host=args.host, port=args.port, log_level="warning")
    return 0


def _call(args: argparse.Namespace) -> int:
    digits = [d for d in (args.digits or "").split(",") if d]
    try:
        sid = place_call(
            args.sandbox_url,
            from_=args.from_,
            to=args.to or first_number(args.sandbox_url),
            digits=digits,
            hangup_after_queue=args.hangup_after,
            talk_seconds=args.talk,
        )
        outcome = wait_for_call(args.sandbox_url, sid, timeout=args.timeout)
    except httpx.HTTPStatusError as exc:
        print(f"The sandbox refused the call: {exc.response.text}", file=sys.stderr)
        return 2
    except (httpx.HTTPError, ValueError) as exc:
        print(f"Cannot reach the sandbox at {args.sandbox_url} ({exc}); is it running?", file=sys.stderr)
        return 2
    except TimeoutError:
        print(f"The call did not end within {args.timeout:.0f} s (is an agent available to take it?).", file=sys.stderr)
        return 1
    print(json.dumps(outcome, ensure_ascii=False, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="An offline stand-in for Twilio Programmable Voice.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve",
        help="serve a sandbox account (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN from the environment)",
        description="Serve one sandbox Twilio account. Its SID and auth token come from the environment "
        "(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN), so the token never shows in a process list.",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument("--public-url", help="the sandbox's own URL in recording URLs (default: http://127.0.0.1:PORT)")
    serve.add_argument(
        "--number",
        nargs="+",
        action="append",
        default=[],
        metavar="E164 VOICE_URL [STATUS_CALLBACK [VOICE_FALLBACK_URL]]",
        help="a phone number callers can dial and the webhooks its calls post to (repeat for more; "
        "'-' for no status callback); the fallback URL is asked when the call's TwiML cannot be fetched",
    )
    serve.add_argument("--recordings-dir", type=Path, default=Path("var/sandbox-recordings"))
    serve.set_defaults(handler=_serve)

    call = commands.add_parser("call", help="place a scripted call and print its outcome as JSON")
    call.add_argument("--sandbox-url", default="http://127.0.0.1:8001")
    call.add_argument("--from", dest="from_", default="+8613800138000")
    call.add_argument("--to", help="the number to call (default: the sandbox's first number)")
    call.add_argument("--digits", default="1,1", help="comma-separated keys, one per question (language, menu)")
    call.add_argument("--hangup-after", type=float, help="hang up after this many seconds in the queue")
    call.add_argument("--talk", type=float, default=5.0, help="seconds to talk once connected, then hang up")
    call.add_argument("--timeout", type=float, default=120.0)
    call.set_defaults(handler=_call)

    add_load_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return 130
