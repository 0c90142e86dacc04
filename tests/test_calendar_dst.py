"""Working time across the two Berlin clock changes: counted in real seconds (UTC instants), not wall-clock.

Python subtracts two datetimes of the same zone in wall-clock time; these tests fail when a
calendar hands out intervals in the site's zone (a 9-hour night shift then counts 8 hours).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sync.planning.timeline import add_working_minutes
from sync.station.calendar import Shift, WeeklyShifts, working_seconds
from sync.station.timing import OpEvent, derive

BERLIN = ZoneInfo("Europe/Berlin")
NIGHT = WeeklyShifts([Shift(time(22), time(6), frozenset(range(7)))], BERLIN)


def hours(calendar: WeeklyShifts, start: datetime, end: datetime) -> float:
    return working_seconds(calendar, [(start, end)]) / 3600


@pytest.mark.parametrize(("night", "expected"), [
    ("2026-10-24", 9.0),  # clocks go back 03:00 -> 02:00 on the 25th: one hour more
    ("2026-03-28", 7.0),  # clocks go forward 02:00 -> 03:00 on the 29th: one hour less
    ("2026-06-13", 8.0),  # an ordinary night
])
def test_night_shift_counts_real_hours_across_clock_changes(night: str, expected: float) -> None:
    evening = datetime.combine(datetime.fromisoformat(night).date(), time(20), BERLIN)
    assert hours(NIGHT, evening, evening + timedelta(hours=14)) == pytest.approx(expected)
    # the same span given in UTC counts the same
    assert hours(NIGHT, evening.astimezone(UTC), (evening + timedelta(hours=14)).astimezone(UTC)) == pytest.approx(expected)


def test_whole_day_of_working_time_over_the_autumn_change_is_25_hours() -> None:
    always = WeeklyShifts([Shift(time(0), time(12), frozenset(range(7))), Shift(time(12), time(0), frozenset(range(7)))],
                          BERLIN)
    start = datetime(2026, 10, 25, 0, 0, tzinfo=BERLIN)
    end = datetime(2026, 10, 26, 0, 0, tzinfo=BERLIN)
    assert hours(always, start, end) == pytest.approx(25.0)
    spring = hours(always, datetime(2026, 3, 29, tzinfo=BERLIN), datetime(2026, 3, 30, tzinfo=BERLIN))
    assert spring == pytest.approx(23.0)


def test_operation_timer_on_a_night_shift_across_the_autumn_change() -> None:
    """A worker on the whole 25 Oct night shift: the timer shows 9 working hours, labour the same."""
    start = datetime(2026, 10, 24, 22, 0, tzinfo=BERLIN)
    end = datetime(2026, 10, 25, 6, 0, tzinfo=BERLIN)
    events = [OpEvent("op.started", start.astimezone(UTC), "E-1", 1), OpEvent("op.completed", end, "E-1", 2)]
    state = derive(events, end + timedelta(hours=1), calendar=NIGHT)
    assert state.elapsed_seconds == pytest.approx(9 * 3600)
    assert state.labour_seconds == pytest.approx(9 * 3600)


@pytest.mark.parametrize(("night", "expected_end"), [
    ("2026-10-24", datetime(2026, 10, 25, 5, 0, tzinfo=BERLIN)),  # 8 h from 22:00 ends 05:00 after the fall-back
    ("2026-03-28", datetime(2026, 3, 29, 23, 0, tzinfo=BERLIN)),  # only 7 h that night: the last hour the next night
])
def test_planning_adds_working_minutes_in_real_time(night: str, expected_end: datetime) -> None:
    start = datetime.combine(datetime.fromisoformat(night).date(), time(22), BERLIN)
    end = add_working_minutes(NIGHT, start, 8 * 60)
    assert end == expected_end
    assert working_seconds(NIGHT, [(start, end)]) == pytest.approx(8 * 3600)
