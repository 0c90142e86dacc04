"""Progress of orders, work orders and operations, derived from the event log every time.

Nothing here stores a status flag: a job card cannot stay "in progress" after its completion
event, because status is recomputed from the events (via :func:`sync.station.timing.derive`)
whenever it is asked for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sync.planning.timeline import add_working_minutes
from sync.station.calendar import AlwaysWorking, WorkingTime
from sync.station.timing import OperationState, OpEvent, Status, derive
from sync.times import to_iso


@dataclass(frozen=True)
class PlannedOp:
    """An operation as planned: what the events of (work_order, op) are measured against."""

    work_order: str
    op: int
    code: str
    work_centre: str
    standard_seconds: float
    planned_start: datetime
    planned_end: datetime
    outsourced: bool = False


@dataclass(frozen=True)
class OpProgress:
    planned: PlannedOp
    state: OperationState
    eta: datetime

    @property
    def done_seconds(self) -> float:
        """Standard time earned: all of it when done, elapsed (capped) while running."""
        if self.state.status is Status.DONE:
            return self.planned.standard_seconds
        return min(self.state.elapsed_seconds, self.planned.standard_seconds)


@dataclass(frozen=True)
class WorkOrderProgress:
    id: str
    order_id: str
    item: str
    qty: float
    status: str
    percent: float
    good: int
    scrap: int
    eta: datetime
    operations: tuple[OpProgress, ...]


@dataclass(frozen=True)
class OrderProgress:
    id: str
    status: str
    percent: float
    promise: datetime | None
    eta: datetime | None
    late: bool
    work_orders: tuple[WorkOrderProgress, ...] = field(default=())
    number: str = ""  # the order's human number (sync.numbers); ``id`` is the internal UUID
    product: str = ""
    quantity: int = 0
    placed_at: datetime | None = None
    first_promise: datetime | None = None  # the kiosk's date: the on-time KPI judges by it
    price: str = ""  # the order's total as the customer was shown it (decimal text), what an ERP invoices
    currency: str = ""
    revision: int = 0  # the catalog revision it was configured against
    reason: str = ""  # what decides the planned date (sync.planning's reason: "QC is booked until Thu 10 Dec ...")


#: every status a work order can have (the API refuses a filter on anything else), in the order of the work
WORK_ORDER_STATUSES = ("queued", "running", "paused", "in_progress", "done")
#: every status an order can have (the API refuses a filter on anything else): ``ready`` ships from stock
ORDER_STATUSES = ("planned", "in_progress", "done", "ready", "cancelled")


def _status(statuses: Sequence[Status]) -> str:
    if statuses and all(s is Status.DONE for s in statuses):
        return "done"
    if any(s is Status.RUNNING for s in statuses):
        return "running"
    if any(s in (Status.PAUSED, Status.DONE) for s in statuses):
        return "paused" if any(s is Status.PAUSED for s in statuses) else "in_progress"
    return "queued"


def work_order_progress(wo_id: str, order_id: str, item: str, qty: float, ops: Sequence[PlannedOp],
                        events: Mapping[tuple[str, int], Iterable[OpEvent]], now: datetime,
                        calendars: Mapping[str, WorkingTime] | None = None) -> WorkOrderProgress:
    """Status, percent by standard time, good/scrap of the last operation, and an ETA."""
    calendars = calendars or {}
    progress: list[OpProgress] = []
    cursor = now
    for p in sorted(ops, key=lambda p: p.op):
        calendar = calendars.get(p.work_centre, AlwaysWorking())
        state = derive(events.get((p.work_order, p.op), ()), now, standard=p.standard_seconds, calendar=calendar)
        if state.status is Status.DONE:
            eta = state.completed_at or now
        else:
            remaining = max(p.standard_seconds - state.elapsed_seconds, 0.0) / 60
            begin = max(cursor, p.planned_start) if state.status is Status.QUEUED else cursor
            eta = add_working_minutes(calendar, begin, remaining)
            cursor = eta
        progress.append(OpProgress(p, state, eta))
    total = sum(p.planned.standard_seconds for p in progress)
    done = sum(p.done_seconds for p in progress)
    statuses = [p.state.status for p in progress]
    last = progress[-1].state if progress else None
    percent = 100.0 * done / total if total > 0 else (100.0 if statuses and _status(statuses) == "done" else 0.0)
    return WorkOrderProgress(
        id=wo_id, order_id=order_id, item=item, qty=qty, status=_status(statuses), percent=round(percent, 1),
        good=(last.good or 0) if last else 0,
        scrap=sum((p.state.scrap or 0) for p in progress),
        eta=max((p.eta for p in progress), default=now), operations=tuple(progress))


def order_progress(order_id: str, promise: datetime | None, work_orders: Sequence[WorkOrderProgress],
                   now: datetime, *, cancelled: bool = False, shipped_from_stock: bool = False) -> OrderProgress:
    """An order's progress: its work orders weighted by standard time."""
    if cancelled:
        return OrderProgress(order_id, "cancelled", 0.0, promise, None, False, tuple(work_orders))
    if shipped_from_stock:
        return OrderProgress(order_id, "ready", 100.0, promise, promise, False, ())
    weights = [sum(op.planned.standard_seconds for op in wo.operations) for wo in work_orders]
    total = sum(weights)
    percent = (sum(w * wo.percent for w, wo in zip(weights, work_orders, strict=True)) / total) if total else 0.0
    statuses = [wo.status for wo in work_orders]
    if statuses and all(s == "done" for s in statuses):
        status = "done"
    elif any(s != "queued" for s in statuses):
        status = "in_progress"
    else:
        status = "planned"
    eta = max((wo.eta for wo in work_orders), default=None)
    late = bool(promise and status != "done" and (now > promise or (eta is not None and eta > promise)))
    return OrderProgress(order_id, status, round(percent, 1), promise, eta, late, tuple(work_orders))


def work_in_progress(work_orders: Iterable[WorkOrderProgress]) -> dict[str, dict[str, int]]:
    """Per work centre: how many operations are queued, running, paused and done."""
    wip: dict[str, dict[str, int]] = defaultdict(lambda: {"queued": 0, "running": 0, "paused": 0, "done": 0})
    for wo in work_orders:
        for op in wo.operations:
            wip[op.planned.work_centre][op.state.status.value] += 1
    return dict(wip)


def work_order_json(wo: WorkOrderProgress, order_number: str = "") -> dict[str, Any]:
    """A work order as the API answers it (GET /work-orders, an order's detail)."""
    return {
        "id": wo.id, "order_id": wo.order_id, "order_number": order_number, "item": wo.item, "qty": wo.qty, "status": wo.status,
        "percent": wo.percent, "good": wo.good, "scrap": wo.scrap, "eta": wo.eta.isoformat(),
        "operations": [{
            "op": op.planned.op, "code": op.planned.code, "work_centre": op.planned.work_centre,
            "status": op.state.status.value, "standard_seconds": op.planned.standard_seconds,
            "elapsed_seconds": round(op.state.elapsed_seconds, 1), "workers": list(op.state.workers),
            "crew": list(op.state.crew),
            "good": op.state.good, "scrap": op.state.scrap, "planned_start": op.planned.planned_start.isoformat(),
            "planned_end": op.planned.planned_end.isoformat(), "eta": op.eta.isoformat(),
            "started_at": to_iso(op.state.started_at), "completed_at": to_iso(op.state.completed_at),
            "pause_reason": op.state.pause_reason, "paused_at": to_iso(op.state.paused_at),
        } for op in wo.operations],
    }


def order_json(order: OrderProgress, detail: bool = False,
               configuration: Mapping[str, str] | None = None,
               customer: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An order as the API answers it, with its ``customer`` (name, phone: what an ERP's sales order
    needs); ``detail``: with its configuration (read for the one order asked for, not with every order's
    progress) and its work orders and their operations."""
    data: dict[str, Any] = {
        "id": order.id, "number": order.number, "status": order.status, "percent": order.percent, "late": order.late,
        "promise": order.promise.isoformat() if order.promise else None,
        # the day the customer holds, as the kiosk's ack and receipt say it: an ERP need not read the promise's
        # end-of-day moment in the site's offset beside the UTC times of the rest
        "promise_date": order.promise.date().isoformat() if order.promise else None,
        "eta": order.eta.isoformat() if order.eta else None,
        "product": order.product, "quantity": order.quantity,
        "placed_at": order.placed_at.isoformat() if order.placed_at else None,
        "first_promise": order.first_promise.isoformat() if order.first_promise else None,
        "price": order.price, "currency": order.currency, "revision": order.revision,
        "promise_reason": order.reason, "customer": dict(customer or {}),
    }
    if detail:
        data["configuration"] = dict(configuration or {})
        data["work_orders"] = [work_order_json(wo, order.number) for wo in order.work_orders]
    return data
