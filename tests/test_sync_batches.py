"""Batch messages (many events in one MQTT message) and version 2 acks, against a real Mosquitto."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from sync.broker import Mosquitto
from sync.errors import ProtocolError
from sync.hub.ingest import Ingest, register_device
from sync.protocol import topics
from sync.protocol.edge import EdgeSync
from sync.protocol.envelope import Ack, AckMessage, decode_batch, encode_batch
from sync.store import Outbox, Store
from tests.test_ingest import RawDevice, wait_for
from tests.test_sync_dead_letters import write_broken_row

pytestmark = pytest.mark.broker
SITE = "demo"


def test_batch_and_version_2_ack_round_trip_and_version_1_acks_still_read() -> None:
    events = [json.dumps({"seq": n}).encode() for n in (1, 2)]
    assert decode_batch(encode_batch(events)) == [{"seq": 1}, {"seq": 2}]
    with pytest.raises(ProtocolError, match="batch version 3"):
        decode_batch(b'{"v":3,"events":[{}]}')
    with pytest.raises(ProtocolError, match="no events"):
        decode_batch(b'{"v":2,"events":[]}')
    v2 = AckMessage([Ack("e-9", 9, "rejected", "bad", code="invalid_envelope")], 4, 2, ["e-1", "e-2"], 500, 262144)
    assert AckMessage.decode(v2.encode()) == v2
    old = b'{"v":1,"acks":[{"event_id":"e-1","seq":1,"status":"ok"}]}'  # what a hub before batches sends
    assert AckMessage.decode(old) == AckMessage([Ack("e-1", 1)])
    with pytest.raises(ProtocolError, match="'ok'"):
        AckMessage.decode(b'{"v":2,"acks":[],"ok":[1]}')


class UpWatcher:
    """Counts what edges publish upwards, by the topic's last level."""

    def __init__(self, port: int) -> None:
        self.levels: list[str] = []
        self.lock = threading.Lock()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="up-watcher", protocol=paho.MQTTv5)
        self.client.on_message = self._on_message
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(topics.up_filter(SITE), qos=1)
        self.client.loop_start()

    def _on_message(self, client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
        with self.lock:
            self.levels.append(message.topic.rsplit("/", 1)[-1])

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def watcher(mosquitto: Mosquitto) -> Iterator[UpWatcher]:
    w = UpWatcher(mosquitto.port)
    assert w.subscribed.wait(10)
    yield w
    w.close()


def start_hub(tmp_path: Path, port: int, **options: int) -> Ingest:
    store = Store(tmp_path / "hub.db", device_id="hub", kind="hub")
    register_device(store, "st-1")
    ingest = Ingest(store, site=SITE, port=port, **options).start()
    assert ingest.wait_ready(10)
    return ingest


def record(store: Store, count: int) -> None:
    with store.transaction() as tx:
        for n in range(count):
            tx.outbox("op.completed", {"n": n})


def hub_seqs(hub: Ingest) -> list[int]:
    return [r["seq"] for r in hub.store.query("SELECT seq FROM events WHERE device_id = 'st-1' ORDER BY seq")]


def test_edge_sends_batches_once_the_hub_invites_them_and_each_event_is_stored_once(
        tmp_path: Path, mosquitto: Mosquitto, watcher: UpWatcher) -> None:
    hub = start_hub(tmp_path, mosquitto.port, edge_batch_max=100)
    station = Store(tmp_path / "st-1.db", device_id="st-1")
    record(station, 3_000)
    bad_seq, bad_id = write_broken_row(station)  # deep inside a batch
    record(station, 500)
    sync = EdgeSync(station, site=SITE, port=mosquitto.port, window=1000).start()
    try:
        assert sync.wait_drained(30), sync.status()
        wait_for(lambda: sync.status().dead_letters == 1, timeout=20)
    finally:
        sync.stop()
        hub.stop()
    assert hub_seqs(hub) == [s for s in range(1, 3_502) if s != bad_seq]
    assert [d.event_id for d in Outbox(station).dead_letters()] == [bad_id]
    assert hub.store.query("SELECT reason, seq FROM quarantine") == [{"reason": "invalid_envelope", "seq": bad_seq}]
    with watcher.lock:
        batches = watcher.levels.count("sync.batch")
        singles = len(watcher.levels) - batches
    # Batches of at most 100 events; a batch is smaller when the window had less
    # room, and a lone event goes alone: still far fewer messages than events.
    assert batches >= 10 and singles + batches <= 500, (singles, batches)


def test_edge_sends_single_events_to_a_hub_that_does_not_invite_batches(
        tmp_path: Path, mosquitto: Mosquitto, watcher: UpWatcher) -> None:
    hub = start_hub(tmp_path, mosquitto.port, edge_batch_max=0)  # like a hub from before batches
    station = Store(tmp_path / "st-1.db", device_id="st-1")
    record(station, 300)
    sync = EdgeSync(station, site=SITE, port=mosquitto.port).start()
    try:
        assert sync.wait_drained(30), sync.status()
    finally:
        sync.stop()
        hub.stop()
    assert hub_seqs(hub) == list(range(1, 301))
    wait_for(lambda: len(watcher.levels) >= 300)  # a subscriber of its own: its copies may trail the hub's on a busy machine
    with watcher.lock:
        assert "sync.batch" not in watcher.levels and len(watcher.levels) >= 300


def test_a_batch_sent_twice_is_stored_once_and_acked_twice_in_version_2(tmp_path: Path, mosquitto: Mosquitto) -> None:
    hub = start_hub(tmp_path, mosquitto.port)
    st = RawDevice(mosquitto.port, "st-1")
    try:
        envelopes = [st.envelope(seq) for seq in range(1, 6)]
        batch = encode_batch([e.encode() for e in envelopes])
        st.send(batch, type="sync.batch")
        wait_for(lambda: len(st.acks) == 1)
        st.send(batch, type="sync.batch")  # a re-send: the hub has all five already
        wait_for(lambda: len(st.acks) == 2)
    finally:
        st.close()
        hub.stop()
    ids = [e.event_id for e in envelopes]
    assert [(m.v, m.ok, m.acks) for m in st.acks] == [(2, ids, []), (2, ids, [])]
    assert st.acks[0].batch_max == hub.edge_batch_max > 0
    assert hub_seqs(hub) == [1, 2, 3, 4, 5] and hub.stats.duplicates == 5


def test_broken_batch_is_quarantined_whole_without_an_answer(tmp_path: Path, mosquitto: Mosquitto) -> None:
    hub = start_hub(tmp_path, mosquitto.port)
    st = RawDevice(mosquitto.port, "st-1")
    try:
        st.send(b'{"v":2,"events":[{"seq":1}', type="sync.batch")
        st.send(b'{"v":9,"events":[{}]}', type="sync.batch")
        st.send(st.envelope(1).encode())
        wait_for(lambda: len(hub.store.query("SELECT id FROM quarantine")) == 2)
        wait_for(lambda: hub_seqs(hub) == [1])
    finally:
        st.close()
        hub.stop()
    assert [r["reason"] for r in hub.store.query("SELECT reason FROM quarantine ORDER BY id")] == [
        "malformed_json", "unknown_version"]
    assert [a.status for m in st.acks for a in m.acks] + [i for m in st.acks for i in m.ok] == ["ok"]


def test_results_and_rule_rejections_of_batched_events_reach_the_edge(
        tmp_path: Path, mosquitto: Mosquitto, watcher: UpWatcher) -> None:
    from sync.errors import PlanningError
    from sync.protocol.envelope import Envelope
    from sync.store import Transaction

    hub = start_hub(tmp_path, mosquitto.port)

    def plan(tx: Transaction, env: Envelope) -> dict[str, object]:
        if env.body["n"] % 10 == 9:
            raise PlanningError(f"order {env.body['n']} is not buildable", where="order.placed body")
        return {"promise_date": f"2026-12-{1 + env.body['n'] % 28:02d}"} if env.body["n"] % 2 == 0 else {}

    hub.on("order.placed", plan)
    station = Store(tmp_path / "st-1.db", device_id="st-1")
    with station.transaction() as tx:
        events = [tx.outbox("order.placed", {"n": n}) for n in range(200)]  # most go in batches
    sync = EdgeSync(station, site=SITE, port=mosquitto.port).start()
    try:
        assert sync.wait_drained(30), sync.status()
        wait_for(lambda: sync.status().dead_letters == 20, timeout=20)
    finally:
        sync.stop()
        hub.stop()
    outbox = Outbox(station)
    assert sorted(d.seq for d in outbox.dead_letters()) == [e.seq for e in events if e.body["n"] % 10 == 9]
    assert {d.code for d in outbox.dead_letters()} == {"rejected"}
    promised = outbox.ack_for(events[150].event_id)
    assert promised is not None and promised.result == {"promise_date": "2026-12-11"}
    assert outbox.ack_for(events[151].event_id) is None  # plain ok: nothing kept
    assert len(hub_seqs(hub)) == 200
    with watcher.lock:
        assert "sync.batch" in watcher.levels
