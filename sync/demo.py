"""``python -m sync.demo``: every FloorLink app on this machine, with an embedded broker and the demo catalog.

What it starts, each as its own process with its own SQLite database under ``--data``:

- the embedded MQTT broker (no server to install),
- the hub (``python -m sync.hub``) with the read API on http://127.0.0.1:8750/api/v1 (token ``demo``),
- the kiosk (``python -m kiosk``), a station terminal (``python -m terminal``) and, where the
  terminal has it, the supervisor dashboard (``python -m terminal --dashboard``).

Before that it releases every product of the demo catalog (``assets/catalog``) through the whole
approval chain with demo users, so kiosks sell and the hub plans from released revisions.
``--check`` runs the same set-up without windows and the loop once: a customer configures a bike that
must be built (``python -m kiosk.scripted``: the kiosk's flow, store and sync), the hub plans it, each
traveler is fetched from the API into ``--data``/travelers and worked at every station it names
(``python -m terminal.scripted``: one station session each, badge scan, the station decoder on the printed
page, start, QC, complete); it prints the order's number, promise, every operation's station and times and
the finish, and exits 0 when the hub says the order is done.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sync import logs
from sync.broker.embedded import EmbeddedBroker
from sync.broker.ports import free_port, port_in_use
from sync.catalog import load_catalog
from sync.catalog.store import CatalogStore
from sync.errors import CatalogError, FloorLinkError
from sync.hub.core import HubCore, HubOptions
from sync.hub.demand_traffic import place_history, stock_for_days, write_traffic
from sync.pin import hash_pin
from sync.store import Store
from sync.times import from_iso

REPO = Path(__file__).resolve().parent.parent
SITE = "demo"
SITE_ZONE = "Asia/Shanghai"
API_TOKEN = "demo"
ERP_TOKEN = "demo-erp"  # the integrate scope: receipts, counts, confirmations (docs/hub.md "HTTP API")
KIOSK = "kiosk-1"
DEMO_ADMIN_PIN = "2468"
"""The demo kiosk's staff PIN (a real kiosk has none until one is set: kiosk.admin_pin_hash)."""
#: what the check's customer orders: a colour the shop-window bike does not have, so it must be built
CHECK_PRODUCT, CHECK_CHOICES = "CITY", ("colour=navy",)
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


#: the quarter of kiosk history ``--demand-history`` seeds: sessions, seed, and the device they came from
HISTORY_SESSIONS, HISTORY_DAYS, HISTORY_SEED, HISTORY_DEVICE = 12_000, 91, 11, "kiosk-history"
#: the option the history makes grow: the 750 Wh battery of the mountain bike (its own BAT-750, 42 days to buy)
HISTORY_PLANTED = ("MTB", "battery", "b750")
#: past orders placed, built and shipped over the same quarter (three or four a week), from their own device
HISTORY_ORDERS, HISTORY_ORDER_DEVICE = 40, "kiosk-history-orders"


def seed_demand_history(folder: Path, data: Path, now: datetime) -> str | None:
    """Before the hub starts: a quarter of kiosk sessions that reached the summary, with a planted rise in
    one option (sync.hub.demand_traffic, as bench/insights.py), so the hub's first demand check raises a
    purchasing warning. Sessions only, from their own device: the planner never replays them, so no
    station gets work and ``--check`` is untouched. Once per data folder; returns the planted option."""
    store = Store(data / "hub.db", device_id="hub", kind="hub")
    catalog = CatalogStore(data / "catalog.db")
    try:
        if store.query("SELECT 1 FROM events WHERE device_id = ? LIMIT 1", [HISTORY_DEVICE]):
            return None
        zone = ZoneInfo(SITE_ZONE)
        core = HubCore(store, catalog, options=HubOptions(zone=zone))  # its tables, the catalog's openings
        core.learn_released()
        products = list(load_catalog(folder).products.values())
        written = write_traffic(store, products, HISTORY_SESSIONS, HISTORY_SEED, end=now, days=HISTORY_DAYS,
                                order_share=0.0, device=HISTORY_DEVICE, swell=0.0, planted=HISTORY_PLANTED, growth=6.0)
        # the shop had the parts: a count at the start of the quarter, so the history buys nothing
        start = now - timedelta(days=HISTORY_DAYS + 1)
        with store.transaction("history opening count") as tx:
            core.inventory.counts(tx, [(code, 100_000) for code in sorted(
                {c for p in products for c, it in p.items.items() if it.kind == "purchased"})], "demo",
                "count at the start of the history", start)
        revisions = {p.code: max(r.number for r in catalog.revisions(p.code) if r.state == "released")
                     for p in products}
        placed = place_history(core, products, HISTORY_ORDERS, HISTORY_SEED + 1, end=now, days=HISTORY_DAYS,
                      planted=HISTORY_PLANTED, growth=6.0, device=HISTORY_ORDER_DEVICE, revisions=revisions, pool=written["pool"])
        # the shop dealt with the history's own alerts (a promise moved by a slow step) back then: a
        # supervisor opening the demo sees today's alerts, not 16 about bikes shipped in September
        for alert in core.alerts.open_alerts():
            core.alerts.resolve(alert["id"], "demo history: handled at the time",
                                from_iso(alert["raised_at"]) + timedelta(hours=1))
        stock_for_days(core, products, now, HISTORY_DAYS, zone)
        return f"{placed} past orders built and shipped, {written['planted']} rising"
    finally:
        store.close()
        catalog.close()


def stations(folder: Path) -> list[str]:
    catalog = load_catalog(folder, deep=False)
    return [st for wc in catalog.work_centres.values() for st in wc.stations]


def child_env(data: Path, port: int, device: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "FLOORLINK_NODE_SITE": SITE, "FLOORLINK_NODE_DATA_DIR": str(data),
           "FLOORLINK_NODE_DEVICE_ID": device, "FLOORLINK_MQTT_PORT": str(port), "FLOORLINK_MQTT_HOST": "127.0.0.1",
           "FLOORLINK_CATALOG_DATABASE": str(data / "catalog.db"), "PYTHONUNBUFFERED": "1"}
    env.update(extra)
    return env


#: the demo's children as the console names them (their logs are <key>.log)
APP_NAMES = {"terminal": "station terminal", "stations": "scripted stations"}


def ended(name: str, code: int, said: list[str], log: Path) -> str:
    """The console's sentence for a demo app that stopped on its own, from the last lines it printed."""
    text = f"the {APP_NAMES.get(name, name)} stopped (exit code {code}); see {log}"
    if any("could not connect to display" in line or "no Qt platform plugin" in line for line in said):
        return f"{text}: it found no screen at DISPLAY={os.environ.get('DISPLAY', '')}. Run the demo on a desktop."
    return f"{text}: {said[-1]}" if said else text


class Demo:
    def __init__(self, data: Path, catalog: Path, broker_port: int, api_port: int, *,
                 demand_history: bool = False) -> None:
        self.data, self.catalog = data, catalog
        self.demand_history = demand_history
        self.broker_port, self.api_port = broker_port, api_port
        self.broker: EmbeddedBroker | None = None
        self.children: list[tuple[str, subprocess.Popen[str]]] = []
        self.stopping = threading.Event()  # set by stop(): children ending then are no news

    def start_core(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        released = release_catalog(self.catalog, self.data / "catalog.db")
        print("catalog released: " + ", ".join(f"{code}@{n}" for code, n in released.items()), flush=True)
        # with the history, the demand check every minute (the shortest): warnings follow the demo's own orders
        every = "60" if self.demand_history else os.environ.get("FLOORLINK_HUB_DEMAND_EVERY_S", "3600")
        if self.demand_history:
            planted = seed_demand_history(self.catalog, self.data, datetime.now(ZoneInfo(SITE_ZONE)))
            if planted:
                print(f"demand history: {HISTORY_SESSIONS} kiosk sessions over {HISTORY_DAYS} days, {planted}",
                      flush=True)
        self.broker = EmbeddedBroker(port=self.broker_port, data_dir=self.data / "broker").start()
        print(f"embedded broker on 127.0.0.1:{self.broker.port}", flush=True)
        hub = self.spawn("hub", [sys.executable, "-m", "sync.hub", "--allow-unknown-devices",
                                 "--api-port", str(self.api_port)], "hub",
                         FLOORLINK_HUB_API_TOKENS=API_TOKEN, FLOORLINK_HUB_API_INTEGRATE_TOKENS=ERP_TOKEN,
                         FLOORLINK_NODE_TIME_ZONE=SITE_ZONE, FLOORLINK_HUB_DEMAND_EVERY_S=every)
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

    def spawn(self, name: str, args: list[str], device: str, *, stdin: bool = False, **env: str) -> subprocess.Popen[str]:
        """A child process on the demo's broker; with ``stdin`` it reads what we write and its stderr goes to
        ``<name>.log`` (its stdout is then for :meth:`lines`), else both are drained into the log."""
        assert self.broker is not None
        env.setdefault("FLOORLINK_NODE_TIME_ZONE", SITE_ZONE)
        errors: IO[str] | int = subprocess.STDOUT
        if stdin:
            errors = (self.data / f"{name}.log").open("a", encoding="utf-8")
        proc = subprocess.Popen(args, cwd=REPO, env=child_env(self.data, self.broker.port, device, **env), text=True,
                                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=errors, start_new_session=True)
        self.children.append((name, proc))
        return proc

    @staticmethod
    def lines(proc: subprocess.Popen[str]) -> Iterator[str]:
        """What a child prints, line by line, until it ends."""
        assert proc.stdout is not None
        for line in proc.stdout:
            yield line.strip()

    def failed(self, what: str, name: str) -> int:
        """Say what failed and show the end of the child's log; the check's exit code."""
        log = self.data / f"{name}.log"
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:] if log.exists() else []
        print(f"check: {what} (see {log})", *tail, sep="\n", file=sys.stderr)
        return 1

    def _drain(self, name: str, proc: subprocess.Popen[str]) -> None:
        """Copy a child's output into ``<name>.log``; when it ends on its own, say so on the console (the demo
        said "kiosk ... started" while the apps could not open the screen and were gone)."""
        assert proc.stdout is not None
        said: list[str] = []
        path = self.data / f"{name}.log"
        with path.open("a", encoding="utf-8") as log:
            for line in proc.stdout:
                log.write(line)
                log.flush()
                if line.strip():
                    said = [*said[-19:], line.strip()]
        code = proc.wait()
        if not self.stopping.is_set():
            print(ended(name, code, said, path), flush=True)

    def start_apps(self, station: str) -> None:
        kiosk = self.spawn("kiosk", [sys.executable, "-m", "kiosk", "--windowed", "--catalog",
                                     str(self.data / "catalog.db")], KIOSK,
                           FLOORLINK_KIOSK_ADMIN_PIN_HASH=hash_pin(DEMO_ADMIN_PIN))
        centre = next((wc.code for wc in load_catalog(self.catalog, deep=False).work_centres.values()
                       if station in wc.stations), "ASSY")
        self.camera.mkdir(parents=True, exist_ok=True)
        terminal = self.spawn("terminal", [sys.executable, "-m", "terminal", "--windowed", "--source",
                                           f"drop:{self.camera}"], station,
                              FLOORLINK_STATION_DEMO_ROSTER="true",
                              FLOORLINK_STATION_WORK_CENTRES=centre)
        dashboard = self.spawn("dashboard", [sys.executable, "-m", "terminal", "--dashboard", "--windowed"],
                               "dashboard-1", FLOORLINK_STATION_DEMO_ROSTER="true")  # who acknowledges alerts
        for name, proc in (("kiosk", kiosk), ("terminal", terminal), ("dashboard", dashboard)):
            threading.Thread(target=self._drain, args=(name, proc), daemon=True).start()

    @property
    def camera(self) -> Path:
        """The demo station's camera: pictures dropped here are scanned once (``--source drop:``)."""
        return self.data / "camera"

    def start_floor(self, hand_station: str) -> subprocess.Popen[str]:
        """The rest of the shop, played by ``terminal.scripted``: every station but the person's; operations of
        the person's work centre are left to them and what follows waits (up to four hours) until they are done."""
        centres = station_centres(self.catalog)
        others = ",".join(f"{st}={wc}" for st, wc in centres.items() if st != hand_station)
        return self.spawn("stations", [sys.executable, "-m", "terminal.scripted", "--stations", others, "--by-hand",
                                       centres.get(hand_station, "ASSY"), "--label-pictures", "--timeout", "14400"],
                          "floor", stdin=True)

    def stop(self) -> None:
        self.stopping.set()
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


def station_centres(folder: Path) -> dict[str, str]:
    """Every station of the catalog and its work centre."""
    catalog = load_catalog(folder, deep=False)
    return {st: wc.code for wc in catalog.work_centres.values() for st in wc.stations}


class Api:
    """The hub's read API with the demo token, as an ERP or the person printing travelers uses it."""

    def __init__(self, port: int, token: str = API_TOKEN) -> None:
        self.base, self.token = f"http://127.0.0.1:{port}/api/v1", token

    def get(self, path: str) -> bytes:
        request = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as exc:
            raise FloorLinkError(f"the hub answered {exc.code} to GET {path}: {exc.read()[:300]!r}",
                                 where=self.base, fix="see hub.log in the demo's data folder") from None
        except OSError as exc:
            raise FloorLinkError(f"the hub's API did not answer GET {path}: {exc}", where=self.base) from None

    def json(self, path: str) -> Any:
        return json.loads(self.get(path))


def check(demo: Demo, timeout: float = 120.0) -> int:
    """The loop once, headless: a customer orders a bike that must be built (kiosk flow, ``kiosk.scripted``),
    the hub plans it, each traveler is printed from the API and worked at every station it names
    (``terminal.scripted``: one station session each, badge, decoder, start, QC, complete), and the hub
    reports the order done. Prints the order's number, promise, each operation's station and times and its
    finish; 0 when the hub says done."""
    assert demo.broker is not None
    api, zone = Api(demo.api_port), ZoneInfo(SITE_ZONE)

    def local(at: str | None) -> str:
        return from_iso(at).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if at else "-"

    centres = station_centres(demo.catalog)
    floor = demo.spawn("stations", [sys.executable, "-m", "terminal.scripted", "--stations",
                                    ",".join(f"{st}={wc}" for st, wc in centres.items()),
                                    "--timeout", "60"], "floor", stdin=True)
    lines = demo.lines(floor)
    if next(lines, None) != "ready":
        return demo.failed("the stations did not come up", "stations")
    print(f"check: {len(centres)} stations up, worker E-0042 badged in at each", flush=True)
    kiosk = demo.spawn("kiosk", [sys.executable, "-m", "kiosk.scripted", "--catalog", str(demo.data / "catalog.db"),
                                 "--product", CHECK_PRODUCT, *(f"--choose={c}" for c in CHECK_CHOICES)], KIOSK)
    placed_line = next(demo.lines(kiosk), None)
    if placed_line is None or kiosk.wait(timeout) != 0:
        return demo.failed("the kiosk did not place the order", "kiosk")
    placed = json.loads(placed_line)
    order = api.json(f"/orders/{placed['order_id']}")
    number = placed["number"]
    choices = ", ".join(f"{a}={o}" for a, o in sorted(placed["configuration"].items()) if a in dict(
        c.split("=", 1) for c in CHECK_CHOICES))
    print(f"check: order {number} ({placed['product']}, {choices}) placed at the kiosk; "
          f"promised for {placed['promise_date']} ({local(order['promise'])} site time)", flush=True)
    work_orders = sorted(order["work_orders"], key=lambda wo: min(op["planned_start"] for op in wo["operations"]))
    folder = demo.data / "travelers" / number
    folder.mkdir(parents=True, exist_ok=True)
    print(f"check: {len(work_orders)} work orders; travelers printed to {folder}", flush=True)
    assert floor.stdin is not None
    for index, wo in enumerate(work_orders, 1):
        pdf = folder / f"{index:02d}-{wo['id']}.pdf"
        pdf.write_bytes(api.get(f"/work-orders/{wo['id']}/traveler.pdf"))
        floor.stdin.write(f"{pdf}\n")
        floor.stdin.flush()
        waiting_since: float | None = None
        for line in lines:
            if line == "traveler done":
                break
            if line.startswith("traveler waits"):  # a part another station finishes is not in yet: it retries
                waiting_since = waiting_since or time.monotonic()
                if time.monotonic() - waiting_since > timeout:
                    return demo.failed(f"{wo['id']} still waits after {timeout:.0f} s: {line}", "stations")
                continue
            waiting_since = None
            step = json.loads(line)
            print(f"check:   {step['work_order']} op {step['operation']:>3} {step['name'][:34]:<34} "
                  f"{step['station']:<10} {local(step['started_at'])} -> {local(step['completed_at'])[11:]}",
                  flush=True)
        else:
            return demo.failed(f"the stations stopped on {wo['id']}", "stations")
    floor.stdin.close()
    deadline = time.monotonic() + timeout
    while (order := api.json(f"/orders/{placed['order_id']}"))["status"] != "done":
        if time.monotonic() > deadline:
            print(f"check: the hub still says {order['status']} ({order['percent']} %)", file=sys.stderr)
            return 1
        time.sleep(0.5)
    finished = max(op["completed_at"] for wo in order["work_orders"] for op in wo["operations"])
    print(f"check: order {number} done at {local(finished)} site time, promised for {placed['promise_date']}",
          flush=True)
    return 0


class Walkthrough:
    """The live demo's guide: each order placed at the kiosk gets its travelers printed from the API into
    ``travelers/<number>/`` and handed to the rest of the shop; the console says which labels are the
    person's (their pictures go into the station's camera folder) and when the hub says the order is done."""

    def __init__(self, demo: Demo, floor: subprocess.Popen[str], hand_station: str) -> None:
        self.demo, self.floor, self.hand_station = demo, floor, hand_station
        self.hand_centre = station_centres(demo.catalog).get(hand_station, "ASSY")
        self.api = Api(demo.api_port)
        self.zone = ZoneInfo(SITE_ZONE)
        self.seen: set[str] = set()
        self.open: dict[str, str] = {}  # order id -> number, until the hub says done
        self.stop = threading.Event()

    def start(self) -> None:
        for target, name in ((self._follow, "demo-orders"), (self._relay, "demo-floor")):
            threading.Thread(target=target, name=name, daemon=True).start()

    def _follow(self) -> None:
        first = True
        # only orders placed while the demo runs are asked for: the hub derives each listed order's progress,
        # and a demo with history holds hundreds (a margin for orders an earlier run placed just before)
        since = quote((datetime.now(UTC) - timedelta(minutes=5)).isoformat(timespec="seconds"))
        while not self.stop.wait(0 if first else 2):
            try:
                orders = self.api.json(f"/orders?since={since}")
                if first:  # orders of an earlier run are not handed out again
                    self.seen = {o["id"] for o in orders}
                    first = False
                    continue
                for order in orders:
                    if order["id"] not in self.seen:
                        self.seen.add(order["id"])
                        self.hand_out(self.api.json(f"/orders/{order['id']}"))
                for order_id, number in list(self.open.items()):
                    self._done(order_id, number)
            except FloorLinkError as exc:  # the hub restarting: try again at the next look
                print(f"demo: {exc.what}", flush=True)

    def hand_out(self, order: dict[str, Any]) -> None:
        number = str(order.get("number") or order["id"])
        work_orders = sorted(order["work_orders"], key=lambda wo: min(op["planned_start"] for op in wo["operations"]))
        if not work_orders:
            print(f"\norder {number}: ships from stock, nothing to build. Order another colour or size to see "
                  f"the shop build one.", flush=True)
            return
        folder = self.demo.data / "travelers" / number
        folder.mkdir(parents=True, exist_ok=True)
        pdfs = []
        for index, wo in enumerate(work_orders, 1):
            pdf = folder / f"{index:02d}-{wo['id']}.pdf"
            pdf.write_bytes(self.api.get(f"/work-orders/{wo['id']}/traveler.pdf"))
            pdfs.append(pdf)
        mine = [(pdf, wo, op) for pdf, wo in zip(pdfs, work_orders, strict=True) for op in wo["operations"]
                if op["work_centre"] == self.hand_centre]
        promise = from_iso(order["promise"]).astimezone(self.zone).date() if order["promise"] else "-"
        print(f"\norder {number}: {len(work_orders)} work orders, promised for {promise}; travelers (PDF) in "
              f"{folder}", f"  also at {self.api.base}/work-orders/<number>/traveler.pdf (token {API_TOKEN}; ?lang=zh_CN prints it "
              f"in Chinese)",
              f"  the other stations work their steps; yours at {self.hand_station} ({self.hand_centre}):",
              *(f"    {wo['id']} op {op['op']} {op['code']}: copy {pdf.with_suffix('')}/{wo['id']}-{op['op']:04d}.png "
                f"into {self.demo.camera}/" for pdf, wo, op in mine),
              "  log in first: PIN 0707 (Anna Berg) on the station's keypad; then start and complete each step",
              sep="\n", flush=True)
        self.open[order["id"]] = number
        assert self.floor.stdin is not None
        for pdf in pdfs:
            self.floor.stdin.write(f"{pdf}\n")
        self.floor.stdin.flush()

    def _done(self, order_id: str, number: str) -> None:
        order = self.api.json(f"/orders/{order_id}")
        if order["status"] == "done":
            del self.open[order_id]
            finished = max(op["completed_at"] for wo in order["work_orders"] for op in wo["operations"])
            at = from_iso(finished).astimezone(self.zone)
            print(f"order {number}: done at {at:%Y-%m-%d %H:%M:%S} site time (see the dashboard)", flush=True)

    def _relay(self) -> None:
        """What the other stations did, one line each (their log has the rest)."""
        for line in self.demo.lines(self.floor):
            if line.startswith("{"):
                step = json.loads(line)
                print(f"  {step['station']}: {step['work_order']} op {step['operation']} {step['name']} done",
                      flush=True)
            elif line == "ready":
                print("the other stations are up (worked by a script, worker E-0042)", flush=True)
        if not self.stop.is_set():
            print(f"demo: the scripted stations stopped; see {self.demo.data / 'stations.log'}", flush=True)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sync.demo", description=__doc__.splitlines()[0])
    p.add_argument("--data", default=None,
                   help="folder for every demo database and log (default demo-data; demo-data/check, emptied "
                        "first, for --check: a check must not depend on what earlier runs used up)")
    p.add_argument("--catalog", default=str(REPO / "assets" / "catalog"), help="catalog folder to release")
    p.add_argument("--port", type=int, default=1883, help="broker port (a free one when it is taken or 0)")
    p.add_argument("--api-port", type=int, default=8750, help="port of the hub's read API (a free one when taken or 0)")
    p.add_argument("--station", default=None, help="device id of the demo station terminal (default: an assembly station)")
    p.add_argument("--fresh", action="store_true", help="delete the --data folder first")
    p.add_argument("--demand-history", action="store_true",
                   help="seed a quarter of kiosk sessions with one option rising, so a purchasing warning shows")
    p.add_argument("--check", action="store_true",
                   help="no windows: a kiosk order built at every station it needs until the hub says done, then exit")
    logs.add_log_argument(p)
    return p


def data_folder(given: str | None, *, check: bool, fresh: bool) -> tuple[Path, bool]:
    """The demo's folder and whether to empty it first: ``--data`` as given, else ``demo-data``; a check
    without ``--data`` runs in ``demo-data/check``, emptied first (the tenth check in one folder found the
    navy powder used up and waited for it)."""
    if given is not None:
        return Path(given).expanduser().resolve(), fresh
    if check:
        return (REPO / "demo-data" / "check").resolve(), True
    return (REPO / "demo-data").resolve(), fresh


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    data, fresh = data_folder(args.data, check=args.check, fresh=args.fresh)
    catalog = Path(args.catalog).expanduser().resolve()
    if fresh and data.exists():
        shutil.rmtree(data)
    port, api_port = (p if p and not port_in_use("127.0.0.1", p) else free_port("127.0.0.1")
                      for p in (args.port, args.api_port))
    logs.setup("demo", level=args.log_level, data_dir=data)
    demo = Demo(data, catalog, port, api_port, demand_history=args.demand_history)
    walkthrough: Walkthrough | None = None
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
            walkthrough = Walkthrough(demo, demo.start_floor(station), station)
            walkthrough.start()
            print(f"kiosk, station terminal ({station}, camera folder {demo.camera}) and dashboard started; "
                  f"logs in {data}. Order a bike on the kiosk in another colour or size than the shop window's. "
                  f"Ctrl-C stops.", flush=True)
        print(f"hub API: curl -H 'Authorization: Bearer {API_TOKEN}' http://127.0.0.1:{api_port}/api/v1/orders",
              flush=True)
        done = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: done.set())
        signal.signal(signal.SIGINT, lambda *_: done.set())
        done.wait()
        return 0
    except FloorLinkError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2
    finally:
        if walkthrough is not None:
            walkthrough.stop.set()
        demo.stop()


if __name__ == "__main__":
    sys.exit(main())
