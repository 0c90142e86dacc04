"""Alerts: what to raise (pure detectors over derived state) and their stored lifecycle.

Lifecycle: raised → acknowledged (who, when) → resolved (who or "auto", when). An alert has
a ``key`` naming its subject (``overrun:WO-7:10``); while an alert with that key is open, the
same condition does not raise it again, so detectors can run on every event and every tick.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import sqlite_utils

from sync.errors import PlanningError
from sync.orders import PlacedOrder
from sync.station.pauses import calls_supervisor
from sync.station.timing import OperationState, Status

SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True)
class Candidate:
    """A condition a detector found; the book turns it into an alert unless one is open."""

    key: str
    kind: str  # overrun | qc_rate | silent_station | order_late | material_short | price_mismatch | ...
    severity: str
    subject: str
    message: str
    data: Mapping[str, Any] | None = None


def overruns(running: Iterable[tuple[str, int, str, OperationState]],
             thresholds: Mapping[str, float], default_threshold: float = 1.2) -> list[Candidate]:
    """Operations still running past their work centre's threshold of standard time."""
    found = []
    for work_order, op, centre, state in running:
        limit = thresholds.get(centre, default_threshold)
        if state.status in (Status.RUNNING, Status.PAUSED) and state.standard_seconds > 0 and state.ratio >= limit:
            found.append(Candidate(
                key=f"overrun:{work_order}:{op}", kind="overrun", severity="warning",
                subject=f"{work_order}/{op}",
                message=(f"operation {op} of {work_order} at {centre} has run {state.ratio:.0%} of its standard "
                         f"time (threshold {limit:.0%})"),
                data={"work_order": work_order, "op": op, "work_centre": centre, "ratio": round(state.ratio, 3)},
            ))
    return found


class QcWindow:
    """The last ``size`` QC results of one work centre within ``span``: a sliding fail rate."""

    def __init__(self, size: int = 20, span: timedelta = timedelta(hours=8), threshold: float = 0.2,
                 minimum: int = 5) -> None:
        if not 0 < threshold <= 1:
            raise PlanningError(f"QC fail-rate threshold must be in (0, 1], got {threshold}")
        self.size, self.span, self.threshold, self.minimum = size, span, threshold, minimum
        self.results: deque[tuple[datetime, bool]] = deque(maxlen=size)

    def add(self, at: datetime, passed: bool) -> None:
        self.results.append((at, passed))

    def fail_rate(self, now: datetime) -> tuple[float, int]:
        recent = [passed for at, passed in self.results if now - at <= self.span]
        if not recent:
            return 0.0, 0
        return sum(1 for p in recent if not p) / len(recent), len(recent)

    def check(self, centre: str, now: datetime) -> Candidate | None:
        rate, count = self.fail_rate(now)
        if count >= self.minimum and rate > self.threshold:
            return Candidate(
                key=f"qc_rate:{centre}", kind="qc_rate", severity="critical", subject=centre,
                message=f"QC fail rate at {centre} is {rate:.0%} over the last {count} checks "
                        f"(threshold {self.threshold:.0%})",
                data={"work_centre": centre, "rate": round(rate, 3), "checks": count},
            )
        return None


def scrapped(event_id: str, work_order: str, op: int, centre: str, qty: int, reason: str | None, device: str,
             remade_by: Iterable[str]) -> Candidate:
    """Units a station reported scrapped: the supervisor hears of each (what, where, why, and the work order that
    makes them again, if any), not only of a QC fail rate; it stays until someone resolves it."""
    remakes = sorted(remade_by)
    then = f": made again by {', '.join(remakes)}" if remakes else ""
    return Candidate(
        key=f"scrap:{event_id}", kind="scrap", severity="warning", subject=work_order,
        message=f"{qty} scrapped at operation {op} of {work_order} ({centre}, {device}): {reason or 'no reason given'}"
                f"{then}",
        data={"work_order": work_order, "op": op, "work_centre": centre, "quantity": qty, "reason": reason or "",
              "device": device, "remade_by": remakes},
    )


def stopped(open_ops: Iterable[tuple[str, int, str, OperationState]], station_of: Callable[[str, int], str | None],
            zone: tzinfo = UTC) -> list[Candidate]:
    """Operations paused for a reason that calls the supervisor (material missing, machine fault, waiting
    for QC: ``sync.station.pauses``), of the open ones given as (work order, operation, centre, state);
    ``station_of`` names the station that paused one (asked only for those). The hall's call for help
    reaches the board at once; it clears when the work resumes or completes."""
    found = []
    for work_order, op, centre, state in open_ops:
        if state.status is not Status.PAUSED or not calls_supervisor(state.pause_reason):
            continue
        device = station_of(work_order, op)
        where = f"{centre}, {device}" if device else centre
        since = state.paused_at
        when = f" since {since.astimezone(zone):%H:%M}" if since else ""
        found.append(Candidate(
            key=f"stop:{work_order}:{op}", kind="stop", severity="warning", subject=f"{work_order}/{op}",
            message=f"operation {op} of {work_order} ({where}) paused{when}: {state.pause_reason}",
            data={"work_order": work_order, "op": op, "work_centre": centre, "device": device or "",
                  "reason": state.pause_reason, "since": since.isoformat() if since else None,
                  "workers": list(state.paused_workers)},
        ))
    return found


def silent_stations(last_seen: Mapping[str, datetime], now: datetime,
                    after: timedelta = timedelta(minutes=2)) -> list[Candidate]:
    """Stations whose last heartbeat is older than ``after``."""
    return [
        Candidate(key=f"silent:{device}", kind="silent_station", severity="warning", subject=device,
                  message=f"station {device} has not been heard from since {seen:%Y-%m-%d %H:%M:%S}",
                  data={"device": device, "last_seen": seen.isoformat()})
        for device, seen in sorted(last_seen.items()) if now - seen > after
    ]


def late_orders(orders: Iterable[tuple[str, datetime, datetime | None, bool]], now: datetime,
                numbers: Mapping[str, str] | None = None, zone: tzinfo = UTC) -> list[Candidate]:
    """Open orders past their promise, or whose ETA lies past it: (order, promise, eta, done).

    ``numbers`` (order id -> its number, ``sync.numbers``) names them as people know them."""
    found = []
    for order_id, promise, eta, done in orders:
        if done:
            continue
        if now > promise or (eta is not None and eta > promise):
            late_by = max(now, eta or now) - promise
            name = (numbers or {}).get(order_id) or order_id
            found.append(Candidate(
                key=f"late:{order_id}", kind="order_late", severity="critical" if now > promise else "warning",
                subject=name,
                # a promise is a day (the end of it in the site's zone): the day, not "23:59", is what was promised
                message=f"order {name} will miss its promise of {promise.astimezone(zone):%a %d %b %Y} "
                        f"by {late_by.total_seconds() / 3600:.1f} h",
                data={"order": order_id, "promise": promise.isoformat(), "eta": eta.isoformat() if eta else None},
            ))
    return found


def material_shortages(work_orders: Iterable[tuple[str, datetime, str, datetime]], now: datetime,
                       zone: tzinfo = UTC) -> list[Candidate]:
    """Bought parts that hold a work order up: (wo, planned start, item, due) of each open delivery.

    Waiting for a delivery the plan already waits for is the normal course of a made-to-order shop
    (the promise counts it); a supervisor hears of it when the plan starts the work order before the
    part is due, or when the due day passed and the part is not booked in (the plan assumed it is
    here). Times in the site's ``zone``: on the live demo the old message read 'needed 2026-12-04
    00:10' (UTC, the moment of the check) for every work order with a part to buy."""
    found = []
    for wo, start, item, due in work_orders:
        if due > start:
            message = (f"work order {wo} is planned to start {start.astimezone(zone):%a %d %b %H:%M} but "
                       f"{item} arrives {due.astimezone(zone):%a %d %b}")
        elif due.astimezone(zone).date() < now.astimezone(zone).date():  # its day is over
            message = f"{item} for work order {wo} was due {due.astimezone(zone):%a %d %b} and is not booked in"
        else:
            continue
        found.append(Candidate(key=f"short:{wo}:{item}", kind="material_short", severity="warning", subject=wo,
                               message=message, data={"work_order": wo, "item": item, "arrives": due.isoformat()}))
    return found


def price_mismatch(order: PlacedOrder, number: str, device_id: str, listed: Decimal,
                   list_currency: str) -> Candidate | None:
    """An order whose shown price (binding: the customer was told it) is not the revision's list price for
    that build, or in another currency: a kiosk on a hand-edited catalog or a forged message, to be
    checked before anyone invoices it. None when the price is the list price or was not stated."""
    if order.price is None or (order.price == listed and order.currency == list_currency):
        return None
    return Candidate(
        key=f"price:{order.order_id}", kind="price_mismatch", severity="warning", subject=number,
        message=f"order {number} from {device_id} was placed at {order.price} {order.currency}; revision "
                f"{order.revision} of {order.product} lists {listed} {list_currency} for that build "
                f"(x{order.quantity}): check the kiosk's catalog before invoicing",
        data={"order_id": order.order_id, "number": number, "device_id": device_id, "price": str(order.price),
              "currency": order.currency, "list_price": str(listed), "list_currency": list_currency,
              "revision": order.revision})


class AlertBook:
    """The stored alerts of the hub (one SQLite table through sqlite-utils)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.table = db.table("alerts")
        if not self.table.exists():
            self.table.create({
                "id": int, "key": str, "kind": str, "severity": str, "subject": str, "message": str,
                "data": str, "state": str, "raised_at": str, "acknowledged_by": str, "acknowledged_at": str,
                "resolved_by": str, "resolved_at": str,
            }, pk="id", not_null={"key", "kind", "state", "raised_at"})
            self.table.create_index(["key", "state"])

    def raise_(self, candidate: Candidate, now: datetime) -> dict[str, Any] | None:
        """Store the alert unless one with its key is still open; return the new row or None."""
        if candidate.severity not in SEVERITIES:
            raise PlanningError(f"unknown severity {candidate.severity!r}", fix=f"use one of {SEVERITIES}")
        with self.db.atomic():  # a savepoint inside the caller's transaction
            open_rows = list(self.table.rows_where("key = ? and state != 'resolved'", [candidate.key], limit=1))
            if open_rows:
                return None
            row = {"key": candidate.key, "kind": candidate.kind, "severity": candidate.severity,
                   "subject": candidate.subject, "message": candidate.message,
                   "data": json.dumps(dict(candidate.data or {}), sort_keys=True),
                   "state": "raised", "raised_at": now.isoformat()}
            pk = self.table.insert(row).last_pk
        assert pk is not None
        return dict(self.table.get(pk))

    def acknowledge(self, alert_id: int, who: str, now: datetime) -> dict[str, Any]:
        row = self._open(alert_id)
        if row["state"] == "acknowledged":
            return row
        if not who.strip():
            raise PlanningError("acknowledging an alert needs the name of who does it")
        self.table.update(alert_id, {"state": "acknowledged", "acknowledged_by": who,
                                     "acknowledged_at": now.isoformat()})
        return dict(self.table.get(alert_id))

    def resolve(self, alert_id: int, who: str, now: datetime) -> dict[str, Any]:
        self._open(alert_id)
        self.table.update(alert_id, {"state": "resolved", "resolved_by": who, "resolved_at": now.isoformat()})
        return dict(self.table.get(alert_id))

    def resolve_cleared(self, active_keys: set[str], kinds: set[str], now: datetime) -> list[int]:
        """Auto-resolve open alerts of ``kinds`` whose condition no longer holds."""
        cleared = [row["id"] for row in self.table.rows_where("state != 'resolved'")
                   if row["kind"] in kinds and row["key"] not in active_keys]
        for alert_id in cleared:
            self.resolve(alert_id, "auto", now)
        return cleared

    def open_alerts(self) -> list[dict[str, Any]]:
        return list(self.table.rows_where("state != 'resolved'", order_by="id"))

    def _open(self, alert_id: int) -> dict[str, Any]:
        try:
            row = dict(self.table.get(alert_id))
        except sqlite_utils.db.NotFoundError:
            raise PlanningError(f"no alert with id {alert_id}", fix="list open alerts to find the id") from None
        if row["state"] == "resolved":
            raise PlanningError(f"alert {alert_id} is already resolved")
        return row
