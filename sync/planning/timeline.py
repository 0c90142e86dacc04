"""Working-time arithmetic: when does a job of N working minutes that starts at T end?"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
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


_DAY = timedelta(days=1)
_AXIS_DAYS = 4000  # about 11 years of calendar: far beyond any promise


class WorkAxis:
    """A centre's calendar as one line of working minutes: minute ``m`` is the m-th working minute.

    On this line an operation of N working minutes is one interval of length N, so finding a free
    gap on a centre is interval arithmetic instead of walking shifts (nights, weekends and breaks
    are not on the line at all). Days are built lazily from ``origin`` and cached.
    """

    def __init__(self, calendar: WorkingTime, origin: datetime) -> None:
        self.calendar = calendar
        self.always = isinstance(calendar, AlwaysWorking)
        self.origin = origin.replace(hour=0, minute=0, second=0, microsecond=0)
        self._spans: list[list[tuple[datetime, datetime]]] = []  # working spans of day k
        self._cum: list[float] = [0.0]  # working minutes before day k (one more entry than days)

    def _day(self, at: datetime) -> int:
        return int((at - self.origin) // _DAY)

    def _extend(self, day: int) -> None:
        if day >= _AXIS_DAYS:
            raise PlanningError("the plan reaches more than ten years ahead of the first order",
                                fix="check the work centre calendars and the order quantities")
        while len(self._spans) <= day:
            lo = self.origin + len(self._spans) * _DAY
            spans = list(self.calendar.working_intervals(lo, lo + _DAY))
            self._spans.append(spans)
            self._cum.append(self._cum[-1] + sum((b - a).total_seconds() for a, b in spans) / 60)

    def minute(self, at: datetime) -> float:
        """Working minutes from the origin to ``at``."""
        if self.always:
            return (at - self.origin).total_seconds() / 60
        day = self._day(at)
        if day < 0:
            raise PlanningError(f"{at.isoformat()} is before the planner's first day",
                                fix="plan from the first order's time onwards")
        self._extend(day)
        total = self._cum[day]
        for a, b in self._spans[day]:
            if at <= a:
                break
            total += (min(at, b) - a).total_seconds() / 60
        return total

    def moment(self, minute: float, *, start: bool) -> datetime:
        """The moment working minute ``minute`` is reached: as a ``start`` the next working instant,
        as an end the last worked instant (so a job ending at a shift's end does not jump to the next)."""
        if self.always:
            return self.origin + timedelta(minutes=minute)
        if not start and minute > 0:
            while self._cum[-1] < minute:
                self._extend(len(self._spans))
            day = bisect_left(self._cum, minute) - 1
            left = minute - self._cum[day]
            for a, b in self._spans[day]:
                span = (b - a).total_seconds() / 60
                if left <= span + 1e-6:
                    return a + timedelta(minutes=min(left, span))
                left -= span
            return self._spans[day][-1][1]  # pragma: no cover - rounding at the day's last instant
        minute = max(minute, 0.0)
        while self._cum[-1] <= minute:
            self._extend(len(self._spans))
        day = bisect_right(self._cum, minute) - 1
        left = minute - self._cum[day]
        for a, b in self._spans[day]:
            span = (b - a).total_seconds() / 60
            if left < span - 1e-6:
                return a + timedelta(minutes=max(left, 0.0))
            left -= span
        return self.moment(self._cum[day + 1], start=True)  # rounding at a day's last instant: next day
