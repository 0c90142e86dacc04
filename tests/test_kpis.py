"""KPI definitions computed on small, hand-checkable records."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

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


def test_standard_vs_actual_per_work_centre() -> None:
    rows = standard_vs_actual([OperationRecord("ASSY", 3600, 5400, 1, 0)])
    assert rows == [{"work_centre": "ASSY", "standard_h": 1.0, "actual_h": 1.5, "ratio": 1.5}]


def test_profit_contribution_per_product_and_option() -> None:
    lines = [SoldLine("CITY", Decimal("7999"), Decimal("4200.50"),
                      {"battery=b625": (Decimal("800"), Decimal("520"))})] * 2
    result = profit_contribution(lines)
    assert result["products"] == [{"key": "CITY", "revenue": "15998", "cost": "8401.00", "contribution": "7597.00"}]
    assert result["options"][0]["contribution"] == "560"


def test_export_as_csv_and_json_round_trips() -> None:
    rows = oee_rows(oee([OperationRecord("WELD", 3600, 3600, 1, 0)], {"WELD": 7200}))
    parsed = list(csv.DictReader(io.StringIO(export(rows, "csv"))))
    assert parsed[0]["work_centre"] == "WELD" and float(parsed[0]["oee"]) == 0.5
    assert json.loads(export(rows, "json"))[0]["availability"] == 0.5
    with pytest.raises(ValueError, match="unknown export format"):
        export(rows, "xlsx")
