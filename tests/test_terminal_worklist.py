"""Work reaches the station without a scan: the work list's rows and the typed number open an
operation under exactly the rules of a scan; the big keypads type codes and quantities."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync import labels
from sync.labels import WorkOrderLabel
from sync.station.ledger import MemoryLedger, StationLedger
from sync.station.stored import StoredLedger
from sync.station.workorders import RoutedWorkOrder
from sync.store import Store
from terminal.app import build_session, memory_link
from terminal.station.demo import DEMO_WORK_CENTRES, demo_work_orders, seed_demo
from terminal.station.session import StationSession, Tone, routed_here, snapshot
from terminal.station.worklist import work_rows
from terminal.ui.window import StationWindow
from tests.station_window import T0, Clock, badge, shown_window, station_settings, tap


def planned(wo: RoutedWorkOrder, start: datetime, new_id: str | None = None) -> RoutedWorkOrder:
    """``wo`` with its operations planned an hour apart from ``start``."""
    ops = tuple(replace(op, planned_start=start + timedelta(hours=i)) for i, op in enumerate(wo.operations))
    return replace(wo, id=new_id or wo.id, operations=ops)


@pytest.fixture(params=["memory", "sqlite"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> StationLedger:
    led: StationLedger = MemoryLedger() if request.param == "memory" else StoredLedger(
        Store(tmp_path / "station.db", device_id="ST-ASM-1"))
    seed_demo(led)
    return led


def session_for(ledger: StationLedger) -> StationSession:
    session = StationSession(ledger, "ST-ASM-1", DEMO_WORK_CENTRES, clock=Clock())
    assert session.scan(badge("E-0042")).tone is Tone.OK
    return session


def test_the_list_shows_work_in_hand_first_then_ready_work_by_planned_start(ledger: StationLedger) -> None:
    wo1001, wo1002 = demo_work_orders()
    ledger.put_work_order(planned(wo1002, T0 + timedelta(hours=5), "WO-2002"))  # later plan, same shape
    ledger.put_work_order(planned(wo1001, T0 + timedelta(hours=2), "WO-2001"))
    session = session_for(ledger)
    order = [(line.wo.id, line.op.number) for line in routed_here(session)]
    # ready (no predecessor open) first by plan, unplanned (demo) last; then those waiting, by plan
    assert order[:2] == [("WO-2001", 10), ("WO-1001", 10)]
    assert order[2:] == [("WO-2001", 20), ("WO-2001", 30), ("WO-2002", 20), ("WO-2002", 30),
                         ("WO-1001", 20), ("WO-1001", 30), ("WO-1002", 20), ("WO-1002", 30)]
    assert session.open_operation("WO-1001", 10).tone is Tone.OK
    assert session.start().tone is Tone.OK
    assert [(line.wo.id, line.op.number) for line in routed_here(session)][0] == ("WO-1001", 10)

    rows = work_rows(list(routed_here(session)), UTC, T0)
    assert (rows[0].number, rows[0].step, rows[0].tone) == ("WO-1001", "10  Frame prep", "running")
    assert rows[0].state.startswith("Running") and rows[0].standard == "9 min" and rows[0].product == "E-bike Trekking  ×2"
    ready = next(r for r in rows if r.work_order == "WO-2001" and r.operation == 10)
    assert (ready.state, ready.planned, ready.tone) == ("Ready", "planned 10:00", "ready")
    waiting = next(r for r in rows if r.work_order == "WO-2002" and r.operation == 30)
    assert waiting.state == "Waits for op 20" and waiting.planned == "planned 15:00"
    elsewhere = next(r for r in rows if r.work_order == "WO-1002" and r.operation == 20)
    assert elsewhere.state == "Waits for op 10 at WELD", "where to ask for it (review: the step number alone)"
    said = session.open_operation("WO-1002", 20)
    assert said.text == "operation 20 of WO-1002 waits for operation 10 at WELD, not done yet — a supervisor badge " \
        "or PIN can allow it"


def test_a_started_step_shows_how_long_it_ran_not_when_it_was_planned(ledger: StationLedger) -> None:
    wo1001, _ = demo_work_orders()
    ledger.put_work_order(planned(wo1001, T0 + timedelta(hours=2), "WO-2001"))
    session = session_for(ledger)
    assert session.open_operation("WO-2001", 10).tone is Tone.OK and session.start().tone is Tone.OK
    row = next(r for r in work_rows(list(routed_here(session)), UTC, T0) if r.work_order == "WO-2001")
    assert row.state.startswith("Running") and row.planned == ""
    assert session.pause("Break").tone is Tone.OK
    row = next(r for r in work_rows(list(routed_here(session)), UTC, T0) if r.work_order == "WO-2001")
    assert row.state.startswith("Paused") and row.planned == ""
    waiting = next(r for r in work_rows(list(routed_here(session)), UTC, T0)
                   if r.work_order == "WO-2001" and r.operation == 20)
    assert waiting.planned.startswith("planned "), "not started: its plan still helps"


def test_done_operations_leave_the_list_on_screen(ledger: StationLedger) -> None:
    session = session_for(ledger)
    session.open_operation("WO-1001", 10)
    session.start()
    session.complete("2", "0")
    assert session.feedback.tone is Tone.OK and "WO-1001" in session.feedback.text
    session.clear_selection()
    assert (session.feedback.tone, session.feedback.text) == (Tone.INFO, "Scan a work order or tap it below"), \
        "the banner no longer shows the work order left (live demo: it stayed, in green)"
    shown = [(line.wo.id, line.op.number) for line in snapshot(session).lines]
    assert ("WO-1001", 10) not in shown and ("WO-1001", 20) in shown


@pytest.mark.parametrize("work_order, operation", [
    ("WO-1001", 10), ("WO-1001", 20), ("WO-1001", 30), ("WO-1002", 10), ("WO-1002", 20), ("WO-1002", None),
    ("WO-1001", None), ("WO-9999", 10), ("WO-1001", 40)])
def test_a_tap_and_a_typed_number_answer_exactly_as_a_scan_of_that_label(
        tmp_path: Path, work_order: str, operation: int | None) -> None:
    """Same feedback, same selection, same pending override, in every state (ready, waiting, done...)."""
    def fresh(name: str) -> StationSession:
        led = StoredLedger(Store(tmp_path / f"{name}.db", device_id="ST-ASM-1"))
        seed_demo(led)
        session = session_for(led)
        session.open_operation("WO-1001", 10)  # make op 10 done, so 20 is ready and 30 waits
        session.start()
        session.complete("2", "0")
        session.clear_selection()
        return session

    scanned, tapped, typed = fresh("scan"), fresh("tap"), fresh("typed")
    fb_scan = scanned.scan(labels.format(WorkOrderLabel(work_order, operation)))
    fb_tap = tapped.open_operation(work_order, operation)
    typed_text = work_order.lower() if operation is None else labels.format(WorkOrderLabel(work_order, operation))
    fb_typed = typed.enter_code(typed_text)
    assert fb_scan == fb_tap == fb_typed
    assert scanned.selection == tapped.selection == typed.selection
    assert scanned.pending_override == tapped.pending_override == typed.pending_override


def test_a_typed_number_that_cannot_be_one_is_refused_with_what_to_type(ledger: StationLedger) -> None:
    session = session_for(ledger)
    feedback = session.enter_code("WO 1001!")
    assert feedback.tone is Tone.ERROR and "not a work-order number" in feedback.text and "traveler" in feedback.text
    assert session.selection is None
    assert session_for(ledger).enter_code("FL1:WO:WO-1001:OP:10:Q").tone is Tone.ERROR  # a bad check character


def test_the_planned_start_travels_in_the_work_order_body_and_a_bad_one_is_refused() -> None:
    wo = planned(demo_work_orders()[0], T0)
    body = wo.to_body()
    assert body["operations"][1]["planned_start"] == "2026-11-25T09:00:00+00:00"
    assert RoutedWorkOrder.from_body(body) == wo
    body["operations"][0]["planned_start"] = "2026-11-25 08:00"  # no zone
    with pytest.raises(Exception, match="no time zone"):
        RoutedWorkOrder.from_body(body)


# --- the real widgets, offscreen ---------------------------------------------------------------------

@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[StationWindow]:  # type: ignore[no-untyped-def]
    settings = station_settings()
    ledger = MemoryLedger()
    seed_demo(ledger)
    ledger.put_work_order(planned(demo_work_orders()[0], T0 + timedelta(hours=1), "K7Q2-01"))
    with shown_window(qtbot, settings, build_session(settings, ledger, clock=Clock()), memory_link(ledger)) as win:
        yield win


def drawn(win: StationWindow) -> None:
    win.refresh()
    assert win.wait_idle()


def test_a_worker_without_a_scanner_taps_a_row_of_the_work_list(qtbot, window: StationWindow,  # type: ignore[no-untyped-def]
                                                                 artifacts: Path) -> None:
    for key in "4242":
        tap(qtbot, window, window.login_page.keypad.buttons[key])
    tap(qtbot, window, window.login_page.ok)
    drawn(window)
    assert window.stack.currentWidget() is window.scan_page
    rows = [r for r in window.scan_page.work_list.rows if r.isVisible()]
    assert [(r.row.work_order, r.row.operation) for r in rows if r.row][:2] == [("K7Q2-01", 10), ("WO-1001", 10)]
    assert all(r.height() >= 64 for r in rows)
    assert rows[0].number.text() == "K7Q2-01" and rows[0].standard.text() == "9 min"
    assert window.grab().save(str(artifacts / "terminal_16_work_list.png"))

    waiting = next(r for r in rows if r.row and r.row.work_order == "WO-1001" and r.row.operation == 20)
    tap(qtbot, window, waiting)
    assert window.feedback.property("tone") == "override"  # the scan's rule: operation 10 is not done
    assert window.session.selection is None
    tap(qtbot, window, rows[0])
    assert window.stack.currentWidget() is window.op_page
    selection = window.session.selection
    assert selection is not None and (selection.work_order, selection.operation) == ("K7Q2-01", 10)
    tap(qtbot, window, window.op_page.start_button)
    assert window.session.view() is not None and window.session.view().can_pause  # type: ignore[union-attr]


def test_the_keypad_types_a_work_order_number_and_a_wrong_one_keeps_it_open(qtbot, window: StationWindow,  # type: ignore[no-untyped-def]
                                                                              artifacts: Path) -> None:
    window.scan(badge("E-0042"))
    assert window.wait_idle()
    tap(qtbot, window, window.scan_page.type_button)
    assert window.stack.currentWidget() is window.code_page
    keys = window.code_page.keypad.buttons
    assert all(b.height() >= 64 and b.width() >= 64 for b in keys.values())
    for key in "1234567890ABCDEFGHIJKLMNOPQRSTUVWXYZ-.":  # every key types itself (C is a letter here)
        tap(qtbot, window, keys[key])
    assert window.code_page.code.text() == "1234567890ABCDEFGHIJKLMNOPQRSTUVWXYZ-."
    tap(qtbot, window, keys["Clear"])
    assert window.code_page.code.text() == ""
    for key in "WO-1009":
        tap(qtbot, window, keys[key])
    assert window.grab().save(str(artifacts / "terminal_17_type_number.png"))
    tap(qtbot, window, window.code_page.ok)
    drawn(window)
    # the banner keeps a code whole (the live banner read "CARGO-BOX-" over "PLY"): non-breaking hyphens
    assert window.feedback.property("tone") == "error" and "WO\u20111009" in window.feedback.text()
    assert window.stack.currentWidget() is window.code_page  # type it again
    for key in "K7Q2-01":
        tap(qtbot, window, keys[key])
    tap(qtbot, window, keys["⌫"])
    tap(qtbot, window, keys["1"])
    assert window.code_page.code.text() == "K7Q2-01"
    tap(qtbot, window, window.code_page.ok)
    drawn(window)
    assert window.stack.currentWidget() is window.op_page
    assert window.session.selection is not None and window.session.selection.work_order == "K7Q2-01"


def test_cancel_on_the_keypad_goes_back_to_the_list(qtbot, window: StationWindow) -> None:  # type: ignore[no-untyped-def]
    window.scan(badge("E-0042"))
    assert window.wait_idle()
    tap(qtbot, window, window.scan_page.type_button)
    tap(qtbot, window, window.code_page.keypad.buttons["W"])
    tap(qtbot, window, window.code_page.cancel)
    drawn(window)
    assert window.stack.currentWidget() is window.scan_page
    assert window.session.selection is None


# --- the timer block: one look per state ---------------------------------------------------------------

def test_timer_block_is_grey_green_amber_red_striped_and_blue_by_state(qtbot, window: StationWindow,  # type: ignore[no-untyped-def]
                                                                       artifacts: Path) -> None:
    clock = window.session.clock
    assert isinstance(clock, Clock)
    window.scan(badge("E-0042"))
    window.open_operation("WO-1001", 10)  # standard 9 min, the default alert at 120 %
    assert window.wait_idle()
    block = window.op_page.timer_block

    def look() -> str:
        drawn(window)
        return str(block.property("look"))

    assert look() == "queued" and window.op_page.timer_caption.text() == "NOT STARTED"
    tap(qtbot, window, window.op_page.start_button)
    clock.now += timedelta(minutes=4)
    assert look() == "running" and "44% of standard" in window.op_page.timer_caption.text()
    assert window.grab().save(str(artifacts / "terminal_18_timer_running.png"))
    clock.now += timedelta(minutes=5, seconds=30)
    assert look() == "amber"
    clock.now += timedelta(minutes=1)  # 116 %: still amber
    assert look() == "amber"
    clock.now += timedelta(minutes=1)  # 127 %
    assert look() == "red"
    tap(qtbot, window, window.op_page.pause_button)
    tap(qtbot, window, window.pause_page.choices.buttons["Break"])
    tap(qtbot, window, window.pause_page.ok)
    assert look() == "paused" and window.op_page.timer_caption.text().startswith("PAUSED")
    assert window.grab().save(str(artifacts / "terminal_19_timer_paused.png"))
    # the paused block is striped: two rows of its pixels differ along the diagonal, a flat colour would not
    image = block.grab().toImage()
    colours = {image.pixelColor(x, 8).name() for x in range(4, image.width() - 4, 3)}
    assert len(colours) >= 2, colours


def test_the_timer_turns_red_at_the_work_centres_alert_threshold_sent_by_the_hub() -> None:
    from sync.station.timing import OpEvent, derive
    from terminal.station.look import Look, timer_look

    started = [OpEvent("op.started", T0, "E-0042")]
    standard = 600.0
    at = lambda minutes: derive(started, T0 + timedelta(minutes=minutes), standard=standard)  # noqa: E731
    assert timer_look(at(5)) is Look.RUNNING
    assert timer_look(at(10)) is Look.AMBER
    assert timer_look(at(12.5)) is Look.RED  # default 120 %
    assert timer_look(at(12.5), alert_at=1.5) is Look.AMBER  # this work centre alerts at 150 %
    assert timer_look(at(15), alert_at=1.5) is Look.RED


def test_the_list_scrolls_by_dragging_and_keeps_rows_tall(qtbot, window: StationWindow) -> None:  # type: ignore[no-untyped-def]
    """A gloved finger drags the list (QScroller on its viewport; an 18 px scrollbar is no use), and
    every row stays ≥ 64 px however many there are."""
    from terminal.qt import QScroller

    ledger = window.session.ledger
    for i in range(12):
        ledger.put_work_order(replace(demo_work_orders()[0], id=f"K1-{i:04d}-01"))
    window.scan(badge("E-0042"))
    drawn(window)
    work_list = window.scan_page.work_list
    assert QScroller.hasScroller(work_list.viewport())
    rows = [r for r in work_list.rows if r.isVisible()]
    assert len(rows) == 40 and all(r.height() >= 64 for r in rows)  # WORK_LIST_ROWS at most
    assert work_list.verticalScrollBar().maximum() > 0


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_a_planned_day_outside_the_coming_week_carries_its_date(language: str) -> None:
    """Live demo, a Saturday: "planned Fri 08:51" read as yesterday or as next Friday."""
    from zoneinfo import ZoneInfo

    from terminal.station import texts
    from terminal.station.worklist import _planned

    zone = ZoneInfo("Asia/Shanghai")
    saturday = datetime(2026, 12, 5, 10, 0, tzinfo=zone)
    before = texts.language()
    texts.use(language)
    try:
        said = {days: _planned(saturday + timedelta(days=days, hours=-1, minutes=-9), zone, saturday)
                for days in (-1, 0, 1, 6, 7, 30)}
    finally:
        texts.use(before)
    expected = {
        "en": {-1: "planned Fri 4 Dec 08:51", 0: "planned 08:51", 1: "planned Sun 08:51", 6: "planned Fri 08:51",
               7: "planned Sat 12 Dec 08:51", 30: "planned Mon 4 Jan 08:51"},
        "zh_CN": {-1: "计划 12月4日 周五 08:51", 0: "计划 08:51", 1: "计划 周日 08:51", 6: "计划 周五 08:51",
                  7: "计划 12月12日 周六 08:51", 30: "计划 1月4日 周一 08:51"},
    }[language]
    assert said == expected
