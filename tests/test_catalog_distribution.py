"""Released revisions flow from the hub to an edge's local catalog database, exactly and only once."""

from __future__ import annotations

import copy
import hashlib
import random
import shutil
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from sync.catalog import load_catalog
from sync.catalog.distribution import (
    MANIFEST,
    MESSAGE,
    PAGE,
    follow_catalog,
    revision_body,
    revision_messages,
    store_released,
)
from sync.catalog.store import CatalogStore, Revision
from sync.errors import CatalogError
from sync.hub.service import HubConfig, HubService
from sync.protocol.edge import EdgeSync
from sync.protocol.envelope import MAX_PAYLOAD_BYTES, Envelope
from sync.store import Inbox, Store
from tests.test_hub_core import SMALL, released_catalog


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


@pytest.mark.parametrize("margin", [10**6, -1, "2", 1.5, True, None])
def test_a_revision_with_a_margin_no_product_can_have_is_refused_and_the_good_one_stays(
        tmp_path: Path, hub_catalog: CatalogStore, margin: Any) -> None:
    """A received revision is hash-checked, not schema-checked: a forged margin of a million working days
    would walk every kiosk estimate past the year 9999."""
    from sync.catalog.snapshot import content_hash

    body = revision_body(hub_catalog.latest_released("BIKE"))
    edge = CatalogStore(tmp_path / "edge-catalog.db")
    store_released(edge, body)
    forged: dict[str, Any] = copy.deepcopy(body)
    forged["snapshot"]["product"]["promise_margin_days"] = margin
    forged["content_hash"] = content_hash(forged["snapshot"])
    with pytest.raises(CatalogError, match="promise_margin_days"):
        store_released(edge, {**forged, "number": 2})
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
            while time.monotonic() < deadline and released_number(tmp_path / "kiosk-catalog.db") != 1:  # pictures first
                time.sleep(0.1)
            assert sync.inbox.failures() == []
            local = CatalogStore(tmp_path / "kiosk-catalog.db")
            assert {code: r.number for code, r in local.released_products().items()} == {"BIKE": 1}
        finally:
            sync.stop()
    finally:
        hub.stop()


# --- revisions larger than one broker message: pages first, the retained manifest last ------------------

def big_revision(catalog: CatalogStore, tmp_path: Path, size: int = 1_300_000, *, release: bool = True) -> Revision:
    """A new revision of BIKE, released, made larger than ``size`` bytes by a long (incompressible) help text."""
    draft = tmp_path / "big-catalog"
    shutil.copytree(SMALL, draft)
    bike = draft / "products" / "bike.yaml"
    words = [hashlib.sha256(str(i).encode()).hexdigest()[:12] for i in range(size // 12)]
    text = bike.read_text(encoding="utf-8").replace(
        "    label: {en: Motor, zh_CN: 电机}\n",
        f"    label: {{en: Motor, zh_CN: 电机}}\n    help: {{en: \"{' '.join(words)}\", zh_CN: 说明}}\n", 1)
    assert "help:" in text
    bike.write_text(text, encoding="utf-8")
    catalog.submit(load_catalog(draft), "BIKE", "erin")
    number = max(r.number for r in catalog.revisions("BIKE"))
    if not release:
        return catalog.revision("BIKE", number)
    for user, role in (("erin", "engineering"), ("mark", "marketing"), ("fay", "finance")):
        catalog.approve("BIKE", number, user, role)
    return catalog.release("BIKE", number, "fay")


@pytest.fixture(scope="module")
def paged_catalog(tmp_path_factory: pytest.TempPathFactory) -> CatalogStore:
    """Revision 1 of BIKE and a released one over 1 MiB (built once: the large YAML takes a while to load)."""
    folder = tmp_path_factory.mktemp("paged")
    catalog = released_catalog(folder / "catalog.db")
    big_revision(catalog, folder)
    return catalog


@pytest.fixture
def big(paged_catalog: CatalogStore) -> Revision:
    return paged_catalog.latest_released("BIKE")


def envelopes(messages: list[tuple[str, str, dict[str, Any]]], first_seq: int = 1) -> list[Envelope]:
    return [Envelope(f"e-{i}-{first_seq}", "hub", first_seq, "2026-11-25T00:00:00Z", type_, body, stream)
            for i, (stream, type_, body) in enumerate(messages)]


def edge_inbox(tmp_path: Path, name: str = "edge") -> tuple[Inbox, Path]:
    inbox = Inbox(Store(tmp_path / f"{name}.db", device_id=name))
    follow_catalog(inbox, tmp_path / f"{name}-catalog.db")
    return inbox, tmp_path / f"{name}-catalog.db"


def released_number(catalog_db: Path) -> int | None:
    """The newest released BIKE revision the edge stored, read-only (as the kiosk's watcher reads it)."""
    if not catalog_db.exists():
        return None
    try:
        with closing(sqlite3.connect(f"file:{catalog_db}?mode=ro", uri=True, timeout=5)) as connection:
            rows = list(sqlite_utils.Database(connection).query(
                "SELECT max(number) AS n FROM revisions WHERE product = 'BIKE' AND state = 'released'"))
    except sqlite3.OperationalError:  # being created by the edge right now
        return None
    return rows[0]["n"] if rows else None


def test_a_small_revision_is_one_message_and_a_large_one_pages_then_manifest(paged_catalog: CatalogStore,
                                                                              big: Revision) -> None:
    small = revision_messages(paged_catalog.revision("BIKE", 1))
    assert [(stream, type_) for stream, type_, _ in small] == [("catalog/BIKE", MESSAGE)]
    assert len(big.snapshot if isinstance(big.snapshot, str) else canonical(big)) > 1024 * 1024
    messages = revision_messages(big)
    *pages, last = messages
    assert len(pages) >= 8 and last[0] == "catalog/BIKE" and last[1] == MANIFEST
    assert [stream for stream, _, _ in pages] == [f"catalog/BIKE/page/{i}" for i in range(len(pages))]
    assert {type_ for _, type_, _ in pages} == {PAGE}
    manifest = last[2]
    assert (manifest["product"], manifest["number"], manifest["content_hash"]) == ("BIKE", big.number, big.content_hash)
    assert manifest["count"] == len(pages) and manifest["size"] > 1024 * 1024
    for envelope in envelopes(messages):
        assert len(envelope.encode()) < MAX_PAYLOAD_BYTES, "every message fits the broker's limit"


def canonical(revision: Revision) -> str:
    from sync.catalog.snapshot import canonical_json

    return canonical_json(revision.snapshot)


@pytest.mark.parametrize("order", ["pages_first", "manifest_first", "shuffled"])
def test_a_paged_revision_is_assembled_in_any_arrival_order(tmp_path: Path, big: Revision, order: str) -> None:
    inbox, catalog_db = edge_inbox(tmp_path)
    arriving = envelopes(revision_messages(big))
    if order == "manifest_first":
        arriving = arriving[-1:] + arriving[:-1]
    elif order == "shuffled":
        random.Random(7).shuffle(arriving)
    for envelope in arriving:
        inbox.receive(envelope)
    assert inbox.failures() == []
    stored = CatalogStore(catalog_db).latest_released("BIKE")
    assert (stored.number, stored.content_hash) == (big.number, big.content_hash)
    assert stored.product() == big.product()
    assert inbox.store.query("SELECT count(*) AS n FROM catalog_pages")[0]["n"] == 0, "staged pages are dropped"


def keep_first_revision(tmp_path: Path, hub_catalog: CatalogStore) -> tuple[Inbox, Path]:
    inbox, catalog_db = edge_inbox(tmp_path)
    for envelope in envelopes(revision_messages(hub_catalog.revision("BIKE", 1))):
        inbox.receive(envelope)
    assert released_number(catalog_db) == 1
    return inbox, catalog_db


def corrupt(messages: list[tuple[str, str, dict[str, Any]]], index: int) -> list[tuple[str, str, dict[str, Any]]]:
    """The same messages with page ``index``'s data changed (still valid base64)."""
    changed = copy.deepcopy(messages)
    data = changed[index][2]["data"]
    changed[index][2]["data"] = ("A" if data[0] != "A" else "B") + data[1:]
    return changed


def test_a_missing_page_keeps_the_last_good_revision(tmp_path: Path, paged_catalog: CatalogStore,
                                                     big: Revision) -> None:
    inbox, catalog_db = keep_first_revision(tmp_path, paged_catalog)
    messages = revision_messages(big)
    for envelope in envelopes(messages[:3] + messages[4:], first_seq=2):  # catalog/BIKE had revision 1 as seq 1
        inbox.receive(envelope)
    assert released_number(catalog_db) == 1, "waits for page 3; sells revision 1 meanwhile"
    inbox.receive(envelopes([messages[3]], first_seq=2)[0])
    assert released_number(catalog_db) == big.number, "the late page completes it"


@pytest.mark.parametrize("manifest_first", [False, True])
def test_a_corrupt_page_is_refused_and_the_last_good_revision_stays(tmp_path: Path, paged_catalog: CatalogStore,
                                                                    big: Revision, manifest_first: bool) -> None:
    inbox, catalog_db = keep_first_revision(tmp_path, paged_catalog)
    messages = corrupt(revision_messages(big), 2)
    if manifest_first:
        messages = messages[-1:] + messages[:-1]
    for envelope in envelopes(messages, first_seq=2):
        inbox.receive(envelope)
    failures = inbox.failures()
    assert len(failures) == 1 and "page part 2 does not match its hash" in failures[0]["error"], failures
    assert failures[0]["error"].startswith("CatalogError")
    assert released_number(catalog_db) == 1
    for envelope in envelopes(revision_messages(big), first_seq=3):  # the hub publishes it again, intact
        inbox.receive(envelope)
    assert released_number(catalog_db) == big.number


def test_a_manifest_for_something_else_is_refused(tmp_path: Path, big: Revision) -> None:
    inbox, catalog_db = edge_inbox(tmp_path)
    *pages, (stream, _, manifest) = revision_messages(big)
    inbox.receive(envelopes([(stream, MANIFEST, {**manifest, "type": "order.placed"})])[0])
    inbox.receive(envelopes([(stream, MANIFEST, {"paged_id": "BIKE@2:x"})], first_seq=2)[0])
    errors = [f["error"] for f in inbox.failures()]
    assert "carries 'order.placed'" in errors[0] and "'type' is missing" in errors[1], errors
    assert released_number(catalog_db) is None


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.broker
def test_a_revision_over_a_mebibyte_reaches_a_live_and_a_late_kiosk_through_mosquitto(
        tmp_path: Path, mosquitto_factory: Any) -> None:
    broker = mosquitto_factory("limited", message_size_limit=MAX_PAYLOAD_BYTES).start()  # 256 KiB per message
    hub_catalog = released_catalog(tmp_path / "catalog.db")
    hub = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=broker.port,
                               devices=["kiosk-1", "kiosk-2"], tick_seconds=0.2)).start()
    syncs: list[EdgeSync] = []
    try:
        assert hub.wait_ready(20)

        def edge(name: str) -> Path:
            store = Store(tmp_path / f"{name}.db", device_id=name)
            sync = EdgeSync(store, site="demo", port=broker.port, streams=["catalog/#"])
            follow_catalog(sync.inbox, tmp_path / f"{name}-catalog.db")
            syncs.append(sync.start())
            return tmp_path / f"{name}-catalog.db"

        live = edge("kiosk-1")
        assert wait_for(lambda: released_number(live) == 1)
        revision = big_revision(hub_catalog, tmp_path)
        assert len(canonical(revision)) > 1024 * 1024
        assert hub.publish_catalog() == 1
        assert wait_for(lambda: released_number(live) == revision.number)
        late = edge("kiosk-2")  # joins after: only the retained pages and manifest are there for it
        assert wait_for(lambda: released_number(late) == revision.number)
        for catalog_db in (live, late):
            stored = CatalogStore(catalog_db).latest_released("BIKE")
            assert stored.content_hash == revision.content_hash and stored.product() == revision.product()
        assert [s.inbox.failures() for s in syncs] == [[], []]
    finally:
        for sync in syncs:
            sync.stop()
        hub.stop()


@pytest.mark.broker
def test_a_corrupt_page_through_mosquitto_keeps_the_last_good_revision(tmp_path: Path, mosquitto: Any) -> None:
    hub_catalog = released_catalog(tmp_path / "catalog.db")
    hub = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=mosquitto.port,
                               devices=["kiosk-1"], tick_seconds=0.2)).start()
    store = Store(tmp_path / "kiosk.db", device_id="kiosk-1")
    sync = EdgeSync(store, site="demo", port=mosquitto.port, streams=["catalog/#"])
    follow_catalog(sync.inbox, tmp_path / "kiosk-catalog.db")
    try:
        assert hub.wait_ready(20)
        sync.start()
        local = tmp_path / "kiosk-catalog.db"
        assert wait_for(lambda: released_number(local) == 1), str(sync.inbox.failures())
        draft = tmp_path / "unreleased"
        draft.mkdir()
        revision = big_revision(hub_catalog, draft, release=False)  # the hub must not publish it intact by itself
        with hub.store.transaction("publishing a damaged revision") as tx:
            for stream, type_, body in corrupt(revision_messages(revision), 1):
                hub._write_down(tx, stream, type_, body, True)
        assert wait_for(lambda: bool(sync.inbox.failures()))
        assert "page part 1 does not match its hash" in sync.inbox.failures()[0]["error"]
        time.sleep(0.5)
        assert released_number(local) == 1, "the kiosk keeps selling the last good revision"
    finally:
        sync.stop()
        hub.stop()


def test_pages_left_on_the_broker_by_an_older_revision_are_not_kept(tmp_path: Path, big: Revision) -> None:
    inbox, catalog_db = edge_inbox(tmp_path)
    messages = revision_messages(big)
    for envelope in envelopes(messages):
        inbox.receive(envelope)
    assert released_number(catalog_db) == big.number
    stale = envelopes(messages[:2], first_seq=2)  # retained pages re-delivered after a reconnect
    for envelope in stale:
        inbox.receive(envelope)
    assert inbox.store.query("SELECT count(*) AS n FROM catalog_pages")[0]["n"] == 0
    assert inbox.failures() == []


def test_storing_one_products_revision_keeps_pages_staged_for_a_product_with_a_similar_code(
        tmp_path: Path, big: Revision) -> None:
    inbox, catalog_db = edge_inbox(tmp_path)
    others = ["bike@3:abc", "BIKEX@2:def"]  # another case; '_'/'%' were wildcards to LIKE
    with inbox.store.transaction() as tx:
        for paged_id in others:
            tx.execute("INSERT INTO catalog_pages VALUES (?, 0, 'x', '2026-11-25T10:00:00Z')", [paged_id])
    for envelope in envelopes(revision_messages(big)):
        inbox.receive(envelope)
    assert released_number(catalog_db) == big.number
    kept = [r["paged_id"] for r in inbox.store.query("SELECT paged_id FROM catalog_pages ORDER BY paged_id")]
    assert kept == sorted(others)
