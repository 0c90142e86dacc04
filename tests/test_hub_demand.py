"""Demand sensing: a simulated quarter of kiosk and order traffic (seeded) on a real hub database and a real
released catalog. A planted rise in one option (the 625 Wh battery) raises the purchasing warning for its
battery at least one lead time before the first order that would find none in stock; flat demand never does.
The CLI and the API give the one report."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import requests

from sync.catalog import load_catalog
from sync.catalog.store import CatalogStore
from sync.hub import demand
from sync.hub.api import ApiServer, create_app
from sync.hub.core import HubCore, HubOptions
from sync.store import Store

ZONE = ZoneInfo("Asia/Shanghai")
START = date(2026, 9, 7)  # a Monday
DAYS = 91
STOCK_L, SAFETY_L, LEAD_L = 200, 10, 14
TOKEN = "demand-token"

CATALOG = {
    "catalog.yaml": """format: 1
name: {en: Demand test workshop, zh_CN: 需求测试工坊}
currency: CNY
languages: [en, zh_CN]
""",
    "items.yaml": f"""items:
  - {{code: EBIKE, name: {{en: E-bike, zh_CN: 电动车}}, kind: finished, unit: pcs}}
  - {{code: FRAME, name: {{en: Frame, zh_CN: 车架}}, kind: purchased, unit: pcs, unit_cost: 300, stock: 5000, safety_stock: 20, lead_time_days: 10, supplier: Frames Co}}
  - {{code: BATT-S, name: {{en: Small battery, zh_CN: 小电池}}, kind: purchased, unit: pcs, unit_cost: 900, stock: 5000, safety_stock: 10, lead_time_days: 14, supplier: Cells Inc}}
  - {{code: BATT-L, name: {{en: Large battery, zh_CN: 大电池}}, kind: purchased, unit: pcs, unit_cost: 1400, stock: {STOCK_L}, safety_stock: {SAFETY_L}, lead_time_days: {LEAD_L}, supplier: Cells Inc, purchasing: {{multiple: 10}}}}
""",
    "work_centres.yaml": """work_centres:
  - code: ASSY
    name: {en: Assembly, zh_CN: 总装}
    capacity: 1
    stations: [st-assy-1]
    calendar:
      workdays: [mon, tue, wed, thu, fri]
      shifts: [{start: "08:00", end: "12:00"}]
""",
    "assemblies.yaml": "assemblies: []\n",
    "products/ebike.yaml": """code: EBIKE
item: EBIKE
name: {en: E-bike, zh_CN: 电动车}
base_price: 5000
groups:
  - {code: drive, label: {en: Drive, zh_CN: 驱动}}
attributes:
  - code: battery
    group: drive
    label: {en: Battery, zh_CN: 电池}
    options:
      - {code: b400, label: {en: 400 Wh, zh_CN: 400瓦时}}
      - {code: b625, label: {en: 625 Wh, zh_CN: 625瓦时}, price: 800}
  - code: colour
    group: drive
    label: {en: Colour, zh_CN: 颜色}
    options:
      - {code: black, label: {en: Black, zh_CN: 黑色}}
      - {code: red, label: {en: Red, zh_CN: 红色}, price: 200}
rules: []
bom:
  - {item: FRAME, qty: 1}
  - {item: BATT-S, qty: 1, when: {battery: [b400]}}
  - {item: BATT-L, qty: 1, when: {battery: [b625]}}
routing:
  - {op: 10, code: ASSY, name: {en: Final assembly, zh_CN: 总装}, work_centre: ASSY, setup_min: 0, run_min: 60}
""",
}


def write_catalog(folder: Path) -> Path:
    for name, text in CATALOG.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def release(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.db"
    store = CatalogStore(path)
    store.add_user("erin", ["engineering"])
    store.add_user("mark", ["marketing"])
    store.add_user("fay", ["finance", "release"])
    store.submit(load_catalog(write_catalog(tmp_path / "catalog")), "EBIKE", "erin")
    for user, role in (("erin", "engineering"), ("mark", "marketing"), ("fay", "finance")):
        store.approve("EBIKE", 1, user, role)
    store.release("EBIKE", 1, "fay")
    store.close()
    return path


def b625_share(day: int, rising: bool) -> float:
    """The planted rise: a 30 % option climbs to 95 % between day 20 and day 60."""
    if not rising or day < 20:
        return 0.3
    return min(0.95, 0.3 + 0.65 * (day - 20) / 40)


@dataclass
class Quarter:
    core: HubCore
    store: Store
    warned_on: int | None  # first simulated day the BATT-L purchasing warning was open
    warning: dict[str, object] | None
    short_on: int | None  # first day an order for a 625 Wh battery found none in stock
    alert_keys: set[str]


def simulate(tmp_path: Path, *, rising: bool, seed: int = 7, check_every: int = 3) -> Quarter:
    """A quarter of orders and kiosk sessions written as the hub stores them; each order's battery leaves
    stock the day it is ordered (the ledger's issue); the demand check runs every ``check_every`` days."""
    rng = np.random.default_rng(seed)
    catalog = CatalogStore(release(tmp_path))
    store = Store(tmp_path / "hub.db", device_id="hub", kind="hub")
    core = HubCore(store, catalog, options=HubOptions(zone=ZONE))
    core.learn_released()
    opened = datetime.combine(START, time(7), ZONE)
    with store.transaction("openings") as tx:
        core.inventory.openings(tx, opened)
    seq, events, stock = 0, 0, float(STOCK_L)
    warned_on, warning, short_on = None, None, None
    keys: set[str] = set()
    for day in range(DAYS):
        d = START + timedelta(days=day)
        weekday_rate = (3.0, 3.0, 3.0, 3.5, 4.5, 6.0, 2.0)[d.weekday()]
        share = b625_share(day, rising)
        with store.transaction("a simulated day") as tx:
            for kind, count in (("order", rng.poisson(weekday_rate)), ("session", rng.poisson(2 * weekday_rate))):
                for _ in range(int(count)):
                    at = datetime.combine(d, time(int(rng.integers(9, 20)), int(rng.integers(0, 60))), ZONE)
                    config = {"battery": "b625" if rng.random() < share else "b400",
                              "colour": "red" if rng.random() < 0.4 else "black"}
                    if kind == "order":
                        seq += 1
                        order_id = str(uuid.uuid4())
                        tx.execute(
                            "INSERT INTO orders (order_id, seq, event_id, device_id, product, revision, configuration, "
                            "quantity, price, currency, customer, placed_at, promise, promise_reason, ships_from_stock, "
                            "first_promise, number) VALUES (?, ?, ?, 'kiosk-1', 'EBIKE', 1, ?, 1, '5000', 'CNY', '{}', "
                            "?, ?, 'plan', 0, ?, ?)",
                            [order_id, seq, uuid.uuid4().hex, json.dumps(config, sort_keys=True),
                             at.astimezone(UTC).isoformat(), (at + timedelta(days=7)).isoformat(),
                             (at + timedelta(days=7)).isoformat(), f"K1-{seq:04d}"])
                        if config["battery"] == "b625":
                            if stock < 1 and short_on is None:
                                short_on = day
                            stock -= 1
                            tx.execute("INSERT INTO stock_movements (item, qty, kind, at, by, reason, order_id, "
                                       "after_seq, in_plan) VALUES ('BATT-L', -1, 'issue', ?, 'st-assy-1', "
                                       "'issued', ?, ?, 1)", [at.isoformat(), order_id, seq])
                    else:
                        events += 1
                        body = {"session": uuid.uuid4().hex, "outcome": "abandoned", "product": "EBIKE",
                                "steps": [{"screen": "summary", "seconds": 30}], "configuration": config,
                                "revision": 1}
                        tx.execute("INSERT INTO events (event_id, device_id, seq, type, occurred_at, received_at, "
                                   "body, status) VALUES (?, 'kiosk-1', ?, 'kiosk.funnel', ?, ?, ?, 'ok')",
                                   [uuid.uuid4().hex, events, at.isoformat(), at.isoformat(), json.dumps(body)])
        if day >= 21 and day % check_every == 0 and warned_on is None:
            evening = datetime.combine(d + timedelta(days=1), time(0, 30), ZONE)
            core.demand_check(evening, force=True)
            open_alerts = core.alerts.open_alerts()
            keys |= {a["key"] for a in open_alerts}
            found = [a for a in open_alerts if a["key"] == "demand_short:BATT-L"]
            if found:
                warned_on, warning = day, found[0]
    return Quarter(core, store, warned_on, warning, short_on, keys)


def test_a_planted_rise_warns_one_lead_time_before_the_first_short_order(tmp_path: Path) -> None:
    q = simulate(tmp_path, rising=True)
    try:
        assert q.short_on is not None, "the planted rise must run the battery out within the quarter"
        assert q.warned_on is not None, "no purchasing warning for BATT-L"
        assert q.warned_on <= q.short_on - LEAD_L, (q.warned_on, q.short_on)
        assert q.warning is not None
        message = str(q.warning["message"])
        data = json.loads(str(q.warning["data"]))
        assert message.startswith("BATT-L runs short on ") and "; order " in message and "Cells Inc" in message
        assert data["order_qty"] > 0 and data["order_qty"] % 10 == 0  # the catalog's purchasing multiple
        runs_short = date.fromisoformat(data["runs_short_on"])
        assert date.fromisoformat(data["order_by"]) == runs_short - timedelta(days=LEAD_L)
        # the warning is an alert: raised once while open (the next checks do not raise it again)
        again = q.core.demand_check(datetime.combine(START + timedelta(days=q.warned_on + 1), time(1), ZONE),
                                    force=True)
        assert not [a for a in again if a["key"] == "demand_short:BATT-L"]
        assert len([a for a in q.core.alerts.open_alerts() if a["key"] == "demand_short:BATT-L"]) == 1
        report = q.core.demand(datetime.combine(START + timedelta(days=q.warned_on + 1), time(1), ZONE))
        option = next(o for o in report["options"] if o["attribute"] == "battery" and o["option"] == "b625")
        assert option["trend"] is not None and option["trend"] > 0
    finally:
        q.store.close()


def test_flat_demand_never_warns(tmp_path: Path) -> None:
    q = simulate(tmp_path, rising=False, check_every=4)
    try:
        assert q.short_on is None
        assert not [k for k in q.alert_keys if k.startswith("demand_short:")], q.alert_keys
    finally:
        q.store.close()


def test_many_summaries_and_few_orders_forecast_the_orders_volume_with_the_sessions_trend(tmp_path: Path) -> None:
    """A kiosk showing 100 summaries a day for 3 orders: at 0.25 a session the forecast would be 28 bikes a
    day; scaled to the orders it is 3, while an option whose sessions rise still shows the rise."""
    product = load_catalog(write_catalog(tmp_path / "catalog")).products["EBIKE"]
    days, start = 56, START
    small = json.dumps({"battery": "b400", "colour": "black"}, sort_keys=True)
    large = json.dumps({"battery": "b625", "colour": "black"}, sort_keys=True)
    orders, sessions = [], []
    for day in range(days):
        hour = (datetime.combine(start + timedelta(days=day), time(12), ZONE)).astimezone(UTC).strftime("%Y-%m-%dT%H")
        orders.append({"hour": hour, "product": "EBIKE", "revision": 1, "configuration": small, "units": 3, "orders": 3})
        rising = 10 + 80 * day // days  # the large battery's sessions climb from 10 to 90 a day
        sessions.append({"hour": hour, "product": "EBIKE", "revision": 1, "configuration": small,
                         "sessions": 100 - rising})
        sessions.append({"hour": hour, "product": "EBIKE", "revision": 1, "configuration": large, "sessions": rising})
    series = demand.daily_demand(orders, sessions, lambda _c, _n: product, start, days, ZONE, 0.25)
    ordered = 3 * days
    # the level is the orders' (an independent sum of what was ordered), not 3 + 0.25 × 100 a day
    assert series.products["EBIKE"].sum() == pytest.approx(ordered)
    assert series.components["FRAME"].sum() == pytest.approx(ordered)
    # the shape is the sessions': the large battery's series rises though no order chose it
    large_series = series.options["EBIKE battery=b625"]
    assert large_series[-7:].mean() > 4 * large_series[:7].mean() > 0
    # no order at all: the weighted sessions are all there is, unscaled
    alone = demand.daily_demand([], sessions, lambda _c, _n: product, start, days, ZONE, 0.25)
    assert alone.products["EBIKE"].sum() == pytest.approx(0.25 * 100 * days)


def test_the_cli_and_the_api_give_the_same_report(tmp_path: Path) -> None:
    q = simulate(tmp_path, rising=True, check_every=200)  # no checks: just the traffic
    at = datetime.combine(START + timedelta(days=DAYS), time(1), ZONE)
    server = ApiServer(create_app(q.core, [TOKEN], now=lambda: at)).start()
    try:
        from_api = requests.get(f"http://127.0.0.1:{server.port}/api/v1/demand",
                                headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60).json()
        config = tmp_path / "floorlink.toml"
        config.write_text(f'[node]\ndata_dir = "{tmp_path}"\ntime_zone = "Asia/Shanghai"\n', encoding="utf-8")
        cli = subprocess.run([sys.executable, "-m", "sync.hub.insights", "demand", "--config", str(config),
                              "--at", at.isoformat(), "--json"], capture_output=True, text=True, timeout=120,
                             check=False)
        assert cli.returncode == 0, cli.stderr
        assert json.loads(cli.stdout) == from_api
        text = subprocess.run([sys.executable, "-m", "sync.hub.insights", "demand", "--config", str(config),
                               "--at", at.isoformat()], capture_output=True, text=True, timeout=120, check=False)
        assert "BATT-L" in text.stdout and "Warnings:" in text.stdout
        assert from_api["products"][0]["product"] == "EBIKE" and from_api["products"][0]["orders_28"] > 0
        assert from_api["make_to_stock"] and from_api["capacity"]
        trends = [plot["trend"] for plot in from_api["plots"].values() if plot.get("trend")]
        assert trends, "a warning with its chart"
        today = at.astimezone(ZONE).date()
        for trend in trends:  # the forecast's first week is tomorrow's (its sum starts there), not today's
            assert trend["forecast_weeks"][0] == (today + timedelta(days=1)).isoformat()
            assert trend["history_weeks"][-1] == (today - timedelta(days=7)).isoformat()
    finally:
        server.stop()
        q.store.close()


def test_the_order_quantity_covers_a_whole_lead_time_after_a_shortage_near_the_horizons_end() -> None:
    """A planner's review: BAT-750 ran short on day 48 of a 60-day horizon with a 42-day lead time; the order
    covered only the 12 days left of the forecast, 3 where the documented rule gives 9."""
    position = demand.StockPosition("BAT", on_hand=11, committed=0, incoming=(), safety_stock=3, lead_time_days=42,
                                    supplier="Giant")
    today = date(2026, 12, 6)
    daily = np.full(60 + 43, 0.2)  # the forecast runs a lead time past the 60 days reported
    found = demand.project(position, daily, today, 60)
    # the test's own arithmetic: 11 - 0.2 d < 3 first on day 41; a lead time on, day 83 ends at 11 - 16.6 = -5.6
    # (the lowest point before it, day 82: -5.4); back up to the safety stock of 3: 8.4, whole units: 9
    assert found["runs_short_on"] == (today + timedelta(days=41)).isoformat()
    assert found["order_by"] == (today + timedelta(days=41 - 42)).isoformat()
    assert found["order_qty"] == 9
    assert len(found["projected"]) == 60, "only the horizon is reported"
    late = demand.project(position, np.concatenate([np.zeros(60), np.full(43, 5.0)]), today, 60)
    assert late["runs_short_on"] is None, "a shortage past the horizon is not reported"


def test_forecast_falls_back_on_short_series_and_follows_a_weekly_pattern() -> None:
    assert demand.forecast([], 5).method == "none"
    assert demand.forecast([2, 4], 3).method == "mean"
    assert demand.forecast([1.0] * 10 + [2.0] * 5, 3).method == "linear_trend"
    week = np.array([3, 3, 3, 4, 5, 9, 1], dtype=float)
    history = np.tile(week, 12) + np.random.default_rng(3).normal(0, 0.3, 84)
    for optimize, method in ((True, "holt_winters"), (False, "holt_winters_fixed")):
        f = demand.forecast(history, 14, optimize=optimize)
        assert f.method == method
        assert int(np.argmax(f.values[:7])) == 5  # the busy Saturday of the pattern is the forecast's peak too
        error, flat = demand.mape(np.tile(week, 2), f.values), demand.mape(np.tile(week, 2), np.full(14, week.mean()))
        assert error is not None and flat is not None and error < flat


def test_a_kiosk_session_that_saw_the_summary_sends_its_configuration_and_an_earlier_one_does_not() -> None:
    from kiosk.events import MemorySink
    from kiosk.flow import KioskModel, Screen
    from sync.hub.insights import check_body
    from tests.test_hub_core import SMALL
    from tests.test_kiosk_flow import Clock

    clock = Clock()
    model = KioskModel(load_catalog(SMALL, deep=False), MemorySink(), idle_timeout_s=60, clock=clock,
                       today=lambda: date(2026, 11, 25), revisions={"BIKE": 1})
    model.start()
    model.select_product(model.products()[0].code)
    while model.screen == Screen.OPTIONS:
        clock.now += 5
        model.next()
    assert model.screen == Screen.SUMMARY
    chosen = dict(model._config().choices)
    clock.now += 61
    assert model.tick()  # walked away from the summary
    model.start()
    model.select_product(model.products()[0].code)
    model.reset()  # left on the first options screen
    sink = model.sink
    assert isinstance(sink, MemorySink)
    funnels = [b for t, b in sink.events if t == "kiosk.funnel"]
    assert len(funnels) == 2
    assert funnels[0]["configuration"] == chosen and funnels[0]["revision"] == 1
    assert "configuration" not in funnels[1]
    for body in funnels:
        check_body("kiosk.funnel", body)


@pytest.mark.broker
def test_the_running_hub_raises_the_warning_as_an_alert_on_its_own(tmp_path: Path, mosquitto: Any) -> None:
    """The hub service's demand thread, not a test call, finds the planted rise and raises the alert."""
    from sync.hub.service import HubConfig, HubService

    q = simulate(tmp_path, rising=True, check_every=200)  # traffic only
    q.store.close()
    at = datetime.combine(START + timedelta(days=75), time(1), ZONE)
    service = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=mosquitto.port,
                                   tick_seconds=0.1, zone=ZONE), clock=lambda: at).start()
    try:
        assert service.wait_ready(20)
        deadline = datetime.now(UTC) + timedelta(seconds=90)
        found: list[dict[str, Any]] = []
        while not found and datetime.now(UTC) < deadline:
            found = [a for a in service.store.query("SELECT * FROM alerts WHERE kind = 'demand_short'")]
            service._stop.wait(0.5)
        assert [a["subject"] for a in found] == ["BATT-L"], service.jobs["demand"]
        assert service.jobs["demand"].errors == 0
    finally:
        service.stop()
