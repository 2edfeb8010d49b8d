"""Business-hours calendars: weekly hours, China's public holidays and make-up days, extra days, and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from textwrap import dedent
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest

from ivr.calendar import CalendarError, Calendars
from ivr.calendar_file import load_calendars

SHIPPED = Path(__file__).resolve().parent.parent / "ivr" / "calendars.yaml"

# Weekdays 08:30-17:30 with a lunch gap; closed on CN public holidays, open on official make-up days.
OFFICE = """
office:
  hours:
    mon-fri: &day ["08:30-12:00", "13:00-17:30"]
  public_holidays: CN
  make_up_days: *day
"""


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, zone: str = "Asia/Shanghai") -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


def load(tmp_path: Path, text: str, default_timezone: str = "Asia/Shanghai") -> Calendars:
    path = tmp_path / "calendars.yaml"
    path.write_text(dedent(text), encoding="utf-8")
    return load_calendars(path, default_timezone)


def refusal(tmp_path: Path, text: str, default_timezone: str = "Asia/Shanghai") -> str:
    """The error for a broken file, without the file name it starts with."""
    path = tmp_path / "calendars.yaml"
    path.write_text(dedent(text), encoding="utf-8")
    with pytest.raises(CalendarError) as caught:
        load_calendars(path, default_timezone)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


@pytest.fixture
def office(tmp_path: Path) -> Calendars:
    return load(tmp_path, OFFICE)


# 2 to 8 March 2026 is an ordinary week (Monday to Sunday) with no public holiday.


def test_open_from_the_first_minute_of_a_range_until_its_end(office: Calendars) -> None:
    opening = {(8, 29): False, (8, 30): True, (11, 59): True, (12, 0): False, (13, 0): True, (17, 29): True}
    assert {hm: office.is_open("office", at(2026, 3, 2, *hm)) for hm in opening} == opening
    assert not office.is_open("office", at(2026, 3, 2, 17, 30))


def test_the_lunch_gap_is_closed_and_says_when_it_opens_again(office: Calendars) -> None:
    lunch = at(2026, 3, 3, 12, 15)
    assert not office.is_open("office", lunch)
    assert office.why("office", lunch) == "closed: outside hours (opens 13:00)"
    assert office.next_open("office", lunch) == at(2026, 3, 3, 13, 0)
    assert office.next_close("office", at(2026, 3, 3, 10, 0)) == at(2026, 3, 3, 12, 0)
    assert office.why("office", at(2026, 3, 3, 10, 0)) == "open (closes 12:00)"


def test_the_weekend_is_closed_and_next_open_is_monday_morning(office: Calendars) -> None:
    assert not office.is_open("office", at(2026, 3, 7, 10, 0))
    assert office.next_open("office", at(2026, 3, 6, 18, 0)) == at(2026, 3, 9, 8, 30)
    assert office.why("office", at(2026, 3, 7, 10, 0)) == "closed: outside hours (opens Mon 08:30)"


def test_next_open_and_next_close_are_the_instant_itself_when_already_there(office: Calendars) -> None:
    assert office.next_open("office", at(2026, 3, 2, 9, 0)) == at(2026, 3, 2, 9, 0)
    assert office.next_close("office", at(2026, 3, 2, 12, 30)) == at(2026, 3, 2, 12, 30)


def test_a_24_hour_calendar_never_closes(tmp_path: Path) -> None:
    hotline = load(tmp_path, 'hotline:\n  hours:\n    mon-sun: ["00:00-24:00"]\n')
    for moment in (at(2026, 3, 2, 0, 0), at(2026, 10, 1, 23, 59), at(2026, 2, 17, 3, 0)):
        assert hotline.is_open("hotline", moment)
        assert hotline.next_open("hotline", moment) == moment
        assert hotline.next_close("hotline", moment) is None
    assert hotline.why("hotline", at(2026, 3, 2)) == "open (does not close in the next 400 days)"


def test_whole_days_in_a_row_join_into_one_opening(tmp_path: Path) -> None:
    weekdays = load(tmp_path, 'desk:\n  hours:\n    mon-fri: ["00:00-24:00"]\n')
    assert weekdays.next_close("desk", at(2026, 3, 2, 10, 0)) == at(2026, 3, 7, 0, 0)
    assert weekdays.next_open("desk", at(2026, 3, 7, 10, 0)) == at(2026, 3, 9, 0, 0)


def test_national_day_is_closed_with_its_name(office: Calendars) -> None:
    national_day = at(2026, 10, 1, 10, 0)
    assert not office.is_open("office", national_day)
    assert office.why("office", national_day) == "closed: 国庆节 National Day (opens Thu 2026-10-08 08:30)"


def test_next_open_crosses_the_national_day_week(office: Calendars) -> None:
    # 1-7 October 2026 is the official break; Saturday 10 October is worked in exchange, Sunday 11 is not.
    assert office.next_open("office", at(2026, 9, 30, 17, 30)) == at(2026, 10, 8, 8, 30)
    assert office.next_open("office", at(2026, 10, 9, 18, 0)) == at(2026, 10, 10, 8, 30)
    assert office.next_open("office", at(2026, 10, 10, 18, 0)) == at(2026, 10, 12, 8, 30)


def test_an_official_make_up_working_day_opens_with_the_make_up_hours(office: Calendars) -> None:
    saturday = at(2026, 10, 10, 9, 0)
    assert saturday.weekday() == 5
    assert office.is_open("office", saturday)
    assert office.why("office", saturday) == "open: 调休上班 make-up working day (closes 12:00)"
    assert office.is_open("office", at(2026, 9, 20, 14, 0))  # a Sunday, worked for the National Day break
    assert not office.is_open("office", at(2026, 10, 11, 9, 0))  # the Sunday after: an ordinary weekend


def test_without_make_up_days_a_make_up_saturday_stays_closed(tmp_path: Path) -> None:
    calendars = load(tmp_path, 'office:\n  hours:\n    mon-fri: ["08:30-17:30"]\n  public_holidays: CN\n')
    assert not calendars.is_open("office", at(2026, 10, 10, 9, 0))
    assert not calendars.is_open("office", at(2026, 10, 1, 9, 0))


def test_extra_closed_and_open_dates(tmp_path: Path) -> None:
    calendars = load(
        tmp_path,
        OFFICE
        + """
  closed:
    2026-03-04: 公司年会 company meeting
    2026-03-05:
  open:
    2026-03-07: {hours: ["09:00-12:00"], label: 盘点 stocktaking}
    2026-10-02: {hours: ["09:00-12:00"]}
""",
    )
    assert calendars.why("office", at(2026, 3, 4, 10, 0)) == "closed: 公司年会 company meeting (opens Fri 08:30)"
    assert calendars.why("office", at(2026, 3, 5, 10, 0)) == "closed: day off (opens Fri 08:30)"
    assert calendars.why("office", at(2026, 3, 7, 10, 0)) == "open: 盘点 stocktaking (closes 12:00)"
    assert calendars.why("office", at(2026, 3, 7, 13, 0)) == "closed: outside hours (opens Mon 08:30)"
    assert calendars.next_open("office", at(2026, 3, 6, 18, 0)) == at(2026, 3, 7, 9, 0)
    # An open date wins over a public holiday.
    assert calendars.is_open("office", at(2026, 10, 2, 11, 0))
    assert not calendars.is_open("office", at(2026, 10, 2, 14, 0))


def test_holiday_breaks_close_the_weekend_days_inside_an_official_break(tmp_path: Path) -> None:
    daily = 'callbacks:\n  hours:\n    mon-sun: ["09:00-20:00"]\n  public_holidays: CN\n'
    plain, breaks = load(tmp_path, daily), load(tmp_path, daily + "  holiday_breaks: true\n")
    sunday_in_the_break = at(2026, 10, 4, 10, 0)
    assert plain.is_open("callbacks", sunday_in_the_break)
    assert not breaks.is_open("callbacks", sunday_in_the_break)
    assert breaks.why("callbacks", sunday_in_the_break) == "closed: 国庆节 National Day (opens Thu 09:00)"
    assert not breaks.is_open("callbacks", at(2026, 6, 21, 10, 0))  # Dragon Boat: Friday 19 to Sunday 21 June
    assert not breaks.is_open("callbacks", at(2026, 2, 15, 10, 0))  # the Sunday that starts the Spring Festival
    assert breaks.is_open("callbacks", at(2026, 10, 11, 10, 0))  # an ordinary Sunday
    assert breaks.is_open("callbacks", at(2026, 10, 10, 10, 0))  # a make-up Saturday


def test_an_instant_in_another_zone_is_judged_in_the_calendars_zone(office: Calendars) -> None:
    assert not office.is_open("office", datetime(2026, 3, 2, 0, 29, tzinfo=UTC))
    assert office.is_open("office", datetime(2026, 3, 2, 0, 30, tzinfo=UTC))  # 08:30 in Shanghai
    opens = office.next_open("office", datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    assert opens == at(2026, 3, 2, 8, 30) and opens.utcoffset() == timedelta(hours=8)


def test_a_calendar_without_a_time_zone_takes_the_default_and_one_with_a_time_zone_keeps_it(tmp_path: Path) -> None:
    text = """
        local:
          hours: {mon: ["09:00-17:00"]}
        shanghai:
          timezone: Asia/Shanghai
          hours: {mon: ["09:00-17:00"]}
    """
    calendars = load(tmp_path, text, default_timezone="Europe/London")
    london_morning = at(2026, 3, 2, 9, 0, zone="Europe/London")
    assert calendars.is_open("local", london_morning)
    assert not calendars.is_open("shanghai", london_morning)  # 17:00 in Shanghai


def test_opening_hours_follow_the_wall_clock_across_daylight_saving(tmp_path: Path) -> None:
    calendars = load(tmp_path, 'shop:\n  timezone: Europe/London\n  hours:\n    mon-sun: ["09:00-17:00"]\n')
    # Clocks go forward on Sunday 29 March 2026: 09:00 is 08:00 UTC that day, 09:00 UTC the day before.
    assert calendars.next_open("shop", at(2026, 3, 28, 18, 0, zone="Europe/London")) == datetime(
        2026, 3, 29, 8, 0, tzinfo=UTC
    )
    assert calendars.is_open("shop", datetime(2026, 3, 28, 16, 30, tzinfo=UTC))
    assert not calendars.is_open("shop", datetime(2026, 3, 29, 16, 30, tzinfo=UTC))


def test_a_whole_day_lasts_25_hours_when_the_clocks_go_back(tmp_path: Path) -> None:
    calendars = load(tmp_path, 'sunday:\n  timezone: Europe/London\n  hours:\n    sun: ["00:00-24:00"]\n')
    start = at(2026, 10, 25, 0, 0, zone="Europe/London")
    close = calendars.next_close("sunday", start)
    # Subtract in UTC: between two datetimes of one zone Python subtracts wall-clock times.
    assert close is not None and close.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=25)
    assert close == at(2026, 10, 26, 0, 0, zone="Europe/London")


def test_a_naive_datetime_is_refused(office: Calendars) -> None:
    for method in (office.is_open, office.next_open, office.next_close, office.why):
        with pytest.raises(ValueError, match="timezone-aware"):
            method("office", datetime(2026, 3, 2, 9, 0))


def test_an_unknown_calendar_name_lists_the_known_ones(tmp_path: Path) -> None:
    calendars = load(tmp_path, OFFICE + 'hotline:\n  hours:\n    mon-sun: ["00:00-24:00"]\n')
    assert "office" in calendars and "ofice" not in calendars
    with pytest.raises(KeyError, match="no calendar 'ofice'; the calendars are: office, hotline"):
        calendars.is_open("ofice", at(2026, 3, 2, 9, 0))


def test_a_calendar_that_never_opens_again_says_so(tmp_path: Path) -> None:
    calendars = load(tmp_path, 'fair:\n  open:\n    2025-05-01: {hours: ["09:00-17:00"], label: trade fair}\n')
    assert calendars.is_open("fair", at(2025, 5, 1, 10, 0))
    with pytest.raises(CalendarError, match="calendar 'fair' does not open in the 400 days after 2026-03-02"):
        calendars.next_open("fair", at(2026, 3, 2))
    assert calendars.why("fair", at(2026, 3, 2)) == "closed: outside hours (does not open in the next 400 days)"


def test_holidays_are_computed_once_a_year_not_once_a_call(office: Calendars, monkeypatch: pytest.MonkeyPatch) -> None:
    office.is_open("office", at(2030, 1, 2, 9, 0))
    calls: list[Any] = []
    real = holidays.country_holidays

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(holidays, "country_holidays", counted)
    answers = [office.is_open("office", at(2030, 1, 1) + timedelta(days=day, hours=10)) for day in range(100)]
    assert calls == []
    assert answers.count(True) > 50  # working days of 2030 were answered, not skipped


def test_the_shipped_calendars_load_and_behave_as_documented() -> None:
    calendars = load_calendars(SHIPPED, "Asia/Shanghai")
    assert calendars.names() == ["hotline", "office", "callbacks"]
    assert calendars.is_open("hotline", at(2026, 10, 1, 3, 0))
    assert calendars.next_close("hotline", at(2026, 2, 17, 3, 0)) is None
    assert not calendars.is_open("office", at(2026, 10, 1, 10, 0))
    assert calendars.is_open("office", at(2026, 10, 10, 10, 0))  # make-up Saturday
    assert calendars.next_open("office", at(2026, 3, 6, 17, 30)) == at(2026, 3, 9, 8, 30)
    assert not calendars.is_open("callbacks", at(2026, 10, 4, 10, 0))  # Sunday inside the National Day break
    assert calendars.is_open("callbacks", at(2026, 10, 11, 19, 59))
    assert not calendars.is_open("callbacks", at(2026, 10, 11, 20, 0))


UNKNOWN_COUNTRY = (
    "office.public_holidays: unknown country code 'XX' for public holidays: use an ISO code such as CN, HK or TW"
)
BROKEN = {
    "a time past 24:00": (
        'office:\n  hours:\n    mon: ["08:30-25:00"]\n',
        "office.hours.mon.0: '08:30-25:00': 25:00 is not a time of day (00:00 to 24:00)",
    ),
    "minutes past 59": (
        'office:\n  hours:\n    mon: ["08:75-12:00"]\n',
        "office.hours.mon.0: '08:75-12:00': 08:75 is not a time of day (00:00 to 24:00)",
    ),
    "not a range": (
        'office:\n  hours:\n    mon: ["8.30 to 12"]\n',
        "office.hours.mon.0: '8.30 to 12' is not a range of hours like '08:30-12:00'",
    ),
    "a range across midnight": (
        'night:\n  hours:\n    mon: ["09:00-12:00"]\n    fri: ["22:00-06:00"]\n',
        "night.hours.fri.0: '22:00-06:00' ends before it starts; a range may not cross midnight: "
        "split it into '22:00-24:00' and the next day's '00:00-06:00'",
    ),
    "an empty range": (
        'office:\n  hours:\n    mon: ["09:00-09:00"]\n',
        "office.hours.mon.0: '09:00-09:00' is empty: it ends when it starts",
    ),
    "overlapping ranges": (
        'office:\n  hours:\n    mon: ["13:00-17:30", "08:30-13:30"]\n',
        "office.hours.mon: 08:30-13:30 and 13:00-17:30 overlap",
    ),
    "an unknown weekday": (
        'office:\n  hours:\n    mond: ["08:30-17:30"]\n',
        "office.hours.mond: unknown weekday 'mond': use mon, tue, wed, thu, fri, sat, sun "
        "or a span in week order such as mon-fri",
    ),
    "a span backwards": (
        'office:\n  hours:\n    fri-mon: ["08:30-17:30"]\n',
        "office.hours.fri-mon: unknown weekday 'fri-mon': use mon, tue, wed, thu, fri, sat, sun "
        "or a span in week order such as mon-fri",
    ),
    "a weekday given twice": (
        'office:\n  hours:\n    mon-fri: ["08:30-17:30"]\n    mon: ["09:00-12:00"]\n',
        "office: hours: mon is given twice (mon-fri and mon)",
    ),
    "an unknown country code": (
        'office:\n  hours:\n    mon: ["08:30-17:30"]\n  public_holidays: XX\n',
        UNKNOWN_COUNTRY,
    ),
    "an unknown time zone": (
        'office:\n  timezone: Asia/Peking\n  hours:\n    mon: ["08:30-17:30"]\n',
        "office.timezone: unknown time zone 'Asia/Peking': use an IANA name such as Asia/Shanghai",
    ),
    "a date that does not exist": (
        'office:\n  hours:\n    mon: ["08:30-17:30"]\n  closed:\n    2026-02-30: 假日\n',
        "office.closed.2026-02-30: '2026-02-30' is not a date (day is out of range for month)",
    ),
    "a date in another form": (
        'office:\n  hours:\n    mon: ["08:30-17:30"]\n  open:\n    10/10/2026: {hours: ["09:00-12:00"]}\n',
        "office.open.10/10/2026: '10/10/2026' is not a date: write YYYY-MM-DD, e.g. 2026-10-01",
    ),
    "a date both closed and open": (
        'office:\n  hours:\n    mon: ["08:30-17:30"]\n  closed:\n    2026-12-31: 盘点\n'
        '  open:\n    2026-12-31: {hours: ["09:00-12:00"]}\n',
        "office: 2026-12-31 is listed both under closed and under open",
    ),
    "an open date without hours": (
        'office:\n  hours:\n    mon: ["08:30-17:30"]\n  open:\n    2026-12-26: {hours: []}\n',
        "office.open.2026-12-26: an open day needs hours; to close the day, list it under closed",
    ),
    "make-up days without a country": (
        'office:\n  hours:\n    mon: ["08:30-17:30"]\n  make_up_days: ["08:30-17:30"]\n',
        "office: make_up_days needs public_holidays (the country whose holiday schedule to follow)",
    ),
    "holiday breaks without a country": (
        'office:\n  hours:\n    mon: ["08:30-17:30"]\n  holiday_breaks: true\n',
        "office: holiday_breaks needs public_holidays (the country whose holiday schedule to follow)",
    ),
    "no hours at all": (
        "office:\n  hours:\n    mon: []\n  public_holidays: CN\n",
        "office: the calendar never opens: give hours for at least one weekday, or an open date",
    ),
    "a misspelt key": (
        'office:\n  hours:\n    mon: ["08:30-17:30"]\n  public_holiday: CN\n',
        "office.public_holiday: unknown key",
    ),
    "a name with a space": (
        'front desk:\n  hours:\n    mon: ["08:30-17:30"]\n',
        "front desk: a calendar name is 1 to 64 letters, digits, '_' or '-' (queues refer to it)",
    ),
    "an empty file": ("# nothing yet\n", "expected calendars by name, such as 'office:' with its hours under it"),
}


@pytest.mark.parametrize("text, error", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_file_is_refused_with_the_place_and_the_problem(tmp_path: Path, text: str, error: str) -> None:
    assert refusal(tmp_path, text) == error


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    text = 'office:\n  hours:\n    mon: ["08:30-25:00"]\n    sat: ["10:00-09:00"]\n  public_holidays: XX\n'
    assert refusal(tmp_path, text) == "; ".join(
        [
            "office.hours.mon.0: '08:30-25:00': 25:00 is not a time of day (00:00 to 24:00)",
            "office.hours.sat.0: '10:00-09:00' ends before it starts; a range may not cross midnight: "
            "split it into '10:00-24:00' and the next day's '00:00-09:00'",
            UNKNOWN_COUNTRY,
        ]
    )


def test_a_key_written_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    error = refusal(tmp_path, 'office:\n  hours:\n    mon: ["08:30-12:00"]\n    mon: ["13:00-17:30"]\n')
    assert error.startswith("not valid YAML (") and "'mon' appears twice" in error and "line 4" in error


def test_invalid_yaml_a_missing_file_and_a_bad_default_time_zone_are_refused(tmp_path: Path) -> None:
    assert refusal(tmp_path, "office: [unclosed\n").startswith("not valid YAML (")
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(CalendarError, match=f"{missing}: cannot read the calendars file"):
        load_calendars(missing, "Asia/Shanghai")
    assert refusal(tmp_path, OFFICE, default_timezone="Asia/Peking") == (
        "default time zone: unknown time zone 'Asia/Peking': use an IANA name such as Asia/Shanghai"
    )
