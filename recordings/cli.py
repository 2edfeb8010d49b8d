"""`contactcenter keys …`: the master keys of recordings (and tickets' attachments, sealed the same way)
encrypted at rest (docs/encryption-at-rest.md).

Rotating: put a new key (`keys generate`) in RECORDINGS_MASTER_KEY and the old one in
RECORDINGS_OLD_MASTER_KEYS on every process, restart them, run `keys rotate`; once it reports nothing
left on old keys, the old key can be removed from the settings."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from contactcenter.settings import Settings, load_settings, new_master_key

if TYPE_CHECKING:  # the database and cryptography load when a command runs, not for every `contactcenter`
    from contactcenter.db import Database
    from recordings.crypto import MasterKeys


def _generate(args: argparse.Namespace) -> int:
    print(new_master_key())
    return 0


def _with_database(work: Callable[[Settings, Database, MasterKeys], dict[str, Any]]) -> int:
    """Run `work` on the configured database (migrated first) and print what it returns as JSON; exit 1
    when some recording could not be handled."""
    from contactcenter.db import Database
    from recordings.storage import master_keys

    settings = load_settings()
    db = Database(settings.sqlalchemy_url)
    try:
        db.upgrade()
        outcome = work(settings, db, master_keys(settings))
    finally:
        db.dispose()
    print(json.dumps(outcome))
    failed = ("unopened", "unopened_attachments", "missing", "altered")
    return 1 if any(outcome.get(name) for name in failed) else 0


def _left(db: Database, keys: MasterKeys) -> dict[str, int]:
    """Data keys (of recordings and attachments) each old master key still wraps."""
    from contactcenter.attachments.service import ATTACHMENT_FILES
    from recordings.storage import RECORDING_FILES, remaining_on_old_keys

    left: dict[str, int] = {}
    for files in (RECORDING_FILES, ATTACHMENT_FILES):
        for key, count in remaining_on_old_keys(db=db, keys=keys, files=files).items():
            left[key] = left.get(key, 0) + count
    return left


def _rotate(args: argparse.Namespace) -> int:
    from contactcenter.attachments.service import ATTACHMENT_FILES
    from recordings.storage import rotate

    def work(settings: Settings, db: Database, keys: MasterKeys) -> dict[str, Any]:
        done = rotate(db=db, keys=keys)
        attachments = rotate(db=db, keys=keys, files=ATTACHMENT_FILES)
        return {
            "rewrapped": done.rewrapped + attachments.rewrapped,
            "key_id": done.current_key_id,
            "unopened": done.unopened,
            "unopened_attachments": attachments.unopened,
            "left": _left(db, keys),
        }

    return _with_database(work)


def _migrate(args: argparse.Namespace) -> int:
    from recordings.storage import migrate_plain

    def work(settings: Settings, db: Database, keys: MasterKeys) -> dict[str, Any]:
        done = migrate_plain(db=db, keys=keys, root=settings.recordings_path)
        return {"encrypted": done.encrypted, "missing": done.missing, "altered": done.altered}

    return _with_database(work)


def _status(args: argparse.Namespace) -> int:
    from recordings.storage import plain_count

    def work(settings: Settings, db: Database, keys: MasterKeys) -> dict[str, Any]:
        return {"key_id": keys.current_id, "plain": plain_count(db=db), "left": _left(db, keys)}

    return _with_database(work)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `keys` command group."""
    keys = commands.add_parser("keys", help="master keys of recordings encrypted at rest").add_subparsers(
        dest="keys_command", required=True
    )
    keys.add_parser("generate", help="print a new random master key (base64)").set_defaults(handler=_generate)
    keys.add_parser(
        "rotate", help="re-wrap every data key under RECORDINGS_MASTER_KEY (old keys: RECORDINGS_OLD_MASTER_KEYS)"
    ).set_defaults(handler=_rotate)
    keys.add_parser("migrate", help="encrypt recordings stored plain by older versions").set_defaults(handler=_migrate)
    keys.add_parser(
        "status", help="the current key's id, recordings still plain, data keys left on old keys"
    ).set_defaults(handler=_status)
