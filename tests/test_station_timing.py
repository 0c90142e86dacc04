"""Operation status and timers come from recorded events only: pauses, shifts, several workers, restarts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sync.errors import PlanningError
from sync.station.calendar import AlwaysWorking, Shift, WeeklyShifts, merge, working_seconds
from sync.station.timing import (
    OpEvent,
    Status,
    TimerColour,
    derive,
    standard_seconds,
    timer_colour,
)

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # a Wednesday


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ev(type_: str, minutes: float, worker: str | None = "W1", **kw: object) -> OpEvent:
    return OpEvent(type=type_, at=at(minutes), worker=worker, **kw)  # type: ignore[arg-type]


def test_no_events_means_queued_with_no_time() -> None:
    state = derive([], at(30), standard=600)
    assert state.status is Status.QUEUED
    assert state.elapsed_seconds == 0 and state.workers == () and state.started_at is None


def test_running_timer_counts_from_start_to_now() -> None:
    state = derive([ev("op.started", 0)], at(12.5))
    assert state.status is Status.RUNNING
    assert state.elapsed_seconds == pytest.approx(12.5 * 60)
    assert state.workers == ("W1",)


def test_pauses_are_not_counted_and_resume_continues() -> None:
    events = [ev("op.started", 0), ev("op.paused", 10, reason="material"), ev("op.resumed", 40)]
    paused = derive(events[:2], at(35))
    assert paused.status is Status.PAUSED
    assert paused.elapsed_seconds == pytest.approx(600)
    assert paused.pause_reason == "material" and paused.paused_workers == ("W1",)
    resumed = derive(events, at(45))
    assert resumed.status is Status.RUNNING
    assert resumed.elapsed_seconds == pytest.approx(15 * 60)
    assert resumed.pause_reason is None


def test_completed_operation_stops_the_timer_and_keeps_quantities() -> None:
    events = [ev("op.started", 0), ev("op.completed", 20, good=9, scrap=1, reason="scratch")]
    state = derive(events, at(500))
    assert state.status is Status.DONE
    assert state.elapsed_seconds == pytest.approx(1200)
    assert (state.good, state.scrap, state.scrap_reason) == (9, 1, "scratch")
    assert state.workers == () and state.completed_at == at(20)


def test_a_done_operation_keeps_who_worked_on_it_in_the_order_they_started() -> None:
    events = [ev("op.started", 0, "W2"), ev("op.started", 1, "W1"), ev("op.paused", 5, "W2"),
              ev("op.completed", 20, "W3", good=1, scrap=0), ev("op.started", 0.5, None)]
    state = derive(events, at(30))
    assert state.workers == () and state.crew == ("W2", "W1", "W3"), "the anonymous start names nobody"
    assert derive(events[:1], at(1)).crew == ("W2",)


def test_timer_is_the_same_whatever_order_events_arrive_in() -> None:
    events = [ev("op.started", 0), ev("op.paused", 5), ev("op.resumed", 7), ev("op.paused", 9), ev("op.resumed", 20)]
    forward = derive(events, at(30))
    backward = derive(list(reversed(events)), at(30))
    assert forward == backward
    assert forward.elapsed_seconds == pytest.approx((5 + 2 + 10) * 60)


def test_several_workers_on_one_operation_count_wall_time_once_and_labour_per_worker() -> None:
    events = [ev("op.started", 0, "W1"), ev("op.started", 10, "W2"), ev("op.paused", 20, "W1")]
    state = derive(events, at(30))
    assert state.status is Status.RUNNING
    assert state.workers == ("W2",) and state.paused_workers == ("W1",)
    assert state.elapsed_seconds == pytest.approx(30 * 60)
    assert state.labour_seconds == pytest.approx((20 + 20) * 60)


def test_operation_is_paused_only_when_the_last_worker_pauses() -> None:
    events = [ev("op.started", 0, "W1"), ev("op.started", 1, "W2"), ev("op.paused", 5, "W1")]
    assert derive(events, at(6)).status is Status.RUNNING
    assert derive(events + [ev("op.paused", 8, "W2")], at(9)).status is Status.PAUSED


def test_one_worker_can_run_several_operations_at_once() -> None:
    op_a = [ev("op.started", 0, "W1")]
    op_b = [ev("op.started", 5, "W1")]
    assert derive(op_a, at(10)).workers == ("W1",)
    assert derive(op_b, at(10)).workers == ("W1",)
    assert derive(op_a, at(10)).elapsed_seconds == pytest.approx(600)
    assert derive(op_b, at(10)).elapsed_seconds == pytest.approx(300)


def test_pause_without_a_worker_pauses_everybody() -> None:
    events = [ev("op.started", 0, "W1"), ev("op.started", 0, "W2"), ev("op.paused", 10, None, reason="power cut")]
    state = derive(events, at(20))
    assert state.status is Status.PAUSED
    assert state.paused_workers == ("W1", "W2")
    assert state.elapsed_seconds == pytest.approx(600)


def test_events_that_do_not_fit_are_reported_not_counted() -> None:
    events = [
        ev("op.resumed", 0),  # nothing to resume
        ev("op.started", 1),
        ev("op.started", 2),  # twice
        ev("op.completed", 3, good=1, scrap=0),
        ev("op.resumed", 4),  # after completion
    ]
    state = derive(events, at(60))
    assert state.status is Status.DONE
    assert state.elapsed_seconds == pytest.approx(120)
    assert len(state.anomalies) == 3


def test_qc_result_is_kept_and_does_not_move_the_timer() -> None:
    events = [ev("op.started", 0), ev("qc.recorded", 4, passed=False, defect="D-07")]
    state = derive(events, at(10))
    assert state.qc is not None and state.qc.passed is False and state.qc.defect == "D-07"
    assert state.elapsed_seconds == pytest.approx(600)


@pytest.mark.parametrize(
    ("elapsed_min", "colour"),
    [(0, TimerColour.NORMAL), (59.9, TimerColour.NORMAL), (60, TimerColour.AMBER),
     (71.9, TimerColour.AMBER), (72, TimerColour.RED), (500, TimerColour.RED)],
)
def test_timer_turns_amber_at_100_and_red_at_120_percent_of_standard(elapsed_min: float, colour: TimerColour) -> None:
    standard = standard_seconds(setup_minutes=10, run_minutes=5, quantity=10)  # 60 min
    assert standard == 3600
    state = derive([ev("op.started", 0)], at(elapsed_min), standard=standard)
    assert state.colour is colour


def test_no_standard_time_never_turns_amber() -> None:
    assert timer_colour(10_000, 0) is TimerColour.NORMAL


SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_SHIFTS = WeeklyShifts(
    shifts=[Shift(time(8), time(12)), Shift(time(13), time(17))],
    zone=SHANGHAI,
    holidays=frozenset({date(2026, 11, 27)}),
)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def test_lunch_break_and_night_are_not_counted() -> None:
    events = [OpEvent("op.started", local(25, 11, 0), "W1")]
    # 11:00-12:00 (60) + 13:00-17:00 (240) + next day 08:00-09:30 (90)
    state = derive(events, local(26, 9, 30), calendar=DAY_SHIFTS)
    assert state.elapsed_seconds == pytest.approx((60 + 240 + 90) * 60)


def test_holidays_and_weekends_are_not_counted() -> None:
    # Thursday 16:00 -> Monday 08:30: Friday 27 is a holiday, then a weekend
    events = [OpEvent("op.started", local(26, 16), "W1")]
    state = derive(events, local(30, 8, 30), calendar=DAY_SHIFTS)
    assert state.elapsed_seconds == pytest.approx((60 + 30) * 60)


def test_night_shift_runs_past_midnight() -> None:
    night = WeeklyShifts([Shift(time(22), time(6), frozenset(range(7)))], zone=SHANGHAI)
    events = [OpEvent("op.started", local(25, 22), "W1")]
    assert derive(events, local(26, 7), calendar=night).elapsed_seconds == pytest.approx(8 * 3600)


def test_an_operation_started_outside_the_shifts_counts_as_overtime_until_the_next_shift() -> None:
    """Seen on the live demo: started on a Saturday just after midnight, the station's timer stayed at 0:00:00."""
    saturday = [OpEvent("op.started", local(28, 0, 9), "W1")]
    assert derive(saturday, local(28, 0, 12), calendar=DAY_SHIFTS).elapsed_seconds == pytest.approx(180)
    early = [OpEvent("op.started", local(30, 7), "W1")]  # Monday, an hour before the 08:00 shift
    assert derive(early, local(30, 9), calendar=DAY_SHIFTS).elapsed_seconds == pytest.approx(2 * 3600)
    # still running over lunch: 07:00-12:00 counted, the break it was left running through is not
    assert derive(early, local(30, 12, 30), calendar=DAY_SHIFTS).elapsed_seconds == pytest.approx(5 * 3600)


def test_a_resume_after_hours_counts_and_each_worker_earns_their_own_overtime() -> None:
    events = [OpEvent("op.started", local(25, 16, 30), "W1"), OpEvent("op.paused", local(25, 17), "W1"),
              OpEvent("op.resumed", local(25, 19), "W1"), OpEvent("op.started", local(25, 19, 30), "W2"),
              OpEvent("op.completed", local(25, 20), "W1", good=1, scrap=0)]
    state = derive(events, local(25, 21), calendar=DAY_SHIFTS)
    assert state.elapsed_seconds == pytest.approx((30 + 60) * 60)  # 16:30-17:00 in the shift, 19:00-20:00 after it
    assert state.labour_seconds == pytest.approx((30 + 60 + 30) * 60)  # W2 joined at 19:30


def test_an_operation_left_running_after_its_shift_stops_counting_at_the_shift_end() -> None:
    events = [OpEvent("op.started", local(25, 16), "W1")]  # Wednesday; the shift ends at 17:00
    assert derive(events, local(25, 23), calendar=DAY_SHIFTS).elapsed_seconds == pytest.approx(3600)


def test_working_seconds_counts_overlaps_once() -> None:
    spans = [(at(0), at(10)), (at(5), at(15)), (at(20), at(21))]
    assert merge(spans) == [(at(0), at(15)), (at(20), at(21))]
    assert working_seconds(AlwaysWorking(), spans) == pytest.approx(16 * 60)


def test_timer_survives_a_restart_because_it_is_recomputed_from_stored_bodies() -> None:
    bodies = [("op.started", {"at": at(0).isoformat(), "worker": "W1"}),
              ("op.paused", {"at": at(10).isoformat(), "worker": "W1", "reason": "break"}),
              ("op.resumed", {"at": at(25).isoformat(), "worker": "W1"})]
    before_crash = derive([OpEvent.from_body(t, b, i) for i, (t, b) in enumerate(bodies)], at(30))
    after_restart = derive([OpEvent.from_body(t, b, i) for i, (t, b) in enumerate(bodies)], at(40))
    assert before_crash.elapsed_seconds == pytest.approx(15 * 60)
    assert after_restart.elapsed_seconds == pytest.approx(25 * 60)


@pytest.mark.parametrize(
    ("type_", "body", "message"),
    [("op.exploded", {"at": T0.isoformat()}, "unknown operation event type"),
     ("op.started", {}, "no valid 'at'"),
     ("op.started", {"at": "yesterday"}, "no valid 'at'"),
     ("op.started", {"at": "2026-11-25T08:00:00"}, "no time zone")],
)
def test_malformed_event_bodies_are_refused_with_what_is_wrong(type_: str, body: dict[str, object], message: str) -> None:
    with pytest.raises(PlanningError, match=message):
        OpEvent.from_body(type_, body)


class CatalogCalendar:
    """The shape of a catalog work-centre calendar (sync.catalog.model.Calendar)."""

    def __init__(self, workdays: tuple[str, ...], shifts: tuple[tuple[str, str], ...], holidays: tuple[str, ...]):
        self.workdays, self.shifts, self.holidays = workdays, shifts, holidays


def test_catalog_calendar_is_read_into_shifts_in_the_site_time_zone() -> None:
    cal = WeeklyShifts.from_catalog(
        CatalogCalendar(("mon", "tue", "wed", "thu", "fri"), (("08:00", "12:00"), ("13:00", "17:00")), ("2026-11-27",)),
        SHANGHAI,
    )
    assert cal == DAY_SHIFTS


@pytest.mark.parametrize(
    "calendar",
    [CatalogCalendar(("funday",), (("08:00", "12:00"),), ()),
     CatalogCalendar(("mon",), (("8 am", "12:00"),), ()),
     CatalogCalendar(("mon",), (("08:00", "12:00"),), ("someday",))],
)
def test_unreadable_catalog_calendar_is_refused(calendar: CatalogCalendar) -> None:
    from sync.errors import CatalogError

    with pytest.raises(CatalogError, match="calendar cannot be read"):
        WeeklyShifts.from_catalog(calendar, SHANGHAI)
