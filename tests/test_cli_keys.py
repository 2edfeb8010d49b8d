"""`contactcenter keys …`: a new master key, rotation to it and migration of plain files, run in process as an
operator runs them (settings from the environment)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from contactcenter import cli
from contactcenter.attachments.models import TicketAttachment
from contactcenter.attachments.service import ATTACHMENT_LABEL as LABEL
from contactcenter.db import Database
from contactcenter.settings import new_master_key
from contactcenter.tickets.models import Ticket
from recordings.crypto import MasterKeys
from recordings.models import Recording
from recordings.storage import read_audio, seal, store_encrypted
from tests.environment import clear_settings
from tests.inprocess import DemoDatabase

AUDIO = b"RIFF" + bytes(range(256)) * 300


def outcome(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = cli.main(["keys", *args])
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_keys_generate_rotate_migrate_and_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], demo_database: DemoDatabase
) -> None:
    clear_settings(monkeypatch, tmp_path)
    assert cli.main(["keys", "generate"]) == 0
    old = capsys.readouterr().out.strip()
    assert len(base64.b64decode(old)) == 32 and old != new_master_key()
    url = demo_database.copy(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    root = tmp_path / "var" / "recordings"
    plain = root / "REplain.wav"
    plain.parent.mkdir(parents=True)
    plain.write_bytes(AUDIO)
    db = Database(url)
    with db.session() as session:
        sealed = Recording(provider_sid="REsealed", call_sid="CA1", status="stored")
        session.add_all([sealed, Recording(provider_sid="REplain", call_sid="CA2", status="stored", path=str(plain))])
        session.flush()
        store_encrypted(
            sealed, AUDIO, target=root / "REsealed.wav.enc", keys=MasterKeys([base64.b64decode(old)]), root=root
        )
        ticket = Ticket(subject="with a photo")
        session.add(ticket)
        session.flush()
        photo = seal(
            AUDIO, object_id=7, target=root / "7.enc", keys=MasterKeys([base64.b64decode(old)]), root=root, label=LABEL
        )
        session.add(
            TicketAttachment(
                id=7,
                ticket_id=ticket.id,
                file_name="photo.png",
                content_type="image/png",
                size_bytes=photo.size,
                sha256=photo.sha256,
                path=str(root / "7.enc"),
                key_id=photo.key_id,
                wrapped_key=photo.wrapped_key,
            )
        )

    new = new_master_key()
    monkeypatch.setenv("RECORDINGS_MASTER_KEY", new)
    monkeypatch.setenv("RECORDINGS_OLD_MASTER_KEYS", old)
    new_id = MasterKeys([base64.b64decode(new)]).current_id
    assert outcome(capsys, "status") == (0, {"key_id": new_id, "plain": 1, "left": {sealed.key_id: 2}})
    rotated = {"rewrapped": 2, "key_id": new_id, "unopened": [], "unopened_attachments": [], "left": {}}
    assert outcome(capsys, "rotate") == (0, rotated)
    assert outcome(capsys, "migrate") == (0, {"encrypted": 1, "missing": [], "altered": []})
    assert outcome(capsys, "status") == (0, {"key_id": new_id, "plain": 0, "left": {}})
    only_new = MasterKeys([base64.b64decode(new)])
    with db.session() as session:
        for recording in session.query(Recording).where(Recording.provider_sid.in_(["REsealed", "REplain"])):
            assert recording.key_id == new_id and read_audio(recording, only_new) == AUDIO
    db.dispose()
    assert not plain.exists()

    monkeypatch.setenv("RECORDINGS_MASTER_KEY", "too-short")
    assert cli.main(["keys", "status"]) == 2
    assert "too-short" not in capsys.readouterr().err  # a bad key is not repeated in the message
