"""Hub benchmark: promise date with 5,000 operations scheduled, planning 1,000 orders, alert latency.

    .venv/bin/python bench/hub.py [--quick]

1. Promise: the demo catalog's three products planned (build orders) until >= 5,000 operations are
   scheduled, then p95 ms of a quote (``Planner.promise``) for a demo order. Baseline, same run:
   resolving the order's BOM and routing structure alone. Target p95 <= 50 ms.
2. Planning 1,000 orders through the hub core (checks against the released revision, the engine,
   planning, storing work orders and requisitions in SQLite, down messages). Each order is a random
   valid build (each attribute in random order takes an option the configurator still allows, as in
   bench/planning.py; seeded), priced as a kiosk prices it. Target <= 10 s (quick: 250 orders, the
   figure scaled to 1,000). Baseline, same run: the same number of orders of each product's default
   build (what this bench ordered before; fewer options, fewer parts).
3. Alert latency: a real Mosquitto and the hub service; a station sends 1,000 events/s of background
   load while another sends QC failures; from publishing the failing qc.recorded at the broker to
   receiving ``alert.raised`` on the alerts stream. Baseline, same run: a bare broker round trip.
   Target p99 <= 100 ms.
4. Progress in a batch: with the orders of 2. open (a copy of that hub database, opened twice), 50
   first ``op.started`` events of the earliest part work orders, stored the way ingest stores a
   batch (one transaction; the replan runs once before it commits), beside the same 50 events one
   transaction each (each replans all open work; what every event cost before batches planned
   once). Figure: ms per event, both ways, same run.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import uuid6  # noqa: E402

from sync.broker import Mosquitto  # noqa: E402
from sync.broker.probe import ProbeClient  # noqa: E402
from sync.catalog import load_catalog  # noqa: E402
from sync.catalog.compile import product_problem  # noqa: E402
from sync.configurator.engine import Engine  # noqa: E402
from sync.configurator.product import list_price  # noqa: E402
from sync.demo import release_catalog  # noqa: E402
from sync.hub.demand_traffic import random_configuration  # noqa: E402
from sync.hub.service import HubConfig, HubService  # noqa: E402
from sync.planning import Planner, from_catalog  # noqa: E402
from sync.protocol import topics  # noqa: E402
from sync.protocol.envelope import Envelope, utc_now  # noqa: E402

CATALOG = REPO / "assets" / "catalog"
SITE = "bench"
ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def promise_bench(samples: int) -> dict[str, Any]:
    catalog = load_catalog(CATALOG)
    planner = Planner({}, {})
    structures = []
    for product in catalog.products.values():
        planner.learn(from_catalog.items(product), from_catalog.centres(product, ZONE))
        structures.append((product, from_catalog.structure(product, product.defaults())))
    n = 0
    while planner.scheduled_operations() < 5000:
        planner.plan(f"O{n}", structures[n % 3][1], 1, NOW, ship_from_stock=False)
        n += 1
    quote, base = [], []
    for i in range(samples):
        product, tree = structures[i % 3]
        start = time.perf_counter()
        planner.promise(f"Q{i}", tree, 1, NOW, ship_from_stock=False)
        quote.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        from_catalog.structure(product, product.defaults())
        base.append((time.perf_counter() - start) * 1000)
    return {"scheduled_operations": planner.scheduled_operations(), "orders": n,
            "promise_ms": {"median": pct(quote, 0.5), "p95": pct(quote, 0.95)},
            "baseline_structure_ms": {"median": pct(base, 0.5), "p95": pct(base, 0.95)},
            "target_p95_ms": 50, "met": pct(quote, 0.95) <= 50}


def released(folder: Path) -> Path:
    db = folder / "catalog.db"
    release_catalog(CATALOG, db)
    return db


def order_body(i: int, product: Any, revision: int, configuration: dict[str, str]) -> dict[str, Any]:
    return {"order_id": f"B{i:05d}", "product": product.code, "revision": revision,
            "configuration": configuration, "quantity": 1, "price": str(list_price(product, configuration))}


def planning_bench(folder: Path, orders: int) -> dict[str, Any]:
    """Random valid builds, beside the default builds in the same run."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "defaults").mkdir(exist_ok=True)
    random_builds = plan_orders(folder, orders, defaults=False)
    default_builds = plan_orders(folder / "defaults", orders, defaults=True)
    return {**random_builds, "baseline_default_builds": default_builds}


def plan_orders(folder: Path, orders: int, *, defaults: bool) -> dict[str, Any]:
    from sync.catalog.store import CatalogStore
    from sync.hub.core import HubCore, HubOptions
    from sync.store import Store

    catalog_db = released(folder)
    catalog = CatalogStore(catalog_db)
    revisions = catalog.released_products()
    products = [(r.product(), r.number) for r in revisions.values()]
    rng = random.Random(12)
    engines = {product.code: Engine(product_problem(product)) for product, _ in products}
    builds = [(product, number, product.defaults() if defaults
               else random_configuration(rng, product, engines[product.code]))
              for i in range(orders) for product, number in [products[i % len(products)]]]
    store = Store(folder / "hub.db", device_id="hub", kind="hub")
    core = HubCore(store, catalog, options=HubOptions(zone=ZONE))
    start = time.perf_counter()
    for i, (product, number, configuration) in enumerate(builds):
        with store.transaction() as tx:
            core.on_order_placed(tx, str(uuid6.uuid7()), "kiosk-1", order_body(i, product, number, configuration), NOW)
    seconds = time.perf_counter() - start
    ops = core.planner.scheduled_operations()
    store.close()
    catalog.close()
    scaled = seconds * 1000 / orders
    result = {"orders": orders, "builds": "default" if defaults else "random", "seconds": round(seconds, 2),
              "seconds_per_1000": round(scaled, 2), "scheduled_operations": ops}
    return result if defaults else {**result, "target_s": 10, "met": scaled <= 10}


def progress_bench(planned: Path, folder: Path, events: int) -> dict[str, Any]:
    import shutil

    from sync.catalog.store import CatalogStore
    from sync.hub.core import HubCore, HubOptions
    from sync.store import Store

    catalog = CatalogStore(planned / "catalog.db")
    timings: dict[str, float] = {}
    for way in ("one_transaction", "transaction_each"):
        (folder / way).mkdir(parents=True)
        shutil.copy(planned / "hub.db", folder / way / "hub.db")
        store = Store(folder / way / "hub.db", device_id="hub", kind="hub")
        core = HubCore(store, catalog, options=HubOptions(zone=ZONE))
        starts = [(r["work_order"], r["op"], r["work_centre"]) for r in store.query(
            "SELECT o.work_order, o.op, o.work_centre FROM wo_ops o JOIN work_orders w ON w.id = o.work_order "
            "WHERE o.outsourced = 0 AND NOT EXISTS (SELECT 1 FROM work_orders c WHERE c.parent = w.id) "
            "AND o.op = (SELECT MIN(op) FROM wo_ops f WHERE f.work_order = o.work_order) "
            "ORDER BY o.planned_start LIMIT ?", [events])]
        bodies = [(wo, op, sorted(core._stations[centre])[0], {"work_order": wo, "operation": op,
                                                               "at": NOW.isoformat(), "worker": "W-1"})
                  for wo, op, centre in starts]
        began = time.perf_counter()
        if way == "one_transaction":
            with store.transaction() as tx:
                for wo, op, station, body in bodies:
                    core.on_op_event(tx, f"{wo}-{op}", station, "op.started", body, NOW)
        else:
            for wo, op, station, body in bodies:
                with store.transaction() as tx:
                    core.on_op_event(tx, f"{wo}-{op}", station, "op.started", body, NOW)
        timings[way] = (time.perf_counter() - began) * 1000 / len(bodies)
        store.close()
    catalog.close()
    return {"events": len(bodies), "open_orders": len(core.planner.plans),
            "ms_per_event_one_transaction": round(timings["one_transaction"], 1),
            "ms_per_event_transaction_each_baseline": round(timings["transaction_each"], 1),
            "met": timings["one_transaction"] < timings["transaction_each"]}


class Sender:
    """A registered device publishing valid envelopes straight to the broker (its own sequence)."""

    def __init__(self, port: int, device: str) -> None:
        self.device, self.seq = device, 0
        self.client = ProbeClient("127.0.0.1", port, device, persistent=False)

    def send(self, type_: str, body: dict[str, Any], wait: bool = False) -> float:
        self.seq += 1
        env = Envelope(str(uuid6.uuid7()), self.device, self.seq, utc_now(), type_, body)
        at = time.perf_counter()
        self.client.publish(topics.up(SITE, self.device, type_), env.encode(), wait=wait)
        return at


def latency_bench(folder: Path, triggers: int, load_rate: int) -> dict[str, Any]:
    broker = Mosquitto(folder / "mq").start()
    catalog_db = released(folder)
    hub = HubService(HubConfig(db=folder / "hub-live.db", catalog_db=catalog_db, site=SITE, port=broker.port,
                               devices=["kiosk-1", "st-load", "st-qc-1"], zone=ZONE, tick_seconds=1.0)).start()
    try:
        assert hub.wait_ready(30), "hub did not subscribe"
        # one build order, so there is a real QC operation to fail
        from sync.catalog.store import CatalogStore

        store = CatalogStore(catalog_db)
        revision = store.latest_released("CARGO")
        store.close()
        kiosk = Sender(broker.port, "kiosk-1")
        listener = ProbeClient("127.0.0.1", broker.port, "bench-listener", persistent=False)
        listener.subscribe(topics.down(SITE, "alerts"))
        listener.subscribe(topics.ack(SITE, "kiosk-1"))
        product = revision.product()
        kiosk.send("order.placed", order_body(1, product, revision.number, product.defaults()), wait=True)
        deadline = time.monotonic() + 30
        qc_ops: list[dict[str, Any]] = []
        while not qc_ops and time.monotonic() < deadline:
            qc_ops = hub.store.query("SELECT work_order, op FROM wo_ops WHERE work_centre = 'QC'")
            time.sleep(0.05)
        assert qc_ops, "the order was not planned"
        wo, op = qc_ops[0]["work_order"], qc_ops[0]["op"]

        stop = threading.Event()
        load = Sender(broker.port, "st-load")

        def background() -> None:
            interval = 1.0 / load_rate
            next_at = time.perf_counter()
            while not stop.is_set():
                load.send("device.heartbeat", {"at": datetime.now(UTC).isoformat()})
                next_at += interval
                delay = next_at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)

        loader = threading.Thread(target=background, daemon=True)
        loader.start()
        qc = Sender(broker.port, "st-qc-1")
        # the hub checks the station's rules: a QC result needs its operation started (sync.station.rules)
        qc.send("op.started", {"work_order": wo, "operation": op, "at": datetime.now(UTC).isoformat(),
                               "worker": "ann"}, wait=True)
        latencies: list[float] = []
        seen = attempts = missing = 0

        def alerts_received() -> int:
            return sum(1 for m in list(listener.received.messages) if m.topic.endswith("/down/alerts")
                       and b'"alert.raised"' in m.payload)

        for i in range(5 + triggers):  # the first four fails fill the QC window (minimum 5 checks)
            body = {"work_order": wo, "operation": op, "at": datetime.now(UTC).isoformat(), "worker": "ann",
                    "passed": False, "defect": "D1"}
            sent_at = qc.send("qc.recorded", body)
            if i < 4:
                time.sleep(0.05)
                continue
            end = time.monotonic() + 5
            while alerts_received() <= seen and time.monotonic() < end:
                time.sleep(0.0005)
            attempts += 1
            if alerts_received() > seen:
                latencies.append((time.perf_counter() - sent_at) * 1000)
                seen = alerts_received()
            else:
                missing += 1
            # resolve it so the next failure raises a new alert
            for row in hub.store.query("SELECT id FROM alerts WHERE state != 'resolved'"):  # under the store's lock
                with hub.store.transaction("bench resolving") as tx:  # as a dashboard's command would
                    hub.core.on_alert_command(tx, "alert.resolved", {"alert_id": row["id"], "by": "bench"},
                                              datetime.now(UTC))
            time.sleep(0.02)
        stop.set()
        loader.join(5)

        # baseline: a bare round trip through the same broker
        echo = ProbeClient("127.0.0.1", broker.port, "bench-echo", persistent=False)
        sock = echo.client.socket()
        if sock is not None:  # as our MqttLink does: no Nagle delay on small messages
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        echo.subscribe("bench/echo")
        rtt = []
        for i in range(triggers):
            before = len(echo.received.messages)
            at = time.perf_counter()
            echo.publish("bench/echo", f"{i}".encode(), wait=False)
            echo.received.wait_for(before + 1, 5)
            rtt.append((time.perf_counter() - at) * 1000)
        echo.close()
        listener.close()
        for sender in (kiosk, load, qc):
            sender.client.close()
        return {"triggers": attempts, "alerts_within_5s": len(latencies), "missing": missing,
                "background_events_per_s": load_rate,
                "alert_ms": {"median": pct(latencies, 0.5) if latencies else None,
                             "p99": pct(latencies, 0.99) if latencies else None},
                "baseline_broker_round_trip_ms": {"median": pct(rtt, 0.5), "p99": pct(rtt, 0.99)},
                "target_p99_ms": 100, "met": bool(latencies) and not missing and pct(latencies, 0.99) <= 100}
    finally:
        hub.stop()
        broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python bench/hub.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (under 50 s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="floorlink-bench-hub-") as tmp:
        folder = Path(tmp)
        (folder / "plan").mkdir()
        (folder / "live").mkdir()
        result = {
            "bench": "hub", "quick": args.quick,
            "promise": promise_bench(40 if args.quick else 200),
            "planning": planning_bench(folder / "plan", 250 if args.quick else 1000),
            "progress_batch": progress_bench(folder / "plan", folder / "progress", 50),
            "alert_latency": latency_bench(folder / "live", 20 if args.quick else 100, 1000),
        }
    result["all_met"] = all(result[k]["met"] for k in ("promise", "planning", "progress_batch", "alert_latency"))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
