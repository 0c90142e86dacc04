"""What the supervisor dashboard shows, as plain Python over the local cache (tests drive it without Qt).

:meth:`DashboardModel.refresh` re-reads only the streams whose revision moved and reports which
parts changed (``orders``, ``centres``, ``alerts``, ``load``, ``kpis``), so the screen repaints
just those panels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sync.dashboard_cache import DashboardCache, utc_clock

STALE_AFTER = timedelta(seconds=15)
ORDERS_STREAM = "dashboard/orders"
CENTRE_PREFIX = "dashboard/centre/"
STATUS_ORDER = ("running", "paused", "queued", "done")
SEVERITY_RANK = {"critical": 0, "high": 1, "warning": 2, "medium": 2, "info": 3, "low": 3}


@dataclass(frozen=True)
class OrderRow:
    id: str
    product: str
    quantity: int
    status: str
    percent: float
    promise: datetime | None
    eta: datetime | None
    late: bool

    @property
    def slip(self) -> timedelta | None:
        """How far the ETA lies past the promise (negative: ahead)."""
        return self.eta - self.promise if self.eta and self.promise else None


@dataclass(frozen=True)
class OperationRow:
    order_id: str
    work_order: str
    item: str
    qty: int
    op: int
    code: str
    status: str
    workers: tuple[str, ...]
    elapsed_s: int
    standard_s: int
    good: int
    scrap: int
    station: str
    work_centre: str
    planned_start: datetime | None
    eta: datetime | None

    @property
    def over_standard(self) -> bool:
        return self.status in ("running", "paused") and self.standard_s > 0 and self.elapsed_s > self.standard_s


@dataclass(frozen=True)
class AlertRow:
    id: int
    kind: str
    severity: str
    subject: str
    message: str
    state: str
    raised_at: datetime | None
    acknowledged_by: str
    pending: tuple[str, ...]  # actions queued here that the hub has not confirmed yet

    def age(self, now: datetime) -> timedelta:
        return now - self.raised_at if self.raised_at else timedelta(0)


@dataclass(frozen=True)
class LoadRow:
    work_centre: str
    today_min: float
    today_capacity_min: float
    week_min: float
    week_capacity_min: float


@dataclass
class Kpis:
    oee: dict[str, float] = field(default_factory=dict)
    on_time_delivery: float | None = None
    first_pass_yield: float | None = None
    dates: list[str] = field(default_factory=list)
    oee_trend: dict[str, list[float | None]] = field(default_factory=dict)
    otd_trend: list[float | None] = field(default_factory=list)
    fpy_trend: list[float | None] = field(default_factory=list)


@dataclass(frozen=True)
class WorkOrderDrill:
    id: str
    item: str
    qty: int
    operations: tuple[OperationRow, ...]


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def age_text(age: timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours < 24 else f"{hours // 24} d {hours % 24} h"


class DashboardModel:
    """``DashboardModel(cache, link_up=..., clock=..., zone=...)``; call :meth:`refresh`, read the lists."""

    def __init__(self, cache: DashboardCache, *, link_up: Callable[[], bool] = lambda: True,
                 clock: Callable[[], datetime] = utc_clock, zone: tzinfo | None = None,
                 wake: Callable[[], None] = lambda: None) -> None:
        self.cache = cache
        self.link_up = link_up
        self.clock = clock
        self.zone = zone
        self.wake = wake
        self.orders: list[OrderRow] = []
        self.alerts: list[AlertRow] = []
        self.load: list[LoadRow] = []
        self.kpis = Kpis()
        self.centres: dict[str, list[OperationRow]] = {}
        self._seen: dict[str, int] = {}
        self._revision = -1
        self._snapshot_at: datetime | None = None

    # --- reading the cache ------------------------------------------------------------------------
    def refresh(self) -> set[str]:
        """Re-read what changed in the cache; returns the parts that changed."""
        revision = self.cache.revision()
        if revision == self._revision:
            return set()
        self._revision = revision
        changed: set[str] = set()
        revisions = self.cache.revisions()
        for stream, rev in revisions.items():
            if self._seen.get(stream) == rev:
                continue
            self._seen[stream] = rev
            got = self.cache.snapshot(stream)
            if got is None:
                continue
            body, _received = got
            if stream == ORDERS_STREAM:
                self._read_orders(body)
                changed |= {"orders", "load", "kpis"}
            elif stream.startswith(CENTRE_PREFIX):
                self._read_centre(body)
                changed.add("centres")
        self._snapshot_at = self.cache.last_received()
        self._read_alerts()
        changed.add("alerts")
        return changed

    def _read_orders(self, body: dict[str, Any]) -> None:
        self.orders = [OrderRow(str(o.get("id")), str(o.get("product") or ""), int(o.get("quantity") or 0),
                                str(o.get("status") or ""), float(o.get("percent") or 0), _time(o.get("promise")),
                                _time(o.get("eta")), bool(o.get("late")))
                       for o in body.get("orders", []) if isinstance(o, dict)]
        self.orders.sort(key=lambda o: (not o.late, o.status in ("done", "cancelled", "ready")))
        load = body.get("load") or {}
        self.load = [LoadRow(code, float(v.get("today_min", 0)), float(v.get("today_capacity_min", 0)),
                             float(v.get("week_min", 0)), float(v.get("week_capacity_min", 0)))
                     for code, v in sorted(load.items()) if isinstance(v, dict)]
        k = body.get("kpis") or {}
        history = [h for h in k.get("history", []) if isinstance(h, dict)]
        centres = sorted({str(wc) for h in history for wc in (h.get("oee") or {})}
                         | {str(r["work_centre"]) for r in k.get("oee", []) if isinstance(r, dict) and r.get("work_centre")})
        self.kpis = Kpis(
            oee={r["work_centre"]: float(r.get("oee") or 0) for r in k.get("oee", [])
                 if isinstance(r, dict) and r.get("work_centre")},
            on_time_delivery=_num(k.get("on_time_delivery")), first_pass_yield=_num(k.get("first_pass_yield")),
            dates=[str(h.get("date")) for h in history],
            oee_trend={wc: [_num((h.get("oee") or {}).get(wc)) for h in history] for wc in centres},
            otd_trend=[_num(h.get("on_time_delivery")) for h in history],
            fpy_trend=[_num(h.get("first_pass_yield")) for h in history])

    def _read_centre(self, body: dict[str, Any]) -> None:
        code = str(body.get("work_centre"))
        rows = [OperationRow(str(o.get("order_id")), str(o.get("work_order")), str(o.get("item") or ""),
                             int(o.get("qty") or 0), int(o.get("op") or 0), str(o.get("code") or ""),
                             str(o.get("status") or "queued"), tuple(o.get("workers") or ()),
                             int(o.get("elapsed_s") or 0), int(o.get("standard_s") or 0), int(o.get("good") or 0),
                             int(o.get("scrap") or 0), str(o.get("station") or ""), code,
                             _time(o.get("planned_start")), _time(o.get("eta")))
                for o in body.get("operations", []) if isinstance(o, dict)]
        rank = {s: i for i, s in enumerate(STATUS_ORDER)}
        rows.sort(key=lambda r: (rank.get(r.status, 9), r.planned_start.isoformat() if r.planned_start else "~"))
        self.centres[code] = rows

    def _read_alerts(self) -> None:
        pending = self.cache.pending()
        rows = [AlertRow(int(a["id"]), str(a.get("kind") or ""), str(a.get("severity") or "info"),
                         str(a.get("subject") or ""), str(a.get("message") or ""), str(a.get("state") or ""),
                         _time(a.get("raised_at")), str(a.get("acknowledged_by") or ""),
                         tuple(p["action"] for p in pending.get(int(a["id"]), ())))
                for a in self.cache.alerts()]
        rows.sort(key=lambda a: (a.state != "raised", SEVERITY_RANK.get(a.severity, 5), a.id))
        self.alerts = rows

    # --- derived views ----------------------------------------------------------------------------
    def groups(self, work_centre: str) -> dict[str, list[OperationRow]]:
        """The operations of one work centre grouped running / paused / queued / done."""
        out: dict[str, list[OperationRow]] = {s: [] for s in STATUS_ORDER}
        for row in self.centres.get(work_centre, []):
            out.setdefault(row.status, []).append(row)
        return out

    def by_station(self) -> dict[str, list[OperationRow]]:
        """Running and paused operations per station (the operator boards)."""
        out: dict[str, list[OperationRow]] = {}
        for rows in self.centres.values():
            for row in rows:
                if row.status in ("running", "paused"):
                    out.setdefault(row.station or "(no station)", []).append(row)
        return out

    def drill_down(self, order_id: str) -> list[WorkOrderDrill]:
        """Order → its work orders → their operations with operators, times and scrap."""
        found: dict[str, list[OperationRow]] = {}
        for rows in self.centres.values():
            for row in rows:
                if row.order_id == order_id:
                    found.setdefault(row.work_order, []).append(row)
        return [WorkOrderDrill(wo, ops[0].item, ops[0].qty, tuple(sorted(ops, key=lambda r: r.op)))
                for wo, ops in sorted(found.items())]

    def stale_since(self) -> datetime | None:
        """When the shown state was last fresh, if it is stale now (old snapshot or link down)."""
        last = self._snapshot_at
        now = self.clock()
        if last is None:
            return now if not self.link_up() else None
        if not self.link_up() or now - last > STALE_AFTER:
            return last
        return None

    def stale_text(self) -> str:
        since = self.stale_since()
        if since is None:
            return ""
        if self._snapshot_at is None:
            return "No data from the hub yet" + ("" if self.link_up() else " — hub link is down")
        local = since.astimezone(self.zone) if self.zone else since.astimezone()
        reason = "hub link is down" if not self.link_up() else "no update from the hub"
        return f"Stale since {local:%H:%M} — {reason}; showing the last known state"

    # --- commands ---------------------------------------------------------------------------------
    def acknowledge(self, alert_id: int, by: str) -> str:
        return self._command(alert_id, "acknowledge", by)

    def resolve(self, alert_id: int, by: str) -> str:
        return self._command(alert_id, "resolve", by)

    def _command(self, alert_id: int, action: str, by: str) -> str:
        event_id = self.cache.command(alert_id, action, by)
        self.wake()
        self._revision = -1  # pending shows at once
        return event_id
