"""A station that connects after work was released gets it: at every connect it asks the hub for its
stream from the message after the last one applied (``EdgeSync(catch_up=...)``), through a real
Mosquitto and the real hub service; a long stream arrives in rounds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sync import labels
from sync.hub.service import HubConfig, HubService
from sync.labels import BadgeLabel
from sync.settings import load
from sync.station.stored import WORK_ORDER_MESSAGE
from terminal.app import build_session, open_ledger, start_sync
from terminal.station.demo import demo_work_orders, seed_demo_roster
from terminal.station.session import routed_here
from tests.test_hub_core import released_catalog
from tests.test_hub_service import kiosk_order

pytestmark = pytest.mark.broker


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def hub(tmp_path: Path, mosquitto: Any) -> Iterator[HubService]:
    released_catalog(tmp_path / "catalog.db").close()
    service = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=mosquitto.port,
                                   devices=["kiosk-1", "st-wheel-1", "st-late-2"], tick_seconds=0.2)).start()
    assert service.wait_ready(20)
    yield service
    service.stop()


def station_settings(tmp_path: Path, port: int, device: str = "st-wheel-1") -> Any:
    return load(environ={"FLOORLINK_NODE_DEVICE_ID": device, "FLOORLINK_NODE_SITE": "demo",
                         "FLOORLINK_NODE_DATA_DIR": str(tmp_path / device), "FLOORLINK_MQTT_PORT": str(port),
                         "FLOORLINK_STATION_WORK_CENTRES": "WHEEL"})


def shot_work_list(settings: Any, session: Any, sync: Any, artifacts: Path, qtbot: Any) -> None:
    """The real station window over that store: the work list a worker sees (terminal_21_late_station.png)."""
    from terminal.app import build_window, sync_link
    from terminal.qt import QApplication

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    win, wedge = build_window(settings, session, sync_link(sync), app)
    qtbot.addWidget(win)
    try:
        win.resize(1280, 800)
        win.show()
        win.refresh()
        assert win.wait_idle()
        rows = [r.row for r in win.scan_page.work_list.rows if r.isVisible() and r.row]
        assert {r.work_order for r in rows} == {line.wo.id for line in routed_here(session)}
        assert win.grab().save(str(artifacts / "terminal_21_late_station.png"))
    finally:
        app.removeEventFilter(wedge)
        win.close()


def test_work_released_before_a_station_ever_connected_is_listed_once_it_starts(
        hub: HubService, tmp_path: Path, artifacts: Path, qtbot: Any) -> None:
    port = hub.config.port
    ack = kiosk_order(tmp_path, port, "K1-0001")
    assert ack.status == "ok", ack.reason
    released = [r["id"] for r in hub.store.query("SELECT id, stations FROM work_orders")
                if "st-wheel-1" in r["stations"]]
    assert released, "the order routed nothing to the wheel station"
    wait_for(lambda: hub.store.query("SELECT last_rowid FROM down_published")[0]["last_rowid"] > 0)

    # the station starts for the first time, after the release: no broker session queued anything for it
    settings = station_settings(tmp_path, port)
    ledger = open_ledger(settings)
    seed_demo_roster(ledger)
    session = build_session(settings, ledger)
    sync = start_sync(settings, ledger)
    try:
        wait_for(lambda: {wo.id for wo in ledger.work_orders()} >= set(released))
        assert session.scan(labels.format(BadgeLabel("E-0042"))).text.startswith("Hello")
        listed = {line.wo.id for line in routed_here(session)}
        assert listed == set(released)
        assert all(line.op.planned_start is not None for line in routed_here(session))
        # what the screens need travels with it: the catalog's Chinese names and the alert threshold
        for wo in ledger.work_orders():
            assert wo.product_names.get("zh_CN") == "测试车"
            assert all(op.names.get("zh_CN") and op.alert_at == 1.2 for op in wo.operations if op.work_centre == "WHEEL")
        wait_for(lambda: sync.status().pending == 0)  # the catch-up request was acked, not kept
        shot_work_list(settings, session, sync, artifacts, qtbot)
    finally:
        sync.stop()

    # a restart asks again from where it stopped: nothing is applied twice, nothing missed
    sync = start_sync(settings, ledger)
    try:
        wait_for(lambda: sync.status().connected and sync.status().pending == 0)
        assert sorted(wo.id for wo in ledger.work_orders()) == sorted(released)
    finally:
        sync.stop()


def test_a_long_stream_arrives_in_rounds_of_the_hubs_resend_limit(hub: HubService, tmp_path: Path) -> None:
    hub.ingest.resend_limit = 3
    base = demo_work_orders()[0]
    bodies = []
    for i in range(8):
        body = base.to_body() | {"id": f"WO-{2000 + i}", "demo": False}
        bodies.append(body)
        hub.ingest.publish_down("station/st-late-2", WORK_ORDER_MESSAGE, body)
    settings = station_settings(tmp_path, hub.config.port, "st-late-2")
    ledger = open_ledger(settings)
    sync = start_sync(settings, ledger)
    sync.gap_check = 0.2
    try:
        wait_for(lambda: len(ledger.work_orders()) == 8)
        assert sorted(wo.id for wo in ledger.work_orders()) == sorted(b["id"] for b in bodies)
        assert sync.inbox.applied_seq("station/st-late-2") == 8
    finally:
        sync.stop()
