"""Working-time arithmetic: when does a job of N working minutes that starts at T end?"""

from __future__ import annotations

from datetime import datetime, timedelta

from sync.errors import PlanningError
from sync.station.calendar import AlwaysWorking, WorkingTime

#: look ahead a day first (most operations fit in one), then wider windows up to a week
_FIRST_WINDOW = timedelta(days=1)
_WINDOW = timedelta(days=7)
_HORIZON = timedelta(days=400)


def next_working_moment(calendar: WorkingTime, at: datetime) -> datetime:
    """The first moment at or after ``at`` that is working time."""
    if isinstance(calendar, AlwaysWorking):
        return at
    start, window = at, _FIRST_WINDOW
    while start - at < _HORIZON:
        for lo, _hi in calendar.working_intervals(start, start + window):
            return max(lo, at)
        start += window
        window = min(window * 2, _WINDOW)
    raise PlanningError("the work-centre calendar has no working time in the next 400 days",
                        fix="give the work centre shifts and workdays in work_centres.yaml")


def add_working_minutes(calendar: WorkingTime, at: datetime, minutes: float) -> datetime:
    """The moment ``minutes`` of working time after ``at`` (``at`` itself if ``minutes`` is 0)."""
    if minutes <= 0 or isinstance(calendar, AlwaysWorking):
        return at + timedelta(minutes=max(minutes, 0))
    left = timedelta(minutes=minutes)
    start, window = at, _FIRST_WINDOW
    while start - at < _HORIZON:
        for lo, hi in calendar.working_intervals(start, start + window):
            span = hi - lo
            if span >= left:
                return lo + left
            left -= span
        start += window
        window = min(window * 2, _WINDOW)
    raise PlanningError(f"{minutes:.0f} working minutes do not fit in the next 400 days of the calendar",
                        fix="check the work centre's shifts and holidays")
