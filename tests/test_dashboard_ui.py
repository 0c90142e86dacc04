"""The dashboard's real widgets offscreen, fed through a real inbox; each panel is saved as a PNG."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sync.dashboard_cache import DashboardCache
from sync.store import Inbox, Outbox, Store
from terminal.dashboard.model import DashboardModel
from terminal.dashboard.widgets import DashboardWindow
from tests.test_dashboard_model import NOW, Clock, Feed, alert, centre_body, orders_body

STYLE = Path(__file__).resolve().parent.parent / "assets" / "styles" / "dashboard.qss"


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> tuple[DashboardWindow, Feed, Clock, Store, dict[str, bool]]:
    store = Store(tmp_path / "dash.db", device_id="dash-1")
    clock = Clock()
    cache = DashboardCache(store, clock=clock)
    inbox = Inbox(store)
    cache.register(inbox)
    link = {"up": True}
    model = DashboardModel(cache, clock=clock, link_up=lambda: link["up"])
    win = DashboardWindow(model, ask_name=lambda _parent: "Mei", poll_ms=60_000)
    win.setStyleSheet(STYLE.read_text(encoding="utf-8"))
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    feed = Feed(inbox)
    feed.send("dashboard/orders", "dashboard.orders", orders_body())
    feed.send("dashboard/centre/WHEEL", "dashboard.centre", centre_body())
    win.poll()
    return win, feed, clock, store, link


def test_every_panel_renders_and_is_saved(window: Any, artifacts: Path, qtbot: Any) -> None:
    win, *_ = window
    for index, name in enumerate(["orders", "stations", "load", "alerts", "kpis"]):
        win.tabs.setCurrentIndex(index)
        qtbot.wait(30)
        image = win.grab()
        assert image.width() == 1280
        image.save(str(artifacts / f"dashboard_{name}.png"))
    assert win.orders.rows.rowCount() == 2 and win.orders.rows.rows[0].id == "O1"
    assert win.stations.rows.rowCount() == 4 and win.stations.rows.rows[0].status == "running"
    assert win.tabs.tabText(3) == "Alerts (2)"
    assert len(win.load.today.series()) == 1 and len(win.kpis.oee.series()) == 1
    assert not win.banner.isVisible()


def test_drill_down_lists_work_orders_and_operations(window: Any, artifacts: Path) -> None:
    win, *_ = window
    dialog = win.open_order("O1")
    assert dialog.tree.topLevelItemCount() == 3
    assert dialog.tree.topLevelItem(0).child(0).text(4) == "2 / 1"
    dialog.grab().save(str(artifacts / "dashboard_drilldown.png"))


def test_acknowledge_offline_queues_the_event_shows_pending_and_a_stale_banner(window: Any, artifacts: Path,
                                                                                qtbot: Any) -> None:
    win, feed, clock, store, link = window
    link["up"] = False
    clock.now = NOW + timedelta(seconds=30)
    win.poll()
    assert win.banner.isVisible() and "Stale since" in win.banner.text()
    card = win.alerts.cards[1]
    assert card.acknowledge.height() >= 48
    card.acknowledge.click()
    (event,) = Outbox(store).after(0, 10)
    assert event.type == "alert.acknowledged" and event.body == {"alert_id": 1, "by": "Mei"}
    assert "acknowledge pending" in card.text.text() and not card.acknowledge.isEnabled()
    win.tabs.setCurrentIndex(3)
    qtbot.wait(30)
    win.grab().save(str(artifacts / "dashboard_offline.png"))
    feed.send("alerts", "alert.changed", alert(1, state="acknowledged", acknowledged_by="Mei"))
    win.poll()
    assert "pending" not in win.alerts.cards[1].text.text() and "by Mei" in win.alerts.cards[1].text.text()
