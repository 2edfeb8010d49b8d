"""Serving a stored recording over HTTP with byte ranges (players seek with them): a plain file as
Starlette serves files, an encrypted one decrypted on the fly, only the chunks the range covers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from anyio import to_thread
from starlette.responses import FileResponse, Response, StreamingResponse

from contactcenter.errors import APIError
from recordings.storage import StoredMedia


class RecordingUnreadable(APIError):
    """A stored recording does not open: its master key is not configured, or its file was altered."""

    status = 503


RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
HEADERS = {"Cache-Control": "private, no-store", "Accept-Ranges": "bytes"}
MEDIA_TYPE = "audio/wav"


def byte_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """The range `header` asks of `size` bytes as (start, stop excluded); None: the whole (no header, or
    one this server ignores, as RFC 9110 allows: several ranges, other units); "unsatisfiable": 416."""
    if not header:
        return None
    found = RANGE.match(header.strip().replace(" ", ""))
    if not found or found.group(1) == found.group(2) == "":
        return None
    first, last = found.groups()
    if first == "":  # the last `last` bytes
        length = int(last)
        return (max(size - length, 0), size) if length and size else "unsatisfiable"
    start = int(first)
    stop = size if last == "" else min(int(last) + 1, size)
    if start >= size or stop <= start:
        return "unsatisfiable"
    return start, stop


async def media_response(
    media: StoredMedia,
    range_header: str | None,
    extra_headers: dict[str, str] | None = None,
    *,
    media_type: str = MEDIA_TYPE,
) -> Response:
    """The audio of a stored recording (or another sealed file, of `media_type`): 200 whole, 206 for a
    range, 416 for a range outside it."""
    extra = extra_headers or {}
    if media.data_key is None:
        return FileResponse(media.path, media_type=media_type, headers={"Cache-Control": "private, no-store", **extra})
    size = await to_thread.run_sync(_checked_size, media)
    wanted = byte_range(range_header, size)
    if wanted == "unsatisfiable":
        return Response(status_code=416, headers={**HEADERS, "Content-Range": f"bytes */{size}"})
    start, stop = wanted if isinstance(wanted, tuple) else (0, size)
    headers = {**HEADERS, **extra, "Content-Length": str(stop - start)}
    if isinstance(wanted, tuple):
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    status = 206 if isinstance(wanted, tuple) else 200
    return StreamingResponse(_decrypted(media, start, stop), status, headers, media_type=media_type)


def _checked_size(media: StoredMedia) -> int:
    """The audio's length once the file proved to be this recording's and whole (before any header is sent)."""
    with media.reader() as reader:
        return reader.size


async def _decrypted(media: StoredMedia, start: int, stop: int) -> AsyncIterator[bytes]:
    """The range's audio, decrypted in a worker thread about 1 MiB at a time (one hop per MiB, not per
    chunk). The file is opened here, so a response never sent (a HEAD, a client gone) holds no descriptor."""
    reader = await to_thread.run_sync(media.reader)
    try:
        pieces = reader.read(start, stop)
        while piece := await to_thread.run_sync(next, pieces, b""):
            yield piece
    finally:
        reader.close()
