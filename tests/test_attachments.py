"""Tickets' attachments on the in-process system: uploaded files come back as they were and are sealed on
disk, the size and the type (by the bytes, not the name) are checked, names are sanitized, the ticket's
scope decides who may add, list and download, and every download is in the access log."""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from contactcenter.attachments.files import KINDS, safe_file_name
from contactcenter.attachments.models import TicketAttachment
from contactcenter.attachments.service import ATTACHMENT_FILES, ATTACHMENT_LABEL, AttachmentUnreadable, opened
from contactcenter.audit.models import AccessEntry, AuditEvent
from contactcenter.context import Services
from contactcenter.settings import new_master_key
from recordings.crypto import MasterKeys, RecordingCryptoError
from recordings.storage import remaining_on_old_keys, rotate
from tests.conftest import System
from tests.desk import make_ticket
from tests.test_ticket_desk_api import services_of

PNG = b"\x89PNG\r\n\x1a\n" + bytes((i * 31) % 256 for i in range(70_000))  # more than one sealed chunk
PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 200 + b"%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(500)  # a Windows program's first bytes
KIND = {kind.content_type: kind for kind in KINDS}


@pytest.fixture(scope="module")
def agent1(system: System) -> httpx.Client:
    return system.login("agent1")


@pytest.fixture(scope="module")
def manager(system: System) -> httpx.Client:
    return system.login("manager")


def upload(client: httpx.Client, ticket: int, name: str, data: bytes, claimed: str = "image/png") -> httpx.Response:
    return client.post(f"/api/tickets/{ticket}/attachments", files={"file": (name, data, claimed)})


def stored_files(services: Services) -> set[Path]:
    root = services.settings.attachments_path
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def attachment_count(services: Services) -> int:
    with services.db.reading() as session:
        return len(session.scalars(select(TicketAttachment.id)).all())


def test_a_png_and_a_pdf_come_back_as_uploaded_and_are_sealed_on_disk(system: System, agent1: httpx.Client) -> None:
    services = services_of(system)
    ticket = make_ticket(services, category="repair", queue="general")
    added = [upload(agent1, ticket, "机器.png", PNG), upload(agent1, ticket, "保修单.pdf", PDF, "application/pdf")]
    assert [a.status_code for a in added] == [201, 201], [a.text for a in added]
    for response, plain, content_type in zip(added, (PNG, PDF), ("image/png", "application/pdf"), strict=True):
        attachment = response.json()
        assert attachment["content_type"] == content_type and attachment["size_bytes"] == len(plain)
        assert attachment["sha256"] == hashlib.sha256(plain).hexdigest()
        served = agent1.get(attachment["url"])
        assert served.status_code == 200 and served.content == plain
        assert served.headers["content-type"] == content_type
        assert served.headers["x-content-type-options"] == "nosniff"
        with services.db.reading() as session:
            path = Path(session.get_one(TicketAttachment, attachment["id"]).path)
        sealed = path.read_bytes()
        assert plain[:4096] not in sealed and len(sealed) > len(plain)  # encrypted, with its tags
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    listed = agent1.get(f"/api/tickets/{ticket}/attachments").json()["attachments"]
    assert [a["file_name"] for a in listed] == ["机器.png", "保修单.pdf"]
    assert listed[0]["uploaded_by"] == "王芳 Wang Fang" and listed[0]["inline"] is True
    with services.db.reading() as session:
        events = session.scalars(
            select(AuditEvent.data).where(
                AuditEvent.subject_type == "ticket",
                AuditEvent.subject_id == str(ticket),
                AuditEvent.kind == "attachment_added",
            )
        ).all()
    assert [e["file_name"] for e in events] == ["机器.png", "保修单.pdf"]
    assert events[0]["sha256"] == hashlib.sha256(PNG).hexdigest()


def test_a_range_of_a_download_is_the_same_bytes_of_the_file(system: System, agent1: httpx.Client) -> None:
    ticket = make_ticket(services_of(system), category="repair", queue="general")
    url = upload(agent1, ticket, "a.png", PNG).json()["url"]
    part = agent1.get(url, headers={"Range": "bytes=65530-65545"})
    assert part.status_code == 206 and part.content == PNG[65530:65546]


def test_a_file_past_the_size_limit_is_refused_413_and_nothing_is_stored(system: System, agent1: httpx.Client) -> None:
    services = services_of(system)
    ticket = make_ticket(services, category="repair", queue="general")
    limit = services.settings.attachment_max_bytes
    before = (stored_files(services), attachment_count(services))
    just_over = upload(agent1, ticket, "big.png", PNG[:16] + bytes(limit - 15))
    far_over = upload(agent1, ticket, "huge.png", PNG[:16] + bytes(limit + 200_000))  # refused by its length
    for refused in (just_over, far_over):
        assert refused.status_code == 413 and refused.json()["code"] == "too_large"
        assert "10 MB" in refused.json()["error"]
    assert f"this file is {limit + 1} bytes" in just_over.json()["error"]
    assert (stored_files(services), attachment_count(services)) == before


def test_a_program_named_png_is_refused_415_naming_the_types_taken(system: System, agent1: httpx.Client) -> None:
    services = services_of(system)
    ticket = make_ticket(services, category="repair", queue="general")
    before = (stored_files(services), attachment_count(services))
    refused = upload(agent1, ticket, "photo.png", EXE, "image/png")
    assert refused.status_code == 415
    body = refused.json()
    assert body["allowed"] == ["image/jpeg", "image/png", "image/webp", "application/pdf"]
    assert "JPEG, PNG, WebP, PDF" in body["error"]
    assert (stored_files(services), attachment_count(services)) == before
    assert upload(agent1, ticket, "empty.png", b"").status_code == 400
    assert agent1.post(f"/api/tickets/{ticket}/attachments", json={"file": "x"}).status_code == 400


def test_a_png_named_exe_is_kept_as_a_png_and_images_alone_are_shown_inline(
    system: System, agent1: httpx.Client
) -> None:
    ticket = make_ticket(services_of(system), category="repair", queue="general")
    image = upload(agent1, ticket, "..\\..\\photo\u202egnp.exe", PNG, "application/x-msdownload").json()
    assert image["file_name"] == "photognp.exe.png" and image["content_type"] == "image/png"
    assert agent1.get(image["url"]).headers["content-disposition"].startswith('attachment; filename="photognp.exe.png"')
    assert agent1.get(image["url"], params={"inline": "1"}).headers["content-disposition"].startswith("inline;")
    pdf = upload(agent1, ticket, "form.pdf", PDF, "application/pdf").json()
    assert agent1.get(pdf["url"], params={"inline": "1"}).headers["content-disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("raw", "kind", "kept"),
    [
        ("../../etc/passwd", "image/png", "passwd.png"),
        ("C:\\Users\\王\\保修卡.JPG", "image/jpeg", "保修卡.jpg"),
        ('a"b;c%d<e>.pdf', "application/pdf", "a_b_c_d_e_.pdf"),
        ("   .hidden.webp", "image/webp", "hidden.webp"),
        ("CON.png", "image/png", "_CON.png"),
        ("line\r\nbreak\x00.png", "image/png", "linebreak.png"),
        ("", "application/pdf", "attachment.pdf"),
        ("x" * 300 + ".png", "image/png", "x" * 116 + ".png"),
    ],
)
def test_a_file_name_is_kept_without_paths_controls_or_a_wrong_suffix(raw: str, kind: str, kept: str) -> None:
    assert safe_file_name(raw, KIND[kind]) == kept


def test_an_agent_outside_the_tickets_scope_gets_404_and_qa_reads_but_adds_nothing(
    system: System, agent1: httpx.Client, manager: httpx.Client
) -> None:
    ticket = make_ticket(services_of(system), category="order", queue="orders")  # agent1 does not serve it
    added = upload(manager, ticket, "receipt.png", PNG)
    assert added.status_code == 201
    for refused in (
        upload(agent1, ticket, "mine.png", PNG),
        agent1.get(f"/api/tickets/{ticket}/attachments"),
        agent1.get(added.json()["url"]),
    ):
        assert refused.status_code == 404 and refused.json()["policy"] is True
        assert "receipt" not in refused.text
    assert upload(system.login("qa"), ticket, "qa.png", PNG).status_code == 403


def test_a_download_is_in_the_access_log_with_who_and_what(system: System, agent1: httpx.Client) -> None:
    services = services_of(system)
    ticket = make_ticket(services, category="repair", queue="general")
    attachment = upload(agent1, ticket, "a.png", PNG).json()
    assert agent1.get(attachment["url"]).status_code == 200
    agent1.get(attachment["url"], headers={"Range": "bytes=100-200"})  # the same download, not logged again
    with services.db.reading() as session:
        entries = session.execute(
            select(AccessEntry.username, AccessEntry.action).where(
                AccessEntry.object_type == "attachment", AccessEntry.object_id == str(attachment["id"])
            )
        ).all()
    assert [tuple(e) for e in entries] == [("agent1", "download")]


def test_a_merged_ticket_takes_no_attachment(system: System, agent1: httpx.Client) -> None:
    services = services_of(system)
    ticket, into = (make_ticket(services, category="repair", queue="general") for _ in range(2))
    assert agent1.post(f"/api/tickets/{ticket}/merge", json={"into": into}).status_code == 200
    refused = upload(agent1, ticket, "late.png", PNG)
    assert refused.status_code == 409 and refused.json()["code"] == "ticket_merged"


def test_rotation_rewraps_attachments_keys_and_leaves_their_files_as_they_are(
    system: System, agent1: httpx.Client
) -> None:
    services = services_of(system)
    attachment = upload(agent1, make_ticket(services, category="repair", queue="general"), "a.png", PNG).json()
    with services.db.reading() as session:
        path = Path(session.get_one(TicketAttachment, attachment["id"]).path)
    before = path.read_bytes()
    new_key, current = base64.b64decode(new_master_key()), services.settings.recordings_master_keys()
    rotated = MasterKeys([new_key, *current])
    assert rotate(db=services.db, keys=rotated, files=ATTACHMENT_FILES).rewrapped >= 1
    assert remaining_on_old_keys(db=services.db, keys=rotated, files=ATTACHMENT_FILES) == {}
    found = opened(services.db, attachment["id"], MasterKeys([new_key]))
    assert found is not None and path.read_bytes() == before
    with found[1].reader() as reader:
        assert reader.read_all() == PNG
    with pytest.raises(AttachmentUnreadable):
        opened(services.db, attachment["id"], MasterKeys(current))
    rotate(db=services.db, keys=MasterKeys([*current, new_key]), files=ATTACHMENT_FILES)  # back to the app's key
    assert agent1.get(attachment["url"]).content == PNG


def test_a_recordings_wrapped_key_does_not_open_as_an_attachments_of_the_same_id() -> None:
    keys = MasterKeys([base64.b64decode(new_master_key())])
    wrapped = keys.wrap(b"k" * 32, recording_id=7)
    assert keys.unwrap(wrapped, recording_id=7) == b"k" * 32
    with pytest.raises(RecordingCryptoError):
        keys.unwrap(wrapped, recording_id=7, label=ATTACHMENT_LABEL)
