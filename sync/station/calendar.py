"""When a work centre works: the time an operation timer counts.

The timer asks a :class:`WorkingTime` for the working intervals inside a span; anything that
answers that (the catalog's work-centre calendar, a fixed shift pattern) can be used. An operation
left running past the end of a shift stops counting there; one a worker starts or resumes outside
the shifts (overtime, a Saturday) counts from then until the next shift begins (:func:`counted`).

Shifts are read in the site's zone but every interval handed out is in UTC: Python subtracts
and compares two datetimes of the SAME zone in wall-clock time, so a Berlin night shift across
the autumn clock change would count 8 hours instead of 9 (and the spring one 8 instead of 7).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol

from sync.errors import CatalogError

Interval = tuple[datetime, datetime]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WorkingTime(Protocol):
    """Answers which parts of ``[start, end)`` are working time."""

    def working_intervals(self, start: datetime, end: datetime) -> Iterable[Interval]: ...


class AlwaysWorking:
    """Every second counts: the default when a work centre has no calendar."""

    def working_intervals(self, start: datetime, end: datetime) -> Iterable[Interval]:
        start, end = utc(start), utc(end)
        return [(start, end)] if end > start else []


@dataclass(frozen=True)
class Shift:
    """One shift on the given weekdays (0 = Monday); ``end`` before ``start`` runs past midnight."""

    start: time
    end: time
    weekdays: frozenset[int] = frozenset(range(5))


@dataclass(frozen=True)
class WeeklyShifts:
    """A weekly shift pattern in a time zone, minus holidays (whole days off)."""

    shifts: Sequence[Shift]
    zone: tzinfo
    holidays: frozenset[date] = frozenset()

    @classmethod
    def from_catalog(cls, calendar: Any, zone: tzinfo) -> WeeklyShifts:
        """From a catalog work-centre calendar (``workdays`` like "mon", ``shifts`` as ("08:00", "12:00"),
        ``holidays`` as ISO dates), read in the site's time zone."""
        where = "work centre calendar"
        try:
            days = frozenset(WEEKDAYS.index(d.lower()[:3]) for d in calendar.workdays)
            shifts = [Shift(time.fromisoformat(s), time.fromisoformat(e), days) for s, e in calendar.shifts]
            holidays = frozenset(date.fromisoformat(str(h)) for h in calendar.holidays)
        except (ValueError, TypeError, AttributeError) as exc:
            raise CatalogError(f"calendar cannot be read: {exc}", where=where,
                               fix="workdays like mon..sun, shifts as HH:MM pairs, holidays as YYYY-MM-DD") from None
        return cls(shifts, zone, holidays)

    def working_intervals(self, start: datetime, end: datetime) -> Iterable[Interval]:
        start, end = utc(start), utc(end)
        if end <= start:
            return []
        found: list[Interval] = []
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date()
        while day <= last:
            for s, e in self._day(day):
                lo, hi = max(s, start), min(e, end)
                if hi > lo:
                    found.append((lo, hi))
            day += timedelta(days=1)
        return merge(found)

    def _day(self, day: date) -> list[Interval]:
        """The shifts starting on ``day`` as UTC instants; the planner asks for the same days again and again."""
        cache: dict[date, list[Interval]] = self.__dict__.setdefault("_days", {})
        found = cache.get(day)
        if found is None:
            found = []
            if day not in self.holidays:
                for shift in self.shifts:
                    if day.weekday() not in shift.weekdays:
                        continue
                    e_day = day if shift.end > shift.start else day + timedelta(days=1)
                    found.append((utc(datetime.combine(day, shift.start, self.zone)),
                                  utc(datetime.combine(e_day, shift.end, self.zone))))
            if len(cache) > 4096:
                cache.clear()
            cache[day] = found
        return found


def utc(at: datetime) -> datetime:
    """``at`` as a UTC instant (a time without a zone is taken as UTC), so arithmetic counts real seconds."""
    if at.tzinfo is UTC:  # the common case (every interval this module hands out): no new object
        return at
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping union of ``intervals`` (as UTC instants)."""
    out: list[Interval] = []
    for s, e in sorted((utc(s), utc(e)) for s, e in intervals):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def working_seconds(calendar: WorkingTime, intervals: Iterable[Interval]) -> float:
    """Seconds of ``intervals`` (overlaps counted once) that fall in working time."""
    total = 0.0
    for s, e in merge(intervals):
        for ws, we in calendar.working_intervals(s, e):
            lo, hi = max(ws, s), min(we, e)
            if hi > lo:
                total += (hi - lo).total_seconds()
    return total


def counted(calendar: WorkingTime, span: Interval) -> list[Interval]:
    """The part of one worker's span (start or resume until pause, completion or now) the timer counts:
    its working time and, when it began outside the shifts, the stretch from then until the next shift
    begins, since the worker was there to start it. Counting only shifts left a Saturday's or an evening's
    overtime at 0:00 on the station's timer and as no run time in the KPIs."""
    start, end = utc(span[0]), utc(span[1])
    inside = list(calendar.working_intervals(start, end))
    first = inside[0][0] if inside else end
    return merge([(start, first), *inside]) if first > start else inside
