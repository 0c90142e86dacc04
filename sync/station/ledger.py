"""Where a station keeps its state: routed work orders, its roster and the operation event log.

:class:`StationLedger` is what the rules need; :class:`MemoryLedger` keeps it in memory (unit tests
of the rules, a terminal with no disk) and :mod:`sync.station.stored` keeps it in the node's SQLite
store, writing each event and its outbox message in one transaction.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sync.errors import StationError
from sync.labels import ID_PATTERN
from sync.station.calendar import AlwaysWorking, WorkingTime
from sync.station.timing import OperationState, OpEvent, derive
from sync.station.workorders import RoutedWorkOrder, Worker


@dataclass(frozen=True)
class RecordedEvent:
    """One event of the station's log: which operation, what happened, and the outbox body sent."""

    work_order: str
    operation: int
    type: str
    body: dict[str, Any]
    seq: int

    def op_event(self) -> OpEvent:
        return OpEvent.from_body(self.type, self.body, self.seq)


def event_body(work_order: str, operation: int, at: datetime, worker: str | None, **fields: Any) -> dict[str, Any]:
    """The body of an operation event as it goes to the outbox (None fields left out)."""
    body: dict[str, Any] = {"work_order": work_order, "operation": operation, "at": at.isoformat()}
    if worker is not None:
        body["worker"] = worker
    body.update({k: v for k, v in fields.items() if v is not None})
    return body


def pin_hash(badge: str, pin: str) -> str:
    """A salted hash of a PIN, so a copied database does not give the PINs away."""
    return hashlib.pbkdf2_hmac("sha256", pin.encode(), f"floorlink:{badge}".encode(), 20_000).hex()


PIN_PATTERN = re.compile(r"[0-9]{4,8}")


def make_worker(badge: str, name: str, pin: str, supervisor: bool) -> Worker:
    """A checked roster entry (a station's roster command and the hub's alike): the badge must fit a badge
    label, the name is not empty, the PIN is 4-8 digits (stored salted and hashed)."""
    badge = badge.strip().upper()
    if not ID_PATTERN.fullmatch(badge):
        raise StationError(f"badge {badge[:40]!r} cannot be printed on a badge label", where="badge",
                           fix="use 1-32 characters of A-Z 0-9 - . starting with a letter or digit")
    if not name.strip() or len(name.strip()) > 60:
        raise StationError("the name is empty or longer than 60 characters", where="name")
    if pin and not PIN_PATTERN.fullmatch(pin):
        raise StationError("the PIN must be 4 to 8 digits", where="--pin")
    return Worker(badge, name.strip(), pin_hash(badge, pin) if pin else "", supervisor)


def by_badge(workers: Iterable[Worker], badge: str) -> Worker | None:
    """The roster entry of a scanned badge (the station's login and the dashboard's acknowledgement)."""
    return next((w for w in workers if w.badge == badge), None)


def by_pin(workers: Iterable[Worker], pin: str) -> Worker | None:
    """The roster entry whose PIN this is; badge-only entries (no PIN) never match."""
    pin = pin.strip()
    return next((w for w in workers if w.pin_hash and w.pin_hash == pin_hash(w.badge, pin)), None) if pin else None


class StationLedger(Protocol):
    def work_order(self, wo_id: str) -> RoutedWorkOrder | None: ...

    def work_orders(self) -> list[RoutedWorkOrder]: ...

    def put_work_order(self, wo: RoutedWorkOrder) -> None: ...

    def workers(self) -> list[Worker]: ...

    def put_worker(self, worker: Worker) -> None: ...

    def events(self, work_order: str, operation: int | None = None) -> list[RecordedEvent]: ...

    def record(self, type_: str, body: dict[str, Any]) -> RecordedEvent:
        """Append to the log AND queue the outbox message, all or nothing."""
        ...

    def pending_outbox(self) -> int: ...


class MemoryLedger:
    """A ledger in memory; the outbox is a list (``sent`` is how many a test pretends were sent)."""

    def __init__(self) -> None:
        self._wos: dict[str, RoutedWorkOrder] = {}
        self._workers: dict[str, Worker] = {}
        self._log: list[RecordedEvent] = []
        self.outbox: list[tuple[str, dict[str, Any]]] = []
        self.sent = 0

    def work_order(self, wo_id: str) -> RoutedWorkOrder | None:
        return self._wos.get(wo_id)

    def work_orders(self) -> list[RoutedWorkOrder]:
        return sorted(self._wos.values(), key=lambda w: w.id)

    def put_work_order(self, wo: RoutedWorkOrder) -> None:
        self._wos[wo.id] = wo

    def workers(self) -> list[Worker]:
        return list(self._workers.values())

    def put_worker(self, worker: Worker) -> None:
        self._workers[worker.badge] = worker

    def events(self, work_order: str, operation: int | None = None) -> list[RecordedEvent]:
        return [e for e in self._log if e.work_order == work_order and (operation is None or e.operation == operation)]

    def record(self, type_: str, body: dict[str, Any]) -> RecordedEvent:
        event = RecordedEvent(str(body["work_order"]), int(body["operation"]), type_, dict(body), len(self._log) + 1)
        self._log.append(event)
        self.outbox.append((type_, dict(body)))
        return event

    def pending_outbox(self) -> int:
        return len(self.outbox) - self.sent


def operation_state(
    ledger: StationLedger, wo: RoutedWorkOrder, number: int, now: datetime,
    calendar: WorkingTime | None = None,
) -> OperationState:
    """The derived state of one operation of ``wo`` from the ledger's events."""
    op = wo.operation(number)
    events: Iterable[RecordedEvent] = ledger.events(wo.id, number)
    return derive((e.op_event() for e in events), now, standard=op.standard_seconds(wo.quantity),
                  calendar=calendar or AlwaysWorking())
