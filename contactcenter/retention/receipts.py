"""Deletion receipts: one per object destroyed, kept for ever in an append-only hash chain.

Each receipt's `hash` is SHA-256 over the previous receipt's hash and its own canonical fields (a JSON array:
seq, class, object type and id, checksum, size, policy, key id, time), as the access log's entries are
(contactcenter/audit/access.py: the same `chained_hash`, the same lock). Appends take the chain's lock for the
transaction; `seq` is the primary key and follows the last one, so two runs can neither fork the chain nor
lose a receipt silently. `verify` walks the chain and names the first receipt that breaks it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from contactcenter.audit.access import GENESIS, Verdict, chained_hash
from contactcenter.retention.models import DeletionReceipt, receipt_fields
from contactcenter.retention.registry import Destroyed
from contactcenter.timeutil import as_utc

# PostgreSQL's advisory lock key of the receipts' chain (no other code uses it): b"rcp" + b"chn".
CHAIN_LOCK = 0x726370636E68
VERIFY_BATCH = 2000


def canonical(fields: list[Any]) -> bytes:
    """A receipt's fields as hashed: a JSON array in a fixed order, its time as UTC ISO 8601 to the microsecond."""
    *rest, at = fields
    when = as_utc(at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps([*rest, when], ensure_ascii=False, separators=(",", ":")).encode()


def append(
    session: Session, *, data_class: str, policy: str, destroyed: Sequence[Destroyed], at: datetime
) -> list[int]:
    """Append one receipt per destroyed object within the session's transaction; their seqs, in order. The
    chain's lock is held until the transaction ends (SQLite: every write transaction holds the write lock)."""
    if not destroyed:
        return []
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    head = session.execute(
        select(DeletionReceipt.seq, DeletionReceipt.hash).order_by(DeletionReceipt.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS)
    rows = []
    for item in destroyed:
        seq += 1
        row: dict[str, Any] = {
            "seq": seq,
            "data_class": data_class[:32],
            "object_type": item.object_type[:32],
            "object_id": item.object_id,
            "checksum": item.checksum[:64],
            "size_bytes": item.size,
            "policy": policy[:64],
            "key_id": item.key_id[:64],
            "destroyed_at": at,
            "prev_hash": prev_hash,
        }
        row["hash"] = prev_hash = chained_hash(row["prev_hash"], canonical(receipt_fields(row)))
        rows.append(row)
    session.execute(insert(DeletionReceipt.__table__), rows)
    return [row["seq"] for row in rows]


def verify(session: Session) -> Verdict:
    """Recompute the whole chain: the first receipt whose seq, previous hash or own hash is wrong."""
    prev_hash, expected, count, last = GENESIS, 1, 0, 0
    while True:
        batch = session.scalars(
            select(DeletionReceipt).where(DeletionReceipt.seq > last).order_by(DeletionReceipt.seq).limit(VERIFY_BATCH)
        ).all()
        for receipt in batch:
            if receipt.seq != expected:
                missing = f"receipt {expected} is missing (the next is {receipt.seq})"
                return Verdict(count, prev_hash, receipt.seq, missing)
            if receipt.prev_hash != prev_hash:
                return Verdict(count, prev_hash, receipt.seq, "its previous hash is not the previous receipt's hash")
            if chained_hash(prev_hash, canonical(receipt_fields(receipt))) != receipt.hash:
                return Verdict(count, prev_hash, receipt.seq, "its content does not match its hash (changed)")
            prev_hash, expected, count = receipt.hash, expected + 1, count + 1
        if len(batch) < VERIFY_BATCH:
            return Verdict(count, prev_hash)
        last = batch[-1].seq
        session.expunge_all()


def view(receipt: DeletionReceipt) -> dict[str, Any]:
    """A receipt as the API shows it."""
    return {
        "seq": receipt.seq,
        "data_class": receipt.data_class,
        "object_type": receipt.object_type,
        "object_id": receipt.object_id,
        "checksum": receipt.checksum,
        "size_bytes": receipt.size_bytes,
        "policy": receipt.policy,
        "key_id": receipt.key_id,
        "destroyed_at": as_utc(receipt.destroyed_at).isoformat(),
        "hash": receipt.hash,
    }


def page(session: Session, *, before: int | None, limit: int) -> list[dict[str, Any]]:
    """Receipts newest first, `limit` of them with seq below `before`."""
    query = select(DeletionReceipt).order_by(DeletionReceipt.seq.desc()).limit(limit)
    if before is not None:
        query = query.where(DeletionReceipt.seq < before)
    return [view(r) for r in session.scalars(query)]
