"""Planning behaviour on small hand-built structures (the demo-catalog scenarios live with the hub)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from sync.errors import PlanningError
from sync.planning import CentreSpec, ItemSpec, OpSpec, Planner, StructureNode
from sync.planning.timeline import add_working_minutes
from sync.station.calendar import Shift, WeeklyShifts

MONDAY_8 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
SHIFTS = WeeklyShifts((Shift(time(8), time(12)), Shift(time(13), time(17))), UTC)


def items(**overrides: ItemSpec) -> dict[str, ItemSpec]:
    base = {
        "BIKE": ItemSpec("BIKE", "finished", stock=1),
        "FRAME": ItemSpec("FRAME", "made"),
        "TUBE": ItemSpec("TUBE", "purchased", stock=10, safety_stock=2, lead_time_days=7, supplier="Alu Co"),
        "WHEEL": ItemSpec("WHEEL", "purchased", stock=100, lead_time_days=3, supplier="Wheels Ltd"),
    }
    base.update(overrides)
    return base


def centres(capacity: int = 1) -> dict[str, CentreSpec]:
    return {
        "WELD": CentreSpec("WELD", capacity, SHIFTS),
        "ASSY": CentreSpec("ASSY", capacity, SHIFTS),
        "COAT": CentreSpec("COAT", 99),
    }


def bike(tubes: float = 3, coat: bool = False) -> StructureNode:
    frame_routing = [OpSpec(10, "WELD", "WELD", setup_min=30, run_min=90)]
    if coat:
        frame_routing.append(OpSpec(20, "COAT", "COAT", 0, 0, outsourced=True, supplier="Shine", lead_time_days=4))
    frame = StructureNode("FRAME", 1, (StructureNode("TUBE", tubes),), tuple(frame_routing))
    return StructureNode("BIKE", 1, (frame, StructureNode("WHEEL", 2)),
                         (OpSpec(10, "ASSY", "ASSY", setup_min=10, run_min=50),))


def test_an_order_for_a_stocked_finished_item_ships_from_stock() -> None:
    planner = Planner(items(), centres())
    plan = planner.plan("O1", bike(), 1, MONDAY_8)
    assert plan.ships_from_stock and plan.reserved == {"BIKE": 1}
    assert plan.work_orders == [] and plan.promise == MONDAY_8
    second = planner.plan("O2", bike(), 1, MONDAY_8)
    assert not second.ships_from_stock, "the one bike in stock is reserved already"


def test_a_build_order_makes_work_orders_for_every_made_level_in_order() -> None:
    planner = Planner(items(), centres())
    plan = planner.plan("O1", bike(), 2, MONDAY_8, ship_from_stock=False)
    assert [wo.item for wo in plan.work_orders] == ["FRAME", "BIKE"]
    frame, top = plan.work_orders
    assert frame.parent == top.id and frame.qty == 2
    assert top.start >= frame.end, "assembly waits for the frames"
    # weld: 30 + 2*90 = 210 min from 08:00 -> 11:30; assembly 10 + 2*50 = 110 min: 11:30-12:00, 13:00-14:20
    assert frame.end == MONDAY_8.replace(hour=11, minute=30)
    assert top.end == MONDAY_8.replace(hour=14, minute=20)
    assert plan.promise == top.end and plan.reserved == {"TUBE": 6, "WHEEL": 4}


def test_a_shortage_raises_a_purchase_requisition_and_the_material_decides_the_promise() -> None:
    planner = Planner(items(), centres())
    plan = planner.plan("O1", bike(tubes=5), 2, MONDAY_8, ship_from_stock=False)
    purchase = [r for r in plan.requisitions if r.kind == "purchase"]
    assert len(purchase) == 1
    req = purchase[0]
    # 10 on hand, 2 safety stock: 8 usable, need 10 -> 2 short (safety stock stays untouched)
    assert (req.item, req.qty, req.supplier) == ("TUBE", 2, "Alu Co")
    assert req.due_date == MONDAY_8 + timedelta(days=7)
    assert plan.work_orders[0].start >= req.due_date
    assert "TUBE" in plan.reason


def test_stock_already_below_safety_stock_is_bought_back_up_once() -> None:
    planner = Planner(items(TUBE=ItemSpec("TUBE", "purchased", stock=1, safety_stock=4, lead_time_days=7,
                                          supplier="Alu Co")), centres())
    first = planner.plan("O1", bike(tubes=2), 1, MONDAY_8, ship_from_stock=False)
    second = planner.plan("O2", bike(tubes=2), 1, MONDAY_8, ship_from_stock=False)
    assert [r.qty for r in first.requisitions if r.kind == "purchase"] == [2 + 3]
    assert [r.qty for r in second.requisitions if r.kind == "purchase"] == [2]


def test_an_outsourced_operation_raises_a_subcontract_order_and_takes_its_lead_time() -> None:
    planner = Planner(items(), centres())
    plan = planner.plan("O1", bike(coat=True), 1, MONDAY_8, ship_from_stock=False)
    sub = [r for r in plan.requisitions if r.kind == "subcontract"]
    assert len(sub) == 1 and sub[0].supplier == "Shine" and sub[0].operation == 20
    assert sub[0].due_date - sub[0].need_date == timedelta(days=4)
    assert "Shine" in plan.reason


def test_a_full_work_centre_pushes_the_next_promise_and_says_so() -> None:
    planner = Planner(items(), centres(capacity=1))
    first = planner.plan("O1", bike(), 1, MONDAY_8, ship_from_stock=False)
    second = planner.plan("O2", bike(), 1, MONDAY_8, ship_from_stock=False)
    assert second.promise > first.promise
    assert "booked" in second.reason
    wider = Planner(items(), centres(capacity=2))
    wider.plan("O1", bike(), 1, MONDAY_8, ship_from_stock=False)
    assert wider.plan("O2", bike(), 1, MONDAY_8, ship_from_stock=False).promise == first.promise


def test_a_quote_books_nothing() -> None:
    planner = Planner(items(), centres())
    quote = planner.promise("Q", bike(), 1, MONDAY_8, ship_from_stock=False)
    plan = planner.plan("O1", bike(), 1, MONDAY_8, ship_from_stock=False)
    assert quote.promise == plan.promise and "Q" not in planner.plans


def test_cancelling_an_order_frees_its_stock_and_pulls_later_orders_in() -> None:
    planner = Planner(items(), centres())
    planner.plan("O1", bike(), 1, MONDAY_8, ship_from_stock=False)
    second = planner.plan("O2", bike(), 1, MONDAY_8, ship_from_stock=False)
    before = second.promise
    planner.cancel("O1", MONDAY_8)
    assert planner.plans["O2"].promise < before
    assert planner.reserved["TUBE"] == 3


def test_a_late_operation_pushes_what_follows_when_rescheduled() -> None:
    planner = Planner(items(), centres())
    plan = planner.plan("O1", bike(), 1, MONDAY_8, ship_from_stock=False)
    frame = plan.work_orders[0]
    on_time = plan.promise
    late = frame.end + timedelta(hours=3)
    planner.record_progress(frame.id, 10, started=MONDAY_8, finished=late)
    planner.reschedule(late)
    assert planner.plans["O1"].promise > on_time
    assert planner.plans["O1"].work_orders[0].operations[0].end == late


def test_working_minutes_skip_nights_weekends_and_breaks() -> None:
    friday_16 = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    # 60 min left on Friday, then Monday 08:00-12:00 (240) -> 300 min ends Monday 12:00
    assert add_working_minutes(SHIFTS, friday_16, 300) == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_unknown_items_and_bad_quantities_are_refused_with_a_reason() -> None:
    planner = Planner(items(), centres())
    with pytest.raises(PlanningError, match="unknown item NOPE"):
        planner.plan("O1", StructureNode("NOPE", 1), 1, MONDAY_8)
    with pytest.raises(PlanningError, match="quantity must be positive"):
        planner.plan("O2", bike(), 0, MONDAY_8)
    assert planner.plans == {} and planner.reserved == {}


def test_a_catalog_product_plans_through_its_resolved_structure() -> None:
    from pathlib import Path

    from sync.catalog.loader import load_catalog
    from sync.planning import from_catalog

    catalog = load_catalog(Path(__file__).parent / "catalogs" / "small")
    product = catalog.products["BIKE"]
    config = {**product.defaults(), "colour": "red", "wheel_size": "28"}
    tree = from_catalog.structure(product, config)
    assert [c.item for c in tree.children] == ["WHEEL-SET", "MOTOR-HUB", "BATT-S"]
    wheel = tree.children[0].children[0]
    assert wheel.item == "WHEEL" and [c.item for c in wheel.children] == ["RIM-28", "SPOKE"]
    assert [op.code for op in wheel.routing] == ["LACE", "COAT"], "red rims are powder coated"

    planner = Planner(from_catalog.items(product), from_catalog.centres(product, UTC))
    plan = planner.plan("O1", tree, 3, MONDAY_8)
    kinds = sorted((r.kind, r.item) for r in plan.requisitions)
    # 3 bikes x 2 wheels = 6 rims of 28", 4 in stock -> buy 2; batteries and motors have no stock
    assert ("purchase", "RIM-28") in kinds and ("subcontract", "WHEEL") in kinds
    rim = next(r for r in plan.requisitions if r.item == "RIM-28")
    assert rim.qty == 2 and rim.supplier == "Rims Co"
    assert {wo.item for wo in plan.work_orders} == {"BIKE", "WHEEL-SET", "WHEEL"}


def _overlaps(planner: Planner, centre: str) -> list[tuple[str, str]]:
    ops = sorted((op.start, op.end, f"{op.work_order}/{op.op}") for wo in planner.work_orders()
                 for op in wo.operations if op.work_centre == centre)
    return [(a[2], b[2]) for a, b in zip(ops, ops[1:], strict=False) if b[0] < a[1]]


def test_a_later_order_fills_an_earlier_gap_without_moving_the_first_promise() -> None:
    # O1's frame waits a week for a bought gusset, so the weld centre is free until then; O2 needs none.
    plain = bike()
    frame = plain.children[0]
    gusseted = StructureNode("BIKE", 1, (StructureNode("FRAME", 1, (*frame.children, StructureNode("GUSSET", 1)),
                                                       frame.routing), *plain.children[1:]), plain.routing)
    for scheduling, fills_gap in (("insert", True), ("forward", False)):
        planner = Planner(items(GUSSET=ItemSpec("GUSSET", "purchased", lead_time_days=7, supplier="Alu Co")),
                          centres(), scheduling=scheduling)
        first = planner.plan("O1", gusseted, 1, MONDAY_8, ship_from_stock=False)
        promised = first.promise
        second = planner.plan("O2", plain, 1, MONDAY_8 + timedelta(hours=1), ship_from_stock=False)
        assert planner.plans["O1"].promise == promised, "a new order never moves an earlier promise"
        assert (second.promise < promised) is fills_gap, scheduling
        if fills_gap:
            assert second.promise < MONDAY_8 + timedelta(days=1), "the weld centre was idle all week"


def test_parallel_slots_run_side_by_side_and_never_more_than_capacity() -> None:
    planner = Planner(items(), centres(capacity=2))
    plans = [planner.plan(f"O{i}", bike(), 1, MONDAY_8, ship_from_stock=False) for i in range(3)]
    welds = [p.work_orders[0].operations[0] for p in plans]
    assert welds[0].start == welds[1].start == MONDAY_8 and {welds[0].lane, welds[1].lane} == {0, 1}
    assert welds[2].start >= min(welds[0].end, welds[1].end)
    running = [w for w in welds if w.start < welds[2].start + timedelta(seconds=1) < w.end]
    assert len(running) <= 1


def test_no_new_order_makes_an_earlier_promise_later() -> None:
    import random

    rng = random.Random(4)
    planner = Planner(items(TUBE=ItemSpec("TUBE", "purchased", stock=40, safety_stock=2, lead_time_days=7,
                                          supplier="Alu Co")), centres())
    promised: dict[str, datetime] = {}
    at = MONDAY_8
    for i in range(60):
        at += timedelta(minutes=rng.randrange(0, 300))
        plan = planner.plan(f"O{i}", bike(tubes=rng.choice((1, 3, 5)), coat=rng.random() < 0.3), rng.choice((1, 2)),
                            at, ship_from_stock=False)
        for order_id, before in promised.items():
            assert planner.plans[order_id].promise <= before, f"O{i} moved {order_id}"
        promised[plan.order_id] = plan.promise
    assert not _overlaps(planner, "WELD") and not _overlaps(planner, "ASSY")


def test_an_operation_started_early_keeps_its_place_and_others_plan_around_it() -> None:
    # Three orders queue on the single weld slot; a worker starts the last one's weld first.
    for scheduling in ("insert", "forward"):
        planner = Planner(items(), centres(), scheduling=scheduling)
        plans = [planner.plan(f"O{i}", bike(), 1, MONDAY_8, ship_from_stock=False) for i in range(3)]
        last_weld = plans[2].work_orders[0]
        planner.record_progress(last_weld.id, 10, started=MONDAY_8)
        planner.reschedule(MONDAY_8 + timedelta(minutes=10))
        clash = _overlaps(planner, "WELD")
        if scheduling == "insert":
            assert clash == [], "the running weld is pinned where it runs"
            assert planner.plans["O2"].work_orders[0].operations[0].start == MONDAY_8
        else:
            assert clash, "the old forward scheduler put the running job on top of another (the bug)"


def test_the_reason_names_the_wait_that_costs_most_with_its_share() -> None:
    # eight identical orders at once: the single weld slot is the wait, and the reason says so
    planner = Planner(items(TUBE=ItemSpec("TUBE", "purchased", stock=100)), centres())
    plans = [planner.plan(f"O{i}", bike(), 1, MONDAY_8, ship_from_stock=False) for i in range(8)]
    assert plans[0].reason.startswith("capacity and materials are free")
    last = plans[-1]
    assert last.reason.startswith("WELD is booked until "), last.reason
    total = (last.promise - MONDAY_8) / timedelta(days=1)
    waited, of = (int(x) for x in last.reason.rsplit("(", 1)[1].split(" days")[0].split(" of "))
    assert of == round(total) and 0 < waited <= of
    # a bought part that takes a week: the part, its supplier, the day it arrives
    short = Planner(items(TUBE=ItemSpec("TUBE", "purchased", stock=0, lead_time_days=7, supplier="Alu Co")), centres())
    plan = short.plan("O1", bike(), 1, MONDAY_8, ship_from_stock=False)
    assert plan.reason.startswith("TUBE from Alu Co arrives Mon 30 Nov ("), plan.reason


def test_the_reason_names_the_day_as_the_sites_clocks_read_it() -> None:
    """Seen on the live demo: a promise moved "work centre ASSY is booked until 2026-12-04 08:21" at 16:21 in
    Shanghai (the planner wrote UTC). The alert and the kiosk's staff panel show the reason as it is."""
    from zoneinfo import ZoneInfo

    late_evening = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # Tue 24 Nov 04:00 in Shanghai
    spec = ItemSpec("TUBE", "purchased", stock=0, lead_time_days=7, supplier="Alu Co")
    site = Planner(items(TUBE=spec), centres(), zone=ZoneInfo("Asia/Shanghai"))
    plan = site.plan("O1", bike(), 1, late_evening, ship_from_stock=False)
    assert plan.reason.startswith("TUBE from Alu Co arrives Tue 01 Dec ("), plan.reason
    utc = Planner(items(TUBE=spec), centres()).plan("O1", bike(), 1, late_evening, ship_from_stock=False)
    assert utc.reason.startswith("TUBE from Alu Co arrives Mon 30 Nov ("), "without a zone the planner keeps UTC"


def _with_nuts(spec: ItemSpec) -> tuple[Planner, StructureNode]:
    planner = Planner(items(NUT=spec, TUBE=ItemSpec("TUBE", "purchased", stock=100)), centres(capacity=3))
    plain = bike()
    frame = plain.children[0]
    tree = StructureNode("BIKE", 1, (StructureNode("FRAME", 1, (*frame.children, StructureNode("NUT", 30)),
                                                   frame.routing), *plain.children[1:]), plain.routing)
    return planner, tree


def _bought(plan: Any) -> list[tuple[str, float, str | None]]:
    return [(r.item, r.qty, r.work_order) for r in plan.requisitions if r.kind == "purchase"]


def test_a_minimum_order_quantity_is_bought_once_and_serves_later_orders() -> None:
    planner, tree = _with_nuts(ItemSpec("NUT", "purchased", lead_time_days=7, supplier="Fasteners",
                                        min_qty=450, multiple=100))
    first = planner.plan("O1", tree, 1, MONDAY_8, ship_from_stock=False)
    assert _bought(first) == [("NUT", 500, "O1-02")], "at least 450, in hundreds"
    later = [planner.plan(f"O{i}", tree, 1, MONDAY_8 + timedelta(hours=i), ship_from_stock=False) for i in range(2, 18)]
    assert [p.order_id for p in later if _bought(p)] == ["O17"], "16 orders x 30 = 480 of the 500, then a new lot"
    assert later[0].work_orders[0].start >= MONDAY_8 + timedelta(days=7), "they wait for the same delivery"
    planner.cancel("O1", MONDAY_8)
    free = sum(lot.free for lot in planner.lots["NUT"])
    assert free == 500 + 500 - 16 * 30, "cancelling gives back what O1 used, its surplus is not counted twice"


def test_a_reorder_point_buys_the_reorder_quantity_before_anyone_runs_short() -> None:
    planner, tree = _with_nuts(ItemSpec("NUT", "purchased", stock=100, lead_time_days=7, supplier="Fasteners",
                                        policy="reorder_point", reorder_point=50, order_qty=200))
    assert _bought(planner.plan("O1", tree, 1, MONDAY_8, ship_from_stock=False)) == []  # 70 left
    second = planner.plan("O2", tree, 1, MONDAY_8, ship_from_stock=False)  # 40 left: at or below 50
    assert _bought(second) == [("NUT", 200, None)], "a replenishment, not tied to a work order"
    third = planner.plan("O3", tree, 1, MONDAY_8, ship_from_stock=False)
    assert _bought(third) == [] and third.work_orders[0].start < MONDAY_8 + timedelta(days=1), "still in stock"


def test_period_batching_buys_a_suppliers_needs_of_a_week_together() -> None:
    planner, tree = _with_nuts(ItemSpec("NUT", "purchased", lead_time_days=7, supplier="Fasteners", policy="period"))
    monday = planner.plan("O1", tree, 1, MONDAY_8, ship_from_stock=False)
    wednesday = planner.plan("O2", tree, 2, MONDAY_8 + timedelta(days=2), ship_from_stock=False)
    dues = {r.due_date for p in (monday, wednesday) for r in p.requisitions if r.kind == "purchase"}
    # ordered at the end of the week (Monday 30 Nov 00:00 UTC), here a week later
    assert dues == {datetime(2026, 12, 7, tzinfo=UTC)}
    (po,) = planner.purchase_orders()
    assert po["supplier"] == "Fasteners" and po["lines"] == {"NUT": 90}
    next_week = planner.plan("O3", tree, 1, MONDAY_8 + timedelta(days=7), ship_from_stock=False)
    assert {r.due_date for r in next_week.requisitions if r.kind == "purchase"} == {datetime(2026, 12, 14, tzinfo=UTC)}


def _one_order_done() -> tuple[Planner, datetime]:
    """A planner with order O1 whose every step ran 20 minutes from MONDAY_8 (told, not yet replanned)."""
    planner = Planner(items(), centres())
    plan = planner.plan("O1", bike(), 1, MONDAY_8, ship_from_stock=False)
    at = MONDAY_8
    for wo in plan.work_orders:
        for op in list(wo.operations):
            planner.record_progress(wo.id, op.op, started=at, finished=at + timedelta(minutes=20))
            at += timedelta(minutes=20)
    return planner, at


def test_a_finished_order_keeps_its_real_times_through_later_replans() -> None:
    planner, at = _one_order_done()
    planner.reschedule(at)
    assert planner.plans["O1"].promise == at, "the last real finish"
    planner.plan("O2", bike(), 1, at, ship_from_stock=False)
    planner.reschedule(at + timedelta(days=3))
    assert planner.plans["O1"].promise == at
    assert [(o.start, o.end) for wo in planner.plans["O1"].work_orders for o in wo.operations] == [
        (MONDAY_8, MONDAY_8 + timedelta(minutes=20)), (MONDAY_8 + timedelta(minutes=20), at)]


def test_an_order_finished_before_its_first_replan_is_promised_its_real_finish_not_the_replan() -> None:
    """A hub replays progress after a restart and replans later (days later, when the next event comes): the
    finished order's promise is when it was done. It was the replan's moment, and a 'will be ready ...
    instead of ...' alert for every order already built."""
    planner, at = _one_order_done()
    planner.reschedule(at + timedelta(days=10))
    assert planner.settled("O1")
    assert planner.plans["O1"].promise == at


def test_a_cancelled_requisition_leaves_the_orders_counting_on_its_surplus_to_buy_again() -> None:
    planner = Planner(items(TUBE=ItemSpec("TUBE", "purchased", lead_time_days=7, supplier="Alu Co", min_qty=10)),
                      centres())
    first = planner.plan("O1", bike(tubes=2), 1, MONDAY_8, ship_from_stock=False)
    (bought,) = [r for r in first.requisitions if r.kind == "purchase"]
    assert (bought.qty, bought.surplus) == (10, 8), "a lot of ten: eight are free for later orders"
    second = planner.plan("O2", bike(tubes=2), 1, MONDAY_8, ship_from_stock=False)
    assert not [r for r in second.requisitions if r.kind == "purchase"], "the second order takes two of the eight"
    cancelled_at = MONDAY_8 + timedelta(days=2)
    raised = planner.cancel_requisition("O1", "TUBE", bought.work_order, 0, cancelled_at)
    assert [(r.order_id, r.item) for r in raised] == [("O1", "TUBE")], "the first buys ten again (a lot)"
    assert raised[0].due_date == cancelled_at + timedelta(days=7)
    planner.reschedule(cancelled_at)
    assert not [r for r in second.requisitions if r.kind == "purchase"], "the new lot's surplus serves the second"
    for plan in (first, second):
        assert plan.work_orders[0].start >= cancelled_at + timedelta(days=7), plan.order_id
    assert [line["lines"] for line in planner.purchase_orders()] == [{"TUBE": 10}], "the cancelled one is not bought"
