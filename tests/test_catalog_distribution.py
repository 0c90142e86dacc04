"""Released revisions flow from the hub to an edge's local catalog database, exactly and only once."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pytest

from sync.catalog.distribution import follow_catalog, revision_body, store_released
from sync.catalog.store import CatalogStore
from sync.errors import CatalogError
from sync.hub.service import HubConfig, HubService
from sync.protocol.edge import EdgeSync
from sync.store import Store
from tests.test_hub_core import released_catalog


@pytest.fixture
def hub_catalog(tmp_path: Path) -> CatalogStore:
    return released_catalog(tmp_path / "hub-catalog.db")


def test_a_released_revision_is_stored_once_exactly_as_the_hub_has_it(tmp_path: Path, hub_catalog: CatalogStore) -> None:
    body = revision_body(hub_catalog.latest_released("BIKE"))
    edge = CatalogStore(tmp_path / "edge-catalog.db")
    assert store_released(edge, body) is True
    assert store_released(edge, body) is False, "the same revision again changes nothing"
    stored = edge.latest_released("BIKE")
    assert (stored.number, stored.content_hash) == (1, body["content_hash"])
    assert stored.product() == hub_catalog.latest_released("BIKE").product()


def test_a_tampered_or_conflicting_revision_is_refused_and_the_good_one_stays(tmp_path: Path,
                                                                           hub_catalog: CatalogStore) -> None:
    body = revision_body(hub_catalog.latest_released("BIKE"))
    edge = CatalogStore(tmp_path / "edge-catalog.db")
    store_released(edge, body)
    tampered: dict[str, Any] = copy.deepcopy(body)
    tampered["snapshot"]["product"]["base_price"] = "1"
    with pytest.raises(CatalogError, match="does not match its content hash"):
        store_released(edge, {**tampered, "number": 2})
    with pytest.raises(CatalogError, match="different revision with this number"):
        store_released(edge, {**tampered, "content_hash": __import__("sync.catalog.snapshot", fromlist=["x"])
                              .content_hash(tampered["snapshot"])})
    assert edge.latest_released("BIKE").content_hash == body["content_hash"]


@pytest.mark.broker
def test_the_hub_publishes_released_revisions_and_a_late_edge_receives_them(tmp_path: Path, mosquitto: Any) -> None:
    released_catalog(tmp_path / "catalog.db").close()
    hub = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=mosquitto.port,
                               devices=["kiosk-1"], tick_seconds=0.2)).start()
    try:
        assert hub.wait_ready(20)
        assert hub.publish_catalog() == 0, "published once at start"
        store = Store(tmp_path / "kiosk.db", device_id="kiosk-1")
        sync = EdgeSync(store, site="demo", port=mosquitto.port, streams=["catalog/#"])
        follow_catalog(sync.inbox, tmp_path / "kiosk-catalog.db")
        sync.start()
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not store.query("SELECT 1 FROM inbox_streams"):
                time.sleep(0.1)
            assert sync.inbox.failures() == []
            local = CatalogStore(tmp_path / "kiosk-catalog.db")
            assert {code: r.number for code, r in local.released_products().items()} == {"BIKE": 1}
        finally:
            sync.stop()
    finally:
        hub.stop()
