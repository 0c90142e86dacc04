"""A supervisor at the station settles what the hub refused: listed in plain words, sent again or
set aside with who and when (real SQLite store, no screen)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sync.errors import StationError, StoreError
from sync.protocol.envelope import Ack
from sync.station.workorders import Worker
from sync.store import Outbox, Store
from terminal.station.refused import RefusedEvents, describe

SUPERVISOR = Worker("S-0001", "Zhang Min", "", supervisor=True)
WORKER = Worker("W-0001", "Ann Lee", "")
AT = datetime(2026, 11, 25, 2, 3, tzinfo=UTC)


def refuse(store: Store, type_: str, body: dict[str, object], reason: str) -> str:
    """Record an event and answer it the way the hub answers a refused one."""
    envelope = Outbox.record(store, type_, body)
    Outbox(store).acknowledge([Ack(envelope.event_id, envelope.seq, "rejected", reason, code="rejected")])
    return envelope.event_id


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "st-1.db", device_id="st-1")


def refused_events(store: Store) -> RefusedEvents:
    outbox = Outbox(store)
    names = {"W-0001": "Ann Lee"}
    return RefusedEvents(outbox, outbox.requeue, names=lambda badge: names.get(badge, badge),
                         zone=ZoneInfo("Asia/Shanghai"))


def test_refused_events_are_listed_in_plain_words_with_who_when_and_the_hubs_reason(store: Store) -> None:
    refuse(store, "op.started", {"work_order": "WO-1001", "operation": 10, "at": AT.isoformat(), "worker": "W-0001"},
           "unknown work order WO-1001")
    refuse(store, "op.completed", {"work_order": "WO-1002", "operation": 20, "at": AT.isoformat(), "good": 12,
                                   "scrap": 1}, "12 good is more than the 10 started")
    first, second = refused_events(store).items()
    assert (first.what, first.when, first.who, first.reason) == (
        "Start WO-1001 · 10", "25 Nov 10:03", "Ann Lee", "unknown work order WO-1001")
    assert (second.what, second.who) == ("Complete WO-1002 · 20: 12 good, 1 scrap", "")
    assert describe("sync.resend", {"stream": "x"}) == "sync.resend"


def test_set_aside_keeps_the_event_with_who_and_when_and_the_count_drops(store: Store) -> None:
    kept = refuse(store, "op.started", {"work_order": "WO-1", "operation": 10, "at": AT.isoformat()}, "no")
    other = refuse(store, "op.started", {"work_order": "WO-2", "operation": 10, "at": AT.isoformat()}, "no")
    refused = refused_events(store)
    outbox = Outbox(store)
    assert outbox.dead_letter_count() == 2
    assert refused.set_aside(kept, SUPERVISOR) == "Set aside by Zhang Min"
    assert outbox.dead_letter_count() == 1
    assert [i.event_id for i in refused.items()] == [other]
    (handled,) = [d for d in outbox.dead_letters(handled=True) if d.event_id == kept]
    assert handled.handled_by == "S-0001" and handled.handled_at.startswith(datetime.now(UTC).strftime("%Y-%m-%d"))
    assert handled.body["work_order"] == "WO-1"  # never deleted
    with pytest.raises(StationError, match="no longer waiting"):
        refused.set_aside(kept, SUPERVISOR)
    assert outbox.set_aside([other], "S-0001") == 1 and outbox.dead_letter_count() == 0


def test_only_a_supervisor_may_act_and_a_refused_try_changes_nothing(store: Store) -> None:
    event_id = refuse(store, "op.started", {"work_order": "WO-1", "operation": 10}, "no")
    refused = refused_events(store)
    for who in (WORKER, None):
        with pytest.raises(StationError, match="only a supervisor"):
            refused.set_aside(event_id, who)
        with pytest.raises(StationError, match="only a supervisor"):
            refused.send_again(event_id, who)
    with pytest.raises(StoreError, match="who did it"):
        Outbox(store).set_aside([event_id], " ")
    assert Outbox(store).dead_letter_count() == 1 and Outbox(store).pending_count() == 0


def test_send_again_puts_the_event_back_in_the_outbox_unchanged(store: Store) -> None:
    body = {"work_order": "WO-1", "operation": 10, "at": AT.isoformat()}
    event_id = refuse(store, "op.started", body, "unknown work order WO-1")
    refused = refused_events(store)
    assert refused.send_again(event_id, SUPERVISOR).startswith("Sent again")
    assert refused.items() == [] and Outbox(store).dead_letter_count() == 0
    (again,) = Outbox(store).after(0, 10)
    assert again.event_id == event_id and again.body == body
    with pytest.raises(StationError, match="no longer waiting"):
        refused.send_again(event_id, SUPERVISOR)


def test_an_event_refused_again_after_being_set_aside_waits_again(store: Store) -> None:
    event_id = refuse(store, "op.started", {"work_order": "WO-1", "operation": 10}, "no")
    outbox = Outbox(store)
    outbox.set_aside([event_id], "S-0001")
    outbox.requeue([event_id])
    pending = outbox.after(0, 10)
    # the requeued event keeps its own (older) seq; the hub also hears who set it aside
    assert [e.type for e in pending] == ["op.started", "dead_letter.set_aside"]
    assert pending[1].body == {"event_id": event_id, "by": "S-0001"}
    envelope = pending[0]
    outbox.acknowledge([Ack(event_id, envelope.seq, "rejected", "still no", code="rejected")])
    (dead,) = outbox.dead_letters()
    assert dead.reason == "still no" and dead.handled_by == "" and outbox.dead_letter_count() == 1
