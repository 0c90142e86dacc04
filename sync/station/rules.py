"""One operation state machine: what may be recorded on an operation, at the station AND at the hub.

The station checks an action before it records it; the hub checks the same event again when it
arrives (``sync.hub.core.HubCore.on_op_event``), because anything can publish on a station's topic
and an event recorded offline meets a state the station could not see. Both call :func:`check`
with the operation's state derived from the events recorded before (``sync.station.timing.derive``)
and the facts of the work order, so a rule changes in one place.

A refusal is a :class:`~sync.errors.StationError` with a ``code`` (machine-readable, listed in
docs/hub.md "What the hub refuses") and a plain sentence; ``overridable`` ones a supervisor badge
may allow at the station (the event then names ``override_by``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sync.errors import StationError
from sync.station.timing import OperationState, Status
from sync.station.workorders import RoutedOperation, RoutedWorkOrder

# Refusal codes (the hub's ack ``code``); docs/hub.md explains each.
NOT_ROUTED = "not_routed"
ALREADY_COMPLETE = "already_complete"
CANCELLED = "cancelled"
NOT_STARTED = "not_started"
ALREADY_ON_IT = "already_on_it"
PAUSED = "paused"
NOT_ON_IT = "not_on_it"
NOT_PAUSED = "not_paused"
PAUSE_NO_REASON = "pause_no_reason"
BAD_QUANTITY = "bad_quantity"
TOO_MANY = "too_many"
SCRAP_NO_REASON = "scrap_no_reason"
QC_MISSING = "qc_missing"
NOT_A_QC_STEP = "not_a_qc_step"
QC_NO_RESULT = "qc_no_result"
QC_NO_DEFECT = "qc_no_defect"
QC_FAILED = "qc_failed"  # completing after a failed check with nothing scrapped (the failed parts booked good)
WAITS = "waits"  # an earlier step or a part made in the shop is not done yet (a supervisor may allow it)

#: the largest quantity a count may say (a work order is never near it; 10^30 is a typo or an attack)
MAX_QUANTITY = 1_000_000

_VERBS = {"op.started": "start", "op.paused": "pause", "op.resumed": "resume", "op.completed": "complete",
          "qc.recorded": "record QC on"}


@dataclass(frozen=True)
class OperationFacts:
    """What the rules need to know about the operation besides its events."""

    work_order: str
    operation: int
    qc: bool = False
    quantity_in: int = 1  # what reached this operation: the predecessor's good parts, else the order's quantity
    cancelled: bool = False  # its order was cancelled: nothing new may start
    routed: bool = True  # the recording device serves the operation's work centre
    work_centre: str = ""
    waits_for_operation: int | None = None  # the predecessor, while it is not done
    waits_for_parts: tuple[str, ...] = ()  # part work orders not done yet (see parts_open)
    waits_for_material: tuple[str, ...] = ()  # bought parts not in yet, "ITEM (due YYYY-MM-DD)" (see materials_open)


def parts_open(wo: RoutedWorkOrder, op: RoutedOperation) -> tuple[str, ...]:
    """The part work orders ``op`` waits for: the first operation of a work order uses its parts (the welded
    frame, the built wheels), so it waits until each part work order is done; later operations wait only
    for their predecessor."""
    if op.number != wo.operations[0].number:
        return ()
    return tuple(sorted(part for part, state in wo.parts.items() if state != "done"))


def materials_open(wo: RoutedWorkOrder, op: RoutedOperation,
                   day: Callable[[str], str] = lambda text: text) -> tuple[str, ...]:
    """The bought parts ``op`` waits for, as "ITEM (due DAY)": the first operation of a work order takes its
    materials (the hub issues them when it starts), so it waits until the hub has received each purchase
    bought for it; later operations wait only for their predecessor. ``day`` writes the due day (the hub's
    ``2026-12-19``; a station writes it as its worker reads a day)."""
    if op.number != wo.operations[0].number:
        return ()
    return tuple(f"{item} (due {day(due)})" for item, due in sorted(wo.awaiting.items()))


def serves(wo: RoutedWorkOrder, op: RoutedOperation, work_centres: Collection[str]) -> bool:
    """A station of ``work_centres`` may record ``op``: it is routed there, or it is outsourced and its parts
    come back there (its next operation is there): no supplier has a station, so receiving records its step."""
    if op.work_centre in work_centres:
        return True
    after = next((o for o in wo.operations if o.predecessor == op.number), None)
    return op.outsourced and after is not None and after.work_centre in work_centres


def refuse(code: str, what: str, *, fix: str | None = None, where: str | None = None,
           overridable: bool = False) -> StationError:
    return StationError(what, where=where, fix=fix, overridable=overridable, code=code)


def check(type_: str, body: Mapping[str, Any], state: OperationState, facts: OperationFacts) -> None:
    """Raise the first rule ``body`` (an event of ``type_``) breaks on an operation in ``state``."""
    if not facts.routed and not _text(body.get("override_by")):
        raise refuse(NOT_ROUTED, f"operation {facts.operation} of {facts.work_order} is routed to "
                     f"{facts.work_centre or 'another work centre'}, not this station", overridable=True,
                     fix="take it to a station of that work centre, or have a supervisor allow it")
    if type_ == "op.started" and state.status is Status.QUEUED and not _text(body.get("override_by")):
        check_sequence(facts)  # the first start only: a worker joining a running operation is not out of order
    check_transition(type_, _text(body.get("worker")) or None, state, facts)
    check_fields(type_, body, state, facts)


def check_sequence(facts: OperationFacts) -> None:
    """An operation starts after its predecessor and, if it is the first, after its part work orders;
    out of order only with a supervisor's override (the event then names ``override_by``)."""
    op, wo = facts.operation, facts.work_order
    if facts.waits_for_operation is not None:
        raise refuse(WAITS, f"operation {op} of {wo} waits for operation {facts.waits_for_operation}, not done yet",
                     overridable=True, fix="finish that operation first, or have a supervisor allow it")
    if facts.waits_for_parts:
        raise refuse(WAITS, f"operation {op} of {wo} waits for parts not made yet: {', '.join(facts.waits_for_parts)}",
                     overridable=True, fix="finish those work orders first, or have a supervisor allow it")
    if facts.waits_for_material:
        raise refuse(WAITS, f"operation {op} of {wo} waits for bought parts not in yet: "
                     f"{', '.join(facts.waits_for_material)}", overridable=True,
                     fix="book the goods receipt first, or have a supervisor allow it")


def check_transition(type_: str, worker: str | None, state: OperationState, facts: OperationFacts) -> None:
    """The event may happen now: e.g. nothing before a start, nothing after completion."""
    op, wo = facts.operation, facts.work_order
    verb = _VERBS.get(type_, type_)
    status = state.status
    if status is Status.DONE:
        raise refuse(ALREADY_COMPLETE, f"operation {op} of {wo} is already complete")
    if type_ == "qc.recorded" and not facts.qc:
        raise refuse(NOT_A_QC_STEP, f"operation {op} has no QC step")
    if facts.cancelled and type_ in ("op.started", "op.resumed"):
        raise refuse(CANCELLED, f"work order {wo} was cancelled: nothing new may start on it",
                     fix="put the parts aside and ask the supervisor")
    if type_ == "op.started":
        if worker is not None and worker in state.workers:
            raise refuse(ALREADY_ON_IT, f"{worker} is already on operation {op} of {wo}")
        if status is Status.PAUSED or (worker is not None and worker in state.paused_workers):
            raise refuse(PAUSED, f"cannot start operation {op} of {wo} now: it is paused", fix="resume it")
        return
    if status is Status.QUEUED:
        raise refuse(NOT_STARTED, f"cannot {verb} operation {op} of {wo}: it has not been started", fix="start it first")
    if type_ == "op.paused":
        if worker is not None and worker not in state.workers:
            raise refuse(NOT_ON_IT, f"cannot pause operation {op} of {wo} now: {worker} is not on it")
        if worker is None and status is not Status.RUNNING:
            raise refuse(NOT_ON_IT, f"cannot pause operation {op} of {wo} now: it is {status.value}")
    elif type_ == "op.resumed":
        if worker is not None and worker in state.workers:
            raise refuse(NOT_PAUSED, f"cannot resume operation {op} of {wo} now: {worker} is on it")
        if status is not Status.PAUSED and (worker is None or worker not in state.paused_workers):
            raise refuse(NOT_PAUSED, f"cannot resume operation {op} of {wo} now: it is {status.value}",
                         fix="start it to join the workers on it")


def check_fields(type_: str, body: Mapping[str, Any], state: OperationState, facts: OperationFacts) -> None:
    """What the event says fits: a pause reason, whole quantities within what was started, QC results."""
    if type_ == "op.paused" and not _text(body.get("reason")):
        raise refuse(PAUSE_NO_REASON, "choose a reason for the pause")
    if type_ == "op.completed":
        good = quantity(body.get("good"), "good quantity")
        scrap = quantity(body.get("scrap", 0), "scrap quantity")
        started = facts.quantity_in
        if good > started:
            raise refuse(TOO_MANY, f"{good} good is more than the {started} started", fix="count again")
        if good + scrap > started:
            raise refuse(TOO_MANY, f"{good} good + {scrap} scrap is more than the {started} started",
                         fix="count again")
        if scrap > 0 and not _text(body.get("reason")):
            raise refuse(SCRAP_NO_REASON, "choose a scrap reason")
        if facts.qc and state.qc is None:
            raise refuse(QC_MISSING, "record the QC result first")
        if facts.qc and state.qc_failed and scrap == 0:
            defect = state.qc.defect if state.qc else None
            raise refuse(QC_FAILED, f"the QC check of operation {facts.operation} of {facts.work_order} failed "
                         f"({defect or 'no defect code'}): completing it with nothing scrapped books the "
                         "failed parts as good", fix="scrap the failed parts, or rework them and record QC again")
    elif type_ == "qc.recorded":
        passed = body.get("passed")
        if not isinstance(passed, bool):
            raise refuse(QC_NO_RESULT, "a QC result must say pass or fail")
        if not passed and not _text(body.get("defect")):
            raise refuse(QC_NO_DEFECT, "choose a defect code for a failed check")


def quantity(value: Any, field: str) -> int:
    """A count as recorded: a whole number from 0 to MAX_QUANTITY (not text, not 1.5, not NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or isinstance(value, float) and (
            not math.isfinite(value) or not value.is_integer()):
        raise refuse(BAD_QUANTITY, f"{field} {value!r} is not a whole number", fix="count again: a whole number, 0 or more")
    if not 0 <= value <= MAX_QUANTITY:
        raise refuse(BAD_QUANTITY, f"{field} {value:g} is not between 0 and {MAX_QUANTITY}", fix="count again")
    return int(value)


def permits(type_: str, worker: str | None, state: OperationState, facts: OperationFacts) -> bool:
    """Whether the event may happen now (the button is offered); its fields are checked when it is made."""
    try:
        check_transition(type_, worker, state, facts)
    except StationError:
        return False
    return True


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
