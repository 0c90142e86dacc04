"""Exactly-once delivery edge → hub through a real Mosquitto, across outages and SIGKILLs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sync.broker import Mosquitto
from sync.broker.ports import free_port
from sync.hub.ingest import Ingest, register_device
from sync.protocol.edge import EdgeSync
from sync.store import Outbox, Store

pytestmark = pytest.mark.broker
REPO = Path(__file__).resolve().parent.parent
SITE = "demo"


def record(store: Store, count: int, per_tx: int = 250, type: str = "demo.tick") -> None:
    """Events as a station would write them, several per transaction (each commit is an fsync)."""
    done = 0
    while done < count:
        with store.transaction() as tx:
            for _ in range(min(per_tx, count - done)):
                tx.table("ops").insert({"n": done})
                tx.outbox(type, {"n": done})
                done += 1


def hub_rows(path: Path, device: str) -> tuple[int, int, int, int]:
    """(rows, distinct event ids, min seq, max seq) of one device's events at the hub."""
    store = Store(path, device_id="reader", kind="")
    try:
        row = store.query("SELECT count(*) AS n, count(DISTINCT event_id) AS ids, min(seq) AS lo, max(seq) AS hi "
                          "FROM events WHERE device_id = ?", [device])[0]
    finally:
        store.close()
    return row["n"], row["ids"], row["lo"] or 0, row["hi"] or 0


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def env_for(port: int, data_dir: Path, device: str = "hub") -> dict[str, str]:
    return {**os.environ, "FLOORLINK_MQTT_PORT": str(port), "FLOORLINK_NODE_SITE": SITE,
            "FLOORLINK_NODE_DATA_DIR": str(data_dir), "FLOORLINK_NODE_DEVICE_ID": device, "PYTHONUNBUFFERED": "1"}


class HubProcess:
    """``python -m sync.hub`` as a child process we can SIGKILL."""

    def __init__(self, port: int, db: Path, devices: list[str]) -> None:
        self.port, self.db, self.devices = port, db, devices
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> HubProcess:
        args = [sys.executable, "-m", "sync.hub", "--db", str(self.db)]
        for d in self.devices:
            args += ["--device", d]
        self.proc = subprocess.Popen(args, cwd=REPO, env=env_for(self.port, self.db.parent), text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert "ready" in line, line + (self.proc.stdout.read() if self.proc.poll() is not None else "")
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def hub_process(tmp_path: Path) -> Iterator[Callable[..., HubProcess]]:
    made: list[HubProcess] = []

    def make(port: int, devices: list[str]) -> HubProcess:
        hub = HubProcess(port, tmp_path / "hub.db", devices)
        made.append(hub)
        return hub

    yield make
    for hub in made:
        hub.kill()


def test_ten_thousand_events_written_while_the_broker_is_down_arrive_exactly_once(
        tmp_path: Path, mosquitto_factory: Callable[..., Mosquitto]) -> None:
    broker = mosquitto_factory("mq", port=free_port()).start()
    hub_store = Store(tmp_path / "hub.db", device_id="hub", kind="hub")
    register_device(hub_store, "st-1")
    ingest = Ingest(hub_store, site=SITE, port=broker.port).start()
    assert ingest.wait_ready(10)
    broker.stop()  # the hub's persistent session survives on disk

    station = Store(tmp_path / "st-1.db", device_id="st-1")
    sync = EdgeSync(station, site=SITE, port=broker.port).start()
    record(station, 10_000)
    assert Outbox(station).pending_count() == 10_000 and not sync.status().connected
    broker.start()
    try:
        assert sync.wait_drained(60), sync.status()
        wait_for(lambda: hub_rows(tmp_path / "hub.db", "st-1")[0] >= 10_000, 10, "hub rows")
        assert hub_rows(tmp_path / "hub.db", "st-1") == (10_000, 10_000, 1, 10_000)
        assert sync.status().connected and sync.status().last_ack_at is not None
    finally:
        sync.stop()
        ingest.stop()


def test_hub_killed_mid_ingest_and_restarted_loses_and_doubles_nothing(
        tmp_path: Path, mosquitto: Mosquitto, hub_process: Callable[..., HubProcess]) -> None:
    hub = hub_process(mosquitto.port, ["st-1"]).start()
    station = Store(tmp_path / "st-1.db", device_id="st-1")
    record(station, 6_000)
    sync = EdgeSync(station, site=SITE, port=mosquitto.port, resend_after=2.0).start()
    try:
        wait_for(lambda: hub_rows(hub.db, "st-1")[0] > 500, 30, "the hub to be mid-ingest")
        hub.kill()
        assert hub_rows(hub.db, "st-1")[0] < 6_000
        hub.start()
        assert sync.wait_drained(60), sync.status()
        assert hub_rows(hub.db, "st-1") == (6_000, 6_000, 1, 6_000)
    finally:
        sync.stop()
        hub.stop()


def test_broker_killed_mid_flow_and_restarted_loses_and_doubles_nothing(
        tmp_path: Path, mosquitto_factory: Callable[..., Mosquitto], hub_process: Callable[..., HubProcess]) -> None:
    broker = mosquitto_factory("mq", port=free_port()).start()
    hub = hub_process(broker.port, ["st-1"]).start()
    station = Store(tmp_path / "st-1.db", device_id="st-1")
    record(station, 6_000)
    sync = EdgeSync(station, site=SITE, port=broker.port, resend_after=2.0).start()
    try:
        wait_for(lambda: hub_rows(hub.db, "st-1")[0] > 500, 30, "events flowing")
        broker.kill()
        time.sleep(0.3)
        record(station, 1_000)  # work goes on while the broker is away
        broker.start()
        assert sync.wait_drained(60), sync.status()
        assert hub_rows(hub.db, "st-1") == (7_000, 7_000, 1, 7_000)
    finally:
        sync.stop()
        hub.stop()


def test_edge_process_killed_mid_send_and_restarted_loses_and_doubles_nothing(
        tmp_path: Path, mosquitto: Mosquitto, hub_process: Callable[..., HubProcess]) -> None:
    hub = hub_process(mosquitto.port, ["st-9"]).start()
    db = tmp_path / "st-9.db"
    args = [sys.executable, "-m", "sync.protocol", "edge", "--db", str(db), "--resend-after", "2"]
    env = env_for(mosquitto.port, tmp_path, "st-9")
    edge = subprocess.Popen([*args, "--emit", "20000"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: hub_rows(hub.db, "st-9")[0] > 300, 30, "the edge to be mid-send")
        edge.send_signal(signal.SIGKILL)
        edge.wait(10)
        left = Outbox(Store(db, device_id="st-9")).pending_count()
        assert 0 < left  # nothing recorded was lost with the process
        edge = subprocess.Popen([*args, "--emit", "1000", "--until-drained"], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert edge.wait(60) == 0
        recorded = Store(db, device_id="st-9").query("SELECT last_seq FROM sequences")[0]["last_seq"]
        assert recorded > 1_000
        assert hub_rows(hub.db, "st-9") == (recorded, recorded, 1, recorded)  # each event once, no gap
    finally:
        if edge.poll() is None:
            edge.kill()
        hub.stop()


def test_resends_back_off_while_the_hub_stays_silent(tmp_path: Path, mosquitto: Mosquitto) -> None:
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    copies: list[float] = []
    watcher = paho.Client(CallbackAPIVersion.VERSION2, client_id="watcher", protocol=paho.MQTTv5)
    watcher.on_message = lambda c, u, m: copies.append(time.monotonic())
    watcher.connect("127.0.0.1", mosquitto.port)
    watcher.subscribe(f"floorlink/v1/{SITE}/up/#", qos=1)
    watcher.loop_start()
    station = Store(tmp_path / "st-1.db", device_id="st-1")
    record(station, 1)
    sync = EdgeSync(station, site=SITE, port=mosquitto.port, resend_after=0.2).start()
    try:
        time.sleep(3.2)
    finally:
        sync.stop()
        watcher.loop_stop()
    # Without back-off: a copy every 0.2 s (16). With it: 0, 0.2, 0.4, 0.8, 1.6 (+ maybe 3.2).
    assert 4 <= len(copies) <= 7, copies
    gaps = [b - a for a, b in zip(copies, copies[1:], strict=False)]
    assert gaps[-1] > 3 * gaps[0]
    assert Outbox(station).pending_count() == 1  # never acked, never dropped
