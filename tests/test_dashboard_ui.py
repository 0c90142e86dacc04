"""The dashboard's real widgets offscreen, fed through a real inbox from another thread (as EdgeSync does).

Each panel is saved as a PNG under the artifacts folder for a person to look at.
"""

from __future__ import annotations

import html as html_module
import re
import sqlite3
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sync.dashboard_cache import DashboardCache
from sync.store import Inbox, Outbox, Store
from terminal.dashboard.core import DashboardCore
from terminal.dashboard.model import DashboardModel
from terminal.dashboard.widgets import DashboardWindow
from terminal.qt import QApplication, Qt
from terminal.station import texts
from tests.test_dashboard_model import NOW, Clock, Feed, alert, centre_body, orders_body

STYLE = Path(__file__).resolve().parent.parent / "assets" / "styles" / "dashboard.qss"


class ThreadFeed(Feed):
    """Applies hub messages on a thread of its own with its own connection, like the sync thread."""

    def send(self, stream: str, type_: str, body: dict[str, Any], seq: int | None = None) -> None:
        failed: list[BaseException] = []

        def apply() -> None:
            try:
                Feed.send(self, stream, type_, body, seq)
            except BaseException as exc:  # noqa: BLE001 - re-raised on the test thread
                failed.append(exc)

        worker = threading.Thread(target=apply, name="test-sync")
        worker.start()
        worker.join(10)
        if failed:
            raise failed[0]


@dataclass
class Screen:
    win: DashboardWindow
    feed: ThreadFeed
    clock: Clock
    store: Store
    link: dict[str, bool]
    sql_threads: set[int]


def open_screen(qtbot: Any, tmp_path: Path, **options: Any) -> Screen:
    """Store, cache and model opened on the core thread; every statement on that connection is traced."""
    clock = Clock()
    link = {"up": True}
    sql_threads: set[int] = set()
    core = DashboardCore()

    def open_node() -> tuple[Store, DashboardCache]:
        store = Store(tmp_path / "dash.db", device_id="dash-1")
        conn: sqlite3.Connection = store.db.conn
        conn.set_trace_callback(lambda _sql: sql_threads.add(threading.get_ident()))
        return store, DashboardCache(store, clock=clock)

    store, cache = core.call(open_node)
    sibling = store.sibling()  # the sync thread's own connection
    inbox = Inbox(sibling)
    cache.register(inbox)
    model = DashboardModel(cache, clock=clock, link_up=lambda: link["up"])
    core.attach(model)
    win = DashboardWindow(model, core=core, ask_name=lambda _parent: "Mei", time_refresh_ms=60_000, **options)
    win.setStyleSheet(STYLE.read_text(encoding="utf-8"))
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    feed = ThreadFeed(inbox)
    with qtbot.waitSignal(win.repainted, timeout=5000):
        feed.send("dashboard/orders", "dashboard.orders", orders_body())
    with qtbot.waitSignal(win.repainted, timeout=5000):
        feed.send("dashboard/centre/WHEEL", "dashboard.centre", centre_body())
    assert win.wait_idle()
    return Screen(win, feed, clock, store, link, sql_threads)


@pytest.fixture
def screen(qtbot: Any, tmp_path: Path) -> Iterator[Screen]:
    s = open_screen(qtbot, tmp_path)
    yield s
    s.win.close()
    s.feed.inbox.store.close()


def plain(html: str) -> str:
    """A label's rich text as the words a person reads."""
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def save(screen: Screen, qtbot: Any, artifacts: Path, tab: str, name: str) -> None:
    screen.win.tabs.setCurrentIndex(screen.win.tab_index(tab))
    qtbot.wait(30)
    image = screen.win.grab()
    assert image.width() == 1280
    image.save(str(artifacts / f"dashboard_{name}.png"))


def test_every_panel_renders_and_is_saved(screen: Screen, artifacts: Path, qtbot: Any) -> None:
    win = screen.win
    for tab in ("orders", "stations", "centres", "load", "alerts", "kpis"):
        save(screen, qtbot, artifacts, tab, tab)
    assert win.orders.rows.rowCount() == 2 and win.orders.rows.rows[0].id == "O1"
    assert win.centres.rows.rowCount() == 4 and win.centres.rows.rows[0].status == "running"
    assert win.tabs.tabText(win.tab_index("alerts")) == "Alerts (2)"
    assert len(win.load.today.series()) == 1 and len(win.kpis.oee.series()) == 1
    assert all(line.pointsVisible() for chart in (win.kpis.oee, win.kpis.delivery) for line in chart.series()), \
        "a day with the only value is drawn as a point"
    assert not win.banner.isVisible()


def test_stations_tab_shows_work_orders_by_station_with_operator_and_time_against_standard(
        screen: Screen, artifacts: Path, qtbot: Any) -> None:
    win = screen.win
    board = {"order_id": "O1", "work_order": "WO-9", "item": "FRAME-M", "qty": 1, "op": 10, "code": "WELD",
             "status": "running", "workers": ["dee"], "elapsed_s": 300, "standard_s": 1200, "good": 0, "scrap": 0,
             "planned_start": NOW.isoformat(), "eta": None, "station": "st-frame-1"}
    with qtbot.waitSignal(win.repainted, timeout=5000):
        screen.feed.send("dashboard/centre/FRAME", "dashboard.centre",
                         {"at": NOW.isoformat(), "work_centre": "FRAME",
                          "operations": [board, {**board, "work_order": "WO-10", "status": "queued", "workers": [],
                                                 "elapsed_s": 0, "station": None},
                                         {**board, "work_order": "WO-11", "workers": ["eve"]},
                                         {**board, "work_order": "WO-12", "workers": ["fay", "gus"]},
                                         {**board, "work_order": "WO-13", "workers": ["hal"], "status": "paused",
                                          "station": "st-frame-2"}]})
    save(screen, qtbot, artifacts, "stations", "stations_by_station")
    cards = win.stations.cards
    assert win.stations.placed == ["st-frame-1", "st-frame-2", "st-wheel-1", "FRAME · not started"]
    wheel = cards["st-wheel-1"]
    assert plain(wheel.counts.text()) == "1 running 1 paused 1 queued 1 done"
    assert "bob" in wheel.lines.text() and "40:00</b> of 30:00 standard (133 %)" in wheel.lines.text()
    assert "#c62828" in wheel.lines.text() and "#c62828" not in cards["st-frame-1"].lines.text()
    assert "next: WO-10 / 10 WELD" in cards["FRAME · not started"].lines.text()
    assert "dee" in cards["st-frame-1"].lines.text() and "+ 1 more running" in cards["st-frame-1"].lines.text()
    assert "hal · WO-13 / 10 WELD 5:00 of 20:00 standard (25 %) paused" in plain(cards["st-frame-2"].lines.text())
    assert wheel.height() >= 150 and wheel.width() >= 300  # a touch target readable across the hall
    grid = win.stations.grid
    assert grid.count() == 5  # four cards and the hidden "no work" label: each card in exactly one cell
    tops = [cards[k].geometry() for k in win.stations.placed]
    assert tops[3].top() >= tops[0].bottom()  # the second row starts below the first, not over it
    qtbot.mouseClick(wheel, Qt.MouseButton.LeftButton)
    assert win.stations.selected == "st-wheel-1" and wheel.property("selected") == "true"
    assert [r.status for r in win.stations.rows.rows] == ["running", "paused", "queued", "done"]
    win.stations.centre.setCurrentText("FRAME")
    assert win.stations.placed == ["st-frame-1", "st-frame-2", "FRAME · not started"]
    save(screen, qtbot, artifacts, "stations", "stations_frame_only")


def test_the_start_tab_and_work_centre_come_from_the_settings(qtbot: Any, tmp_path: Path) -> None:
    screen = open_screen(qtbot, tmp_path, default_tab="stations", work_centre="WHEEL")
    try:
        assert screen.win.tabs.currentWidget() is screen.win.stations
        assert screen.win.stations.centre.currentText() == "WHEEL"
        assert screen.win.centres.centre.count() == 0  # a hidden tab is painted when it is shown
        screen.win.tabs.setCurrentIndex(screen.win.tab_index("centres"))
        assert screen.win.centres.centre.currentText() == "WHEEL" and screen.win.centres.rows.rowCount() == 4
    finally:
        screen.win.close()


def test_an_incoming_event_repaints_at_once_without_a_poll(screen: Screen, qtbot: Any) -> None:
    win = screen.win
    assert win.timer.interval() == 60_000  # the slow timer cannot be what repaints
    with qtbot.waitSignal(win.repainted, timeout=2000) as caught:
        screen.feed.send("alerts", "alert.raised", alert(7, severity="critical"))
    assert "alerts" in caught.args[0]
    assert 7 in win.alerts.cards and win.tabs.tabText(win.tab_index("alerts")) == "Alerts (3)"


CONNECTS: list[int] = []  # threads that opened an SQLite connection while a test listened
LISTENING = threading.Event()


def _audit(event: str, _args: tuple[Any, ...]) -> None:
    if event == "sqlite3.connect" and LISTENING.is_set():
        CONNECTS.append(threading.get_ident())


sys.addaudithook(_audit)  # audit hooks cannot be removed: this one only records while LISTENING is set


def test_the_ui_thread_never_touches_sqlite(screen: Screen, qtbot: Any) -> None:
    """No statement on the dashboard's connection and no new connection runs on the UI thread."""
    ui = threading.get_ident()
    CONNECTS.clear()
    LISTENING.set()
    try:
        exercise_the_screen(screen, qtbot)
    finally:
        LISTENING.clear()
    assert screen.sql_threads and ui not in screen.sql_threads
    assert ui not in CONNECTS


def exercise_the_screen(screen: Screen, qtbot: Any) -> None:
    """An event, an acknowledgement, a tick, a drill-down and every tab, as a supervisor would."""
    win = screen.win
    with qtbot.waitSignal(win.repainted, timeout=5000):
        screen.feed.send("alerts", "alert.raised", alert(8))
    with qtbot.waitSignal(win.repainted, timeout=5000):
        win.alerts.cards[8].acknowledge.click()
    win.tick()
    win.open_order("O1").close()
    for index in range(win.tabs.count()):
        win.tabs.setCurrentIndex(index)
        qtbot.wait(10)
    assert win.wait_idle()


def test_drill_down_lists_work_orders_and_operations(screen: Screen, artifacts: Path) -> None:
    dialog = screen.win.open_order("O1")
    assert dialog.tree.topLevelItemCount() == 3
    assert dialog.tree.topLevelItem(0).child(0).text(4) == "2 / 1"
    dialog.grab().save(str(artifacts / "dashboard_drilldown.png"))


def test_an_open_drill_down_follows_the_shop_and_the_language(screen: Screen, qtbot: Any) -> None:
    """Review: an operation finished while the detail was open still read "running"; 中文 changed only Close."""
    win = screen.win
    dialog = win.open_order("O1")
    statuses = lambda: {dialog.tree.topLevelItem(i).child(j).text(0): dialog.tree.topLevelItem(i).child(j).text(1)  # noqa: E731
                        for i in range(dialog.tree.topLevelItemCount())
                        for j in range(dialog.tree.topLevelItem(i).childCount())}
    assert statuses()["20 OP20 (WHEEL)"] == "running"
    body = centre_body()
    body["operations"][1].update(status="done", good=2)
    with qtbot.waitSignal(win.repainted, timeout=5000):
        screen.feed.send("dashboard/centre/WHEEL", "dashboard.centre", body)
    assert statuses()["20 OP20 (WHEEL)"] == "done"
    try:
        win.set_language("zh_CN")
        assert dialog.tree.headerItem().text(1) == texts.tr("Status") != "Status"
        assert statuses()["20 OP20 (WHEEL)"] == texts.tr("done")
    finally:
        win.set_language("en")
    dialog.close()


def test_acknowledge_offline_queues_the_event_shows_pending_and_a_stale_banner(
        screen: Screen, artifacts: Path, qtbot: Any) -> None:
    win = screen.win
    screen.link["up"] = False
    screen.clock.now = NOW + timedelta(seconds=30)
    win.tick()  # the slow timer: time alone moved
    assert win.banner.isVisible() and "Stale since" in win.banner.text()
    card = win.alerts.cards[1]
    assert card.acknowledge.height() >= 48
    with qtbot.waitSignal(win.repainted, timeout=5000):
        card.acknowledge.click()
    (event,) = Outbox(screen.store).after(0, 10)
    assert event.type == "alert.acknowledged" and event.body == {"alert_id": 1, "by": "Mei"}
    assert "acknowledge pending" in card.text.text() and not card.acknowledge.isEnabled()
    assert win.alerts.message.text() == "Acknowledgement of alert 1 sent as Mei"
    try:
        win.set_language("zh_CN")  # said again in the language switched to (review: it stayed in English)
        assert win.alerts.message.text() == texts.tr("Acknowledgement of alert {alert} sent as {name}").format(
            alert=1, name="Mei") != "Acknowledgement of alert 1 sent as Mei"
    finally:
        win.set_language("en")
    save(screen, qtbot, artifacts, "alerts", "offline")
    with qtbot.waitSignal(win.repainted, timeout=5000):
        screen.feed.send("alerts", "alert.changed", alert(1, state="acknowledged", acknowledged_by="Mei"))
    assert "pending" not in win.alerts.cards[1].text.text() and "by Mei" in win.alerts.cards[1].text.text()


def test_a_quick_second_tap_sends_an_acknowledgement_once(screen: Screen, qtbot: Any) -> None:
    """Review: two quick taps queued two acknowledgements (the hub refused the second into a dead letter)."""
    win = screen.win
    card = win.alerts.cards[1]
    card.acknowledge.click()
    assert not card.acknowledge.isEnabled(), "off at the first tap, before the core thread answers"
    card.acknowledge.click()
    assert win.wait_idle()
    qtbot.waitUntil(lambda: "acknowledge pending" in card.text.text(), timeout=5000)
    assert [e.type for e in Outbox(screen.store).after(0, 10)] == ["alert.acknowledged"]
    assert not card.acknowledge.isEnabled() and card.resolve.isEnabled()


def test_the_board_asks_who_again_when_the_last_tap_is_two_minutes_old(screen: Screen, qtbot: Any) -> None:
    """Review: on a shared wall screen everyone after the first supervisor acted under the first one's name."""
    win = screen.win
    asked: list[str] = []
    names = iter(["Mei", "Chen Jie"])
    win.alerts.ask_name = lambda _parent: asked.append("asked") or next(names)
    win.alerts.cards[1].acknowledge.click()
    assert win.wait_idle()
    screen.clock.now = NOW + timedelta(minutes=1)
    win.alerts.cards[1].resolve.click()  # a run of taps: asked once
    assert win.wait_idle()
    screen.clock.now = NOW + timedelta(minutes=4)
    win.alerts.cards[2].acknowledge.click()  # someone else, later: asked again
    assert win.wait_idle()
    bodies = [(e.type, e.body.get("by")) for e in Outbox(screen.store).after(0, 10)]
    assert asked == ["asked", "asked"]
    assert bodies == [("alert.acknowledged", "Mei"), ("alert.resolved", "Mei"), ("alert.acknowledged", "Chen Jie")]


def test_a_stale_banner_of_another_day_says_the_day(screen: Screen) -> None:
    """Review: two days offline still read "Stale since 10:00", taken for today's."""
    screen.link["up"] = False
    screen.clock.now = NOW + timedelta(minutes=5)
    screen.win.tick()
    assert screen.win.banner.text().startswith(f"Stale since {NOW:%H:%M} — hub link is down")
    screen.clock.now = NOW + timedelta(days=2)
    screen.win.tick()
    assert screen.win.banner.text().startswith(f"Stale since {NOW.day} Nov {NOW:%H:%M} — hub link is down"), \
        screen.win.banner.text()


def test_stale_banner_follows_the_configured_threshold(qtbot: Any, tmp_path: Path) -> None:
    screen = open_screen(qtbot, tmp_path)
    try:
        screen.win.model.stale_after = timedelta(seconds=60)
        screen.clock.now = NOW + timedelta(seconds=30)
        screen.win.tick()
        assert not screen.win.banner.isVisible()
        screen.clock.now = NOW + timedelta(seconds=61)
        screen.win.tick()
        assert screen.win.banner.isVisible()
    finally:
        screen.win.close()


def test_a_cache_that_cannot_be_read_says_so_and_keeps_the_last_state(screen: Screen, qtbot: Any) -> None:
    win = screen.win
    feed_store = screen.feed.inbox.store
    with feed_store.transaction() as tx:  # the file is damaged behind the screen's back
        tx.execute("ALTER TABLE dashboard_alerts RENAME TO dashboard_alerts_lost")
    with qtbot.waitSignal(win.core.failed, timeout=5000):
        screen.feed.send("dashboard/centre/WHEEL", "dashboard.centre", centre_body())
    win.wait_idle()
    assert win.banner.isVisible() and win.banner.text().startswith("Cannot read the local cache:")
    assert "dashboard_alerts" in win.banner.text() and str(screen.store.path) in win.banner.text()
    assert len(win.model.orders) == 2 and 1 in win.alerts.cards  # the last state stays on screen


def test_a_burst_of_events_is_read_once_and_shows_the_newest_state(screen: Screen, qtbot: Any) -> None:
    win = screen.win
    repaints: list[object] = []
    win.repainted.connect(repaints.append)
    gate = threading.Event()
    win.core.run(gate.wait)  # the core thread is busy while the burst arrives
    for i in range(30):
        screen.feed.send("alerts", "alert.raised", alert(100 + i))
    gate.set()
    qtbot.waitUntil(lambda: 129 in win.alerts.cards, timeout=10_000)
    assert win.wait_idle()
    assert repaints == [{"alerts"}]  # thirty requests made while a read was queued merged into one
    assert len(win.model.alerts) == 32 and win.tabs.tabText(win.tab_index("alerts")) == "Alerts (32)"


def test_a_moved_promise_shows_the_kiosks_date_the_on_time_figure_judges_by(screen: Screen, qtbot: Any) -> None:
    """Seen on the live demo: the KPI tab said "On-time delivery 33 %" while every row of the Orders tab read
    "on time": the rows judge by the date the customer was last told, the KPI by the kiosk's first promise.
    Each now says which date it means."""
    win = screen.win
    body = orders_body()
    body["orders"][1]["first_promise"] = "2026-11-20T17:00:00+00:00"  # O1: promised Fri 20, now Tue 24
    body["orders"][0]["first_promise"] = body["orders"][0]["promise"]  # O2: still the kiosk's date
    with qtbot.waitSignal(win.repainted, timeout=5000):
        screen.feed.send("dashboard/orders", "dashboard.orders", body)
    win.tabs.setCurrentIndex(win.tab_index("orders"))  # a panel fills when it is shown
    qtbot.wait(30)
    promise = [win.orders.rows.headerData(c, Qt.Orientation.Horizontal) for c in range(win.orders.rows.columnCount())
               ].index("Promise")
    cells = {row.id: win.orders.rows.data(win.orders.rows.index(i, promise)) for i, row in enumerate(win.orders.rows.rows)}
    assert cells["O1"] == "Tue 24 Nov (first Fri 20 Nov)"  # a promise is a day
    assert cells["O2"] == "Fri 27 Nov"
    win.tabs.setCurrentIndex(win.tab_index("kpis"))
    qtbot.wait(30)
    lines = win.kpis.figures.text().split("\n")
    assert lines[0].startswith("OEE WHEEL 72 %") and lines[1].startswith("On time to the first promise 90 %")


def test_the_board_keeps_its_light_look_on_a_machine_in_dark_mode(qtbot: Any, tmp_path: Path,
                                                                   artifacts: Path) -> None:
    """A PC in dark mode gave the board black tab labels on dark grey and an unreadable clock: its colours
    assume light paper, so the app sets its own palette (terminal.dashboard.app.use_board_look)."""
    from PySide6.QtGui import QColor, QPalette

    from terminal.dashboard.app import use_board_look

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    saved = (app.style().name(), QPalette(app.palette()), app.styleSheet())
    dark = QPalette()
    for role, colour in (("Window", "#202124"), ("WindowText", "#e8eaed"), ("Base", "#2b2b2b"),
                         ("AlternateBase", "#353535"), ("Text", "#e8eaed"), ("Button", "#303134")):
        dark.setColor(getattr(QPalette.ColorRole, role), QColor(colour))
    app.setPalette(dark)
    try:
        use_board_look(app)
        s = open_screen(qtbot, tmp_path)
        s.win.tabs.setCurrentIndex(s.win.tab_index("orders"))
        qtbot.wait(30)
        image = s.win.grab().toImage()
        image.save(str(artifacts / "dashboard_dark_mode_machine.png"))
        empty_table = image.pixelColor(image.width() // 2, image.height() - 60)  # below the rows
        assert empty_table.lightness() > 200, empty_table.name()
        assert s.win.palette().color(QPalette.ColorRole.WindowText).name() == "#000000"
        s.win.close()
        s.feed.inbox.store.close()
    finally:
        app.setStyle(saved[0])
        app.setPalette(saved[1])
        app.setStyleSheet(saved[2])
