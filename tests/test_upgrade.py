"""Upgrades keep data: each node started on its database from the previous schema version migrates it in place.

The databases in tests/fixtures/previous_schema were made once by the code of commit 02f469c
(tests/fixtures/previous_schema/make.py: real Mosquitto, hub service, kiosk orders, station
operations). They are committed rather than rebuilt from that commit in each run because the point
is the files a shop has on disk today: a later refactor of the old code's entry points, a shallow
clone without that commit, or today's dependencies refusing yesterday's code must not change what
"the previous version's database" means. gzip keeps them small (~140 kB for all four).

Each test starts the node's own opening code on a copy (hub service against a real Mosquitto,
the kiosk's SyncLink, the station's ledger and sync), then checks the file has the same tables,
columns, indexes and schema versions as a database today's code makes from nothing, and that
every row the old version stored is still there with the same values.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "previous_schema"
SITE = "demo"

#: columns the running node itself moves on: same row, newer value (everything else must stay as it was)
LIVE_COLUMNS: dict[str, set[str]] = {
    "devices": {"last_seen_at"},  # the hub notes when a device was last heard
    "schema_versions": {"version"},  # what the migration moves on
}
#: counters the running node moves on: never backwards (a lower sequence would send a number twice)
COUNTERS: dict[str, set[str]] = {
    "sequences": {"last_seq"},  # an edge's outbox numbering (the station sends on start)
    "down_published": {"last_rowid"},  # the hub publisher's cursor over down_log
}


def unpack(name: str, folder: Path, as_name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (as_name or name)
    with gzip.open(FIXTURES / f"{name}.gz", "rb") as source, target.open("wb") as out:
        shutil.copyfileobj(source, out)
    return target


def read(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    return db


def shape(path: Path) -> dict[str, Any]:
    """Tables with their column sets, index names and schema versions: what a migration must reproduce."""
    with read(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                           "AND name NOT LIKE 'sqlite_%'")}
        versions = {r[0]: r[1] for r in db.execute("SELECT component, version FROM schema_versions")} \
            if "schema_versions" in tables else {}
        return {
            "columns": {t: sorted(r[1] for r in db.execute(f"PRAGMA table_info('{t}')")) for t in sorted(tables)},
            "indexes": sorted(r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                                       "AND name NOT LIKE 'sqlite_%'")),
            "versions": versions,
        }


def rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    with read(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                           "AND name NOT LIKE 'sqlite_%'")]
        return {t: [dict(r) for r in db.execute(f"SELECT * FROM '{t}'")] for t in tables}


def renames_in(path: Path) -> dict[str, str]:
    """Work orders the hub's numbers migration renamed (PREV-1-05 -> H-0001-05): the same row, a new name."""
    with read(path) as db:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'work_order_renames'").fetchone():
            return {}
        return {r[0]: r[1] for r in db.execute("SELECT old, new FROM work_order_renames")}


def same(old: Any, new: Any, renames: dict[str, str]) -> bool:
    """``new`` holds ``old`` (renamed work orders under their new name; JSON may have gained fields)."""
    if isinstance(old, str) and isinstance(new, str) and old[:1] in "{[" and new[:1] in "{[":
        try:
            old, new = json.loads(old), json.loads(new)
        except ValueError:
            pass
    if isinstance(old, dict) and isinstance(new, dict):
        return all(k in new and same(v, new[k], renames) for k, v in old.items())
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(same(a, b, renames) for a, b in zip(old, new, strict=True))
    return old == new or (isinstance(old, str) and renames.get(old) == new)


def assert_every_row_kept(before: dict[str, list[dict[str, Any]]], after_path: Path) -> int:
    """Every old row is still in its table with the values of its old columns (live columns aside)."""
    after = rows(after_path)
    renames = renames_in(after_path)
    lost: dict[str, list[dict[str, Any]]] = {}
    kept = 0
    for table, old_rows in before.items():
        live = LIVE_COLUMNS.get(table, set())
        counters = COUNTERS.get(table, set())
        new_rows = after.get(table, [])
        for old in old_rows:
            want = {k: v for k, v in old.items() if k not in live | counters}
            if any(all(k in new and same(v, new[k], renames) for k, v in want.items())
                   and all(new[c] >= old[c] for c in counters) for new in new_rows):
                kept += 1
            else:
                lost.setdefault(table, []).append(want)
    assert lost == {}, f"rows lost or changed by the upgrade: {lost}"
    return kept


def upgrade_and_compare(tmp_path: Path, name: str, open_node: Callable[[Path], None],
                        as_name: str | None = None) -> tuple[int, dict]:
    """Open the fixture and a fresh folder with the node's code; the two files must end up alike."""
    old = unpack(name, tmp_path / "old", as_name)
    before = rows(old)
    old_shape = shape(old)
    open_node(old.parent)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    if name == "hub.db":  # the hub's catalog database comes with it (the orders name its revisions)
        unpack("catalog.db", fresh)
    open_node(fresh)
    assert shape(old) == shape(fresh / old.name)
    kept = assert_every_row_kept(before, old)
    return kept, old_shape


def test_the_hub_migrates_its_previous_database_and_keeps_every_event(tmp_path: Path, mosquitto) -> None:
    from sync.hub.service import HubConfig, HubService

    unpack("catalog.db", tmp_path / "old")

    def open_hub(folder: Path) -> None:
        hub = HubService(HubConfig(db=folder / "hub.db", catalog_db=folder / "catalog.db", site=SITE,
                                   port=mosquitto.port, register_unknown_devices=True)).start()
        try:
            assert hub.wait_ready(30)
        finally:
            hub.stop()

    before = rows(unpack("hub.db", tmp_path / "probe"))
    kept, old_shape = upgrade_and_compare(tmp_path, "hub.db", open_hub)
    assert len(before["events"]) == 6 and {e["type"] for e in before["events"]} >= {"order.placed", "op.started"}
    assert kept >= len(before["events"])
    upgraded = shape(tmp_path / "old" / "hub.db")
    assert upgraded["versions"] != old_shape["versions"], "the fixture is not of an older schema: nothing migrated"
    with read(tmp_path / "old" / "hub.db") as db:  # the new order numbers reached the old orders
        assert all(r[0] for r in db.execute("SELECT number FROM orders")), "old orders got no order number"
    # the catalog database the hub opened is today's shape too
    assert_every_row_kept(rows(unpack("catalog.db", tmp_path / "probe")), tmp_path / "old" / "catalog.db")


def test_the_kiosk_migrates_its_previous_database_and_keeps_every_order(tmp_path: Path, mosquitto, qtbot) -> None:
    from kiosk.catalog_source import read_catalog
    from kiosk.events import StoreSink
    from kiosk.flow import KioskModel
    from kiosk.link import SyncLink
    from sync.settings import load
    from sync.store import Store

    catalog, _ = read_catalog(Path(__file__).parent / "catalogs" / "small")
    assert catalog is not None

    def open_kiosk(folder: Path) -> None:
        settings = load(environ={"FLOORLINK_NODE_DATA_DIR": str(folder), "FLOORLINK_NODE_DEVICE_ID": "kiosk-1",
                                 "FLOORLINK_NODE_SITE": SITE, "FLOORLINK_MQTT_PORT": str(mosquitto.port)})
        model = KioskModel(catalog, StoreSink(Store(folder / "unused.db", device_id="x")), revisions={"BIKE": 1})
        link = SyncLink.open(model, settings, folder).start()
        try:
            qtbot.waitUntil(lambda: link.edge.status().connected, timeout=20_000)
        finally:
            link.stop()

    before = rows(unpack("kiosk.db", tmp_path / "probe"))
    kept, old_shape = upgrade_and_compare(tmp_path, "kiosk.db", open_kiosk)
    assert len(before["acks"]) == 3 and kept >= 3
    assert shape(tmp_path / "old" / "kiosk.db")["versions"] != old_shape["versions"]


def test_the_station_migrates_its_previous_database_and_keeps_every_operation(tmp_path: Path, mosquitto) -> None:
    from sync.settings import load
    from sync.station.stored import open_ledger
    from terminal.app import start_sync

    def open_station(folder: Path) -> None:
        settings = load(environ={"FLOORLINK_NODE_DATA_DIR": str(folder), "FLOORLINK_NODE_DEVICE_ID": "st-kit-1",
                                 "FLOORLINK_NODE_SITE": SITE, "FLOORLINK_MQTT_PORT": str(mosquitto.port)})
        ledger = open_ledger(settings)
        sync = start_sync(settings, ledger)
        try:
            assert ledger.work_orders() is not None
        finally:
            sync.stop()
            ledger.store.close()

    before = rows(unpack("station.db", tmp_path / "probe"))
    kept, old_shape = upgrade_and_compare(tmp_path, "station.db", open_station, "st-kit-1.db")
    assert len(before["station_events"]) == 3 and len(before["acks"]) == 3 and kept >= 6
    # (the station's own tables did not change since 02f469c; the shape check above catches when they do)
