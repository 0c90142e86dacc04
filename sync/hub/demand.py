"""Demand sensing at the hub: what customers order and configure, where it is heading, and what
runs short before it does.

Two signals, counted per day (site time): placed orders (weight 1 per unit) and kiosk sessions that
reached the summary with a configuration but did not order (``kiosk.funnel`` with a ``configuration``,
weight :attr:`DemandOptions.session_weight`: interest, not a sale). Each configuration is exploded
through its revision's BOM (:func:`sync.configurator.product.resolve_bom`) into components and through
its routing into work-centre minutes, so one daily series per product, per option and per component
comes out of the same events.

Each series gets a forecast (:func:`forecast`): Holt-Winters exponential smoothing (:mod:`sync.hub.smoothing`:
additive trend and weekly seasonality) once there are three weeks of history with enough days that sold,
else a straight-line trend or the mean (the report names the method per series). The component
forecast is run forward day by day against the stock position (:func:`stock_positions`: the ledger's on
hand, less what released work orders will still take, plus open requisitions at their due dates) to
find the first day below safety stock; that day less the lead time is when to order. A purchasing
warning is raised when that day is near (:attr:`DemandOptions.notice_days`); a capacity warning when a
work centre's planned plus forecast minutes of a week reach :attr:`DemandOptions.capacity_threshold` of
what its calendar offers. Both are alerts (``demand_short``, ``demand_capacity``) raised by the hub's periodic
check (:meth:`sync.hub.core.HubCore.demand_check`, a thread beside the tick), deduplicated by key and resolved when the forecast
no longer says so.

:func:`demand_report` is the one report: ``python -m sync.hub.insights demand`` and
``GET /api/v1/demand`` both print what it returns. docs/insights.md explains every figure.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

import numpy as np

from sync.catalog.model import Product
from sync.catalog.store import CatalogStore
from sync.configurator.product import resolve_bom, resolve_routing
from sync.errors import CatalogError, FloorLinkError
from sync.hub import smoothing, stock
from sync.planning import from_catalog
from sync.settings import Settings
from sync.times import from_iso

log = logging.getLogger(__name__)

Query = Callable[..., Sequence[Mapping[str, Any]]]
#: (product code, revision number or 0) -> the product of that revision (or the latest released one)
Products = Callable[[str, int], Product]


@dataclass(frozen=True)
class DemandOptions:
    """How far to look back and ahead, and when a forecast becomes a warning."""

    session_weight: float = 0.25
    """A configuration that reached the summary and was not ordered counts as this many units."""
    history_days: int = 120
    horizon_days: int = 60
    notice_days: int = 7
    """Warn when the day to order is at most this many days away (or already past)."""
    capacity_threshold: float = 1.0
    """Warn when a week's planned plus forecast load reaches this share of a work centre's hours."""
    capacity_weeks: int = 4
    mts_top: int = 3
    """Make-to-stock suggestions: at most this many configurations..."""
    mts_min_share: float = 0.15
    """...each at least this share of its product's orders over the history window (and 3 orders)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> DemandOptions:
        """The figures the settings give: the hub and ``python -m sync.hub.insights demand`` share them."""
        return cls(session_weight=settings.get("hub.demand_session_weight"),
                   notice_days=settings.get("hub.demand_notice_days"),
                   capacity_threshold=settings.get("hub.demand_capacity_threshold"))
    season: int = 7
    min_history_days: int = 14
    """No purchasing warning from a series younger than this (first demand to today): too little to trend."""


# ---------------------------------------------------------------------- forecasting
@dataclass(frozen=True)
class Forecast:
    values: np.ndarray
    method: str  # holt_winters (constants estimated) | holt_winters_fixed | linear_trend | mean | none


def forecast(history: Sequence[float] | np.ndarray, horizon: int, season: int = 7, *, optimize: bool = False) -> Forecast:
    """Daily forecast ``horizon`` days past the end of ``history`` (never negative).

    Holt-Winters (:mod:`sync.hub.smoothing`: additive trend, additive weekly season) needs a few
    seasons to estimate a season and a trend; with less history, or a series that is mostly empty days,
    a least-squares line through the last four weeks (or the mean of what there is) stands in.

    ``optimize``: estimate the smoothing constants by least squares over a grid (a few ms a series; used for
    the purchased items a warning rests on); else fixed constants that follow a trend within a few weeks
    (level 0.2, trend 0.05, season 0.1)."""
    y = np.asarray(history, dtype=float)
    n = len(y)
    if n >= 3 * season and np.count_nonzero(y) >= 2 * season and float(y.std()) > 0:
        smoothed = smoothing.fit(y, horizon, season) if optimize else smoothing.smooth(y, horizon, season)
        if np.all(np.isfinite(smoothed.values)):
            return Forecast(np.clip(smoothed.values, 0.0, None), "holt_winters" if optimize else "holt_winters_fixed")
        log.warning("demand: Holt-Winters gave non-finite values for a series of %d days; using a straight-line trend", n)
    if n >= 2 * season:
        recent = y[-4 * season:]
        slope, level = np.polyfit(np.arange(len(recent), dtype=float), recent, 1)
        ahead = np.arange(len(recent), len(recent) + horizon, dtype=float)
        return Forecast(np.clip(level + slope * ahead, 0.0, None), "linear_trend")
    if n:
        return Forecast(np.full(horizon, max(float(y.mean()), 0.0)), "mean")
    return Forecast(np.zeros(horizon), "none")


def seasonal_naive(history: Sequence[float] | np.ndarray, horizon: int, season: int = 7) -> np.ndarray:
    """The baseline a forecast must beat: the last full season repeated."""
    y = np.asarray(history, dtype=float)
    if len(y) < season:
        return np.full(horizon, float(y.mean()) if len(y) else 0.0)
    last = y[-season:]
    return np.array([last[i % season] for i in range(horizon)], dtype=float)


def mape(actual: Sequence[float] | np.ndarray, predicted: Sequence[float] | np.ndarray) -> float | None:
    """Mean absolute percentage error over the days with demand (days without are left out: no division by 0)."""
    a, p = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    mask = a > 0
    if not mask.any():
        return None
    return float(np.mean(np.abs(a[mask] - p[mask]) / a[mask]))


# ---------------------------------------------------------------------- signals
@dataclass
class DailyDemand:
    """Daily series (index 0 = ``start``) per product, option (``PRODUCT attr=opt``) and component, the
    placed units per configuration, and forecast work-centre minutes per product unit."""

    start: date
    days: int
    products: dict[str, np.ndarray] = field(default_factory=dict)
    product_orders: dict[str, np.ndarray] = field(default_factory=dict)
    product_sessions: dict[str, np.ndarray] = field(default_factory=dict)
    options: dict[str, np.ndarray] = field(default_factory=dict)
    components: dict[str, np.ndarray] = field(default_factory=dict)
    configurations: Counter[tuple[str, str]] = field(default_factory=Counter)
    centre_minutes: dict[str, dict[str, float]] = field(default_factory=dict)
    component_options: dict[str, set[str]] = field(default_factory=dict)
    """Per component, the options (``PRODUCT attr=opt``) of the configurations that use it."""

    def _series(self, table: dict[str, np.ndarray], key: str) -> np.ndarray:
        found = table.get(key)
        if found is None:
            found = table[key] = np.zeros(self.days)
        return found


def _local_day(hour_utc: str, zone: tzinfo) -> date | None:
    try:
        return datetime.strptime(hour_utc, "%Y-%m-%dT%H").replace(tzinfo=UTC).astimezone(zone).date()
    except (TypeError, ValueError):
        return None


def signal_rows(query: Query, since: datetime, until: datetime) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """Orders and unordered summary sessions in [since, until), grouped by UTC hour and configuration in SQL
    (a year of events is a few thousand groups, not a million rows)."""
    lo, hi = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    orders = query(
        "SELECT strftime('%Y-%m-%dT%H', o.placed_at) AS hour, o.product, o.revision, o.configuration, "
        "SUM(o.quantity) AS units, COUNT(*) AS orders FROM orders o "
        "WHERE o.order_id NOT IN (SELECT order_id FROM order_cancellations) "
        "AND strftime('%Y-%m-%dT%H:%M:%S', o.placed_at) >= ? AND strftime('%Y-%m-%dT%H:%M:%S', o.placed_at) < ? "
        "GROUP BY 1, 2, 3, 4", [lo, hi])
    sessions = query(
        "SELECT strftime('%Y-%m-%dT%H', occurred_at) AS hour, json_extract(body, '$.product') AS product, "
        "json_extract(body, '$.revision') AS revision, json_extract(body, '$.configuration') AS configuration, "
        "COUNT(*) AS sessions FROM events WHERE type = 'kiosk.funnel' AND status = 'ok' "
        "AND json_extract(body, '$.outcome') != 'placed' AND json_type(body, '$.configuration') = 'object' "
        "AND strftime('%Y-%m-%dT%H:%M:%S', occurred_at) >= ? AND strftime('%Y-%m-%dT%H:%M:%S', occurred_at) < ? "
        "GROUP BY 1, 2, 3, 4", [lo, hi])
    return list(orders), list(sessions)


class _Exploder:
    """Per (product, revision, configuration): units of each component and minutes per work centre for
    one finished unit (cached: a year of events has few distinct configurations)."""

    def __init__(self, products: Products) -> None:
        self.products = products
        self.cache: dict[tuple[str, int, str], tuple[dict[str, float], dict[str, float], Product] | None] = {}

    def __call__(self, code: str, revision: int, configuration: str) -> tuple[dict[str, float], dict[str, float], Product] | None:
        key = (code, revision, configuration)
        if key not in self.cache:
            try:
                product = self.products(code, revision)
                config = json.loads(configuration)
                bom = resolve_bom(product, config)
                parts: dict[str, float] = defaultdict(float)
                for line in bom:
                    parts[line.item] += float(line.qty)
                minutes: dict[str, float] = defaultdict(float)
                for op in resolve_routing(product, config, bom):
                    if not op.outsourced:
                        minutes[op.work_centre] += float(op.standard_min)
                self.cache[key] = (dict(parts), dict(minutes), product)
            except (FloorLinkError, ValueError, KeyError, TypeError, AttributeError):
                log.warning("demand: cannot explode %s@%s %s; left out of the demand", code, revision,
                            configuration[:200], exc_info=True)
                self.cache[key] = None
        return self.cache[key]


def order_scale(exploded: Iterable[tuple[tuple[str, str, int, str], np.ndarray, Any]],
                session_weight: float) -> dict[str, float]:
    """Per product, the factor that brings orders + sessions × weight back to the units its orders placed.

    Sessions lead (a rising option shows in them first) but are not sales: a kiosk with 300 summaries a
    week and 3 orders would otherwise forecast 78 bikes a week and warn that every work centre is
    overloaded. So the weighted series keeps its shape (the sessions' trend, weighted) and its level is
    the orders' over the window: factor = ordered units / (ordered units + weight × sessions). A product
    never ordered in the window keeps the weighted units (interest is all there is to go by)."""
    ordered: dict[str, float] = defaultdict(float)
    sessions: dict[str, float] = defaultdict(float)
    for (kind, _code, _revision, _configuration), vector, (_parts, _minutes, product) in exploded:
        (ordered if kind == "order" else sessions)[product.code] += float(vector.sum())
    return {code: (ordered[code] / (ordered[code] + session_weight * sessions[code]) if ordered[code] > 0 else 1.0)
            for code in set(ordered) | set(sessions)}


def daily_demand(orders: Iterable[Mapping[str, Any]], sessions: Iterable[Mapping[str, Any]], products: Products,
                 start: date, days: int, zone: tzinfo, session_weight: float) -> DailyDemand:
    """The daily series from :func:`signal_rows`' groups: orders count their units, sessions ``session_weight``,
    then each product's series is scaled to the units its orders placed (:func:`order_scale`).

    The groups are first summed into one day vector per distinct configuration; each configuration is then
    exploded once and added as whole vectors (a year of events has few configurations, many hours)."""
    demand = DailyDemand(start, days)
    explode = _Exploder(products)
    days_of: dict[str, date | None] = {}
    vectors: dict[tuple[str, str, int, str], np.ndarray] = {}
    counts: Counter[tuple[str, str, int, str]] = Counter()
    for rows, kind in ((orders, "order"), (sessions, "session")):
        for row in rows:
            hour = row["hour"]
            if hour not in days_of:
                days_of[hour] = _local_day(hour, zone)
            day = days_of[hour]
            configuration = row["configuration"]
            if day is None or not isinstance(row["product"], str) or not isinstance(configuration, str):
                continue
            i = (day - start).days
            if not 0 <= i < days:
                continue
            revision = row["revision"] if isinstance(row["revision"], int) else 0
            key = (kind, row["product"], revision, configuration)
            vector = vectors.get(key)
            if vector is None:
                vector = vectors[key] = np.zeros(days)
            vector[i] += float(row["units"] if kind == "order" else row["sessions"])
            if kind == "order":
                counts[key] += int(row["orders"])
    centre_units: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    product_units: dict[str, float] = defaultdict(float)
    exploded = [(key, vector, found) for key, vector in vectors.items()
                if (found := explode(key[1], key[2], key[3])) is not None]
    scale = order_scale(exploded, session_weight)
    for key, vector, found in exploded:
        kind, _code_sent, _revision, configuration = key
        parts, minutes, product = found
        code = product.code
        weighted = (vector if kind == "order" else vector * session_weight) * scale[code]
        demand._series(demand.products, code)[:] += weighted
        demand._series(demand.product_orders if kind == "order" else demand.product_sessions, code)[:] += vector
        config = json.loads(configuration)
        for attribute, option in sorted(config.items()):
            demand._series(demand.options, f"{code} {attribute}={option}")[:] += weighted
        for item, qty in parts.items():
            demand._series(demand.components, item)[:] += weighted * qty
            demand.component_options.setdefault(item, set()).update(
                f"{code} {attribute}={option}" for attribute, option in config.items())
        if kind == "order":
            demand.configurations[(code, json.dumps(config, sort_keys=True))] += counts[key]
            units = float(vector.sum())
            product_units[code] += units
            for centre, per_unit in minutes.items():
                centre_units[code][centre] += units * per_unit
    demand.centre_minutes = {code: {c: m / product_units[code] for c, m in centres.items()}
                             for code, centres in centre_units.items() if product_units[code] > 0}
    return demand


# ---------------------------------------------------------------------- stock
@dataclass(frozen=True)
class StockPosition:
    """What one purchased item has to meet future demand with."""

    item: str
    on_hand: float
    committed: float  # what released work orders not yet started will take
    incoming: tuple[tuple[date, float], ...]  # open requisitions: (due day, quantity still to come)
    safety_stock: float
    lead_time_days: int
    supplier: str | None
    min_qty: float = 0.0
    multiple: float = 0.0


def stock_positions(query: Query, products: Iterable[Product], zone: tzinfo) -> dict[str, StockPosition]:
    """The one stock view demand sensing reads: per purchased item, on hand from the ledger (sync.hub.stock;
    the catalog's stock before the ledger has an opening), what unstarted work orders of open orders will
    take from it, open requisitions at their (confirmed) due day, and the catalog's safety stock and lead time."""
    items = {code: it for product in products for code, it in product.items.items() if it.kind == "purchased"}
    ledger = stock.on_hand(query)
    committed: dict[str, float] = defaultdict(float)
    rows = query("SELECT w.body FROM work_orders w WHERE w.order_id NOT IN (SELECT order_id FROM order_cancellations) "
                 "AND w.id NOT IN (SELECT work_order FROM stock_movements WHERE kind = 'issue' "
                 "AND work_order IS NOT NULL)")
    for row in rows:
        try:
            for material in json.loads(row["body"]).get("materials", []):
                committed[str(material["item"])] += float(material["quantity"])
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("demand: a work order body without readable materials", exc_info=True)
    incoming: dict[str, list[tuple[date, float]]] = defaultdict(list)
    for r in stock.requisitions(query):
        if r["status"] not in ("open", "ordered", "received"):
            continue
        remaining = float(r["qty"]) - float(r["received"] or 0)
        if remaining > 1e-9:
            due = from_iso(str(r["confirmed_date"] or r["due_date"]))
            incoming[r["item"]].append((due.astimezone(zone).date(), remaining))
    return {code: StockPosition(
        code, ledger.get(code, float(it.stock)), committed.get(code, 0.0), tuple(sorted(incoming.get(code, []))),
        float(it.safety_stock), int(it.lead_time_days), it.supplier, float(it.purchasing.min_qty),
        float(it.purchasing.multiple)) for code, it in sorted(items.items())}


def _lot(qty: float, position: StockPosition) -> float:
    qty = max(qty, position.min_qty)
    if position.multiple > 0:
        qty = math.ceil(qty / position.multiple - 1e-9) * position.multiple
    return float(math.ceil(qty - 1e-9))


def project(position: StockPosition, daily: np.ndarray, today: date, horizon: int | None = None) -> dict[str, Any]:
    """Run the forecast forward from tomorrow: projected stock per day, the first day below safety stock,
    the day to order (that day less the lead time) and how much (to stay above safety stock for one more
    lead time after it, lot-sized). ``daily`` may run past ``horizon`` (the days reported and searched for
    a shortage): the order quantity covers a whole lead time after the shortage even near the horizon's end."""
    horizon = len(daily) if horizon is None else horizon
    level: float = position.on_hand - position.committed + sum(q for d, q in position.incoming if d <= today)
    arrivals: dict[date, float] = defaultdict(float)
    for d, q in position.incoming:
        if d > today:
            arrivals[d] += q
    projected = []
    short_index: int | None = None
    for i, use in enumerate(daily):
        day = today + timedelta(days=i + 1)
        level += arrivals.get(day, 0.0) - float(use)
        projected.append(round(level, 3))
        if short_index is None and i < horizon and level < position.safety_stock - 1e-9:
            short_index = i
    result: dict[str, Any] = {"projected": projected[:horizon], "runs_short_on": None, "order_by": None,
                              "order_qty": None}
    if short_index is None:
        return result
    short_day = today + timedelta(days=short_index + 1)
    cover_to = min(len(projected), short_index + max(position.lead_time_days, 7) + 1)
    lowest = min(projected[short_index:cover_to])
    result.update(runs_short_on=short_day.isoformat(),
                  order_by=(short_day - timedelta(days=position.lead_time_days)).isoformat(),
                  order_qty=_lot(position.safety_stock - lowest, position))
    return result


# ---------------------------------------------------------------------- capacity
CentreHours = Callable[[str, datetime, datetime], float]
"""(work centre, start, end) -> minutes it offers in that span (its calendar times its capacity)."""


def _weeks(today: date, count: int) -> list[date]:
    """The Mondays of the next ``count`` whole weeks: a week already under way would set a few days' hours
    against a forecast that includes its weekend's orders."""
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=1)
    return [monday + timedelta(weeks=w) for w in range(count)]


# ---------------------------------------------------------------------- the report
def _trend(last: float, ahead: float) -> float | None:
    return None if last <= 0 else round((ahead - last) / last, 3)


def demand_report(query: Query, products: Products, released: Mapping[str, int], now: datetime, zone: tzinfo,
                  options: DemandOptions | None = None, centre_minutes: CentreHours | None = None) -> dict[str, Any]:
    """The demand report as of ``now``: series over the last ``history_days`` full days, forecasts, projected
    stock of every purchased component, capacity by week, make-to-stock suggestions and the warnings."""
    opts = options or DemandOptions()
    today = now.astimezone(zone).date()
    start = today - timedelta(days=opts.history_days)
    since = datetime.combine(start, datetime.min.time(), zone)
    until = datetime.combine(today, datetime.min.time(), zone)
    orders, sessions = signal_rows(query, since, until)
    demand = daily_demand(orders, sessions, products, start, opts.history_days, zone, opts.session_weight)
    horizon = opts.horizon_days
    window = 28

    def summary(series: np.ndarray, optimize: bool = False, extra: int = 0) -> tuple[dict[str, Any], Forecast]:
        f = forecast(series, horizon + extra, opts.season, optimize=optimize)
        last = float(series[-window:].sum())
        ahead = float(f.values[:window].sum())
        return {"last_28": round(last, 2), "forecast_28": round(ahead, 2), "trend": _trend(last, ahead),
                "method": f.method}, f

    product_rows, product_forecasts = [], {}
    for code, series in sorted(demand.products.items()):
        row, f = summary(series)
        product_forecasts[code] = f
        orders_series = demand.product_orders.get(code, np.zeros(demand.days))
        sessions_series = demand.product_sessions.get(code, np.zeros(demand.days))
        product_rows.append({"product": code, "orders_28": round(float(orders_series[-window:].sum()), 2),
                             "sessions_28": int(sessions_series[-window:].sum()), **row})
    option_rows, option_summaries = [], {}
    for key, series in sorted(demand.options.items()):
        code, choice = key.split(" ", 1)
        attribute, option = choice.split("=", 1)
        row, of = summary(series)
        option_summaries[key] = (row, series, of)
        total = float(demand.products[code][-window:].sum())
        option_rows.append({"product": code, "attribute": attribute, "option": option,
                            "share_28": round(float(series[-window:].sum()) / total, 3) if total else None, **row})
    latest = []
    for code, number in sorted(released.items()):
        try:
            latest.append(products(code, number))
        except FloorLinkError:
            log.warning("demand: cannot load %s@%s", code, number, exc_info=True)
    positions = stock_positions(query, latest, zone)
    component_rows: list[dict[str, Any]] = []
    found_warnings: list[dict[str, Any]] = []
    for item, series in sorted(demand.components.items()):
        position = positions.get(item)
        # past the horizon by one lead time: the order quantity covers a lead time after a late shortage
        extra = max(position.lead_time_days, 7) + 1 if position is not None else 0
        row, f = summary(series, extra=extra)
        entry: dict[str, Any] = {"item": item, **row}
        if position is not None:
            projection = project(position, f.values, today, horizon)
            if (projection["order_by"] is not None and f.method == "holt_winters_fixed"
                    and (date.fromisoformat(projection["order_by"]) - today).days <= 2 * opts.notice_days):
                # a warning rests on this forecast: estimate its smoothing constants (slower) and look again
                row, f = summary(series, optimize=True, extra=extra)
                entry.update(row)
                projection = project(position, f.values, today, horizon)
            entry.update(on_hand=round(position.on_hand, 3), committed=round(position.committed, 3),
                         incoming=[{"due": d.isoformat(), "qty": q} for d, q in position.incoming],
                         safety_stock=position.safety_stock, lead_time_days=position.lead_time_days,
                         supplier=position.supplier, **projection)
            seen = np.flatnonzero(series)
            known_days = demand.days - int(seen[0]) if len(seen) else 0
            entry["history_days"] = known_days
            if projection["order_by"] is not None and known_days >= opts.min_history_days:
                order_by = date.fromisoformat(projection["order_by"])
                if (order_by - today).days <= opts.notice_days:
                    short_day = date.fromisoformat(projection["runs_short_on"])
                    late = order_by < today
                    found_warnings.append({
                        "key": f"demand_short:{item}", "kind": "demand_short",
                        "severity": "critical" if late else "warning", "subject": item,
                        "message": (f"{item} runs short on {short_day:%d %b} at the current trend; order "
                                    f"{projection['order_qty']:g} by {order_by:%d %b}"
                                    + (" (that day has passed: order now and expedite)" if late else "")
                                    + (f" from {position.supplier}" if position.supplier else "")),
                        "data": {"item": item, "runs_short_on": short_day.isoformat(), "order_by": order_by.isoformat(),
                                 "order_qty": projection["order_qty"], "supplier": position.supplier,
                                 "lead_time_days": position.lead_time_days, "order_by_passed": late}})
        component_rows.append(entry)
    capacity_rows = []
    if centre_minutes is not None:
        planned: dict[tuple[str, date], float] = defaultdict(float)
        weeks = _weeks(today, opts.capacity_weeks)
        end = weeks[-1] + timedelta(days=7)
        for r in query("SELECT w.work_centre, w.planned_start, w.standard_seconds FROM wo_ops w JOIN work_orders o "
                       "ON o.id = w.work_order WHERE o.order_id NOT IN (SELECT order_id FROM order_cancellations) "
                       "AND w.outsourced = 0 AND w.planned_end >= ?", [until.astimezone(UTC).isoformat()]):
            day = from_iso(r["planned_start"]).astimezone(zone).date()
            if weeks[0] <= day < end:
                planned[(r["work_centre"], day - timedelta(days=day.weekday()))] += float(r["standard_seconds"]) / 60
        centres = sorted({c for per in demand.centre_minutes.values() for c in per} | {c for c, _ in planned})
        for week in weeks:
            for centre in centres:
                fore = 0.0
                for code, per in demand.centre_minutes.items():
                    pf = product_forecasts.get(code)
                    if pf is None or centre not in per:
                        continue
                    for d in range(7):
                        i = (week + timedelta(days=d) - today).days - 1
                        if 0 <= i < len(pf.values):
                            fore += float(pf.values[i]) * per[centre]
                lo = max(datetime.combine(week, datetime.min.time(), zone), now)
                hi = datetime.combine(week + timedelta(days=7), datetime.min.time(), zone)
                offered = centre_minutes(centre, lo, hi) if hi > lo else 0.0
                booked = planned.get((centre, week), 0.0)
                load = (booked + fore) / offered if offered > 0 else None
                capacity_rows.append({"work_centre": centre, "week": week.isoformat(), "planned_min": round(booked, 1),
                                      "forecast_min": round(fore, 1), "available_min": round(offered, 1),
                                      "load": None if load is None else round(load, 3)})
                if load is not None and load >= opts.capacity_threshold and fore > 0:
                    found_warnings.append({
                        "key": f"demand_capacity:{centre}:{week.isoformat()}", "kind": "demand_capacity",
                        "severity": "warning", "subject": f"{centre} {week.isoformat()}",
                        "message": (f"{centre} is loaded {load:.0%} in the week of {week:%d %b} with planned work "
                                    f"and the forecast ({booked + fore:.0f} of {offered:.0f} minutes): add a shift "
                                    f"or move work"),
                        "data": {"work_centre": centre, "week": week.isoformat(), "load": round(load, 3)}})
    mts: list[dict[str, Any]] = []
    totals: Counter[str] = Counter()
    for (code, _), count in demand.configurations.items():
        totals[code] += count
    for (code, configuration), count in demand.configurations.most_common():
        share = count / totals[code]
        if len(mts) >= opts.mts_top:
            break
        if share < opts.mts_min_share or count < 3:
            continue
        mf = product_forecasts.get(code)
        weekly = float(mf.values[:7].sum()) * share if mf is not None else 0.0
        mts.append({"product": code, "configuration": json.loads(configuration), "orders": count,
                    "share": round(share, 3), "suggested_stock": int(math.ceil(weekly - 1e-9))})
    components_by_item = {row["item"]: row for row in component_rows}
    plots: dict[str, dict[str, Any]] = {}
    for w in found_warnings:
        if w["kind"] == "demand_short":
            entry = components_by_item[w["data"]["item"]]
            candidates = demand.component_options.get(entry["item"], set())
            plots[w["key"]] = {
                "kind": "stock", "item": entry["item"], "start": (today + timedelta(days=1)).isoformat(),
                "projected": [round(v, 2) for v in entry["projected"][:PLOT_DAYS]],
                "safety_stock": entry["safety_stock"], "runs_short_on": entry["runs_short_on"],
                "order_by": entry["order_by"], "trend": _option_trend(option_summaries, candidates, today)}
        else:
            centre = w["data"]["work_centre"]
            rows = [r for r in capacity_rows if r["work_centre"] == centre]
            per_unit = {code: per.get(centre, 0.0) for code, per in demand.centre_minutes.items()}
            candidates = {k for k in option_summaries if per_unit.get(k.split(" ", 1)[0], 0.0) > 0}
            plots[w["key"]] = {
                "kind": "capacity", "work_centre": centre, "week": w["data"]["week"],
                "weeks": [r["week"] for r in rows], "load": [r["load"] for r in rows],
                "threshold": opts.capacity_threshold,
                "trend": _option_trend(option_summaries, candidates, today, per_unit)}
    for plot in plots.values():
        if plot["trend"] is not None:
            plot["trend"]["labels"] = _trend_labels(products, released, plot["trend"])
        if plot["kind"] == "stock":
            plot["name"] = _item_name(products, released, plot["item"])
    return {"as_of": now.isoformat(), "today": today.isoformat(), "history_days": opts.history_days,
            "horizon_days": horizon, "session_weight": opts.session_weight, "notice_days": opts.notice_days,
            "products": product_rows, "options": option_rows, "components": component_rows,
            "capacity": capacity_rows, "make_to_stock": mts, "warnings": found_warnings, "plots": plots}


PLOT_DAYS = 56
"""Days of projected stock a warning's plot carries (the dashboard feed stays small: 8 weeks)."""
PLOT_WEEKS = 8
"""Weeks of history and of forecast in a warning's option trend."""


def _released(products: Products, released: Mapping[str, int], code: str) -> Product | None:
    try:
        return products(code, released.get(code, 0))
    except (FloorLinkError, KeyError, ValueError):
        log.warning("demand: no released product %s to name a chart with", code, exc_info=True)
        return None


def _trend_labels(products: Products, released: Mapping[str, int], trend: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The catalog's words, in every language, for a trend's product, attribute and option, so the chart says
    "Mountain bike, Battery: 750 Wh" and not "MTB battery: b750"; empty when the catalog no longer has them."""
    product = _released(products, released, trend["product"])
    attribute = product.attribute(trend["attribute"]) if product else None
    option = next((o for o in attribute.options if o.code == trend["option"]), None) if attribute else None
    if product is None or attribute is None or option is None:
        return {}
    return {"product": dict(product.name), "attribute": dict(attribute.label), "option": dict(option.label)}


def _item_name(products: Products, released: Mapping[str, int], item: str) -> dict[str, str]:
    """A purchased item's name in every language (the first released product that uses it), or empty."""
    for code in sorted(released):
        product = _released(products, released, code)
        if product is not None and item in product.items:
            return dict(product.items[item].name)
    return {}


def _option_trend(summaries: Mapping[str, tuple[dict[str, Any], np.ndarray, Forecast]], candidates: Iterable[str],
                  today: date, per_product: Mapping[str, float] | None = None) -> dict[str, Any] | None:
    """The weekly demand (history and forecast) of the option among ``candidates`` whose forecast rises most
    (times ``per_product`` of its product: a work centre's minutes per unit): the option behind a
    purchasing or capacity warning's trend. None when no option feeds it."""
    def weight(key: str) -> float:
        return 1.0 if per_product is None else per_product.get(key.split(" ", 1)[0], 0.0)

    ranked = sorted((k for k in candidates if k in summaries),
                    key=lambda k: ((summaries[k][0]["forecast_28"] - summaries[k][0]["last_28"]) * weight(k),
                                   summaries[k][0]["last_28"], k), reverse=True)
    if not ranked:
        return None
    key = ranked[0]
    row, series, f = summaries[key]
    code, choice = key.split(" ", 1)
    attribute, option = choice.split("=", 1)
    weeks = min(PLOT_WEEKS, len(series) // 7)
    history = [round(float(series[len(series) - 7 * (weeks - k):len(series) - 7 * (weeks - k - 1)].sum()), 2)
               for k in range(weeks)]
    ahead = min(PLOT_WEEKS, len(f.values) // 7)
    return {"product": code, "attribute": attribute, "option": option, "trend": row["trend"],
            "history_weeks": [(today - timedelta(days=7 * (weeks - k))).isoformat() for k in range(weeks)],
            "history": history,
            "forecast_weeks": [(today + timedelta(days=1 + 7 * k)).isoformat() for k in range(ahead)],
            "forecast": [round(float(f.values[7 * k:7 * k + 7].sum()), 2) for k in range(ahead)]}


def format_report(report: Mapping[str, Any]) -> str:
    """The demand report as plain text for a terminal (projected stock per day only in --json)."""
    lines = [f"Demand as of {report['today']} (last {report['history_days']} days; forecast {report['horizon_days']} "
             f"days; an unordered summary counts {report['session_weight']:g})", ""]

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:+.0%}"

    lines.append(f"{'product':<20}{'orders 28d':>11}{'sessions':>10}{'last 28d':>10}{'next 28d':>10}{'trend':>8}  method")
    lines += [f"{p['product']:<20}{p['orders_28']:>11g}{p['sessions_28']:>10}{p['last_28']:>10g}{p['forecast_28']:>10g}"
              f"{pct(p['trend']):>8}  {p['method']}" for p in report["products"]] or ["  none"]
    lines += ["", f"{'option':<34}{'share':>7}{'last 28d':>10}{'next 28d':>10}{'trend':>8}"]
    lines += [f"{o['product'] + ' ' + o['attribute'] + '=' + o['option']:<34}"
              f"{'—' if o['share_28'] is None else format(o['share_28'], '.0%'):>7}{o['last_28']:>10g}"
              f"{o['forecast_28']:>10g}{pct(o['trend']):>8}" for o in report["options"]] or ["  none"]
    lines += ["", f"{'component':<16}{'next 28d':>10}{'on hand':>9}{'committed':>10}{'safety':>8}{'lead d':>7}"
                  f"  runs short   order by    qty"]
    for c in report["components"]:
        if "on_hand" not in c:
            continue
        lines.append(f"{c['item']:<16}{c['forecast_28']:>10g}{c['on_hand']:>9g}{c['committed']:>10g}"
                     f"{c['safety_stock']:>8g}{c['lead_time_days']:>7}  {c['runs_short_on'] or '-':<11}"
                     f"{c['order_by'] or '-':<12}{'' if c['order_qty'] is None else format(c['order_qty'], 'g')}")
    if report["capacity"]:
        lines += ["", f"{'work centre':<16}{'week':<12}{'planned min':>12}{'forecast min':>13}{'available':>10}{'load':>7}"]
        lines += [f"{r['work_centre']:<16}{r['week']:<12}{r['planned_min']:>12g}{r['forecast_min']:>13g}"
                  f"{r['available_min']:>10g}{'—' if r['load'] is None else format(r['load'], '.0%'):>7}"
                  for r in report["capacity"]]
    lines += ["", "Make to stock:"]
    lines += [f"  {m['product']} {', '.join(f'{k}={v}' for k, v in sorted(m['configuration'].items()))}: "
              f"{m['orders']} orders ({m['share']:.0%}); keep {m['suggested_stock']} in stock"
              for m in report["make_to_stock"]] or ["  none"]
    lines += ["", "Warnings:"]
    lines += [f"  [{w['severity']}] {w['message']}" for w in report["warnings"]] or ["  none"]
    return "\n".join(lines)


def hub_demand_report(query: Query, catalog_path: Any, now: datetime, zone: tzinfo,
                      options: DemandOptions | None = None) -> dict[str, Any]:
    """:func:`demand_report` over a hub database and its catalog revision database: the hub's tick, the API
    and the CLI all call this, so they count the same way. A configuration from a draft folder (revision 0)
    or an unknown revision is read against the product's latest released revision."""
    catalog = CatalogStore(catalog_path)
    try:
        released = catalog.released_numbers()
        cache: dict[tuple[str, int], Product] = {}

        def products(code: str, number: int) -> Product:
            key = (code, number)
            if key not in cache:
                revision = None
                if number:
                    try:
                        revision = catalog.revision(code, number)
                    except CatalogError:
                        revision = None
                if revision is None or revision.state != "released":
                    if code not in released:
                        raise CatalogError(f"product {code} has no released revision", where=str(catalog_path),
                                           fix="release one; its kiosk sessions and orders count from then on")
                    revision = catalog.revision(code, released[code])
                cache[key] = revision.product()
            return cache[key]

        centres = {}
        for code, number in released.items():
            centres.update(from_catalog.centres(products(code, number), zone))

        def offered(centre: str, lo: datetime, hi: datetime) -> float:
            spec = centres.get(centre)
            if spec is None:
                return 0.0
            seconds = sum((b - a).total_seconds() for a, b in spec.calendar.working_intervals(lo, hi))
            return seconds / 60 * spec.capacity

        return demand_report(query, products, released, now, zone, options, offered)
    finally:
        catalog.close()
