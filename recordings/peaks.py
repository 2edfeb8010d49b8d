"""A stored recording's peaks (recordings/waveform.py), computed once and kept: sealed beside the recording
and, rendered, in a small cache of each process. A recording never changes, so neither does its file of
peaks: nothing invalidates it.

The file is sealed as the recording is (recordings/crypto.py), under a key derived from the recording's own
data key (HKDF, its own label), never the data key itself: the two files' chunk nonces both count from 0.
Peaks hold no word of the call, but they show who spoke when and how loud; what is derived from a
recording is kept as the recording is. A recording stored plain (before `contactcenter keys migrate`)
gets no file: its peaks are only cached in memory."""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.errors import Conflict, NotFound
from contactcenter.private_files import write_private
from recordings.crypto import EncryptedReader, RecordingCryptoError, encrypt
from recordings.models import Recording, RecordingStatus
from recordings.storage import ENCRYPTED_SUFFIX, StoredMedia, master_keys, stored_media
from recordings.waveform import channel_labels, compute, document

log = logging.getLogger(__name__)

PEAKS_LABEL = b"contactcenter recording peaks key\x00"
MEMORY_ENTRIES = 64  # about 30 KB each: the recordings QA staff are reviewing now
# Keyed by the database and the recording's id: ids repeat between databases (the tests' in-process systems
# share a process, each on its own database, and once served one another's peaks).
Key = tuple[str, int]
_memory: OrderedDict[Key, bytes] = OrderedDict()
_memory_lock = threading.Lock()
_computing: dict[Key, threading.Lock] = {}  # one computation at a time per recording, per process


def peaks_path(recording_path: Path) -> Path:
    """Where a recording's sealed peaks live: `sid.wav.enc` → `sid.wav.peaks.enc`."""
    return recording_path.with_name(recording_path.name.removesuffix(ENCRYPTED_SUFFIX) + ".peaks" + ENCRYPTED_SUFFIX)


def peaks_key(data_key: bytes) -> bytes:
    """The key sealing a recording's peaks, derived from its data key (so it needs no row of its own)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PEAKS_LABEL).derive(data_key)


def recording_peaks(services: Services, *, recording_id: int) -> bytes:
    """The peaks document of a stored recording as JSON bytes: from memory, else its sealed file, else computed
    (and kept). NotFound, Conflict (not stored yet), AudioUnreadable (422), RecordingCryptoError."""
    body = remembered(services, recording_id)
    if body is not None:
        return body
    key = _key(services, recording_id)
    with _memory_lock:
        computing = _computing.setdefault(key, threading.Lock())
    with computing:  # a second request waits for the first's result rather than computing it again
        with _memory_lock:
            body = _memory.get(key)
        if body is None:
            body = _from_disk_or_computed(services, recording_id)
            _remember(key, body)
    with _memory_lock:
        _computing.pop(key, None)
    return body


def _key(services: Services, recording_id: int) -> Key:
    return (services.settings.sqlalchemy_url, recording_id)


def remembered(services: Services, recording_id: int) -> bytes | None:
    """The peaks this process holds in memory (the lock is held for a lookup only: fine on the event loop)."""
    key = _key(services, recording_id)
    with _memory_lock:
        body = _memory.get(key)
        if body is not None:
            _memory.move_to_end(key)
        return body


def forget(services: Services, recording_id: int) -> None:
    """Drop one recording's peaks from this process's memory (the recording was destroyed)."""
    with _memory_lock:
        _memory.pop(_key(services, recording_id), None)


def _remember(key: Key, body: bytes) -> None:
    with _memory_lock:
        _memory[key] = body
        while len(_memory) > MEMORY_ENTRIES:
            _memory.popitem(last=False)


def forget_all() -> None:
    """Empty this process's cache (benchmarks measure a cold read with it)."""
    with _memory_lock:
        _memory.clear()


def _stored(services: Services, recording_id: int) -> tuple[StoredMedia, str, str | None]:
    """The recording's media, and what names its channels (its CallSid, its contact's direction)."""
    with services.db.reading() as session:
        recording = session.get(Recording, recording_id)
        if recording is None or recording.status == RecordingStatus.FAILED:
            raise NotFound("No stored recording with that id.")
        if recording.status == RecordingStatus.PENDING:
            raise Conflict("The recording is not stored yet: it is being fetched from the provider. Try again soon.")
        media = stored_media(recording, master_keys(services.settings))
        if media is None or not media.path.exists():
            raise NotFound("No stored recording with that id.")
        contact = session.get(Contact, recording.contact_id) if recording.contact_id else None
        return media, recording.call_sid, contact.direction if contact else None


def _from_disk_or_computed(services: Services, recording_id: int) -> bytes:
    media, call_sid, direction = _stored(services, recording_id)
    kept = peaks_path(media.path)
    if media.data_key is not None and kept.exists():
        try:
            with EncryptedReader(kept, data_key=peaks_key(media.data_key), recording_id=recording_id) as reader:
                return reader.read_all()
        except RecordingCryptoError:
            log.warning("the peaks of recording %s do not open; computing them again", recording_id)
    if media.data_key is None:
        audio = media.path.read_bytes()
    else:
        with media.reader() as reader:
            audio = reader.read_all()
    waveform = compute(audio)
    labels = channel_labels(len(waveform.peaks), call_sid=call_sid, direction=direction)
    body = json.dumps(document(waveform, labels), separators=(",", ":")).encode()
    if media.data_key is not None:
        sealed = encrypt(body, data_key=peaks_key(media.data_key), recording_id=recording_id)
        try:
            write_private(kept, sealed, below=services.settings.recordings_path)
        except OSError as error:  # another process writing the same file: it is the same peaks
            log.warning("the peaks of recording %s were not kept: %s", recording_id, error)
    return body
