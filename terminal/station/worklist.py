"""The station's work list as rows of text: what a worker reads before tapping one instead of scanning.

Plain Python so tests check the words without a screen; the widget only lays the fields out.
A tapped row calls :meth:`StationSession.open_operation` with :attr:`WorkRow.work_order` and
:attr:`WorkRow.operation`, the same rules as scanning that operation's traveler label.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sync.station.timing import Status
from terminal.station import texts
from terminal.station.session import RoutedLine
from terminal.station.texts import Named


@dataclass(frozen=True)
class WorkRow:
    """One tappable row: the work order's number, its operation here, product, standard time, state."""

    work_order: str  # what the tap opens (the id the ledger knows it by)
    operation: int
    number: str  # the number printed on the traveler
    step: str  # "20 Drive unit & battery"
    product: str  # "E-bike Trekking ×2"
    standard: str  # "40 min"
    state: str  # "Running 0:12:03", "Ready", "Waits for op 10", "Waits for parts K1-0042-02"
    planned: str  # "planned 14:30", "planned Thu 08:00", "" when the hub sent no plan or the step has started
    tone: str  # running | paused | ready | waiting (the row's colour)


def _planned(at: datetime | None, zone: tzinfo, now: datetime) -> str:
    if at is None:
        return ""
    local, today = at.astimezone(zone), now.astimezone(zone).date()
    if local.date() == today:
        return texts.tr("planned {time}").format(time=local.strftime("%H:%M"))
    if 0 < (local.date() - today).days < 7:  # this coming week: the weekday says which day
        return texts.tr("planned {day} {time}").format(day=texts.weekday(local), time=local.strftime("%H:%M"))
    # a day gone by or a week and more ahead: "Fri" on a Saturday read as yesterday or as next week (live demo)
    return texts.tr("planned {day} {time}").format(day=texts.day_and_date(local), time=local.strftime("%H:%M"))


def work_rows(lines: list[RoutedLine], zone: tzinfo, now: datetime) -> list[WorkRow]:
    """The rows in the order given (see :func:`terminal.station.session.routed_here`)."""
    rows = []
    for line in lines:
        state, wo, op = line.state, line.wo, line.op
        if state.status is Status.RUNNING:
            words, tone = texts.tr("Running {time}").format(time=texts.duration(state.elapsed_seconds)), "running"
        elif state.status is Status.PAUSED:
            words, tone = texts.tr("Paused {time}").format(time=texts.duration(state.elapsed_seconds)), "paused"
        elif state.status is Status.DONE:
            words, tone = texts.tr("Done"), "done"
        elif line.waits_for is not None:
            before = wo.operation(line.waits_for)
            words = texts.tr("Waits for op {operation}").format(operation=line.waits_for) \
                if before.work_centre == op.work_centre else texts.tr("Waits for op {operation} at {centre}").format(
                    operation=line.waits_for, centre=before.work_centre)  # where to ask (review: "op 10" said no place)
            tone = "waiting"
        elif line.waits_for_parts:
            words, tone = texts.tr("Waits for parts {parts}").format(parts=", ".join(line.waits_for_parts)), "waiting"
        elif line.waits_for_material:
            words, tone = texts.tr("Waits for delivery {parts}").format(parts=", ".join(line.waits_for_material)), "waiting"
        else:
            words, tone = texts.tr("Ready"), "ready"
        rows.append(WorkRow(
            work_order=wo.id, operation=op.number, number=wo.id, step=f"{op.number}  {texts.local(Named(op.name, op.names))}",
            product=f"{texts.local(Named(wo.product, wo.product_names))}  ×{wo.quantity}", standard=texts.minutes(op.standard_seconds(wo.quantity)),
            # once started the plan's time says nothing (seen live: a paused step read "planned 22:37", its start)
            state=words, planned="" if tone in ("running", "paused", "done") else _planned(op.planned_start, zone, now),
            tone=tone))
    return rows
