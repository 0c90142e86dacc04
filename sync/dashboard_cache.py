"""The dashboard's local cache: the newest hub snapshot per stream and the open alerts, in the node's store.

It lives in ``sync`` because apps never touch SQLite: the dashboard (``terminal.dashboard``) only
calls it, and only from its core thread. Inbox handlers write here (on the sync thread); the model
reads. Each snapshot row carries a
``revision`` that grows on every write, so the model re-parses only what changed. Acknowledge and
resolve commands go up through the outbox and are remembered as pending until the hub's
``alert.changed`` shows them done; offline they simply wait.

Who shows the cache learns of a change from :attr:`DashboardCache.listeners` (called with the
revision just written) instead of polling; since handlers run inside the inbox's transaction, the
reader first waits for that revision to be committed (:meth:`DashboardCache.wait_visible`).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from sync.errors import ProtocolError
from sync.protocol.envelope import Envelope
from sync.store import Inbox, Store, Transaction
from sync.times import from_iso

COMPONENT = "dashboard_cache"
ACTIONS = {"acknowledge": "alert.acknowledged", "resolve": "alert.resolved"}
DONE_STATES = {"acknowledge": ("acknowledged", "resolved"), "resolve": ("resolved",)}


def _v1(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE dashboard_snapshots (stream TEXT PRIMARY KEY, type TEXT NOT NULL, body TEXT NOT NULL, "
               "at TEXT, received_at TEXT NOT NULL, revision INTEGER NOT NULL)")
    db.execute("CREATE TABLE dashboard_alerts (id INTEGER PRIMARY KEY, body TEXT NOT NULL, state TEXT NOT NULL, "
               "received_at TEXT NOT NULL)")
    db.execute("CREATE TABLE dashboard_commands (alert_id INTEGER NOT NULL, action TEXT NOT NULL, by TEXT NOT NULL, "
               "event_id TEXT NOT NULL, queued_at TEXT NOT NULL, PRIMARY KEY (alert_id, action))")
    db.execute("CREATE TABLE dashboard_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL)")
    db.execute("INSERT INTO dashboard_revision VALUES (1, 0)")


MIGRATIONS = [_v1]


#: per snapshot type: the list of rows, their required text fields and their number fields (None allowed)
ROW_SHAPES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "dashboard.orders": ("orders", ("id",), ("quantity", "percent")),
    "dashboard.centre": ("operations", ("work_order",), ("qty", "op", "elapsed_s", "standard_s", "good", "scrap")),
}


def check_rows(kind: str, body: dict[str, Any], where: str) -> None:
    """Refuse a snapshot with a malformed row before it is stored (the cached one stays): a bad row
    that got in would break every later read of the screen."""
    rows_key, texts, numbers = ROW_SHAPES[kind]
    for index, row in enumerate(body[rows_key]):
        at = f"{where} {rows_key}[{index}]"
        if not isinstance(row, dict):
            raise ProtocolError(f"a row of {rows_key!r} must be an object, got {row!r}", where=at)
        for name in texts:
            if not isinstance(row.get(name), str) or not row[name]:
                raise ProtocolError(f"field {name!r} must be a non-empty text, got {row.get(name)!r}", where=at)
        for name in numbers:
            value = row.get(name)
            if value is not None and not finite_number(value):
                raise ProtocolError(f"field {name!r} must be a number, got {value!r}", where=at)
        workers = row.get("workers", [])
        if not isinstance(workers, list) or not all(isinstance(w, str) for w in workers):
            raise ProtocolError(f"field 'workers' must be a list of names, got {workers!r}", where=at)


def finite_number(value: Any) -> bool:
    """A number the screen can draw and store: a finite float, or an integer SQLite holds (a JSON integer has
    no bound: 10**400 is neither a float nor a SQLite integer)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -2 ** 63 <= value < 2 ** 63
    return isinstance(value, float) and math.isfinite(value)


def check_sections(body: dict[str, Any], where: str) -> None:
    """Refuse an orders snapshot whose load or KPI sections are not the shape the screen reads (an object of
    centres with numbers; KPI lists of objects), naming the part: stored, it would break every later read."""
    load = body.get("load", {})
    if not isinstance(load, dict):
        raise ProtocolError(f"'load' must be an object of work centres, got {load!r}", where=where)
    for code, row in load.items():
        if not isinstance(row, dict):
            raise ProtocolError(f"load of {code!r} must be an object, got {row!r}", where=f"{where} load")
        for name in ("today_min", "today_capacity_min", "week_min", "week_capacity_min"):
            if name in row and not finite_number(row[name]):
                raise ProtocolError(f"field {name!r} must be a number, got {row[name]!r}", where=f"{where} load.{code}")
    kpis = body.get("kpis") or {}
    if not isinstance(kpis, dict):
        raise ProtocolError(f"'kpis' must be an object, got {kpis!r}", where=where)
    for name in ("oee", "history"):
        rows = kpis.get(name, [])
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ProtocolError(f"'{name}' must be a list of objects, got {rows!r}", where=f"{where} kpis")
    for index, row in enumerate(kpis.get("oee", [])):
        if not isinstance(row.get("work_centre"), str) or not row["work_centre"]:
            raise ProtocolError(f"field 'work_centre' must be a non-empty text, got {row.get('work_centre')!r}",
                                where=f"{where} kpis.oee[{index}]")
        if row.get("oee") is not None and not finite_number(row["oee"]):
            raise ProtocolError(f"field 'oee' must be a number, got {row['oee']!r}", where=f"{where} kpis.oee[{index}]")
    margin = kpis.get("promise_margin", {})
    if not isinstance(margin, dict) or not isinstance(margin.get("by_product", {}), dict):
        raise ProtocolError(f"'promise_margin' must be an object with 'by_product' an object, got {margin!r}",
                            where=f"{where} kpis")
    for index, point in enumerate(kpis.get("history", [])):
        if not isinstance(point.get("oee") or {}, dict):
            raise ProtocolError(f"'oee' must be an object of work centres, got {point.get('oee')!r}",
                                where=f"{where} kpis.history[{index}]")


def utc_clock() -> datetime:
    return datetime.now(UTC)


class DashboardCache:
    """``DashboardCache(store)`` migrates the tables; :meth:`register` hooks it to an inbox."""

    def __init__(self, store: Store, clock: Callable[[], datetime] = utc_clock) -> None:
        self.store = store
        self.clock = clock
        #: called (on the writing thread, before its commit) with each revision a handler wrote
        self.listeners: list[Callable[[int], None]] = []
        store.migrate(COMPONENT, MIGRATIONS)

    # --- writing (inbox handlers, sync thread) ---------------------------------------------------
    def register(self, inbox: Inbox) -> None:
        """Apply dashboard snapshots (newest only) and alert events arriving on ``inbox``."""
        inbox.latest_only("dashboard/", "alerts")
        inbox.on("dashboard.orders", self.on_snapshot)
        inbox.on("dashboard.centre", self.on_snapshot)
        inbox.on("alert.raised", self.on_alert)
        inbox.on("alert.changed", self.on_alert)

    def _bump(self, tx: Transaction) -> int:
        return int(tx.execute("UPDATE dashboard_revision SET revision = revision + 1 WHERE id = 1 "
                              "RETURNING revision").fetchone()[0])

    def _tell(self, revision: int) -> None:
        for listener in list(self.listeners):
            listener(revision)

    def on_snapshot(self, tx: Transaction, envelope: Envelope) -> None:
        body = envelope.body
        where = f"stream {envelope.stream} seq {envelope.seq}"
        if envelope.type == "dashboard.orders":
            if not isinstance(body.get("orders"), list) or not isinstance(body.get("alerts"), list):
                raise ProtocolError("dashboard.orders needs 'orders' and 'alerts' lists", where=where)
            check_sections(body, where)
        else:
            if not isinstance(body.get("operations"), list) or not isinstance(body.get("work_centre"), str):
                raise ProtocolError("dashboard.centre needs 'work_centre' and an 'operations' list", where=where)
            stations = body.get("stations", [])
            if not isinstance(stations, list) or not all(isinstance(st, str) and st for st in stations):
                raise ProtocolError(f"field 'stations' must be a list of station ids, got {stations!r}", where=where)
        if not isinstance(body.get("at", ""), str):
            raise ProtocolError(f"field 'at' must be a time text, got {body.get('at')!r}", where=where)
        check_rows(envelope.type, body, where)
        now = self.clock().isoformat()
        revision = self._bump(tx)
        tx.execute("INSERT INTO dashboard_snapshots VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(stream) DO UPDATE SET "
                   "type = excluded.type, body = excluded.body, at = excluded.at, received_at = excluded.received_at, "
                   "revision = excluded.revision",
                   [envelope.stream, envelope.type, json.dumps(body), body.get("at"), now, revision])
        if envelope.type == "dashboard.orders":  # the snapshot's open alerts are the whole truth
            tx.execute("DELETE FROM dashboard_alerts")
            for row in body["alerts"]:
                self._put_alert(tx, row, now, where)
        self._tell(revision)

    def on_alert(self, tx: Transaction, envelope: Envelope) -> None:
        revision = self._bump(tx)
        self._put_alert(tx, envelope.body, self.clock().isoformat(), f"stream {envelope.stream} seq {envelope.seq}")
        self._tell(revision)

    def _put_alert(self, tx: Transaction, row: Any, now: str, where: str) -> None:
        if not isinstance(row, dict):
            raise ProtocolError(f"an alert must be an object, got {row!r}", where=where)
        alert_id, state = row.get("id"), row.get("state")
        if (isinstance(alert_id, bool) or not isinstance(alert_id, int) or not 0 <= alert_id < 2 ** 63
                or not isinstance(state, str)):
            raise ProtocolError("an alert row needs a numeric 'id' and a 'state'", where=where)
        if state == "resolved":
            tx.execute("DELETE FROM dashboard_alerts WHERE id = ?", [alert_id])
        else:
            tx.execute("INSERT OR REPLACE INTO dashboard_alerts VALUES (?, ?, ?, ?)",
                       [alert_id, json.dumps(row), state, now])
        for action, states in DONE_STATES.items():
            if state in states:
                tx.execute("DELETE FROM dashboard_commands WHERE alert_id = ? AND action = ?", [alert_id, action])

    # --- commands (UI thread) ---------------------------------------------------------------------
    def command(self, alert_id: int, action: str, by: str) -> str:
        """Queue acknowledge/resolve for the hub in the outbox; returns the event id."""
        if action not in ACTIONS:
            raise ProtocolError(f"unknown alert action {action!r}", where="dashboard command",
                                fix=f"use one of {sorted(ACTIONS)}")
        if not by.strip():
            raise ProtocolError("who acknowledges or resolves must be named", where="dashboard command",
                                fix="enter the supervisor's name")
        with self.store.transaction(f"queueing {action} of alert {alert_id}") as tx:
            event = tx.outbox(ACTIONS[action], {"alert_id": alert_id, "by": by.strip()})
            tx.execute("INSERT OR REPLACE INTO dashboard_commands VALUES (?, ?, ?, ?, ?)",
                       [alert_id, action, by.strip(), event.event_id, self.clock().isoformat()])
            self._bump(tx)
        return event.event_id

    # --- reading ----------------------------------------------------------------------------------
    def revision(self) -> int:
        return int(self.store.query("SELECT revision FROM dashboard_revision")[0]["revision"])

    def wait_visible(self, revision: int, timeout: float = 2.0) -> bool:
        """Wait until ``revision`` is committed (a listener hears of it before the inbox commits).

        False after ``timeout`` (the inbox transaction rolled back): read what is there."""
        deadline = time.monotonic() + timeout
        while self.revision() < revision:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.001)
        return True

    def revisions(self) -> dict[str, int]:
        return {r["stream"]: int(r["revision"]) for r in
                self.store.query("SELECT stream, revision FROM dashboard_snapshots")}

    def snapshot(self, stream: str) -> tuple[dict[str, Any], str] | None:
        """The newest body of ``stream`` and when it was received (ISO UTC), or None."""
        rows = self.store.query("SELECT body, received_at FROM dashboard_snapshots WHERE stream = ?", [stream])
        return (json.loads(rows[0]["body"]), rows[0]["received_at"]) if rows else None

    def last_received(self) -> datetime | None:
        rows = self.store.query("SELECT max(received_at) AS at FROM dashboard_snapshots")
        return from_iso(rows[0]["at"]) if rows and rows[0]["at"] else None

    def alerts(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.store.query("SELECT body FROM dashboard_alerts ORDER BY id")]

    def pending(self) -> dict[int, list[dict[str, Any]]]:
        out: dict[int, list[dict[str, Any]]] = {}
        for r in self.store.query("SELECT alert_id, action, by, queued_at FROM dashboard_commands ORDER BY queued_at"):
            out.setdefault(int(r["alert_id"]), []).append(r)
        return out
