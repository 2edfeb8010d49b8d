"""What is kept on disk is the owner's alone: recordings are stored encrypted, and the recordings, the SQLite
database, the embedded Redis's append-only file and generated keys are owner-only (0600, directories 0700)."""

from __future__ import annotations

import dataclasses
import io
import stat
import wave
from pathlib import Path
from typing import cast

import pytest
from redis import Redis
from sqlalchemy import text

from contactcenter.context import Services
from contactcenter.db import Database
from contactcenter.embedded_redis import EmbeddedRedis, bundled_redis_server
from contactcenter.settings import load_settings
from contactcenter.telephony import Telephony
from recordings.models import Recording
from recordings.service import fetch_and_store
from tests.conftest import System
from tests.test_wrap_up_drafts import services_of


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
