"""What the supervisor dashboard shows, as plain Python over the local cache (tests drive it without Qt).

Reading is split in two so the screen never waits on SQLite: :meth:`DashboardModel.read` (on the
dashboard's core thread) re-reads only the streams whose revision moved and returns a new immutable
:class:`DashboardState` with the parts that changed (``orders``, ``centres``, ``stations``,
``alerts``, ``load``, ``kpis``); :meth:`DashboardModel.apply` (on the UI thread) makes it the shown
state. :meth:`DashboardModel.refresh` does both at once (tests, scripts).
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sync import labels
from sync.dashboard_cache import DashboardCache, finite_number, utc_clock
from sync.errors import DecodeError
from sync.labels import BadgeLabel
from sync.station.ledger import by_badge, by_pin
from sync.station.workorders import Worker
from sync.times import from_iso
from terminal.station import texts
from terminal.station.texts import tr

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(seconds=15)  # the declared default of dashboard.stale_after_s
AT_RISK = timedelta(hours=8)  # the declared default of dashboard.at_risk_h
CLOSED = ("done", "cancelled", "ready")  # order states with nothing left to make
ORDERS_STREAM = "dashboard/orders"
CENTRE_PREFIX = "dashboard/centre/"
STATUS_ORDER = ("running", "paused", "queued", "done")
STATUS_RANK = {s: i for i, s in enumerate(STATUS_ORDER)}
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
    number: str = ""  # the order's number (K1-0042, as on the receipt); ``id`` is the internal UUID
    customer: str = ""  # given name and initial only ("Anna S.", "伟 W."): the hub never sends more
    first_promise: datetime | None = None  # the kiosk's date (on-time delivery is judged by it)
    product_names: Mapping[str, str] = field(default_factory=dict, hash=False)  # language -> the catalog's name

    @property
    def product_label(self) -> str:
        """The product's name in the board's language ("城市电动自行车"), its code when the hub sent none."""
        return in_language(self.product_names, self.product)

    @property
    def moved_from(self) -> datetime | None:
        """The kiosk's date when the customer has since been told another day (None: still the kiosk's)."""
        if self.first_promise and self.promise and self.first_promise.date() != self.promise.date():
            return self.first_promise
        return None

    @property
    def label(self) -> str:
        """How people name the order: its number (an order from before numbers: its id)."""
        return self.number or self.id

    @property
    def slip(self) -> timedelta | None:
        """How far the ETA lies past the promise (negative: ahead)."""
        return self.eta - self.promise if self.eta and self.promise else None


class OperationRow(NamedTuple):
    """One operation on a work-centre board (a named tuple: 5,000 of them are built per second of updates)."""

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
    started_at: datetime | None = None  # actual times, from the stations' events
    completed_at: datetime | None = None
    pause_reason: str = ""  # while paused: why (the station's reason, an English key the board translates)

    @property
    def over_standard(self) -> bool:
        return self.status in ("running", "paused") and self.standard_s > 0 and self.elapsed_s > self.standard_s


def _facts(data: Any) -> Mapping[str, Any]:
    """An alert's data as the hub sent it: a mapping (the API's rows store it as JSON text)."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return {}
    return data if isinstance(data, dict) else {}


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
    #: the facts the hub raised it with (work order, centre, dates...): the board's own sentence (alert_text)
    data: Mapping[str, Any] = field(default_factory=dict)

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
    margin_needed: int | None = None
    """The fewest working days of promise margin that kept 9 in 10 of the orders done on time (hub KPIs)."""
    margin_declared: tuple[int, ...] = ()
    """The products' declared promise_margin_days among those orders."""


@dataclass(frozen=True)
class OptionTrend:
    """Weekly demand of the option behind a demand warning: the weeks before today and the forecast."""

    product: str
    attribute: str
    option: str
    history_weeks: tuple[date, ...]
    history: tuple[float, ...]
    forecast_weeks: tuple[date, ...]
    forecast: tuple[float, ...]
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """The catalog's words (product, attribute, option -> language -> text); codes when the hub sent none."""

    @property
    def title(self) -> str:
        return tr("Demand for {product}, {attribute}: {option} (per week)").format(
            product=in_language(self.labels.get("product"), self.product),
            attribute=in_language(self.labels.get("attribute"), self.attribute),
            option=in_language(self.labels.get("option"), self.option))

    def lines(self) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
        """(history, forecast) as (week index, units): the forecast starts at the last week seen so the
        two lines join."""
        history = list(enumerate(self.history))
        start = len(self.history)
        forecast = [(start + i, v) for i, v in enumerate(self.forecast)]
        return history, (history[-1:] + forecast)

    def ticks(self) -> list[tuple[int, str]]:
        return [(i, day_label(d)) for i, d in enumerate(self.history_weeks + self.forecast_weeks)]

    def top(self) -> float:
        return nice_top(max((*self.history, *self.forecast), default=0.0))


@dataclass(frozen=True)
class DemandPlot:
    """What the chart of one demand warning draws. ``stock``: the item's projected stock per day with its
    safety stock, the day it runs short and the day to order by; ``capacity``: the work centre's load per
    week against its threshold. Both with the option's trend when the hub found the option behind it."""

    kind: str  # stock | capacity
    subject: str  # the purchased item or the work centre
    days: tuple[date, ...] = ()
    projected: tuple[float, ...] = ()
    safety_stock: float = 0.0
    short_on: date | None = None
    order_by: date | None = None
    weeks: tuple[date, ...] = ()
    load: tuple[float | None, ...] = ()
    threshold: float = 1.0
    trend: OptionTrend | None = None
    name: Mapping[str, str] = field(default_factory=dict)
    """The purchased item's name by language (stock plots), when the hub sent it."""

    def ticks(self) -> list[tuple[int, str]]:
        """Axis labels: every 7th day of the projection, or every week of the load."""
        if self.kind == "stock":
            return [(i, day_label(d)) for i, d in enumerate(self.days) if i % 7 == 0]
        return [(i, day_label(d)) for i, d in enumerate(self.weeks)]

    def marks(self) -> list[tuple[str, int, float]]:
        """(what, day index, projected stock) for the day to order by and the day it runs short, when
        they fall in the plotted days (the order-by day may already have passed)."""
        found = []
        for text, day in ((tr("Order by {day}"), self.order_by), (tr("Runs short {day}"), self.short_on)):
            if day is not None and day in self.days:
                i = self.days.index(day)
                found.append((text.format(day=day_label(day)), i, self.projected[i]))
        return found

    def value_range(self) -> tuple[float, float]:
        """The y axis: from 0 (or the lowest projection below it) to a round number above everything."""
        if self.kind == "stock":
            values = (*self.projected, self.safety_stock)
            return min(0.0, nice_floor(min(values, default=0.0))), nice_top(max(values, default=0.0))
        loads = [v * 100 for v in self.load if v is not None]
        return 0.0, nice_top(max((*loads, self.threshold * 100), default=100.0))

    @property
    def title(self) -> str:
        if self.kind == "stock":
            name = in_language(self.name, "")
            return tr("Projected stock of {item}").format(item=f"{name} ({self.subject})" if name else self.subject)
        return tr("Load of {centre} per week").format(centre=self.subject)


def in_language(words: Any, fallback: str) -> str:
    """The board's language's text of a catalog label sent by the hub (English when it has none), else ``fallback``."""
    if not isinstance(words, Mapping):
        return fallback
    text = words.get(texts.language()) or words.get("en")
    return text if isinstance(text, str) and text else fallback


def axis_decimals(lo: float, hi: float, ticks: int) -> int:
    """Decimals an axis from ``lo`` to ``hi`` with ``ticks`` labels needs so no two labels read the same
    (0 to 2 by 0.5 is 0.0, 0.5, 1.0..., not 0, 0, 1, 1, 2), at most 3."""
    step = (hi - lo) / max(ticks - 1, 1)
    for decimals in range(4):
        if all(abs(v * 10 ** decimals - round(v * 10 ** decimals)) < 1e-6 for v in (lo, step)):
            return decimals
    return 3


def day_label(d: date) -> str:
    """A day on a chart axis, as the KPI charts write it (12-18)."""
    return f"{d.month:02d}-{d.day:02d}"


def nice_top(value: float) -> float:
    """A round number at least 10 % above ``value`` (1, 2 or 5 times a power of ten), for an axis end."""
    if value <= 0:
        return 10.0
    target = value * 1.1
    step = 10 ** math.floor(math.log10(target))
    return next(m * step for m in (1, 2, 5, 10) if m * step >= target)


def nice_floor(value: float) -> float:
    return -nice_top(-value) if value < 0 else 0.0


def _day(value: Any) -> date:
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    return date.fromisoformat(value[:10])


def _floats(values: Any, limit: int = 120) -> tuple[float, ...]:
    if not isinstance(values, list):
        raise ValueError("not a list of numbers")
    out = tuple(float(v) for v in values[:limit])
    if not all(math.isfinite(v) for v in out):
        raise ValueError("a number that is not finite")
    return out


def _trend(body: Any) -> OptionTrend | None:
    if not isinstance(body, dict):
        return None
    history, forecast = _floats(body.get("history")), _floats(body.get("forecast"))
    history_weeks = tuple(_day(d) for d in body.get("history_weeks") or [])
    forecast_weeks = tuple(_day(d) for d in body.get("forecast_weeks") or [])
    if len(history_weeks) != len(history) or len(forecast_weeks) != len(forecast):
        raise ValueError("weeks and values of different lengths")
    labels = body.get("labels")
    return OptionTrend(str(body.get("product") or ""), str(body.get("attribute") or ""), str(body.get("option") or ""),
                       history_weeks, history, forecast_weeks, forecast,
                       labels={k: v for k, v in labels.items() if isinstance(v, dict)} if isinstance(labels, dict) else {})


def parse_demand(body: Any) -> dict[int, DemandPlot]:
    """The orders snapshot's ``demand`` (alert id -> plot) as plots; a hub that sends none (an older one)
    gives none, and a plot that cannot be read is left out (logged) so the other alerts still show theirs."""
    plots: dict[int, DemandPlot] = {}
    if not isinstance(body, dict):
        return plots
    for key, p in body.items():
        try:
            if not isinstance(p, dict):
                raise ValueError("not an object")
            alert_id = int(key)
            trend = _trend(p.get("trend"))
            if p.get("kind") == "stock":
                projected = _floats(p.get("projected"))
                start = _day(p.get("start"))
                plots[alert_id] = DemandPlot(
                    "stock", str(p.get("item") or ""), tuple(start + timedelta(days=i) for i in range(len(projected))),
                    projected, float(p.get("safety_stock") or 0),
                    _day(p["runs_short_on"]) if p.get("runs_short_on") else None,
                    _day(p["order_by"]) if p.get("order_by") else None, trend=trend,
                    name=p["name"] if isinstance(p.get("name"), dict) else {})
            elif p.get("kind") == "capacity":
                loads = p.get("load")
                if not isinstance(loads, list):
                    raise ValueError("load is not a list")
                weeks = tuple(_day(w) for w in (p.get("weeks") or [])[:52])
                load = tuple(None if v is None else float(v) for v in loads[:len(weeks)])
                if len(load) != len(weeks):
                    raise ValueError("weeks and loads of different lengths")
                plots[alert_id] = DemandPlot("capacity", str(p.get("work_centre") or ""), weeks=weeks, load=load,
                                             threshold=float(p.get("threshold") or 1.0), trend=trend)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("dashboard: the demand plot of alert %r cannot be read (%s); shown without it", key, exc)
    return plots


StationKey = tuple[bool, str]  # (no station yet, station id or work centre code)
StationGroups = Mapping[StationKey, tuple[list[OperationRow], Counter[str]]]


RawRows = Mapping[tuple[str, int], tuple[dict[str, Any], OperationRow]]  # (work order, op) -> (as sent, parsed)


@dataclass(frozen=True)
class StationBoard:
    """One station's work: counts per status and its operations, running first.

    Operations not started anywhere yet have no station: they sit on a board per work centre
    (``unassigned``) until a station starts them."""

    station: str
    unassigned: bool
    work_centres: tuple[str, ...]
    counts: Mapping[str, int]
    operations: tuple[OperationRow, ...]

    @property
    def title(self) -> str:
        return f"{self.station} · not started" if self.unassigned else self.station

    @property
    def running(self) -> tuple[OperationRow, ...]:
        return tuple(r for r in self.operations if r.status == "running")


@dataclass(frozen=True)
class DashboardState:
    """Everything one read of the cache gave: the screen paints only from this (no store access)."""

    revision: int = -1
    streams: Mapping[str, int] = field(default_factory=dict)  # stream -> revision parsed
    orders: list[OrderRow] = field(default_factory=list)
    alerts: list[AlertRow] = field(default_factory=list)
    load: list[LoadRow] = field(default_factory=list)
    kpis: Kpis = field(default_factory=Kpis)
    centres: Mapping[str, list[OperationRow]] = field(default_factory=dict)
    station_groups: Mapping[str, StationGroups] = field(default_factory=dict)  # per centre, for merge_boards
    raw_rows: Mapping[str, RawRows] = field(default_factory=dict)  # per centre, for parse_centre
    stations: list[StationBoard] = field(default_factory=list)
    snapshot_at: datetime | None = None
    zone: tzinfo | None = None  # the hub's site time zone (node.time_zone), from its orders snapshot
    demand: Mapping[int, DemandPlot] = field(default_factory=dict)  # alert id -> the plot of its demand warning
    names: Mapping[str, str] = field(default_factory=dict)  # badge -> the worker's name, from this node's roster


@dataclass(frozen=True)
class WorkOrderDrill:
    id: str
    item: str
    qty: int
    operations: tuple[OperationRow, ...]


def _names(value: Any) -> dict[str, str]:
    """A language -> text map from the hub; anything else (an older hub, a broken field) is none."""
    if not isinstance(value, Mapping):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}


#: the years a time on the board may fall in: beyond them it is no time the screen can draw (the year 9999
#: overflowed in the site zone and Qt crashed the process on every paint; review)
YEARS = (1970, 2200)


def _time(value: Any) -> datetime | None:
    """A time from the feed, or None (shown as "—") when it is none, unreadable or out of :data:`YEARS`."""
    if not isinstance(value, str) or not value:
        return None
    try:
        at = from_iso(value)
    except ValueError:
        return None
    return at if YEARS[0] <= at.year <= YEARS[1] else None


def _percent(value: Any) -> float:
    """A progress to draw, 0..100 (1e12 overflowed the progress bar's int and crashed the process; review)."""
    return min(100.0, max(0.0, float(value))) if finite_number(value) else 0.0


def _num(value: Any) -> float | None:
    """A figure to draw: a finite number, else None (a gap in the line, not a broken chart)."""
    return float(value) if finite_number(value) else None


def _days(value: Any) -> int | None:
    """A whole number of working days the board can say (0..366), else None."""
    number = _num(value)
    return int(number) if number is not None and number == int(number) and 0 <= number <= 366 else None


def margin_text(needed: int | None, declared: tuple[int, ...]) -> str:
    """The KPI line on the promise margin, in the current language; empty before any order was done."""
    if needed is None:
        return ""
    text = (tr("Promise margin that kept 9 in 10 on time (4 weeks): {days} working day") if needed == 1 else
            tr("Promise margin that kept 9 in 10 on time (4 weeks): {days} working days")).format(days=needed)
    if declared:
        low, high = declared[0], declared[-1]
        text += tr(" (set: {days})").format(days=str(low) if low == high else f"{low}–{high}")
    return text


def age_text(age: timedelta) -> str:
    """How long, as the board says it in the current language (``42 min``, ``3 h 05 min``, ``1 d 6 h``)."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return tr("just now")
    if minutes < 60:
        return tr("{minutes} min").format(minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return tr("{hours} h {minutes} min").format(hours=hours, minutes=f"{minutes:02d}")
    return tr("{days} d {hours} h").format(days=hours // 24, hours=hours % 24)


def waiting_text(count: int) -> str:
    """What a station could take next, in words (``3 jobs waiting``): the wall board's line and card alike."""
    return (tr("1 job waiting") if count == 1 else
            tr("{count} jobs waiting").format(count=count) if count else tr("nothing waiting"))


def minutes(seconds: int) -> str:
    """``m:ss`` under an hour, ``H h MM`` above (an operation left running overnight stays readable)."""
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


def _order_key(row: OperationRow) -> tuple[int, float]:
    """Running, paused, queued, done; then by planned start (timestamps: cheap to compare)."""
    return STATUS_RANK.get(row.status, 9), row.planned_start.timestamp() if row.planned_start else math.inf


def group_by_station(code: str, rows: list[OperationRow], stations: Iterable[str] = ()) -> StationGroups:
    """One work centre's operations (sorted) per station, with their status counts; each of the centre's
    declared ``stations`` gets its group even with nothing to show (an idle station is on the board too)."""
    found: dict[StationKey, tuple[list[OperationRow], Counter[str]]] = {(False, st): ([], Counter()) for st in stations}
    for row in rows:
        key = (False, row.station) if row.station else (True, code)
        group = found.get(key)
        if group is None:
            group = found[key] = ([], Counter())
        group[0].append(row)
        group[1][row.status] += 1
    return found


def merge_boards(groups: Mapping[str, StationGroups]) -> list[StationBoard]:
    """Boards from the per-centre groups: stations first, then unstarted work per centre.

    Only the changed centre is grouped again on an update; a station serving several centres is
    the only one whose rows are concatenated and sorted again."""
    parts: dict[StationKey, list[tuple[str, list[OperationRow], Counter[str]]]] = {}
    for code, grouped in groups.items():
        for key, (piece_rows, piece_counts) in grouped.items():
            parts.setdefault(key, []).append((code, piece_rows, piece_counts))
    boards = []
    for key in sorted(parts):
        pieces = parts[key]
        counts = dict.fromkeys(STATUS_ORDER, 0)
        for _code, _rows, tally in pieces:
            for status, n in tally.items():
                counts[status] = counts.get(status, 0) + n
        if len(pieces) == 1:
            rows: tuple[OperationRow, ...] = tuple(pieces[0][1])
        else:
            rows = tuple(sorted((r for piece in pieces for r in piece[1]), key=_order_key))
        boards.append(StationBoard(key[1], key[0], tuple(sorted(code for code, _r, _c in pieces)), counts, rows))
    return boards


def parse_orders(body: dict[str, Any]) -> dict[str, Any]:
    """The orders snapshot as the state's ``orders``, ``load`` and ``kpis``."""
    orders = [OrderRow(str(o.get("id")), str(o.get("product") or ""), int(o.get("quantity") or 0),
                       str(o.get("status") or ""), _percent(o.get("percent")), _time(o.get("promise")),
                       _time(o.get("eta")), bool(o.get("late")), str(o.get("number") or ""),
                       str(o.get("customer") or ""), _time(o.get("first_promise")),
                       _names(o.get("product_names")))
              for o in body.get("orders", []) if isinstance(o, dict)]
    orders.sort(key=lambda o: (not o.late, o.status in CLOSED))
    load = body.get("load") or {}
    loads = [LoadRow(code, float(v.get("today_min", 0)), float(v.get("today_capacity_min", 0)),
                     float(v.get("week_min", 0)), float(v.get("week_capacity_min", 0)))
             for code, v in sorted(load.items()) if isinstance(v, dict)]
    k = body.get("kpis") or {}
    history = [h for h in k.get("history", []) if isinstance(h, dict)]
    centres = sorted({str(wc) for h in history for wc in (h.get("oee") or {})}
                     | {str(r["work_centre"]) for r in k.get("oee", []) if isinstance(r, dict) and r.get("work_centre")})
    found = k.get("promise_margin")
    margin: dict[str, Any] = found if isinstance(found, dict) else {}
    listed = margin.get("by_product")
    by_product: dict[str, Any] = listed if isinstance(listed, dict) else {}
    kpis = Kpis(
        oee={r["work_centre"]: float(r.get("oee") or 0) for r in k.get("oee", [])
             if isinstance(r, dict) and r.get("work_centre")},
        on_time_delivery=_num(k.get("on_time_delivery")), first_pass_yield=_num(k.get("first_pass_yield")),
        dates=[str(h.get("date")) for h in history],
        oee_trend={wc: [_num((h.get("oee") or {}).get(wc)) for h in history] for wc in centres},
        otd_trend=[_num(h.get("on_time_delivery")) for h in history],
        fpy_trend=[_num(h.get("first_pass_yield")) for h in history],
        margin_needed=_days(margin.get("needed_days")),
        margin_declared=tuple(sorted({d for v in by_product.values() if isinstance(v, dict)
                                      for d in [_days(v.get("declared_days"))] if d is not None})))
    return {"orders": orders, "load": loads, "kpis": kpis, "zone": _zone(body.get("zone")),
            "demand": parse_demand(body.get("demand"))}


def _zone(name: Any) -> tzinfo | None:
    """The hub's zone by its IANA name; None (keep this node's own) for a missing or unknown one."""
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        return None


def site_time(at: datetime | None, zone: tzinfo, *, clock: bool = True) -> str:
    """``Mon 23 Nov 16:00`` in the site's zone (``11月23日 周一 16:00`` in Chinese; without the clock time
    when ``clock`` is false); a dash for no time."""
    if at is None:
        return "—"
    local = at.astimezone(zone)
    day = day_text(local.date())
    return f"{day} {local:%H:%M}" if clock else day


def day_text(day: date) -> str:
    """A day as every board text writes it, in a table cell or inside a sentence: ``Wed 9 Dec`` /
    ``12月9日 周三`` (no brackets: a moved promise's cell adds the first date in brackets after it); the
    station's way (:func:`terminal.station.texts.day_and_date`)."""
    return texts.day_and_date(day)


def _operation(o: dict[str, Any], code: str) -> OperationRow:
    return OperationRow(str(o.get("order_id")), str(o.get("work_order")), str(o.get("item") or ""),
                        int(o.get("qty") or 0), int(o.get("op") or 0), str(o.get("code") or ""),
                        str(o.get("status") or "queued"), tuple(o.get("workers") or ()),
                        int(o.get("elapsed_s") or 0), int(o.get("standard_s") or 0), int(o.get("good") or 0),
                        int(o.get("scrap") or 0), str(o.get("station") or ""), code,
                        _time(o.get("planned_start")), _time(o.get("eta")), _time(o.get("started_at")),
                        _time(o.get("completed_at")), str(o.get("pause_reason") or ""))


def parse_centre(body: dict[str, Any], previous: RawRows | None = None) -> tuple[str, list[OperationRow], RawRows]:
    """One work centre's board: its code, its operations (running first) and the rows as sent.

    The hub re-sends the whole board every few seconds and most operations (queued, done) have not
    moved: a row sent exactly as last time keeps its parsed form instead of being parsed again."""
    code = str(body.get("work_centre"))
    previous = previous or {}
    raw: dict[tuple[str, int], tuple[dict[str, Any], OperationRow]] = {}
    rows = []
    for o in body.get("operations", []):
        if not isinstance(o, dict):
            continue
        key = (str(o.get("work_order")), int(o.get("op") or 0))
        seen = previous.get(key)
        row = seen[1] if seen is not None and seen[0] == o else _operation(o, code)
        raw[key] = (o, row)
        rows.append(row)
    rows.sort(key=_order_key)
    return code, rows, raw


class DashboardModel:
    """``DashboardModel(cache, link_up=..., clock=..., zone=..., stale_after=...)``.

    :meth:`read` on the core thread, :meth:`apply` on the UI thread (or :meth:`refresh` for both);
    the lists (``orders``, ``alerts``...) are those of the applied :attr:`state`."""

    def __init__(self, cache: DashboardCache, *, link_up: Callable[[], bool] = lambda: True,
                 clock: Callable[[], datetime] = utc_clock, zone: tzinfo | None = None,
                 wake: Callable[[], None] = lambda: None, stale_after: timedelta = STALE_AFTER,
                 at_risk: timedelta = AT_RISK, roster: Callable[[], list[Worker]] = list) -> None:
        self.cache = cache
        self.link_up = link_up
        self.clock = clock
        self.zone = zone
        self.wake = wake
        self.stale_after = stale_after
        self.at_risk = at_risk
        self.roster = roster  # this node's roster (the station roster's table in its store): core thread only
        self.state = DashboardState()  # shown (UI thread)
        self._last_read = DashboardState()  # last read (core thread)

    # --- the shown state --------------------------------------------------------------------------
    @property
    def orders(self) -> list[OrderRow]:
        return self.state.orders

    @property
    def alerts(self) -> list[AlertRow]:
        return self.state.alerts

    def demand_plot(self, alert_id: int) -> DemandPlot | None:
        """The chart of a demand warning, when the hub sent one (an older hub sends none)."""
        return self.state.demand.get(alert_id)

    @property
    def load(self) -> list[LoadRow]:
        return self.state.load

    @property
    def kpis(self) -> Kpis:
        return self.state.kpis

    @property
    def centres(self) -> Mapping[str, list[OperationRow]]:
        return self.state.centres

    @property
    def stations(self) -> list[StationBoard]:
        return self.state.stations

    # --- reading the cache (core thread) ----------------------------------------------------------
    def read(self) -> tuple[DashboardState, set[str]]:
        """Re-read what changed in the cache since the last read: the new state and the changed parts."""
        last = self._last_read
        revision = self.cache.revision()
        if revision == last.revision:
            return last, set()
        changed: set[str] = set()
        parts: dict[str, Any] = {}
        streams = dict(last.streams)
        centres = dict(last.centres)
        groups = dict(last.station_groups)
        raw_rows = dict(last.raw_rows)
        for stream, rev in self.cache.revisions().items():
            if streams.get(stream) == rev:
                continue
            streams[stream] = rev
            got = self.cache.snapshot(stream)
            if got is None:
                continue
            body, _received = got
            if stream == ORDERS_STREAM:
                parts.update(parse_orders(body))
                changed |= {"orders", "load", "kpis"}  # the demand plots repaint with "alerts" (every read)
            elif stream.startswith(CENTRE_PREFIX):
                code = str(body.get("work_centre"))
                _code, rows, raw_rows[code] = parse_centre(body, raw_rows.get(code))
                centres[code] = rows
                declared = body.get("stations")
                groups[code] = group_by_station(code, rows, [st for st in declared if isinstance(st, str) and st]
                                                if isinstance(declared, list) else ())
                changed.add("centres")
        if "centres" in changed:
            parts["stations"] = merge_boards(groups)
            parts["station_groups"] = groups
            parts["raw_rows"] = raw_rows
            changed.add("stations")
        changed.add("alerts")
        self._last_read = replace(last, revision=revision, streams=streams, centres=centres,
                             snapshot_at=self.cache.last_received(), alerts=self._read_alerts(),
                             names={w.badge: w.name for w in self.roster() if w.name}, **parts)
        return self._last_read, changed

    def _read_alerts(self) -> list[AlertRow]:
        pending = self.cache.pending()
        rows = [AlertRow(int(a["id"]), str(a.get("kind") or ""), str(a.get("severity") or "info"),
                         str(a.get("subject") or ""), str(a.get("message") or ""), str(a.get("state") or ""),
                         _time(a.get("raised_at")), str(a.get("acknowledged_by") or ""),
                         tuple(p["action"] for p in pending.get(int(a["id"]), ())), _facts(a.get("data")))
                for a in self.cache.alerts()]
        rows.sort(key=lambda a: (a.state != "raised", SEVERITY_RANK.get(a.severity, 5), a.id))
        return rows

    # --- showing (UI thread: no store access) -----------------------------------------------------
    def apply(self, state: DashboardState, changed: set[str]) -> set[str]:
        """Make ``state`` the shown one; returns ``changed`` for the panels to repaint."""
        self.state = state
        return changed

    def refresh(self) -> set[str]:
        """Read and apply at once, on the calling thread (tests and scripts; the screen uses the core)."""
        return self.apply(*self.read())

    # --- derived views ----------------------------------------------------------------------------
    def who(self, workers: Iterable[str]) -> str:
        """Who is on an operation as the board writes it: each badge as the worker's name where this node's
        roster knows it (``Anna Berg``), else the badge the station sent (``E-0007``)."""
        return ", ".join(self.state.names.get(badge, badge) for badge in workers)

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

    def station_boards(self, work_centre: str = "") -> list[StationBoard]:
        """Every station's board, or only those working for ``work_centre``."""
        return [b for b in self.stations if not work_centre or work_centre in b.work_centres]

    def waiting_at(self, board: StationBoard) -> int:
        """Operations a station could take next: its own queued ones and those of its work centres
        not started anywhere yet (they sit on the centre's board until a station starts one; the
        station's own work list shows them). On the live demo an assembly station with four
        operations on its work list read "nothing waiting" on the wall board."""
        own = sum(r.status == "queued" for r in board.operations)
        if board.unassigned:
            return own
        pool = sum(r.status == "queued" for b in self.stations
                   if b.unassigned and set(b.work_centres) & set(board.work_centres) for r in b.operations)
        return own + pool

    def drill_down(self, order_id: str) -> list[WorkOrderDrill]:
        """Order → its work orders → their operations with operators, times and scrap."""
        found: dict[str, list[OperationRow]] = {}
        for rows in self.centres.values():
            for row in rows:
                if row.order_id == order_id:
                    found.setdefault(row.work_order, []).append(row)
        return [WorkOrderDrill(wo, ops[0].item, ops[0].qty, tuple(sorted(ops, key=lambda r: r.op)))
                for wo, ops in sorted(found.items())]

    @property
    def site_zone(self) -> tzinfo:
        """The zone every time on the board is shown in: the hub's (what the site's clocks say), else
        this node's ``node.time_zone``, else UTC."""
        return self.state.zone or self.zone or UTC

    def when(self, at: datetime | None) -> str:
        """A time as the board shows it: in the site's zone (never the machine's)."""
        return site_time(at, self.site_zone)

    def day(self, at: datetime | None) -> str:
        """The day alone (``Fri 18 Sep``, ``9月18日 周五``) in the site's zone."""
        return site_time(at, self.site_zone, clock=False)

    def when_short(self, at: datetime | None) -> str:
        """``16:05`` today, ``23 Nov 16:05`` another day (site time): for tables with many times."""
        if at is None:
            return "—"
        local = at.astimezone(self.site_zone)
        same_day = local.date() == self.clock().astimezone(self.site_zone).date()
        if same_day:
            return local.strftime("%H:%M")
        return texts.date_and_time(local)

    def late_orders(self) -> list[OrderRow]:
        """Open orders the hub says are late, furthest behind first (the wall board's first column)."""
        rows = [o for o in self.orders if o.late and o.status not in CLOSED]
        return sorted(rows, key=lambda o: -(o.slip or timedelta()).total_seconds())

    def at_risk_orders(self) -> list[OrderRow]:
        """Open orders not late yet whose ETA comes within ``at_risk`` of the promise, least slack first."""
        rows = [o for o in self.orders if not o.late and o.status not in CLOSED and o.slip is not None
                and -o.slip < self.at_risk]
        return sorted(rows, key=lambda o: -(o.slip or timedelta()).total_seconds())

    def order(self, order_id: str) -> OrderRow | None:
        return next((o for o in self.orders if o.id == order_id), None)

    def stale_since(self) -> datetime | None:
        """When the shown state was last fresh, if it is stale now (old snapshot or link down)."""
        last = self.state.snapshot_at
        now = self.clock()
        if last is None:
            return now if not self.link_up() else None
        if not self.link_up() or now - last > self.stale_after:
            return last
        return None

    def stale_text(self) -> str:
        since = self.stale_since()
        if since is None:
            return ""
        if self.state.snapshot_at is None:
            return tr("No data from the hub yet") + ("" if self.link_up() else tr(" — hub link is down"))
        local = since.astimezone(self.site_zone)
        reason = tr("hub link is down") if not self.link_up() else tr("no update from the hub")
        today = self.clock().astimezone(self.site_zone).date()
        when = f"{local:%H:%M}" if local.date() == today else texts.date_and_time(local)  # two days offline
        # read "Stale since 18:00" as today's (review)
        return tr("Stale since {time} — {reason}; showing the last known state").format(time=when, reason=reason)

    # --- commands (core thread: they write the outbox) --------------------------------------------
    def identify(self, code: str) -> Worker | None:
        """Who acknowledges: a scanned badge label or a typed PIN, looked up in the roster as the station's
        login does (``sync.station.ledger.by_badge`` / ``by_pin``); None when nobody on it matches."""
        code = code.strip()
        try:
            label = labels.parse(code)
        except DecodeError:
            return by_pin(self.roster(), code) if code.isdigit() else None
        return by_badge(self.roster(), label.badge_id) if isinstance(label, BadgeLabel) else None

    def acknowledge(self, alert_id: int, by: str) -> str:
        return self._command(alert_id, "acknowledge", by)

    def resolve(self, alert_id: int, by: str) -> str:
        return self._command(alert_id, "resolve", by)

    def _command(self, alert_id: int, action: str, by: str) -> str:
        event_id = self.cache.command(alert_id, action, by)
        self.wake()
        return event_id
