"""The station ledger in a real SQLite store: event and outbox in one transaction, hub messages
through the inbox, and timers that continue across a restart over the same file."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync import labels
from sync.errors import StoreError
from sync.labels import BadgeLabel, WorkOrderLabel
from sync.protocol.envelope import Envelope
from sync.station.ledger import event_body, operation_state
from sync.station.stored import (
    OPERATION_STATUS,
    WORK_ORDER_CANCELLED,
    WORK_ORDER_MESSAGE,
    StoredLedger,
    register,
)
from sync.station.timing import Status
from sync.store import Inbox, Store
from terminal.station.demo import DEMO_WORK_CENTRES, demo_work_orders, seed_demo
from terminal.station.session import StationSession, Tone

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def open_ledger(path: Path) -> StoredLedger:
    return StoredLedger(Store(path, device_id="ST-ASM-1"))


def logged_in(tmp_path: Path) -> tuple[StoredLedger, Inbox, StationSession]:
    """A demo station over SQLite, taking the hub's messages through its inbox, with worker E-0042 logged in."""
    ledger = open_ledger(tmp_path / "station.db")
    seed_demo(ledger)
    inbox = Inbox(ledger.store)
    register(inbox)
    session = StationSession(ledger, "ST-ASM-1", DEMO_WORK_CENTRES, clock=lambda: T0)
    session.scan(labels.format(BadgeLabel("E-0042")))
    return ledger, inbox, session


def test_recorded_event_lands_in_the_log_and_the_outbox_together(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "station.db")
    seed_demo(ledger)
    ledger.record("op.started", event_body("WO-1001", 10, T0, "E-0042"))
    rows = ledger.store.query("SELECT o.type, o.body, e.event_id FROM outbox o JOIN station_events e "
                              "ON o.event_id = e.event_id")
    assert len(rows) == 1 and rows[0]["type"] == "op.started"
    assert json.loads(rows[0]["body"])["worker"] == "E-0042"
    assert ledger.pending_outbox() == 1
    assert [e.type for e in ledger.events("WO-1001", 10)] == ["op.started"]


def test_a_failing_write_records_neither_the_event_nor_the_outbox_message(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "station.db")
    seed_demo(ledger)
    bad = event_body("WO-1001", 10, T0, "E-0042", reason=object())
    with pytest.raises(StoreError, match="not JSON-serialisable"):
        ledger.record("op.paused", bad)
    assert ledger.events("WO-1001") == [] and ledger.pending_outbox() == 0


def test_work_orders_and_roster_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    seed_demo(open_ledger(path))
    again = open_ledger(path)
    assert again.work_orders() == sorted(demo_work_orders(), key=lambda w: w.id)
    assert {w.badge for w in again.workers()} == {"E-0042", "E-0007", "S-0001"}


def test_hub_work_order_message_is_applied_through_the_inbox(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "station.db")
    inbox = Inbox(ledger.store)
    register(inbox)
    body = demo_work_orders()[0].to_body() | {"id": "WO-2001", "demo": False}
    inbox.receive(Envelope("0192f0c0-0000-7000-8000-000000000001", "hub", 1, "2026-11-25T08:00:00Z",
                           WORK_ORDER_MESSAGE, body, stream="station/ST-ASM-1"))
    wo = ledger.work_order("WO-2001")
    assert wo is not None and not wo.demo and wo.operation(20).predecessor == 10


def test_malformed_hub_work_order_is_kept_out_and_recorded_as_failed(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "station.db")
    inbox = Inbox(ledger.store)
    register(inbox)
    inbox.receive(Envelope("0192f0c0-0000-7000-8000-000000000002", "hub", 1, "2026-11-25T08:00:00Z",
                           WORK_ORDER_MESSAGE, {"id": "WO-3", "quantity": -1}, stream="station/ST-ASM-1"))
    assert ledger.work_orders() == []
    assert inbox.failures() and "WO-3" in json.dumps(inbox.failures())


def test_running_timer_continues_after_a_restart_over_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    now = [T0]
    stored = open_ledger(path)
    first = StationSession(stored, "ST-ASM-1", DEMO_WORK_CENTRES, clock=lambda: now[0])
    seed_demo(stored)
    first.scan(labels.format(BadgeLabel("E-0042")))
    first.scan(labels.format(WorkOrderLabel("WO-1001", 10)))
    assert first.start().tone is Tone.OK
    now[0] = T0 + timedelta(minutes=3)
    first.pause("Break")
    now[0] = T0 + timedelta(minutes=10)
    first.resume()
    stored.store.close()  # the app "crashes" here; nothing lives in memory any more

    now[0] = T0 + timedelta(minutes=12)
    ledger = open_ledger(path)
    wo = ledger.work_order("WO-1001")
    assert wo is not None
    state = operation_state(ledger, wo, 10, now[0])
    assert state.status is Status.RUNNING
    assert state.elapsed_seconds == pytest.approx(5 * 60)
    assert ledger.pending_outbox() == 3


def test_when_the_database_fails_the_action_is_refused_plainly_the_log_has_the_reason_and_nothing_is_recorded(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "station.db"
    ledger = open_ledger(path)
    seed_demo(ledger)
    session = StationSession(ledger, "ST-ASM-1", DEMO_WORK_CENTRES, clock=lambda: T0)
    session.scan(labels.format(BadgeLabel("E-0042")))
    session.scan(labels.format(WorkOrderLabel("WO-1001", 10)))
    ledger.store.close()  # the disk went away under the running app
    with caplog.at_level(logging.ERROR, logger="floorlink.station"):
        fb = session.start()
    assert fb.tone is Tone.ERROR and fb.text.startswith("Nothing was recorded")
    assert any("closed database" in r.getMessage() and r.exc_info for r in caplog.records)
    assert session.scan(labels.format(WorkOrderLabel("WO-1001", 20))).tone is Tone.ERROR
    assert session.login_pin("4242").tone is Tone.ERROR
    assert open_ledger(path).events("WO-1001") == []


def test_cancelled_work_order_cannot_be_started_but_running_work_can_be_finished(tmp_path: Path) -> None:
    ledger, inbox, session = logged_in(tmp_path)
    session.scan(labels.format(WorkOrderLabel("WO-1001", 10)))
    session.start()
    inbox.receive(Envelope("0192f0c0-0000-7000-8000-000000000003", "hub", 1, "2026-11-25T08:00:00Z",
                           WORK_ORDER_CANCELLED, {"id": "WO-1001", "order_id": "ORD-501"}, stream="station/ST-ASM-1"))
    wo = ledger.work_order("WO-1001")
    assert wo is not None and wo.cancelled
    fb = session.scan(labels.format(WorkOrderLabel("WO-1001", 20)))
    assert fb.tone is Tone.ERROR and "was cancelled" in fb.text
    session.scan(labels.format(BadgeLabel("S-0001")))  # no supervisor override for a cancelled order
    assert session.selection is None and session.pending_override is None
    session.scan(labels.format(BadgeLabel("E-0042")))
    session.scan(labels.format(WorkOrderLabel("WO-1001", 10)))  # the running one can still be closed
    assert session.pause("Other job").tone is Tone.OK
    assert "was cancelled" in session.resume().text
    assert session.complete("0", "0").tone is Tone.OK


def test_predecessor_done_at_another_station_per_the_hub_lets_the_next_operation_start(tmp_path: Path) -> None:
    ledger, inbox, session = logged_in(tmp_path)
    assert session.scan(labels.format(WorkOrderLabel("WO-1002", 20))).tone is Tone.OVERRIDE  # op 10 is at WELD
    inbox.receive(Envelope("0192f0c0-0000-7000-8000-000000000004", "hub", 1, "2026-11-25T08:00:00Z",
                           OPERATION_STATUS, {"id": "WO-1002", "operation": 10, "status": "done"},
                           stream="station/ST-ASM-1"))
    assert session.scan(labels.format(WorkOrderLabel("WO-1002", 20))).tone is Tone.OK
    assert session.start().tone is Tone.OK
    inbox.receive(Envelope("0192f0c0-0000-7000-8000-000000000005", "hub", 2, "2026-11-25T08:00:00Z",
                           OPERATION_STATUS, {"id": "WO-1002", "operation": 77, "status": "done"},
                           stream="station/ST-ASM-1"))
    assert "no operation 77" in json.dumps(inbox.failures())


def test_a_replanned_work_order_released_again_keeps_what_the_hub_said_was_done_elsewhere(tmp_path: Path) -> None:
    """A replan re-releases a work order with new planned starts but without the operations' statuses: the
    predecessor done at another station stays done here (the QC step waited forever for the welding)."""
    ledger, inbox, session = logged_in(tmp_path)
    released = next(wo for wo in demo_work_orders() if wo.id == "WO-1002").to_body()
    for seq, (type_, body) in enumerate([(OPERATION_STATUS, {"id": "WO-1002", "operation": 10, "status": "done"}),
                                         (WORK_ORDER_MESSAGE, {**released, "demo": False})], 1):
        inbox.receive(Envelope(f"0192f0c0-0000-7000-8000-00000000010{seq}", "hub", seq, "2026-11-25T08:00:00Z",
                               type_, body, stream="station/ST-ASM-1"))
    assert inbox.failures() == []
    assert session.scan(labels.format(WorkOrderLabel("WO-1002", 20))).tone is Tone.OK


def test_a_work_order_waits_for_its_parts_until_the_hub_says_they_are_done(tmp_path: Path) -> None:
    """The bike's first step waits for the frame welded for it (a part work order made elsewhere): listed as
    waiting, a scan asks for a supervisor; the hub's re-release with the part done makes it ready, and a later
    replan's re-release (which may still say open) does not make it wait again."""
    from terminal.station.session import routed_here
    from terminal.station.worklist import work_rows

    ledger, inbox, session = logged_in(tmp_path)
    released = next(wo for wo in demo_work_orders() if wo.id == "WO-1001").to_body()

    def release(seq: int, state: str) -> None:
        inbox.receive(Envelope(f"0192f0c0-0000-7000-8000-00000000020{seq}", "hub", seq, "2026-11-25T08:00:00Z",
                               WORK_ORDER_MESSAGE, {**released, "demo": False, "parts": {"WO-1001-02": state}},
                               stream="station/ST-ASM-1"))
        assert inbox.failures() == []

    def row() -> str:
        return next(r.state for r in work_rows(routed_here(session), UTC, T0) if (r.work_order, r.operation) == ("WO-1001", 10))

    release(1, "open")
    assert row() == "Waits for parts WO-1001-02"
    feedback = session.scan(labels.format(WorkOrderLabel("WO-1001", 10)))
    assert feedback.tone is Tone.OVERRIDE and "waits for parts not made yet: WO-1001-02" in feedback.text
    release(2, "done")
    assert row() == "Ready"
    release(3, "open")
    assert row() == "Ready", "a part done stays done"
    assert session.scan(labels.format(WorkOrderLabel("WO-1001", 10))).tone is Tone.OK
    assert session.start().tone is Tone.OK


def test_heartbeat_tells_the_hub_who_is_logged_in_and_what_runs(tmp_path: Path) -> None:
    from terminal.station.session import heartbeat_body

    ledger = open_ledger(tmp_path / "station.db")
    seed_demo(ledger)
    session = StationSession(ledger, "ST-ASM-1", DEMO_WORK_CENTRES, clock=lambda: T0)
    session.scan(labels.format(BadgeLabel("E-0042")))
    session.scan(labels.format(WorkOrderLabel("WO-1001", 10)))
    session.start()
    ledger.heartbeat(heartbeat_body(session))
    row = ledger.store.query("SELECT type, body FROM outbox ORDER BY seq DESC LIMIT 1")[0]
    assert row["type"] == "device.heartbeat"
    assert json.loads(row["body"]) == {"at": T0.isoformat(), "station": "ST-ASM-1", "worker": "E-0042",
                                       "running": ["WO-1001/10"]}
    assert [e.type for e in ledger.events("WO-1001")] == ["op.started"]  # not an operation event
