"""What an attachment may be, told by its bytes (never by its name or the type the browser claims), and
the name it is kept and served under."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from contactcenter.errors import APIError, Invalid

MAX_NAME = 120  # characters of a kept name, its suffix included
RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))})
UNSAFE = re.compile(r'[<>:"|?*;%\\/]')  # Windows' reserved characters, and what a header or a path reads


@dataclass(frozen=True)
class FileKind:
    """A kind of file taken: its content type, the suffixes its name may end with (the first when it ends
    with another), whether a browser may show it inline, and the bytes it starts with (offset, bytes)."""

    content_type: str
    suffixes: tuple[str, ...]
    label: str
    inline: bool
    magic: tuple[tuple[int, bytes], ...]

    def matches(self, head: bytes) -> bool:
        return all(head[at : at + len(value)] == value for at, value in self.magic)


KINDS = (
    FileKind("image/jpeg", (".jpg", ".jpeg"), "JPEG", True, ((0, b"\xff\xd8\xff"),)),
    FileKind("image/png", (".png",), "PNG", True, ((0, b"\x89PNG\r\n\x1a\n"),)),
    FileKind("image/webp", (".webp",), "WebP", True, ((0, b"RIFF"), (8, b"WEBP"))),
    # Never inline: a PDF viewer in the browser runs the document's scripts.
    FileKind("application/pdf", (".pdf",), "PDF", False, ((0, b"%PDF-"),)),
)
BY_TYPE = {kind.content_type: kind for kind in KINDS}
ALLOWED = ", ".join(kind.label for kind in KINDS)


class AttachmentTooLarge(APIError):
    """A file past ATTACHMENT_MAX_BYTES."""

    status = 413


class AttachmentTypeRefused(APIError):
    """A file whose bytes are none of KINDS."""

    status = 415


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.3g} MB"


def too_large_message(limit: int, size: int | None = None) -> str:
    """The refusal of a file past `limit` bytes (the body limit's too: contactcenter/body_limit.py)."""
    this = f",此文件 {size} 字节" if size is not None else ""
    that = f"; this file is {size} bytes" if size is not None else ""
    return (
        f"附件不能超过 {megabytes(limit)}({limit} 字节){this}。"
        f"An attachment may be at most {megabytes(limit)} ({limit} bytes){that}."
    )


def checked_kind(data: bytes, *, limit: int) -> FileKind:
    """The kind of the file `data`, or the refusal: empty (400), too large (413), another kind (415)."""
    if not data:
        raise Invalid("文件是空的。The file is empty.")
    if len(data) > limit:
        raise AttachmentTooLarge(too_large_message(limit, len(data)), limit=limit)
    for kind in KINDS:
        if kind.matches(data[:16]):
            return kind
    raise AttachmentTypeRefused(
        f"只接受 {ALLOWED} 文件(按文件内容判断,而非文件名)。"
        f"Only {ALLOWED} files are taken (told by the file's content, not its name).",
        code="unsupported_type",
        allowed=[kind.content_type for kind in KINDS],
    )


def safe_file_name(raw: str | None, kind: FileKind) -> str:
    """The name to keep: the last part of a path, no control or format characters (bidirectional
    overrides), none a file system or a header would read, not hidden, at most MAX_NAME characters, and
    ending with a suffix of its kind (`photo.exe` of a PNG's bytes is kept as `photo.exe.png`)."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if not unicodedata.category(c).startswith("C"))
    name = " ".join(UNSAFE.sub("_", name).split()).strip(" .")
    stem, dot, suffix = name.rpartition(".")
    if not dot or f".{suffix.lower()}" not in kind.suffixes:
        stem, suffix = name, kind.suffixes[0].removeprefix(".")
    stem = stem[: MAX_NAME - len(suffix) - 1].rstrip(" .") or "attachment"
    if stem.split(".")[0].upper() in RESERVED:
        stem = f"_{stem}"
    return f"{stem}.{suffix.lower()}"


def content_disposition(name: str, *, inline: bool) -> str:
    """The header that names the file: an ASCII fallback, and the name itself (RFC 6266, RFC 5987)."""
    fallback = "".join(c if " " <= c < "\x7f" and c != '"' else "_" for c in name)
    return f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
