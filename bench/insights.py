"""Demand-sensing benchmark: a year of kiosk and order events through the hub's demand report.

    .venv/bin/python bench/insights.py [--quick] [--events N] [--seed S]

The demo catalog (``assets/catalog``) is released into a fresh catalog database; a hub database gets a
year of events written as the hub stores them (``orders`` rows and ``kiosk.funnel`` events): 20 % placed
orders, 30 % sessions that reached the summary and left (with their configuration), 50 % sessions that
left earlier. Configurations come from a pool of valid ones per product (each attribute in random order
takes an option the configurator still allows); arrivals follow a weekly pattern (busy Saturdays, quiet
Sundays) and a yearly swell, and one option is planted to grow through the year.

Figures, all measured in this run:
- ``report_s``: :func:`sync.hub.demand.hub_demand_report` over the whole database (series, forecasts,
  projected stock, capacity, make-to-stock and warnings), as the hub's tick, the API and the CLI run it.
  Target: <= 60 s for 1,000,000 events (the full run); ``--quick`` (100,000 events) runs in under 50 s.
- ``mape_forecast`` / ``mape_seasonal_naive``: forecast error on a held-out month (the last 28 days):
  each product, option and component series with at least one unit a day on average is forecast from
  the days before with :func:`sync.hub.demand.forecast` and with the seasonal-naive baseline (last
  week repeated); the mean MAPE of each over the same series.
- ``planted_trend``: the report's trend (next 28 days vs last 28) of the option planted to grow.
Every purchased item is stocked at 45 days of its average use (a count in the ledger) before the report,
so warnings come from the trend, not from the demo catalog's small opening stock.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sync.catalog import load_catalog  # noqa: E402
from sync.catalog.store import CatalogStore  # noqa: E402
from sync.demo import release_catalog  # noqa: E402
from sync.hub import demand  # noqa: E402
from sync.hub.core import HubCore, HubOptions  # noqa: E402
from sync.hub.demand_traffic import write_traffic  # noqa: E402
from sync.store import Store  # noqa: E402

CATALOG = REPO / "assets" / "catalog"
ZONE = ZoneInfo("Asia/Shanghai")
END = datetime(2026, 12, 1, tzinfo=ZONE)
DAYS = 365


def release_all(path: Path) -> list[Any]:
    """The demo catalog released into ``path`` the way ``sync.demo`` does it; its products in catalog order."""
    release_catalog(CATALOG, path)
    return list(load_catalog(CATALOG).products.values())


def write_year(store: Store, products: list[Any], events: int, seed: int) -> dict[str, Any]:
    """``events`` orders and funnel sessions over the year before END (sync.hub.demand_traffic, as the demo)."""
    written = write_traffic(store, products, events, seed, end=END, days=DAYS)
    return {"events": written["events"], "planted": written["planted"]}


def stock_for(store: Store, products: list[Any], now: datetime, days: int = 45) -> int:
    """Counts that put every purchased item at ``days`` of its average use over the year (a shop that has
    been buying all year, not the demo's opening stock): warnings then come from the trend, not the setup."""
    start = (now - timedelta(days=DAYS)).date()
    since = datetime.combine(start, datetime.min.time(), ZONE)
    until = datetime.combine(now.date(), datetime.min.time(), ZONE)
    orders, _ = demand.signal_rows(store.query, since, until)
    by_code = {p.code: p for p in products}
    series = demand.daily_demand(orders, [], lambda code, _n: by_code[code], start, DAYS, ZONE, 0.0)
    purchased = {code for p in products for code, it in p.items.items() if it.kind == "purchased"}
    rows = [[item, float(round(y.mean() * days)), now.isoformat()] for item, y in series.components.items()
            if item in purchased]
    with store.transaction("bench stock") as tx:
        tx.db.conn.executemany("INSERT INTO stock_movements (item, qty, kind, at, by, reason, counted, after_seq, "
                               "in_plan) VALUES (?, ?, 'count', ?, 'bench', 'stock for the year', NULL, 0, 0)", rows)
    return len(rows)


def held_out_mape(store: Store, products: list[Any], now: datetime) -> dict[str, Any]:
    """Forecast the last 28 days of each busy series from the days before; Holt-Winters vs seasonal naive."""
    start = (now - timedelta(days=DAYS)).date()
    since = datetime.combine(start, datetime.min.time(), ZONE)
    until = datetime.combine(now.date(), datetime.min.time(), ZONE)
    orders, sessions = demand.signal_rows(store.query, since, until)
    by_code = {p.code: p for p in products}
    series = demand.daily_demand(orders, sessions, lambda code, _n: by_code[code], start, DAYS, ZONE, 0.25)
    ours, naive, methods = [], [], {}
    for table in (series.products, series.options, series.components):
        for y in table.values():
            if y.mean() < 1:
                continue
            train, test = y[:-28], y[-28:]
            f = demand.forecast(train, 28)
            m, n = demand.mape(test, f.values), demand.mape(test, demand.seasonal_naive(train, 28))
            if m is not None and n is not None:
                ours.append(m)
                naive.append(n)
                methods[f.method] = methods.get(f.method, 0) + 1
    return {"series": len(ours), "mape_forecast": round(sum(ours) / len(ours), 4) if ours else None,
            "mape_seasonal_naive": round(sum(naive) / len(naive), 4) if naive else None, "methods": methods}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python bench/insights.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 events (under 50 s)")
    parser.add_argument("--events", type=int, help="events in the year (default 1,000,000; --quick 100,000)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    events = args.events or (100_000 if args.quick else 1_000_000)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="floorlink-bench-insights-") as folder:
        root = Path(folder)
        products = release_all(root / "catalog.db")
        catalog = CatalogStore(root / "catalog.db")
        store = Store(root / "hub.db", device_id="hub", kind="hub")
        core = HubCore(store, catalog, options=HubOptions(zone=ZONE))
        core.learn_released()
        with store.transaction("openings") as tx:
            core.inventory.openings(tx, END - timedelta(days=DAYS + 1))
        t = time.perf_counter()
        written = write_year(store, products, events, args.seed)
        write_s = time.perf_counter() - t
        now = END + timedelta(hours=1)
        stocked = stock_for(store, products, now)
        t = time.perf_counter()
        report = core.demand(now)
        report_s = time.perf_counter() - t
        t = time.perf_counter()
        accuracy = held_out_mape(store, products, now)
        mape_s = time.perf_counter() - t
        store.close()
        catalog.close()
    result = {
        "bench": "insights", "quick": args.quick, "seed": args.seed, **written, "write_s": round(write_s, 1),
        "report_s": round(report_s, 2), "report_target_s": 60, "report_ok": report_s <= 60,
        "products": len(report["products"]), "options": len(report["options"]),
        "components": len(report["components"]), "warnings": len(report["warnings"]),
        "warning_kinds": sorted({w["kind"] for w in report["warnings"]}),
        "planted_trend": next((o["trend"] for o in report["options"]
                               if f"{o['product']} {o['attribute']}={o['option']}" == written["planted"]), None),
        "make_to_stock": len(report["make_to_stock"]), "items_stocked": stocked, **accuracy, "mape_s": round(mape_s, 1),
        "total_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
