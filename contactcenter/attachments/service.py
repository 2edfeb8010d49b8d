"""Tickets' attachments: stored sealed as recordings are (a data key of their own, wrapped by the master
key: recordings/storage.py `seal`), listed with their ticket, opened to be served decrypted on the fly."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.attachments.files import FileKind
from contactcenter.attachments.models import TicketAttachment
from contactcenter.audit.service import record_event
from contactcenter.db import Database
from contactcenter.errors import Unavailable
from contactcenter.tickets.service import get_ticket, writable
from contactcenter.timeutil import as_utc, utcnow
from contactcenter.users.models import User
from recordings.crypto import MasterKeys, RecordingCryptoError, WrappedKey
from recordings.storage import SealedFiles, StoredMedia, seal

# Binds an attachment's data key to attachments: a recording's wrapped key never opens as one of these.
ATTACHMENT_LABEL = b"contactcenter attachment data key\x00"
ATTACHMENT_FILES = SealedFiles(TicketAttachment, ATTACHMENT_LABEL, "attachment")


class AttachmentUnreadable(Unavailable):
    """A stored attachment does not open: its master key is not configured, or its file was altered or lost."""


def add_attachment(
    db: Database,
    *,
    ticket: int,
    data: bytes,
    file_name: str,
    kind: FileKind,
    uploader_id: int,
    keys: MasterKeys,
    root: Path,
) -> dict[str, Any]:
    """Seal the file under `root`, note it on the ticket and audit it (`attachment_added`), in one
    transaction; the attachment as it is listed. A merged ticket takes none (409, as every change); a file
    written for a change that did not commit is removed."""
    target: Path | None = None
    try:
        with db.session() as session:
            row = writable(get_ticket(session, ticket, for_update=True))
            now = utcnow()
            # The id first: the file's chunks and its data key are bound to it. Filled in below.
            attachment = TicketAttachment(
                ticket_id=row.id,
                file_name=file_name,
                content_type=kind.content_type,
                size_bytes=len(data),
                sha256="",
                path="",
                key_id="",
                wrapped_key="",
                uploaded_by=uploader_id,
                uploaded_at=now,
            )
            session.add(attachment)
            session.flush()
            target = root / f"{now:%Y}" / f"{now:%m}" / f"{attachment.id}-{secrets.token_hex(8)}.enc"
            sealed = seal(data, object_id=attachment.id, target=target, keys=keys, root=root, label=ATTACHMENT_LABEL)
            attachment.path = str(target)
            attachment.key_id, attachment.wrapped_key = sealed.key_id, sealed.wrapped_key
            attachment.sha256, attachment.size_bytes = sealed.sha256, sealed.size
            row.updated_at = now
            record_event(
                session,
                actor=f"user:{uploader_id}",
                subject_type="ticket",
                subject_id=row.id,
                kind="attachment_added",
                attachment_id=attachment.id,
                file_name=file_name,
                content_type=kind.content_type,
                size_bytes=sealed.size,
                sha256=sealed.sha256,
            )
            session.flush()
            return attachments_of(session, [row.id], only=attachment.id)[0]
    except BaseException:
        if target is not None:
            target.unlink(missing_ok=True)
        raise


def attachments_of(session: Session, ticket_ids: list[int], *, only: int | None = None) -> list[dict[str, Any]]:
    """The attachments of these tickets, oldest first, as a ticket's timeline and list show them."""
    query = (
        select(TicketAttachment, User.display_name)
        .outerjoin(User, User.id == TicketAttachment.uploaded_by)
        .where(TicketAttachment.ticket_id.in_(ticket_ids))
        .order_by(TicketAttachment.id)
    )
    if only is not None:
        query = query.where(TicketAttachment.id == only)
    return [
        {
            "id": a.id,
            "ticket_id": a.ticket_id,
            "file_name": a.file_name,
            "content_type": a.content_type,
            "size_bytes": a.size_bytes,
            "sha256": a.sha256,
            "uploaded_by": uploader,
            "uploaded_at": as_utc(a.uploaded_at).isoformat(),
            "url": f"/api/attachments/{a.id}",
            "inline": a.content_type.startswith("image/"),
        }
        for a, uploader in session.execute(query)
    ]


def opened(db: Database, attachment_id: int, keys: MasterKeys) -> tuple[TicketAttachment, StoredMedia] | None:
    """The attachment and how to read its file (its data key unwrapped), or None: no such attachment.
    AttachmentUnreadable when its file is gone or its key does not open."""
    with db.reading() as session:
        attachment = session.get(TicketAttachment, attachment_id)
        if attachment is None:
            return None
        session.expunge(attachment)
    path = Path(attachment.path)
    if not path.exists():
        raise AttachmentUnreadable(f"附件文件不见了。The attachment's file is missing ({attachment.id}).")
    try:
        data_key = keys.unwrap(
            WrappedKey(attachment.key_id, attachment.wrapped_key), recording_id=attachment.id, label=ATTACHMENT_LABEL
        )
    except RecordingCryptoError as exc:
        raise AttachmentUnreadable(f"The attachment cannot be opened: {exc}.") from None
    return attachment, StoredMedia(attachment.id, path, attachment.size_bytes, data_key)
