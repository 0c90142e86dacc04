"""An event the hub refuses is never dropped at the station: it waits in the dead letters and the
status bar says so in red until a supervisor deals with it (real Mosquitto, real hub, real window)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton

from sync.hub.service import HubService
from sync.station.ledger import MemoryLedger
from terminal.app import build_session, build_window, sync_link
from terminal.station.refused import RefusedEvents
from terminal.station.session import StationSession
from terminal.station.status import LinkStatus
from terminal.ui.window import StationWindow
from tests.station_window import station_settings
from tests.test_hub_service import Edge, kiosk_order, running  # noqa: F401 - the hub fixture

pytestmark = pytest.mark.broker


@pytest.fixture
def station_and_hub(running: tuple[HubService, int], tmp_path: Path) -> Iterator[tuple[Edge, HubService]]:  # noqa: F811
    hub, port = running
    edge = Edge(tmp_path, "st-wheel-1", port)
    edge.sync.start()
    yield edge, hub
    edge.sync.stop()


@contextmanager
def station_window(station: Edge, qtbot: Any, *, refused_page: bool = True,
                   **env: str) -> Iterator[tuple[StationWindow, StationSession]]:
    """The real station window on ``station``'s sync, shown at 1280×800 (``env``: more FLOORLINK_ settings)."""
    settings = station_settings(**{"FLOORLINK_NODE_DEVICE_ID": "st-wheel-1", **env})
    session = build_session(settings, MemoryLedger())
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    win, wedge = build_window(settings, session, sync_link(station.sync), app)
    if refused_page:
        win.attach_refused(RefusedEvents.for_sync(station.sync, session.name_of, session.zone))
    qtbot.addWidget(win)
    try:
        win.resize(1280, 800)
        win.show()
        qtbot.waitExposed(win)
        yield win, session
    finally:
        app.removeEventFilter(wedge)


def supervisor_opens_refused(qtbot: Any, win: StationWindow, session: StationSession) -> None:
    """The supervisor logs in by PIN, taps the refused button once it shows, and the list is filled."""
    win.run(lambda: session.login_pin("9999"))
    qtbot.waitUntil(lambda: win.refused_button.isVisible(), timeout=10000)
    qtbot.mouseClick(win.refused_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(win.refused_page.items), timeout=5000)


def test_a_refused_event_is_kept_turns_the_status_bar_red_and_alerts_the_supervisor(
        station_and_hub: tuple[Edge, HubService], qtbot: Any, artifacts: Path) -> None:
    station, hub = station_and_hub
    body = {"work_order": "WO-NOT-RELEASED", "operation": 10, "at": datetime.now(UTC).isoformat(), "worker": "ann"}
    event_id = station.send("op.started", body)
    ack = station.ack(event_id)
    assert ack.status == "rejected" and "unknown work order" in ack.reason
    (alert,) = hub.store.query("SELECT * FROM alerts WHERE kind = 'event_refused'")
    assert alert["subject"] == "st-wheel-1 op.started" and "unknown work order WO-NOT-RELEASED" in alert["message"]
    assert event_id in alert["data"] and alert["state"] == "raised"
    link = sync_link(station.sync)
    deadline = time.monotonic() + 10
    while link().refused == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    status = link()
    assert status.refused == 1 and status.tone == "refused" and "1 refused" in status.text
    (kept,) = station.sync.outbox.dead_letters()
    assert kept.body == body  # the worker's record, whole, for the supervisor

    with station_window(station, qtbot, refused_page=False, FLOORLINK_NODE_TIME_ZONE="Asia/Shanghai") as (win, session):
        qtbot.waitUntil(lambda: "refused" in win.network.text(), timeout=5000)
        assert win.network.property("tone") == "refused"
        shanghai = datetime.now(UTC).astimezone(session.zone).strftime("%H:%M")
        assert win.clock_label.text() == shanghai  # the site's clock, not the machine's
        assert win.grab().save(str(artifacts / "terminal_17_refused.png"))


def test_a_supervisor_sees_the_refused_event_at_the_station_and_setting_it_aside_clears_the_red_status(
        station_and_hub: tuple[Edge, HubService], qtbot: Any, artifacts: Path) -> None:
    station, hub = station_and_hub
    body = {"work_order": "WO-NOT-RELEASED", "operation": 10, "at": datetime.now(UTC).isoformat(), "worker": "E-0042"}
    event_id = station.send("op.started", body)
    assert station.ack(event_id).status == "rejected"
    with station_window(station, qtbot) as (win, session):
        win.run(lambda: session.login_pin("4242"))  # a worker: the red status is not theirs to settle
        qtbot.waitUntil(lambda: win.network.property("tone") == "refused" and "Li Wei" in win.worker_label.text(),
                        timeout=10000)
        qtbot.mouseClick(win.network, Qt.MouseButton.LeftButton)  # a tap on the red status
        assert win.mode == "" and not win.refused_button.isVisible() and "call a supervisor" in win.network.text()

        win.run(lambda: session.login_pin("9999"))  # the supervisor comes
        qtbot.waitUntil(lambda: win.refused_button.isVisible(), timeout=5000)
        assert win.refused_button.text() == "1 refused" and "refused" not in win.network.text()
        qtbot.mouseClick(win.refused_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: win.stack.currentWidget() is win.refused_page and bool(win.refused_page.items),
                        timeout=5000)
        (item,) = win.refused_page.items or []
        assert (item.what, item.who, item.event_id) == ("Start WO-NOT-RELEASED · 10", "Li Wei", event_id)
        assert "unknown work order" in item.reason
        assert win.wait_idle()
        assert win.grab().save(str(artifacts / "terminal_18_refused_view.png"))

        (aside,) = [b for b in win.refused_page.findChildren(QPushButton) if b.text() == "Set aside"]
        qtbot.mouseClick(aside, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not win.refused_button.isVisible(), timeout=10000)
        assert sync_link(station.sync)().tone == "online" and win.network.property("tone") == "online"
        assert win.refused_page.note.text() == "Set aside by Zhang Min"
        qtbot.waitUntil(lambda: win.refused_page.items == [], timeout=5000)
        assert win.grab().save(str(artifacts / "terminal_19_refused_set_aside.png"))
    (handled,) = station.sync.outbox.dead_letters(handled=True)
    assert handled.handled_by == "S-0001" and handled.body == body  # kept, with who
    # the hub's event_refused alert is resolved with who settled it, so the dashboard stops showing it
    deadline = time.monotonic() + 10
    alert: dict[str, Any] = {}
    while time.monotonic() < deadline:
        (alert,) = hub.store.query("SELECT * FROM alerts WHERE key = ?", [f"refused:{event_id}"])
        if alert["state"] == "resolved":
            break
        time.sleep(0.05)
    assert alert["state"] == "resolved" and alert["resolved_by"] == "S-0001 at st-wheel-1"


def test_send_again_puts_the_event_back_on_the_wire_and_a_second_refusal_brings_it_back_to_the_list(
        station_and_hub: tuple[Edge, HubService], qtbot: Any) -> None:
    station, hub = station_and_hub
    body = {"work_order": "WO-STILL-UNKNOWN", "operation": 10, "at": datetime.now(UTC).isoformat()}
    event_id = station.send("op.started", body)
    first = station.ack(event_id)
    assert first.status == "rejected"
    with station_window(station, qtbot) as (win, session):
        supervisor_opens_refused(qtbot, win, session)
        del station.acks[event_id]
        (again,) = [b for b in win.refused_page.findChildren(QPushButton) if b.text() == "Send again"]
        qtbot.mouseClick(again, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: win.refused_page.note.text().startswith("Sent again"), timeout=5000)
        assert station.ack(event_id).status == "rejected"  # the hub answered the same event id again
        qtbot.waitUntil(lambda: [i.event_id for i in win.refused_page.items or []] == [event_id], timeout=10000)
    (kept,) = station.sync.outbox.dead_letters()
    assert kept.body == body and kept.handled_by == ""
    assert len(hub.store.query("SELECT * FROM alerts WHERE kind = 'event_refused'")) >= 1


def test_status_tone_puts_refused_before_offline() -> None:
    assert LinkStatus(online=False, pending=3, refused=2).tone == "refused"
    assert LinkStatus(online=False, pending=3).tone == "offline"
    assert LinkStatus(online=True, pending=0).text == "Online · all sent"


def planned_work_order(tmp_path: Path, order_id: str, work_centre: str) -> tuple[str, int]:
    """The work order id and operation number the hub will give ``order_id``'s step at ``work_centre``
    (planned on a scratch hub over the same catalog: ids come from the planner, not from this test)."""
    from sync.catalog.store import CatalogStore
    from sync.hub.core import HubCore
    from sync.store import Store
    from tests.test_hub_service import order_body

    scratch = Store(tmp_path / "scratch-hub.db", device_id="hub", kind="hub")
    catalog = CatalogStore(tmp_path / "catalog.db")
    try:
        core = HubCore(scratch, catalog)
        with scratch.transaction() as tx:
            core.on_order_placed(tx, "scratch", "kiosk-1", order_body(order_id), datetime.now(UTC))
        for row in scratch.query("SELECT id, body FROM work_orders ORDER BY id"):
            if json.loads(row["body"]).get("parts"):
                continue  # its first step waits for its part work orders: a start would be refused as out of order
            for op in json.loads(row["body"])["operations"]:
                if op["work_centre"] == work_centre:
                    return row["id"], int(op["number"])
    finally:
        scratch.close()
        catalog.close()
    raise AssertionError(f"order {order_id} has no step at {work_centre}")


def test_send_again_after_the_work_order_was_released_is_accepted(
        station_and_hub: tuple[Edge, HubService], qtbot: Any, tmp_path: Path) -> None:
    """Unknown work order -> refused -> the order is placed (its work order released) -> "Send again" -> accepted.

    On the old hub the re-sent event id replayed the stored rejection without running the handler again."""
    station, hub = station_and_hub
    wo_id, op_no = planned_work_order(tmp_path, "K1-0300", "WHEEL")
    body = {"work_order": wo_id, "operation": op_no, "at": datetime.now(UTC).isoformat(), "worker": "E-0042",
            "station": "st-wheel-1"}
    event_id = station.send("op.started", body)
    first = station.ack(event_id)
    assert first.status == "rejected" and f"unknown work order {wo_id}" in first.reason
    assert hub.store.query("SELECT state FROM alerts WHERE key = ?", [f"refused:{event_id}"])[0]["state"] == "raised"

    placed = kiosk_order(tmp_path, hub.config.port, "K1-0300")
    assert placed.status == "ok" and wo_id in placed.result["work_orders"], placed.reason

    with station_window(station, qtbot) as (win, session):
        supervisor_opens_refused(qtbot, win, session)
        del station.acks[event_id]
        (again,) = [b for b in win.refused_page.findChildren(QPushButton) if b.text() == "Send again"]
        qtbot.mouseClick(again, Qt.MouseButton.LeftButton)
        ack = station.ack(event_id)
        assert ack.status == "ok", ack.reason
        qtbot.waitUntil(lambda: not win.refused_button.isVisible(), timeout=10000)
    assert station.sync.outbox.dead_letters() == []
    (stored,) = hub.store.query("SELECT type, body FROM op_events WHERE event_id = ?", [event_id])
    assert stored["type"] == "op.started" and json.loads(stored["body"]) == body
    (alert,) = hub.store.query("SELECT state, resolved_by FROM alerts WHERE key = ?", [f"refused:{event_id}"])
    assert alert["state"] == "resolved" and "sent it again" in alert["resolved_by"]
    assert hub.store.query("SELECT status FROM events WHERE event_id = ?", [event_id])[0]["status"] == "ok"


def test_a_completion_the_hub_rules_refuse_reaches_the_supervisors_refused_list_with_its_code(
        station_and_hub: tuple[Edge, HubService], tmp_path: Path, qtbot: Any, artifacts: Path) -> None:
    """The hub applies the station's rules: completing an operation nobody started is refused with
    ``not_started`` and a plain sentence, and waits on the station's refused list (the old hub acked it)."""
    station, hub = station_and_hub
    placed = kiosk_order(tmp_path, hub.config.port, "K1-0400")
    assert placed.status == "ok", placed.reason
    wheel = next(r["id"] for r in hub.store.query("SELECT id, body FROM work_orders WHERE order_id = 'K1-0400' "
                                                  "ORDER BY id")
                 if any(op["work_centre"] == "WHEEL" and op["number"] == 10
                        for op in json.loads(r["body"])["operations"]))
    body = {"work_order": wheel, "operation": 10, "at": datetime.now(UTC).isoformat(), "worker": "E-0042",
            "good": 1, "scrap": 0}
    event_id = station.send("op.completed", body)
    ack = station.ack(event_id)
    assert (ack.status, ack.code) == ("rejected", "not_started") and "has not been started" in ack.reason
    refused = RefusedEvents.for_sync(station.sync, {"E-0042": "Li Wei"}.get)
    deadline = time.monotonic() + 10
    while not refused.items() and time.monotonic() < deadline:
        time.sleep(0.05)
    (item,) = refused.items()
    assert (item.event_id, item.who) == (event_id, "Li Wei") and item.what.startswith(f"Complete {wheel} · 10")
    assert "it has not been started" in item.reason
    assert "op.completed" not in item.reason and "st-wheel-1" not in item.reason  # a plain sentence for a person
    from terminal.station import texts

    texts.use("zh_CN")  # a Chinese supervisor reads the rule's plain sentence, found by its code
    try:
        (item,) = refused.items()
        assert item.reason == "此工序尚未开始：请先开始" and item.what.startswith(f"完成 {wheel} · 10")
    finally:
        texts.use("en")
    assert hub.store.query("SELECT COUNT(*) AS n FROM op_events")[0]["n"] == 0
    with station_window(station, qtbot) as (win, session):
        supervisor_opens_refused(qtbot, win, session)
        assert win.wait_idle()
        assert win.grab().save(str(artifacts / "terminal_20_refused_by_rule.png"))
