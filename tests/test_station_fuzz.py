"""A station driven at random, like a hall full of people and scanners: whatever is scanned, typed or tapped,
the session never raises, always answers in a short sentence, and every event it records is one a checker
written here (its own replay of each operation, not sync.station.rules or timing) accepts."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sync import labels
from sync.labels import BadgeLabel, WorkOrderLabel
from sync.station.ledger import MemoryLedger, StationLedger
from sync.station.pauses import PAUSE_REASONS
from sync.station.stored import StoredLedger
from sync.store import Store
from terminal.station.demo import DEMO_WORK_CENTRES, seed_demo
from terminal.station.session import StationSession, Tone
from terminal.station.texts import DEFECT_CODES, SCRAP_REASONS

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
BADGES = ("E-0042", "E-0007", "S-0001", "E-9999")
PINS = ("4242", "0707", "9999", "1234", "", "４２４２")
NOISE = string.printable + "１２３０缺料\u3000\u2011é\x00"


def noise(rng: random.Random, longest: int = 30) -> str:
    return "".join(rng.choice(NOISE) for _ in range(rng.randint(0, longest)))


def a_quantity(rng: random.Random) -> str:
    return rng.choice(["0", "1", "2", "3", " 2 ", "２", "-1", "1.5", "", "1000000", "1000001", noise(rng, 6)])


def a_scan(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.25:
        return labels.format(BadgeLabel(rng.choice(BADGES)))
    if roll < 0.8:
        wo = rng.choice(["WO-1001", "WO-1002", "WO-7777"])
        return labels.format(WorkOrderLabel(wo, rng.choice([None, 10, 20, 30, 40])))
    return noise(rng, 60)


def act(session: StationSession, rng: random.Random) -> Any:
    """Mostly what a worker would do next (so work moves on), else anything at all."""
    if rng.random() < 0.6:
        if session.worker is None:
            return session.login_pin(rng.choice(PINS[:3]))
        if session.pending_override is not None:
            return session.approve_pin(rng.choice(PINS))
        if session.selection is None:
            return session.scan(labels.format(WorkOrderLabel(rng.choice(["WO-1001", "WO-1002"]),
                                                             rng.choice([None, 10, 20, 30]))))
        return rng.choice([session.start, session.resume, lambda: session.record_qc(rng.random() < 0.5, "D-01"),
                           lambda: session.complete(rng.choice(["2", "1", "0"]), rng.choice(["0", "1"]),
                                                    rng.choice(["", "Damaged part"])),
                           lambda: session.pause(rng.choice(PAUSE_REASONS))])()
    roll = rng.randrange(14)
    if roll <= 2:
        return session.scan(a_scan(rng))
    if roll == 3:
        return session.enter_code(rng.choice(["WO-1001", "wo-1002", "WO-7777", noise(rng, 40)]))
    if roll == 4:
        return session.login_pin(rng.choice(PINS))
    if roll == 5:
        return session.approve_pin(rng.choice(PINS))
    if roll in (6, 7):
        return session.start()
    if roll == 8:
        return session.pause(rng.choice([*PAUSE_REASONS, "", noise(rng)]))
    if roll == 9:
        return session.resume()
    if roll == 10:
        return session.complete(a_quantity(rng), a_quantity(rng), rng.choice(["", *SCRAP_REASONS, noise(rng)]))
    if roll == 11:
        return session.record_qc(rng.random() < 0.6, rng.choice(["", *DEFECT_CODES]))
    if roll == 12:
        return session.logout()
    session.clear_selection()
    return session.feedback


class Replay:
    """This file's own model of one operation, fed the events in the order recorded."""

    def __init__(self, wo_quantity: int, qc: bool, routed_here: bool, before: Replay | None) -> None:
        self.wo_quantity, self.qc, self.routed_here, self.before = wo_quantity, qc, routed_here, before
        self.on: set[str] = set()
        self.paused: set[str] = set()
        self.started = self.done = False
        self.last_qc: bool | None = None
        self.good: int | None = None

    def reached(self) -> int:
        """What reached it when it completes: the predecessor's good parts once that one is done (an operation
        allowed to run ahead of its predecessor counts against the order's quantity)."""
        return self.before.good if self.before is not None and self.before.good is not None else self.wo_quantity

    def feed(self, kind: str, body: dict[str, Any]) -> None:
        who = str(body.get("worker"))
        assert not self.done, f"{kind} after completion"
        if not self.routed_here:
            assert body.get("override_by"), f"{kind} on work routed elsewhere without a supervisor's allowance"
        if kind == "op.started":
            assert who not in self.on and who not in self.paused, f"{who} started while on it or paused"
            self.started = True
            self.on.add(who)
            return
        assert self.started, f"{kind} before any start"
        if kind == "op.paused":
            assert who in self.on, f"pause by {who}, not on it"
            assert isinstance(body.get("reason"), str) and body["reason"].strip(), "a pause without a reason"
            self.on.discard(who)
            self.paused.add(who)
        elif kind == "op.resumed":
            assert who in self.paused or (not self.on and self.paused), f"resume by {who} with nothing paused"
            self.on.add(who)
            self.paused.discard(who)
        elif kind == "qc.recorded":
            assert self.qc and isinstance(body.get("passed"), bool)
            assert body["passed"] or body.get("defect"), "a failed check without its defect"
            self.last_qc = body["passed"]
        elif kind == "op.completed":
            good, scrap = body["good"], body.get("scrap", 0)
            assert type(good) is int and type(scrap) is int and good >= 0 and scrap >= 0
            assert good + scrap <= self.reached(), f"{good} + {scrap} of {self.reached()} started"
            assert scrap == 0 or body.get("reason"), "scrap without a reason"
            if self.qc:
                assert self.last_qc is not None, "a QC step completed without its result"
                assert self.last_qc or scrap >= 1, "a failed check completed with nothing scrapped"
            self.done, self.good = True, good
        else:
            raise AssertionError(f"unknown event {kind}")


def check_everything_recorded(ledger: StationLedger) -> int:
    """Replay each work order's log in the order it was recorded; the number of events checked."""
    recorded = 0
    for wo in ledger.work_orders():
        replays: dict[int, Replay] = {}
        for op in wo.operations:  # routing order: a predecessor's replay exists before its successor's
            before = replays.get(op.predecessor) if op.predecessor is not None else None
            replays[op.number] = Replay(wo.quantity, op.qc, op.work_centre in DEMO_WORK_CENTRES, before)
        for event in sorted(ledger.events(wo.id), key=lambda e: e.seq):
            replays[event.operation].feed(event.type, event.body)
            recorded += 1
    return recorded


def drive(ledger: StationLedger, seed: int, steps: int) -> int:
    seed_demo(ledger)
    now = [T0]
    session = StationSession(ledger, "ST-ASM-1", DEMO_WORK_CENTRES, clock=lambda: now[0])
    rng = random.Random(seed)
    for _ in range(steps):
        now[0] += timedelta(seconds=rng.randint(0, 900))
        said = act(session, rng)
        assert said.tone in Tone and isinstance(said.text, str) and said.text.strip()
        assert len(said.text) < 400, said.text
    return check_everything_recorded(ledger)


@pytest.mark.parametrize("seed", range(12))
def test_random_use_never_raises_and_records_only_what_the_checker_accepts(seed: int) -> None:
    recorded = drive(MemoryLedger(), seed, 400)
    assert recorded > 0, "the walk recorded nothing: it checks nothing"


def test_random_use_over_the_sqlite_store(tmp_path: Path) -> None:
    assert drive(StoredLedger(Store(tmp_path / "station.db", device_id="ST-ASM-1")), 99, 300) > 0


@pytest.mark.parametrize("fault", ["qc_fail_booked_good", "too_many", "no_allowance", "after_done"])
def test_the_checker_catches_planted_faults(fault: str) -> None:
    """The checker is only worth something if it fails: each fault is a log the rules would never write."""
    ledger = MemoryLedger()
    seed_demo(ledger)
    at = T0.isoformat()
    start = {"work_order": "WO-1001", "operation": 10, "at": at, "worker": "E-0042"}
    if fault == "qc_fail_booked_good":
        for op in (10, 20):
            ledger.record("op.started", {**start, "operation": op})
            ledger.record("op.completed", {**start, "operation": op, "good": 2, "scrap": 0})
        ledger.record("op.started", {**start, "operation": 30})
        ledger.record("qc.recorded", {**start, "operation": 30, "passed": False, "defect": "D-01 Scratch"})
        ledger.record("op.completed", {**start, "operation": 30, "good": 2, "scrap": 0})
    elif fault == "too_many":
        ledger.record("op.started", start)
        ledger.record("op.completed", {**start, "good": 2, "scrap": 1, "reason": "Damaged part"})
    elif fault == "no_allowance":
        ledger.record("op.started", {**start, "work_order": "WO-1002"})
    else:
        ledger.record("op.started", start)
        ledger.record("op.completed", {**start, "good": 2, "scrap": 0})
        ledger.record("op.paused", {**start, "reason": "Break"})
    with pytest.raises(AssertionError):
        check_everything_recorded(ledger)
