"""The pictures a kiosk shows travel with the released revision: paged, hash-checked, sent and stored once."""

from __future__ import annotations

import hashlib
import random
import shutil
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from kiosk.catalog_source import read_source
from kiosk.status import read_status
from sync.catalog import load_catalog
from sync.catalog.distribution import (
    FILE,
    FILE_PAGE,
    FILES_PREFIX,
    MESSAGE,
    revision_messages,
    waiting_revisions,
)
from sync.catalog.store import CatalogStore, Revision
from sync.hub.service import HubConfig, HubService
from sync.protocol.envelope import MAX_PAYLOAD_BYTES
from tests.test_catalog_distribution import corrupt, edge_inbox, envelopes, released_number
from tests.test_hub_core import SMALL, released_catalog

PICTURE = "images/bike.svg"


def release(catalog: CatalogStore, number: int) -> Revision:
    for user, role in (("erin", "engineering"), ("mark", "marketing"), ("fay", "finance")):
        catalog.approve("BIKE", number, user, role)
    return catalog.release("BIKE", number, "fay")


def revision_with_picture(catalog: CatalogStore, tmp_path: Path, data: bytes) -> Revision:
    """A new released BIKE revision whose picture is ``data``."""
    draft = tmp_path / f"draft-{hashlib.sha256(data).hexdigest()[:8]}"
    shutil.copytree(SMALL, draft)
    (draft / PICTURE).write_bytes(data)
    revision = catalog.submit(load_catalog(draft), "BIKE", "erin")
    return release(catalog, revision.number)


def big_picture(size: int = 400_000) -> bytes:
    """Incompressible bytes, larger than three broker pages."""
    return random.Random(11).randbytes(size)


@pytest.fixture
def hub_catalog(tmp_path: Path) -> CatalogStore:
    return released_catalog(tmp_path / "hub-catalog.db")


def test_a_revision_carries_its_pictures_first_and_the_kiosk_shows_them_with_the_shops_name(
        tmp_path: Path, hub_catalog: CatalogStore) -> None:
    revision = hub_catalog.revision("BIKE", 1)
    data = (SMALL / PICTURE).read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    messages = revision_messages(revision, hub_catalog)
    assert [(stream, type_) for stream, type_, _ in messages] == [
        (f"catalog/files/{sha}/page/0", FILE_PAGE), (f"catalog/files/{sha}", FILE), ("catalog/BIKE", MESSAGE)]
    assert messages[-1][2]["images"] == {PICTURE: sha}
    inbox, catalog_db = edge_inbox(tmp_path)
    for envelope in envelopes(messages):
        inbox.receive(envelope)
    assert inbox.failures() == []
    assert CatalogStore(catalog_db).file(sha) == data
    catalog, numbers, problem = read_source(catalog_db)
    assert problem is None and catalog is not None and numbers == {"BIKE": 1}
    assert dict(catalog.name) == {"en": "Small test workshop", "zh_CN": "小测试工坊"}, "the shop's own name"
    shown = catalog.picture("BIKE", PICTURE)
    assert shown is not None and shown.read_bytes() == data


@pytest.mark.parametrize("order", ["as_sent", "manifest_first", "shuffled"])
def test_a_large_picture_is_paged_and_put_together_in_any_arrival_order(tmp_path: Path, hub_catalog: CatalogStore,
                                                                        order: str) -> None:
    data = big_picture()
    revision = revision_with_picture(hub_catalog, tmp_path, data)
    messages = revision_messages(revision, hub_catalog)
    pages = [m for m in messages if m[1] == FILE_PAGE]
    assert len(pages) >= 3
    for envelope in envelopes(messages):
        assert len(envelope.encode()) < MAX_PAYLOAD_BYTES, "every message fits the broker's limit"
    arriving = envelopes(messages)
    if order == "manifest_first":
        arriving = arriving[-2:] + arriving[:-2]  # the picture's manifest and the revision before its pages
    elif order == "shuffled":
        random.Random(3).shuffle(arriving)
    inbox, catalog_db = edge_inbox(tmp_path)
    for envelope in arriving:
        inbox.receive(envelope)
    assert inbox.failures() == []
    assert released_number(catalog_db) == revision.number
    catalog, _, _ = read_source(catalog_db)
    assert catalog is not None
    shown = catalog.picture("BIKE", PICTURE)
    assert shown is not None and shown.read_bytes() == data
    left = inbox.store.query("SELECT (SELECT count(*) FROM catalog_file_pages) + "
                             "(SELECT count(*) FROM catalog_waiting) AS n")[0]["n"]
    assert left == 0, "nothing stays staged"


def first_revision_on_edge(tmp_path: Path, hub_catalog: CatalogStore) -> tuple[Any, Path]:
    inbox, catalog_db = edge_inbox(tmp_path)
    for envelope in envelopes(revision_messages(hub_catalog.revision("BIKE", 1), hub_catalog)):
        inbox.receive(envelope)
    assert released_number(catalog_db) == 1
    return inbox, catalog_db


def test_a_missing_picture_page_keeps_the_last_good_revision_until_it_comes(tmp_path: Path,
                                                                            hub_catalog: CatalogStore) -> None:
    inbox, catalog_db = first_revision_on_edge(tmp_path, hub_catalog)
    revision = revision_with_picture(hub_catalog, tmp_path, big_picture())
    messages = revision_messages(revision, hub_catalog)
    held = next(i for i, m in enumerate(messages) if m[1] == FILE_PAGE and m[2]["index"] == 1)
    for envelope in envelopes(messages[:held] + messages[held + 1:], first_seq=2):
        inbox.receive(envelope)
    assert inbox.failures() == []
    assert released_number(catalog_db) == 1, "waits for its picture; sells revision 1 meanwhile"
    staff = read_status(inbox.store, None, UTC, {"BIKE": 1})
    assert staff.catalog_waiting == [("BIKE", revision.number)], "the staff panel says what waits"
    inbox.receive(envelopes([messages[held]], first_seq=2)[0])
    assert released_number(catalog_db) == revision.number, "the late page completes the picture and the revision"
    assert waiting_revisions(inbox.store) == []


@pytest.mark.parametrize("manifest_first", [False, True])
def test_a_corrupt_picture_page_is_refused_and_the_last_good_revision_stays(
        tmp_path: Path, hub_catalog: CatalogStore, manifest_first: bool, caplog: pytest.LogCaptureFixture) -> None:
    inbox, catalog_db = first_revision_on_edge(tmp_path, hub_catalog)
    revision = revision_with_picture(hub_catalog, tmp_path, big_picture())
    messages = revision_messages(revision, hub_catalog)
    bad = next(i for i, m in enumerate(messages) if m[1] == FILE_PAGE and m[2]["index"] == 2)
    damaged = corrupt(messages, bad)
    if manifest_first:
        damaged = damaged[-2:] + damaged[:-2]
    for envelope in envelopes(damaged, first_seq=2):
        inbox.receive(envelope)
    assert released_number(catalog_db) == 1, "the kiosk keeps selling revision 1 with its own picture"
    if manifest_first:  # the page is checked as it arrives after its manifest: refused and recorded
        errors = [f["error"] for f in inbox.failures()]
        assert any("page part 2 does not match its hash" in e for e in errors), errors
    else:  # pages first: checked when the manifest comes, dropped and logged
        assert "page 2 does not match its hash" in caplog.text
    for envelope in envelopes(messages, first_seq=3):  # the hub publishes it again, intact
        inbox.receive(envelope)
    assert released_number(catalog_db) == revision.number


def test_a_picture_that_does_not_match_the_revisions_hash_is_refused(tmp_path: Path,
                                                                     hub_catalog: CatalogStore) -> None:
    inbox, catalog_db = first_revision_on_edge(tmp_path, hub_catalog)
    revision = revision_with_picture(hub_catalog, tmp_path, b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    messages = revision_messages(revision, hub_catalog)
    stream, type_, body = messages[-1]
    old_sha = hashlib.sha256((SMALL / PICTURE).read_bytes()).hexdigest()
    swapped = (stream, type_, {**body, "images": {PICTURE: old_sha}})  # a picture the snapshot does not name
    for envelope in envelopes([swapped], first_seq=2):
        inbox.receive(envelope)
    errors = [f["error"] for f in inbox.failures()]
    assert len(errors) == 1 and "does not match the revision's file hash" in errors[0], errors
    assert released_number(catalog_db) == 1


def test_the_hub_sends_a_picture_once_whichever_revisions_show_it(tmp_path: Path,
                                                                  hub_catalog: CatalogStore) -> None:
    hub = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "hub-catalog.db", port=1))

    def sent(type_: str) -> list[str]:
        return [r["stream"] for r in hub.store.query("SELECT stream FROM down_log WHERE type = ? ORDER BY rowid",
                                                     [type_])]

    try:
        assert hub.publish_catalog() == 1
        assert len(sent(FILE)) == 1
        release(hub_catalog, 2)  # a new price, the same picture
        assert hub.publish_catalog() == 1
        assert len(sent(FILE)) == 1 and len(sent(FILE_PAGE)) == 1, "the picture is retained already"
        assert sent(MESSAGE) == ["catalog/BIKE", "catalog/BIKE"]
        inbox, catalog_db = edge_inbox(tmp_path)
        rows = hub.store.query("SELECT envelope FROM down_log ORDER BY rowid")
        from sync.protocol.envelope import decode

        for row in rows:
            inbox.receive(decode(row["envelope"].encode("utf-8"), where="test"))
        assert inbox.failures() == [] and released_number(catalog_db) == 2
        stored = CatalogStore(catalog_db).db.execute("SELECT count(*) FROM files").fetchone()[0]
        assert stored == 1, "one copy on the edge for both revisions"
    finally:
        hub.store.close()
        hub.catalog.close()


def test_the_kiosk_notices_a_release_while_another_program_holds_the_database_open(tmp_path: Path,
                                                                                   hub_catalog: CatalogStore) -> None:
    from kiosk.catalog_source import fingerprint

    held = CatalogStore(tmp_path / "hub-catalog.db")  # the hub keeps its connection: nothing checkpoints the log
    try:
        before = fingerprint(tmp_path / "hub-catalog.db")
        release(hub_catalog, 2)
        assert fingerprint(tmp_path / "hub-catalog.db") != before, "the watcher sees revision 2 and reloads"
    finally:
        held.close()


def test_a_picture_manifest_not_named_by_its_own_hash_is_refused(tmp_path: Path, hub_catalog: CatalogStore) -> None:
    inbox, catalog_db = edge_inbox(tmp_path)
    messages = revision_messages(hub_catalog.revision("BIKE", 1), hub_catalog)
    page, (stream, type_, manifest), revision = messages
    other = "0" * 64
    for envelope in envelopes([page, (FILES_PREFIX + other, type_, {**manifest, "paged_id": other}), revision]):
        inbox.receive(envelope)
    errors = [f["error"] for f in inbox.failures()]
    assert len(errors) == 1 and "not named by the picture's own hash" in errors[0], errors
    assert released_number(catalog_db) is None, "no revision without its picture"


def test_a_waiting_revision_that_can_never_be_stored_does_not_block_its_pictures(
        tmp_path: Path, hub_catalog: CatalogStore, caplog: pytest.LogCaptureFixture) -> None:
    inbox, catalog_db = edge_inbox(tmp_path)
    messages = revision_messages(hub_catalog.revision("BIKE", 1), hub_catalog)
    page, manifest, (stream, type_, body) = messages
    for envelope in envelopes([(stream, type_, body)]):  # the revision first: it waits for its picture
        inbox.receive(envelope)
    assert waiting_revisions(inbox.store) == [("BIKE", 1)]
    other = hub_catalog.revision("BIKE", 2)  # meanwhile another BIKE@1 reached this edge's database
    edge = CatalogStore(catalog_db)
    edge.keep_file((SMALL / PICTURE).read_bytes())
    from sync.catalog.distribution import store_released

    store_released(edge, {**revision_messages(other, hub_catalog)[-1][2], "number": 1})
    edge.db.execute("DELETE FROM files")
    edge.db.conn.commit()
    edge.close()
    for envelope in envelopes([page, manifest], first_seq=1):
        inbox.receive(envelope)
    assert inbox.failures() == [], "the picture itself is fine and is kept"
    assert waiting_revisions(inbox.store) == [] and "is refused" in caplog.text
    assert CatalogStore(catalog_db).file(hashlib.sha256((SMALL / PICTURE).read_bytes()).hexdigest()) is not None
