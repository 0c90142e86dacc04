"""The station ledger in the node's SQLite store (C1's :class:`sync.store.Store`).

Each accepted action writes its row in ``station_events`` and its outbox event in ONE transaction,
so the local log and what the hub will receive never disagree, even after a crash. Work orders
arrive from the hub through the inbox (message ``workorder.released``, body as
:meth:`RoutedWorkOrder.to_body`; ``workorder.cancelled`` marks one withdrawn, ``workorder.operation_status`` carries the hub's
status of an operation done elsewhere) or are seeded by the demo fixture.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlite_utils

from sync.errors import StationError
from sync.protocol.envelope import Envelope
from sync.settings import Settings
from sync.station.ledger import RecordedEvent
from sync.station.workorders import RoutedWorkOrder, Worker
from sync.store import Inbox, Outbox, Store, Transaction

COMPONENT = "station"
WORK_ORDER_MESSAGE = "workorder.released"
WORK_ORDER_CANCELLED = "workorder.cancelled"
OPERATION_STATUS = "workorder.operation_status"
HEARTBEAT = "device.heartbeat"
ROSTER_MESSAGE = "station.roster"


def _station_1(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE station_work_orders (id TEXT PRIMARY KEY, body TEXT NOT NULL, demo INTEGER NOT NULL)")
    db.execute("CREATE TABLE station_workers (badge TEXT PRIMARY KEY, name TEXT NOT NULL, pin_hash TEXT NOT NULL, "
               "supervisor INTEGER NOT NULL)")
    db.execute("CREATE TABLE station_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, work_order TEXT NOT NULL, "
               "operation INTEGER NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL, event_id TEXT NOT NULL)")
    db.execute("CREATE INDEX station_events_op ON station_events (work_order, operation)")


MIGRATIONS = [_station_1]


class StoredLedger:
    """:class:`sync.station.ledger.StationLedger` over a node store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.migrate(COMPONENT, MIGRATIONS)
        self._outbox = Outbox(store)

    # --- work orders and roster ------------------------------------------------------------------
    def work_order(self, wo_id: str) -> RoutedWorkOrder | None:
        rows = self.store.query("SELECT body FROM station_work_orders WHERE id = ?", [wo_id])
        return RoutedWorkOrder.from_body(json.loads(rows[0]["body"]), "stored work order") if rows else None

    def work_orders(self) -> list[RoutedWorkOrder]:
        rows = self.store.query("SELECT body FROM station_work_orders ORDER BY id")
        return [RoutedWorkOrder.from_body(json.loads(r["body"]), "stored work order") for r in rows]

    def put_work_order(self, wo: RoutedWorkOrder) -> None:
        with self.store.transaction(f"storing work order {wo.id}") as tx:
            _put_work_order(tx, wo)

    def workers(self) -> list[Worker]:
        rows = self.store.query("SELECT badge, name, pin_hash, supervisor FROM station_workers ORDER BY badge")
        return [Worker(r["badge"], r["name"], r["pin_hash"], bool(r["supervisor"])) for r in rows]

    def put_worker(self, worker: Worker) -> None:
        with self.store.transaction(f"storing worker {worker.badge}") as tx:
            _put_worker(tx, worker)

    # --- the event log -----------------------------------------------------------------------------
    def events(self, work_order: str, operation: int | None = None) -> list[RecordedEvent]:
        sql = "SELECT seq, work_order, operation, type, body FROM station_events WHERE work_order = ?"
        params: list[Any] = [work_order]
        if operation is not None:
            sql += " AND operation = ?"
            params.append(operation)
        return [RecordedEvent(r["work_order"], int(r["operation"]), r["type"], json.loads(r["body"]), int(r["seq"]))
                for r in self.store.query(sql + " ORDER BY seq", params)]

    def record(self, type_: str, body: dict[str, Any]) -> RecordedEvent:
        with self.store.transaction(f"recording {type_}") as tx:
            envelope = tx.outbox(type_, body)
            cursor = tx.execute(
                "INSERT INTO station_events (work_order, operation, type, body, event_id) VALUES (?, ?, ?, ?, ?)",
                [body["work_order"], body["operation"], type_, json.dumps(body), envelope.event_id])
            seq = int(cursor.lastrowid or 0)
        return RecordedEvent(str(body["work_order"]), int(body["operation"]), type_, dict(body), seq)

    def pending_outbox(self) -> int:
        return self._outbox.pending_count()

    def heartbeat(self, body: dict[str, Any]) -> None:
        """A ``device.heartbeat`` event (who is logged in, what runs) so the hub knows the station is alive."""
        with self.store.transaction("recording a heartbeat") as tx:
            tx.outbox(HEARTBEAT, body)


def database_path(settings: Settings) -> Path:
    """This node's SQLite file: ``node.data_dir``/``<device id>.db`` (shared with the sync service)."""
    return Path(settings.get("node.data_dir")).expanduser() / f"{settings.get('node.device_id')}.db"


def open_ledger(settings: Settings) -> StoredLedger:
    """The station's ledger in this node's store (work orders, roster, event log, outbox)."""
    return StoredLedger(Store(database_path(settings), device_id=settings.get("node.device_id")))


def _put_work_order(tx: Transaction, wo: RoutedWorkOrder) -> None:
    tx.execute("INSERT INTO station_work_orders (id, body, demo) VALUES (?, ?, ?) "
               "ON CONFLICT(id) DO UPDATE SET body = excluded.body, demo = excluded.demo",
               [wo.id, json.dumps(wo.to_body()), int(wo.demo)])


def _put_worker(tx: Transaction, worker: Worker) -> None:
    tx.execute("INSERT INTO station_workers (badge, name, pin_hash, supervisor) VALUES (?, ?, ?, ?) "
               "ON CONFLICT(badge) DO UPDATE SET name = excluded.name, pin_hash = excluded.pin_hash, "
               "supervisor = excluded.supervisor", [worker.badge, worker.name, worker.pin_hash, int(worker.supervisor)])


def apply_work_order(tx: Transaction, envelope: Envelope) -> None:
    """Inbox handler: a work order released (or updated) for this station by the hub.

    A re-release (the hub replanned it: new planned starts) carries the plan, not what happened since: the
    hub's word that an operation is done elsewhere (``workorder.operation_status``), a part work order done and a
    cancellation are kept, or the next step here would wait again for a predecessor already done at another station."""
    wo = RoutedWorkOrder.from_body(envelope.body, f"{envelope.type} message {envelope.event_id}")
    row = tx.execute("SELECT body FROM station_work_orders WHERE id = ?", [wo.id]).fetchone()
    if row is not None:
        known = RoutedWorkOrder.from_body(json.loads(row[0]), "stored work order")
        status = {o.number: o.hub_status for o in known.operations if o.hub_status}
        done_parts = {part: "done" for part, state in known.parts.items() if state == "done" and part in wo.parts}
        wo = replace(wo, cancelled=wo.cancelled or known.cancelled, parts={**wo.parts, **done_parts}, operations=tuple(
            replace(o, hub_status=status[o.number]) if o.hub_status is None and o.number in status else o
            for o in wo.operations))
    _put_work_order(tx, wo)


def apply_cancelled(tx: Transaction, envelope: Envelope) -> None:
    """Inbox handler: the hub withdrew a work order (``{"id": ...}``); it stays for the record, marked."""
    wo_id = envelope.body.get("id")
    if not isinstance(wo_id, str):
        raise StationError(f"cancellation names no work order id: {wo_id!r}",
                           where=f"{envelope.type} message {envelope.event_id}")
    row = tx.execute("SELECT body FROM station_work_orders WHERE id = ?", [wo_id]).fetchone()
    if row is not None:
        _put_work_order(tx, replace(RoutedWorkOrder.from_body(json.loads(row[0])), cancelled=True))


def apply_operation_status(tx: Transaction, envelope: Envelope) -> None:
    """Inbox handler: the hub's status of one operation, e.g. a predecessor done at another station
    (``{"id": wo, "operation": 10, "status": "done"}``); it lets the next operation start here."""
    body = envelope.body
    wo_id, number, status = body.get("id"), body.get("operation"), body.get("status")
    if not isinstance(wo_id, str) or isinstance(number, bool) or not isinstance(number, int) or not isinstance(status, str):
        raise StationError(f"operation status needs id, operation and status, got {body!r}",
                           where=f"{envelope.type} message {envelope.event_id}")
    row = tx.execute("SELECT body FROM station_work_orders WHERE id = ?", [wo_id]).fetchone()
    if row is None:
        return  # not routed here (yet): nothing to update
    wo = RoutedWorkOrder.from_body(json.loads(row[0]))
    wo.operation(number)  # refuses an unknown operation with what and where
    ops = tuple(replace(o, hub_status=status) if o.number == number else o for o in wo.operations)
    _put_work_order(tx, replace(wo, operations=ops))


def apply_roster(tx: Transaction, envelope: Envelope) -> None:
    """Inbox handler: the station's roster (``{"workers": [{badge, name, pin_hash, supervisor}], "removed":
    [badge, ...]}``, sync.hub.roster): workers are added or changed, removed ones forgotten."""
    where = f"{envelope.type} message {envelope.event_id}"
    try:
        workers = [Worker(str(w["badge"]), str(w["name"]), str(w.get("pin_hash", "")), bool(w.get("supervisor")))
                   for w in envelope.body["workers"]]
        removed = [str(badge) for badge in envelope.body.get("removed") or []]
    except (KeyError, TypeError, AttributeError) as exc:
        raise StationError(f"malformed roster: {exc!r}", where=where, fix="each worker needs badge and name") from None
    for worker in workers:
        _put_worker(tx, worker)
    for badge in removed:
        tx.execute("DELETE FROM station_workers WHERE badge = ?", [badge])


def register(inbox: Inbox) -> None:
    """Let the inbox apply the hub's work orders and roster for this station."""
    inbox.on(WORK_ORDER_MESSAGE, apply_work_order)
    inbox.on(WORK_ORDER_CANCELLED, apply_cancelled)
    inbox.on(OPERATION_STATUS, apply_operation_status)
    inbox.on(ROSTER_MESSAGE, apply_roster)
