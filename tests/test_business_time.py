"""Business-time arithmetic for SLA clocks: open seconds between two instants, and the instant a budget runs out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.calendar import Calendar, CalendarError, Range, add_business, business_seconds
from ivr.calendar_file import load_calendars

SHIPPED = Path(__file__).resolve().parent.parent / "ivr" / "calendars.yaml"
CALENDARS = load_calendars(SHIPPED, "Asia/Shanghai")
OFFICE = CALENDARS["office"]  # 08:30-17:30 Monday to Friday, CN holidays closed, make-up days open
HOTLINE = CALENDARS["hotline"]  # 24/7
SHANGHAI, BERLIN = ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/Berlin")
HOUR, MINUTE = 3600, 60


def week(*days: tuple[Range, ...]) -> tuple[tuple[Range, ...], ...]:
    """Seven days of ranges, Monday first; days left out are closed."""
    return (*days, *(((),) * (7 - len(days))))


# Lunch from 12:00 to 13:00 is closed.
SPLIT = Calendar(name="split", zone=SHANGHAI, weekly=week(*[((510, 720), (780, 1050))] * 5))
# A night shift 22:00-02:00 on the nights from Monday to Friday: written, as a range may not cross midnight,
# as 22:00-24:00 Monday to Friday and 00:00-02:00 Tuesday to Saturday.
NIGHTS = Calendar(
    name="nights",
    zone=SHANGHAI,
    weekly=week(((1320, 1440),), *[((0, 120), (1320, 1440))] * 4, ((0, 120),)),
)
# 01:00-04:00 every day in Berlin: on Sunday 29 March 2026 the clocks jump from 02:00 to 03:00.
BERLIN_NIGHTS = Calendar(name="berlin-nights", zone=BERLIN, weekly=week(*[((60, 240),)] * 7))
BERLIN_ALWAYS = Calendar(name="berlin-always", zone=BERLIN, weekly=week(*[((0, 1440),)] * 7))


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def test_the_holidays_package_gives_the_2026_national_day_break_and_make_up_days_these_tests_assume() -> None:
    cn = holidays.country_holidays("CN", years=2026)
    assert sorted(day.day for day in cn if day.month == 10) == [1, 2, 3, 5, 6, 7]  # Sunday 4 is a weekend day
    assert {date(2026, 9, 20), date(2026, 10, 10)} <= set(cn.weekend_workdays)  # Sunday 20 Sep, Saturday 10 Oct


def test_thirty_business_minutes_from_friday_1715_end_on_monday_at_0845() -> None:
    assert add_business(OFFICE, at(2026, 3, 6, 17, 15), 30 * MINUTE) == at(2026, 3, 9, 8, 45)
    assert business_seconds(OFFICE, at(2026, 3, 6, 17, 15), at(2026, 3, 9, 8, 45)) == 30 * MINUTE


def test_the_result_is_in_utc() -> None:
    assert add_business(OFFICE, at(2026, 3, 6, 17, 15), 30 * MINUTE).tzinfo is UTC


def test_a_clock_that_runs_out_at_closing_time_ends_at_the_close_not_at_the_next_opening() -> None:
    assert add_business(OFFICE, at(2026, 3, 6, 17, 0), 30 * MINUTE) == at(2026, 3, 6, 17, 30)


def test_zero_seconds_give_the_start_when_open_and_the_next_opening_when_closed() -> None:
    assert add_business(OFFICE, at(2026, 3, 6, 10, 0), 0) == at(2026, 3, 6, 10, 0)
    assert add_business(OFFICE, at(2026, 3, 6, 17, 30), 0) == at(2026, 3, 9, 8, 30)  # the close is closed
    assert add_business(OFFICE, at(2026, 3, 7, 10, 0), 0) == at(2026, 3, 9, 8, 30)


def test_a_start_while_closed_counts_from_the_next_opening() -> None:
    assert add_business(OFFICE, at(2026, 3, 7, 10, 0), HOUR) == at(2026, 3, 9, 9, 30)
    assert add_business(OFFICE, at(2026, 3, 9, 6, 0), HOUR) == at(2026, 3, 9, 9, 30)


def test_the_national_day_week_does_not_count() -> None:
    assert add_business(OFFICE, at(2026, 9, 30, 17, 0), HOUR) == at(2026, 10, 8, 9, 0)
    assert business_seconds(OFFICE, at(2026, 9, 30), at(2026, 10, 9)) == 18 * HOUR  # Wed 30 Sep and Thu 8 Oct


def test_an_official_make_up_working_day_counts_as_open() -> None:
    # Saturday 10 October 2026 is worked; Sunday 11 is an ordinary weekend day.
    assert add_business(OFFICE, at(2026, 10, 9, 17, 0), 2 * HOUR) == at(2026, 10, 10, 10, 0)
    assert add_business(OFFICE, at(2026, 10, 10, 17, 0), HOUR) == at(2026, 10, 12, 9, 0)
    assert business_seconds(OFFICE, at(2026, 9, 20), at(2026, 9, 21)) == 9 * HOUR  # Sunday 20 September, worked
    assert business_seconds(OFFICE, at(2026, 9, 27), at(2026, 9, 28)) == 0  # the Sunday after: not worked


def test_48_business_hours_cross_the_spring_festival_break() -> None:
    # From Thu 12 Feb 2026 09:00: 8.5 h that day, Fri 13, Sat 14 (a make-up day), then the break (Sun 15 to
    # Mon 23), then Tue 24 and Wed 25: 44.5 h, and 3.5 h of Thursday 26.
    assert add_business(OFFICE, at(2026, 2, 12, 9, 0), 48 * HOUR) == at(2026, 2, 26, 12, 0)


def test_the_lunch_hour_of_a_split_shift_does_not_count() -> None:
    assert add_business(SPLIT, at(2026, 3, 2, 10, 0), 4 * HOUR) == at(2026, 3, 2, 15, 0)
    assert add_business(SPLIT, at(2026, 3, 2, 11, 0), HOUR) == at(2026, 3, 2, 12, 0)
    assert add_business(SPLIT, at(2026, 3, 2, 12, 15), 30 * MINUTE) == at(2026, 3, 2, 13, 30)
    assert business_seconds(SPLIT, at(2026, 3, 2, 11, 0), at(2026, 3, 2, 14, 0)) == 2 * HOUR
    assert business_seconds(SPLIT, at(2026, 3, 2), at(2026, 3, 3)) == 8 * HOUR


def test_hours_past_midnight_run_on_into_the_next_day() -> None:
    # Monday 23:00: one hour to midnight and two after it; three hours end as the shift ends, Tuesday 02:00.
    assert add_business(NIGHTS, at(2026, 3, 2, 23, 0), 3 * HOUR) == at(2026, 3, 3, 2, 0)
    # Friday 23:00: one hour, two on Saturday morning, none Saturday or Sunday night, one from Monday 22:00.
    assert add_business(NIGHTS, at(2026, 3, 6, 23, 0), 4 * HOUR) == at(2026, 3, 9, 23, 0)
    assert add_business(NIGHTS, at(2026, 3, 3, 12, 0), 30 * MINUTE) == at(2026, 3, 3, 22, 30)
    assert business_seconds(NIGHTS, at(2026, 3, 2, 23, 30), at(2026, 3, 3, 1, 30)) == 2 * HOUR


def test_a_24_7_calendar_counts_plain_time_even_past_the_400_day_search_horizon() -> None:
    start = at(2026, 2, 16, 9, 0)  # a public holiday: the hotline is open anyway
    for seconds in (0, 1.5, 17 * HOUR, 500 * 24 * HOUR):
        assert add_business(HOTLINE, start, seconds) == start + timedelta(seconds=seconds)
    assert business_seconds(HOTLINE, start, start + timedelta(days=500)) == 500 * 24 * HOUR


def test_across_the_spring_dst_change_business_time_is_real_elapsed_time() -> None:
    # Sunday 29 March 2026 in Berlin: 01:00-04:00 on the wall clock is two real hours.
    assert business_seconds(BERLIN_NIGHTS, at(2026, 3, 29, zone=BERLIN), at(2026, 3, 30, zone=BERLIN)) == 2 * HOUR
    # From Saturday 01:00: three hours that night, then one real hour from Sunday 01:00 CET ends at 03:00 CEST.
    end = add_business(BERLIN_NIGHTS, at(2026, 3, 28, 1, 0, zone=BERLIN), 4 * HOUR)
    assert end == at(2026, 3, 29, 3, 0, zone=BERLIN) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    # Always open: the Sunday is 23 hours long, and 24 hours from Saturday noon end at 13:00 on Sunday's clock.
    assert business_seconds(BERLIN_ALWAYS, at(2026, 3, 29, zone=BERLIN), at(2026, 3, 30, zone=BERLIN)) == 23 * HOUR
    assert add_business(BERLIN_ALWAYS, at(2026, 3, 28, 12, 0, zone=BERLIN), 24 * HOUR) == at(
        2026, 3, 29, 13, 0, zone=BERLIN
    )


def test_across_the_autumn_dst_change_a_whole_day_counts_25_hours() -> None:
    day, next_day = at(2026, 10, 25, zone=BERLIN), at(2026, 10, 26, zone=BERLIN)
    assert business_seconds(BERLIN_ALWAYS, day, next_day) == 25 * HOUR
    assert business_seconds(BERLIN_NIGHTS, day, next_day) == 4 * HOUR  # 01:00-04:00 with 02:00-03:00 twice


def test_business_seconds_are_zero_when_the_end_is_not_after_the_start() -> None:
    assert business_seconds(OFFICE, at(2026, 3, 2, 17, 0), at(2026, 3, 2, 9, 0)) == 0
    assert business_seconds(OFFICE, at(2026, 3, 2, 10, 0), at(2026, 3, 2, 10, 0)) == 0


def test_a_calendar_that_never_opens_again_is_an_error_that_says_so() -> None:
    fair = Calendar(name="fair", zone=SHANGHAI, weekly=week(), open={date(2026, 5, 1): (((540, 1020),), "trade fair")})
    assert add_business(fair, at(2026, 4, 1), 8 * HOUR) == at(2026, 5, 1, 17, 0)
    with pytest.raises(CalendarError, match=r"calendar 'fair' does not open in the 400 days after 2026-05-01T17:00"):
        add_business(fair, at(2026, 4, 1), 9 * HOUR)
    with pytest.raises(CalendarError, match=r"with 3600 of 32400 business seconds from 2026-04-01T00:00:00\+08:00"):
        add_business(fair, at(2026, 4, 1), 9 * HOUR)
    with pytest.raises(CalendarError, match="calendar 'fair' does not open in the 400 days after 2026-06-01"):
        add_business(fair, at(2026, 6, 1), 0)


def test_naive_datetimes_and_negative_or_infinite_budgets_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business(OFFICE, datetime(2026, 3, 2, 9, 0), HOUR)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_seconds(OFFICE, at(2026, 3, 2), datetime(2026, 3, 3))
    for seconds in (-1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="finite number >= 0"):
            add_business(OFFICE, at(2026, 3, 2), seconds)


PROPERTIES = settings(max_examples=200, derandomize=True, database=None, deadline=None, print_blob=False)
calendars = st.sampled_from([OFFICE, CALENDARS["callbacks"], SPLIT, NIGHTS, BERLIN_NIGHTS])
instants = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 1, 31), timezones=st.just(UTC))
budgets = st.one_of(st.integers(0, 200 * HOUR), st.floats(0, 200 * HOUR))


@PROPERTIES
@given(calendars, instants, budgets)
def test_the_business_seconds_up_to_add_business_are_the_budget_and_it_is_the_earliest_such_instant(
    calendar: Calendar, start: datetime, seconds: float
) -> None:
    end = add_business(calendar, start, seconds)
    assert end >= start
    assert abs(business_seconds(calendar, start, end) - seconds) <= 1e-6
    if seconds > 0:  # a microsecond earlier the budget has not run out: the clock did not end inside a closed time
        assert business_seconds(calendar, start, end - timedelta(microseconds=1)) < seconds


@PROPERTIES
@given(calendars, instants, instants, budgets, budgets)
def test_add_business_never_goes_back_for_a_later_start_or_a_bigger_budget(
    calendar: Calendar, first: datetime, second: datetime, small: float, big: float
) -> None:
    first, second = sorted((first, second))
    small, big = sorted((small, big))
    assert add_business(calendar, first, small) <= add_business(calendar, first, big)
    assert add_business(calendar, first, small) <= add_business(calendar, second, small)
    assert business_seconds(calendar, first, second) <= (second - first).total_seconds()


@PROPERTIES
@given(calendars, instants, budgets)
def test_counting_starts_at_the_next_opening(calendar: Calendar, start: datetime, seconds: float) -> None:
    opening = calendar.next_open(start)
    assert add_business(calendar, start, 0) == opening
    assert add_business(calendar, start, seconds) == add_business(calendar, opening, seconds)
    assert business_seconds(calendar, start, opening) == 0


@PROPERTIES
@given(instants, budgets)
def test_a_24_7_calendar_adds_plain_time(start: datetime, seconds: float) -> None:
    assert add_business(HOTLINE, start, seconds) == start + timedelta(seconds=seconds)
    assert business_seconds(HOTLINE, start, start + timedelta(seconds=seconds)) == pytest.approx(seconds, abs=1e-6)
