"""An independent check of a stored hub plan, written apart from ``sync.planning``.

It reads what the hub persisted (orders, cancellations, work orders, their operations, requisitions,
operation events) and the catalog products the orders were placed against, and recomputes everything
it judges with its own model and arithmetic: its own shift calendar, its own BOM walk, its own stock
ledger. Nothing here imports the planner, so a planner bug cannot hide itself in the check.

Rules (each violation is one line starting with its rule name):
- ``capacity``: at no instant do more open operations (planned or running) use a work centre than
  its capacity (outsourced centres are the subcontractor's and are not counted);
- ``shift``: a planned in-house operation starts and ends in working time and spans exactly its
  standard working minutes of the centre's calendar;
- ``routing``: an operation starts after the previous operation of its work order ends;
- ``bom``: a work order starts after every work order making its parts ends;
- ``material``: stock of a purchased part never goes below zero (a work order consumes its parts
  when it starts; requisitions arrive on their due date);
- ``safety``: stock never goes below the safety stock (or the opening stock, if that was lower);
- ``promise``: an order's promise is not before the end of its last operation; in first plans (no
  operation event, no cancellation yet) not before the end of the day its product's
  ``promise_margin_days`` Monday-Friday days after that (site time); later the margin absorbs slips;
- ``structure``: every open order that is built has work orders, every work order has operations.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sync.catalog.model import Item, Product, WorkCentre, condition_holds

EPS = 1e-6
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Row = dict[str, Any]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def promised(ready: datetime, zone: tzinfo, margin_days: int) -> datetime:
    """The end (23:59:59, site time) of the day ``margin_days`` Monday-Friday days after ``ready``'s day."""
    day = ready.astimezone(zone).date()
    ordinal = day.toordinal()
    while margin_days > 0:
        ordinal += 1
        if date.fromordinal(ordinal).isoweekday() <= 5:
            margin_days -= 1
    day = date.fromordinal(ordinal)
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=zone)


class ShiftCalendar:
    """Working time of one centre, recomputed from the catalog's workdays, shifts and holidays."""

    def __init__(self, workdays: Iterable[str], shifts: Iterable[tuple[str, str]], holidays: Iterable[str],
                 zone: tzinfo) -> None:
        self.days = {DAYS.index(d.lower()[:3]) for d in workdays}
        self.shifts = [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in shifts]
        self.holidays = {date.fromisoformat(str(h)) for h in holidays}
        self.zone = zone

    def _shifts_of(self, day: date) -> list[tuple[datetime, datetime]]:
        if day in self.holidays or day.weekday() not in self.days:
            return []
        out = []
        for a, b in self.shifts:
            end_day = day if b > a else day + timedelta(days=1)
            out.append((datetime.combine(day, a, self.zone), datetime.combine(end_day, b, self.zone)))
        return out

    def spans(self, a: datetime, b: datetime) -> list[tuple[datetime, datetime]]:
        """Working spans overlapping [a, b], clipped, in order (touching shifts kept apart)."""
        out = []
        day = a.astimezone(self.zone).date() - timedelta(days=1)
        while day <= b.astimezone(self.zone).date():
            for lo, hi in self._shifts_of(day):
                if hi > a and lo < b:
                    out.append((max(lo, a), min(hi, b)))
            day += timedelta(days=1)
        return sorted(out)

    def minutes(self, a: datetime, b: datetime) -> float:
        return sum(max((hi - lo).total_seconds(), 0) for lo, hi in self.spans(a, b)) / 60

    def inside(self, t: datetime, *, as_end: bool) -> bool:
        """Is ``t`` a moment of working time (an end may sit on a shift's last instant)?"""
        for lo, hi in self.spans(t - timedelta(days=2), t + timedelta(days=2)):
            if (lo < t <= hi) if as_end else (lo <= t < hi):
                return True
        return False


@dataclass
class PlanTables:
    """The persisted plan, row by row (plain dicts, so a test can plant a fault in a copy)."""

    orders: list[Row]
    cancelled: set[str]
    work_orders: list[Row]
    ops: list[Row]
    requisitions: list[Row]
    op_events: list[Row]
    now: datetime
    products: Mapping[tuple[str, int], Product] = field(default_factory=dict)


def read_tables(query: Callable[..., list[Any]], products: Callable[[str, int], Product], now: datetime) -> PlanTables:
    """Everything the check needs from a hub store (``query`` as ``Store.query``)."""
    orders = [dict(r) for r in query("SELECT * FROM orders ORDER BY seq")]
    found = {(o["product"], o["revision"]): products(o["product"], o["revision"]) for o in orders}
    return PlanTables(
        orders=orders,
        cancelled={r["order_id"] for r in query("SELECT order_id FROM order_cancellations")},
        work_orders=[dict(r) for r in query("SELECT id, order_id, item, qty, parent FROM work_orders")],
        ops=[dict(r) for r in query("SELECT * FROM wo_ops")],
        requisitions=[dict(r) for r in query("SELECT * FROM requisitions")],
        op_events=[dict(r) for r in query("SELECT work_order, op, type, at FROM op_events ORDER BY rowid")],
        now=now, products=found)


def check(plan: PlanTables, zone: tzinfo) -> list[str]:
    """Every rule broken by ``plan``; an empty list when the plan holds."""
    problems: list[str] = []
    some = next(iter(plan.products.values()), None)
    if some is None:
        return problems
    centres: dict[str, tuple[WorkCentre, ShiftCalendar]] = {}
    for product in plan.products.values():
        for code, wc in product.work_centres.items():
            centres.setdefault(code, (wc, ShiftCalendar(wc.calendar.workdays, wc.calendar.shifts,
                                                        wc.calendar.holidays, zone)))
    items: dict[str, Item] = {}
    for product in plan.products.values():
        for code, item in product.items.items():
            items.setdefault(code, item)

    status: dict[tuple[str, int], str] = {}
    for ev in plan.op_events:
        key = (ev["work_order"], ev["op"])
        if ev["type"] == "op.completed":
            status[key] = "done"
        elif ev["type"] == "op.started" and status.get(key) != "done":
            status[key] = "running"

    orders = {o["order_id"]: o for o in plan.orders}
    live_orders = {oid for oid in orders if oid not in plan.cancelled}
    wos = {w["id"]: w for w in plan.work_orders if w["order_id"] in live_orders}
    ops_of: dict[str, list[Row]] = {}
    for op in plan.ops:
        if op["work_order"] in wos:
            ops_of.setdefault(op["work_order"], []).append(op)
    for rows in ops_of.values():
        rows.sort(key=lambda r: r["op"])

    # structure
    for oid in live_orders:
        o = orders[oid]
        if not o["ships_from_stock"] and not any(w["order_id"] == oid for w in wos.values()):
            problems.append(f"structure: order {oid} is built but has no work orders")
    for wid in wos:
        if not ops_of.get(wid):
            problems.append(f"structure: work order {wid} has no operations")

    # capacity: sweep over open operations of each in-house centre
    by_centre: dict[str, list[tuple[datetime, datetime, str]]] = {}
    for wid, rows in ops_of.items():
        for op in rows:
            key = (wid, op["op"])
            if op["outsourced"] or status.get(key) == "done":
                continue
            start, end = _at(op["planned_start"]), _at(op["planned_end"])
            if end > start:
                by_centre.setdefault(op["work_centre"], []).append((start, end, f"{wid}/{op['op']}"))
    for code, spans in by_centre.items():
        found = centres.get(code)
        if found is None:
            problems.append(f"structure: work centre {code} is not in the catalog")
            continue
        if found[0].outsourced:
            continue
        points = sorted([(s, 1, name) for s, _, name in spans] + [(e, -1, name) for _, e, name in spans],
                        key=lambda p: (p[0], p[1]))  # an end frees its slot before a start at the same instant
        busy: set[str] = set()
        for at, step, name in points:
            if step > 0:
                busy.add(name)
                if len(busy) > found[0].capacity:
                    problems.append(f"capacity: {code} runs {len(busy)} operations at {at.isoformat()} "
                                    f"(capacity {found[0].capacity}): {', '.join(sorted(busy))}")
            else:
                busy.discard(name)

    # shifts: planned in-house operations only (running and done ones follow the real clock)
    for wid, rows in ops_of.items():
        for op in rows:
            if op["outsourced"] or (wid, op["op"]) in status:
                continue
            centre = centres.get(op["work_centre"])
            if centre is None:
                continue
            cal = centre[1]
            start, end = _at(op["planned_start"]), _at(op["planned_end"])
            std = op["standard_seconds"] / 60
            if std <= 0:
                continue
            if not cal.inside(start, as_end=False) or not cal.inside(end, as_end=True):
                problems.append(f"shift: {wid}/{op['op']} on {op['work_centre']} runs {start.isoformat()} - "
                                f"{end.isoformat()}, outside its shifts")
                continue
            worked = cal.minutes(start, end)
            if abs(worked - std) > 0.05:
                problems.append(f"shift: {wid}/{op['op']} spans {worked:.1f} working minutes, its standard is {std:.1f}")

    # routing precedence inside a work order
    for wid, rows in ops_of.items():
        for prev, nxt in zip(rows, rows[1:], strict=False):
            if _at(nxt["planned_start"]) < _at(prev["planned_end"]) - timedelta(seconds=1):
                problems.append(f"routing: {wid}/{nxt['op']} starts {nxt['planned_start']} before "
                                f"{wid}/{prev['op']} ends {prev['planned_end']}")

    # BOM precedence between work orders
    first_start = {wid: _at(rows[0]["planned_start"]) for wid, rows in ops_of.items() if rows}
    last_end = {wid: max(_at(r["planned_end"]) for r in rows) for wid, rows in ops_of.items() if rows}
    for wid, w in wos.items():
        parent = w["parent"]
        if parent and parent in first_start and wid in last_end and first_start[parent] < last_end[wid] - timedelta(seconds=1):
            problems.append(f"bom: {parent} starts {first_start[parent].isoformat()} before its part {wid} "
                            f"({w['item']}) ends {last_end[wid].isoformat()}")

    # stock ledger: opening stock, receipts on due dates, consumption when a work order starts
    moves: dict[str, list[tuple[datetime, int, float, str]]] = {}
    for req in plan.requisitions:
        if req["kind"] == "purchase":  # bought parts arrive even for a cancelled order
            moves.setdefault(req["item"], []).append((_at(req["due_date"]), 0, float(req["qty"]), "receipt"))
    children_of: dict[str, list[Row]] = {}
    for w in wos.values():
        if w["parent"]:
            children_of.setdefault(w["parent"], []).append(w)
    for oid in live_orders:
        o = orders[oid]
        product = plan.products[(o["product"], o["revision"])]
        config = json.loads(o["configuration"])
        if o["ships_from_stock"]:
            moves.setdefault(product.item, []).append((_at(o["placed_at"]), 1, float(o["quantity"]), f"order {oid}"))
            continue
        for wid, w in wos.items():
            if w["order_id"] != oid or wid not in first_start:
                continue
            lines = product.bom if w["item"] == product.item else (
                product.assemblies[w["item"]].bom if w["item"] in product.assemblies else ())
            made_by_child: dict[str, float] = {}
            for child in children_of.get(wid, []):
                made_by_child[child["item"]] = made_by_child.get(child["item"], 0) + float(child["qty"])
            for line in lines:
                per = line.quantity(config)
                if per == 0:
                    continue
                need = float(per * Decimal(str(w["qty"])))
                from_stock = need - made_by_child.get(line.item, 0) if items[line.item].kind != "purchased" else need
                if from_stock > EPS:
                    moves.setdefault(line.item, []).append((first_start[wid], 1, from_stock, f"{wid}"))
            # an item made here must really have a routing on the catalog
            if w["item"] in product.assemblies:
                routed = [o2 for o2 in product.assemblies[w["item"]].routing if condition_holds(o2.when, config)]
                if routed and len(routed) != len(ops_of.get(wid, [])):
                    problems.append(f"structure: {wid} has {len(ops_of.get(wid, []))} operations, "
                                    f"its routing {len(routed)}")
    for code, moved in moves.items():
        known = items.get(code)
        if known is None:
            problems.append(f"structure: item {code} is not in the catalog")
            continue
        balance = float(known.stock)
        floor = min(float(known.safety_stock), balance)
        reported = set()
        for when, _kind, qty, what in sorted(moved, key=lambda r: (r[0], r[1])):
            balance += qty if what == "receipt" else -qty
            if balance < -EPS and "material" not in reported:
                reported.add("material")
                problems.append(f"material: {code} short by {-balance:g} at {when.isoformat()} ({what} starts "
                                "before the parts arrive)")
            elif balance < floor - EPS and balance >= -EPS and "safety" not in reported:
                reported.add("safety")
                problems.append(f"safety: {code} at {balance:g} at {when.isoformat()} ({what}), "
                                f"safety stock {float(known.safety_stock):g}")

    # promise after the last operation and the product's margin
    for oid in live_orders:
        ends = [last_end[wid] for wid, w in wos.items() if w["order_id"] == oid and wid in last_end]
        if not ends:
            continue
        order = orders[oid]
        product = plan.products.get((order["product"], order["revision"]))
        first_plans = not plan.op_events and not plan.cancelled
        margin = product.promise_margin_days if product is not None and first_plans else 0
        earliest = promised(max(ends), zone, margin) if margin else max(ends)
        if _at(order["promise"]) < earliest:
            problems.append(f"promise: order {oid} is promised {order['promise']} but its last operation "
                            f"ends {max(ends).isoformat()} and its margin of {margin} working days "
                            f"reaches {earliest.isoformat()}")
    return problems
