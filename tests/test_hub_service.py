"""The whole hub through a real Mosquitto: a kiosk order gets a firm promise, its work orders reach
the stations, station events drive progress, and a wrong order is rejected with the reason."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sync.hub.service import HubConfig, HubService
from sync.protocol.edge import EdgeSync
from sync.store import AckRecord, Store
from sync.store.database import Transaction
from tests.test_hub_core import released_catalog

pytestmark = pytest.mark.broker


class Edge:
    """A kiosk or station node: its own SQLite store and EdgeSync against the broker."""

    def __init__(self, tmp_path: Path, device: str, port: int, streams: list[str] | None = None) -> None:
        self.store = Store(tmp_path / f"{device}.db", device_id=device)
        self.acks: dict[str, AckRecord] = {}
        self.received: list[dict[str, Any]] = []
        self.sync = EdgeSync(self.store, site="demo", port=port, streams=streams or [], resend_after=2.0)
        self.sync.on_ack(lambda ack: self.acks.__setitem__(ack.event_id, ack))
        self.sync.inbox.on("workorder.released", self._keep)
        self.changed = threading.Event()

    def _keep(self, tx: Transaction, envelope: Any) -> None:
        self.received.append(envelope.body)
        self.changed.set()

    def send(self, type_: str, body: dict[str, Any]) -> str:
        with self.store.transaction() as tx:
            event_id = tx.outbox(type_, body).event_id
        self.sync.wake()
        return event_id

    def ack(self, event_id: str, timeout: float = 20) -> AckRecord:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if event_id in self.acks:
                return self.acks[event_id]
            time.sleep(0.02)
        raise AssertionError(f"no ack for {event_id} within {timeout} s")


@pytest.fixture
def running(tmp_path: Path, mosquitto: Any) -> Iterator[tuple[HubService, int]]:
    released_catalog(tmp_path / "catalog.db").close()
    hub = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=mosquitto.port,
                               devices=["kiosk-1", "st-wheel-1"], tick_seconds=0.2)).start()
    assert hub.wait_ready(20)
    yield hub, mosquitto.port
    hub.stop()


def order_body(order_id: str, revision: int = 1) -> dict[str, Any]:
    return {"order_id": order_id, "product": "BIKE", "revision": revision, "quantity": 1, "price": "5000",
            "configuration": {"motor": "hub", "battery": "b400", "wheel_size": "28", "colour": "black",
                              "rider": "short"}, "customer": {"name": "Li Wei", "phone": "13800138000"}}


def kiosk_order(tmp_path: Path, port: int, order_id: str) -> AckRecord:
    """The hub's answer to ``order_id`` placed by a kiosk node started (and stopped) just for it."""
    kiosk = Edge(tmp_path, "kiosk-1", port)
    kiosk.sync.start()
    try:
        return kiosk.ack(kiosk.send("order.placed", order_body(order_id)))
    finally:
        kiosk.sync.stop()


def test_a_kiosk_order_gets_a_firm_promise_and_its_work_orders_reach_the_station(
        running: tuple[HubService, int], tmp_path: Path) -> None:
    hub, port = running
    station = Edge(tmp_path, "st-wheel-1", port, streams=["station/st-wheel-1"])
    kiosk = Edge(tmp_path, "kiosk-1", port)
    station.sync.start()
    kiosk.sync.start()
    try:
        assert station.sync.link.wait_subscribed(20)
        ack = kiosk.ack(kiosk.send("order.placed", order_body("K1-0001")))
        assert ack.status == "ok", ack.reason
        promise = datetime.fromisoformat(ack.result["promise"])
        assert promise > datetime(2026, 1, 1, tzinfo=UTC)
        assert station.changed.wait(20), "the wheel station never received its work order"
        wheel = next(b for b in station.received if any(o["work_centre"] == "WHEEL" for o in b["operations"]))
        assert wheel["order_id"] == "K1-0001"

        started = station.send("op.started", {"work_order": wheel["id"], "operation": 10,
                                              "at": datetime.now(UTC).isoformat(), "worker": "ann"})
        assert station.ack(started).status == "ok"
        (progress,) = hub.core.orders_progress(datetime.now(UTC))
        assert progress.status == "in_progress"
    finally:
        station.sync.stop()
        kiosk.sync.stop()


def test_an_order_for_an_unreleased_revision_is_rejected_with_the_reason_in_the_ack(
        running: tuple[HubService, int], tmp_path: Path) -> None:
    hub, port = running
    kiosk = Edge(tmp_path, "kiosk-1", port)
    kiosk.sync.start()
    try:
        ack = kiosk.ack(kiosk.send("order.placed", order_body("K1-0002", revision=2)))
        assert ack.status == "rejected" and "not released" in ack.reason
        assert hub.store.query("SELECT COUNT(*) AS n FROM orders")[0]["n"] == 0
        (quarantined,) = hub.store.query("SELECT reason, detail FROM quarantine")
        assert quarantined["reason"] == "rejected" and "not released" in quarantined["detail"]
        assert kiosk.sync.wait_drained(10), "a rejected event is still answered, so it leaves the outbox"
    finally:
        kiosk.sync.stop()


def test_a_kiosk_has_the_capacity_snapshot_as_soon_as_the_hub_is_up_not_after_the_first_tick(
        tmp_path: Path, mosquitto: Any) -> None:
    """A fresh live demo's first kiosk order was estimated without the snapshot (the hub first sent it 30 s
    after starting): 'about 2027-02-01' on the summary, 'confirmed 2027-01-08' on the receipt."""
    from sync.planning.estimate import CAPACITY_STREAM, follow_capacity, latest_capacity

    released_catalog(tmp_path / "catalog.db").close()
    hub = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=mosquitto.port,
                               devices=["kiosk-1"], tick_seconds=600)).start()  # no periodic job in this test
    kiosk = Edge(tmp_path, "kiosk-1", mosquitto.port, streams=[CAPACITY_STREAM])
    arrived = threading.Event()
    got: list[dict[str, Any]] = []
    follow_capacity(kiosk.store, kiosk.sync.inbox, on_snapshot=lambda body: (got.append(body), arrived.set()))
    try:
        assert hub.wait_ready(20)
        kiosk.sync.start()
        assert arrived.wait(20), "no capacity snapshot reached the kiosk"
        assert {"at", "centres", "items"} <= set(got[0])
        deadline = time.monotonic() + 10  # kept in the kiosk's store once its transaction commits
        while latest_capacity(kiosk.store) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert latest_capacity(kiosk.store) == got[-1]
    finally:
        kiosk.sync.stop()
        hub.stop()
