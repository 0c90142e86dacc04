"""``python -m sync.demo``: every FloorLink app on this machine, with an embedded broker and the demo catalog.

What it starts, each as its own process with its own SQLite database under ``--data``:

- the embedded MQTT broker (no server to install),
- the hub (``python -m sync.hub``) with the read API on http://127.0.0.1:8750/api/v1 (token ``demo``),
- the kiosk (``python -m kiosk``), a station terminal (``python -m terminal``) and, where the
  terminal has it, the supervisor dashboard (``python -m terminal --dashboard``).

Before that it releases every product of the demo catalog (``assets/catalog``) through the whole
approval chain with demo users, so kiosks sell and the hub plans from released revisions.
``--check`` runs the same set-up without windows, places one order through the broker and exits 0
when the hub answered it with a promise date: a smoke test of the whole chain.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sync import logs
from sync.broker.embedded import EmbeddedBroker
from sync.broker.ports import free_port, port_in_use
from sync.catalog import load_catalog
from sync.catalog.store import CatalogStore
from sync.errors import CatalogError, FloorLinkError
from sync.pin import hash_pin

REPO = Path(__file__).resolve().parent.parent
SITE = "demo"
KIOSK = "kiosk-1"
DEMO_ADMIN_PIN = "2468"
"""The demo kiosk's staff PIN (a real kiosk has none until one is set: kiosk.admin_pin_hash)."""
DEMO_USERS = {"erin": ["engineering"], "mark": ["marketing"], "fay": ["finance", "release"]}
NEXT_APPROVAL = {"draft": ("erin", "engineering"), "engineering_approved": ("mark", "marketing"),
                 "marketing_approved": ("fay", "finance")}


def release_catalog(folder: Path, database: Path) -> dict[str, int]:
    """Release every product of ``folder`` (a new revision only where the files changed)."""
    catalog = load_catalog(folder)
    store = CatalogStore(database)
    try:
        known = store.users()
        for user, roles in DEMO_USERS.items():
            if user not in known:
                store.add_user(user, roles, by="demo")
        released: dict[str, int] = {}
        for code in sorted(catalog.products):
            try:
                revision = store.submit(catalog, code, "erin")
            except CatalogError as exc:
                if "unchanged" not in exc.what:
                    raise
                latest = store.revisions(code)[-1]
                if latest.state == "released":
                    released[code] = latest.number
                    continue
                revision = latest
            state = store.revision(code, revision.number).state
            while state != "released":
                if state == "finance_approved":
                    store.release(code, revision.number, "fay")
                else:
                    user, role = NEXT_APPROVAL[state]
                    store.approve(code, revision.number, user, role)
                state = store.revision(code, revision.number).state
            released[code] = revision.number
        return released
    finally:
        store.close()


def stations(folder: Path) -> list[str]:
    catalog = load_catalog(folder, deep=False)
    return [st for wc in catalog.work_centres.values() for st in wc.stations]


def child_env(data: Path, port: int, device: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "FLOORLINK_NODE_SITE": SITE, "FLOORLINK_NODE_DATA_DIR": str(data),
           "FLOORLINK_NODE_DEVICE_ID": device, "FLOORLINK_MQTT_PORT": str(port), "FLOORLINK_MQTT_HOST": "127.0.0.1",
           "FLOORLINK_CATALOG_DATABASE": str(data / "catalog.db"), "PYTHONUNBUFFERED": "1"}
    env.update(extra)
    return env


class Demo:
    def __init__(self, data: Path, catalog: Path, broker_port: int, api_port: int) -> None:
        self.data, self.catalog = data, catalog
        self.broker_port, self.api_port = broker_port, api_port
        self.broker: EmbeddedBroker | None = None
        self.children: list[tuple[str, subprocess.Popen[str]]] = []

    def start_core(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        released = release_catalog(self.catalog, self.data / "catalog.db")
        print("catalog released: " + ", ".join(f"{code}@{n}" for code, n in released.items()), flush=True)
        self.broker = EmbeddedBroker(port=self.broker_port, data_dir=self.data / "broker").start()
        print(f"embedded broker on 127.0.0.1:{self.broker.port}", flush=True)
        hub = self.spawn("hub", [sys.executable, "-m", "sync.hub", "--allow-unknown-devices",
                                 "--api-port", str(self.api_port)], "hub",
                         FLOORLINK_HUB_API_TOKENS="demo", FLOORLINK_NODE_TIME_ZONE="Asia/Shanghai")
        assert hub.stdout is not None
        line = hub.stdout.readline()
        while line and not line.startswith(("hub ready", "hub:")):  # log lines (stderr joins stdout) come first
            print(f"  {line.rstrip()}", flush=True)
            line = hub.stdout.readline()
        print(f"  {line.strip()}", flush=True)
        if "ready" not in line:
            raise FloorLinkError(f"the hub did not start: {line.strip() or 'no output'}",
                                 fix=f"see {self.data / 'hub.log'}")
        threading.Thread(target=self._drain, args=("hub", hub), daemon=True).start()

    def spawn(self, name: str, args: list[str], device: str, **env: str) -> subprocess.Popen[str]:
        assert self.broker is not None
        proc = subprocess.Popen(args, cwd=REPO, env=child_env(self.data, self.broker.port, device, **env), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self.children.append((name, proc))
        return proc

    def _drain(self, name: str, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        with (self.data / f"{name}.log").open("a", encoding="utf-8") as log:
            for line in proc.stdout:
                log.write(line)
                log.flush()

    def start_apps(self, station: str) -> None:
        kiosk = self.spawn("kiosk", [sys.executable, "-m", "kiosk", "--windowed", "--catalog",
                                     str(self.data / "catalog.db")], KIOSK,
                           FLOORLINK_KIOSK_ADMIN_PIN_HASH=hash_pin(DEMO_ADMIN_PIN))
        centre = next((wc.code for wc in load_catalog(self.catalog, deep=False).work_centres.values()
                       if station in wc.stations), "ASSY")
        terminal = self.spawn("terminal", [sys.executable, "-m", "terminal", "--windowed"], station,
                              FLOORLINK_NODE_TIME_ZONE="Asia/Shanghai", FLOORLINK_STATION_DEMO_ROSTER="true",
                              FLOORLINK_STATION_WORK_CENTRES=centre)
        dashboard = self.spawn("dashboard", [sys.executable, "-m", "terminal", "--dashboard", "--windowed"],
                               "dashboard-1", FLOORLINK_NODE_TIME_ZONE="Asia/Shanghai")
        for name, proc in (("kiosk", kiosk), ("terminal", terminal), ("dashboard", dashboard)):
            threading.Thread(target=self._drain, args=(name, proc), daemon=True).start()

    def stop(self) -> None:
        for _, proc in reversed(self.children):
            if proc.poll() is None:
                proc.terminate()
        for _, proc in reversed(self.children):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.broker is not None:
            self.broker.stop()


def check(demo: Demo) -> int:
    """Place one order of the first product with its defaults through the broker; 0 when the hub acks it."""
    from sync.orders import PlacedOrder
    from sync.protocol.edge import EdgeSync
    from sync.store import Store

    released = CatalogStore(demo.data / "catalog.db")
    try:
        revisions = released.released_products()
    finally:
        released.close()
    code, revision = next(iter(revisions.items()))
    product = revision.product()
    order = PlacedOrder(f"CHECK-{int(time.time())}", code, revision.number, product.defaults(), 1, product.base_price)
    assert demo.broker is not None
    store = Store(demo.data / "check-kiosk.db", device_id="check-kiosk")
    acks: dict[str, Any] = {}
    sync = EdgeSync(store, site=SITE, port=demo.broker.port)
    sync.on_ack(lambda ack: acks.__setitem__(ack.event_id, ack))
    sync.start()
    try:
        with store.transaction() as tx:
            event_id = tx.outbox("order.placed", order.to_body()).event_id
        sync.wake()
        deadline = time.monotonic() + 60
        while event_id not in acks and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sync.stop()
        store.close()
    ack = acks.get(event_id)
    if ack is None:
        print("check: the hub did not answer the order within 60 s", file=sys.stderr)
        return 1
    if ack.status != "ok":
        print(f"check: the hub rejected the order: {ack.reason}", file=sys.stderr)
        return 1
    print(f"check: order {order.order_id} for {code}@{revision.number} promised for "
          f"{ack.result.get('promise_date')} ({ack.result.get('reason')})", flush=True)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sync.demo", description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(REPO / "demo-data"), help="folder for every demo database and log")
    p.add_argument("--catalog", default=str(REPO / "assets" / "catalog"), help="catalog folder to release")
    p.add_argument("--port", type=int, default=1883, help="broker port (a free one when it is taken or 0)")
    p.add_argument("--api-port", type=int, default=8750, help="port of the hub's read API (a free one when taken or 0)")
    p.add_argument("--station", default=None, help="device id of the demo station terminal (default: an assembly station)")
    p.add_argument("--fresh", action="store_true", help="delete the --data folder first")
    p.add_argument("--check", action="store_true", help="no windows: place one order end to end and exit")
    logs.add_log_argument(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    data, catalog = Path(args.data).expanduser().resolve(), Path(args.catalog).expanduser().resolve()
    if args.fresh and data.exists():
        shutil.rmtree(data)
    port, api_port = (p if p and not port_in_use("127.0.0.1", p) else free_port("127.0.0.1")
                      for p in (args.port, args.api_port))
    logs.setup("demo", level=args.log_level, data_dir=data)
    demo = Demo(data, catalog, port, api_port)
    try:
        demo.start_core()
        if args.check:
            return check(demo)
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            print("no display found: the broker and the hub run, the apps need a screen. Run this on a desktop, or "
                  "try the apps offscreen with QT_QPA_PLATFORM=offscreen. Ctrl-C stops.", flush=True)
        else:
            station = args.station or next((s for s in stations(catalog) if "assy" in s), "st-assy-1")
            demo.start_apps(station)
            print(f"kiosk, station terminal ({station}) and dashboard started; logs in {data}. Ctrl-C stops.",
                  flush=True)
        print(f"hub API: curl -H 'Authorization: Bearer demo' http://127.0.0.1:{api_port}/api/v1/orders", flush=True)
        done = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: done.set())
        signal.signal(signal.SIGINT, lambda *_: done.set())
        done.wait()
        return 0
    except FloorLinkError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2
    finally:
        demo.stop()


if __name__ == "__main__":
    sys.exit(main())
