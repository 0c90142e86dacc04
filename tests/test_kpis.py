"""KPI definitions computed on small, hand-checkable records."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from sync.hub.kpis import (
    OperationRecord,
    SoldLine,
    cycle_time_hours,
    export,
    first_pass_yield,
    oee,
    oee_rows,
    on_time_delivery,
    profit_contribution,
    promise_margin,
    standard_vs_actual,
)

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_oee_is_availability_times_performance_times_quality() -> None:
    records = [OperationRecord("WELD", standard_seconds=3000, actual_seconds=3600, good=9, scrap=1),
               OperationRecord("WELD", standard_seconds=2400, actual_seconds=3600, good=10, scrap=0)]
    (weld,) = oee(records, {"WELD": 8 * 3600})
    assert weld.availability == 0.25  # 2 h run of 8 h planned
    assert weld.performance == 0.75  # 1.5 h standard earned in 2 h
    assert weld.quality == 0.95  # 19 good of 20
    assert round(weld.oee, 4) == round(0.25 * 0.75 * 0.95, 4)


def test_an_idle_work_centre_has_zero_oee_not_an_error() -> None:
    (idle,) = oee([], {"PACK": 3600})
    assert idle.oee == 0


def test_on_time_delivery_and_cycle_time_count_completed_orders_only() -> None:
    orders = [(T0, T0 - timedelta(hours=1)), (T0, T0 + timedelta(hours=1)), (T0, None)]
    assert on_time_delivery(orders) == 0.5
    assert on_time_delivery([(T0, None)]) is None
    cycle = cycle_time_hours([(T0, T0 + timedelta(hours=10)), (T0, T0 + timedelta(hours=30)), (T0, None)])
    assert cycle == {"median": 20.0, "mean": 20.0, "orders": 2}


def test_first_pass_yield_uses_the_first_result_of_each_unit() -> None:
    assert first_pass_yield([("WO-1", False), ("WO-1", True), ("WO-2", True), ("WO-3", True)]) == 0.6667


def _weekdays_after(day: datetime, count: int) -> datetime:
    """The test's own count: ``count`` Monday-Friday days after ``day``, at 23:59:59."""
    n = 0
    while count:
        n += 1
        if (day + timedelta(days=n)).isoweekday() < 6:
            count -= 1
    return (day + timedelta(days=n)).replace(hour=23, minute=59, second=59)


def test_promise_margin_is_the_fewest_working_days_that_kept_nine_in_ten_on_time() -> None:
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    monday = friday + timedelta(days=3)
    # ten CARGO orders whose first plans finished on a Friday: six done that day, one on Saturday
    # (needs 1: Monday), two on Tuesday (needs 2), one on Thursday (needs 4)
    done = [friday] * 6 + [friday + timedelta(days=1)] + [monday + timedelta(days=1)] * 2 + [monday + timedelta(days=3)]
    for d in done:
        needed = next(m for m in range(10) if d <= _weekdays_after(friday, m))
        assert needed in (0, 1, 2, 4)
    report = promise_margin([("CARGO", 1, friday, d) for d in done] + [("CITY", 0, monday, monday)], UTC)
    cargo = report["by_product"]["CARGO"]
    assert (cargo["orders"], cargo["declared_days"], cargo["needed_days"]) == (10, 1, 2), "9 of 10 need at most 2"
    assert report["by_product"]["CITY"] == {"orders": 1, "declared_days": 0, "needed_days": 0}
    assert (report["orders"], report["needed_days"]) == (11, 2)
    assert promise_margin([], UTC) == {"orders": 0, "needed_days": None, "by_product": {}}
    # the site's day, not UTC's: done at 01:00 on Saturday in Shanghai is Friday evening in UTC
    from zoneinfo import ZoneInfo

    late = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # Saturday 01:00 in Shanghai
    assert promise_margin([("MTB", 0, friday, late)], ZoneInfo("Asia/Shanghai"))["needed_days"] == 1
    assert promise_margin([("MTB", 0, friday, late)], UTC)["needed_days"] == 0


def test_standard_vs_actual_per_work_centre() -> None:
    rows = standard_vs_actual([OperationRecord("ASSY", 3600, 5400, 1, 0)])
    assert rows == [{"work_centre": "ASSY", "standard_h": 1.0, "actual_h": 1.5, "ratio": 1.5}]


def test_profit_contribution_per_product_and_option() -> None:
    lines = [SoldLine("CITY", Decimal("7999"), Decimal("4200.50"),
                      {"battery=b625": (Decimal("800"), Decimal("520"))})] * 2
    result = profit_contribution(lines)
    assert result["products"] == [{"key": "CITY", "revenue": "15998.00", "cost": "8401.00", "contribution": "7597.00"}]
    assert result["options"][0]["contribution"] == "560.00"


def test_export_as_csv_and_json_round_trips() -> None:
    rows = oee_rows(oee([OperationRecord("WELD", 3600, 3600, 1, 0)], {"WELD": 7200}))
    parsed = list(csv.DictReader(io.StringIO(export(rows, "csv"))))
    assert parsed[0]["work_centre"] == "WELD" and float(parsed[0]["oee"]) == 0.5
    assert json.loads(export(rows, "json"))[0]["availability"] == 0.5
    with pytest.raises(ValueError, match="unknown export format"):
        export(rows, "xlsx")


# --- kpi_report over a real hub: each figure respects its window ----------------------------------

def finish_order(hub: Any, result: dict[str, Any], at: datetime, *, fail_qc_first: bool = False) -> datetime:
    """Start and complete every operation of an order from ``at`` on (QC recorded where due)."""
    for wo in result["work_orders"]:
        qty = int(hub.store.query("SELECT qty FROM work_orders WHERE id = ?", [wo])[0]["qty"])
        for row in hub.store.query("SELECT op, outsourced FROM wo_ops WHERE work_order = ? ORDER BY op", [wo]):
            op = row["op"]
            # a subcontractor's step has no station: a supervisor lets receiving record it, four days on
            allowed = {"override_by": "Sam Supervisor"} if row["outsourced"] else {}
            hub.op("op.started", wo, op, at, **allowed)
            if hub.is_qc(wo, op):
                if fail_qc_first:
                    hub.op("qc.recorded", wo, op, at + timedelta(minutes=3), passed=False, defect="scratch")
                hub.op("qc.recorded", wo, op, at + timedelta(minutes=4), passed=True)
            took = timedelta(days=4) if row["outsourced"] else timedelta(minutes=5)
            hub.op("op.completed", wo, op, at + took, good=qty, scrap=0, **allowed)
            at += took + timedelta(minutes=5)
    return at


@pytest.fixture
def two_weeks(tmp_path: Any) -> Any:
    """Last week: an order placed, built and first failing QC; this week: one placed and built, QC passing."""
    from tests.test_hub_core import MONDAY_8, Hub

    hub = Hub(tmp_path)
    last_week = MONDAY_8 - timedelta(days=7)
    finish_order(hub, hub.order("OLD", now=last_week), last_week + timedelta(hours=1), fail_qc_first=True)
    finish_order(hub, hub.order("NEW", now=MONDAY_8, motor="mid", battery="b625"), MONDAY_8 + timedelta(hours=2))
    yield hub, MONDAY_8
    hub.store.close()


def test_the_report_counts_only_orders_and_inspections_of_its_window(two_weeks: Any) -> None:
    from sync.hub.core import kpi_report

    hub, monday = two_weeks
    this_week = kpi_report(hub.core, monday, monday + timedelta(days=7))
    last_week = kpi_report(hub.core, monday - timedelta(days=7), monday)
    assert this_week["cycle_time_hours"]["orders"] == 1 and last_week["cycle_time_hours"]["orders"] == 1
    assert this_week["cycle_time_hours"]["median"] != last_week["cycle_time_hours"]["median"]
    assert this_week["first_pass_yield"] == 1.0, "only this week's units, each passing first"
    margin = this_week["promise_margin"]["by_product"]["BIKE"]  # the order done this week, its first plan kept
    assert (margin["orders"], margin["declared_days"]) == (1, 0) and margin["needed_days"] >= 0
    assert last_week["promise_margin"]["orders"] == 1
    with hub.store.transaction() as tx:  # an order a hub placed before it kept the first plan's finish
        tx.execute("UPDATE orders SET first_ready = NULL WHERE order_id = 'OLD'")
    assert kpi_report(hub.core, monday - timedelta(days=7), monday)["promise_margin"]["orders"] == 0
    assert last_week["first_pass_yield"] == 0.0, "last week's units failed their first inspection"
    # this week's bike has the mid motor (+1500) and the 625 Wh battery (+800.50): its list price, stated by no kiosk
    assert [p["revenue"] for p in this_week["profit_contribution"]["products"]] == ["7300.50"]
    assert [p["revenue"] for p in last_week["profit_contribution"]["products"]] == ["5000.00"]
    nothing = kpi_report(hub.core, monday - timedelta(days=30), monday - timedelta(days=20))
    assert nothing["cycle_time_hours"]["orders"] == 0 and nothing["first_pass_yield"] is None
    assert nothing["on_time_delivery"] is None and nothing["profit_contribution"]["products"] == []


def test_option_contribution_subtracts_the_bom_cost_the_option_adds(two_weeks: Any) -> None:
    """The mid motor adds MOTOR-MID (1800) for a price of 1500; the 625 Wh battery adds BATT-L (1400)
    for 800.50; 28-inch wheels add two RIM-28 (95) and 72 spokes (0.8) at no price."""
    from sync.hub.core import kpi_report

    hub, monday = two_weeks
    options = {o["key"]: o for o in kpi_report(hub.core, monday, monday + timedelta(days=7))
               ["profit_contribution"]["options"]}
    assert (options["BIKE:motor=mid"]["cost"], options["BIKE:motor=mid"]["contribution"]) == ("1800.00", "-300.00")
    assert options["BIKE:battery=b625"]["contribution"] == "-599.50"
    assert Decimal(options["BIKE:wheel_size=28"]["cost"]) == 2 * (95 + 36 * Decimal("0.8"))
    product = kpi_report(hub.core, monday, monday + timedelta(days=7))["profit_contribution"]["products"][0]
    assert Decimal(product["cost"]) == 1800 + 1400 + 2 * (95 + 36 * Decimal("0.8")) + 4 * Decimal("0.1")


def test_a_subcontractors_centre_has_no_oee_and_no_standard_vs_actual(two_weeks: Any) -> None:
    """Seen on the demo's KPI tab: "COAT 0 %" beside the shop's own centres, and 193 h of COAT against a
    standard of 0 - the powder coater's lead time, which is the supplier's, not a centre's running time."""
    from sync.hub.core import kpi_report

    hub, monday = two_weeks
    finish_order(hub, hub.order("RED", now=monday, colour="red"), monday + timedelta(hours=3))  # rims coated outside
    outsourced = {r["work_centre"] for r in hub.store.query("SELECT work_centre FROM wo_ops WHERE outsourced = 1")}
    assert outsourced == {"OUTSOURCE"}
    report = kpi_report(hub.core, monday, monday + timedelta(days=7))
    assert report["cycle_time_hours"]["orders"] == 2  # the red bike is done inside the window
    assert {row["work_centre"] for row in report["oee"]}.isdisjoint(outsourced)
    assert {row["work_centre"] for row in report["standard_vs_actual"]}.isdisjoint(outsourced)
    assert any(row["oee"] > 0 for row in report["oee"])  # the shop's own centres are still there


def test_a_subcontractors_centre_has_no_oee_before_any_order_has_used_it(tmp_path: Any) -> None:
    """Which centres are a subcontractor's is the catalog's word, not guessed from the orders in progress: a hub
    that has learnt the product but planned no coating yet still leaves the coater out of OEE and Load."""
    from sync.hub.core import kpi_report
    from sync.hub.dashboard_feed import load
    from tests.test_hub_core import MONDAY_8, Hub

    hub = Hub(tmp_path)
    try:
        hub.core.learn_released()
        assert "OUTSOURCE" in hub.core.calendars() and hub.core.outsourced_centres() == {"OUTSOURCE"}
        report = kpi_report(hub.core, MONDAY_8, MONDAY_8 + timedelta(days=7))
        assert {row["work_centre"] for row in report["oee"]} == set(hub.core.calendars()) - {"OUTSOURCE"}
        assert "OUTSOURCE" not in load(hub.core, [], MONDAY_8)
    finally:
        hub.store.close()


def test_profit_counts_every_unit_of_an_order_and_no_cancelled_order(tmp_path: Any) -> None:
    """A KPI review on the demo's data: two bikes in one order counted the revenue of two and the cost of one
    (contribution 13,527.46 where 5,738.92 was earned), and a bike cancelled 25 minutes after its order still
    earned its contribution."""
    from sync.hub.core import kpi_report
    from tests.test_hub_core import MONDAY_8, Hub

    hub = Hub(tmp_path)
    try:
        hub.order("ONE", motor="mid", battery="b625")
        hub.order("TWO", now=MONDAY_8 + timedelta(hours=1), motor="mid", battery="b625", quantity=2)
        hub.order("GONE", now=MONDAY_8 + timedelta(hours=2))
        with hub.store.transaction() as tx:
            hub.core.on_order_cancelled(tx, "ev-gone", {"order_id": "GONE"}, MONDAY_8 + timedelta(hours=2, minutes=25))

        def profit(hours: float) -> dict[str, Any]:
            return kpi_report(hub.core, MONDAY_8 - timedelta(days=1), MONDAY_8 + timedelta(hours=hours))["profit_contribution"]

        (one,) = profit(0.5)["products"]  # the first order alone
        (bike,) = profit(24)["products"]
        assert Decimal(one["revenue"]) == Decimal("7300.50")
        assert Decimal(bike["revenue"]) == 3 * Decimal("7300.50"), "three bikes sold at list price, the cancelled one not"
        assert Decimal(bike["cost"]) == 3 * Decimal(one["cost"]) > 0
        assert Decimal(bike["contribution"]) == 3 * Decimal(one["contribution"])
        options = {o["key"]: o for o in profit(24)["options"]}
        assert (options["BIKE:motor=mid"]["revenue"], options["BIKE:motor=mid"]["cost"]) == ("4500.00", "5400.00")
    finally:
        hub.store.close()


def test_steps_closed_because_everything_was_scrapped_earn_no_standard_time(tmp_path: Any) -> None:
    """When a step scraps every unit the hub closes the work order's later steps (done, 0 good, nobody on
    them): a KPI review found them counted as completed work, welding's actual/standard 0.776 where every
    real weld took 1.10 of its standard."""
    from sync.hub.core import kpi_report
    from tests.test_hub_core import MONDAY_8, Hub

    hub = Hub(tmp_path)
    try:
        result = hub.order("SCRAP")
        wo = next(w for w in result["work_orders"]
                  if len(hub.store.query("SELECT op FROM wo_ops WHERE work_order = ? AND outsourced = 0", [w])) > 1)
        ops = hub.store.query("SELECT op, work_centre, standard_seconds FROM wo_ops WHERE work_order = ? "
                              "ORDER BY op", [wo])
        qty = int(hub.store.query("SELECT qty FROM work_orders WHERE id = ?", [wo])[0]["qty"])
        hub.build_parts(wo)
        first = ops[0]
        hub.op("op.started", wo, first["op"], MONDAY_8)
        took = timedelta(seconds=first["standard_seconds"] * 1.1)
        hub.op("op.completed", wo, first["op"], MONDAY_8 + took, good=0, scrap=qty, reason="wrong length")
        closed = hub.store.query("SELECT op FROM op_events WHERE work_order = ? AND device_id = 'hub'", [wo])
        assert [r["op"] for r in closed] == [r["op"] for r in ops[1:]], "the hub closed the later steps"
        report = kpi_report(hub.core, MONDAY_8 - timedelta(days=1), MONDAY_8 + timedelta(days=1))
        shown = {r["work_centre"]: r["standard_h"] for r in report["standard_vs_actual"]}
        worked: dict[str, float] = {}  # the test's own sum: steps someone started and completed
        for r in hub.store.query("SELECT o.work_centre, o.standard_seconds FROM wo_ops o WHERE o.outsourced = 0 "
                                 "AND EXISTS (SELECT 1 FROM op_events e WHERE e.work_order = o.work_order "
                                 "AND e.op = o.op AND e.type = 'op.started') AND EXISTS (SELECT 1 FROM op_events e "
                                 "WHERE e.work_order = o.work_order AND e.op = o.op AND e.type = 'op.completed')"):
            worked[r["work_centre"]] = worked.get(r["work_centre"], 0.0) + r["standard_seconds"] / 3600
        assert shown == {centre: round(hours, 2) for centre, hours in worked.items()}
    finally:
        hub.store.close()

