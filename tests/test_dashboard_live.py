"""The dashboard against a real Mosquitto and HubService: snapshot down, acknowledgement up."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sync.dashboard_cache import DashboardCache
from sync.hub.service import HubConfig, HubService
from sync.protocol.edge import EdgeSync
from sync.store import Store
from terminal.dashboard.model import DashboardModel
from terminal.dashboard.widgets import DashboardWindow
from tests.test_hub_core import released_catalog
from tests.test_hub_service import order_body

pytestmark = pytest.mark.broker


def wait_for(check: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"not true within {timeout} s")


def test_the_dashboard_gets_the_hub_snapshot_and_its_acknowledgement_reaches_the_hub(
        mosquitto: Any, tmp_path: Path, qtbot: Any, artifacts: Path) -> None:
    released_catalog(tmp_path / "catalog.db").close()
    hub = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=mosquitto.port,
                               devices=["kiosk-1", "dash-1"], tick_seconds=0.2)).start()
    store = Store(tmp_path / "dash.db", device_id="dash-1")
    cache = DashboardCache(store)
    sync = EdgeSync(store, site="demo", port=mosquitto.port, streams=["dashboard/#", "alerts"], resend_after=2.0)
    cache.register(sync.inbox)
    sync.start()
    try:
        assert hub.wait_ready(20)
        now = datetime.now(UTC)
        start = now - timedelta(days=3)
        with hub.store.transaction() as tx:
            placed = hub.core.on_order_placed(tx, "ev-1", "kiosk-1", order_body("K1-0001"), start)
        with hub.store.transaction() as tx:
            hub.core.on_op_event(tx, "op-1", "st-wheel-1", "op.started",
                                 {"work_order": placed["work_orders"][0], "operation": 10, "at": start.isoformat(),
                                  "worker": "ann"}, start)
        hub.core.tick(now)
        assert sync.link.wait_subscribed(20)
        hub.publish_snapshot(now, with_kpis=True)
        model = DashboardModel(cache, link_up=lambda: sync.status().connected, wake=sync.wake)
        window = DashboardWindow(model, ask_name=lambda _parent: "Mei", time_refresh_ms=60_000)  # no polling
        window.setStyleSheet((Path(__file__).resolve().parent.parent / "assets/styles/dashboard.qss").read_text())
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        # each snapshot repaints as it arrives (no poll gathers them): wait for the one with ann's operation
        qtbot.waitUntil(lambda: bool(model.orders) and bool(model.alerts) and any(
            r.workers == ("ann",) for rows in model.centres.values() for r in rows), timeout=20_000)
        assert model.orders[0].id == "K1-0001"
        target = model.alerts[0].id
        window.alerts.cards[target].acknowledge.click()
        assert wait_for(lambda: hub.store.query("SELECT acknowledged_by FROM alerts WHERE id = ?",
                                                [target])[0]["acknowledged_by"]) == "Mei"
        qtbot.waitUntil(lambda: not next(a for a in model.alerts if a.id == target).pending, timeout=20_000)
        window.tabs.setCurrentIndex(3)
        qtbot.wait(50)
        window.grab().save(str(artifacts / "dashboard_live_alerts.png"))
        window.tabs.setCurrentIndex(window.tab_index("stations"))
        qtbot.wait(50)
        assert any(r.workers == ("ann",) for board in model.stations for r in board.running)
        assert window.width() == 1280  # the hub's real data does not push any tab wider than the screen
        window.grab().save(str(artifacts / "dashboard_live_stations.png"))
        window.close()
    finally:
        sync.stop()
        hub.stop()
