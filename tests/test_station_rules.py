"""Station rules: badge/PIN login, scanning, start/pause/resume/complete/QC, every refusal records nothing."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sync import labels
from sync.errors import StationError
from sync.labels import BadgeLabel, WorkOrderLabel
from sync.station import rules
from sync.station.ledger import MemoryLedger, StationLedger
from sync.station.stored import StoredLedger
from sync.station.timing import OpEvent, Status, TimerColour, derive
from sync.station.workorders import RoutedWorkOrder
from sync.store import Store
from terminal.station import texts
from terminal.station.demo import DEMO_WORK_CENTRES, seed_demo
from terminal.station.quantities import parse_quantity
from terminal.station.session import StationSession, Tone, routed_here
from terminal.station.wedge import WedgeBuffer


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


def wo(work_order: str, op: int | None = None) -> str:
    return labels.format(WorkOrderLabel(work_order, op))


def badge(b: str) -> str:
    return labels.format(BadgeLabel(b))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["memory", "sqlite"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> StationLedger:
    """Every rule holds the same over the in-memory ledger and the real SQLite store."""
    led: StationLedger = MemoryLedger() if request.param == "memory" else StoredLedger(
        Store(tmp_path / "station.db", device_id="ST-ASM-1"))
    seed_demo(led)
    return led


def outbox(ledger: StationLedger) -> list[tuple[str, dict[str, Any]]]:
    """What waits for the hub, oldest first."""
    if isinstance(ledger, MemoryLedger):
        return ledger.outbox
    assert isinstance(ledger, StoredLedger)
    return [(r["type"], json.loads(r["body"])) for r in ledger.store.query("SELECT type, body FROM outbox ORDER BY seq")]


@pytest.fixture
def session(ledger: StationLedger, clock: Clock) -> StationSession:
    return StationSession(ledger, "ST-ASM-1", DEMO_WORK_CENTRES, clock=clock)


def logged_in(session: StationSession, who: str = "E-0042") -> StationSession:
    assert session.scan(badge(who)).tone is Tone.OK
    return session


def assert_refused_and_nothing_recorded(fb_tone: Tone, ledger: StationLedger, before: int) -> None:
    assert fb_tone in (Tone.ERROR, Tone.OVERRIDE)
    assert len(outbox(ledger)) == before


def test_badge_scan_logs_the_worker_in(session: StationSession) -> None:
    fb = session.scan(badge("E-0042"))
    assert fb.tone is Tone.OK and "Li Wei" in fb.text
    assert session.worker is not None and session.worker.badge == "E-0042"


def test_typed_pin_logs_in_and_a_wrong_pin_is_refused(session: StationSession) -> None:
    assert session.login_pin("0707").tone is Tone.OK
    assert session.worker is not None and session.worker.name == "Anna Berg"
    fb = session.login_pin("1234")
    assert fb.tone is Tone.ERROR and "unknown PIN" in fb.text
    assert session.worker.name == "Anna Berg"


def test_unknown_badge_is_refused(session: StationSession) -> None:
    fb = session.scan(badge("E-9999"))
    assert fb.tone is Tone.ERROR and "not on this station's roster" in fb.text
    assert session.worker is None


@pytest.mark.parametrize("text", ["", "hello", "FL1:WO:WO-1001:OP:10:Z", "FL1:XX:1:A", "FL1:WO:WO-1001"])
def test_malformed_or_foreign_codes_are_refused_with_a_clear_message(
    session: StationSession, ledger: StationLedger, text: str
) -> None:
    logged_in(session)
    fb = session.scan(text)
    assert fb.tone is Tone.ERROR and fb.text
    assert session.selection is None and outbox(ledger) == []


def test_work_order_scan_needs_a_login_first(session: StationSession) -> None:
    fb = session.scan(wo("WO-1001", 10))
    assert fb.tone is Tone.ERROR and "log in first" in fb.text


def test_header_label_selects_the_next_operation_at_this_station(session: StationSession) -> None:
    logged_in(session)
    assert session.scan(wo("WO-1001")).tone is Tone.OK
    view = session.view()
    assert view is not None
    assert (view.wo.id, view.op.number, view.state.status) == ("WO-1001", 10, Status.QUEUED)
    assert view.op.sop and view.wo.materials and view.wo.configuration
    assert view.state.standard_seconds == (5 + 2 * 2) * 60


def test_full_flow_start_pause_resume_complete_records_each_event_once(
    session: StationSession, ledger: StationLedger, clock: Clock
) -> None:
    logged_in(session)
    session.scan(wo("WO-1001", 10))
    assert session.start().tone is Tone.OK
    clock.advance(4)
    assert session.pause("material missing").tone is Tone.OK
    clock.advance(30)
    assert session.resume().tone is Tone.OK
    clock.advance(3)
    view = session.view()
    assert view is not None and view.state.elapsed_seconds == pytest.approx(7 * 60)
    assert session.complete("2", "0").tone is Tone.OK
    assert [t for t, _ in outbox(ledger)] == ["op.started", "op.paused", "op.resumed", "op.completed"]
    paused_body = outbox(ledger)[1][1]
    assert paused_body["reason"] == "material missing" and paused_body["worker"] == "E-0042"
    assert paused_body["station"] == "ST-ASM-1" and paused_body["work_order"] == "WO-1001"
    done = outbox(ledger)[-1][1]
    assert (done["good"], done["scrap"]) == (2, 0)
    view = session.view()
    assert view is not None and view.state.status is Status.DONE


def test_timer_turns_amber_then_red_against_standard_time(session: StationSession, clock: Clock) -> None:
    logged_in(session)
    session.scan(wo("WO-1001", 10))  # standard: 5 + 2 × 2 = 9 min
    session.start()
    clock.advance(8.9)
    assert session.view().colour is TimerColour.NORMAL  # type: ignore[union-attr]
    clock.advance(0.1)
    assert session.view().colour is TimerColour.AMBER  # type: ignore[union-attr]
    clock.advance(1.8)
    assert session.view().colour is TimerColour.RED  # type: ignore[union-attr]


def test_work_order_not_routed_here_is_refused(session: StationSession, ledger: StationLedger) -> None:
    logged_in(session)
    fb = session.scan(wo("WO-7777", 10))
    assert fb.tone is Tone.ERROR and "not routed to this station" in fb.text
    assert session.selection is None and outbox(ledger) == []


def test_operation_of_another_work_centre_needs_a_supervisor(session: StationSession, ledger: StationLedger) -> None:
    logged_in(session)
    fb = session.scan(wo("WO-1002", 10))  # WO-1002 op 10 runs at WELD
    assert fb.tone is Tone.OVERRIDE and "routed to WELD" in fb.text
    assert session.selection is None and outbox(ledger) == []
    assert session.start().tone is Tone.ERROR and outbox(ledger) == []


def test_predecessor_not_done_is_refused_and_a_supervisor_badge_overrides_it_on_record(
    session: StationSession, ledger: StationLedger
) -> None:
    logged_in(session)
    fb = session.scan(wo("WO-1001", 20))
    assert fb.tone is Tone.OVERRIDE and "waits for operation 10" in fb.text
    assert outbox(ledger) == []
    # a normal worker's badge does not override; it just logs them in
    session.scan(badge("E-0007"))
    assert session.pending_override is None and session.selection is None
    session.scan(wo("WO-1001", 20))
    assert session.scan(badge("S-0001")).tone is Tone.OK
    assert session.worker is not None and session.worker.badge == "E-0007"  # the worker stays logged in
    assert session.start().tone is Tone.OK
    body = outbox(ledger)[-1][1]
    assert body["worker"] == "E-0007" and body["override_by"] == "S-0001"
    assert "waits for operation 10" in body["override_reason"]


def test_supervisor_pin_also_approves_an_override(session: StationSession, ledger: StationLedger) -> None:
    logged_in(session)
    session.scan(wo("WO-1001", 20))
    assert session.login_pin("9999").tone is Tone.OK
    session.start()
    assert outbox(ledger)[-1][1]["override_by"] == "S-0001"


def test_operation_already_complete_is_refused_even_for_a_supervisor(
    session: StationSession, ledger: StationLedger
) -> None:
    logged_in(session)
    session.scan(wo("WO-1001", 10))
    session.start()
    session.complete("2", "0")
    count = len(outbox(ledger))
    fb = session.scan(wo("WO-1001", 10))
    assert fb.tone is Tone.ERROR and "already complete" in fb.text
    assert session.pending_override is None
    session.scan(badge("S-0001"))
    assert session.selection is None and len(outbox(ledger)) == count


def test_header_label_skips_done_operations_and_says_when_all_are_done(session: StationSession) -> None:
    with_first_two_done(session)
    session.scan(wo("WO-1001"))
    assert session.selection is not None and session.selection.operation == 30
    session.start()
    session.record_qc(True)
    session.complete("2", "0")
    fb = session.scan(wo("WO-1001"))
    assert fb.tone is Tone.ERROR and "already complete" in fb.text


@pytest.mark.parametrize(
    ("good", "scrap", "reason", "message"),
    [("", "0", "", "good quantity is empty"), ("-1", "0", "", "not a whole number"),
     ("1.5", "0", "", "not a whole number"), ("two", "0", "", "not a whole number"),
     ("3", "0", "", "3 good is more than the 2 started"), ("2", "1", "dent", "more than the 2 started"),
     ("1", "1", "", "scrap reason"), ("1", "x", "", "scrap quantity")],
)
def test_bad_quantities_are_refused_and_nothing_is_recorded(
    session: StationSession, ledger: StationLedger, good: str, scrap: str, reason: str, message: str
) -> None:
    logged_in(session)
    session.scan(wo("WO-1001", 10))
    session.start()
    before = len(outbox(ledger))
    fb = session.complete(good, scrap, reason)
    assert message in fb.text
    assert_refused_and_nothing_recorded(fb.tone, ledger, before)
    assert session.view().state.status is Status.RUNNING  # type: ignore[union-attr]


def test_next_operation_cannot_report_more_than_the_previous_one_made_good(
    session: StationSession, ledger: StationLedger
) -> None:
    logged_in(session)
    session.scan(wo("WO-1001", 10))
    session.start()
    session.complete("1", "1", "cracked weld")
    session.scan(wo("WO-1001", 20))
    session.start()
    fb = session.complete("2", "0")
    assert fb.tone is Tone.ERROR and "more than the 1 started" in fb.text
    assert session.complete("1", "0").tone is Tone.OK


def test_pause_needs_a_reason_and_only_a_running_worker_can_pause(session: StationSession, ledger: StationLedger) -> None:
    logged_in(session)
    session.scan(wo("WO-1001", 10))
    assert session.pause("break").tone is Tone.ERROR  # not started
    session.start()
    assert "reason" in session.pause("  ").text
    assert [t for t, _ in outbox(ledger)] == ["op.started"]


def test_actions_without_a_selection_or_login_are_refused(session: StationSession, ledger: StationLedger) -> None:
    assert session.start().tone is Tone.ERROR
    logged_in(session)
    assert "scan a work order" in session.start().text
    assert outbox(ledger) == []


def test_two_workers_run_one_operation_and_one_worker_runs_two(
    session: StationSession, ledger: StationLedger, clock: Clock
) -> None:
    logged_in(session, "E-0042")
    session.scan(wo("WO-1001", 10))
    session.start()
    logged_in(session, "E-0007")
    session.scan(wo("WO-1001", 10))
    assert session.start().tone is Tone.OK
    clock.advance(5)
    view = session.view()
    assert view is not None and view.state.workers == ("E-0007", "E-0042")
    assert view.state.labour_seconds == pytest.approx(600) and view.state.elapsed_seconds == pytest.approx(300)
    # Anna also starts the other work order at the same time (its op 10 is at WELD: supervisor allows)
    session.scan(wo("WO-1002", 20))
    session.login_pin("9999")
    assert session.start().tone is Tone.OK
    assert [t for t, _ in outbox(ledger)] == ["op.started", "op.started", "op.started"]


def test_qc_step_records_pass_or_fail_with_a_defect_code(session: StationSession, ledger: StationLedger) -> None:
    with_first_two_done(session)
    session.scan(wo("WO-1001", 30))
    session.start()
    assert "QC result first" in session.complete("2", "0").text
    assert "defect code" in session.record_qc(False).text
    failed = session.record_qc(False, "D-12 paint run")  # recorded, in amber with a falling tone: not success's green
    assert failed.tone is Tone.WARN and failed.text.startswith("QC fail: WO-1001 · 30")
    assert outbox(ledger)[-1][0] == "qc.recorded"
    assert outbox(ledger)[-1][1]["passed"] is False and outbox(ledger)[-1][1]["defect"] == "D-12 paint run"
    scrapped = session.complete("1", "1", "paint")
    assert scrapped.tone is Tone.WARN and scrapped.text.startswith("Completed, 1 scrapped: WO-1001 · 30"), scrapped.text


def test_qc_on_an_operation_without_qc_is_refused(session: StationSession, ledger: StationLedger) -> None:
    logged_in(session)
    session.scan(wo("WO-1001", 10))
    session.start()
    assert "no QC step" in session.record_qc(True).text
    assert len(outbox(ledger)) == 1


def test_listeners_hear_every_change(session: StationSession) -> None:
    heard: list[int] = []
    session.listeners.append(lambda: heard.append(1))
    session.scan("junk")
    logged_in(session)
    assert len(heard) == 2


@pytest.mark.parametrize("text", ["0", "7", " 12 ", "999999", "1000000"])
def test_parse_quantity_accepts_whole_numbers(text: str) -> None:
    assert parse_quantity(text, "good") == int(text)


def test_parse_quantity_reads_full_width_digits_as_the_digits_they_look_like() -> None:
    """A Chinese input method types "１２": twelve parts, not "not a whole number" (review)."""
    assert parse_quantity("１２", "good") == 12
    assert parse_quantity("\u3000３\u3000", "scrap") == 3  # an ideographic space around it too


@pytest.mark.parametrize("text", ["", " ", "-3", "+3", "1e3", "1,5", "１,２", "1000001", "12345678", "٣x"])
def test_parse_quantity_refuses_anything_else(text: str) -> None:
    with pytest.raises(StationError):
        parse_quantity(text, "good")


def feed_all(buffer: WedgeBuffer, text: str, gap: float, start: float = 0.0) -> str | None:
    result = None
    t = start
    for ch in text + "\r":
        out = buffer.feed(ch, t)
        result = out if out is not None else result
        t += gap
    return result


def test_wedge_burst_ending_with_enter_is_a_scan_and_slow_typing_is_not() -> None:
    code = wo("WO-1001", 10)
    assert feed_all(WedgeBuffer(), code, gap=0.01) == code
    assert feed_all(WedgeBuffer(), code, gap=0.2) is None


def test_wedge_scan_after_stray_keys_reads_only_the_burst() -> None:
    buffer = WedgeBuffer()
    buffer.feed("x", 0.0)
    code = wo("WO-1002")
    assert feed_all(buffer, code, gap=0.005, start=1.0) == code


def test_routed_work_order_round_trips_and_malformed_ones_are_refused() -> None:
    from terminal.station.demo import demo_work_orders

    original = demo_work_orders()[0]
    assert RoutedWorkOrder.from_body(original.to_body()) == original
    body = original.to_body()
    body["quantity"] = "two"
    with pytest.raises(StationError, match="quantity"):
        RoutedWorkOrder.from_body(body)
    body = original.to_body()
    body["operations"][1]["predecessor"] = 99
    with pytest.raises(StationError, match="unknown operation 99"):
        RoutedWorkOrder.from_body(body)
    with pytest.raises(StationError, match="malformed work order"):
        RoutedWorkOrder.from_body({"id": "X"})




def test_timer_counts_only_the_work_centres_shifts_sent_with_the_work_order(ledger: StationLedger, clock: Clock) -> None:
    from dataclasses import replace
    from zoneinfo import ZoneInfo

    from terminal.station.demo import demo_work_orders

    shanghai = ZoneInfo("Asia/Shanghai")
    shifts = {"workdays": ["mon", "tue", "wed", "thu", "fri"], "shifts": [["08:00", "12:00"], ["13:00", "17:00"]],
              "holidays": []}
    ledger.put_work_order(replace(demo_work_orders()[0], id="WO-1003", calendars={"ASSY": shifts}))
    clock.now = datetime(2026, 11, 25, 11, 50, tzinfo=shanghai)
    session = StationSession(ledger, "ST-ASM-1", DEMO_WORK_CENTRES, clock=clock, zone=shanghai)
    logged_in(session)
    session.scan(wo("WO-1003", 10))
    session.start()
    clock.now = datetime(2026, 11, 25, 13, 5, tzinfo=shanghai)  # lunch 12:00-13:00 does not count
    view = session.view()
    assert view is not None and view.state.elapsed_seconds == pytest.approx(15 * 60)


def test_work_order_with_an_unreadable_calendar_is_refused() -> None:
    from terminal.station.demo import demo_work_orders

    body = demo_work_orders()[0].to_body() | {"calendars": {"ASSY": {"workdays": ["mon"], "shifts": [["8h", "12:00"]]}}}
    with pytest.raises(StationError, match="calendar cannot be read"):
        RoutedWorkOrder.from_body(body)


def test_an_outsourced_step_is_recorded_by_the_station_its_parts_come_back_to(clock: Clock) -> None:
    """No supplier has a station: the powder coater's step is scanned in when the frame comes back, at the
    station of the next step (incoming inspection), without a supervisor; the sending station may not."""
    from sync.station.workorders import RoutedOperation

    frame = RoutedWorkOrder("K7Q2-03", "CITY", 1, (
        RoutedOperation(10, "Mask threads", "KIT", 5, 10),
        RoutedOperation(20, "Powder coating", "COAT", 0, 0, predecessor=10, outsourced=True),
        RoutedOperation(30, "Incoming inspection", "QC", 0, 6, qc=True, predecessor=20)))
    assert RoutedWorkOrder.from_body(json.loads(json.dumps(frame.to_body()))) == frame
    kit, qc = MemoryLedger(), MemoryLedger()
    sessions = {}
    for name, ledger, centre in (("st-kit-1", kit, "KIT"), ("st-qc-1", qc, "QC")):
        seed_demo(ledger)
        ledger.put_work_order(frame)
        sessions[name] = StationSession(ledger, name, frozenset({centre}), clock=clock)
        sessions[name].scan(badge("E-0042"))
    kit_session, qc_session = sessions["st-kit-1"], sessions["st-qc-1"]
    assert kit_session.scan(wo("K7Q2-03", 20)).tone is Tone.OVERRIDE  # sending it out is not getting it back
    assert kit_session.scan(wo("K7Q2-03", 10)).tone is Tone.OK
    kit_session.start()
    assert kit_session.complete("1", "0").tone is Tone.OK
    qc.put_work_order(RoutedWorkOrder(frame.id, frame.product, 1, tuple(
        RoutedOperation(**{**o.__dict__, "hub_status": "done"}) if o.number == 10 else o for o in frame.operations)))
    assert qc_session.scan(wo("K7Q2-03")).text.endswith("20 Powder coating")  # the header label: next step here
    assert qc_session.start().tone is Tone.OK and qc_session.complete("1", "0").tone is Tone.OK
    assert qc_session.scan(wo("K7Q2-03", 30)).tone is Tone.OK
    assert [type_ for type_, _ in qc.outbox] == ["op.started", "op.completed"]


def test_logging_out_pauses_the_work_the_worker_is_on_and_anyone_may_resume_it(
        session: StationSession, ledger: StationLedger, clock: Clock) -> None:
    """Live demo: a worker logged out with an operation running; its timer ran on for nobody."""
    logged_in(session)
    session.scan(wo("WO-1001", 10))
    session.start()
    clock.advance(5)
    said = session.logout()
    assert said.tone is Tone.INFO and said.text == \
        "Paused for you: WO-1001 · 10. Scan your badge or type your PIN"
    kind, body = outbox(ledger)[-1]
    assert (kind, body["reason"], body["worker"], body["station"]) == ("op.paused", "Logged out", "E-0042", "ST-ASM-1")
    clock.advance(60)
    logged_in(session, "E-0007")  # the next shift takes it over
    session.scan(wo("WO-1001", 10))
    view = session.view()
    assert view is not None and view.state.status is Status.PAUSED and view.state.elapsed_seconds == 300
    assert view.can_resume and session.resume().tone is Tone.OK
    assert session.logout().text.startswith("Paused for you: WO-1001 · 10")
    assert session.logout().text == "Scan your badge or type your PIN", "nobody logged in: nothing to pause"
    assert [t for t, _ in outbox(ledger)] == ["op.started", "op.paused", "op.resumed", "op.paused"]


def test_a_logout_whose_pause_cannot_be_recorded_says_so_and_still_logs_out(clock: Clock) -> None:
    from sync.errors import StoreError

    class FullDisk(MemoryLedger):
        failing = False

        def record(self, type_: str, body: dict[str, Any]) -> Any:
            if self.failing:
                raise StoreError("database or disk is full", where="station.db")
            return super().record(type_, body)

    ledger = FullDisk()
    seed_demo(ledger)
    session = logged_in(StationSession(ledger, "ST-ASM-1", DEMO_WORK_CENTRES, clock=clock))
    session.scan(wo("WO-1001", 10))
    session.start()
    ledger.failing = True
    said = session.logout()
    assert said.tone is Tone.ERROR and said.text.startswith("Logged out, but the work you are on still runs")
    assert session.worker is None and [t for t, _ in ledger.outbox] == ["op.started"]


def test_another_workers_badge_ends_the_first_workers_choice_and_names_the_work_they_are_still_on(
        session: StationSession, ledger: StationLedger, clock: Clock) -> None:
    """Review: a second badge kept the first worker's open operation and a supervisor's allowance for the second
    worker. Their running work goes on (two workers may build one bike) and the greeting says so."""
    logged_in(session)
    session.scan(wo("WO-1001", 10))
    session.start()
    session.scan(wo("WO-1001", 20))  # waits for 10: a supervisor may allow it
    assert session.pending_override is not None
    said = session.scan(badge("E-0007"))
    assert said.tone is Tone.OK and said.text == \
        "Hello Anna Berg — scan a work order. Li Wei is still on WO-1001 · 10"
    assert session.worker is not None and session.worker.badge == "E-0007"
    assert session.selection is None and session.pending_override is None
    assert session.scan(badge("S-0001")).text.startswith("Hello Zhang Min (supervisor)"), "no allowance carried over"
    assert [t for t, _ in outbox(ledger)] == ["op.started"], "nothing recorded for Li Wei"
    texts.use("zh_CN")
    try:
        assert texts.local(said.text) == "Anna Berg，您好 — 请扫描工单。Li Wei仍在做：WO-1001 · 10"
    finally:
        texts.use("en")
    logged_in(session, "E-0042")  # Li Wei back: logging out pauses his work
    assert session.logout().text.startswith("Paused for you: WO-1001 · 10")


def test_the_same_badge_again_keeps_the_work_as_it_is(session: StationSession, ledger: StationLedger) -> None:
    logged_in(session)
    session.scan(wo("WO-1001", 10))
    session.start()
    assert session.scan(badge("E-0042")).text == "Hello Li Wei — scan a work order"
    assert [t for t, _ in outbox(ledger)] == ["op.started"] and session.selection is not None


def test_work_started_with_a_supervisors_allowance_is_not_asked_for_again(
        session: StationSession, ledger: StationLedger) -> None:
    """Review: resuming or completing an operation started out of order asked for the supervisor each time."""
    logged_in(session)
    session.scan(wo("WO-1001", 20))  # waits for operation 10
    session.scan(badge("S-0001"))
    assert session.start().tone is Tone.OK
    session.pause("Break")
    session.clear_selection()
    assert session.scan(wo("WO-1001", 20)).tone is Tone.OK
    assert session.resume().tone is Tone.OK
    assert session.complete("2", "0").tone is Tone.OK
    assert [(t, b.get("override_by")) for t, b in outbox(ledger)] == [
        ("op.started", "S-0001"), ("op.paused", "S-0001"), ("op.resumed", "S-0001"), ("op.completed", "S-0001")]


def test_work_of_another_centre_allowed_here_stays_on_the_list_and_its_events_carry_the_allowance(
        session: StationSession, ledger: StationLedger, clock: Clock) -> None:
    """Review: an operation routed elsewhere and started here with a supervisor's allowance fell off the work
    list, was not paused at logout, and each later event was refused for want of the allowance."""
    logged_in(session)
    assert session.scan(wo("WO-1002", 10)).tone is Tone.OVERRIDE  # routed to WELD
    session.scan(badge("S-0001"))
    assert session.start().tone is Tone.OK
    session.clear_selection()
    listed = [(line.wo.id, line.op.number, line.state.status) for line in routed_here(session)]
    assert ("WO-1002", 10, Status.RUNNING) in listed
    assert session.logout().text.startswith("Paused for you: WO-1002 · 10")
    logged_in(session, "E-0007")
    assert session.scan(wo("WO-1002", 10)).tone is Tone.OK
    assert session.resume().tone is Tone.OK and session.complete("1", "0").tone is Tone.OK
    events = outbox(ledger)
    assert [t for t, _ in events] == ["op.started", "op.paused", "op.resumed", "op.completed"]
    assert {b["override_by"] for _, b in events} == {"S-0001"}
    assert all("routed to WELD" in b["override_reason"] for _, b in events)
    facts = rules.OperationFacts("WO-1002", 10, quantity_in=1, routed=False, work_centre="WELD")
    for i, (kind, body) in enumerate(events):  # the hub checks each again: routed elsewhere, allowed here
        state = derive([OpEvent.from_body(k, b, n) for n, (k, b) in enumerate(events[:i])], clock(), standard=60)
        rules.check(kind, body, state, facts)
        with pytest.raises(StationError, match="routed to WELD"):
            rules.check(kind, {k: v for k, v in body.items() if k != "override_by"}, state, facts)


def with_first_two_done(session: StationSession) -> None:
    """Li Wei logged in, WO-1001's operations 10 and 20 started and completed, both parts good."""
    logged_in(session)
    for op in (10, 20):
        session.scan(wo("WO-1001", op))
        session.start()
        session.complete("2", "0")


def at_a_failed_qc_check(session: StationSession) -> None:
    """WO-1001's operations 10 and 20 done, its QC step 30 started and failed."""
    with_first_two_done(session)
    session.scan(wo("WO-1001", 30))
    session.start()
    session.record_qc(False, "D-03 Wiring fault")


def test_completing_after_a_failed_qc_check_needs_the_failed_parts_scrapped_or_a_new_check(
        session: StationSession, ledger: StationLedger) -> None:
    """Review: after "QC fail", "Complete · 2 good" was accepted in green: the failed parts were booked good."""
    at_a_failed_qc_check(session)
    before = len(outbox(ledger))
    refused = session.complete("2", "0")
    assert refused.tone is Tone.ERROR and "scrap the failed parts, or rework them and record QC again" in refused.text
    assert len(outbox(ledger)) == before
    texts.use("zh_CN")
    try:
        assert texts.local(refused.text) == "质检不合格：请将不合格件报废，或返工后重新记录质检结果"
    finally:
        texts.use("en")
    assert session.record_qc(True).tone is Tone.OK  # reworked and checked again
    assert session.complete("2", "0").tone is Tone.OK


def test_a_failed_qc_check_completes_with_the_failed_parts_scrapped(session: StationSession,
                                                                     ledger: StationLedger) -> None:
    at_a_failed_qc_check(session)
    assert session.complete("1", "1", "Assembly fault").tone is Tone.WARN
    assert outbox(ledger)[-1][1]["scrap"] == 1


def test_a_store_failure_says_nothing_was_recorded_and_logs_the_cause(
        clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    """Review: "database is locked while recording op.started …" is no sentence for a worker."""
    from sync.errors import StoreError

    class Locked(MemoryLedger):
        def record(self, type_: str, body: dict[str, Any]) -> Any:
            raise StoreError("database is locked while recording op.started", where="station.db")

    ledger = Locked()
    seed_demo(ledger)
    session = logged_in(StationSession(ledger, "ST-ASM-1", DEMO_WORK_CENTRES, clock=clock))
    session.scan(wo("WO-1001", 10))
    with caplog.at_level(logging.ERROR, logger="floorlink.station"):
        said = session.start()
    assert said.tone is Tone.ERROR and said.text.startswith("Nothing was recorded: the station cannot save right now")
    assert "database is locked" not in said.text
    record = next(r for r in caplog.records if "database is locked" in r.getMessage())
    assert record.exc_info is not None
    texts.use("zh_CN")
    try:
        assert texts.local(said.text).startswith("未记录任何内容")
    finally:
        texts.use("en")


def test_a_refusal_about_the_worker_says_you_not_their_badge(session: StationSession, ledger: StationLedger) -> None:
    """Review: "cannot pause operation 10 of WO-1001 now: E-0042 is not on it" named the worker's own badge."""
    logged_in(session)
    session.scan(wo("WO-1001", 10))
    session.start()
    logged_in(session, "E-0007")
    session.scan(wo("WO-1001", 10))
    said = session.pause("Break")
    assert said.tone is Tone.ERROR and said.text == "You are not working on this operation now"
    logged_in(session, "E-0042")
    session.scan(wo("WO-1001", 10))
    assert session.start().text == "You are already working on this operation"
    assert [t for t, _ in outbox(ledger)] == ["op.started"]


def test_counts_short_of_what_reached_are_asked_once_then_recorded(session: StationSession, ledger: StationLedger) -> None:
    """Review: "1 good, 0 scrap" of 2 started was recorded without a word: a part vanished from the count."""
    logged_in(session)
    session.scan(wo("WO-1001", 10))
    session.start()
    asked = session.complete("1", "0")
    assert asked.tone is Tone.ASK and asked.text == \
        "1 of 2 parts not counted (1 good + 0 scrap): count again, or tap Complete again to record it so"
    assert [t for t, _ in outbox(ledger)] == ["op.started"], "nothing recorded on the first tap"
    texts.use("zh_CN")
    try:
        assert texts.local(asked.text).startswith("2 件中有 1 件未计数")
    finally:
        texts.use("en")
    assert session.complete("0", "1", "Damaged part").tone is Tone.ASK, "other counts are asked anew"
    assert session.complete("0", "1", "Damaged part").tone is Tone.WARN
    assert outbox(ledger)[-1][1]["good"] == 0 and outbox(ledger)[-1][1]["scrap"] == 1


def test_a_full_count_is_recorded_at_once(session: StationSession, ledger: StationLedger) -> None:
    logged_in(session)
    session.scan(wo("WO-1001", 10))
    session.start()
    assert session.complete("1", "1", "Damaged part").tone is Tone.WARN
    session.scan(wo("WO-1001", 20))
    session.start()
    assert session.complete("1", "0").tone is Tone.OK, "1 good of the 1 good that reached it"
    session.scan(wo("WO-1001", 30))
    session.start()
    session.record_qc(True)
    assert session.complete("0", "0").text == \
        "The part was not counted (0 good + 0 scrap): count again, or tap Complete again to record it so"


def test_a_store_that_cannot_be_read_at_a_change_of_worker_still_logs_the_new_one_in(
        clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    from sync.errors import StoreError

    class Unreadable(MemoryLedger):
        broken = False

        def work_orders(self) -> list[RoutedWorkOrder]:
            if self.broken:
                raise StoreError("disk I/O error", where="station.db")
            return super().work_orders()

    ledger = Unreadable()
    seed_demo(ledger)
    session = logged_in(StationSession(ledger, "ST-ASM-1", DEMO_WORK_CENTRES, clock=clock))
    ledger.broken = True
    with caplog.at_level(logging.WARNING, logger="floorlink.station"):
        said = session.scan(badge("E-0007"))
    assert said.tone is Tone.OK and said.text == "Hello Anna Berg — scan a work order"
    assert any("disk I/O error" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)
