"""The hub's stock ledger and requisition lifecycle (sync.hub.stock) on real SQLite files with an injected clock."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sync.hub.stock import StockError, on_hand, requisitions
from tests.test_hub_core import MONDAY_8, Hub

#: the small test catalog's stock (tests/catalogs/small/items.yaml), read by the test on its own
CATALOG_STOCK = {"RIM-26": 10.0, "RIM-28": 4.0, "SPOKE": 500.0, "BATT-S": 0.0, "BIKE": 0.0}


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    h = Hub(tmp_path)
    yield h
    h.store.close()


def _req(hub: Hub, item: str) -> dict:
    return next(r for r in requisitions(hub.store.query) if r["item"] == item)


def _ledger(hub: Hub) -> dict[str, float]:
    return on_hand(hub.store.query)


def test_every_movement_is_a_row_and_on_hand_is_their_sum_before_and_after_a_restart(hub: Hub) -> None:
    expected = dict(CATALOG_STOCK)  # this test's own arithmetic, movement by movement
    result = hub.order("O1")  # a black 28" bike with a small battery: BATT-S must be bought
    batt = _req(hub, "BATT-S")
    assert batt["status"] == "open" and batt["received"] == 0
    at = MONDAY_8 + timedelta(minutes=5)
    with hub.store.transaction() as tx:  # part of the batteries come first
        hub.core.inventory.receive(tx, batt["id"], 0.5, "gate", "first box", at)
    expected["BATT-S"] += 0.5
    assert _req(hub, "BATT-S")["status"] == "received" and _req(hub, "BATT-S")["received"] == 0.5
    with hub.store.transaction() as tx:  # the rest and one more than ordered
        done = hub.core.inventory.receive(tx, batt["id"], batt["qty"] - 0.5 + 1, "gate", "", at)
    expected["BATT-S"] += batt["qty"] - 0.5 + 1
    assert done["status"] == "closed" and len(done["movements"]) == 2, "the extra one is a movement of its own"
    with hub.store.transaction() as tx:
        hub.core.inventory.receive(tx, None, 20, "gate", "spare spokes", at, item="SPOKE")
        hub.core.inventory.count(tx, "RIM-26", 7, "ann", "cycle count", at)
    expected["SPOKE"] += 20
    expected["RIM-26"] = 7
    before_work = dict(expected)
    with pytest.raises(StockError, match="0 on hand") as refused, hub.store.transaction() as tx:
        hub.core.inventory.ship(tx, result["number"], "dock", "", at)
    assert refused.value.status == 409, "nothing made yet: nothing to ship"
    # the work orders run: each one's first operation issues its materials, its last brings its goods in
    materials = {}
    for row in hub.store.query("SELECT id, body FROM work_orders ORDER BY rowid"):
        body = json.loads(row["body"])
        materials[row["id"]] = [(m["item"], m["quantity"]) for m in body["materials"]]
    t = at
    for wo in result["work_orders"]:
        ops = [r["op"] for r in hub.store.query("SELECT op FROM wo_ops WHERE work_order = ? ORDER BY op", [wo])]
        for op in ops:
            t += timedelta(minutes=30)
            hub.op("op.started", wo, op, t)
            if hub.is_qc(wo, op):
                hub.op("qc.recorded", wo, op, t + timedelta(minutes=1), passed=True)
            qty = hub.store.query("SELECT qty FROM work_orders WHERE id = ?", [wo])[0]["qty"]
            hub.op("op.completed", wo, op, t + timedelta(minutes=20), good=int(qty), scrap=0)
        for item, qty in materials[wo]:
            expected[item] = expected.get(item, 0) - qty
        item, qty = hub.store.query("SELECT item, qty FROM work_orders WHERE id = ?", [wo])[0].values()
        expected[item] = expected.get(item, 0) + qty
    with hub.store.transaction() as tx:
        hub.core.inventory.ship(tx, result["number"], "dock", "", t + timedelta(hours=1))
    expected["BIKE"] -= 1
    ledger = _ledger(hub)
    for item, qty in expected.items():
        assert ledger.get(item, 0) == pytest.approx(qty), item
    kinds = {r["kind"] for r in hub.store.query("SELECT kind FROM stock_movements")}
    assert kinds == {"opening", "receipt", "issue", "finished", "shipment", "count"}
    assert all(r["by"] and r["reason"] and r["at"] for r in hub.store.query("SELECT * FROM stock_movements"))
    then = on_hand(hub.store.query, at=at + timedelta(minutes=1))  # as of before the work started
    for item, qty in before_work.items():
        assert then.get(item, 0) == pytest.approx(qty), item
    planner_before = dict(hub.core.planner.on_hand)
    hub.store.close()
    hub.open()
    assert _ledger(hub) == ledger
    assert hub.core.planner.on_hand == pytest.approx(planner_before), "the restarted planner nets the same stock"
    with pytest.raises(StockError, match="shipped already"), hub.store.transaction() as tx:
        hub.core.inventory.ship(tx, result["number"], "dock", "", t + timedelta(hours=2))


def test_the_ledger_is_append_only(hub: Hub) -> None:
    hub.order("O1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        hub.store.db.execute("UPDATE stock_movements SET qty = 99")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        hub.store.db.execute("DELETE FROM stock_movements")


def test_a_count_is_netted_by_the_planner_and_a_shortfall_raises_an_alert(hub: Hub) -> None:
    hub.order("O1")
    reserved = hub.core.planner.reserved["RIM-28"]
    assert reserved == 2
    with hub.store.transaction() as tx:
        hub.core.inventory.count(tx, "RIM-28", 1, "ann", "two were bent", MONDAY_8 + timedelta(minutes=1))
    assert hub.core.planner.on_hand["RIM-28"] == 1 == _ledger(hub)["RIM-28"]
    (alert,) = [a for a in hub.core.alerts.open_alerts() if a["kind"] == "stock_short"]
    assert "RIM-28" in alert["message"] and "1 fewer" in alert["message"]

    # the next order no longer finds rims in stock: it buys them
    hub.order("O2")
    assert any(r["item"] == "RIM-28" for r in requisitions(hub.store.query))


def test_a_later_confirmed_date_moves_the_promise_with_the_supplier_as_the_reason(hub: Hub) -> None:
    first = hub.order("O1")
    batt = _req(hub, "BATT-S")
    late = MONDAY_8 + timedelta(days=30)
    with hub.store.transaction() as tx:
        answer = hub.core.inventory.confirm(tx, batt["id"], "PO-778", "Shenzhen Cells", late, "buyer",
                                            MONDAY_8 + timedelta(minutes=2))
    assert answer["late"] and answer["orders_moved"] == [first["number"]]
    row = _req(hub, "BATT-S")
    assert (row["status"], row["po_number"], row["confirmed_supplier"]) == ("ordered", "PO-778", "Shenzhen Cells")
    order = hub.store.query("SELECT promise, promise_reason FROM orders")[0]
    assert order["promise"] > first["promise"] and order["promise"][:10] >= late.date().isoformat()
    assert "BATT-S from Shenzhen Cells" in order["promise_reason"]
    changed = [b for _, t, b in hub.published if t == "order.promise_changed"]
    assert changed and "Shenzhen Cells" in changed[-1]["reason"]
    # the alert carries the reason's facts: a Chinese board writes "BATT-S（Shenzhen Cells）于 … 到货" from them
    (alert,) = [json.loads(a["data"]) for a in hub.store.query("SELECT data FROM alerts WHERE kind = 'promise_later'")]
    why = alert["why"]
    assert (why["kind"], why["item"], why["supplier"], why["unit"]) == ("material", "BATT-S", "Shenzhen Cells", "days")
    assert why["until"][:10] == late.astimezone(hub.core.options.zone).date().isoformat()
    assert 0 < why["waited"] <= why["of"] and f"({why['waited']} of {why['of']} days)" in alert["reason"]
    # a restart waits for the same confirmed date
    hub.store.close()
    hub.open()
    with hub.store.transaction() as tx:  # any replan after the restart still waits for the confirmed batteries
        hub.core.inventory.count(tx, "SPOKE", 450, "ann", "", MONDAY_8 + timedelta(minutes=3))
    assert hub.store.query("SELECT promise FROM orders")[0]["promise"] == order["promise"]
    # received early in full: the promise comes back
    with hub.store.transaction() as tx:
        hub.core.inventory.receive(tx, batt["id"], batt["qty"], "gate", "", MONDAY_8 + timedelta(minutes=10))
    assert hub.store.query("SELECT promise FROM orders")[0]["promise"] < order["promise"]


@pytest.mark.parametrize("item, counted, message", [
    ("RIM-28", -1, "counted must be a finite non-negative number"),
    ("RIM-28", float("nan"), "finite"),
    ("RIM-28", "7", "counted must be a number"),
    ("RIM-99", 3, "unknown item 'RIM-99'"),
    ("", 3, "item must be a text"),
])
def test_hostile_counts_are_refused_with_the_field_and_change_nothing(hub: Hub, item: str, counted: object,
                                                                      message: str) -> None:
    hub.order("O1")
    before = _ledger(hub)
    with pytest.raises(StockError, match=message), hub.store.transaction() as tx:
        hub.core.inventory.count(tx, item, counted, "ann", "", MONDAY_8)
    assert _ledger(hub) == before


def test_a_cancelled_requisition_takes_no_receipt(hub: Hub) -> None:
    hub.order("O1")
    batt = _req(hub, "BATT-S")
    with hub.store.transaction() as tx:
        hub.core.inventory.cancel(tx, batt["id"], "buyer", "bought elsewhere", MONDAY_8)
    with pytest.raises(StockError, match="is cancelled") as refused, hub.store.transaction() as tx:
        hub.core.inventory.receive(tx, batt["id"], 1, "gate", "", MONDAY_8)
    assert refused.value.status == 409


def test_a_count_that_takes_promised_stock_buys_it_again_and_moves_the_promise(hub: Hub) -> None:
    first = hub.order("O1")
    reserved = hub.core.planner.reserved["SPOKE"]
    assert reserved > 30, "the wheels take their spokes from stock"
    with hub.store.transaction() as tx:
        hub.core.inventory.count(tx, "SPOKE", reserved - 30, "ann", "a box was empty", MONDAY_8 + timedelta(minutes=1))
    (bought,) = [r for r in hub.store.query("SELECT * FROM requisitions WHERE movement IS NOT NULL")]
    assert (bought["item"], bought["rebought"], bought["supplier"]) == ("SPOKE", 30, "Spokes Ltd")
    order = hub.store.query("SELECT promise, promise_reason FROM orders")[0]
    assert order["promise"][:10] > first["promise"][:10], "5 days' lead time for the spokes bought again"
    assert "SPOKE from Spokes Ltd" in order["promise_reason"]
    assert any(t == "order.promise_changed" for _, t, _ in hub.published)
    reserved_after = dict(hub.core.planner.reserved)
    hub.store.close()
    hub.open()
    assert hub.core.planner.reserved == pytest.approx(reserved_after), "a restart buys the same again"
    with hub.store.transaction() as tx:  # a replan after the restart still waits for the spokes
        hub.core.inventory.count(tx, "RIM-26", 10, "ann", "", MONDAY_8 + timedelta(minutes=2))
    assert hub.store.query("SELECT promise FROM orders")[0]["promise"] == order["promise"]


def test_a_cancelled_requisition_the_order_still_needs_is_bought_again_and_the_promise_moves(hub: Hub) -> None:
    for n in range(1, 7):
        hub.order(f"O{n}")  # the sixth bike's wheels wait for spokes bought from Spokes Ltd (5 days)
    spokes = _req(hub, "SPOKE")
    (o6,) = hub.store.query("SELECT number, promise FROM orders WHERE order_id = 'O6'")
    assert spokes["order_number"] == o6["number"]
    later = MONDAY_8 + timedelta(days=3)  # the supplier cannot deliver after all
    with hub.store.transaction() as tx:
        answer = hub.core.inventory.cancel(tx, spokes["id"], "buyer", "supplier out of stock", later)
    rows = {r["id"]: r for r in requisitions(hub.store.query) if r["item"] == "SPOKE"}
    new = rows[answer["replaced_by"]]
    assert rows[spokes["id"]]["status"] == "cancelled"
    assert (new["status"], new["qty"], new["work_order"]) == ("open", spokes["qty"], spokes["work_order"])
    lead = hub.core.planner.items["SPOKE"].lead_time_days
    assert lead > 0 and new["due_date"] == (later + timedelta(days=lead)).isoformat(), "a lead time from now"
    order = hub.store.query("SELECT promise, promise_reason FROM orders WHERE order_id = 'O6'")[0]
    assert order["promise"][:10] > o6["promise"][:10] and "SPOKE" in order["promise_reason"]
    assert o6["number"] in {a["subject"] for a in hub.store.query("SELECT subject FROM alerts WHERE kind = 'promise_later'")}
    # a restart plans with the replacement as the live hub does
    hub.store.close()
    hub.open()
    with hub.store.transaction() as tx:  # any replan after the restart
        hub.core.inventory.count(tx, "RIM-26", 10, "ann", "", later + timedelta(minutes=1))
    assert hub.store.query("SELECT promise FROM orders WHERE order_id = 'O6'")[0]["promise"] == order["promise"]
    # the replacement comes in early: the promise comes back
    with hub.store.transaction() as tx:
        hub.core.inventory.receive(tx, new["id"], new["qty"], "gate", "", later + timedelta(hours=2))
    assert hub.store.query("SELECT promise FROM orders WHERE order_id = 'O6'")[0]["promise"] < order["promise"]


def test_a_cancelled_requisition_nothing_waits_for_is_not_bought_again(hub: Hub) -> None:
    hub.order("O1")
    batt = _req(hub, "BATT-S")
    with hub.store.transaction() as tx:
        hub.core.on_order_cancelled(tx, "ev-cancel", {"order_id": "O1"}, MONDAY_8 + timedelta(minutes=5))
    with hub.store.transaction() as tx:
        answer = hub.core.inventory.cancel(tx, batt["id"], "buyer", "order cancelled", MONDAY_8 + timedelta(hours=1))
    assert answer["replaced_by"] is None
    assert [r["status"] for r in requisitions(hub.store.query) if r["item"] == "BATT-S"] == ["cancelled"]
def test_a_cancelled_requisition_is_bought_again_and_the_promise_moves_to_the_new_lead_time(hub: Hub) -> None:
    first = hub.order("O1")
    reserved = hub.core.planner.reserved["SPOKE"]
    with hub.store.transaction() as tx:  # spokes short: the order buys 30 again, due in 5 days
        hub.core.inventory.count(tx, "SPOKE", reserved - 30, "ann", "a box was empty", MONDAY_8 + timedelta(minutes=1))
    (spokes,) = hub.store.query("SELECT * FROM requisitions WHERE movement IS NOT NULL")
    waiting = hub.store.query("SELECT promise FROM orders")[0]["promise"]
    cancelled_at = MONDAY_8 + timedelta(days=4)  # Friday: bought again, the spokes come on Wednesday
    hub.published.clear()
    with hub.store.transaction() as tx:
        answer = hub.core.inventory.cancel(tx, spokes["id"], "buyer", "supplier gone", cancelled_at)
    (again,) = hub.store.query("SELECT * FROM requisitions WHERE replaces = ?", [spokes["id"]])
    assert answer["requisitions_raised"] == [again["id"]] and answer["orders_moved"] == [first["number"]]
    assert (again["item"], again["status"], again["work_order"]) == ("SPOKE", "open", spokes["work_order"])
    assert again["qty"] >= 30, "the 30 the order needs (and the safety stock the count left short)"
    assert again["due_date"][:10] == (cancelled_at + timedelta(days=5)).date().isoformat()
    order = hub.store.query("SELECT promise, promise_reason FROM orders")[0]
    assert order["promise"][:10] >= again["due_date"][:10] > waiting[:10], "five days' lead time from the cancel"
    assert "SPOKE from Spokes Ltd" in order["promise_reason"]
    assert any(t == "order.promise_changed" for _, t, _ in hub.published)
    assert _req(hub, "SPOKE")["status"] == "cancelled"
    reserved_after, promise_after = dict(hub.core.planner.reserved), hub.core.planner.plans[first["order_id"]].promise
    hub.store.close()
    hub.open()
    assert hub.core.planner.reserved == pytest.approx(reserved_after)
    assert hub.core.planner.plans[first["order_id"]].promise == promise_after, "a restart withdraws it again"
    with hub.store.transaction() as tx:  # a replan after the restart still waits for the new spokes
        hub.core.inventory.count(tx, "RIM-26", 10, "ann", "", cancelled_at + timedelta(minutes=1))
    assert hub.store.query("SELECT promise FROM orders")[0]["promise"] == order["promise"]


def test_a_cancelled_requisition_lets_its_order_take_what_a_cancelled_order_no_longer_needs(hub: Hub) -> None:
    first = hub.order("O1")
    batt = _req(hub, "BATT-S")
    late = MONDAY_8 + timedelta(days=30)
    with hub.store.transaction() as tx:  # the supplier confirms the first battery a month out
        hub.core.inventory.confirm(tx, batt["id"], "PO-1", "Cells Inc", late, "buyer", MONDAY_8 + timedelta(minutes=1))
    second = hub.order("O2", MONDAY_8 + timedelta(minutes=2))
    (other,) = [r for r in requisitions(hub.store.query) if r["order_id"] == second["order_id"] and r["item"] == "BATT-S"]
    with hub.store.transaction() as tx:  # the second customer cancels: the battery bought for them is free
        hub.core.on_order_cancelled(tx, "ev-cancel", {"order_id": second["order_id"]}, MONDAY_8 + timedelta(minutes=3))
    waiting = hub.store.query("SELECT promise FROM orders WHERE order_id = ?", [first["order_id"]])[0]["promise"]
    assert waiting[:10] >= late.date().isoformat()
    with hub.store.transaction() as tx:
        answer = hub.core.inventory.cancel(tx, batt["id"], "buyer", "too late", MONDAY_8 + timedelta(minutes=4))
    assert answer["requisitions_raised"] == [], "the freed battery serves the first order: nothing bought again"
    assert answer["orders_moved"] == [first["number"]]
    promise = hub.store.query("SELECT promise FROM orders WHERE order_id = ?", [first["order_id"]])[0]["promise"]
    assert promise[:10] < late.date().isoformat(), "no longer waits for the month-late battery"
    assert other["status"] == "open"
    hub.store.close()
    hub.open()
    assert hub.core.planner.plans[first["order_id"]].promise.isoformat()[:10] == promise[:10]


def _spokes_needed(hub: Hub) -> float:
    """Spokes every work order of every order uses, read from what the stations were sent (not the planner)."""
    return sum(m["quantity"] for row in hub.store.query("SELECT body FROM work_orders")
               for m in json.loads(row["body"])["materials"] if m["item"] == "SPOKE")


def _spokes_still_bought(hub: Hub) -> float:
    """What open and ordered spoke requisitions still bring for orders: their quantity less what the hub said
    is surplus (requisition_surplus alerts)."""
    surplus: dict[int, float] = {}
    for a in hub.store.query("SELECT data FROM alerts WHERE kind = 'requisition_surplus'"):
        data = json.loads(a["data"])
        surplus[data["requisition"]] = surplus.get(data["requisition"], 0) + data["surplus"]
    return sum(r["qty"] - surplus.get(r["id"], 0) for r in requisitions(hub.store.query)
               if r["item"] == "SPOKE" and r["status"] in ("open", "ordered"))


def test_more_stock_than_expected_serves_the_orders_waiting_for_a_requisition_and_buys_less(hub: Hub) -> None:
    for n in range(1, 8):  # 400 spokes free above the safety stock of 100: the sixth and seventh bikes buy spokes
        hub.order(f"O{n}")
    safety = CATALOG_STOCK["SPOKE"] - 400
    o6, o7 = (_req_of(hub, "SPOKE", order) for order in ("O6", "O7"))
    assert _spokes_still_bought(hub) == _spokes_needed(hub) - (CATALOG_STOCK["SPOKE"] - safety) > 0
    with hub.store.transaction() as tx:  # the seventh's spokes are on a PO already
        hub.core.inventory.confirm(tx, o7["id"], "PO-9", "Spokes Ltd", MONDAY_8 + timedelta(days=5), "buyer",
                                   MONDAY_8 + timedelta(minutes=1))
    before = {oid: plan.promise for oid, plan in hub.core.planner.plans.items()}  # when each plan finishes
    found = 50  # a box nobody booked: enough for the sixth bike's 32, and 18 of the seventh's 72
    at = MONDAY_8 + timedelta(minutes=2)
    with hub.store.transaction() as tx:
        hub.core.inventory.count(tx, "SPOKE", CATALOG_STOCK["SPOKE"] + found, "ann", "found a box", at)
    on_shelf = _ledger(hub)["SPOKE"]
    assert _spokes_still_bought(hub) == pytest.approx(max(0.0, _spokes_needed(hub) - (on_shelf - safety)))
    assert _req_of(hub, "SPOKE", "O6")["status"] == "cancelled", "open, and nothing of it needed any more"
    assert _req_of(hub, "SPOKE", "O7")["qty"] == o7["qty"], "on a PO: it comes in full"
    (surplus,) = [a for a in hub.core.alerts.open_alerts() if a["kind"] == "requisition_surplus"]
    assert "PO-9" in surplus["message"] and "18 of" in surplus["message"]
    after = {oid: plan.promise for oid, plan in hub.core.planner.plans.items()}
    assert after["O6"].date() < before["O6"].date(), "the sixth bike no longer waits five days for spokes"
    assert after["O7"].date() == before["O7"].date(), "the seventh still waits for the rest of its spokes"
    with hub.store.transaction() as tx:  # more spokes delivered without a requisition: the seventh is served too
        hub.core.inventory.receive(tx, None, 60, "gate", "sample shipment", at + timedelta(minutes=1), item="SPOKE")
    on_shelf = _ledger(hub)["SPOKE"]
    assert _spokes_still_bought(hub) == pytest.approx(max(0.0, _spokes_needed(hub) - (on_shelf - safety))) == 0
    served = {r["order_id"]: r["promise"] for r in hub.store.query("SELECT order_id, promise FROM orders")}
    assert hub.core.planner.plans["O7"].promise.date() < before["O7"].date()
    reserved = dict(hub.core.planner.reserved)
    hub.store.close()
    hub.open()
    assert hub.core.planner.reserved == pytest.approx(reserved), "a restart serves the same orders from the stock"
    with hub.store.transaction() as tx:  # a replan after the restart keeps the earlier promises
        hub.core.inventory.count(tx, "RIM-26", 10, "ann", "", at + timedelta(minutes=5))
    assert {r["order_id"]: r["promise"] for r in hub.store.query("SELECT order_id, promise FROM orders")} == served


def _req_of(hub: Hub, item: str, order_id: str) -> dict:
    return next(r for r in requisitions(hub.store.query, order_id=order_id)
                if r["item"] == item)


def test_a_work_order_whose_bought_parts_are_not_in_waits_for_the_receipt_at_the_station_and_the_hub(hub: Hub) -> None:
    """Found on the live demo: the scripted kitting station built the drive kit at once although its motor was
    still to be bought (due in five weeks); a late confirmation then moved nothing, the kit being done."""
    from sync.errors import StationError
    from sync.station.rules import OperationFacts, check_sequence, materials_open
    from sync.station.workorders import RoutedWorkOrder

    hub.order("O1")  # its small battery (BATT-S) is not in stock: bought for the work order that fits it
    batt = _req(hub, "BATT-S")
    wo_id = batt["work_order"]
    body = json.loads(hub.store.query("SELECT body FROM work_orders WHERE id = ?", [wo_id])[0]["body"])
    bought = [r for r in requisitions(hub.store.query) if r["work_order"] == wo_id]
    expected = {r["item"]: r["due_date"][:10] for r in bought}  # the catalog's lead times from Monday 8:00
    assert "BATT-S" in expected and body["awaiting"] == expected, "released with what it waits for"
    wo = RoutedWorkOrder.from_body(body)
    first = wo.operations[0]
    assert f"BATT-S (due {expected['BATT-S']})" in materials_open(wo, first)
    assert not materials_open(wo, wo.operations[-1]), "later operations wait for their predecessor only"
    with hub.store.transaction() as tx:  # what the parts of the bike need comes in first
        for req in requisitions(hub.store.query):
            if req["work_order"] != wo_id:
                hub.core.inventory.receive(tx, req["id"], req["qty"], "gate", "", MONDAY_8 - timedelta(hours=5))
    at = hub.build_parts(wo_id) + timedelta(minutes=1)
    facts = OperationFacts(wo_id, first.number, waits_for_material=materials_open(wo, first))
    with pytest.raises(StationError, match="waits for bought parts not in yet: .*BATT-S") as refused:
        check_sequence(facts)  # the stations' rule (terminal and scripted stations apply it before a start)
    assert refused.value.overridable, "a supervisor may let it start (the parts are at hand, not yet booked)"
    # the goods come in, one requisition at a time: the stations are told each time
    hub.published.clear()
    for i, req in enumerate(bought):
        with hub.store.transaction() as tx:
            hub.core.inventory.receive(tx, req["id"], req["qty"], "gate", "", at + timedelta(seconds=i + 1))
        sent = [b for stream, _t, b in hub.published if stream.startswith("station/") and b.get("id") == wo_id]
        left = {r["item"]: r["due_date"][:10] for r in bought[i + 1:]}
        assert sent and sent[-1]["awaiting"] == left, "each receipt reaches the stations of the work order"
    assert hub.op("op.started", wo_id, first.number, at + timedelta(minutes=2)) is not None
    # a partial receipt keeps it waiting for the rest, with the date the supplier confirmed
    hub.order("O2")
    second = [r for r in requisitions(hub.store.query) if r["item"] == "BATT-S" and r["status"] == "open"][0]
    with hub.store.transaction() as tx:
        hub.core.inventory.confirm(tx, second["id"], "PO-9", "Shenzhen Cells", MONDAY_8 + timedelta(days=40), "buyer",
                                   at + timedelta(minutes=3))
        hub.core.inventory.receive(tx, second["id"], second["qty"] / 2, "gate", "", at + timedelta(minutes=4))
    (row,) = hub.store.query("SELECT body FROM work_orders WHERE id = ?", [second["work_order"]])
    assert json.loads(row["body"])["awaiting"]["BATT-S"] == (MONDAY_8 + timedelta(days=40)).date().isoformat()


def test_a_supplier_confirmed_for_one_requisition_is_named_only_for_the_orders_it_brings_parts_to(hub: Hub) -> None:
    """A purchaser's review: confirming one order's requisition with another supplier renamed the supplier in
    every order's reason that waits for the item ('MOTOR-MID-85 from Tokai' on an order whose own PO was
    confirmed by another supplier): the planner held one supplier per item."""
    hub.order("O1")
    hub.order("O2")
    first, second = _req_of(hub, "BATT-S", "O1"), _req_of(hub, "BATT-S", "O2")
    assert first["id"] != second["id"], "each order buys its own battery"
    with hub.store.transaction() as tx:
        hub.core.inventory.confirm(tx, second["id"], "PO-2", "Shenzhen Cells", MONDAY_8 + timedelta(days=40), "buyer",
                                   MONDAY_8 + timedelta(minutes=1))
        hub.core.inventory.confirm(tx, first["id"], "PO-1", "Tokai Cells", MONDAY_8 + timedelta(days=30), "buyer",
                                   MONDAY_8 + timedelta(minutes=2))

    def reasons() -> dict[str, str]:
        return {r["order_id"]: r["promise_reason"] for r in hub.store.query("SELECT order_id, promise_reason FROM orders")}

    live = reasons()
    assert "BATT-S from Tokai Cells" in live["O1"] and "BATT-S from Shenzhen Cells" in live["O2"], live
    hub.store.close()  # a restart names the same suppliers
    hub.open()
    with hub.store.transaction() as tx:
        hub.core.inventory.count(tx, "SPOKE", 450, "ann", "", MONDAY_8 + timedelta(minutes=3))
    assert reasons() == live


def test_a_shortfall_names_the_orders_it_was_promised_to_also_when_they_buy_it_all_again(hub: Hub) -> None:
    """Seen on the live demo: a shelf counted empty raised "1 fewer than orders - were promised", because the
    orders were named after the rebuy had taken their reservations."""
    hub.order("O1")
    with hub.store.transaction() as tx:
        hub.core.inventory.count(tx, "RIM-28", 0, "ann", "shelf empty", MONDAY_8 + timedelta(minutes=1))
    (alert,) = [a for a in hub.core.alerts.open_alerts() if a["kind"] == "stock_short"]
    number = hub.store.query("SELECT number FROM orders WHERE order_id = 'O1'")[0]["number"]
    assert f"orders {number} were promised" in alert["message"], alert["message"]
    assert _req_of(hub, "RIM-28", "O1")["qty"] == 2, "and it buys them again"



def test_a_second_move_replaces_an_alert_nobody_took_on_and_says_the_date_the_customer_holds(hub: Hub) -> None:
    """Seen on the live demo: a count and a late confirmation moved K1-0001 twice; two alerts stood, the first
    ('Tue 22 Dec instead of Mon 14 Dec') already wrong, the second ('Mon 11 Jan instead of Tue 22 Dec') naming a
    date nobody had told the customer."""
    first = hub.order("O1")
    promised = datetime.fromisoformat(first["promise"]).date()
    batt = _req(hub, "BATT-S")
    for n, days in ((1, 20), (2, 40)):
        with hub.store.transaction() as tx:
            hub.core.inventory.confirm(tx, batt["id"], f"PO-{n}", "Shenzhen Cells", MONDAY_8 + timedelta(days=days),
                                       "buyer", MONDAY_8 + timedelta(minutes=n))
    alerts = hub.store.query("SELECT state, resolved_by, data FROM alerts WHERE kind = 'promise_later' ORDER BY id")
    assert [(a["state"], a["resolved_by"]) for a in alerts] == [("resolved", "superseded"), ("raised", None)]
    latest = json.loads(alerts[-1]["data"])
    assert datetime.fromisoformat(latest["was"]).date() == promised, "the date the customer was told"
    assert latest["promise"][:10] >= (MONDAY_8 + timedelta(days=40)).date().isoformat()
    # once someone took it on (and told the customer), the next move starts from the date they gave
    (open_alert,) = [a for a in hub.core.alerts.open_alerts() if a["kind"] == "promise_later"]
    hub.core.alerts.acknowledge(open_alert["id"], "Sam Supervisor", MONDAY_8 + timedelta(minutes=3))
    with hub.store.transaction() as tx:
        hub.core.inventory.confirm(tx, batt["id"], "PO-3", "Shenzhen Cells", MONDAY_8 + timedelta(days=60), "buyer",
                                   MONDAY_8 + timedelta(minutes=4))
    newest = json.loads(hub.store.query("SELECT data FROM alerts WHERE kind = 'promise_later' AND state = 'raised'")
                        [0]["data"])
    assert newest["was"] == latest["promise"]
    states = [a["state"] for a in hub.store.query("SELECT state FROM alerts WHERE kind = 'promise_later' ORDER BY id")]
    assert states == ["resolved", "acknowledged", "raised"], "the one someone took on stays theirs to close"
