"""Whether a moment falls in a shift: weekly hours, hours past midnight, dated exceptions, the hotline's
time zone (contactcenter/users/shifts.py); and the shape a shift must have."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from contactcenter.users.models import Shift
from contactcenter.users.schemas import ShiftPattern
from contactcenter.users.shifts import on_shift

TZ = "Asia/Shanghai"  # UTC+8, no summer time


SHIFT = Shift(
    weekly={"mon": [["09:00", "18:00"]], "fri": [["22:00", "06:00"]], "sun": [["00:00", "24:00"]]},
    exceptions={"2026-12-14": [], "2026-12-15": [["10:00", "12:00"]]},
)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-12-07 09:00", True),  # Monday, the start counts
        ("2026-12-07 17:59", True),
        ("2026-12-07 18:00", False),  # the end does not
        ("2026-12-07 08:59", False),
        ("2026-12-08 10:00", False),  # Tuesday: no hours
        ("2026-12-11 23:30", True),  # Friday night...
        ("2026-12-12 05:59", True),  # ...into Saturday morning
        ("2026-12-12 06:00", False),
        ("2026-12-13 23:59", True),  # Sunday, all day
        ("2026-12-14 10:00", False),  # a Monday off (exception)
        ("2026-12-15 11:00", True),  # a Tuesday with hours (exception)
        ("2026-12-15 12:30", False),
    ],
)
def test_a_moment_is_in_the_shift_in_the_hotlines_time_zone(moment: str, expected: bool) -> None:
    at = datetime.fromisoformat(moment + "+08:00").astimezone(UTC)
    assert on_shift(SHIFT, at=at, timezone=TZ) is expected


def test_utc_times_are_judged_in_local_time() -> None:
    # 01:30 UTC on Monday is 09:30 in Shanghai (on shift); 12:00 UTC is 20:00 there (off).
    assert on_shift(SHIFT, at=datetime(2026, 12, 7, 1, 30, tzinfo=UTC), timezone=TZ)
    assert not on_shift(SHIFT, at=datetime(2026, 12, 7, 12, 0, tzinfo=UTC), timezone=TZ)


def test_a_shift_must_name_real_days_and_hours() -> None:
    ShiftPattern.model_validate({"weekly": {"mon": [["09:00", "18:00"]]}, "exceptions": {"2026-10-01": []}})
    bad: dict[str, Any]
    for bad in (
        {"weekly": {"monday": [["09:00", "18:00"]]}},
        {"weekly": {"mon": [["9:00", "18:00"]]}},
        {"weekly": {"mon": [["09:00", "25:00"]]}},
        {"weekly": {"mon": [["09:00", "09:00"]]}},
        {"exceptions": {"2026-13-01": []}},
    ):
        with pytest.raises(ValidationError):
            ShiftPattern.model_validate(bad)
