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
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sync.catalog.compile import product_problem
from sync.catalog.model import Product
from sync.configurator.engine import Engine
from sync.hub import demand
from sync.store import Store

if TYPE_CHECKING:
    from sync.hub.core import HubCore

WEEK = (1.0, 0.9, 0.9, 1.0, 1.2, 1.8, 0.5)  # Monday .. Sunday


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


def write_traffic(store: Store, products: list[Product], events: int, seed: int, *, end: datetime, days: int,
                  order_share: float = 0.2, device: str = "kiosk-1", swell: float = 0.25,
                  planted: tuple[str, str, str] | None = None, growth: float = 4.0) -> dict[str, Any]:
    """``events`` orders and funnel sessions over the ``days`` before ``end``, in batches: ``order_share``
    placed orders, up to half summary sessions that left with their configuration, the rest earlier exits.
    ``order_share=0`` writes sessions only: the demo's history, which the hub's planner never replays.
    ``swell``: the yearly swell's amplitude (0 for a quarter, where it would look like a rise of everything).
    ``planted``: (product, attribute, option) to grow, else :func:`planted_option`; by ``end`` it is
    ``1 + growth`` times as popular as at the start."""
    rng = random.Random(seed)
    engines = {p.code: Engine(product_problem(p)) for p in products}
    pool = {p.code: [random_configuration(rng, p, engines[p.code]) for _ in range(60)] for p in products}
    planted = planted or planted_option(products)
    popularity = {code: [1 / (i + 1) for i in range(len(configs))] for code, configs in pool.items()}
    weights_by_day = []
    for day in range(days):
        at = end - timedelta(days=days - day)
        weights_by_day.append(WEEK[at.weekday()] * (1 + swell * math.sin(2 * math.pi * day / days)))
    total_weight = sum(weights_by_day)
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

    written = 0
    for day in range(days):
        count = round(events * weights_by_day[day] / total_weight) if day < days - 1 else events - written
        date_start = (end - timedelta(days=days - day)).replace(hour=9)
        rise = day / days
        for _ in range(max(count, 0)):
            product = products[rng.randrange(len(products))]
            configs = pool[product.code]
            weights = popularity[product.code]
            if product.code == planted[0]:
                weights = [w * (1 + growth * rise if c.get(planted[1]) == planted[2] else 1) for w, c in zip(weights, configs, strict=True)]
            config = rng.choices(configs, weights)[0]
            at = date_start + timedelta(minutes=rng.randrange(11 * 60))
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
        written += max(count, 0)
    flush()
    return {"events": seq, "planted": f"{planted[0]} {planted[1]}={planted[2]}"}


def stock_for_days(core: HubCore, products: list[Product], now: datetime, history_days: int, zone: ZoneInfo,
                   days: int = 20, session_weight: float = demand.DemandOptions().session_weight) -> int:
    """Count every purchased item at its lead time plus ``days`` of its average use (and its safety stock) over the history (a shop
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
    levels = {item: float(round(y.mean() * (bought[item].lead_time_days + days) + float(bought[item].safety_stock)))
              for item, y in series.components.items() if item in bought}
    with core.store.transaction("stock for the history") as tx:
        for item, level in sorted(levels.items()):
            core.inventory.count(tx, item, level, "demo", f"stock for its lead time and {days} days of use", now)
    return len(levels)
