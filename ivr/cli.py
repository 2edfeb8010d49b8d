"""`contactcenter ivr check FILE…`: validate flow files before they go live."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from contactcenter.settings import Settings, load_settings
from ivr.calendar import CalendarError
from ivr.calendar_file import load_calendars
from ivr.flow_file import read_flow

log = logging.getLogger(__name__)


def _known_queues(settings: Settings) -> set[str] | None:
    """The queues in the configured database, or None when it cannot be read (then not checked)."""
    from contactcenter.db import Database
    from queues.models import Queue

    database = Database(settings.sqlalchemy_url)
    try:
        with database.session() as session:
            names = set(session.scalars(select(Queue.name)))
    except SQLAlchemyError:
        return None
    finally:
        database.dispose()
    return names or None


def check(args: argparse.Namespace) -> int:
    """Print every problem of each flow file with its location; exit 1 if there is any."""
    settings = load_settings()
    queues = set(args.queues.split(",")) if args.queues else _known_queues(settings)
    try:
        calendars = load_calendars(settings.calendars_path, settings.timezone).names()
    except CalendarError as exc:
        print(f"calendars not checked: {exc}")
        calendars = None
    if queues is None:
        print("queues not checked: no database with queues (run `contactcenter db upgrade`, or pass --queues a,b)")
    failed = 0
    for path in args.files:
        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        for file in files:
            flow, problems = read_flow(file, queues=queues, calendars=calendars)
            for problem in problems:
                print(problem)
            if flow is None:
                failed += 1
            else:
                print(f"{file}: ok ({len(flow.nodes)} nodes, queues {', '.join(sorted(flow.queues())) or 'none'})")
    return 1 if failed else 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `ivr` command group."""
    ivr = commands.add_parser("ivr", help="IVR flows").add_subparsers(dest="ivr_command", required=True)
    check_parser = ivr.add_parser("check", help="validate flow files (or directories of them) and print each problem")
    check_parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    check_parser.add_argument("--queues", help="comma-separated queue names to check against (default: the database's)")
    check_parser.set_defaults(handler=check)
