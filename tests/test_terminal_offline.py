"""A whole shift at a station with the network down, then sync with a real broker and hub.

Real parts: Mosquitto, the hub's ingest service, the station's SQLite store and EdgeSync, the
station rules. Events wait in the outbox while the broker is down; once it is back every event
reaches the hub exactly once and in order, and the hub derives the same operation states.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync import labels
from sync.hub.ingest import Ingest, register_device
from sync.labels import BadgeLabel, WorkOrderLabel
from sync.protocol.envelope import RESEND_TYPE
from sync.settings import load
from sync.station.stored import WORK_ORDER_MESSAGE
from sync.station.timing import OpEvent, Status, derive
from sync.store import Store
from terminal.app import build_session, open_ledger, start_sync, sync_link
from terminal.station.demo import demo_work_orders
from terminal.station.session import Tone

pytestmark = pytest.mark.broker


def wait_for(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_shift_offline_then_every_event_reaches_the_hub_once_and_in_order(
    tmp_path: Path, mosquitto_factory  # type: ignore[no-untyped-def]
) -> None:
    broker = mosquitto_factory("broker").start()
    port = broker.port
    broker.stop()  # the network is down for the whole shift

    settings = load(environ={"FLOORLINK_NODE_DEVICE_ID": "ST-ASM-1", "FLOORLINK_NODE_SITE": "demo",
                             "FLOORLINK_NODE_DATA_DIR": str(tmp_path / "station"), "FLOORLINK_MQTT_PORT": str(port),
                             "FLOORLINK_STATION_DEMO_WORK_ORDERS": "1"})
    now = [datetime(2026, 11, 25, 6, 0, tzinfo=UTC)]
    ledger = open_ledger(settings)
    session = build_session(settings, ledger, clock=lambda: now[0])
    sync = start_sync(settings, ledger)
    session.listeners.append(sync.wake)
    link = sync_link(sync)
    try:
        session.scan(labels.format(BadgeLabel("E-0042")))
        for op in (10, 20, 30):  # a shift's work on WO-1001, with a break in the middle
            assert session.scan(labels.format(WorkOrderLabel("WO-1001", op))).tone is Tone.OK
            assert session.start().tone is Tone.OK
            now[0] += timedelta(minutes=40)
            assert session.pause("Break").tone is Tone.OK
            now[0] += timedelta(minutes=15)
            assert session.resume().tone is Tone.OK
            now[0] += timedelta(minutes=20)
            if op == 30:
                assert session.record_qc(True).tone is Tone.OK
            assert session.complete("2", "0").tone is Tone.OK
        recorded = 3 * 4 + 1
        time.sleep(0.5)
        status = link()
        assert not status.online and status.pending == recorded
        assert "Offline" in status.text and f"{recorded} waiting" in status.text

        broker.restart()  # the network is back, and the hub with it
        hub_store = Store(tmp_path / "hub.db", device_id="hub", kind="hub")
        register_device(hub_store, "ST-ASM-1")
        hub = Ingest(hub_store, site="demo", port=port)
        hub.start()
        try:
            assert hub.wait_ready(10)
            assert sync.wait_drained(30)
            wait_for(lambda: link().online and link().pending == 0)
            rows = hub_store.query("SELECT seq, type, body FROM events WHERE device_id = 'ST-ASM-1' ORDER BY seq")
            # at connect the station also asked for its work-order stream (a catch-up), after the shift's events
            assert [r["type"] for r in rows[recorded:]] == [RESEND_TYPE]
            rows = rows[:recorded]
            assert [r["seq"] for r in rows] == list(range(1, recorded + 1))
            local = ledger.events("WO-1001")
            assert [r["type"] for r in rows] == [e.type for e in local]

            # the hub derives the same state from the same events
            hub_events = [OpEvent.from_body(r["type"], json.loads(r["body"]), r["seq"]) for r in rows
                          if json.loads(r["body"])["operation"] == 20]
            hub_state = derive(hub_events, now[0])
            wo = ledger.work_order("WO-1001")
            assert wo is not None
            station_view = [e.op_event() for e in ledger.events("WO-1001", 20)]
            assert hub_state == derive(station_view, now[0])
            assert hub_state.status is Status.DONE and hub_state.elapsed_seconds == pytest.approx(60 * 60)

            # and work orders the hub releases reach the station's store
            body = demo_work_orders()[0].to_body() | {"id": "WO-7001", "demo": False}
            hub.publish_down("station/ST-ASM-1", WORK_ORDER_MESSAGE, body)
            wait_for(lambda: ledger.work_order("WO-7001") is not None)
            assert session.scan(labels.format(WorkOrderLabel("WO-7001", 10))).tone is Tone.OK
        finally:
            hub.stop()
    finally:
        sync.stop()
