"""Refused events get an answer: the edge keeps them in its dead letters, the hub in its quarantine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import uuid6

from sync.broker import Mosquitto
from sync.hub.ingest import Ingest, register_device
from sync.protocol.edge import EdgeSync
from sync.protocol.envelope import Envelope, utc_now
from sync.store import Outbox, Store
from tests.test_ingest import RawDevice, wait_for

pytestmark = pytest.mark.broker
SITE = "demo"


@pytest.fixture
def hub(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Ingest]:
    store = Store(tmp_path / "hub.db", device_id="hub", kind="hub")
    register_device(store, "st-1")
    ingest = Ingest(store, site=SITE, port=mosquitto.port)
    ingest.start()
    assert ingest.wait_ready(10)
    yield ingest
    ingest.stop()


def record(store: Store, count: int) -> list[Envelope]:
    with store.transaction() as tx:
        return [tx.outbox("op.completed", {"n": n}) for n in range(count)]


def write_broken_row(store: Store, occurred_at: str = "yesterday", body: str = "{}") -> tuple[int, str]:
    """An outbox row the hub cannot accept (as an older or buggy program might have left it)."""
    event_id = str(uuid6.uuid7())
    with store.transaction() as tx:
        seq = tx.execute("UPDATE sequences SET last_seq = last_seq + 1 RETURNING last_seq").fetchone()[0]
        tx.execute("INSERT INTO outbox (seq, event_id, type, body, occurred_at) VALUES (?, ?, 'op.completed', ?, ?)",
                   [seq, event_id, body, occurred_at])
    return int(seq), event_id


def hub_seqs(hub: Ingest, device: str) -> list[int]:
    return [r["seq"] for r in hub.store.query("SELECT seq FROM events WHERE device_id = ? ORDER BY seq", [device])]


def test_malformed_event_from_a_known_device_is_answered_and_kept_as_a_dead_letter(
        tmp_path: Path, hub: Ingest, mosquitto: Mosquitto) -> None:
    station = Store(tmp_path / "st-1.db", device_id="st-1")
    record(station, 3)
    bad_seq, bad_id = write_broken_row(station)
    bad_body_seq, bad_body_id = write_broken_row(station, occurred_at=utc_now(), body="[1, 2]")
    record(station, 3)
    sync = EdgeSync(station, site=SITE, port=mosquitto.port).start()
    try:
        assert sync.wait_drained(15), "a refused event blocked the outbox"
        wait_for(lambda: sync.status().dead_letters == 2)
        status = sync.status()
    finally:
        sync.stop()
    assert status.pending == 0 and status.in_flight == 0
    dead = Outbox(station).dead_letters()
    assert [(d.seq, d.event_id, d.code) for d in dead] == [
        (bad_seq, bad_id, "invalid_envelope"), (bad_body_seq, bad_body_id, "invalid_envelope")]
    assert "occurred_at" in dead[0].reason and "body" in dead[1].reason  # the hub's reason names the field
    assert dead[0].body == {} and dead[0].occurred_at == "yesterday"  # kept exactly as it was
    assert hub_seqs(hub, "st-1") == [1, 2, 3, 6, 7, 8]  # everything else arrived
    rows = hub.store.query("SELECT reason, event_id, seq FROM quarantine ORDER BY id")
    assert rows == [{"reason": "invalid_envelope", "event_id": bad_id, "seq": bad_seq},
                    {"reason": "invalid_envelope", "event_id": bad_body_id, "seq": bad_body_seq}]
    # the refused seqs are settled: the hub does not keep asking the station to re-send them
    assert hub.store.query("SELECT contiguous_seq FROM devices WHERE device_id = 'st-1'")[0]["contiguous_seq"] == 8


def test_unknown_version_event_is_answered_once_and_quarantined_once_even_when_sent_again(
        hub: Ingest, mosquitto: Mosquitto) -> None:
    st = RawDevice(mosquitto.port, "st-1")
    try:
        future = Envelope(str(uuid6.uuid7()), "st-1", 1, utc_now(), "op.started", {"op": 10}, v=2)
        st.send(future.encode())
        st.send(future.encode())  # our answer was slow: the device tries again
        st.send(st.envelope(2).encode())
        acks = st.wait_acks(3)
    finally:
        st.close()
    by_seq = sorted((a.seq, a.status, a.code) for a in acks)
    assert by_seq == [(1, "rejected", "unknown_version"), (1, "rejected", "unknown_version"), (2, "ok", "")]
    assert "version 2" in next(a.reason for a in acks if a.seq == 1)
    rows = hub.store.query("SELECT reason, event_id, payload FROM quarantine")
    assert len(rows) == 1 and rows[0]["reason"] == "unknown_version" and rows[0]["event_id"] == future.event_id
    assert json.loads(rows[0]["payload"])["v"] == 2
    assert hub_seqs(hub, "st-1") == [2]


def test_garbage_naming_no_event_stays_in_quarantine_without_an_answer(hub: Ingest, mosquitto: Mosquitto) -> None:
    st = RawDevice(mosquitto.port, "st-1")
    try:
        st.send(b"{not json")
        st.send(json.dumps({"v": 1, "event_id": str(uuid6.uuid7()), "device_id": "st-1"}).encode())  # no seq
        st.send(st.envelope(1).encode())
        acks = st.wait_acks(1)
        wait_for(lambda: len(hub.store.query("SELECT id FROM quarantine")) == 2)
    finally:
        st.close()
    assert [(a.seq, a.status) for a in acks] == [(1, "ok")]
    assert [m.acks for m in st.acks if any(a.status != "ok" for a in m.acks)] == []


def test_unregistered_device_is_told_and_can_send_again_once_registered(
        tmp_path: Path, hub: Ingest, mosquitto: Mosquitto) -> None:
    kiosk = Store(tmp_path / "kiosk-9.db", device_id="kiosk-9")
    events = record(kiosk, 5)
    sync = EdgeSync(kiosk, site=SITE, port=mosquitto.port).start()
    try:
        wait_for(lambda: sync.status().dead_letters == 5)
        assert sync.status().pending == 0
        outbox = Outbox(kiosk)
        assert {d.code for d in outbox.dead_letters()} == {"unknown_device"}
        refused = outbox.ack_for(events[0].event_id)
        assert refused is not None and refused.status == "rejected" and refused.code == "unknown_device"
        assert hub_seqs(hub, "kiosk-9") == []

        register_device(hub.store, "kiosk-9")  # a person registers the device and re-queues its events
        assert sync.requeue(d.event_id for d in outbox.dead_letters()) == 5
        assert sync.wait_drained(15)
    finally:
        sync.stop()
    assert hub_seqs(hub, "kiosk-9") == [1, 2, 3, 4, 5]
    assert Outbox(kiosk).dead_letter_count() == 0
