"""The loop the product exists for, end to end through a real Mosquitto: a customer configures a bike at the
kiosk, the hub plans it, every work order's traveler is printed and read by the station decoder, the stations
work every operation in routing order, the hub reports the order done, the dashboard shows it with its actual
times and the KPIs count it.

Every part is the real one: the kiosk's flow, order store and sync link (selling from the catalog the hub
distributed to it); the hub service with its API; one station per routed station with its own SQLite and
EdgeSync and the terminal's session rules; the dashboard's cache and model fed by the hub's retained snapshots.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import cv2
import pytest

from kiosk.catalog_source import read_source
from kiosk.events import MemorySink
from kiosk.flow import KioskModel
from kiosk.link import SyncLink
from kiosk.scripted import build_to_order
from sync.catalog import load_catalog
from sync.catalog.store import CatalogStore
from sync.dashboard_cache import DashboardCache
from sync.demo import release_catalog
from sync.errors import CatalogError
from sync.hub.service import HubConfig, HubService
from sync.settings import Settings, load
from sync.station.rules import OperationFacts
from sync.store import Store
from terminal.dashboard.app import start_sync as start_dashboard_sync
from terminal.dashboard.model import DashboardModel
from terminal.decode.pdf import render_pdf
from terminal.scripted import Floor, Station, Step, badge_card, read_traveler

pytestmark = pytest.mark.broker

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "assets" / "catalog"
SITE = ZoneInfo("Asia/Shanghai")
TOKEN = "loop-test"


class Api:
    """The hub's read API as an ERP would call it."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}/api/v1"

    def get(self, path: str) -> bytes:
        request = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return bytes(response.read())

    def json(self, path: str) -> Any:
        return json.loads(self.get(path))


@pytest.fixture
def shop(tmp_path: Path, mosquitto: Any) -> Iterator[tuple[HubService, Settings, dict[str, str]]]:
    """The released demo catalog, the hub (API on a free port) and the node settings every edge device shares."""
    release_catalog(DEMO, tmp_path / "catalog.db")
    stations = {st: wc.code for wc in load_catalog(DEMO, deep=False).work_centres.values() for st in wc.stations}
    hub = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=mosquitto.port,
                               devices=["kiosk-1", "dashboard-1", *stations], api_port=0, api_tokens=[TOKEN],
                               zone=SITE, tick_seconds=0.2)).start()
    assert hub.wait_ready(20)
    base = load(environ={"FLOORLINK_NODE_SITE": "demo", "FLOORLINK_NODE_DATA_DIR": str(tmp_path / "nodes"),
                         "FLOORLINK_MQTT_HOST": "127.0.0.1", "FLOORLINK_MQTT_PORT": str(mosquitto.port),
                         "FLOORLINK_NODE_TIME_ZONE": "Asia/Shanghai", "FLOORLINK_NODE_DEVICE_ID": "kiosk-1"})
    try:
        yield hub, base, stations
    finally:
        hub.stop()


def released_in(path: Path) -> set[str]:
    if not path.exists():
        return set()
    try:
        store = CatalogStore(path)
    except CatalogError:  # the kiosk's sync is writing a revision into it right now
        return set()
    try:
        return set(store.released_products())
    finally:
        store.close()


def test_a_kiosk_order_is_built_at_every_station_and_finishes_on_the_dashboard_and_in_the_kpis(
        shop: tuple[HubService, Settings, dict[str, str]], tmp_path: Path, qtbot: Any, artifacts: Path) -> None:
    hub, base, station_centres = shop
    assert hub.api is not None
    api = Api(hub.api.port)
    placed_after = datetime.now(UTC)

    # --- the floor and the dashboard are up before the customer orders ----------------------------------
    floor = Floor([Station.open(base, st, [wc]) for st, wc in station_centres.items()], timeout=30)
    dash_settings = base.with_overrides(node__device_id="dashboard-1")
    dash_store = Store(Path(dash_settings.get("node.data_dir")) / "dashboard-1.db", device_id="dashboard-1")
    cache = DashboardCache(dash_store)
    dash_sync = start_dashboard_sync(dash_settings, dash_store, cache)
    dashboard = DashboardModel(cache, link_up=lambda: dash_sync.status().connected, zone=SITE)
    link: SyncLink | None = None
    try:
        floor.wait_connected()

        # --- the kiosk sells from the revisions the hub distributed to it --------------------------------
        model = KioskModel(None, MemorySink(), language="en")
        link = SyncLink.open(model, base, Path(base.get("node.data_dir")))
        model.sink = link.sink()
        link.start()
        kiosk_catalog = Path(base.get("node.data_dir")) / "catalog.db"
        qtbot.waitUntil(lambda: released_in(kiosk_catalog) == {"CARGO", "CITY", "MTB"}, timeout=30_000)
        catalog, revisions, problem = read_source(kiosk_catalog)
        assert catalog is not None, problem
        model.set_catalog(catalog, revisions)

        order = build_to_order(model, "CITY", {"colour": "navy"})  # a colour the shop window bike does not have
        qtbot.waitUntil(lambda: model.confirmed is not None or model.refused is not None, timeout=30_000)
        assert model.refused is None, model.refused

        # --- the hub planned it: work orders, each with a traveler ---------------------------------------
        planned = api.json(f"/orders/{order.id}")
        assert planned["status"] == "planned" and planned["promise"][:10] == model.confirmed
        work_orders = sorted(planned["work_orders"], key=lambda wo: min(op["planned_start"] for op in wo["operations"]))
        assert len(work_orders) >= 2, "a build-to-order bike is made from sub-assemblies"
        routed_centres = {op["work_centre"] for wo in work_orders for op in wo["operations"]}
        suppliers = {wc.code for wc in load_catalog(DEMO, deep=False).work_centres.values() if wc.outsourced}
        own_centres = routed_centres - suppliers

        # --- a worker badges in; each traveler is printed, read by the station decoder and worked --------
        floor.log_in(badge_card("E-0042"))
        steps: list[Step] = []
        for number, wo in enumerate(work_orders):
            pdf = api.get(f"/work-orders/{wo['id']}/traveler.pdf")
            if number == 0:  # one page to look at
                cv2.imwrite(str(artifacts / "loop-traveler.png"), render_pdf(pdf)[0])
            done = floor.work(read_traveler(pdf, f"traveler of {wo['id']}"))
            assert [(s.work_order, s.operation) for s in done] == [(wo["id"], op["op"]) for op in wo["operations"]]
            steps += done
        finished_at = max(s.completed_at for s in steps)

        # every routed work centre was worked by one of its own stations (an outsourced step by the station
        # its parts come back to: the next step's)
        assert {s.work_centre for s in steps} == routed_centres
        for s in steps:
            assert station_centres[s.station] == s.work_centre or s.work_centre == "COAT", s
            assert s.worker == "E-0042"
        qc_steps = [s for s in steps if s.qc_passed is not None]
        assert qc_steps and all(s.qc_passed for s in qc_steps)

        # --- the hub: the order is done, each operation with the times the stations recorded -------------
        result = api.json(f"/orders/{order.id}")
        assert result["status"] == "done" and result["percent"] == 100.0 and not result["late"]
        # finishing early moves the plan, not the date the customer holds from the kiosk
        assert result["promise"][:10] == model.confirmed
        hub_ops = {(wo["id"], op["op"]): op for wo in result["work_orders"] for op in wo["operations"]}
        assert set(hub_ops) == {(s.work_order, s.operation) for s in steps}
        assert all(op["status"] == "done" for op in hub_ops.values())
        assert datetime.fromisoformat(result["eta"]) == finished_at  # a done order's ETA is when it finished

        # --- the dashboard, from the hub's retained snapshots through the broker --------------------------
        def dashboard_shows_done() -> bool:  # the order row and each work centre's board are separate snapshots
            dashboard.refresh()  # (each centre's arrives on its own: wait for all of them, not only for "all done")
            drilled = {(wo.id, op.op): op for wo in dashboard.drill_down(order.id) for op in wo.operations}
            return (any(o.id == order.id and o.status == "done" for o in dashboard.orders)
                    and set(drilled) == set(hub_ops) and all(op.status == "done" for op in drilled.values()))

        qtbot.waitUntil(dashboard_shows_done, timeout=30_000)
        row = next(o for o in dashboard.orders if o.id == order.id)
        assert row.percent == 100.0 and not row.late and row.eta == finished_at
        assert row.promise is not None and row.eta <= row.promise
        assert row.promise.date().isoformat() == model.confirmed
        drilled = {(wo.id, op.op): op for wo in dashboard.drill_down(order.id) for op in wo.operations}
        assert set(drilled) == set(hub_ops)
        for s in steps:
            shown = drilled[(s.work_order, s.operation)]
            assert (shown.status, shown.station, shown.workers) == ("done", s.station, (s.worker,))  # who built it
            assert (shown.started_at, shown.completed_at) == (s.started_at, s.completed_at)

        # --- the KPIs count it ---------------------------------------------------------------------------
        since = (placed_after - timedelta(minutes=1)).isoformat()
        until = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
        kpis = api.json(f"/kpis?since={since.replace('+', '%2B')}&until={until.replace('+', '%2B')}")
        assert kpis["on_time_delivery"] == 1.0
        assert kpis["cycle_time_hours"]["orders"] == 1
        assert kpis["first_pass_yield"] == 1.0
        # the shop's own centres; the powder coater's days are the supplier's lead time (docs/kpis.md)
        assert {r["work_centre"] for r in kpis["standard_vs_actual"]} == own_centres != routed_centres
        (sold,) = kpis["profit_contribution"]["products"]
        assert sold["key"] == "CITY" and Decimal(sold["revenue"]) == order.price.total and sold["revenue"].endswith(".00")
    finally:
        if link is not None:
            link.stop()
        floor.close()
        dash_sync.stop()
        dash_store.close()


@pytest.mark.parametrize("facts", [
    OperationFacts("K1-0001-01", 20, waits_for_operation=10),
    OperationFacts("K1-0001-01", 10, waits_for_parts=("K1-0001-02", "K1-0001-11")),
    OperationFacts("K1-0001-09", 10, waits_for_material=("MOTOR-MID-85 (due 2027-01-07)",)),
], ids=["predecessor", "parts", "delivery"])
def test_the_scripted_floor_waits_on_every_not_yet_refusal_of_the_station_rules(facts: OperationFacts) -> None:
    """The live demo's scripted stations retry a label the station refuses only for now (a person at st-assy-1
    has not finished the part or the step); any other refusal stops them. A new 'not yet' rule that the script
    does not know stops the whole floor in the live demo (it did for the part work orders)."""
    from sync.errors import StationError
    from sync.station.rules import check
    from sync.station.timing import derive
    from terminal.scripted import LATER, NOT_YET

    with pytest.raises(StationError) as refused:
        check("op.started", {"work_order": facts.work_order, "operation": facts.operation, "worker": "E-0042"},
              derive([], datetime(2026, 12, 3, tzinfo=UTC)), facts)
    assert any(reason in str(refused.value) for reason in NOT_YET + LATER), str(refused.value)
