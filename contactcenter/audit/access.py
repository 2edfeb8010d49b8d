"""The access log: who read which customer data, when and from where, in an append-only hash chain.

Every read of a ticket, a chat transcript, a recording (list, play, download), a customer record and
every export calls `record_read` (or `audited`, its form for a request) before the data leaves. It
fails closed: when the entry cannot be written the read is refused (503, `AccessLogUnavailable`), so
no read goes unlogged.

Each entry's `hash` is SHA-256 over the previous entry's hash and the entry's canonical content, and
its `seq` follows the previous one's: appends take the chain's lock (PostgreSQL: an advisory lock for
the transaction; SQLite: the write lock every transaction takes at BEGIN IMMEDIATE), so two processes
cannot fork the chain. `verify` recomputes the chain and names the first entry that breaks it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from enum import StrEnum
from typing import Protocol

from sqlalchemy import Select, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from contactcenter.audit.models import AccessEntry
from contactcenter.db import Database
from contactcenter.errors import Unavailable
from contactcenter.timeutil import as_utc, utcnow

GENESIS = "0" * 64  # the previous hash of the first entry
# PostgreSQL's advisory lock key of the chain (any constant no other code uses): b"acc" + b"log".
CHAIN_LOCK = 0x6163636C6F67
VERIFY_BATCH = 1000


class Action(StrEnum):
    READ = "read"  # one record: a ticket, a transcript, a customer
    LIST = "list"  # a list of records (recordings)
    PLAY = "play"  # a recording played in the browser
    DOWNLOAD = "download"  # a recording saved as a file
    EXPORT = "export"  # a file of many records (the access log's CSV)
    REVEAL = "reveal"  # a masked value shown whole on request
    LOGIN = "login"  # a user logged in (the detail says when it was outside their shift)


class Viewer(Protocol):
    """Whoever reads: the logged-in user (contactcenter.users.auth.CurrentUser has these)."""

    @property
    def id(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...


class AccessLogUnavailable(Unavailable):
    """The access log could not be written, so the read it would have logged is refused."""


def canonical(entry: AccessEntry) -> bytes:
    """An entry's content as hashed: a JSON array of its fields in a fixed order, the time as UTC ISO 8601."""
    when = as_utc(entry.at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    fields = [
        entry.seq,
        when,
        entry.user_id,
        entry.username,
        entry.role,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.detail,
        entry.address,
    ]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def chained_hash(prev_hash: str, content: bytes) -> str:
    """SHA-256 over the previous entry's hash and this entry's canonical content."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + content).hexdigest()


def _take_chain_lock(session: Session) -> None:
    """Serialise appends across processes until this transaction ends (SQLite's BEGIN IMMEDIATE already has)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})


def append(
    session: Session, *, viewer: Viewer, action: str, object_type: str, object_id: object, address: str, detail: str
) -> int:
    """Append one entry to the chain within `session`'s transaction; its seq. The chain's lock is held until
    that transaction ends: append last, just before the commit (`record_read` does it in its own)."""
    _take_chain_lock(session)
    head = session.execute(select(AccessEntry.seq, AccessEntry.hash).order_by(AccessEntry.seq.desc()).limit(1)).first()
    seq, prev_hash = (head.seq + 1, head.hash) if head else (1, GENESIS)
    # Cut to the columns' sizes before hashing, so the stored row is what was hashed.
    entry = AccessEntry(
        seq=seq,
        at=utcnow(),
        user_id=viewer.id,
        username=viewer.username[:64],
        role=str(viewer.role)[:16],
        action=str(action)[:16],
        object_type=object_type[:32],
        object_id="" if object_id is None else str(object_id)[:64],
        detail=detail[:255],
        address=address[:64],
        prev_hash=prev_hash,
    )
    entry.hash = chained_hash(prev_hash, canonical(entry))
    session.add(entry)
    session.flush()
    return seq


def record_read(
    db: Database,
    *,
    viewer: Viewer,
    action: str,
    object_type: str,
    object_id: object = None,
    address: str,
    detail: str = "",
) -> int:
    """Log one read in a transaction of its own (committed before the data leaves); AccessLogUnavailable
    (503) when it cannot be written, and the caller must then not hand the data out."""
    try:
        with db.session() as session:
            return append(
                session,
                viewer=viewer,
                action=action,
                object_type=object_type,
                object_id=object_id,
                address=address,
                detail=detail,
            )
    except SQLAlchemyError as exc:
        raise AccessLogUnavailable("访问日志暂不可用,无法读取。 The access log is unavailable: not read.") from exc


def client_address(conn: HTTPConnection) -> str:
    """The client's address as the server sees it: uvicorn has replaced the peer with the forwarded address
    only when the peer is a trusted proxy (FORWARDED_ALLOW_IPS), so this is never a client-written header."""
    return conn.client.host if conn.client else "unknown"


async def audited(
    conn: HTTPConnection, viewer: Viewer, *, action: str, object_type: str, object_id: object = None, detail: str = ""
) -> None:
    """`record_read` for this request (from the thread pool); call it before the response is built."""
    await run_in_threadpool(
        record_read,
        conn.app.state.services.db,
        viewer=viewer,
        action=action,
        object_type=object_type,
        object_id=object_id,
        address=client_address(conn),
        detail=detail,
    )


def starts_a_play(range_header: str | None) -> bool:
    """Whether a media request begins a play or download: no Range, or a range from byte 0. A player then
    asks for further ranges (seeking, buffering); those are the same play and are not logged again."""
    if not range_header:
        return True
    unit, _, ranges = range_header.partition("=")
    first = ranges.split(",")[0].strip()
    return unit.strip().lower() != "bytes" or first.startswith("0-")


@dataclass(frozen=True)
class Verdict:
    """What `verify` found: `count` entries checked; `broken` the seq of the first bad one, and why."""

    count: int
    head: str
    broken: int | None = None
    problem: str = ""
    noted_found: bool = False  # a hash noted earlier (`verify(noted=…)`) is still in the chain


def in_batches(session: Session, query: Select[AccessEntry], size: int) -> Iterator[AccessEntry]:
    """The entries `query` selects, oldest first, `size` at a time (a long log never sits in memory)."""
    last = 0
    while True:
        batch = session.scalars(query.where(AccessEntry.seq > last).order_by(AccessEntry.seq).limit(size)).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].seq
        session.expunge_all()


def verify(session: Session, *, noted: str | None = None) -> Verdict:
    """Recompute the whole chain: the first entry whose seq, previous hash or own hash is wrong; and whether
    `noted`, a head hash noted earlier, is still in it (a chain rewritten or cut before it would lose it)."""
    prev_hash, expected, count, found = GENESIS, 1, 0, False
    for entry in in_batches(session, select(AccessEntry), VERIFY_BATCH):
        if entry.seq != expected:
            return Verdict(count, prev_hash, entry.seq, f"entry {expected} is missing (the next is {entry.seq})")
        if entry.prev_hash != prev_hash:
            return Verdict(count, prev_hash, entry.seq, "its previous hash is not the previous entry's hash")
        if chained_hash(prev_hash, canonical(entry)) != entry.hash:
            return Verdict(count, prev_hash, entry.seq, "its content does not match its hash (changed)")
        prev_hash, expected, count, found = entry.hash, expected + 1, count + 1, found or entry.hash == noted
    return Verdict(count, prev_hash, noted_found=found)
