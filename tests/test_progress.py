"""Progress is derived from events every time: status, percent by standard time, ETA, lateness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sync.hub.progress import PlannedOp, order_progress, work_in_progress, work_order_progress
from sync.station.timing import OpEvent

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)


def ops() -> list[PlannedOp]:
    return [PlannedOp("WO-1", 10, "WELD", "WELD", 3600, T0, T0 + H),
            PlannedOp("WO-1", 20, "ASSY", "ASSY", 3 * 3600, T0 + H, T0 + 4 * H)]


def test_nothing_recorded_means_queued_at_zero_percent_on_plan() -> None:
    wo = work_order_progress("WO-1", "O1", "BIKE", 1, ops(), {}, T0)
    assert (wo.status, wo.percent, wo.eta) == ("queued", 0.0, T0 + 4 * H)


def test_a_completion_event_makes_an_operation_done_whatever_came_before() -> None:
    events = {("WO-1", 10): [OpEvent("op.started", T0, worker="ann"),
                             OpEvent("op.completed", T0 + H, worker="ann", good=1, scrap=0)]}
    wo = work_order_progress("WO-1", "O1", "BIKE", 1, ops(), events, T0 + 2 * H)
    assert wo.operations[0].state.status.value == "done"
    assert wo.percent == 25.0, "1 h of 4 h standard time"


def test_a_running_operation_counts_its_elapsed_time_and_a_late_one_pushes_the_eta() -> None:
    events = {("WO-1", 10): [OpEvent("op.started", T0, worker="ann")]}
    now = T0 + 2 * H  # weld has run 2 h of a 1 h standard
    wo = work_order_progress("WO-1", "O1", "BIKE", 1, ops(), events, now)
    assert wo.status == "running" and wo.percent == 25.0, "capped at the weld's standard time"
    assert wo.eta == now + 3 * H
    order = order_progress("O1", T0 + 4 * H, [wo], now)
    assert order.status == "in_progress" and order.late and order.eta == now + 3 * H


def test_all_done_orders_are_done_and_not_late() -> None:
    events = {("WO-1", op): [OpEvent("op.started", T0, worker="ann"),
                             OpEvent("op.completed", T0 + H, worker="ann", good=1, scrap=1)] for op in (10, 20)}
    wo = work_order_progress("WO-1", "O1", "BIKE", 1, ops(), events, T0 + 9 * H)
    order = order_progress("O1", T0 + 4 * H, [wo], T0 + 9 * H)
    assert (order.status, order.percent, order.late) == ("done", 100.0, False)
    assert wo.scrap == 2 and wo.good == 1


def test_cancelled_and_stock_orders() -> None:
    assert order_progress("O2", None, [], T0, cancelled=True).status == "cancelled"
    assert order_progress("O3", T0, [], T0, shipped_from_stock=True).percent == 100.0


def test_work_in_progress_counts_operations_per_work_centre() -> None:
    events = {("WO-1", 10): [OpEvent("op.started", T0, worker="ann")]}
    wo = work_order_progress("WO-1", "O1", "BIKE", 1, ops(), events, T0 + H)
    assert work_in_progress([wo]) == {"WELD": {"queued": 0, "running": 1, "paused": 0, "done": 0},
                                      "ASSY": {"queued": 1, "running": 0, "paused": 0, "done": 0}}
