"""Order numbers: made on the kiosk, kept by the hub, the name of every work order, fit for labels."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk.events import MemorySink, StoreSink
from kiosk.flow import KioskModel
from kiosk.receipt import receipt_lines
from sync import labels
from sync.errors import SettingsError
from sync.hub.core import HubCore
from sync.numbers import is_order_number, order_prefix
from sync.store import Outbox, Store
from tests.test_hub_core import MONDAY_8, Hub
from tests.test_kiosk_sync import SMALL, order_something


def test_a_kiosk_prefix_comes_from_the_setting_or_the_device_id() -> None:
    assert order_prefix("kiosk-1") == "K1"
    assert order_prefix("lobby-kiosk-12") == "L12"
    assert order_prefix("kiosk-1", "b2") == "B2", "the setting wins, read in upper case"
    hashed = order_prefix("lobby")
    assert hashed == order_prefix("lobby") and len(hashed) == 2 and hashed.isalpha() and not {"I", "O"} & set(hashed)
    with pytest.raises(SettingsError, match="order_prefix"):
        order_prefix("kiosk-1", "K-1")


def kiosk(store: Store, prefix: str = "K1") -> KioskModel:
    from kiosk.app import read_catalog

    catalog, _ = read_catalog(SMALL)
    assert catalog is not None
    return KioskModel(catalog, StoreSink(store), revisions={"BIKE": 1}, number_prefix=prefix)


def test_the_kiosk_numbers_its_orders_itself_and_never_repeats_one_across_restarts(tmp_path: Path) -> None:
    store = Store(tmp_path / "kiosk.db", device_id="kiosk-1")
    numbers = []
    for _ in range(2):
        model = kiosk(store)
        order_something(model)
        order = model.place_order()
        assert order is not None
        numbers.append(order.number)
        assert f"Order {order.number}" in receipt_lines(order, "en"), "the receipt prints the number"
    store.close()
    store = Store(tmp_path / "kiosk.db", device_id="kiosk-1")  # the next morning: the counter is in the store
    model = kiosk(store)
    order_something(model)
    order = model.place_order()
    assert order is not None
    numbers.append(order.number)
    assert numbers == ["K1-0001", "K1-0002", "K1-0003"]
    sent = [env.body["number"] for env in Outbox(store).after(0, 100) if env.type == "order.placed"]
    assert sent == numbers, "what goes to the hub is what the receipt says"
    store.close()


def test_memory_kiosks_number_too() -> None:
    from kiosk.app import read_catalog

    catalog, _ = read_catalog(SMALL)
    model = KioskModel(catalog, MemorySink(), number_prefix="D")
    order_something(model)
    order = model.place_order()
    assert order is not None and order.number == "D-0001"


def test_the_hub_keeps_the_receipt_number_and_names_every_work_order_after_it(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    result = hub.order("56336fe2-6246-4c2e-9d3b-6f1d2a7c9e02", number="K1-0042", colour="red")
    assert result["number"] == "K1-0042"
    assert sorted(result["work_orders"]) == [f"K1-0042-{n:02d}" for n in range(1, len(result["work_orders"]) + 1)]
    for wo in result["work_orders"]:
        for op in (None, 10, 9999):
            text = labels.format(labels.WorkOrderLabel(wo, op))  # raised "malformed" for <UUID>-01
            assert labels.parse(text) == labels.WorkOrderLabel(wo, op)
    released = [body for _, type_, body in hub.published if type_ == "workorder.released"]
    assert {b["order_number"] for b in released} == {"K1-0042"}, "stations and travelers show the order's number"
    assert hub.core.order_id_for("k1-0042") == "56336fe2-6246-4c2e-9d3b-6f1d2a7c9e02"
    assert [p.number for p in hub.core.orders_progress(MONDAY_8)] == ["K1-0042"]
    hub.store.close()


def test_an_order_without_a_usable_number_gets_the_hubs_own(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    assert hub.order("O1")["number"] == "H-0001"
    assert hub.order("O2", number="56336FE2")["number"] == "H-0002", "an old kiosk's receipt code is not a number"
    assert hub.order("O3", number="K1-0001")["number"] == "K1-0001"
    assert is_order_number(hub.order("O1")["number"]) and hub.order("O1")["duplicate"]
    hub.store.close()


def test_two_kiosks_with_one_prefix_cannot_share_a_number(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    first = hub.order("O1", number="K1-0001", device="kiosk-1")
    second = hub.order("O2", number="K1-0001", device="kitchen-1")  # also "K1": first letter and digits
    assert first["number"] == "K1-0001" and second["number"] == "H-0002"
    assert not set(first["work_orders"]) & set(second["work_orders"])
    alert = hub.store.query("SELECT * FROM alerts WHERE kind = 'order_number'")
    assert len(alert) == 1 and "kitchen-1" in alert[0]["message"] and "kiosk.order_prefix" in alert[0]["message"]
    again = hub.order("O2", number="K1-0001", device="kitchen-1")
    assert again["number"] == "H-0002" and again["duplicate"], "the same order sent again keeps its number"
    hub.store.close()


def test_a_hub_database_from_before_numbers_is_migrated(tmp_path: Path) -> None:
    """Make the old schema for real (UUID-named work orders, no number column), then open it."""
    hub = Hub(tmp_path)
    old_id = "56336fe2-6246-4c2e-9d3b-6f1d2a7c9e02"
    kiosk_order = hub.order(old_id, number="K1-0007", colour="red")
    legacy = hub.order("9a1b7c3d-0000-4000-8000-000000000001", number="9A1B7C3D")  # a receipt code of the old kiosk
    wo = kiosk_order["work_orders"][-1]
    hub.op("op.started", wo, 10, MONDAY_8 + timedelta(hours=2), override_by="S-0001")  # its parts are not made
    db = hub.store.db
    renamed = {}
    for order_id, number in ((old_id, "K1-0007"), ("9a1b7c3d-0000-4000-8000-000000000001", legacy["number"])):
        for row in hub.store.query("SELECT id FROM work_orders WHERE order_id = ?", [order_id]):
            renamed[row["id"]] = row["id"].replace(number, order_id)
    with hub.store.transaction() as tx:
        for new, old in renamed.items():
            body = json.loads(tx.execute("SELECT body FROM work_orders WHERE id = ?", [new]).fetchone()[0])
            body["id"] = old
            del body["order_number"]
            tx.execute("UPDATE work_orders SET id = ?, body = ? WHERE id = ?", [old, json.dumps(body), new])
            tx.execute("UPDATE work_orders SET parent = ? WHERE parent = ?", [old, new])
            for table in ("wo_ops", "op_events", "requisitions"):
                tx.execute(f"UPDATE {table} SET work_order = ? WHERE work_order = ?", [old, new])
        for event_id, text in tx.execute("SELECT event_id, body FROM op_events").fetchall():
            body = json.loads(text)
            body["work_order"] = renamed[body["work_order"]]
            tx.execute("UPDATE op_events SET body = ? WHERE event_id = ?", [json.dumps(body), event_id])
        tx.execute("DROP INDEX orders_number")
        tx.execute("ALTER TABLE orders DROP COLUMN number")
        tx.execute("DROP TABLE work_order_renames")
        tx.execute("DELETE FROM schema_versions WHERE component = 'hub_numbers'")
    assert all(len(old) > 32 for old in renamed.values()), "the old names do not fit a label"
    del db
    hub.store.close()

    store = Store(tmp_path / "hub.db", device_id="hub", kind="hub")
    published: list[tuple[str, str, dict[str, Any]]] = []
    core = HubCore(store, hub.catalog,  # migrates, then replays the planner with the new names
                   publish=lambda tx, stream, type_, body, retain: published.append((stream, type_, body)))
    numbers = {r["order_id"]: r["number"] for r in store.query("SELECT order_id, number FROM orders")}
    assert numbers == {old_id: "K1-0007", "9a1b7c3d-0000-4000-8000-000000000001": "H-0002"}
    ids = {r["id"] for r in store.query("SELECT id FROM work_orders")}
    assert ids == set(renamed), "every work order is named after its order's number again"
    for wo_id in ids:
        labels.format(labels.WorkOrderLabel(wo_id, 10))
    assert {r["work_order"] for r in store.query("SELECT work_order FROM op_events")} == {wo}
    bodies = [json.loads(r["body"]) for r in store.query("SELECT body FROM work_orders")]
    assert {b["id"] for b in bodies} == ids
    assert {w.id for w in core.planner.work_orders()} == ids, "the replayed plan uses the new names"
    running = [op for p in core.orders_progress(MONDAY_8 + timedelta(hours=3)) for w in p.work_orders
               for op in w.operations if op.state.status.value == "running"]
    assert [(op.planned.work_order, op.planned.op) for op in running] == [(wo, 10)], "the started operation kept its events"
    stations = {r["id"]: json.loads(r["stations"]) for r in store.query("SELECT id, stations FROM work_orders")}
    expected = []
    for new, old in renamed.items():  # in release order: each station drops the old copy, then gets the new one
        for st in stations[new]:
            expected += [(f"station/{st}", "workorder.cancelled", old), (f"station/{st}", "workorder.released", new)]
    sent = [(stream, type_, body["id"]) for stream, type_, body in published]
    assert sorted(sent) == sorted(expected)
    assert all(body["order_number"] for _, type_, body in published if type_ == "workorder.released")
    store.close()
    published.clear()
    store = Store(tmp_path / "hub.db", device_id="hub", kind="hub")
    HubCore(store, hub.catalog, publish=lambda tx, stream, type_, body, retain: published.append((stream, type_, body)))
    assert published == [], "sent once, not at every start"
    store.close()


def test_the_documented_work_order_label_is_what_format_prints() -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "labels.md").read_text(encoding="utf-8")
    printed = labels.format(labels.WorkOrderLabel("K1-0042-01", 20))
    assert f"`{printed}`" in docs


def test_a_reinstalled_kiosk_goes_on_from_the_highest_number_the_hub_has_seen(tmp_path: Path) -> None:
    from sync.planning.estimate import follow_capacity
    from sync.protocol.envelope import Envelope
    from sync.store import Inbox

    hub = Hub(tmp_path / "hub")
    hub.order("O1", number="K1-0041")
    hub.order("O2")  # H-0002
    snapshot = hub.core.capacity_snapshot(MONDAY_8)
    assert snapshot["order_numbers"] == {"K1": 41, "H": 2}
    hub.store.close()

    store = Store(tmp_path / "kiosk.db", device_id="kiosk-1")  # a wiped kiosk: its counter starts again
    inbox = Inbox(store)
    follow_capacity(store, inbox)
    inbox.receive(Envelope("cap-1", "hub", 1, MONDAY_8.isoformat(), "capacity.snapshot", snapshot, "kiosk/capacity"))
    model = kiosk(store)
    order_something(model)
    order = model.place_order()
    assert order is not None and order.number == "K1-0042", "not K1-0001, which the hub already has"
    store.close()
