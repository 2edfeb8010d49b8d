"""Recordings encrypted at rest: each file has a random data key of its own, wrapped by a master key.

A file is a 12-byte header (magic and chunk size) and the audio in chunks of `CHUNK` bytes, each sealed by
AES-256-GCM with its own nonce (the chunk's index) and, as associated data, the header, the recording's id,
the chunk's index and whether it is the last: a chunk moved, swapped with another recording's or cut off
the end fails to open. A range of the audio opens only the chunks it covers, so playback can seek.

The data key is sealed (AES-256-GCM, the recording's id as associated data) by a master key and kept with
the recording's row along with the master key's id, so rotating the master key re-wraps 60 bytes per
recording and leaves the audio as it is."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"CCREC\x00\x01\x00"  # format 1
HEADER = struct.Struct(">8sI")  # magic, chunk size
CHUNK = 64 * 1024
TAG = 16
WRAP_LABEL = b"contactcenter recording data key\x00"


class RecordingCryptoError(Exception):
    """A recording cannot be opened: its master key is not configured, or the file or key was altered."""


def key_id(master_key: bytes) -> str:
    """A master key's public name, stored beside each data key it wraps (it reveals nothing of the key)."""
    return hashlib.sha256(b"contactcenter recordings master key id\x00" + master_key).hexdigest()[:16]


@dataclass(frozen=True)
class WrappedKey:
    key_id: str
    wrapped: str  # base64 of nonce + sealed data key + tag


class MasterKeys:
    """The configured master keys, the current one first: it wraps new data keys; any opens old ones."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("at least one master key is needed")
        self.current_id = key_id(keys[0])
        self._ciphers = {key_id(key): AESGCM(key) for key in keys}

    def wrap(self, data_key: bytes, *, recording_id: int, label: bytes = WRAP_LABEL) -> WrappedKey:
        """Seal a data key under the current master key, bound to its recording (or, with another
        `label`, to another kind of file sealed the same way: a ticket's attachment)."""
        nonce = secrets.token_bytes(12)
        sealed = self._ciphers[self.current_id].encrypt(nonce, data_key, _wrap_aad(recording_id, label))
        return WrappedKey(self.current_id, base64.b64encode(nonce + sealed).decode())

    def unwrap(self, wrapped: WrappedKey, *, recording_id: int, label: bytes = WRAP_LABEL) -> bytes:
        """The data key of a recording; RecordingCryptoError if its master key is unknown or it was altered."""
        cipher = self._ciphers.get(wrapped.key_id)
        if cipher is None:
            raise RecordingCryptoError(f"master key {wrapped.key_id} is not configured (RECORDINGS_OLD_MASTER_KEYS)")
        raw = base64.b64decode(wrapped.wrapped)
        try:
            return cipher.decrypt(raw[:12], raw[12:], _wrap_aad(recording_id, label))
        except InvalidTag:
            what = "recording" if label == WRAP_LABEL else "file"
            raise RecordingCryptoError(f"the data key of {what} {recording_id} does not open") from None


def _wrap_aad(recording_id: int, label: bytes) -> bytes:
    # The label keeps kinds apart: a recording's wrapped key does not open as an attachment's of the same id.
    return label + recording_id.to_bytes(8, "big", signed=True)


def new_data_key() -> bytes:
    """A fresh random AES-256 key: one per file, never used for anything else."""
    return AESGCM.generate_key(bit_length=256)


def _chunk_aad(header: bytes, recording_id: int, index: int, last: bool) -> bytes:
    return header + recording_id.to_bytes(8, "big", signed=True) + index.to_bytes(8, "big") + bytes([last])


def _nonce(index: int) -> bytes:
    # A counter is safe here: the data key seals this one file only, once.
    return index.to_bytes(12, "big")


def encrypt(audio: bytes, *, data_key: bytes, recording_id: int, chunk_size: int = CHUNK) -> bytes:
    """The encrypted file of `audio` (an empty one is one empty chunk, so even it is authenticated)."""
    cipher, header = AESGCM(data_key), HEADER.pack(MAGIC, chunk_size)
    count = max(1, -(-len(audio) // chunk_size))
    view = memoryview(audio)
    parts = [header]
    for index in range(count):
        piece = view[index * chunk_size : (index + 1) * chunk_size]
        parts.append(cipher.encrypt(_nonce(index), piece, _chunk_aad(header, recording_id, index, index == count - 1)))
    return b"".join(parts)


class EncryptedReader:
    """An encrypted recording opened for reading ranges of its audio; `size` is the audio's length."""

    def __init__(self, path: Path, *, data_key: bytes, recording_id: int) -> None:
        self.recording_id = recording_id
        self._cipher = AESGCM(data_key)
        self._fd = os.open(path, os.O_RDONLY)
        try:
            self._header = os.pread(self._fd, HEADER.size, 0)
            body = os.fstat(self._fd).st_size - HEADER.size
            magic, chunk_size = HEADER.unpack(self._header) if len(self._header) == HEADER.size else (b"", 0)
            self.chunk_size: int = chunk_size
            if magic != MAGIC or not 0 < chunk_size <= 1 << 24 or body < TAG:
                raise RecordingCryptoError(f"{path} is not an encrypted recording")
            stride = self.chunk_size + TAG
            self.chunks: int = -(-body // stride)
            if body - (self.chunks - 1) * stride < TAG:
                raise RecordingCryptoError(f"{path} was cut short")
            self.size: int = body - self.chunks * TAG
        except BaseException:
            os.close(self._fd)
            raise

    def chunk(self, index: int) -> bytes:
        """The audio of one chunk, checked."""
        stride = self.chunk_size + TAG
        sealed = os.pread(self._fd, stride, HEADER.size + index * stride)
        last = index == self.chunks - 1
        try:
            return self._cipher.decrypt(_nonce(index), sealed, _chunk_aad(self._header, self.recording_id, index, last))
        except InvalidTag:
            raise RecordingCryptoError(f"chunk {index} of recording {self.recording_id} does not open") from None

    def read(self, start: int, stop: int, *, most: int = 1 << 20) -> Iterator[bytes]:
        """The audio from `start` to `stop` (excluded), in pieces of at most about `most` bytes."""
        first, last = start // self.chunk_size, (max(stop, start + 1) - 1) // self.chunk_size
        pieces: list[bytes] = []
        held = 0
        for index in range(first, min(last, self.chunks - 1) + 1):
            plain = self.chunk(index)
            base = index * self.chunk_size
            piece = plain[max(start - base, 0) : stop - base]
            pieces.append(piece)
            held += len(piece)
            if held >= most:
                yield b"".join(pieces)
                pieces, held = [], 0
        if held:
            yield b"".join(pieces)

    def read_all(self) -> bytes:
        """The whole audio, checked."""
        return b"".join(self.read(0, self.size, most=self.size + 1))

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> EncryptedReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
