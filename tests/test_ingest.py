"""Hub ingest against a real Mosquitto: duplicates, reordering, quarantine, acks with results, down streams."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
import uuid6
from paho.mqtt.enums import CallbackAPIVersion

from sync.broker import Mosquitto
from sync.errors import PlanningError
from sync.hub.ingest import Ingest, register_device
from sync.protocol import topics
from sync.protocol.edge import EdgeSync
from sync.protocol.envelope import AckMessage, Envelope, utc_now
from sync.store import Outbox, Store, Transaction

pytestmark = pytest.mark.broker
SITE = "demo"


class RawDevice:
    """A bare MQTT client that publishes whatever bytes a test wants and collects its acks."""

    def __init__(self, port: int, device_id: str) -> None:
        self.device_id = device_id
        self.acks: list[AckMessage] = []
        self.got = threading.Condition()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"raw-{device_id}", protocol=paho.MQTTv5)
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        info = self.client.subscribe(topics.ack(SITE, device_id), qos=1)
        assert info[0] == 0
        time.sleep(0.2)

    def _on_message(self, client: Any, userdata: Any, message: paho.MQTTMessage) -> None:
        with self.got:
            self.acks.append(AckMessage.decode(message.payload))
            self.got.notify_all()

    def send(self, payload: bytes, *, as_device: str | None = None, type: str = "op.started") -> None:
        topic = topics.up(SITE, as_device or self.device_id, type)
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def envelope(self, seq: int, type: str = "op.started", device: str | None = None, **body: Any) -> Envelope:
        return Envelope(str(uuid6.uuid7()), device or self.device_id, seq, utc_now(), type, dict(body))

    def wait_acks(self, count: int, timeout: float = 10) -> list[Any]:
        deadline = time.monotonic() + timeout
        with self.got:
            while sum(len(m.acks) for m in self.acks) < count and time.monotonic() < deadline:
                self.got.wait(0.1)
            return [a for m in self.acks for a in m.acks]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def hub(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Ingest]:
    store = Store(tmp_path / "hub.db", device_id="hub", kind="hub")
    for device in ("st-1", "st-2", "kiosk-1"):
        register_device(store, device)
    ingest = Ingest(store, site=SITE, port=mosquitto.port, max_payload=8 * 1024)
    ingest.start()
    assert ingest.wait_ready(10)
    yield ingest
    ingest.stop()


@pytest.fixture
def device(mosquitto: Mosquitto) -> Iterator[Callable[[str], RawDevice]]:
    made: list[RawDevice] = []

    def make(device_id: str) -> RawDevice:
        made.append(RawDevice(mosquitto.port, device_id))
        return made[-1]

    yield make
    for d in made:
        d.close()


def wait_for(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def quarantine(hub: Ingest) -> list[dict[str, Any]]:
    return hub.store.query("SELECT reason, topic, detail, device_id FROM quarantine ORDER BY id")


def test_duplicated_and_reordered_deliveries_are_stored_once_and_gaps_asked_for(
        hub: Ingest, device: Callable[[str], RawDevice]) -> None:
    st = device("st-1")
    events = [st.envelope(seq) for seq in (1, 2, 3)]
    st.send(events[2].encode())
    acks = st.wait_acks(1)
    assert acks[0].seq == 3 and acks[0].status == "ok"
    assert st.acks[0].resend_from == 1  # the hub saw a gap and asks for seq 1 on
    for env in (events[0], events[0], events[1], events[2]):
        st.send(env.encode())
    acks = st.wait_acks(5)
    assert len(acks) == 5 and {a.status for a in acks} == {"ok"}
    assert st.acks[-1].resend_from is None
    rows = hub.store.query("SELECT seq FROM events WHERE device_id = 'st-1' ORDER BY seq")
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert hub.store.query("SELECT contiguous_seq FROM devices WHERE device_id = 'st-1'")[0]["contiguous_seq"] == 3
    assert hub.stats.duplicates == 2


@pytest.mark.parametrize(("payload", "reason"), [
    (b"{not json", "malformed_json"),
    (b"\xff\xfe binary", "malformed_json"),
    (b"[1, 2, 3]", "invalid_envelope"),
    (json.dumps({"v": 99, "event_id": "x"}).encode(), "unknown_version"),
    (json.dumps({"v": 1, "event_id": "01900000-0000-7000-8000-000000000001", "device_id": "st-1", "seq": 0,
                 "occurred_at": "2026-11-25T06:00:00Z", "type": "op.started", "body": {}}).encode(), "invalid_envelope"),
    (b"{" + b" " * 9000 + b"}", "oversized"),
])
def test_bad_payloads_go_to_quarantine_with_the_reason_and_ingest_goes_on(
        hub: Ingest, device: Callable[[str], RawDevice], payload: bytes, reason: str) -> None:
    st = device("st-1")
    st.send(payload)
    st.send(st.envelope(1).encode())
    assert st.wait_acks(1)[0].seq == 1
    wait_for(lambda: len(quarantine(hub)) == 1)
    q = quarantine(hub)[0]
    assert q["reason"] == reason and q["topic"].endswith("/up/st-1/op.started") and q["detail"]
    assert hub.store.query("SELECT count(*) AS n FROM events")[0]["n"] == 1


def test_unknown_device_and_device_posing_as_another_are_quarantined(
        hub: Ingest, device: Callable[[str], RawDevice]) -> None:
    intruder = device("rogue-7")
    st2 = device("st-2")
    intruder.send(intruder.envelope(1).encode())
    st2.send(st2.envelope(1, device="st-1").encode())  # topic says st-2, envelope says st-1
    st2.send(st2.envelope(1).encode(), type="op.paused")  # topic type differs from the envelope's
    st2.send(st2.envelope(2).encode())
    wait_for(lambda: len(quarantine(hub)) == 3)
    assert [(q["reason"], q["device_id"]) for q in quarantine(hub)] == [
        ("unknown_device", "rogue-7"), ("device_mismatch", "st-1"), ("type_mismatch", "st-2")]
    refused = intruder.wait_acks(1)  # the unregistered device is told, so it stops re-sending
    assert [(a.status, a.code, a.seq) for a in refused] == [("rejected", "unknown_device", 1)]
    answered = st2.wait_acks(2)  # st-2 hears about its type mismatch, not about the event it forged for st-1
    assert sorted((a.seq, a.status, a.code) for a in answered) == [(1, "rejected", "type_mismatch"), (2, "ok", "")]
    assert hub.store.query("SELECT device_id, seq FROM events") == [{"device_id": "st-2", "seq": 2}]


def test_handler_result_and_rejection_reach_the_edge_outbox(tmp_path: Path, hub: Ingest, mosquitto: Mosquitto) -> None:
    def plan(tx: Transaction, env: Envelope) -> dict[str, Any]:
        if env.body["revision"] != 7:
            raise PlanningError(f"revision {env.body['revision']} is not released", where="order.placed body")
        tx.table("orders").insert({"event_id": env.event_id, "total": env.body["total"]})
        return {"promise_date": "2026-12-03", "decided_by": "ASSEMBLY capacity"}

    hub.on("order.placed", plan)
    kiosk = Store(tmp_path / "kiosk-1.db", device_id="kiosk-1")
    with kiosk.transaction() as tx:
        good = tx.outbox("order.placed", {"revision": 7, "total": 1890})
        bad = tx.outbox("order.placed", {"revision": 3, "total": 990})
    seen: list[str] = []
    sync = EdgeSync(kiosk, site=SITE, port=mosquitto.port)
    sync.on_ack(lambda rec: seen.append(rec.status))
    sync.start()
    try:
        assert sync.wait_drained(15)
    finally:
        sync.stop()
    outbox = Outbox(kiosk)
    ok = outbox.ack_for(good.event_id)
    rejected = outbox.ack_for(bad.event_id)
    assert ok is not None and ok.result["promise_date"] == "2026-12-03"
    assert rejected is not None and rejected.status == "rejected" and "revision 3 is not released" in rejected.reason
    assert sorted(seen) == ["ok", "rejected"]
    assert hub.store.query("SELECT total FROM orders") == [{"total": 1890}]  # the rejected one changed nothing
    assert hub.store.query("SELECT status FROM events ORDER BY seq") == [{"status": "ok"}, {"status": "rejected"}]


def test_failing_hub_handler_does_not_stop_ingest(hub: Ingest, device: Callable[[str], RawDevice]) -> None:
    hub.on("op.started", lambda tx, env: 1 / env.body["zero"])  # type: ignore[arg-type, return-value]
    st = device("st-1")
    st.send(st.envelope(1, zero=0).encode())
    st.send(st.envelope(2, type="op.completed").encode(), type="op.completed")
    acks = st.wait_acks(2)
    assert [a.status for a in acks] == ["rejected", "ok"]
    assert "ZeroDivisionError" in acks[0].reason


def test_down_streams_reach_the_station_in_order_with_paging_and_status_shows_online(
        tmp_path: Path, hub: Ingest, mosquitto: Mosquitto) -> None:
    from sync.protocol import paging

    station = Store(tmp_path / "st-1.db", device_id="st-1")
    sync = EdgeSync(station, site=SITE, port=mosquitto.port, streams=["station/st-1", "catalog"])
    applied: list[str] = []
    sync.inbox.on("workorder.released", lambda tx, env: applied.append(env.body["wo"]))
    sync.inbox.on("catalog.revision", lambda tx, env: applied.append(f"rev {env.body['number']}"))
    sync.start()
    try:
        assert sync.link.wait_subscribed(10)
        hub.publish_down("station/st-1", "workorder.released", {"wo": "WO-1"})
        hub.publish_down("station/st-2", "workorder.released", {"wo": "WO-other"})
        revision = {"number": 4, "items": ["x" * 50] * 400}
        parts = paging.split("rev-4", "catalog.revision", revision, page_bytes=4000)
        hub.publish_down("catalog", "page.manifest", parts.manifest)
        for part in parts.parts:
            hub.publish_down("catalog", "page.part", part)
        hub.publish_down("station/st-1", "workorder.released", {"wo": "WO-2"})
        wait_for(lambda: len(applied) == 3)
        assert applied[0] == "WO-1" and sorted(applied[1:]) == ["WO-2", "rev 4"]
        assert sync.status().connected
        state = hub.store.query("SELECT count(*) AS n FROM down_log WHERE stream = 'catalog'")[0]["n"]
        assert state == 1 + len(parts.parts)
    finally:
        sync.stop()


def test_device_state_is_retained_online_then_offline_by_last_will(tmp_path: Path, mosquitto: Mosquitto) -> None:
    states: list[bytes] = []
    watcher = paho.Client(CallbackAPIVersion.VERSION2, client_id="watcher", protocol=paho.MQTTv5)
    watcher.on_message = lambda c, u, m: states.append(m.payload)
    watcher.connect("127.0.0.1", mosquitto.port)
    watcher.loop_start()
    watcher.subscribe(topics.state(SITE, "st-5"), qos=1)
    station = Store(tmp_path / "st-5.db", device_id="st-5")
    sync = EdgeSync(station, site=SITE, port=mosquitto.port).start()
    try:
        wait_for(lambda: states[-1:] == [b"online"])
        sync.link.client._sock_close()  # type: ignore[attr-defined]  # a pulled cable: no DISCONNECT sent
        sync.link.client.loop_stop()
        wait_for(lambda: states[-1:] == [b"offline"], timeout=40)
    finally:
        watcher.loop_stop()
        sync.stop()


def test_station_missing_a_down_message_asks_the_hub_and_gets_it_again(
        tmp_path: Path, hub: Ingest, mosquitto: Mosquitto) -> None:
    station = Store(tmp_path / "st-1.db", device_id="st-1")
    sync = EdgeSync(station, site=SITE, port=mosquitto.port, streams=["station/st-1"], gap_check=0.2)
    applied: list[str] = []
    sync.inbox.on("workorder.released", lambda tx, env: applied.append(env.body["wo"]))
    sync.start()
    try:
        assert sync.link.wait_subscribed(10)
        hub.publish_down("station/st-1", "workorder.released", {"wo": "WO-1"})
        lost = Envelope(str(uuid6.uuid7()), "hub", 2, utc_now(), "workorder.released", {"wo": "WO-2"}, "station/st-1")
        with hub.store.transaction() as tx:  # stored at the hub, but the broker never got it
            tx.execute("INSERT INTO down_log VALUES (?, ?, ?, ?, ?, ?)",
                       ["station/st-1", 2, lost.event_id, lost.type, lost.encode().decode(), 0])
        hub.publish_down("station/st-1", "workorder.released", {"wo": "WO-3"})
        wait_for(lambda: applied == ["WO-1", "WO-2", "WO-3"], timeout=15)
        assert hub.store.query("SELECT body FROM events WHERE type = 'sync.resend'")[0]["body"] == \
            '{"stream":"station/st-1","from_seq":2}'
        assert sync.inbox.gaps() == {}
    finally:
        sync.stop()


def test_a_reused_event_id_with_another_body_is_refused_as_a_conflict_never_dropped(
        hub: Ingest, device: Callable[[str], RawDevice]) -> None:
    st = device("st-1")
    first = st.envelope(1, work_order="WO-1", operation=10, good=1)
    st.send(first.encode())
    assert st.wait_acks(1)[0].status == "ok"
    other = Envelope(first.event_id, first.device_id, first.seq, first.occurred_at, first.type,
                     {"work_order": "WO-1", "operation": 10, "good": 2})
    st.send(other.encode())
    st.send(first.encode())  # the very same event again: a plain duplicate, acked ok as before
    acks = st.wait_acks(3)
    # both may reach the hub in one batch, whose ack lists stored events before refused ones
    assert sorted((a.status, a.code) for a in acks[1:]) == [("ok", ""), ("rejected", "event_conflict")]
    (refused,) = [a for a in acks[1:] if a.status == "rejected"]
    assert "used before for another event" in refused.reason
    (kept,) = [q for q in quarantine(hub) if q["reason"] == "event_conflict"]
    assert kept["device_id"] == "st-1"  # the second body is kept for a person, not silently dropped
    (stored,) = hub.store.query("SELECT body FROM events")
    assert json.loads(stored["body"])["good"] == 1


def test_an_event_refused_by_the_rules_runs_its_handler_again_when_sent_again(
        hub: Ingest, device: Callable[[str], RawDevice]) -> None:
    released: set[str] = set()
    calls: list[str] = []
    retried: list[str] = []

    def start(tx: Transaction, env: Envelope) -> dict[str, Any]:
        calls.append(env.event_id)
        if env.body["work_order"] not in released:
            raise PlanningError(f"unknown work order {env.body['work_order']}", code="unknown_work_order")
        return {"accepted": True}

    hub.on("op.started", start)
    hub.on_retry_accepted = lambda tx, env: retried.append(env.event_id)
    st = device("st-1")
    event = st.envelope(1, work_order="WO-7")
    st.send(event.encode())
    (refused,) = st.wait_acks(1)
    assert (refused.status, refused.code) == ("rejected", "unknown_work_order")
    released.add("WO-7")  # the cause is fixed
    st.send(event.encode())  # "send again": same event id, same body
    acks = st.wait_acks(2)
    assert (acks[1].status, acks[1].result) == ("ok", {"accepted": True})
    assert calls == [event.event_id, event.event_id] and retried == [event.event_id]
    assert hub.store.query("SELECT status, reason FROM events") == [{"status": "ok", "reason": ""}]
    st.send(event.encode())  # once accepted, a duplicate is answered from the store, the handler not run again
    assert st.wait_acks(3)[2].status == "ok" and len(calls) == 2


def test_each_kind_of_device_sends_only_its_own_events(hub: Ingest, device: Callable[[str], RawDevice]) -> None:
    """A kiosk may not start operations or resolve alerts; only dashboards settle alerts (old hub: all ok)."""
    register_device(hub.store, "kiosk-2", "kiosk")
    register_device(hub.store, "st-2", "station")
    register_device(hub.store, "dash-3", "dashboard")
    sent = {"kiosk-2": ["op.started", "alert.resolved", "kiosk.funnel"],
            "st-2": ["alert.resolved", "op.started"],
            "dash-3": ["op.completed", "alert.acknowledged"]}
    for device_id, types in sent.items():
        d = device(device_id)
        for seq, type_ in enumerate(types, 1):
            d.send(d.envelope(seq, type_).encode(), type=type_)
        acks = {a.seq: a for a in d.wait_acks(len(types))}
        results = [(types[seq - 1], acks[seq].status, acks[seq].code) for seq in sorted(acks)]
        allowed = {"kiosk-2": {"kiosk.funnel"}, "st-2": {"op.started"}, "dash-3": {"alert.acknowledged"}}[device_id]
        assert results == [(t, "ok", "") if t in allowed else (t, "rejected", "wrong_device_kind") for t in types]
    reasons = [q["detail"] for q in quarantine(hub)]
    assert any("kiosk-2 is registered as a kiosk, and only a station may send op.started" in r for r in reasons)
    assert any("only a dashboard may send alert.resolved" in r for r in reasons)


def test_a_device_registered_without_a_kind_takes_the_kind_of_its_first_event(
        hub: Ingest, device: Callable[[str], RawDevice]) -> None:
    kiosk = device("kiosk-1")  # registered as a bare id by the fixture
    kiosk.send(kiosk.envelope(1, "order.placed").encode(), type="order.placed")
    kiosk.send(kiosk.envelope(2, "op.started").encode(), type="op.started")
    acks = sorted(kiosk.wait_acks(2), key=lambda a: a.seq)
    assert [(a.status, a.code) for a in acks] == [("ok", ""), ("rejected", "wrong_device_kind")]
    assert hub.store.query("SELECT kind FROM devices WHERE device_id = 'kiosk-1'") == [{"kind": "kiosk"}]
