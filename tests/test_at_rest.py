"""What is kept on disk is the owner's alone: recordings are stored encrypted, and the recordings, the SQLite
database, the embedded Redis's append-only file and generated keys are owner-only (0600, directories 0700)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import stat
import wave
from pathlib import Path
from typing import cast

import httpx
import pytest
from redis import Redis
from sqlalchemy import text

from contactcenter.context import Services
from contactcenter.db import Database
from contactcenter.embedded_redis import EmbeddedRedis, bundled_redis_server
from contactcenter.settings import load_settings, new_master_key
from contactcenter.telephony import Telephony
from recordings.crypto import CHUNK, MasterKeys, RecordingCryptoError
from recordings.models import Recording
from recordings.service import fetch_and_store
from recordings.storage import (
    encrypted_path,
    master_keys,
    migrate_plain,
    read_audio,
    remaining_on_old_keys,
    rotate,
)
from tests.conftest import System
from tests.test_wrap_up_drafts import services_of


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def a_wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A stereo 16-bit WAV of a rising tone (every byte differs from its neighbours often enough)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes((i * 7) % 251 for i in range(int(seconds * rate) * 4)))
    return out.getvalue()


class FakeTelephony:
    def __init__(self, media: bytes) -> None:
        self.media = media

    def download_recording(self, recording_sid: str) -> bytes:
        return self.media


def new_recording(services: Services, sid: str) -> int:
    with services.db.session() as session:
        recording = Recording(provider_sid=sid, call_sid="CA" + sid[2:])
        session.add(recording)
        session.flush()
        return recording.id


def store(services: Services, recording_id: int, media: bytes) -> Recording:
    """The recording fetched (from a stand-in for Twilio that answers `media`) and stored, as the job does."""
    fetching = dataclasses.replace(services, telephony=cast(Telephony, FakeTelephony(media)))
    return fetch_and_store(fetching, recording_id=recording_id)


def test_a_stored_recording_is_encrypted_and_owner_only(system: System) -> None:
    services, media = services_of(system), a_wav()
    recording_id = new_recording(services, "RE" + "a1" * 16)
    stored = store(services, recording_id, media)
    path = Path(stored.path or "")
    data = path.read_bytes()
    assert not data.startswith(b"RIFF") and media[1000:1064] not in data
    assert mode(path) == 0o600
    root = services.settings.recordings_path
    for directory in [path.parent, *path.parent.parents]:
        assert mode(directory) == 0o700, directory
        if directory == root:
            break


def test_the_sqlite_database_and_its_log_are_owner_only(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'var' / 'contactcenter.db'}")
    with db.session() as session:
        session.execute(text("create table t (x int)"))
    db.dispose()
    assert mode(tmp_path / "var") == 0o700
    files = [p for p in (tmp_path / "var").iterdir() if p.name.startswith("contactcenter.db")]
    assert files and {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}


def test_the_embedded_redis_keeps_its_files_owner_only(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis", binary=bundled_redis_server())
    client = Redis.from_url(server.start())
    try:
        client.set("caller", "kept")
    finally:
        client.close()
        server.stop()
    found = {p: mode(p) for p in (tmp_path / "redis").rglob("*")}
    assert any("appendonly" in p.name for p in found)
    assert mode(tmp_path / "redis") == 0o700
    assert found == {p: 0o700 if p.is_dir() else 0o600 for p in found}


def test_generated_secrets_are_owner_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(VAR_DIR=tmp_path / "var", _env_file=None)
    settings.session_secret()
    settings.recordings_master_keys()
    assert mode(tmp_path / "var") == 0o700
    assert {p.name: mode(p) for p in (tmp_path / "var").iterdir()} == {
        "secret_key": 0o600,
        "recordings_master_key": 0o600,
    }


# ---- playback, rotation and migration of encrypted recordings ----------------------------------------

AUDIO = a_wav(seconds=6.5)  # 208,044 bytes: 4 chunks of 64 KiB, the last one short
BORDER = CHUNK


@pytest.fixture(scope="module")
def played(system: System) -> tuple[int, httpx.Client]:
    """A stored recording and a client that may play it."""
    services = services_of(system)
    recording_id = new_recording(services, "RE" + "b2" * 16)
    store(services, recording_id, AUDIO)
    return recording_id, system.login("manager")  # who reaches every recording (QA staff: their queues')


@pytest.mark.parametrize(
    ("header", "start", "stop"),
    [
        ("bytes=0-0", 0, 1),  # the first byte
        (f"bytes={len(AUDIO) - 1}-", len(AUDIO) - 1, len(AUDIO)),  # the last byte
        ("bytes=-1", len(AUDIO) - 1, len(AUDIO)),
        ("bytes=-70000", len(AUDIO) - 70000, len(AUDIO)),  # a suffix over two chunks
        (f"bytes={BORDER - 1}-{BORDER}", BORDER - 1, BORDER + 1),  # across a border
        (f"bytes={BORDER}-{2 * BORDER - 1}", BORDER, 2 * BORDER),  # exactly one chunk
        (f"bytes=100-{3 * BORDER + 5}", 100, 3 * BORDER + 6),  # across three borders
        ("bytes=0-", 0, len(AUDIO)),
    ],
)
def test_playback_decrypts_the_range_asked_for(
    played: tuple[int, httpx.Client], header: str, start: int, stop: int
) -> None:
    recording_id, qa = played
    response = qa.get(f"/recordings/{recording_id}/media", headers={"Range": header})
    assert response.status_code == 206 and response.content == AUDIO[start:stop]
    assert response.headers["content-range"] == f"bytes {start}-{stop - 1}/{len(AUDIO)}"
    assert response.headers["content-length"] == str(stop - start)


def test_playback_without_a_range_or_outside_it(played: tuple[int, httpx.Client]) -> None:
    recording_id, qa = played
    whole = qa.get(f"/recordings/{recording_id}/media")
    assert whole.status_code == 200 and whole.content == AUDIO
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["content-type"] == "audio/wav"
    assert whole.headers["cache-control"] == "private, no-store"
    outside = qa.get(f"/recordings/{recording_id}/media", headers={"Range": f"bytes={len(AUDIO)}-"})
    assert outside.status_code == 416 and outside.headers["content-range"] == f"bytes */{len(AUDIO)}"


def test_a_recording_whose_master_key_is_not_configured_is_refused(
    system: System, played: tuple[int, httpx.Client]
) -> None:
    services = services_of(system)
    recording_id = new_recording(services, "RE" + "c3" * 16)
    store(services, recording_id, AUDIO[:1000])
    with services.db.session() as session:
        session.get_one(Recording, recording_id).key_id = "0" * 16
    response = played[1].get(f"/recordings/{recording_id}/media")
    assert response.status_code == 503 and "not configured" in response.json()["error"]


def test_rotation_rewraps_data_keys_and_leaves_the_audio_as_it_is(
    system: System, played: tuple[int, httpx.Client]
) -> None:
    services = services_of(system)
    old = master_keys(services.settings)
    new_key = base64.b64decode(new_master_key())
    rotated = MasterKeys([new_key, *services.settings.recordings_master_keys()])
    with services.db.session() as session:
        recording = session.get_one(Recording, played[0])
    before = Path(recording.path or "").read_bytes()
    done = rotate(db=services.db, keys=rotated, batch=1)
    assert done.rewrapped >= 1 and done.current_key_id == rotated.current_id
    unknown = {"0" * 16: len(done.unopened)} if done.unopened else {}  # a key that test removed
    assert remaining_on_old_keys(db=services.db, keys=rotated) == unknown
    assert rotate(db=services.db, keys=rotated).rewrapped == 0  # run again: nothing left
    with services.db.session() as session:
        recording = session.get_one(Recording, played[0])
    assert recording.key_id == rotated.current_id and Path(recording.path or "").read_bytes() == before
    assert read_audio(recording, MasterKeys([new_key])) == AUDIO
    with pytest.raises(RecordingCryptoError):
        read_audio(recording, old)
    rotate(db=services.db, keys=MasterKeys([*services.settings.recordings_master_keys(), new_key]))  # back


def test_a_plain_recording_is_migrated_once_even_after_a_crash(
    system: System, played: tuple[int, httpx.Client]
) -> None:
    services = services_of(system)
    root, keys = services.settings.recordings_path, master_keys(services.settings)
    plain = root / "2026" / "01" / "REplain.wav"
    plain.parent.mkdir(parents=True, exist_ok=True)
    plain.write_bytes(AUDIO)
    plain.chmod(0o644)
    encrypted_path(plain).write_bytes(b"half written before a crash")
    with services.db.session() as session:
        recording = Recording(provider_sid="REplain", call_sid="CAplain", status="stored", path=str(plain))
        session.add(recording)
        session.flush()
        recording_id = recording.id
    assert played[1].get(f"/recordings/{recording_id}/media").content == AUDIO  # a plain file still plays
    assert migrate_plain(db=services.db, keys=keys, root=root).encrypted == 1
    assert not plain.exists() and mode(encrypted_path(plain)) == 0o600 and mode(plain.parent) == 0o700
    with services.db.session() as session:
        recording = session.get_one(Recording, recording_id)
    assert recording.path == str(encrypted_path(plain)) and read_audio(recording, keys) == AUDIO
    assert played[1].get(f"/recordings/{recording_id}/media", headers={"Range": "bytes=-10"}).content == AUDIO[-10:]
    plain.write_bytes(AUDIO)  # the plain file left by a crash after the row was updated
    assert migrate_plain(db=services.db, keys=keys, root=root).encrypted == 0
    assert not plain.exists() and read_audio(recording, keys) == AUDIO


def test_a_plain_recording_that_changed_or_vanished_is_left_as_it_is(system: System) -> None:
    services = services_of(system)
    root, keys = services.settings.recordings_path, master_keys(services.settings)
    changed, gone = root / "2026" / "02" / "REchanged.wav", root / "2026" / "02" / "REgone.wav"
    changed.parent.mkdir(parents=True, exist_ok=True)
    changed.write_bytes(AUDIO[:-1] + b"!")
    with services.db.session() as session:
        rows = [
            Recording(provider_sid=path.stem, call_sid="CA", status="stored", path=str(path), sha256=sha(AUDIO))
            for path in (changed, gone)
        ]
        session.add_all(rows)
        session.flush()
        ids = [row.id for row in rows]
    done = migrate_plain(db=services.db, keys=keys, root=root)
    assert (done.missing, done.altered) == ([ids[1]], [ids[0]])
    assert changed.exists() and not encrypted_path(changed).exists()
