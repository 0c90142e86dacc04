"""Operation status and timers derived from the recorded operation events: a pure function.

Nothing here holds a running clock. Status, elapsed working time, who is on the operation and
the timer colour are recomputed from the events (and "now") whenever they are needed, so a
timer survives pause, resume, an app restart or a crash, and the hub derives the same progress
from the same events.

Event semantics (one operation):

- ``op.started`` by a worker: that worker starts working on it (several workers may join).
- ``op.paused`` by a worker: that worker stops (with a reason); with nobody left on it the
  operation is paused. A pause without a worker pauses everybody on it.
- ``op.resumed`` by a worker: that worker works on it again.
- ``op.completed``: everybody stops; good and scrap quantities are recorded; status done.
- ``qc.recorded``: a pass/fail result with a defect code; it does not move the timer.

Elapsed time is wall-clock time during which at least one worker was on the operation,
counted inside the work centre's working time plus overtime begun outside it
(``sync.station.calendar.counted``); labour time adds up each worker's time.
Events that do not fit (a resume by someone not paused, anything after completion) are kept
out of the derivation and listed in ``anomalies`` rather than raising, because events from
several devices may arrive late or twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sync.errors import PlanningError
from sync.station.calendar import AlwaysWorking, Interval, WorkingTime, counted, merge

EVENT_TYPES = ("op.started", "op.paused", "op.resumed", "op.completed", "qc.recorded")


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"


class TimerColour(StrEnum):
    NORMAL = "normal"
    AMBER = "amber"  # at or above 100 % of standard time
    RED = "red"  # at or above 120 % of standard time


AMBER_AT = 1.0
RED_AT = 1.2


@dataclass(frozen=True)
class OpEvent:
    """One recorded event of one operation (the body of the outbox event, typed)."""

    type: str
    at: datetime
    worker: str | None = None
    seq: int = 0
    reason: str | None = None
    good: int | None = None
    scrap: int | None = None
    passed: bool | None = None
    defect: str | None = None
    override_by: str | None = None

    @classmethod
    def from_body(cls, type_: str, body: Mapping[str, Any], seq: int = 0) -> OpEvent:
        """Read an event body as stored in the log/outbox (``at`` as ISO 8601 with a zone)."""
        if type_ not in EVENT_TYPES:
            raise PlanningError(f"unknown operation event type {type_!r}", where="operation event",
                                fix=f"expected one of {', '.join(EVENT_TYPES)}")
        try:
            at = datetime.fromisoformat(str(body["at"]))
        except (KeyError, ValueError):
            raise PlanningError(f"event {type_} has no valid 'at' time: {body.get('at')!r}",
                                where="operation event body", fix="use ISO 8601 with a time zone") from None
        if at.tzinfo is None:
            raise PlanningError(f"event {type_} time {body['at']!r} has no time zone", where="operation event body")
        return cls(type=type_, at=at, worker=body.get("worker"), seq=seq, reason=body.get("reason"),
                   good=body.get("good"), scrap=body.get("scrap"), passed=body.get("passed"),
                   defect=body.get("defect"), override_by=body.get("override_by"))


@dataclass(frozen=True)
class QcResult:
    passed: bool
    defect: str | None
    worker: str | None
    at: datetime


@dataclass(frozen=True)
class OperationState:
    """Everything a screen or the hub shows about one operation at one moment."""

    status: Status
    elapsed_seconds: float
    labour_seconds: float
    standard_seconds: float
    workers: tuple[str, ...]  # on it now
    paused_workers: tuple[str, ...]  # paused and may resume
    started_at: datetime | None
    completed_at: datetime | None
    good: int | None
    scrap: int | None
    scrap_reason: str | None
    pause_reason: str | None
    qc: QcResult | None
    anomalies: tuple[str, ...] = field(default=())
    #: everyone who worked on it, in the order they first started (who built it, once it is done)
    crew: tuple[str, ...] = field(default=())
    #: when the last pause began (while paused): how long a call for help has waited
    paused_at: datetime | None = None

    @property
    def ratio(self) -> float:
        """Elapsed over standard time (0 when there is no standard time)."""
        return self.elapsed_seconds / self.standard_seconds if self.standard_seconds > 0 else 0.0

    @property
    def colour(self) -> TimerColour:
        return timer_colour(self.elapsed_seconds, self.standard_seconds)

    @property
    def qc_failed(self) -> bool:
        """The last QC result recorded is a fail: its parts are not good until scrapped or checked again."""
        return self.qc is not None and not self.qc.passed


def standard_seconds(setup_minutes: float, run_minutes: float, quantity: int) -> float:
    """Standard time of an operation: setup + run × quantity."""
    return (setup_minutes + run_minutes * quantity) * 60.0


def timer_colour(elapsed: float, standard: float) -> TimerColour:
    if standard <= 0:
        return TimerColour.NORMAL
    if elapsed >= standard * RED_AT:
        return TimerColour.RED
    if elapsed >= standard * AMBER_AT:
        return TimerColour.AMBER
    return TimerColour.NORMAL


def derive(
    events: Iterable[OpEvent],
    now: datetime,
    *,
    standard: float = 0.0,
    calendar: WorkingTime | None = None,
) -> OperationState:
    """The state of one operation at ``now`` from its events (any order; sorted by time, then seq)."""
    calendar = calendar or AlwaysWorking()
    active: dict[str, datetime] = {}  # worker -> since
    paused: set[str] = set()
    worker_spans: list[tuple[str, Interval]] = []
    anomalies: list[str] = []
    started_at: datetime | None = None
    completed_at: datetime | None = None
    good = scrap = None
    scrap_reason = pause_reason = None
    paused_at: datetime | None = None
    qc: QcResult | None = None
    anonymous = "?"
    crew: dict[str, None] = {}  # insertion-ordered set

    def stop(worker: str, at: datetime) -> None:
        since = active.pop(worker)
        if at > since:
            worker_spans.append((worker, (since, at)))

    for ev in sorted(events, key=lambda e: (e.at, e.seq)):
        who = ev.worker or anonymous
        if ev.type == "qc.recorded":
            if ev.passed is None:
                anomalies.append(f"{ev.at.isoformat()}: qc.recorded without pass/fail")
            else:
                qc = QcResult(bool(ev.passed), ev.defect, ev.worker, ev.at)
            continue
        if completed_at is not None:
            anomalies.append(f"{ev.at.isoformat()}: {ev.type} after completion ignored")
            continue
        if ev.type == "op.started":
            if who in active:
                anomalies.append(f"{ev.at.isoformat()}: {who} started twice")
                continue
            active[who] = ev.at
            crew.setdefault(who)
            paused.discard(who)
            started_at = started_at or ev.at
        elif ev.type == "op.paused":
            targets = [who] if ev.worker else list(active)
            if ev.worker and who not in active:
                anomalies.append(f"{ev.at.isoformat()}: pause by {who}, who is not on it")
                continue
            for w in targets:
                stop(w, ev.at)
                paused.add(w)
            pause_reason, paused_at = ev.reason, ev.at
        elif ev.type == "op.resumed":
            if started_at is None or who in active:
                anomalies.append(f"{ev.at.isoformat()}: resume by {who} without a pause")
                continue
            active[who] = ev.at
            paused.discard(who)
        elif ev.type == "op.completed":
            if ev.worker:
                crew.setdefault(ev.worker)
            for w in list(active):
                stop(w, ev.at)
            paused.clear()
            completed_at = ev.at
            started_at = started_at or ev.at
            good, scrap, scrap_reason = ev.good, ev.scrap, ev.reason
        else:
            anomalies.append(f"{ev.at.isoformat()}: unknown event type {ev.type!r}")

    for w, since in active.items():
        if now > since:
            worker_spans.append((w, (since, now)))

    worked = [counted(calendar, span) for _, span in worker_spans]
    elapsed = sum((e - s).total_seconds() for s, e in merge(i for spans in worked for i in spans))
    labour = sum((e - s).total_seconds() for spans in worked for s, e in spans)
    if completed_at is not None:
        status = Status.DONE
    elif active:
        status = Status.RUNNING
    elif started_at is not None:
        status = Status.PAUSED
    else:
        status = Status.QUEUED
    return OperationState(
        status=status,
        elapsed_seconds=elapsed,
        labour_seconds=labour,
        standard_seconds=standard,
        workers=tuple(sorted(active)),
        paused_workers=tuple(sorted(paused)),
        started_at=started_at,
        completed_at=completed_at,
        good=good,
        scrap=scrap,
        scrap_reason=scrap_reason,
        pause_reason=pause_reason if status is Status.PAUSED else None,
        paused_at=paused_at if status is Status.PAUSED else None,
        qc=qc,
        crew=tuple(w for w in crew if w != anonymous),
        anomalies=tuple(anomalies),
    )
