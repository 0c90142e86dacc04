"""The FloorLink protocol (sync.protocol, sync.hub.ingest) runs unchanged on the brokers we start:
the embedded one the demo uses, and Mosquitto with per-device accounts and the generated ACL."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.broker import BrokerUser, EmbeddedBroker
from sync.broker.probe import ProbeClient
from sync.hub.ingest import Ingest, register_device
from sync.protocol.edge import EdgeSync
from sync.store import Store

SITE = "demo"


def deliver(port: int, folder: Path, count: int, hub_login: dict[str, str] | None = None,
            edge_login: dict[str, str] | None = None) -> dict[str, int]:
    """A station records ``count`` events; returns what the hub stored once its acks drained the outbox."""
    hub_store = Store(folder / "hub.db", device_id="hub", kind="hub")
    register_device(hub_store, "st-1")
    ingest = Ingest(hub_store, site=SITE, port=port, link_options=hub_login).start()
    station = Store(folder / "st-1.db", device_id="st-1")
    sync = EdgeSync(station, site=SITE, port=port, link_options=edge_login).start()
    try:
        assert ingest.wait_ready(10)
        with station.transaction() as tx:
            for n in range(count):
                tx.table("ops").insert({"n": n})
                tx.outbox("op.completed", {"n": n})
        assert sync.wait_drained(30), sync.status()
        row = hub_store.query("SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM events "
                              "WHERE device_id = 'st-1'")[0]
        return {"rows": row["n"], "ids": row["ids"]}
    finally:
        sync.stop()
        ingest.stop()


def test_protocol_delivers_exactly_once_through_the_embedded_broker(tmp_path: Path) -> None:
    pytest.importorskip("iotcore", reason="the embedded broker needs the iotcore package")
    with EmbeddedBroker(data_dir=tmp_path / "broker") as broker:
        assert deliver(broker.port, tmp_path, 500) == {"rows": 500, "ids": 500}


def test_protocol_delivers_through_mosquitto_with_device_accounts_and_acl(tmp_path: Path, mosquitto_factory) -> None:
    users = [BrokerUser("hub", "pw-hub", role="hub"), BrokerUser("st-1", "pw-st1")]
    broker = mosquitto_factory("secured", users=users, site=SITE).start()
    result = deliver(broker.port, tmp_path, 500, {"username": "hub", "password": "pw-hub"},
                     {"username": "st-1", "password": "pw-st1"})
    assert result == {"rows": 500, "ids": 500}
    # The ACL also let the station keep its retained state (written on its way out).
    with ProbeClient(broker.host, broker.port, "hub-check", username="hub", password="pw-hub") as hub:
        hub.subscribe(f"floorlink/v1/{SITE}/state/st-1")
        assert hub.received.wait_for(1, 5)
        assert hub.received.payloads == [b"offline"]
