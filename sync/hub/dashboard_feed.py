"""What the hub tells supervisor dashboards: whole-state snapshots, small enough to send as they are.

``dashboard/orders``: every order (late first) with its progress, the open alerts, the load of
each work centre today and this week, KPIs with a 7-day trend, and ``demand``: per open demand warning
(by alert id) the plot the hub's last demand check drew for it (sync.hub.demand: projected stock with
safety stock and short day, or the weekly load; and the option's weekly trend). ``dashboard/centre/{code}``:
the operations of one work centre (queued, running, paused and done ones of open orders) with
operators, elapsed and standard time, good and scrap, and the centre's stations from the catalog (a
station no open work reached yet still gets its board): the station boards and the drill-down.
Dashboards keep the newest of each (``Inbox.latest_only``) in their local cache.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from sync.errors import FloorLinkError
from sync.hub.core import HubCore, kpi_report, promise_margin_report
from sync.hub.progress import OrderProgress
from sync.orders import short_name, stored_customer
from sync.station.calendar import working_seconds
from sync.station.timing import Status
from sync.times import to_iso

log = logging.getLogger(__name__)


def zone_name(zone: tzinfo) -> str:
    """The IANA name dashboards show times in (``Asia/Shanghai``): the hub's ``node.time_zone``."""
    return str(getattr(zone, "key", None) or zone.tzname(None) or "UTC")


def _customer(stored: str | None) -> str:
    """Given name and initial only: the wall board never gets the full name or the phone."""
    return short_name(stored_customer(stored).get("name", ""))


def product_names(core: HubCore, code: str, revision: int) -> dict[str, str]:
    """The product's name by language from the revision the order was configured against (the board showed
    "CITY ×1" to a supervisor reading Chinese); {} when that revision cannot be read (the log says why)."""
    try:
        return dict(core.product(code, revision)[0].name)
    except FloorLinkError:
        log.warning("dashboard feed: no name for %s@%s", code, revision, exc_info=True)
        return {}


def orders_body(core: HubCore, progress: list[OrderProgress], now: datetime,
                kpis: dict[str, Any] | None) -> dict[str, Any]:
    customers = {r["order_id"]: r["customer"] for r in core.store.query(  # the snapshot's orders only
        "SELECT order_id, customer FROM orders WHERE order_id IN (SELECT value FROM json_each(?))",
        [json.dumps([o.id for o in progress])])}
    names: dict[tuple[str, int], dict[str, str]] = {}
    orders = [{
        "id": o.id, "number": o.number, "customer": _customer(customers.get(o.id)),
        "product": o.product, "product_names": names.setdefault((o.product, o.revision),
                                                                product_names(core, o.product, o.revision)),
        "quantity": o.quantity, "placed_at": to_iso(o.placed_at), "status": o.status,
        "percent": o.percent, "promise": to_iso(o.promise), "eta": to_iso(o.eta), "late": o.late,
        # the date the kiosk gave: the on-time KPI judges by it, the row shows it when the promise moved since
        "first_promise": to_iso(o.first_promise),
    } for o in progress]
    orders.sort(key=lambda o: (not o["late"], o["status"] in ("done", "cancelled", "ready"), o["promise"] or ""))
    alerts = core.store.query("SELECT * FROM alerts WHERE state != 'resolved' ORDER BY id")  # under the store lock
    plots = core.demand_plots
    demand = {str(a["id"]): plots[a["key"]] for a in alerts if a.get("key") in plots}
    return {"at": now.isoformat(), "zone": zone_name(core.options.zone), "orders": orders, "alerts": alerts,
            "load": load(core, progress, now), "kpis": kpis or {}, "demand": demand}


def load(core: HubCore, progress: list[OrderProgress], now: datetime) -> dict[str, dict[str, float]]:
    """Planned minutes of open operations against capacity minutes for the rest of today and the next 7 days
    from now (``today_*``, ``week_*``), for the shop's own centres (a subcontractor's steps take days at its
    place, not hours of ours). Both windows start now: the calendar week's capacity already gone by made a
    Friday's board look four-fifths idle, and on a weekend it showed none of Monday's work. An open operation
    planned before now still needs its hours, so it counts in both."""
    zone = core.options.zone
    end_of_day = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(0), zone)
    spans = {"today": (now, end_of_day), "week": (now, now + timedelta(days=7))}
    booked: dict[str, dict[str, float]] = defaultdict(lambda: {"today": 0.0, "week": 0.0})
    for order in progress:
        for wo in order.work_orders:
            for op in wo.operations:
                if op.state.status.value == "done" or op.planned.outsourced:
                    continue
                for name, (_lo, hi) in spans.items():
                    if op.planned.planned_start < hi:
                        booked[op.planned.work_centre][name] += op.planned.standard_seconds / 60
    out: dict[str, dict[str, float]] = {}
    for code, centre in core.planner.centres.items():
        if centre.outsourced:
            continue
        cap = {name: working_seconds(centre.calendar, [span]) / 60 * centre.capacity for name, span in spans.items()}
        out[code] = {"today_min": round(booked[code]["today"], 1), "week_min": round(booked[code]["week"], 1),
                     "today_capacity_min": round(cap["today"], 1), "week_capacity_min": round(cap["week"], 1)}
    return out


#: the days the board's promise-margin figure looks back over
MARGIN_WINDOW_DAYS = 28


def kpi_trend(core: HubCore, progress: list[OrderProgress], now: datetime, days: int = 7) -> dict[str, Any]:
    """Today's KPIs and one point per day for the trend plots."""
    zone = core.options.zone
    today = datetime.combine(now.astimezone(zone).date(), time(0), zone)
    history = []
    for back in range(days - 1, -1, -1):
        start = today - timedelta(days=back)
        report = kpi_report(core, start, start + timedelta(days=1), progress)
        history.append({"date": start.date().isoformat(),
                        "oee": {r["work_centre"]: r["oee"] for r in report["oee"]},
                        "on_time_delivery": report["on_time_delivery"],
                        "first_pass_yield": report["first_pass_yield"]})
    week = kpi_report(core, today - timedelta(days=days - 1), now, progress)
    # a margin needs more orders than a week brings a small shop: the last four weeks (that KPI alone)
    # ``progress`` is the board's (open, or finished in the last 7 days): the orders finished 8-28 days ago are
    # added, or "4 weeks" counted one week's orders (a KPI review: 3 orders and 1 day where 11 needed 2)
    start = today - timedelta(days=MARGIN_WINDOW_DAYS - 1)
    shown = {order.id for order in progress}
    older = [i for i in core.board_order_ids(now, days=(now - start).days + 1) if i not in shown]
    margin = promise_margin_report(core, start, now, [*progress, *core.orders_progress(now, older)])
    return {"oee": week["oee"], "on_time_delivery": week["on_time_delivery"],
            "first_pass_yield": week["first_pass_yield"], "history": history, "promise_margin": margin}


def centre_bodies(core: HubCore, progress: list[OrderProgress], now: datetime) -> dict[str, dict[str, Any]]:
    """One body per work centre with its operations of open (and just finished) orders."""
    devices: dict[tuple[str, int], str] = {}  # where each step was last reported, for the snapshot's work orders only
    shown = [wo.id for order in progress for wo in order.work_orders]
    for row in core.store.query("SELECT work_order, op, device_id FROM op_events "
                                "WHERE work_order IN (SELECT value FROM json_each(?)) ORDER BY rowid", [json.dumps(shown)]):
        devices[(row["work_order"], row["op"])] = row["device_id"]
    stations = core.stations_by_centre()
    ops: dict[str, list[dict[str, Any]]] = {code: [] for code in (*core.planner.centres, *stations)}
    for order in progress:
        if order.status in ("cancelled", "ready"):
            continue
        for wo in order.work_orders:
            for op in wo.operations:
                st = op.state
                ops.setdefault(op.planned.work_centre, []).append({
                    "order_id": order.id, "order_number": order.number, "work_order": wo.id, "item": wo.item, "qty": wo.qty, "op": op.planned.op,
                    # who is on it; once done, who did it (a supervisor tracing a QC fail asks who built it)
                    "code": op.planned.code, "status": st.status.value,
                    "workers": list(st.crew if st.status is Status.DONE else st.workers),
                    "elapsed_s": round(st.elapsed_seconds), "standard_s": round(op.planned.standard_seconds),
                    "good": st.good, "scrap": st.scrap, "planned_start": to_iso(op.planned.planned_start),
                    "eta": to_iso(op.eta), "station": devices.get((wo.id, op.planned.op)),
                    "started_at": to_iso(st.started_at), "completed_at": to_iso(st.completed_at),
                    "pause_reason": st.pause_reason,
                })
    return {code: {"at": now.isoformat(), "work_centre": code, "stations": list(stations.get(code, ())), "operations": rows}
            for code, rows in ops.items()}
