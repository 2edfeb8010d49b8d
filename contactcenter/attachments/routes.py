"""Tickets' attachments over HTTP (contract: attachments/api.yml): upload one file to a ticket, list a
ticket's, download one decrypted on the fly. Who: the ticket's scope; QA staff read only."""

from __future__ import annotations

import re
from contextlib import aclosing
from typing import Any

from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response

from contactcenter.access import Policy, Scope, reach, route
from contactcenter.access.rules import STAFF_ROLES, TICKET_READ
from contactcenter.attachments import service
from contactcenter.attachments.files import (
    BY_TYPE,
    checked_kind,
    content_disposition,
    safe_file_name,
    too_large_message,
)
from contactcenter.audit.access import Action, audited, starts_a_play
from contactcenter.body_limit import Upload
from contactcenter.context import Services
from contactcenter.errors import Invalid, NotFound, path_id
from contactcenter.responses import JSONResponse
from contactcenter.settings import Settings
from contactcenter.tickets.models import Ticket
from contactcenter.tickets.timeline import family
from recordings.crypto import RecordingCryptoError
from recordings.playback import media_response
from recordings.storage import master_keys

ATTACH = Policy(
    "user",
    STAFF_ROLES,
    Scope("ticket", "ticket_id"),
    forbidden="Attachments are added by agents, team leads, managers and admins",
    note="a ticket in scope (agents, team leads, managers, admins)",
)
ATTACHMENT_READ = Policy("user", scope=Scope("attachment", "attachment_id"), note="an attachment of a ticket in scope")
# Any segment: what is no ticket id then finds no route (404), past the body limit and the web guard.
UPLOAD_PATH = re.compile(r"^/api/tickets/[^/]+/attachments$")
# The multipart framing around the file (boundaries, the part's headers, a long file name).
FRAMING_BYTES = 64 * 1024
SERVED_HEADERS = {
    "X-Content-Type-Options": "nosniff",  # the type the bytes were checked to be, never a browser's guess
    "Content-Security-Policy": "sandbox",  # a file opened on its own runs nothing as this site
}


def upload_limit(settings: Settings) -> Upload:
    """The body limit of an upload: the file's cap and its framing, refused with the file's cap named."""
    limit = settings.attachment_max_bytes
    return Upload(UPLOAD_PATH, limit + FRAMING_BYTES, too_large_message(limit))


async def _one_file(request: Request, limit: int) -> tuple[str, bytes]:
    """The file of a multipart/form-data body (field `file`), kept in memory: its plain bytes are never
    written to a temporary file (the body limit caps them)."""
    kind, _ = parse_options_header(request.headers.get("content-type"))
    if kind != b"multipart/form-data":
        raise Invalid("Send one file as multipart/form-data, in the field `file`.")
    try:
        async with aclosing(request.stream()) as stream:
            parser = MultiPartParser(request.headers, stream, max_files=1, max_fields=4)
            parser.spool_max_size = limit + FRAMING_BYTES
            form = await parser.parse()
    except MultiPartException as exc:
        raise Invalid(f"The multipart body does not read: {exc.message}") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Invalid("Send one file as multipart/form-data, in the field `file`.")
        return upload.filename or "", await upload.read()
    finally:
        await form.close()


async def upload(request: Request) -> Response:
    """201 with the attachment; 413 past ATTACHMENT_MAX_BYTES, 415 for a file that is no JPEG, PNG, WebP or
    PDF by its bytes, whatever its name says."""
    user = reach(request).user
    services: Services = request.app.state.services
    ticket_id = path_id(request, "ticket_id")
    limit = services.settings.attachment_max_bytes
    name, data = await _one_file(request, limit)
    kind = checked_kind(data, limit=limit)
    added = await run_in_threadpool(
        lambda: service.add_attachment(
            services.db,
            ticket=ticket_id,
            data=data,
            file_name=safe_file_name(name, kind),
            kind=kind,
            uploader_id=user.id,
            keys=master_keys(services.settings),
            root=services.settings.attachments_path,
        )
    )
    return JSONResponse(added, status_code=201, viewer=user)


async def list_attachments(request: Request) -> Response:
    """A ticket's attachments and those of the tickets merged into it; in the access log as a list."""
    user = reach(request).user
    services: Services = request.app.state.services
    ticket_id = path_id(request, "ticket_id")

    def read() -> list[dict[str, Any]]:
        with services.db.reading() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                raise NotFound("No such ticket.")
            return service.attachments_of(session, family(session, ticket=ticket))

    found = await run_in_threadpool(read)
    await audited(request, user, action=Action.LIST, object_type="attachment", detail=f"{len(found)} of {ticket_id}")
    return JSONResponse({"attachments": found}, viewer=user)


async def download(request: Request) -> Response:
    """The file, decrypted on the fly, under its kept name; `?inline=1` shows an image in the browser (a
    PDF is always a download). Logged once per download, as a recording's play is."""
    user = reach(request).user
    services: Services = request.app.state.services
    attachment_id = path_id(request, "attachment_id")
    found = await run_in_threadpool(service.opened, services.db, attachment_id, master_keys(services.settings))
    if found is None:
        raise NotFound("No such attachment.")
    attachment, media = found
    kind = BY_TYPE.get(attachment.content_type)
    inline = request.query_params.get("inline") == "1" and kind is not None and kind.inline
    if starts_a_play(request.headers.get("range")):
        action = Action.READ if inline else Action.DOWNLOAD
        await audited(request, user, action=action, object_type="attachment", object_id=attachment_id)
    headers = {**SERVED_HEADERS, "Content-Disposition": content_disposition(attachment.file_name, inline=inline)}
    media_type = kind.content_type if kind else "application/octet-stream"
    try:
        return await media_response(media, request.headers.get("range"), headers, media_type=media_type)
    except RecordingCryptoError as exc:
        raise service.AttachmentUnreadable(f"The attachment cannot be opened: {exc}.") from None


routes = [
    route("/api/tickets/{ticket_id:int}/attachments", upload, methods=["POST"], policy=ATTACH),
    route("/api/tickets/{ticket_id:int}/attachments", list_attachments, methods=["GET"], policy=TICKET_READ),
    route("/api/attachments/{attachment_id:int}", download, methods=["GET"], policy=ATTACHMENT_READ),
]
