"""Simulated kiosk and order traffic with a planted rise in one option, written as the hub stores it.

One generator for the demand benchmark (``bench/insights.py``: a year of events) and the demo
(``python -m sync.demo --demand-history``: a quarter of kiosk sessions before the hub starts), so the
traffic the benchmark measures is the traffic a newcomer watches raise a purchasing warning.
Configurations come from a pool of valid ones per product; arrivals follow a weekly pattern (busy
Saturdays, quiet Sundays) and a yearly swell; the last option of the first product's first
multi-option attribute is planted to grow (up to five times as popular by ``end``).
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sync.catalog.compile import product_problem
from sync.catalog.model import Product
from sync.configurator.engine import Engine
from sync.configurator.product import list_price
from sync.hub import demand
from sync.planning.timeline import add_working_minutes, next_working_moment
from sync.store import Store

if TYPE_CHECKING:
    from sync.hub.core import HubCore

WEEK = (1.0, 0.9, 0.9, 1.0, 1.2, 1.8, 0.5)  # Monday .. Sunday
#: who built the history's orders: a badge of the demo roster (Li Wei, who also works the demo's scripted
#: stations), so the boards name him; an unknown badge showed as "E-0001" beside every past operation
HISTORY_WORKER = "E-0042"


def random_configuration(rng: random.Random, product: Product, engine: Engine) -> dict[str, str]:
    """A valid configuration drawn at random: each attribute in random order takes an option still open
    (also the random orders of bench/planning.py and tests/test_plan_checker.py)."""
    session = engine.new_session()
    attrs = [a.code for a in product.attributes]
    rng.shuffle(attrs)
    for code in attrs:
        allowed = sorted(v for v, ok in session.domains()[code].items() if ok)
        if allowed:
            session.choose(code, rng.choice(allowed))
    return session.complete()


def planted_option(products: list[Product]) -> tuple[str, str, str]:
    """(product, attribute, option) the traffic makes grow."""
    product = products[0]
    attribute = next(a for a in product.attributes if len(a.options) > 1)
    return product.code, attribute.code, attribute.options[-1].code


def config_pool(rng: random.Random, products: list[Product]) -> dict[str, list[dict[str, str]]]:
    """60 valid configurations per product, the first the most popular (the solver's work: share it)."""
    engines = {p.code: Engine(product_problem(p)) for p in products}
    return {p.code: [random_configuration(rng, p, engines[p.code]) for _ in range(60)] for p in products}


def arrivals(rng: random.Random, products: list[Product], events: int, *, end: datetime, days: int, swell: float,
             planted: tuple[str, str, str], growth: float,
             pool: Mapping[str, list[dict[str, str]]] | None = None) -> Iterator[tuple[datetime, Product, dict[str, str]]]:
    """``events`` kiosk arrivals over the ``days`` before ``end``: (when, product, configuration), on the weekly
    pattern and the yearly swell, the ``planted`` option ``1 + growth`` times as popular by ``end``; drawn from
    ``pool`` (else a new :func:`config_pool`)."""
    pool = pool if pool is not None else config_pool(rng, products)
    popularity = {code: [1 / (i + 1) for i in range(len(configs))] for code, configs in pool.items()}
    weights_by_day = []
    for day in range(days):
        at = end - timedelta(days=days - day)
        weights_by_day.append(WEEK[at.weekday()] * (1 + swell * math.sin(2 * math.pi * day / days)))
    total_weight = sum(weights_by_day)
    written, cumulative = 0, 0.0
    for day in range(days):
        # rounded on the running total: a few events a quarter still spread over it (not all on its last day)
        cumulative += events * weights_by_day[day] / total_weight
        count = round(cumulative) - written if day < days - 1 else events - written
        date_start = (end - timedelta(days=days - day)).replace(hour=9)
        rise = day / days
        for _ in range(max(count, 0)):
            product = products[rng.randrange(len(products))]
            configs = pool[product.code]
            weights = popularity[product.code]
            if product.code == planted[0]:
                weights = [w * (1 + growth * rise if c.get(planted[1]) == planted[2] else 1)
                           for w, c in zip(weights, configs, strict=True)]
            config = rng.choices(configs, weights)[0]
            yield date_start + timedelta(minutes=rng.randrange(11 * 60)), product, config
        written += max(count, 0)


def write_traffic(store: Store, products: list[Product], events: int, seed: int, *, end: datetime, days: int,
                  order_share: float = 0.2, device: str = "kiosk-1", swell: float = 0.25,
                  planted: tuple[str, str, str] | None = None, growth: float = 4.0) -> dict[str, Any]:
    """``events`` orders and funnel sessions over the ``days`` before ``end``, in batches: ``order_share``
    placed orders, up to half summary sessions that left with their configuration, the rest earlier exits.
    ``order_share=0`` writes sessions only: the demo's history, which the hub's planner never replays.
    ``swell``: the yearly swell's amplitude (0 for a quarter, where it would look like a rise of everything).
    ``planted``: (product, attribute, option) to grow, else :func:`planted_option`; by ``end`` it is
    ``1 + growth`` times as popular as at the start. Answers with the configurations drawn from (``pool``:
    more traffic of the same shop, :func:`place_history`)."""
    rng = random.Random(seed)
    pool = config_pool(rng, products)
    planted = planted or planted_option(products)
    seq = 0
    order_rows: list[list[Any]] = []
    event_rows: list[list[Any]] = []

    def flush() -> None:
        with store.transaction("simulated traffic") as tx:
            if order_rows:  # the orders table is the hub core's: a sessions-only history needs none
                tx.db.conn.executemany(
                    "INSERT INTO orders (order_id, seq, event_id, device_id, product, revision, configuration, "
                    "quantity, price, currency, customer, placed_at, promise, promise_reason, ships_from_stock, "
                    "first_promise, number) VALUES (?, ?, ?, ?, ?, 1, ?, 1, '5000', 'CNY', '{}', ?, ?, 'plan', 0, ?, ?)",
                    order_rows)
            tx.db.conn.executemany("INSERT INTO events (event_id, device_id, seq, type, occurred_at, received_at, body, "
                                   "status) VALUES (?, ?, ?, 'kiosk.funnel', ?, ?, ?, 'ok')", event_rows)
        order_rows.clear()
        event_rows.clear()

    for at, product, config in arrivals(rng, products, events, end=end, days=days, swell=swell, planted=planted,
                                        growth=growth, pool=pool):
        stamp = at.astimezone(UTC).isoformat()
        kind = rng.random()
        seq += 1
        if kind < order_share:
            order_rows.append([uuid.UUID(int=rng.getrandbits(128)).hex, seq, f"e{seq}", device, product.code,
                               json.dumps(config, sort_keys=True), stamp, stamp, stamp, f"K1-{seq:07d}"])
        else:
            body: dict[str, Any] = {"session": f"s{seq}", "outcome": "abandoned", "product": product.code,
                                    "steps": [{"screen": "summary", "seconds": 20}]}
            if kind < 0.5:
                body.update(configuration=config, revision=1)
            event_rows.append([f"{device}-e{seq}", device, seq, stamp, stamp, json.dumps(body)])
        if len(order_rows) + len(event_rows) >= 50_000:
            flush()
    flush()
    return {"events": seq, "planted": f"{planted[0]} {planted[1]}={planted[2]}", "pool": pool}


def place_history(core: HubCore, products: list[Product], orders: int, seed: int, *, end: datetime, days: int,
                  planted: tuple[str, str, str], growth: float, device: str, revisions: Mapping[str, int],
                  pool: Mapping[str, list[dict[str, str]]] | None = None) -> int:
    """``orders`` past orders over the ``days`` before ``end`` (the same weekly pattern and planted rise as
    the sessions), each placed, built and shipped through the hub itself: planned when it was placed,
    every work order's steps started and completed (a passed check on QC steps) from their planned starts,
    each taking its standard time stretched by 0-30 % in its centre's shifts, parts before their assembly,
    the bike shipped two hours after its last step.
    Through the core's own ``on_order_placed``, ``on_op_event`` and ``Inventory.ship`` (one transaction an
    order), so the ledger, KPIs and insights read them as any order. An order that would not be done an
    hour before ``end`` is left out: history gives the stations no work. Returns the orders placed."""
    rng = random.Random(seed)
    placed = 0
    stations = {centre: found[0] for centre, found in core.stations_by_centre().items() if found}
    for at, product, config in sorted(arrivals(rng, products, orders, end=end, days=days, swell=0.0, planted=planted,
                                               growth=growth, pool=pool), key=lambda a: a[0]):
        order_id = uuid.UUID(int=rng.getrandbits(128)).hex
        price = list_price(product, config)
        body = {"order_id": order_id, "product": product.code, "revision": revisions[product.code],
                "configuration": config, "quantity": 1, "price": str(price),
                "customer": {"name": "History", "phone": "13800000000"}}
        stretch = [1 + 0.3 * rng.random() for _ in range(200)]
        try:
            with core.store.transaction("order history") as tx:
                answer = core.on_order_placed(tx, f"{device}-{order_id}", device, body, at)
                # the kiosk's own record of the session, as a real kiosk sends it: the funnel counts the order
                funnel = {"session": f"h{order_id}", "outcome": "placed", "product": product.code,
                          "revision": revisions[product.code], "configuration": config,
                          "steps": [{"screen": "summary", "seconds": 20}]}
                tx.db.conn.execute(
                    "INSERT INTO events (event_id, device_id, seq, type, occurred_at, received_at, body, status) "
                    "VALUES (?, ?, ?, 'kiosk.funnel', ?, ?, ?, 'ok')",
                    [f"{device}-funnel-{order_id}", f"{device}-funnel", placed + 1, at.astimezone(UTC).isoformat(),
                     at.astimezone(UTC).isoformat(), json.dumps(funnel)])
                done = _build(core, tx, answer["work_orders"], stations, stretch, at, device)
                if done > end - timedelta(hours=1):
                    raise _NotDone
                core.inventory.ship(tx, order_id, "dock", "shipped to the customer", done + timedelta(hours=2))
        except _NotDone:  # rolled back: the planner forgets it too
            core.planner.cancel(order_id, at, reschedule=False)
            continue
        placed += 1
    return placed


class _NotDone(Exception):
    """A history order that would still be in the workshop at ``end``."""


def _build(core: HubCore, tx: Any, work_orders: list[str], stations: Mapping[str, str], stretch: list[float],
           placed: datetime, device: str) -> datetime:
    """Every step of the order's work orders started and completed at its planned time stretched (a later step,
    or an assembly after its parts, waits for what it follows); when the last one ended."""
    planned: dict[str, list[tuple[int, str, datetime, datetime]]] = {}
    standard: dict[tuple[str, int], float] = {}  # working minutes of a step done in the shop (not outsourced)
    for r in tx.execute("SELECT work_order, op, work_centre, planned_start, planned_end, standard_seconds, outsourced "
                        f"FROM wo_ops WHERE work_order IN ({','.join('?' * len(work_orders))}) ORDER BY work_order, op",
                        work_orders):
        planned.setdefault(r[0], []).append((r[1], r[2], datetime.fromisoformat(r[3]), datetime.fromisoformat(r[4])))
        if not r[6]:
            standard[(r[0], r[1])] = float(r[5]) / 60
    calendars = core.calendars()
    parents, sizes = {}, {}
    for wo, parent, qty in tx.execute(
            f"SELECT id, parent, qty FROM work_orders WHERE id IN ({','.join('?' * len(work_orders))})", work_orders):
        parents[wo], sizes[wo] = parent, max(int(round(qty)), 1)
    qc = {(wo, o["number"]) for wo, body in tx.execute(
        f"SELECT id, body FROM work_orders WHERE id IN ({','.join('?' * len(work_orders))})", work_orders)
        for o in json.loads(body)["operations"] if o.get("qc")}
    ready: dict[str, datetime] = {}
    last = placed
    k = 0
    for wo in sorted(work_orders, key=lambda w: planned[w][0][2] if planned.get(w) else placed):
        t = max(placed, ready.get(wo, placed))
        steps = planned.get(wo, [])
        for i, (op, centre, start, end) in enumerate(steps):
            minutes, calendar = standard.get((wo, op)), calendars.get(centre)
            if minutes is None or calendar is None:  # a subcontractor's days: calendar time
                begin = max(start, t)
                t = begin + (end - start) * stretch[k % len(stretch)]
            else:  # in the centre's shifts, as a worker would: the KPIs count working time only
                begin = next_working_moment(calendar, max(start, t))
                t = add_working_minutes(calendar, begin, minutes * stretch[k % len(stretch)])
            k += 1
            # an outsourced step has no station of its own: the one its parts come back to records it
            at = stations.get(centre) or next((stations[c] for _, c, _, _ in steps[i + 1:] if c in stations), device)
            event = {"work_order": wo, "operation": op, "worker": HISTORY_WORKER}
            core.on_op_event(tx, f"{device}-{wo}-{op}-s", at, "op.started", {**event, "at": begin.isoformat()}, begin)
            if (wo, op) in qc:
                core.on_op_event(tx, f"{device}-{wo}-{op}-q", at, "qc.recorded",
                                 {**event, "at": t.isoformat(), "passed": True}, t)
            core.on_op_event(tx, f"{device}-{wo}-{op}-c", at, "op.completed",
                             {**event, "at": t.isoformat(), "good": sizes[wo], "scrap": 0}, t)
        parent = parents.get(wo)
        if parent:
            ready[parent] = max(ready.get(parent, placed), t)
        last = max(last, t)
    return last


def stock_for_days(core: HubCore, products: list[Product], now: datetime, history_days: int, zone: ZoneInfo,
                   days: int = 20, session_weight: float = demand.DemandOptions().session_weight) -> int:
    """Count every purchased item at its lead time plus ``days`` of its average use, rounded up, and its safety stock (a shop
    that has been buying all along, not the catalog's small opening stock): warnings then come from the
    trend, not the set-up. Through the ledger's own count, so on-hand is what the hub then reads. Returns
    the items counted."""
    start = (now - timedelta(days=history_days)).date()
    since = datetime.combine(start, datetime.min.time(), zone)
    until = datetime.combine(now.date(), datetime.min.time(), zone)
    orders, sessions = demand.signal_rows(core.store.query, since, until)
    by_code = {p.code: p for p in products}
    series = demand.daily_demand(orders, sessions, lambda code, _n: by_code[code], start, history_days, zone,
                                 session_weight)
    bought = {code: it for p in products for code, it in p.items.items() if it.kind == "purchased"}
    levels = {item: float(math.ceil(y.mean() * (bought[item].lead_time_days + days)) + float(bought[item].safety_stock))
              for item, y in series.components.items() if item in bought}
    with core.store.transaction("stock for the history") as tx:
        core.inventory.counts(tx, sorted(levels.items()), "demo", f"stock for its lead time and {days} days of use",
                              now)
    return len(levels)
