"""Timestamps are kept as their UTC instant on both databases. Before: SQLite kept an aware value's
wall-clock digits and dropped its zone, so a callback scheduled for 10:00 in Shanghai read back as 10:00
UTC (18:00 in Shanghai), and rows written in different zones no longer sorted or compared in order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from contactcenter.callbacks.models import Callback, CallbackStatus
from contactcenter.contacts.models import Contact
from contactcenter.db import Database

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def database(new_database: Callable[[], str]) -> Iterator[Database]:
    db = Database(new_database())
    db.upgrade()
    yield db
    db.dispose()


def test_a_time_given_in_the_hotlines_zone_reads_back_as_the_same_instant(database: Database) -> None:
    ten_in_shanghai = datetime(2026, 12, 8, 10, 0, tzinfo=SHANGHAI)
    with database.session() as session:
        contact = Contact(
            provider_id="CA-utc",
            channel="voice",
            direction="inbound",
            from_number="+8613800138000",
            to_number="+862180000000",
            identity_verified=False,
        )
        session.add(contact)
        session.flush()
        session.add(
            Callback(
                contact_id=contact.id,
                phone="+8613800138000",
                queue="general",
                status=CallbackStatus.SCHEDULED,
                scheduled_for=ten_in_shanghai,
            )
        )
    with database.session() as session:
        stored = session.scalars(select(Callback.scheduled_for)).one()
    assert stored == ten_in_shanghai and stored.tzinfo is not None
    assert stored.astimezone(UTC) == datetime(2026, 12, 8, 2, 0, tzinfo=UTC)


def test_times_written_in_different_zones_compare_and_sort_as_instants(database: Database) -> None:
    base = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
    times = {"early-shanghai": base.astimezone(SHANGHAI), "late-utc": base + timedelta(hours=1)}
    with database.session() as session:
        for sid, at in times.items():
            session.add(
                Contact(
                    provider_id=sid,
                    channel="voice",
                    direction="inbound",
                    from_number="+1",
                    to_number="+2",
                    identity_verified=False,
                    created_at=at,
                )
            )
    with database.session() as session:
        ordered = session.scalars(select(Contact.provider_id).order_by(Contact.created_at)).all()
        after = session.scalars(
            select(Contact.provider_id).where(Contact.created_at > base + timedelta(minutes=30))
        ).all()
    assert ordered == ["early-shanghai", "late-utc"] and after == ["late-utc"]
