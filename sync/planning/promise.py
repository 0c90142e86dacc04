"""The day a customer is promised, from the time the plan finishes: one rule for the hub's firm date and
the kiosk's offline estimate, so the date the kiosk shows is the date the factory confirms.

A plan is built from standard times; real steps run over them and a late step delays the steps after it.
The product's ``promise_margin_days`` (catalog) adds that many working days (Monday-Friday) after the
day the plan finishes, as a planner's safety time does; the customer is promised the end of that day.
A bike shipped from stock gets no margin: it is on the shelf.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo


def add_working_days(start: date, days: int) -> date:
    """``start`` plus ``days`` Monday-Friday days (weekends skipped)."""
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def promised_day(ready: date, margin_days: int) -> date:
    """The day promised for a plan finishing on ``ready``: ``margin_days`` working days later."""
    return add_working_days(ready, max(margin_days, 0))


def promise_at(ready_at: datetime, zone: tzinfo, margin_days: int) -> datetime:
    """The promise for a plan finishing at ``ready_at``: the end of the promised day in the site's ``zone``."""
    day = promised_day(ready_at.astimezone(zone).date(), margin_days)
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=zone)


def kept_promise(held: datetime, first: datetime, ready_at: datetime, fresh: datetime) -> datetime:
    """The promise after a replan. The margin exists to absorb slips: the customer's date (``held``) moves
    later only once the plan's finish (``ready_at``) passes it, and then to ``fresh`` (the new finish with a
    new margin); a plan that gains time brings a moved date back, never before the ``first`` promise."""
    if ready_at > held:
        return fresh
    return max(first, min(held, fresh))
