"""Recording files at rest (and files sealed the same way, a ticket's attachments: `seal`, `SealedFiles`):
written encrypted and owner-only, opened for playback, plain files of older versions encrypted
(`contactcenter keys migrate`), data keys re-wrapped under a new master key (`contactcenter keys rotate`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from contactcenter.audit.service import record_event
from contactcenter.db import Database
from contactcenter.private_files import private_tree, write_private
from contactcenter.settings import Settings
from recordings.crypto import (
    WRAP_LABEL,
    EncryptedReader,
    MasterKeys,
    RecordingCryptoError,
    WrappedKey,
    encrypt,
    new_data_key,
)
from recordings.models import Recording, RecordingStatus

ENCRYPTED_SUFFIX = ".enc"


@lru_cache(maxsize=8)
def master_keys(settings: Settings) -> MasterKeys:
    """The master keys the settings name (read, or generated under var/, once per process)."""
    return MasterKeys(settings.recordings_master_keys())


def encrypted_path(plain: Path) -> Path:
    """Where the encrypted file of a recording stored at `plain` lives: `sid.wav` → `sid.wav.enc`."""
    return plain if plain.name.endswith(ENCRYPTED_SUFFIX) else plain.with_name(plain.name + ENCRYPTED_SUFFIX)


@dataclass(frozen=True)
class SealedFiles:
    """A table whose rows each name a file sealed as recordings are (columns `id`, `key_id`, `wrapped_key`):
    `label` binds its data keys to the table, `subject_type` names its rows in the audit trail."""

    model: Any  # a mapped class with those columns
    label: bytes
    subject_type: str


RECORDING_FILES = SealedFiles(Recording, WRAP_LABEL, "recording")


@dataclass(frozen=True)
class Sealed:
    """A file written sealed: its row's master key id and wrapped data key, the plain bytes' SHA-256 and size."""

    key_id: str
    wrapped_key: str
    sha256: str
    size: int


def seal(
    data: bytes, *, object_id: int, target: Path, keys: MasterKeys, root: Path, label: bytes = WRAP_LABEL
) -> Sealed:
    """Encrypt `data` under a new data key of its own into `target` (whole or not at all, owner-only, the
    directories up to `root` 0700), the data key bound to the row `object_id` of the kind `label` names."""
    data_key = new_data_key()
    write_private(target, encrypt(data, data_key=data_key, recording_id=object_id), below=root)
    wrapped = keys.wrap(data_key, recording_id=object_id, label=label)
    return Sealed(wrapped.key_id, wrapped.wrapped, hashlib.sha256(data).hexdigest(), len(data))


def store_encrypted(recording: Recording, audio: bytes, *, target: Path, keys: MasterKeys, root: Path) -> None:
    """Encrypt the audio under a new data key into `target` (whole or not at all, owner-only) and note
    its path, wrapped key, checksum and size on the row (the caller commits)."""
    sealed = seal(audio, object_id=recording.id, target=target, keys=keys, root=root)
    recording.path = str(target)
    recording.key_id, recording.wrapped_key = sealed.key_id, sealed.wrapped_key
    recording.sha256, recording.size_bytes = sealed.sha256, sealed.size


@dataclass(frozen=True)
class StoredMedia:
    """Where a stored recording's audio is and how to open it (`data_key` None: a plain file)."""

    recording_id: int
    path: Path
    size: int | None
    data_key: bytes | None

    def reader(self) -> EncryptedReader:
        """The encrypted file opened; RecordingCryptoError if it is not whole or not this recording's."""
        if self.data_key is None:
            raise RecordingCryptoError(f"recording {self.recording_id} is not encrypted")
        reader = EncryptedReader(self.path, data_key=self.data_key, recording_id=self.recording_id)
        if self.size is not None and reader.size != self.size:
            reader.close()
            raise RecordingCryptoError(f"recording {self.recording_id} is {reader.size} bytes, not {self.size}")
        return reader


def stored_media(recording: Recording, keys: MasterKeys) -> StoredMedia | None:
    """How to read a stored recording (None: not stored); its data key is unwrapped here."""
    if recording.status != RecordingStatus.STORED or not recording.path:
        return None
    data_key = None
    if recording.wrapped_key and recording.key_id:
        data_key = keys.unwrap(WrappedKey(recording.key_id, recording.wrapped_key), recording_id=recording.id)
    return StoredMedia(recording.id, Path(recording.path), recording.size_bytes, data_key)


def read_audio(recording: Recording, keys: MasterKeys) -> bytes:
    """A stored recording's whole audio, decrypted and checked."""
    media = stored_media(recording, keys)
    if media is None:
        raise RecordingCryptoError(f"recording {recording.id} is not stored")
    if media.data_key is None:
        return media.path.read_bytes()
    with media.reader() as reader:
        return reader.read_all()


@dataclass(frozen=True)
class Migration:
    encrypted: int  # plain files encrypted by this run
    missing: list[int]  # recordings whose plain file is gone (left as they are)
    altered: list[int]  # recordings whose plain file no longer matches its checksum (left as they are)


def migrate_plain(*, db: Database, keys: MasterKeys, root: Path) -> Migration:
    """Encrypt every recording still stored plain. Each is written beside the plain file,
    renamed into place, noted on its row, and only then is the plain file removed: after a crash at any
    point running it again finishes the work (the row says which file is the recording)."""
    migrated, missing, altered = 0, [], []
    with db.reading() as session:
        ids = list(
            session.scalars(
                select(Recording.id).where(
                    Recording.status == RecordingStatus.STORED,
                    Recording.wrapped_key.is_(None),
                    Recording.path.is_not(None),
                )
            )
        )
    for recording_id in ids:
        with db.session() as session:
            recording = session.get_one(Recording, recording_id)
            if recording.wrapped_key or not recording.path:
                continue  # another process got there first
            plain = Path(recording.path)
            try:
                audio = plain.read_bytes()
            except FileNotFoundError:
                missing.append(recording_id)
                continue
            if recording.sha256 and hashlib.sha256(audio).hexdigest() != recording.sha256:
                altered.append(recording_id)  # sealing it would vouch for bytes that are not the recording
                continue
            store_encrypted(recording, audio, target=encrypted_path(plain), keys=keys, root=root)
            record_event(session, actor="cli", subject_type="recording", subject_id=recording.id, kind="encrypted")
        migrated += 1
        plain.unlink(missing_ok=True)
    _remove_left_plain_files(db=db)
    if root.exists():
        private_tree(root)
    return Migration(migrated, missing, altered)


def _remove_left_plain_files(*, db: Database) -> None:
    """Plain files whose recording was encrypted before a crash kept them from being removed."""
    with db.reading() as session:
        paths = list(session.scalars(select(Recording.path).where(Recording.wrapped_key.is_not(None))))
    for path in paths:
        if path and path.endswith(ENCRYPTED_SUFFIX):
            Path(path.removesuffix(ENCRYPTED_SUFFIX)).unlink(missing_ok=True)


@dataclass(frozen=True)
class Rotation:
    rewrapped: int  # data keys moved to the current master key by this run
    current_key_id: str
    unopened: list[int]  # rows whose data key no configured master key opens (left as they are)


def rotate(*, db: Database, keys: MasterKeys, batch: int = 500, files: SealedFiles = RECORDING_FILES) -> Rotation:
    """Re-wrap every data key of `files` sealed by an older master key under the current one (the files
    are not touched). Each batch is all-or-nothing, so a run stopped midway is simply run again."""
    model = files.model
    rewrapped, unopened, after = 0, [], 0
    while True:
        with db.session() as session:
            rows = list(
                session.scalars(
                    select(model)
                    .where(model.id > after, model.wrapped_key.is_not(None), model.key_id != keys.current_id)
                    .order_by(model.id)
                    .limit(batch)
                )
            )
            for row in rows:
                try:
                    data_key = keys.unwrap(
                        WrappedKey(row.key_id or "", row.wrapped_key or ""), recording_id=row.id, label=files.label
                    )
                except RecordingCryptoError:
                    unopened.append(row.id)
                    continue
                wrapped = keys.wrap(data_key, recording_id=row.id, label=files.label)
                row.key_id, row.wrapped_key = wrapped.key_id, wrapped.wrapped
                rewrapped += 1
            if rows:
                after = rows[-1].id
                record_event(
                    session,
                    actor="cli",
                    subject_type=files.subject_type,
                    subject_id=rows[0].id,
                    kind="keys_rotated",
                    up_to=after,
                    key_id=keys.current_id,
                )
        if len(rows) < batch:
            return Rotation(rewrapped, keys.current_id, unopened)


def plain_count(*, db: Database) -> int:
    """How many stored recordings are still plain files."""
    with db.reading() as session:
        return int(
            session.scalar(
                select(func.count()).where(Recording.status == RecordingStatus.STORED, Recording.wrapped_key.is_(None))
            )
            or 0
        )


def remaining_on_old_keys(*, db: Database, keys: MasterKeys, files: SealedFiles = RECORDING_FILES) -> dict[str, int]:
    """How many data keys of `files` each master key other than the current one still wraps."""
    model = files.model
    with db.reading() as session:
        rows = session.execute(
            select(model.key_id, func.count())
            .where(model.wrapped_key.is_not(None), model.key_id != keys.current_id)
            .group_by(model.key_id)
        ).all()
    return {str(key): int(count) for key, count in rows}
