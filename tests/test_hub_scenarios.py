"""The hub issue's scenarios on the demo catalog (assets/catalog), with an injected clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sync.catalog.store import CatalogStore
from sync.configurator.product import ProductConfigurator
from sync.demo import release_catalog
from sync.errors import FloorLinkError
from sync.hub.core import HubCore
from sync.store import Store

DEMO = Path(__file__).resolve().parent.parent / "assets" / "catalog"
MONDAY = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


class DemoHub:
    def __init__(self, folder: Path) -> None:
        release_catalog(DEMO, folder / "catalog.db")
        self.catalog = CatalogStore(folder / "catalog.db")
        self.revisions = self.catalog.released_products()
        self.store = Store(folder / "hub.db", device_id="hub", kind="hub")
        self.published: list[tuple[str, str, dict[str, Any]]] = []
        self.core = HubCore(self.store, self.catalog,
                            publish=lambda tx, stream, type_, body, retain: self.published.append((stream, type_, body)))
        self.n = 0

    def configuration(self, product: str, **choices: str) -> dict[str, str]:
        configurator = ProductConfigurator(self.revisions[product].product())
        for attribute, option in choices.items():
            configurator.choose(attribute, option)
        return configurator.complete()

    def order(self, product: str, config: dict[str, str] | None = None, now: datetime = MONDAY,
              revision: int | None = None) -> dict[str, Any]:
        self.n += 1
        body = {"order_id": f"D{self.n:04d}", "product": product,
                "revision": revision or self.revisions[product].number, "quantity": 1,
                "configuration": config or self.revisions[product].product().defaults()}
        with self.store.transaction() as tx:
            return self.core.on_order_placed(tx, f"ev-{self.n}", "kiosk-1", body, now)

    def build_up_to(self, wo: str, at: datetime, operation: int | None = None) -> datetime:
        """Make every part work order of ``wo`` (deepest first) and ``wo``'s steps before ``operation`` (all of them
        when None), each at its work centre's first station (an outsourced one at the station its parts come back
        to), so that ``operation`` may start; when the last step ended."""
        import json

        for part in self.store.query("SELECT id FROM work_orders WHERE parent = ? ORDER BY id", [wo]):
            at = self.build_up_to(part["id"], at)
        (row,) = self.store.query("SELECT body FROM work_orders WHERE id = ?", [wo])
        product = self.revisions[json.loads(row["body"])["product"]].product()
        ops = json.loads(row["body"])["operations"]
        for op in ops:
            if op["number"] == operation:
                break
            after = next((o for o in ops if o["predecessor"] == op["number"]), op)
            centre = product.work_centres.get(op["work_centre"])
            station = sorted(centre.stations if centre and centre.stations
                             else product.work_centres[after["work_centre"]].stations)[0]
            for type_, fields in (("op.started", {}), ("qc.recorded", {"passed": True}),
                                  ("op.completed", {"good": 1, "scrap": 0})):
                if type_ == "qc.recorded" and not op["qc"]:
                    continue
                at += timedelta(minutes=1)
                self.n += 1
                body = {"work_order": wo, "operation": op["number"], "at": at.isoformat(), "worker": "ann", **fields}
                with self.store.transaction() as tx:
                    self.core.on_op_event(tx, f"step-{self.n}", station, type_, body, at)
        return at

    def requisitions(self, order_id: str) -> list[dict[str, Any]]:
        return self.store.query("SELECT * FROM requisitions WHERE order_id = ?", [order_id])


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoHub]:
    h = DemoHub(tmp_path_factory.mktemp("demo-hub"))
    yield h
    h.store.close()
    h.catalog.close()


def test_a_default_city_bike_ships_from_the_shelf(hub: DemoHub) -> None:
    result = hub.order("CITY")
    assert result["ships_from_stock"] and result["work_orders"] == []
    assert result["promise_date"] == MONDAY.astimezone(hub.core.options.zone).date().isoformat()


def test_a_cargo_bike_is_built_and_its_frame_goes_out_for_powder_coating(hub: DemoHub) -> None:
    result = hub.order("CARGO")
    assert not result["ships_from_stock"] and len(result["work_orders"]) >= 4
    kinds = {r["kind"] for r in hub.requisitions(result["order_id"])}
    assert "subcontract" in kinds
    streams = {stream for stream, type_, _ in hub.published if type_ == "workorder.released"}
    assert {"station/st-weld-1", "station/st-assy-1"} <= streams
    # the coater has no station: the released step says so, and the stations it comes back to record it
    coating = {(op["work_centre"], op["outsourced"]) for _, type_, body in hub.published
               if type_ == "workorder.released" and body["order_id"] == result["order_id"] for op in body["operations"]}
    assert ("COAT", True) in coating and ("QC", False) in coating


def test_premium_parts_short_of_stock_raise_purchases_and_name_the_material(hub: DemoHub) -> None:
    config = hub.configuration("MTB", motor="mid85", battery="b750")
    result = hub.order("MTB", config)
    purchases = {r["item"]: r for r in hub.requisitions(result["order_id"]) if r["kind"] == "purchase"}
    assert "BAT-750" in purchases and purchases["BAT-750"]["supplier"]
    # the reason names the part, its supplier, the day it arrives and how much of the wait it is
    assert result["reason"].startswith(f"BAT-750 from {purchases['BAT-750']['supplier']} arrives ")
    assert " of " in result["reason"] and "days)" in result["reason"]
    # the plan waits for the battery and the promise counts it: nothing for a supervisor to do yet
    assert not [a for a in hub.core.tick(MONDAY) if a["kind"] == "material_short"]
    due = datetime.fromisoformat(purchases["BAT-750"]["due_date"])
    short = [a for a in hub.core.tick(due + timedelta(days=1))  # due yesterday and not booked in
             if a["kind"] == "material_short" and "BAT-750" in a["message"]]
    assert short and short[0]["subject"] == purchases["BAT-750"]["work_order"]
    assert "not booked in" in short[0]["message"]


def test_a_full_work_centre_pushes_the_promise_of_later_orders(hub: DemoHub) -> None:
    config = hub.configuration("CARGO")
    dates = [hub.order("CARGO", config)["promise"] for _ in range(8)]
    assert dates == sorted(dates) and dates[-1] > dates[0]
    later = hub.order("CARGO", config)
    # what holds it longest: a booked centre, the coater, or (once the batteries run out) the parts
    assert any(word in later["reason"] for word in ("is booked until", "subcontractor", "arrives")), later["reason"]


def test_bad_input_is_rejected_with_a_reason_and_changes_nothing(hub: DemoHub) -> None:
    before = hub.store.query("SELECT COUNT(*) AS n FROM orders")[0]["n"]
    with pytest.raises(FloorLinkError, match="no revision CITY@99"):
        hub.order("CITY", revision=99)
    with pytest.raises(FloorLinkError, match="unknown work order"):
        with hub.store.transaction() as tx:
            hub.core.on_op_event(tx, "x1", "st-assy-1", "op.started",
                                 {"work_order": "NOPE-01", "operation": 10, "at": MONDAY.isoformat()}, MONDAY)
    assert hub.store.query("SELECT COUNT(*) AS n FROM orders")[0]["n"] == before


def test_overrun_fires_past_the_threshold_while_running_on_a_demo_operation(hub: DemoHub) -> None:
    result = hub.order("CARGO", hub.configuration("CARGO"))
    row = hub.store.query("SELECT w.work_order, w.op, w.standard_seconds, w.work_centre FROM wo_ops w "
                          "WHERE w.work_order IN (SELECT id FROM work_orders WHERE order_id = ?) "
                          "AND w.outsourced = 0 ORDER BY w.planned_start LIMIT 1", [result["order_id"]])[0]
    threshold = float(hub.revisions["CARGO"].product().work_centres[row["work_centre"]].overrun_threshold)
    start = datetime(2026, 11, 23, 6, 0, tzinfo=UTC).astimezone(hub.core.options.zone).replace(hour=6)
    with hub.store.transaction() as tx:
        station = sorted(hub.revisions["CARGO"].product().work_centres[row["work_centre"]].stations)[0]
        hub.core.on_op_event(tx, "ov-1", station, "op.started", {"work_order": row["work_order"], "operation": row["op"],
                                                                 "at": start.isoformat(), "worker": "ann"}, start)
    standard = timedelta(seconds=row["standard_seconds"])
    early = [a for a in hub.core.tick(start + standard * (threshold - 0.02)) if a["kind"] == "overrun"]
    late = [a for a in hub.core.tick(start + standard * (threshold + 0.02)) if a["kind"] == "overrun"]
    assert early == [] and [a["subject"] for a in late] == [f"{row['work_order']}/{row['op']}"]


def test_the_hub_takes_an_outsourced_step_from_the_station_its_parts_come_back_to(hub: DemoHub) -> None:
    """No coater has a station: the next step's station records the coating (sync.station.rules.serves);
    a station of another work centre is refused as not routed."""
    import json

    from sync.errors import StationError

    result = hub.order("CARGO")
    found = []
    for row in hub.store.query("SELECT id, body FROM work_orders WHERE order_id = ?", [result["order_id"]]):
        ops = json.loads(row["body"])["operations"]
        for op in ops:
            after = next((o for o in ops if o["predecessor"] == op["number"]), None)
            if op["outsourced"] and after is not None:
                found.append((row["id"], op["number"], after["work_centre"]))
    assert found, "the cargo frame goes out for coating and comes back to one of our work centres"
    wo, number, back_to = found[0]
    centres = hub.revisions["CARGO"].product().work_centres
    receiving = sorted(centres[back_to].stations)[0]
    elsewhere = next(st for code, wc in centres.items() if code != back_to for st in wc.stations)
    start = hub.build_up_to(wo, MONDAY, number)
    body = {"work_order": wo, "operation": number, "at": start.isoformat(), "worker": "ann"}
    with pytest.raises(StationError) as refused, hub.store.transaction() as tx:
        hub.core.on_op_event(tx, "coat-1", elsewhere, "op.started", body, start)
    assert refused.value.code == "not_routed"
    with hub.store.transaction() as tx:
        hub.core.on_op_event(tx, "coat-2", receiving, "op.started", body, start)


def test_the_load_board_weighs_the_shops_own_centres_not_the_subcontractors(hub: DemoHub) -> None:
    from sync.hub.dashboard_feed import load

    hub.order("CARGO")  # its frame goes out to the powder coater
    now = MONDAY + timedelta(hours=2)
    board = load(hub.core, hub.core.orders_progress(now), now)
    assert "COAT" not in board, "the coater's 4 parallel jobs are not 64 hours a day of our capacity"
    assert {"WELD", "ASSY", "QC"} <= set(board) and board["WELD"]["week_capacity_min"] > 0
