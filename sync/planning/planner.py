"""The planner: stock netting, work orders, requisitions, finite-capacity insertion scheduling.

Orders are planned one after another in the order they arrive; each takes stock and capacity
that later orders then no longer see. Each operation goes into the earliest gap of its work
centre's calendar that holds it (setup and run, on any of the centre's parallel slots), after its
predecessors and its materials; what earlier orders booked never moves for a later order, so a new
order cannot make an earlier promise later. (``scheduling="forward"`` keeps the old rule, one
queue per slot that only moves forward, for the benchmark's baseline.) Work orders, once created, keep their ids: replanning
(an operation finished early or late, an order cancelled) moves their operations in time but
never renumbers them, because stations already hold them.
"""

from __future__ import annotations

import copy
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sync.errors import PlanningError
from sync.numbers import work_order_number
from sync.planning.model import (
    CentreSpec,
    ItemSpec,
    OrderPlan,
    PlannedOperation,
    PlannedWorkOrder,
    Requisition,
    StructureNode,
)
from sync.planning.timeline import WorkAxis, add_working_minutes, next_working_moment

_EPS = 1e-9


@dataclass
class _Lot:
    """Stock arriving on a requisition: what is not yet promised to an order is ``free``."""

    due: datetime
    free: float
    #: the requisition bringing it (None: a test's hand-made lot), and who counts on it: (order, work order, qty)
    source: Requisition | None = None
    takers: list[tuple[str, str, float]] = field(default_factory=list)


@dataclass
class _Constraint:
    """Why something cannot start earlier: a material, a work centre queue, or the clock."""

    kind: str  # material | centre | subcontract | now | stock
    ref: str
    until: datetime
    supplier: str | None = None  # a material's: who brings the lot it waits for (None: the item's own supplier)


@dataclass
class _WorkOrderState:
    plan: PlannedWorkOrder
    routing: tuple  # tuple[OpSpec, ...]
    materials_ready: datetime
    material_constraint: _Constraint | None
    children: list[str] = field(default_factory=list)
    done_ops: dict[int, tuple[datetime, datetime]] = field(default_factory=dict)
    running_ops: dict[int, datetime] = field(default_factory=dict)
    constraint: _Constraint | None = None
    #: waits on the critical chain up to this work order's end: (kind, what) -> (how long, until when)
    delays: dict[tuple[str, ...], tuple[timedelta, datetime]] = field(default_factory=dict)
    """("centre", code) or ("material", item, supplier) -> (how long it held the order, until when)."""
    #: what it makes, with its parts: a remake of scrapped units is exploded from it again
    node: StructureNode | None = None


class _Slot:
    """One parallel slot of a work centre: its booked intervals in working minutes, sorted and merged."""

    __slots__ = ("starts", "ends")

    def __init__(self, starts: list[float] | None = None, ends: list[float] | None = None) -> None:
        self.starts: list[float] = starts if starts is not None else []
        self.ends: list[float] = ends if ends is not None else []

    def copy(self) -> _Slot:
        return _Slot(list(self.starts), list(self.ends))

    def fit(self, ready: float, minutes: float) -> float:
        """The earliest start at or after ``ready`` with ``minutes`` free."""
        i = bisect_right(self.ends, ready)
        at = ready
        while i < len(self.starts):
            if self.starts[i] >= at + minutes - _EPS:
                break
            if self.ends[i] > at:
                at = self.ends[i]
            i += 1
        return at

    def idle_before(self, at: float) -> float:
        """How long the slot stands idle right before ``at`` (since its last booking, or forever)."""
        i = bisect_right(self.ends, at + _EPS)
        return at - self.ends[i - 1] if i else math.inf

    def idle_after(self, at: float) -> float:
        """How long the slot stands idle right after ``at`` (until its next booking, or forever)."""
        i = bisect_left(self.starts, at - _EPS)
        return self.starts[i] - at if i < len(self.starts) else math.inf

    def add(self, lo: float, hi: float) -> None:
        i = bisect_left(self.starts, lo)
        j = i
        if i > 0 and self.ends[i - 1] >= lo - _EPS:
            i -= 1
            lo, hi = self.starts[i], max(hi, self.ends[i])
        while j < len(self.starts) and self.starts[j] <= hi + _EPS:
            hi = max(hi, self.ends[j])
            j += 1
        self.starts[i:j] = [lo]
        self.ends[i:j] = [hi]


class Planner:
    """Plans orders against one stock position and one set of work-centre calendars."""

    def __init__(self, items: Mapping[str, ItemSpec], centres: Mapping[str, CentreSpec], *,
                 scheduling: str = "insert", zone: tzinfo = UTC) -> None:
        if scheduling not in ("insert", "forward"):
            raise PlanningError(f"unknown scheduling {scheduling!r}", fix="insert or forward")
        self.scheduling = scheduling
        #: the site's time zone: reasons name days and times as the site's clocks read them
        self.zone = zone
        self.items = dict(items)
        self.centres = dict(centres)
        self.on_hand: dict[str, float] = {code: spec.stock for code, spec in self.items.items()}
        self.reserved: dict[str, float] = {}
        self.lots: dict[str, list[_Lot]] = {}
        self.replenishing: dict[str, float] = {}
        self.lanes: dict[str, list[datetime]] = {}
        self.plans: dict[str, OrderPlan] = {}
        self._orders: list[str] = []
        self._work_orders: dict[str, _WorkOrderState] = {}
        self._top: dict[str, str] = {}
        #: remakes of an order's scrapped finished units: more top work orders the promise waits for
        self._extra_tops: dict[str, list[str]] = {}
        self._axes: dict[str, WorkAxis] = {}
        self._slots: dict[str, list[_Slot]] = {}
        self._pinned: dict[tuple[str, int], tuple[datetime, datetime, int]] = {}
        self._origin: datetime | None = None
        self._settled: set[str] = set()  # finished orders, their real times already in their plan
        #: a cancelled order's purchase requisitions still arrive as free lots: a buyer may still cancel or
        #: close them, and the orders that took those lots must then source the part again
        self._orphaned: dict[str, list[Requisition]] = {}

    # ------------------------------------------------------------------ public
    def learn(self, items: Mapping[str, ItemSpec], centres: Mapping[str, CentreSpec]) -> None:
        """Add items and work centres first seen in a newly released revision (known ones keep their stock)."""
        for code, spec in items.items():
            if code not in self.items:
                self.items[code] = spec
                self.on_hand[code] = spec.stock
        for code, centre in centres.items():
            self.centres.setdefault(code, centre)

    def plan(self, order_id: str, structure: StructureNode, qty: float, now: datetime,
             *, ship_from_stock: bool = True, number: str = "") -> OrderPlan:
        """Plan and book an order: it takes stock and capacity from later orders.

        ``number`` (the order's human number, ``sync.numbers``) names its work orders ``<number>-01``...;
        without one they are named after ``order_id``.
        """
        if order_id in self.plans:
            raise PlanningError(f"order {order_id} is already planned", fix="cancel it first to plan it again")
        if self._origin is None:  # working-minute lines start here: the same after a restart's replay
            self._origin = now - timedelta(days=60)
        plan = self._plan(order_id, structure, qty, now, ship_from_stock, number)
        self.plans[order_id] = plan
        self._orders.append(order_id)
        return plan

    def promise(self, order_id: str, structure: StructureNode, qty: float, now: datetime,
                *, ship_from_stock: bool = True, number: str = "") -> OrderPlan:
        """What :meth:`plan` would answer, without booking anything (a quote)."""
        scratch = copy.copy(self)
        scratch.on_hand = dict(self.on_hand)
        scratch.reserved = dict(self.reserved)
        scratch.lots = {k: [_Lot(lot.due, lot.free, lot.source, list(lot.takers)) for lot in v]
                        for k, v in self.lots.items()}
        scratch.replenishing = dict(self.replenishing)
        scratch.lanes = {k: list(v) for k, v in self.lanes.items()}
        scratch._slots = {k: [slot.copy() for slot in v] for k, v in self._slots.items()}
        scratch._work_orders = dict(self._work_orders)
        scratch._top = dict(self._top)
        return scratch._plan(order_id, structure, qty, now, ship_from_stock, number)

    def cancel(self, order_id: str, now: datetime, *, reschedule: bool = True) -> None:
        """Drop an order: its reservations go back to stock and the rest is rescheduled
        (``reschedule=False`` when a restart replays it and takes the stored schedule instead)."""
        plan = self.plans.pop(order_id, None)
        if plan is None:
            raise PlanningError(f"order {order_id} is not planned", fix="check the order id")
        self._orders.remove(order_id)
        self._settled.discard(order_id)
        for item, qty in plan.reserved.items():
            self.reserved[item] = self.reserved.get(item, 0) - qty
        for wo in plan.work_orders:
            self._work_orders.pop(wo.id, None)
        self._top.pop(order_id, None)
        self._extra_tops.pop(order_id, None)
        for lots in self.lots.values():  # what it counted on from other orders' lots is free again
            for lot in lots:
                kept = [t for t in lot.takers if t[0] != order_id]
                lot.free += sum(t[2] for t in lot.takers) - sum(t[2] for t in kept)
                lot.takers = kept
        for req in plan.requisitions:
            if req.kind == "purchase" and not req.cancelled:
                # Bought stock still arrives: it becomes free for the next orders (its surplus already is).
                self.lots.setdefault(req.item, []).append(_Lot(req.due_date, req.need, req))
        self._orphaned[order_id] = [r for r in plan.requisitions if r.kind == "purchase"]
        if reschedule:
            self.reschedule(now)

    def record_progress(self, work_order: str, op: int, *, started: datetime | None = None,
                        finished: datetime | None = None) -> None:
        """Tell the planner what really happened; :meth:`reschedule` then plans around it."""
        state = self._work_orders.get(work_order)
        if state is None:
            raise PlanningError(f"unknown work order {work_order}", fix="check the work order id")
        if not any(spec.op == op for spec in state.routing):
            raise PlanningError(f"work order {work_order} has no operation {op}")
        if finished is not None:
            begun = started or state.running_ops.get(op) or finished
            state.done_ops[op] = (begun, finished)
            state.running_ops.pop(op, None)
        elif started is not None:
            state.running_ops[op] = started

    def reschedule(self, now: datetime) -> None:
        """Schedule every open operation again from ``now``, orders in their arrival sequence.

        Running operations are booked first, where they run: they hold their slot whatever order
        they belong to, so nothing is planned on top of them."""
        self.lanes = {}
        self._slots = {}
        self._pinned = {}
        if self.scheduling == "insert":
            for order_id in self._orders:
                for wo in self.plans[order_id].work_orders:
                    self._pin_running(self._work_orders[wo.id], now)
        for order_id in self._orders:
            plan = self.plans[order_id]
            if plan.ships_from_stock or order_id in self._settled:
                continue  # a finished order's times are what happened: nothing to plan again
            end, constraint, top = self._schedule_order(order_id, now)
            if self._finished(plan):
                self._settled.add(order_id)
                # when it was done, not now: a replan long after (the first after a restart) is no delay
                end = plan.last_end(end)
            plan.promise = end
            plan.reason, plan.why = self._explain(top, constraint, now, end)
            self._refresh_requisitions(plan)

    def settled(self, order_id: str) -> bool:
        """The order is finished: its times are what happened, no replan moves them again."""
        return order_id in self._settled

    def _finished(self, plan: OrderPlan) -> bool:
        for wo in plan.work_orders:
            state = self._work_orders[wo.id]
            if any(spec.op not in state.done_ops for spec in state.routing):
                return False
        return True

    def restore(self, booked: Mapping[tuple[str, int], tuple[datetime, datetime, int]],
                reasons: Mapping[str, str]) -> None:
        """Take the schedule as it was stored (work order, operation -> start, end, slot) instead of
        planning again: after a restart the plan is the live one exactly, and the next order finds
        the same gaps. Orders, cancellations and progress must have been replayed first."""
        self.lanes, self._slots, self._pinned = {}, {}, {}
        for order_id in self._orders:
            plan = self.plans[order_id]
            if plan.ships_from_stock:
                continue
            for wo in plan.work_orders:
                state = self._work_orders[wo.id]
                operations = []
                for spec in state.routing:
                    found = booked.get((wo.id, spec.op))
                    if found is None:
                        raise PlanningError(f"the stored plan has no operation {spec.op} of {wo.id}",
                                            fix="the hub plans everything again on its next change")
                    start, end, lane = found
                    standard = spec.setup_min + spec.run_min * wo.qty
                    operations.append(PlannedOperation(wo.id, spec.op, spec.code, spec.work_centre, start, end,
                                                       standard, spec.outsourced, lane))
                    centre = self.centres.get(spec.work_centre)
                    if spec.outsourced or spec.op in state.done_ops or centre is None:
                        continue
                    slots = self._slots.setdefault(centre.code, [_Slot() for _ in range(max(centre.capacity, 1))])
                    axis = self._axis(centre, start)
                    if end > start and lane < len(slots):
                        slots[lane].add(axis.minute(start), axis.minute(end))
                    if spec.op in state.running_ops:
                        self._pinned[(wo.id, spec.op)] = (start, end, lane)
                    self._free_after(centre, min(lane, len(slots) - 1), end)
                wo.operations = operations
            ends = [self._work_orders[wo_id].plan.end for wo_id in (self._top[order_id],
                    *self._extra_tops.get(order_id, ())) if self._work_orders[wo_id].plan.operations]
            if ends:
                plan.promise = max(ends)
            plan.reason = reasons.get(order_id, plan.reason)
            self._refresh_requisitions(plan)
            if self._finished(plan):  # as the live planner had it: no replan moves what happened
                self._settled.add(order_id)

    def bookings(self, centre: str, after: datetime) -> list[list[tuple[datetime, datetime]]]:
        """Each slot's booked intervals of ``centre`` that end after ``after`` (for the kiosks' snapshot)."""
        axis, spec = self._axes.get(centre), self.centres.get(centre)
        if axis is None or spec is None:
            return []
        floor = axis.minute(after)
        out = []
        for slot in self._slots.get(centre, []):
            out.append([(axis.moment(max(lo, floor), start=True), axis.moment(hi, start=False))
                        for lo, hi in zip(slot.starts, slot.ends, strict=True) if hi > floor])
        return out

    def book(self, busy: Mapping[str, list[list[tuple[datetime, datetime]]]]) -> None:
        """Take booked intervals per centre and slot as they are (a snapshot of another planner)."""
        for code, slots in busy.items():
            centre = self.centres.get(code)
            if centre is None:
                continue
            found = [_Slot() for _ in range(max(centre.capacity, len(slots), 1))]
            for k, intervals in enumerate(slots):
                for a, b in intervals:
                    axis = self._axis(centre, a)
                    found[k].add(axis.minute(a), axis.minute(b))
                    self._free_after(centre, k, b)
            self._slots[code] = found

    def work_orders(self) -> Iterable[PlannedWorkOrder]:
        return (state.plan for state in self._work_orders.values())

    def open_orders(self) -> list[str]:
        """Orders still to be built, in arrival order (not finished, not shipped from stock)."""
        return [o for o in self._orders if o not in self._settled and not self.plans[o].ships_from_stock]

    def overdue(self, now: datetime, grace: timedelta) -> list[tuple[str, int]]:
        """Operations of open orders planned to start more than ``grace`` before ``now`` that have not started
        (bought-in steps aside: no station reports them): the plan promises work that is not happening."""
        late = []
        for order_id in self.open_orders():
            for wo in self.plans[order_id].work_orders:
                state = self._work_orders[wo.id]
                late += [(wo.id, op.op) for op in wo.operations if not op.outsourced and op.start < now - grace
                         and op.op not in state.running_ops and op.op not in state.done_ops]
        return late

    def parts_of(self, work_order: str) -> tuple[StructureNode, ...]:
        """The direct parts of a planned work order's item, quantities per unit (its configuration's BOM
        lines, conditions already evaluated): what a station picks for it."""
        state = self._work_orders.get(work_order)
        return state.node.children if state is not None and state.node is not None else ()

    def scheduled_operations(self) -> int:
        return sum(len(s.plan.operations) for s in self._work_orders.values())

    # ------------------------------------------------------------------ planning
    def _plan(self, order_id: str, structure: StructureNode, qty: float, now: datetime,
              ship_from_stock: bool, number: str = "") -> OrderPlan:
        if qty <= 0:
            raise PlanningError(f"order {order_id}: quantity must be positive, got {qty}")
        self._spec(structure.item)
        plan = OrderPlan(order_id=order_id, ships_from_stock=False, promise=now, reason="", number=number)
        need = qty * structure.qty_per
        if ship_from_stock and self._usable(structure.item) + _EPS >= need:
            self._reserve(plan, structure.item, need)
            plan.ships_from_stock = True
            plan.reason, plan.why = f"in stock: {structure.item}", {"kind": "stock", "item": structure.item}
            return plan
        counter = [0]
        top = self._explode(plan, structure, need, now, None, counter, take_stock=False)
        if top is None:  # pragma: no cover - finished items always get a work order above
            raise PlanningError(f"order {order_id}: nothing to make")
        self._top[order_id] = top
        end, constraint, top = self._schedule_order(order_id, now)
        plan.promise = end
        plan.reason, plan.why = self._explain(top, constraint, now, end)
        self._refresh_requisitions(plan)
        return plan

    def _refresh_requisitions(self, plan: OrderPlan) -> None:
        """Need dates follow the schedule; every outsourced operation is a subcontract order."""
        by_id = {wo.id: wo for wo in plan.work_orders}
        for req in plan.requisitions:
            if req.kind == "purchase" and req.work_order in by_id and by_id[req.work_order].operations:
                req.need_date = by_id[req.work_order].start
        plan.requisitions = [r for r in plan.requisitions if r.kind != "subcontract"]
        for wo in plan.work_orders:
            state = self._work_orders[wo.id]
            suppliers = {spec.op: spec.supplier for spec in state.routing}
            for op in wo.operations:
                if op.outsourced:
                    plan.requisitions.append(Requisition("subcontract", plan.order_id, wo.item, wo.qty,
                                                         suppliers.get(op.op), need_date=op.start,
                                                         due_date=op.end, work_order=wo.id, operation=op.op))

    def _explode(self, plan: OrderPlan, node: StructureNode, need: float, now: datetime,
                 parent: str | None, counter: list[int], *, take_stock: bool = True) -> str | None:
        """Create the work order for ``need`` units of made item ``node.item`` (after stock)."""
        self._spec(node.item)
        if take_stock:
            usable = min(self._usable(node.item), need)
            if usable > _EPS:
                self._reserve(plan, node.item, usable)
                need -= usable
            if need <= _EPS:
                return None
        if not node.routing:
            raise PlanningError(f"item {node.item} is made but has no routing",
                                fix="give its assembly a routing in assemblies.yaml")
        counter[0] += 1
        wo_id = work_order_number(plan.number or plan.order_id, counter[0])
        materials_ready = now
        material_constraint: _Constraint | None = None
        children: list[str] = []
        for child in node.children:
            child_need = need * child.qty_per
            if child_need <= _EPS:
                continue
            child_spec = self._spec(child.item)
            if child_spec.kind == "purchased":
                ready = self._take_purchased(plan, child_spec, child_need, now, wo_id)
                if ready > materials_ready:
                    materials_ready = ready
                    material_constraint = _Constraint("material", child.item, ready)
            else:
                child_wo = self._explode(plan, child, child_need, now, wo_id, counter)
                if child_wo is not None:
                    children.append(child_wo)
        wo = PlannedWorkOrder(id=wo_id, order_id=plan.order_id, item=node.item, qty=need,
                              operations=[], parent=parent,
                              materials_ready=materials_ready if material_constraint is not None else None)
        plan.work_orders.append(wo)
        self._work_orders[wo_id] = _WorkOrderState(wo, tuple(node.routing), materials_ready,
                                                   material_constraint, children, node=node)
        return wo_id

    def _take_purchased(self, plan: OrderPlan, spec: ItemSpec, need: float, now: datetime,
                        wo_id: str) -> datetime:
        """Reserve what stock allows, use free incoming lots, buy the rest; when is it all here?"""
        ready = now
        usable = min(self._usable(spec.code), need)
        if usable > _EPS:
            self._reserve(plan, spec.code, usable)
            need -= usable
        # open requisitions of earlier orders (a lot size's or a reorder's surplus) serve this one first
        for lot in sorted(self.lots.get(spec.code, []), key=lambda lot: lot.due):
            if need <= _EPS:
                break
            take = min(lot.free, need)
            if take > _EPS:
                lot.free -= take
                lot.takers.append((plan.order_id, wo_id, take))
                need -= take
                ready = max(ready, lot.due)
        if need > _EPS:
            due = self._due(spec, now)
            # Stock below safety stock is bought back up once, not again by every later order.
            projected = self.on_hand.get(spec.code, 0) - self.reserved.get(spec.code, 0)
            topup = max(0.0, spec.safety_stock - max(projected, 0.0) - self.replenishing.get(spec.code, 0))
            self.replenishing[spec.code] = self.replenishing.get(spec.code, 0) + topup
            wanted = need + topup
            if spec.policy == "reorder_point":
                wanted = max(wanted, spec.order_qty)
            qty = _lot_size(spec, wanted)
            surplus = qty - need - topup
            req = Requisition("purchase", plan.order_id, spec.code, qty, spec.supplier, need_date=now, due_date=due,
                              work_order=wo_id, safety_topup=topup, surplus=max(surplus, 0.0))
            if surplus > _EPS:
                self.lots.setdefault(spec.code, []).append(_Lot(due, surplus, req))
            plan.requisitions.append(req)
            ready = max(ready, due)
        if spec.policy == "reorder_point":
            self._reorder(plan, spec, now)
        return ready

    def _due(self, spec: ItemSpec, now: datetime) -> datetime:
        """When a requisition raised now arrives: after the lead time, or for period batching after the
        lead time counted from the end of the period (one order per supplier and period)."""
        if spec.policy != "period":
            return now + timedelta(days=spec.lead_time_days)
        period = timedelta(days=max(spec.period_days, 1))
        ordered = _PERIOD_EPOCH + ((now - _PERIOD_EPOCH) // period + 1) * period
        return ordered + timedelta(days=spec.lead_time_days)

    def _reorder(self, plan: OrderPlan, spec: ItemSpec, now: datetime) -> None:
        """Reorder point: while stock on hand and on order (not yet promised) is at or below the point, buy
        the reorder quantity; it is free for whichever order comes next."""
        for _ in range(100):
            position = (self.on_hand.get(spec.code, 0) - self.reserved.get(spec.code, 0)
                        + sum(lot.free for lot in self.lots.get(spec.code, [])))
            if position > spec.reorder_point + _EPS or spec.order_qty <= 0:
                return
            qty = _lot_size(spec, spec.order_qty)
            due = self._due(spec, now)
            req = Requisition("purchase", plan.order_id, spec.code, qty, spec.supplier, need_date=due, due_date=due,
                              surplus=qty)
            self.lots.setdefault(spec.code, []).append(_Lot(due, qty, req))
            plan.requisitions.append(req)

    def purchase_orders(self) -> list[dict[str, object]]:
        """Open purchase requisitions consolidated per supplier and due date (what a buyer sends)."""
        grouped: dict[tuple[str, datetime], dict[str, float]] = {}
        for plan in self.plans.values():
            for req in plan.requisitions:
                if req.kind == "purchase" and not req.cancelled:
                    lines = grouped.setdefault((req.supplier or "", req.due_date), {})
                    lines[req.item] = lines.get(req.item, 0) + req.qty
        return [{"supplier": supplier, "due_date": due, "lines": dict(sorted(lines.items()))}
                for (supplier, due), lines in sorted(grouped.items(), key=lambda kv: (kv[0][1], kv[0][0]))]

    def remake(self, order_id: str, work_order: str, qty: float, now: datetime) -> list[PlannedWorkOrder]:
        """``qty`` units of ``work_order`` were scrapped: they are lost, so a new work order makes them again
        from the first operation, with their materials and parts netted against stock and bought like any
        demand. A part's remake is one more part its parent waits for; a finished item's remake is one more
        top work order the order's promise waits for. Returns the new work orders (none when stock covers it);
        :meth:`reschedule` then books them and moves the promise."""
        plan, state = self.plans.get(order_id), self._work_orders.get(work_order)
        if plan is None or state is None or state.plan.order_id != order_id or state.node is None:
            raise PlanningError(f"work order {work_order} of order {order_id} is not planned",
                                fix="check the work order id")
        if qty <= _EPS:
            raise PlanningError(f"work order {work_order}: a remake needs a positive quantity, got {qty}")
        known = {wo.id for wo in plan.work_orders}
        parent = state.plan.parent
        counter = [len(plan.work_orders)]
        new = self._explode(plan, state.node, qty, now, parent, counter, take_stock=parent is not None)
        if new is not None:
            if parent is not None:
                self._work_orders[parent].children.append(new)
            else:
                self._extra_tops.setdefault(order_id, []).append(new)
            self._settled.discard(order_id)
        return [wo for wo in plan.work_orders if wo.id not in known]

    # ------------------------------------------------------------------ scheduling
    def _schedule_order(self, order_id: str, now: datetime) -> tuple[datetime, _Constraint | None, str]:
        """Schedule an order's top work order and its remakes; the last to end is the promise."""
        top = self._top[order_id]
        end, constraint = self._schedule_tree(top, now)
        for extra in self._extra_tops.get(order_id, ()):
            extra_end, extra_constraint = self._schedule_tree(extra, now)
            if extra_end > end:
                end, constraint, top = extra_end, extra_constraint, extra
        return end, constraint, top

    def _schedule_tree(self, wo_id: str, now: datetime) -> tuple[datetime, _Constraint | None]:
        """Schedule a work order after its children; return its end and what decided it."""
        state = self._work_orders[wo_id]
        earliest = max(now, state.materials_ready)
        constraint = state.material_constraint if state.materials_ready > now else _Constraint("now", "", now)
        delays: dict[tuple[str, ...], tuple[timedelta, datetime]] = {}
        if state.material_constraint is not None and state.materials_ready > now:
            waited_for = state.material_constraint
            delays[("material", waited_for.ref, waited_for.supplier or "")] = (state.materials_ready - now,
                                                                            state.materials_ready)
        for child in state.children:
            child_end, child_constraint = self._schedule_tree(child, now)
            if child_end > earliest:
                earliest, constraint = child_end, child_constraint
                delays = dict(self._work_orders[child].delays)
        state.delays = delays
        end, op_constraint = self._schedule_ops(state, earliest, now)
        if op_constraint is not None:
            constraint = op_constraint
        state.constraint = constraint
        return end, constraint

    def _schedule_ops(self, state: _WorkOrderState, earliest: datetime,
                      now: datetime) -> tuple[datetime, _Constraint | None]:
        wo = state.plan
        wo.operations = []
        binding: _Constraint | None = None
        t = earliest
        for spec in state.routing:
            standard = spec.setup_min + spec.run_min * wo.qty
            if spec.op in state.done_ops:
                start, end = state.done_ops[spec.op]
                wo.operations.append(PlannedOperation(wo.id, spec.op, spec.code, spec.work_centre, start, end,
                                                      standard, spec.outsourced))
                t = max(end, now)
                continue
            centre = self.centres.get(spec.work_centre)
            if centre is None:
                raise PlanningError(f"operation {spec.op} of {wo.item} uses unknown work centre {spec.work_centre}")
            if spec.outsourced:
                start = t
                end = start + timedelta(days=spec.lead_time_days)
                wo.operations.append(PlannedOperation(wo.id, spec.op, spec.code, spec.work_centre, start, end,
                                                      standard, True))
                if spec.lead_time_days > 0:
                    binding = _Constraint("subcontract", spec.supplier or spec.work_centre, end)
                t = end
                continue
            if self.scheduling == "insert":
                pinned = self._pinned.get((wo.id, spec.op))
                if pinned is None and spec.op in state.running_ops:
                    pinned = self._pin(wo.id, spec.op, centre, state.running_ops[spec.op], standard, now)
                if pinned is not None:
                    start, end, lane = pinned
                else:
                    start, end, lane = self._book(centre, t, standard)
                    axis = self._axes[centre.code]
                    could = axis.moment(axis.minute(t), start=True)  # the calendar alone would allow this
                    if start > could:
                        binding = _Constraint("centre", centre.code, start)
                        waited, _ = state.delays.get(("centre", centre.code), (timedelta(0), start))
                        state.delays[("centre", centre.code)] = (waited + (start - could), start)
                wo.operations.append(PlannedOperation(wo.id, spec.op, spec.code, spec.work_centre, start, end,
                                                      standard, False, lane))
                t = max(end, t)
                continue
            lanes = self.lanes.setdefault(centre.code, [now] * max(centre.capacity, 1))
            running_since = state.running_ops.get(spec.op)
            lane = min(range(len(lanes)), key=lambda i: max(lanes[i], t))
            if running_since is not None:
                start = running_since
                elapsed = (now - running_since).total_seconds() / 60
                end = add_working_minutes(centre.calendar, max(now, t), max(standard - elapsed, 0))
            else:
                free = lanes[lane]
                start = next_working_moment(centre.calendar, max(free, t))
                if free > t:
                    binding = _Constraint("centre", centre.code, free)
                end = add_working_minutes(centre.calendar, start, standard)
            lanes[lane] = max(lanes[lane], end)
            wo.operations.append(PlannedOperation(wo.id, spec.op, spec.code, spec.work_centre, start, end,
                                                  standard, False, lane))
            t = end
        return t, binding

    def _axis(self, centre: CentreSpec, at: datetime) -> WorkAxis:
        axis = self._axes.get(centre.code)
        if axis is None:
            if self._origin is None:
                self._origin = at - timedelta(days=60)  # running operations may have started earlier
            axis = self._axes[centre.code] = WorkAxis(centre.calendar, self._origin)
        return axis

    def _book(self, centre: CentreSpec, ready: datetime, minutes: float) -> tuple[datetime, datetime, int]:
        """Book ``minutes`` of working time in the earliest gap at or after ``ready`` on any slot."""
        axis = self._axis(centre, ready)
        slots = self._slots.setdefault(centre.code, [_Slot() for _ in range(max(centre.capacity, 1))])
        r = axis.minute(ready)
        best, lane = slots[0].fit(r, minutes), 0
        if len(slots) > 1:
            # best fit: of the slots where it starts earliest, the one it leaves the least idle time on (right
            # before it, then right after it), so the longer gaps and the free slots stay whole for later work
            fits = [slot.fit(r, minutes) for slot in slots]
            lane = min((k for k in range(len(slots)) if fits[k] <= min(fits) + _EPS),
                       key=lambda k: (slots[k].idle_before(fits[k]), slots[k].idle_after(fits[k] + minutes), k))
            best = fits[lane]
        # Whole seconds, and the slot keeps exactly what is stored: a restart rebuilds the same gaps.
        start = _whole_second(axis.moment(best, start=True))
        end = _whole_second(axis.moment(best + minutes, start=False)) if minutes > 0 else start
        if end > start:
            slots[lane].add(axis.minute(start), axis.minute(end))
        self._free_after(centre, lane, end)
        return start, end, lane

    def _free_after(self, centre: CentreSpec, lane: int, end: datetime) -> None:
        """Keep ``lanes`` (when each slot's last booking ends) for the kiosks' offline estimate."""
        lanes = self.lanes.setdefault(centre.code, [end] * max(centre.capacity, 1))
        lanes[lane] = max(lanes[lane], end)

    def _pin_running(self, state: _WorkOrderState, now: datetime) -> None:
        for spec in state.routing:
            since = state.running_ops.get(spec.op)
            centre = self.centres.get(spec.work_centre)
            if since is None or spec.op in state.done_ops or spec.outsourced or centre is None:
                continue
            self._pin(state.plan.id, spec.op, centre, since, spec.setup_min + spec.run_min * state.plan.qty, now)

    def _pin(self, wo_id: str, op: int, centre: CentreSpec, since: datetime, standard: float,
             now: datetime) -> tuple[datetime, datetime, int]:
        """A running operation holds a slot from its real start until its standard time is used up (or now)."""
        axis = self._axis(centre, min(since, now))
        lo, at_now = axis.minute(since), axis.minute(now)
        hi = max(at_now, lo + standard)
        slots = self._slots.setdefault(centre.code, [_Slot() for _ in range(max(centre.capacity, 1))])
        lane = next((k for k, slot in enumerate(slots) if slot.fit(lo, hi - lo) <= lo + _EPS), 0)
        end = max(_whole_second(axis.moment(hi, start=False)), now) if hi > lo else now
        if end > since:
            slots[lane].add(lo, axis.minute(end))
        pinned = (since, end, lane)
        self._pinned[(wo_id, op)] = pinned
        self._free_after(centre, lane, end)
        return pinned

    def _explain(self, top: str, constraint: _Constraint | None, now: datetime,
                 end: datetime) -> tuple[str, dict[str, Any]]:
        """The wait that accounts for most of the order's time beyond its own routing, with its share:
        "QC is booked until Thu 10 Dec (41 of 49 days)", "TUBE-AL-HYDRO from AluTech Ningbo arrives ...";
        and the same as facts (kind, centre or item and supplier, until, share) a board writes in its language."""
        delays = self._work_orders[top].delays if self.scheduling == "insert" else {}
        if not delays:
            return _describe(constraint, self.zone)
        (kind, ref, *source), (waited, until) = max(delays.items(), key=lambda kv: kv[1][0])
        if waited < timedelta(hours=1):
            return _describe(constraint, self.zone)
        until = until.astimezone(self.zone)
        share = _share(waited, end - now)
        facts: dict[str, Any] = {"until": until.isoformat(), "waited": share[0], "of": share[1], "unit": share[2]}
        text = f"{share[0]} of {share[1]} {share[2]}"
        if kind == "centre":
            return f"{ref} is booked until {until:%a %d %b} ({text})", {"kind": "centre", "centre": ref, **facts}
        supplier = (source[0] if source and source[0] else None) or (self.items[ref].supplier
                                                                     if ref in self.items else None)
        named = f"{ref} from {supplier}" if supplier else ref
        return (f"{named} arrives {until:%a %d %b} ({text})",
                {"kind": "material", "item": ref, "supplier": supplier, **facts})

    # ------------------------------------------------------------------ stock ledger (sync.hub.stock)
    def adjust_stock(self, code: str, delta: float) -> float:
        """A stock movement no plan counted on (a count, an over-delivery, parts used by a cancelled
        order): on hand moves by ``delta``. Returns how much of what orders reserved is no longer there."""
        self._spec(code)
        self.on_hand[code] = self.on_hand.get(code, 0) + delta
        return max(0.0, self.reserved.get(code, 0) - self.on_hand[code])

    def rebuy(self, order_id: str, work_order: str, item: str, qty: float, now: datetime) -> Requisition | None:
        """Stock an order was promised is gone (a count found less): up to ``qty`` of its reservation of
        ``item`` is bought again for ``work_order``, which now waits for it (:meth:`reschedule` moves the
        promise, the reason names the supplier). None when the order holds none of it."""
        plan, state = self.plans.get(order_id), self._work_orders.get(work_order)
        if plan is None or state is None:
            return None
        spec = self._spec(item)
        take = min(qty, plan.reserved.get(item, 0.0))
        if take <= _EPS:
            return None
        plan.reserved[item] -= take
        self.reserved[item] = self.reserved.get(item, 0.0) - take
        due = self._due(spec, now)
        lot = _lot_size(spec, take)
        req = Requisition("purchase", order_id, item, lot, spec.supplier, need_date=now, due_date=due,
                          work_order=work_order, surplus=max(lot - take, 0.0))
        if lot - take > _EPS:
            self.lots.setdefault(item, []).append(_Lot(due, lot - take, req))
        plan.requisitions.append(req)
        if due > state.materials_ready or state.material_constraint is None:
            state.materials_ready = max(due, state.materials_ready)
            state.material_constraint = _Constraint("material", item, state.materials_ready)
            state.plan.materials_ready = state.materials_ready
        return req

    def _purchase(self, order_id: str, item: str, work_order: str | None, index: int, *,
                  of_cancelled: bool = False) -> Requisition | None:
        """The order's ``index``-th purchase requisition of ``item`` for ``work_order`` (in the order they were
        raised: how the hub's rows name them); None when the planner holds no such requisition. ``of_cancelled``:
        also among a cancelled order's (their lots stay free for later orders)."""
        plan = self.plans.get(order_id)
        held = plan.requisitions if plan is not None else self._orphaned.get(order_id, []) if of_cancelled else []
        same = [r for r in held if r.kind == "purchase" and r.item == item and r.work_order == work_order]
        return same[index] if index < len(same) else None

    def requisition_due(self, order_id: str, item: str, work_order: str | None, index: int, due: datetime,
                        supplier: str | None = None) -> bool:
        """A purchase requisition now arrives at ``due`` (a supplier's confirmed date, or received in full):
        the work order waiting for it gets its materials then. ``index`` picks among the order's requisitions
        of the same item and work order, in the order they were raised. :meth:`reschedule` then moves what
        follows. False when the planner holds no such requisition."""
        req = self._purchase(order_id, item, work_order, index)
        if req is None:
            return False
        req.due_date = due
        if supplier:  # this requisition's, not the item's: another order's lot may come from its usual supplier
            req.confirmed_supplier = supplier
        for lot in self.lots.get(item, []):
            if lot.source is req:
                lot.due = due
        for wo_id in {work_order, *(t[1] for lot in self.lots.get(item, []) if lot.source is req
                                    for t in lot.takers)}:
            if wo_id is not None and wo_id in self._work_orders:
                self._materials(self._work_orders[wo_id], due)
        return True

    def requisition_received(self, order_id: str, item: str, work_order: str | None, index: int, received: float,
                             now: datetime) -> bool:
        """Part of a purchase requisition came (``received`` of it so far): once that covers what its own work
        order needs (the safety top-up and a lot's surplus may follow later) the work order no longer waits for
        the rest. A purchaser's review: 1 of 2 batteries in, the bike needing 1, and its station still refused to
        start 'waits for delivery'. False when the planner holds no such requisition."""
        req = self._purchase(order_id, item, work_order, index)
        if req is None:
            return False
        req.received = received
        state = self._work_orders.get(work_order or "")
        if state is not None and req.need - received <= _EPS:
            self._materials(state, now)
        return True

    def received_covers(self, order_id: str, item: str, work_order: str | None, index: int) -> bool:
        """What came of the requisition so far covers what its work order needs of it."""
        req = self._purchase(order_id, item, work_order, index)
        return req is not None and req.need - req.received <= _EPS

    def _materials(self, state: _WorkOrderState, now: datetime) -> None:
        """When a work order's bought parts are all here, from what it waits for now: its own requisitions
        (the part of each it needs) and the lots of other requisitions it counts on."""
        waits: list[tuple[datetime, str, str | None]] = []
        order = self.plans.get(state.plan.order_id)
        for req in order.requisitions if order else ():
            if (req.kind == "purchase" and req.work_order == state.plan.id and not req.cancelled
                    and req.need - req.received > _EPS):
                waits.append((req.due_date, req.item, req.confirmed_supplier))
        for code, lots in self.lots.items():
            for lot in lots:
                if any(t[1] == state.plan.id for t in lot.takers):
                    waits.append((lot.due, code, lot.source.confirmed_supplier if lot.source is not None else None))
        if not waits:
            state.materials_ready, state.material_constraint = min(state.materials_ready, now), None
            state.plan.materials_ready = None
            return
        ready, ref, supplier = max(waits, key=lambda wait: (wait[0], wait[1]))
        state.materials_ready = ready
        state.material_constraint = _Constraint("material", ref, ready, supplier)
        state.plan.materials_ready = ready

    def cancel_requisition(self, order_id: str, item: str, work_order: str | None, index: int,
                           now: datetime, *, received: float = 0.0) -> list[Requisition]:
        """A buyer cancelled a purchase requisition: what it was to bring does not come. The work order that
        needed it, and every later order counting on its surplus, takes the part again from what is free
        now (stock, other requisitions' lots) or buys it (the new requisitions are returned, in the order they
        were raised, each appended to its order's plan). :meth:`reschedule` then moves the promises.
        ``received`` of it already came (a requisition closed after part of it) and stays its order's."""
        # a cancelled order's requisitions are free lots later orders may count on: withdraw them all the same
        req = self._purchase(order_id, item, work_order, index, of_cancelled=True)
        if req is None or req.cancelled:
            return []
        return self._withdraw(req, order_id, now, received=received)

    def use_stock(self, order_id: str, item: str, work_order: str | None, index: int, now: datetime, *,
                  ordered: bool, limit: float = math.inf) -> tuple[float, Requisition | None]:
        """More stock than the plan expected (a count up, a receipt beyond or without a requisition): the
        order's work order waiting for this purchase requisition takes what is free now (up to ``limit``) and
        waits for the requisition only for the rest. An ``ordered`` requisition still comes in full: what it
        no longer brings for this order is surplus (free for later orders); an open one shrinks (to its lot
        size; cancelled when nothing of it is needed). Returns how much was taken; :meth:`reschedule` then
        moves the promise earlier. (0, None) when nothing changed."""
        plan, state = self.plans.get(order_id), self._work_orders.get(work_order or "")
        req = self._purchase(order_id, item, work_order, index)
        if plan is None or state is None or req is None or req.cancelled:
            return 0.0, None
        spec = self._spec(item)
        take = min(self._usable(item), req.need, limit)
        if take <= _EPS:
            return 0.0, None
        self._reserve(plan, item, take)
        lots = [lot for lot in self.lots.get(item, []) if lot.source is req]
        others = sum(t[2] for lot in lots for t in lot.takers)
        need = req.need - take
        if ordered:
            req.surplus += take
        else:
            floor = need + req.safety_topup + others
            qty = max(_lot_size(spec, need + req.safety_topup), floor) if floor > _EPS else 0.0
            req.surplus, req.qty = max(qty - need - req.safety_topup, 0.0), qty
            if qty <= _EPS:
                req.cancelled = True
        free = req.surplus - others
        if lots:
            lots[0].free = free
        elif free > _EPS:
            self.lots.setdefault(item, []).append(_Lot(req.due_date, free, req))
        self._materials(state, now)
        return take, req

    def _withdraw(self, req: Requisition, order_id: str, now: datetime, *, received: float) -> list[Requisition]:
        spec = self._spec(req.item)
        req.cancelled = True
        self.replenishing[req.item] = max(0.0, self.replenishing.get(req.item, 0.0) - req.safety_topup)
        short: list[tuple[str, str | None, float]] = []
        if req.need - received > _EPS:
            short.append((order_id, req.work_order, req.need - received))
        kept = []
        for lot in self.lots.get(req.item, []):
            if lot.source is req:
                short += [(o, w, q) for o, w, q in lot.takers]
            else:
                kept.append(lot)
        self.lots[req.item] = kept
        raised: list[Requisition] = []
        for taker, wo_id, qty in sorted(short, key=lambda s: self._orders.index(s[0]) if s[0] in self._orders else -1):
            plan, state = self.plans.get(taker), self._work_orders.get(wo_id or "")
            if plan is None or state is None:
                continue
            before = len(plan.requisitions)
            self._take_purchased(plan, spec, qty, now, state.plan.id)
            raised += plan.requisitions[before:]
            self._materials(state, now)
        own = self._work_orders.get(req.work_order or "")
        if own is not None and order_id in self.plans and not any(s[1] == req.work_order for s in short):
            self._materials(own, now)  # what was received covers the need: it no longer waits for the due date
        return raised

    # ------------------------------------------------------------------ stock
    def _spec(self, code: str) -> ItemSpec:
        spec = self.items.get(code)
        if spec is None:
            raise PlanningError(f"unknown item {code}", fix="add it to items.yaml and release a new revision")
        return spec

    def _usable(self, code: str) -> float:
        spec = self._spec(code)
        return max(0.0, self.on_hand.get(code, 0) - self.reserved.get(code, 0) - spec.safety_stock)

    def _reserve(self, plan: OrderPlan, code: str, qty: float) -> None:
        self.reserved[code] = self.reserved.get(code, 0) + qty
        plan.reserved[code] = plan.reserved.get(code, 0) + qty


#: period batching counts periods from a Monday, so every period of 7 days is a calendar week
_PERIOD_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def _lot_size(spec: ItemSpec, qty: float) -> float:
    """At least the minimum order quantity, rounded up to the order multiple."""
    qty = max(qty, spec.min_qty)
    if spec.multiple > 0:
        qty = math.ceil(qty / spec.multiple - 1e-9) * spec.multiple
    return qty


def _share(part: timedelta, whole: timedelta) -> tuple[int, int, str]:
    """(41, 49, "days"): "41 of 49 days" (or hours, for an order of less than two days)."""
    if whole >= timedelta(days=2):
        return max(round(part / timedelta(days=1)), 1), round(whole / timedelta(days=1)), "days"
    return max(round(part / timedelta(hours=1)), 1), max(round(whole / timedelta(hours=1)), 1), "hours"


def _whole_second(at: datetime) -> datetime:
    """Round up to the second (planned times are stored and compared as text)."""
    return at if not at.microsecond else at.replace(microsecond=0) + timedelta(seconds=1)


def _describe(constraint: _Constraint | None, zone: tzinfo) -> tuple[str, dict[str, Any]]:
    """One line saying what decides the promise date (its day and time as the site's clocks read them), and
    its facts."""
    if constraint is None or constraint.kind == "now":
        return "capacity and materials are free: the routing's own duration decides", {"kind": "free"}
    until = constraint.until.astimezone(zone)
    if constraint.kind == "material":
        return (f"waiting for material {constraint.ref} (arrives {until:%Y-%m-%d})",
                {"kind": "material", "item": constraint.ref, "supplier": None, "until": until.isoformat()})
    if constraint.kind == "centre":
        return (f"work centre {constraint.ref} is booked until {until:%Y-%m-%d %H:%M}",
                {"kind": "centre", "centre": constraint.ref, "until": until.isoformat()})
    if constraint.kind == "subcontract":
        return (f"subcontractor {constraint.ref} returns the parts on {until:%Y-%m-%d}",
                {"kind": "subcontract", "supplier": constraint.ref, "until": until.isoformat()})
    return f"{constraint.kind} {constraint.ref}", {"kind": constraint.kind, "ref": constraint.ref}
