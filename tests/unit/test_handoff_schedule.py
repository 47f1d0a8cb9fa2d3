"""Staffing hours in the schedule's own time zone, holidays, the next opening, and the wait estimate."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.handoff.schedule import (
    ASSUMED_HANDLE_S,
    MIN_HANDLE_SAMPLES,
    Staffing,
    typical_handle_s,
    wait_estimate,
)

ROOT = Path(__file__).resolve().parents[2]
LONDON = ZoneInfo("Europe/London")
# Monday–Friday 09:00–21:00, Saturday 10:00–16:00, closed on Sundays; London time.
WEEK = {
    "time_zone": "Europe/London",
    "hours": {
        **{day: ["09:00-21:00"] for day in ("monday", "tuesday", "wednesday", "thursday", "friday")},
        "saturday": ["10:00-16:00"],
        "sunday": [],
    },
    "holidays": [date(2026, 12, 25), "2027-01-01"],
}


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def staffing() -> Staffing:
    return Staffing.from_mapping(WEEK)


def test_a_weekday_is_open_between_nine_and_nine_london_time(staffing: Staffing) -> None:
    # Monday 23 November 2026: London is on GMT, so UTC and local agree.
    assert not staffing.is_open(utc(2026, 11, 23, 8, 59))
    assert staffing.is_open(utc(2026, 11, 23, 9, 0))
    assert staffing.is_open(utc(2026, 11, 23, 20, 59))
    assert not staffing.is_open(utc(2026, 11, 23, 21, 0))


def test_hours_are_read_in_the_schedules_zone_not_utc(staffing: Staffing) -> None:
    # Monday 15 June 2026, British Summer Time (UTC+1): 08:30 UTC is 09:30 in London, 20:30 UTC is 21:30.
    assert staffing.is_open(utc(2026, 6, 15, 8, 30))
    assert not staffing.is_open(utc(2026, 6, 15, 20, 30))
    # The same instant given in another zone (11:30 in Bucharest, UTC+3) is the same answer.
    assert staffing.is_open(datetime(2026, 6, 15, 11, 30, tzinfo=ZoneInfo("Europe/Bucharest")))


def test_saturday_has_shorter_hours_and_sunday_is_closed(staffing: Staffing) -> None:
    assert not staffing.is_open(utc(2026, 11, 28, 9, 30))
    assert staffing.is_open(utc(2026, 11, 28, 10, 0))
    assert not staffing.is_open(utc(2026, 11, 28, 16, 0))
    assert not staffing.is_open(utc(2026, 11, 29, 12, 0))


def test_a_holiday_is_closed_whatever_the_weekday(staffing: Staffing) -> None:
    assert not staffing.is_open(utc(2026, 12, 25, 12, 0))  # a Friday
    assert not staffing.is_open(utc(2027, 1, 1, 12, 0))  # a Friday, given as a string
    assert staffing.is_open(utc(2026, 12, 24, 12, 0))


def test_when_open_the_next_opening_is_now(staffing: Staffing) -> None:
    now = utc(2026, 11, 23, 12, 0)
    assert staffing.next_opening(now) == now


def test_the_next_opening_later_the_same_day(staffing: Staffing) -> None:
    opening = staffing.next_opening(utc(2026, 11, 23, 7, 0))
    assert opening == datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)
    assert opening is not None and opening.tzinfo == LONDON


def test_the_next_opening_across_a_weekend(staffing: Staffing) -> None:
    # Saturday after closing → Monday 09:00, past the closed Sunday.
    assert staffing.next_opening(utc(2026, 11, 28, 17, 0)) == datetime(2026, 11, 30, 9, 0, tzinfo=LONDON)
    # Friday night → Saturday's later opening.
    assert staffing.next_opening(utc(2026, 11, 27, 22, 0)) == datetime(2026, 11, 28, 10, 0, tzinfo=LONDON)


def test_the_next_opening_skips_a_holiday(staffing: Staffing) -> None:
    # Thursday 24 December after closing: Friday 25 is a holiday, so Saturday 26 at 10:00.
    assert staffing.next_opening(utc(2026, 12, 24, 21, 30)) == datetime(2026, 12, 26, 10, 0, tzinfo=LONDON)
    # Thursday 31 December after closing: New Year's Day, then Saturday 2 January.
    assert staffing.next_opening(utc(2026, 12, 31, 22, 0)) == datetime(2027, 1, 2, 10, 0, tzinfo=LONDON)


def test_the_next_opening_in_summer_time_is_local(staffing: Staffing) -> None:
    opening = staffing.next_opening(utc(2026, 6, 15, 5, 0))
    assert opening == datetime(2026, 6, 15, 9, 0, tzinfo=LONDON)
    assert opening is not None and opening.astimezone(UTC).hour == 8


def test_a_schedule_without_hours_never_opens() -> None:
    closed = Staffing.from_mapping({"time_zone": "Europe/London", "hours": {}, "holidays": []})
    assert not closed.is_open(utc(2026, 11, 23, 12, 0))
    assert closed.next_opening(utc(2026, 11, 23, 12, 0)) is None


def test_a_range_may_end_at_midnight() -> None:
    late = Staffing.from_mapping({"time_zone": "UTC", "hours": {"friday": ["18:00-24:00"]}})
    assert late.is_open(utc(2026, 11, 27, 23, 59))
    assert not late.is_open(utc(2026, 11, 28, 0, 0))


@pytest.mark.parametrize("text", ["9:00-17:00", "21:00-09:00", "10:00-10:00", "24:00-24:00", "09:60-10:00"])
def test_a_malformed_or_overnight_range_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Staffing.from_mapping({"time_zone": "UTC", "hours": {"monday": [text]}})


def test_an_unknown_weekday_is_refused() -> None:
    with pytest.raises(ValueError, match="funday"):
        Staffing.from_mapping({"time_zone": "UTC", "hours": {"funday": ["09:00-10:00"]}})


def test_a_naive_datetime_is_refused(staffing: Staffing) -> None:
    with pytest.raises(ValueError):
        staffing.is_open(datetime(2026, 11, 23, 12, 0))


def test_the_shipped_staffing_file_is_the_example_week() -> None:
    shipped = Staffing.load(ROOT / "content" / "staffing.yml")
    assert shipped == Staffing.from_mapping(WEEK)


def test_the_wait_is_median_handle_time_times_position_over_counsellors() -> None:
    # Median 600 s (the 3,600 s outlier does not count), third in line, two counsellors: 900 s = 15 min.
    assert wait_estimate(3, 2, [300, 600, 600, 900, 3600]) == 15


def test_the_wait_is_rounded_up_to_five_minutes() -> None:
    assert wait_estimate(1, 1, [600] * 5) == 10
    assert wait_estimate(1, 1, [601] * 5) == 15
    assert wait_estimate(1, 1, [899] * 5) == 15


def test_the_wait_is_at_least_five_minutes() -> None:
    assert wait_estimate(1, 4, [30] * 5) == 5
    assert wait_estimate(1, 1, [0] * 5) == 5


def test_no_counsellor_on_duty_counts_as_one() -> None:
    assert wait_estimate(2, 0, [600] * 5) == wait_estimate(2, 1, [600] * 5) == 20


def test_without_recent_handoffs_a_long_handle_time_is_assumed() -> None:
    assert wait_estimate(1, 1, []) == 15
    assert wait_estimate(2, 1, [], assumed_handle_s=300) == 10


def test_too_few_recent_chats_leave_the_assumed_handle_time() -> None:
    # Four quick chats are not enough to promise five minutes; the fifth makes their median the estimate.
    assert typical_handle_s([120, 120, 180, 240]) == ASSUMED_HANDLE_S
    assert typical_handle_s([120, 120, 180, 240, 3000]) == 180
    assert MIN_HANDLE_SAMPLES == 5
    assert wait_estimate(1, 1, [120, 120, 180, 240]) == 15
    assert wait_estimate(1, 1, [120, 120, 180, 240, 3000]) == 5


def test_a_position_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        wait_estimate(0, 1, [600])
