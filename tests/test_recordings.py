"""Recordings: fetched by a background job that retries with backoff, stored encrypted with a checksum."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Row, select

from recordings.crypto import EncryptedReader, MasterKeys, WrappedKey
from recordings.models import Recording
from tests.conftest import HOTLINE, System
from tests.console import AgentConsole
from tests.rooms import room_of
from tests.test_call_path import wait_until
from twilio_sandbox import place_call, wait_for_call

pytestmark = pytest.mark.system  # the RQ worker process and its scheduler retry the recording download


def test_a_failing_recording_download_is_retried_until_it_is_stored(system: System) -> None:
    httpx.post(system.sandbox_url + "/sandbox/faults", json={"recording_fetch_failures": 2}).raise_for_status()
    agent = AgentConsole(system, "agent2")
    try:
        agent.go("available")
        call_sid = place_call(system.sandbox_url, from_="+8613800138000", to=HOTLINE, digits=["1", "2"], talk_seconds=1)
        offer = agent.next_event("offer.created")
        assert agent.accept(offer["contact"]).status_code == 200
        wait_for_call(system.sandbox_url, call_sid, timeout=30)
        [recording_sid] = wait_until(lambda: room_of(system.sandbox_url, offer["contact"])["recording_sids"])
        engine = system.sql()

        def stored() -> Row[Any] | None:  # the recordings row (a Core read: its columns, not a Recording)
            with engine.connect() as conn:
                row = conn.execute(select(Recording).where(Recording.provider_sid == recording_sid)).first()
            return row if row and row.status == "stored" else None

        recording = wait_until(stored, timeout=40)
        engine.dispose()
        assert recording.attempts == 3
        assert recording.contact_id == int(offer["contact"])
        assert recording.ticket_id == offer["info"]["ticket_id"]
        path = Path(recording.path)
        assert path.is_relative_to(system.var_dir / "recordings") and path.name.endswith(".wav.enc")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        keys = MasterKeys([base64.b64decode((system.var_dir / "recordings_master_key").read_text())])
        with EncryptedReader(
            path,
            data_key=keys.unwrap(WrappedKey(recording.key_id, recording.wrapped_key), recording_id=recording.id),
            recording_id=recording.id,
        ) as reader:
            audio = reader.read_all()
        assert hashlib.sha256(audio).hexdigest() == recording.sha256
        assert recording.size_bytes == len(audio)
        account_sid, token = system.credentials
        original = httpx.get(  # both channels, as the fetch asks for them
            f"{system.sandbox_url}/2010-04-01/Accounts/{account_sid}/Recordings/{recording_sid}.wav",
            params={"RequestedChannels": "2"},
            auth=(account_sid, token),
        )
        assert original.content == audio and audio[:16] not in path.read_bytes()
        # Everything `run` and its children keep under var/ is the owner's alone (Redis's AOF, keys, recordings).
        kept = {p: stat.S_IMODE(p.stat().st_mode) for p in system.var_dir.rglob("*") if p.is_file() or p.is_dir()}
        embedded_redis = not os.environ.get("TEST_REDIS_URL")  # the machine's Redis keeps its files elsewhere
        assert any("appendonly" in p.name for p in kept) or not embedded_redis
        assert stat.S_IMODE(system.var_dir.stat().st_mode) == 0o700
        assert kept == {p: 0o700 if p.is_dir() else 0o600 for p in kept}
        agent.post(f"/api/agent/contacts/{offer['contact']}/wrap-up", {"note": "", "next_state": "available"})
    finally:
        agent.post("/api/agent/state", {"state": "offline"})
        agent.close()
