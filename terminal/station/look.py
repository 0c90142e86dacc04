"""How the timer block looks, from the operation's state: a worker reads it from across the station.

Grey before the start, green while running under standard, amber past 100 % of standard, red past
the alert threshold (the work centre's, as the hub sent it: the station turns red when the hub
raises its overrun alert), striped while paused, blue once done.
"""

from __future__ import annotations

from enum import StrEnum

from sync.station.timing import AMBER_AT, RED_AT, OperationState, Status
from terminal.station import texts


class Look(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    AMBER = "amber"
    RED = "red"
    PAUSED = "paused"
    DONE = "done"


def timer_look(state: OperationState, alert_at: float | None = None) -> Look:
    if state.status is Status.QUEUED:
        return Look.QUEUED
    if state.status is Status.DONE:
        return Look.DONE
    if state.status is Status.PAUSED:
        return Look.PAUSED
    if state.standard_seconds > 0 and state.ratio >= (alert_at or RED_AT):
        return Look.RED
    if state.standard_seconds > 0 and state.ratio >= AMBER_AT:
        return Look.AMBER
    return Look.RUNNING


_CAPTIONS = {Look.QUEUED: "NOT STARTED", Look.RUNNING: "RUNNING", Look.AMBER: "OVER STANDARD",
             Look.RED: "ALERT: FAR OVER", Look.PAUSED: "PAUSED", Look.DONE: "DONE"}


def timer_caption(state: OperationState, look: Look) -> str:
    """The words above the timer: the state, and how much of the standard time is used."""
    words = texts.tr(_CAPTIONS[look])
    if state.standard_seconds and look is not Look.QUEUED:
        words += " · " + texts.tr("{percent} of standard").format(percent=f"{state.ratio:.0%}")
    return words
