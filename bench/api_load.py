"""API load benchmark: does a heavy report slow the storing of events? (docs/hub.md, API)

    .venv/bin/python bench/api_load.py [--quick] [--events N] [--work-orders W]

A hub database gets a year of shop floor history: ``W`` work orders of four operations, each started and
completed, the last one inspected (their operation events, the rows the KPIs, WIP and order reports read
every time; no orders, so the hub's start has nothing to plan again). The hub runs as its own program
(``python -m sync.hub``) against a real Mosquitto, twice, on copies of that database:

- ``pool``: the heavy reports in a worker process (hub.api_report_workers = 1, the default);
- ``in_process``: in the hub process (hub.api_report_workers = 0, how they ran before).

Each time, a station publishes ``N`` heartbeats as fast as it can and the time until the hub has stored
them all is measured (the median of 3 bursts), first alone (the baseline, same run, same hub), then while 4 clients keep asking
``GET /api/v1/kpis`` for the whole year (each asks again as soon as it is answered; one report computes
at a time per worker, the others wait). Figures: events/s alone and loaded, their ratio (1.0: the
reports cost ingest nothing), the time of one year of KPIs asked alone, and the reports answered while
the loaded events were stored (the hub is stopped under the rest).
The hub's tick runs once a minute here: its dashboard snapshots read the same history every 5 s in the hub
process (in both ways alike) and would land in one measurement or another by chance.
``--quick`` runs in under 50 s. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import requests  # noqa: E402
import uuid6  # noqa: E402

from sync.broker import Mosquitto  # noqa: E402
from sync.broker.probe import ProbeClient  # noqa: E402
from sync.protocol import topics  # noqa: E402
from sync.protocol.envelope import Envelope, utc_now  # noqa: E402
from sync.store import Store  # noqa: E402

CATALOG = REPO / "assets" / "catalog"
SITE = "bench"
TOKEN = "bench-token"
END = datetime(2026, 12, 1, tzinfo=UTC)
CENTRES = ("FRAME", "WHEEL", "ASSY", "QC")
ROUNDS = 3
"""Each rate is the median of this many bursts."""


def heavy_history(db: Path, catalog_db: Path, work_orders: int, end: datetime = END, days: int = 365) -> int:
    """``work_orders`` work orders of four operations over the ``days`` before ``end``, each operation started
    and completed (the last one inspected), written into a new hub database ``db`` with the demo catalog
    released into ``catalog_db``; the operation events written."""
    from sync.catalog.store import CatalogStore
    from sync.demo import release_catalog
    from sync.hub.core import HubCore

    release_catalog(CATALOG, catalog_db)
    store = Store(db, device_id="hub", kind="hub")
    catalog = CatalogStore(catalog_db)
    HubCore(store, catalog).store.close()  # the hub's tables, as the hub makes them
    catalog.close()
    store = Store(db, device_id="hub", kind="")
    step = timedelta(days=days) / max(work_orders, 1)
    wos, ops, events = [], [], []
    for i in range(work_orders):
        wo, start = f"H-{i:06d}-01", end - timedelta(days=days) + step * i
        wos.append({"id": wo, "order_id": f"H-{i:06d}", "item": "FRAME", "qty": 1.0, "parent": None,
                    "stations": "[]", "body": "{}"})
        for n, centre in enumerate(CENTRES):
            op, begin = 10 * (n + 1), start + timedelta(minutes=30 * n)
            done = begin + timedelta(minutes=25)
            ops.append({"work_order": wo, "op": op, "code": f"OP{op}", "work_centre": centre,
                        "standard_seconds": 1500.0, "outsourced": 0, "planned_start": begin.isoformat(),
                        "planned_end": done.isoformat(), "lane": 0})
            kinds = [("op.started", begin, {}), ("op.completed", done, {"good": 1, "scrap": 0})]
            if centre == "QC":
                kinds.append(("qc.recorded", done, {"passed": i % 17 != 0}))
            for type_, at, extra in kinds:
                body = {"work_order": wo, "operation": op, "at": at.isoformat(), "worker": "W-1", **extra}
                events.append({"event_id": f"{wo}-{op}-{type_}", "work_order": wo, "op": op, "type": type_,
                               "at": at.isoformat(), "device_id": "st-1", "body": json.dumps(body)})
    with store.transaction("writing a bench history") as tx:
        tx.insert_rows("work_orders", wos)
        tx.insert_rows("wo_ops", ops)
        tx.insert_rows("op_events", events)
    store.close()
    return len(events)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stored(db: Path) -> int:
    """Events the hub has stored so far, read on a connection of our own."""
    reader = Store(db, device_id="bench", kind="", read_only=True)
    try:
        return int(reader.query("SELECT count(*) AS n FROM events")[0]["n"])
    finally:
        reader.close()


class Station:
    """A registered station publishing heartbeats straight to the broker (its own sequence)."""

    def __init__(self, port: int, device: str, client_id: str) -> None:
        self.device, self.seq = device, 0
        self.client = ProbeClient("127.0.0.1", port, client_id, persistent=False)

    def burst(self, count: int) -> None:
        for _ in range(count):
            self.seq += 1
            env = Envelope(str(uuid6.uuid7()), self.device, self.seq, utc_now(), "device.heartbeat",
                           {"at": datetime.now(UTC).isoformat()})
            self.client.publish(topics.up(SITE, self.device, "device.heartbeat"), env.encode(), wait=False)


def ingest_rate(db: Path, station: Station, events: int, timeout: float = 120) -> float:
    """Events/s from the first publish until the hub has stored all ``events``."""
    before = stored(db)
    began = time.perf_counter()
    station.burst(events)
    deadline = time.monotonic() + timeout
    while stored(db) < before + events:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the hub stored {stored(db) - before} of {events} events in {timeout:.0f} s")
        time.sleep(0.01)
    return events / (time.perf_counter() - began)


def run_hub(folder: Path, db: Path, catalog_db: Path, broker_port: int, workers: int, events: int) -> dict[str, Any]:
    api_port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "FLOORLINK_MQTT_PORT": str(broker_port),
           "FLOORLINK_MQTT_HOST": "127.0.0.1", "FLOORLINK_NODE_SITE": SITE, "FLOORLINK_NODE_DATA_DIR": str(folder),
           "FLOORLINK_HUB_API_TOKENS": TOKEN, "FLOORLINK_HUB_API_REPORT_WORKERS": str(workers),
           "FLOORLINK_HUB_DEMAND_EVERY_S": "86400", "FLOORLINK_HUB_TICK_SECONDS": "60"}
    hub = subprocess.Popen([sys.executable, "-m", "sync.hub", "--db", str(db), "--catalog-db", str(catalog_db),
                            "--api-port", str(api_port), "--device", "station:st-load", "--log-level", "warning"],
                           cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=(folder / "hub.err").open("w"), text=True)
    try:
        assert hub.stdout is not None
        ready = hub.stdout.readline()
        if "hub ready" not in ready:
            raise RuntimeError(f"the hub did not start: {ready!r}")
        base = f"http://127.0.0.1:{api_port}/api/v1"
        station = Station(broker_port, "st-load", f"st-load-{workers}")
        year = {"since": (END - timedelta(days=365)).isoformat(), "until": END.isoformat()}
        auth = {"Authorization": f"Bearer {TOKEN}"}
        # warm up: the station's session, the first batches, the report worker started and its caches filled
        ingest_rate(db, station, max(events // 10, 50))
        requests.get(f"{base}/kpis", params=year, headers=auth, timeout=120).raise_for_status()
        alone = statistics.median(ingest_rate(db, station, events) for _ in range(ROUNDS))
        began = time.perf_counter()
        requests.get(f"{base}/kpis", params=year, headers=auth, timeout=120).raise_for_status()
        report_s = time.perf_counter() - began
        stop = threading.Event()
        answers: list[int] = []

        def ask() -> None:
            while not stop.is_set():
                try:
                    answers.append(requests.get(f"{base}/kpis", params=year, headers=auth, timeout=120).status_code)
                except requests.RequestException:  # the hub stops under it at the end
                    return

        clients = [threading.Thread(target=ask, daemon=True) for _ in range(4)]
        for client in clients:
            client.start()
        time.sleep(0.3)  # the reports are computing
        loaded = statistics.median(ingest_rate(db, station, events) for _ in range(ROUNDS))
        stop.set()
        station.client.close()
        return {"events_per_s_alone": round(alone), "events_per_s_loaded": round(loaded),
                "loaded_vs_alone": round(loaded / alone, 2), "kpis_one_year_s": round(report_s, 2),
                "kpis_answered_meanwhile": answers.count(200), "kpis_busy_503": answers.count(503)}
    finally:
        hub.terminate()
        hub.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python bench/api_load.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller history and fewer events (under 50 s)")
    parser.add_argument("--events", type=int, help="heartbeats per measurement (default 5000, quick 2500)")
    parser.add_argument("--work-orders", type=int, help="work orders in the history (default 20000, quick 4000)")
    args = parser.parse_args()
    events = args.events or (2500 if args.quick else 5000)
    work_orders = args.work_orders or (4000 if args.quick else 20000)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="floorlink-api-load-") as tmp:
        folder = Path(tmp)
        history = heavy_history(folder / "history.db", folder / "catalog.db", work_orders)
        broker = Mosquitto(folder / "mq").start()
        try:
            ways: dict[str, Any] = {}
            for way, workers in (("pool", 1), ("in_process", 0)):
                (folder / way).mkdir()
                db = folder / way / "hub.db"
                shutil.copy(folder / "history.db", db)
                ways[way] = run_hub(folder / way, db, folder / "catalog.db", broker.port, workers, events)
                print(f"{way}: {ways[way]}", flush=True)
        finally:
            broker.stop()
    result = {"bench": "api_load", "quick": args.quick, "history_op_events": history, "work_orders": work_orders,
              "events": events, "kpis_clients": 4, **ways,
              "met": ways["pool"]["loaded_vs_alone"] > ways["in_process"]["loaded_vs_alone"],
              "seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
