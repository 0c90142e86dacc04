"""Stock at the hub: one append-only ledger of movements, and the purchase requisitions' lifecycle.

Every change of stock is a row of ``stock_movements`` with who, when and why: the opening balance
(the catalog's ``stock`` of the item, written once, as its first movement), a goods receipt (against a
requisition, or not), the materials issued to a work order when its first operation starts, the
finished goods in when a work order's last operation completes, the shipment of an order, and a count
(stored as the difference to what the ledger said, with the counted figure). Rows are never changed or
deleted (triggers refuse it), so on hand is always ``SUM(qty)`` per item and cannot drift.

The planner nets against the same ledger. Movements an order's plan already counted on (the materials
its work orders use, the goods they make and ship, a receipt up to its requisition's quantity) are marked
``in_plan``: the plan reserved that stock or waits for that requisition, so they do not change what is
free. Everything else (a count, an over-delivery, a receipt without a requisition, what a cancelled order
used) moves the planner's stock through :meth:`sync.planning.Planner.adjust_stock`; a stock that no
longer covers what orders reserved raises a ``stock_short`` alert, and more than expected first serves
the orders waiting for a requisition of the item (:meth:`sync.planning.Planner.use_stock`). A receipt that completes a requisition,
or a supplier's confirmed date, moves the requisition's due date in the plan
(:meth:`sync.planning.Planner.requisition_due`), which replans and moves the promises it affects.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from sync.catalog.model import Product
from sync.configurator.engine import Engine
from sync.errors import FloorLinkError, PlanningError, quoted
from sync.hub.alerts import Candidate
from sync.planning import Planner
from sync.store.database import Store, Transaction
from sync.times import from_iso, to_iso


class PlanningCore(Protocol):
    """What the ledger needs of the hub's core (``sync.hub.core.HubCore`` is one): its planner and store,
    the lock they share, and the core's own ways to alert, announce and plan again. Declared here so the
    ledger does not import the core that imports it."""

    @property
    def planner(self) -> Planner: ...
    @property
    def store(self) -> Store: ...
    @property
    def _lock(self) -> AbstractContextManager[Any]: ...

    def product(self, code: str, number: int) -> tuple[Product, Engine]: ...
    def learn_released(self) -> None: ...
    def replan(self, tx: Transaction, now: datetime) -> None: ...
    def refresh_awaiting(self, tx: Transaction) -> None: ...
    def raise_alert(self, tx: Transaction, candidate: Candidate, now: datetime) -> dict[str, Any] | None: ...
    def _emit(self, tx: Transaction, type_: str, body: dict[str, Any]) -> None: ...

KINDS = ("opening", "receipt", "issue", "finished", "shipment", "count")
#: requisition states: open -> ordered -> received (part of it) -> closed; or cancelled
REQUISITION_STATES = ("open", "ordered", "received", "closed", "cancelled")
OLDEST, NEWEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


class StockError(FloorLinkError):
    """A stock movement or requisition change is refused: ``status`` is the HTTP answer the API gives."""

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None, status: int = 422,
                 code: str = "") -> None:
        super().__init__(what, where=where, fix=fix, code=code)
        self.status = status


def _stock_1(db: Any) -> None:
    db.execute("""CREATE TABLE stock_movements (
        id INTEGER PRIMARY KEY, item TEXT NOT NULL, qty REAL NOT NULL, kind TEXT NOT NULL,
        at TEXT NOT NULL, by TEXT NOT NULL, reason TEXT NOT NULL, order_id TEXT, work_order TEXT,
        requisition INTEGER, counted REAL, after_seq INTEGER NOT NULL, in_plan INTEGER NOT NULL)""")
    db.execute("CREATE INDEX stock_movements_item ON stock_movements (item)")
    db.execute("CREATE INDEX stock_movements_kind ON stock_movements (kind, item)")
    db.execute("CREATE INDEX stock_movements_work_order ON stock_movements (work_order)")
    db.execute("CREATE INDEX stock_movements_requisition ON stock_movements (requisition)")
    for action in ("UPDATE", "DELETE"):
        db.execute(f"CREATE TRIGGER stock_movements_no_{action.lower()} BEFORE {action} ON stock_movements "
                   "BEGIN SELECT RAISE(ABORT, 'stock_movements is append-only: add a count instead'); END")
    db.execute("ALTER TABLE requisitions ADD COLUMN status TEXT NOT NULL DEFAULT 'open'")
    db.execute("ALTER TABLE requisitions ADD COLUMN po_number TEXT")
    db.execute("ALTER TABLE requisitions ADD COLUMN confirmed_supplier TEXT")
    db.execute("ALTER TABLE requisitions ADD COLUMN confirmed_date TEXT")
    db.execute("""CREATE TABLE requisition_log (
        id INTEGER PRIMARY KEY, requisition INTEGER NOT NULL, status TEXT NOT NULL, at TEXT NOT NULL,
        by TEXT NOT NULL, detail TEXT NOT NULL)""")


def _api_1(db: Any) -> None:
    # a write the API did, by its client's Idempotency-Key: a retry gets the same answer, nothing is done twice
    db.execute("""CREATE TABLE api_requests (key TEXT PRIMARY KEY, digest TEXT NOT NULL, status INTEGER NOT NULL,
        response TEXT NOT NULL, at TEXT NOT NULL)""")


def _stock_2(db: Any) -> None:
    # the ERP's requisition.created events read an order's requisitions as it is placed
    db.execute("CREATE INDEX IF NOT EXISTS requisitions_order ON requisitions (order_id)")


def _stock_3(db: Any) -> None:
    # a requisition raised because a movement (a count) took stock an order was promised: which one, for how much
    db.execute("ALTER TABLE requisitions ADD COLUMN movement INTEGER")
    db.execute("ALTER TABLE requisitions ADD COLUMN rebought REAL")


def _stock_4(db: Any) -> None:
    # a requisition raised because the buyer cancelled one the plan still needed: which one it stands in for
    db.execute("ALTER TABLE requisitions ADD COLUMN replaces INTEGER")


def _stock_5(db: Any) -> None:
    # a requisition cancelled (or closed short) is taken out of the plan at its place among the orders: a restart
    # replays it there
    db.execute("ALTER TABLE requisitions ADD COLUMN withdrawn_after INTEGER")
    db.execute("ALTER TABLE requisitions ADD COLUMN withdrawn_at TEXT")
    db.execute("ALTER TABLE requisitions ADD COLUMN withdrawn_received REAL")


def _stock_6(db: Any) -> None:
    # more stock than expected served an order that waited for a requisition: how much, so a restart does the same
    db.execute("""CREATE TABLE stock_pulls (id INTEGER PRIMARY KEY, movement INTEGER NOT NULL,
        requisition INTEGER NOT NULL, taken REAL NOT NULL, ordered INTEGER NOT NULL)""")
    db.execute("CREATE INDEX stock_pulls_movement ON stock_pulls (movement)")


MIGRATIONS = {"hub_stock": [_stock_1, _stock_2, _stock_3, _stock_4, _stock_5, _stock_6], "hub_api": [_api_1]}


# ---------------------------------------------------------------------- checking hostile input
def quantity(value: Any, field: str, *, allow_zero: bool = False) -> float:
    """A finite positive number (or zero, for a count), else a sentence naming the field and the fix."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StockError(f"{field} must be a number, not {quoted(value)}", where=field, fix="send a number such as 12 or 2.5")
    number = float(value)
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero) or number > 1e9:
        raise StockError(f"{field} must be a finite {'non-negative' if allow_zero else 'positive'} number "
                         f"below 1,000,000,000, not {quoted(value)}", where=field,
                         fix="send the quantity in the item's unit")
    return number


def text(value: Any, field: str, *, required: bool = True, limit: int = 200) -> str:
    """A short non-empty text (who, why, a PO number)."""
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise StockError(f"{field} must be a text of 1 to {limit} characters, not {quoted(value)}", where=field,
                         fix=f"send {field} as a short text")
    return value.strip()


def moment(value: Any, field: str, zone: Any, *, now: datetime, future_days: int = 400) -> datetime:
    """An ISO 8601 date or time (a date means the start of that day at the site) between 2000 and
    ``future_days`` ahead of now."""
    if not isinstance(value, str):
        raise StockError(f"{field} must be an ISO 8601 date or time, not {quoted(value)}", where=field,
                         fix="send e.g. 2026-12-18 or 2026-12-18T08:00:00+08:00")
    try:
        at = (datetime.combine(date.fromisoformat(value), time(0), zone) if len(value) == 10
              else datetime.fromisoformat(value))
    except ValueError:
        raise StockError(f"{field} {quoted(value)} is not an ISO 8601 date or time", where=field,
                         fix="send e.g. 2026-12-18 or 2026-12-18T08:00:00+08:00") from None
    if at.tzinfo is None:
        raise StockError(f"{field} {quoted(value)} has no time zone", where=field, fix="add one, e.g. +08:00 or Z")
    if not OLDEST <= at <= now + timedelta(days=future_days):
        raise StockError(f"{field} {quoted(value)} is not a sane date", where=field,
                         fix=f"send a date between 2000 and {future_days} days from now")
    return at


# ---------------------------------------------------------------------- reading
def on_hand(query: Any, item: str | None = None, at: datetime | None = None) -> dict[str, float]:
    """On hand per item: the sum of its movements (all items, or the one named; as of ``at``, or now).

    ``query`` is a ``Store.query`` or a transaction's ``tx.db.query``: what forecasting and reports read."""
    where, args = [], []
    if item is not None:
        where, args = ["item = ?"], [item]
    rows = query(f"SELECT item, SUM(qty) AS qty FROM stock_movements "
                 f"{'WHERE ' + ' AND '.join(where) if where else ''} GROUP BY item ORDER BY item", args) \
        if at is None else query(
        "SELECT item, qty, at FROM stock_movements" + (" WHERE item = ?" if item is not None else "") + " ORDER BY id",
        args)
    if at is None:
        return {r["item"]: round(float(r["qty"]), 9) for r in rows}
    sums: dict[str, float] = {}
    for r in rows:  # times carry zones: compared as moments, not as text
        if from_iso(r["at"]) <= at:
            sums[r["item"]] = sums.get(r["item"], 0.0) + float(r["qty"])
    return {code: round(qty, 9) for code, qty in sorted(sums.items())}


def movements(query: Any, item: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """The newest movements first (of one item, or all)."""
    where, args = ("WHERE item = ? ", [item]) if item else ("", [])
    return list(query(f"SELECT id, item, qty, kind, at, by, reason, order_id, work_order, requisition, counted "
                      f"FROM stock_movements {where}ORDER BY id DESC LIMIT ?", [*args, int(limit)]))


def requisitions(query: Any, status: str | None = None, order_id: str | None = None) -> list[dict[str, Any]]:
    """Purchase requisitions with what was received against them (derived from the ledger)."""
    where, args = ("AND r.status = ? ", [status]) if status else ("", [])
    if order_id is not None:
        where, args = where + "AND r.order_id = ? ", [*args, order_id]
    return [dict(r) for r in query(
        "SELECT r.id, r.item, r.qty, r.supplier, r.need_date, r.due_date, r.status, r.po_number, "
        "r.confirmed_supplier, r.confirmed_date, r.order_id, o.number AS order_number, r.work_order, "
        "COALESCE((SELECT SUM(m.qty) FROM stock_movements m WHERE m.requisition = r.id AND m.kind = 'receipt'), 0) "
        "AS received FROM requisitions r LEFT JOIN orders o USING (order_id) "
        f"WHERE r.kind = 'purchase' {where}ORDER BY r.id", args)]


SUBCONTRACT_STATES = ("to_send", "at_supplier", "returned", "cancelled")


def subcontract_orders(query: Any, *, open_only: bool = True) -> list[dict[str, Any]]:
    """What goes out to subcontractors (the powder coater) and when it comes back, with where it is now, derived
    from the shop floor's events on the outsourced step: ``to_send`` (not started), ``at_supplier`` (started:
    sent), ``returned`` (completed), ``cancelled`` (its order was). ``send_date``: when the plan sends it;
    ``return_date``: when the supplier's lead time brings it back. ``open_only``: to send or at the supplier."""
    rows = query(
        "SELECT r.id, r.supplier, r.item, r.qty, r.need_date AS send_date, r.due_date AS return_date, "
        "o.number AS order_number, r.work_order, r.operation, "
        "EXISTS (SELECT 1 FROM order_cancellations c WHERE c.order_id = r.order_id) AS cancelled, "
        "(SELECT MIN(e.at) FROM op_events e WHERE e.work_order = r.work_order AND e.op = r.operation "
        "AND e.type = 'op.started') AS sent_at, "
        "(SELECT MAX(e.at) FROM op_events e WHERE e.work_order = r.work_order AND e.op = r.operation "
        "AND e.type = 'op.completed') AS returned_at "
        "FROM requisitions r LEFT JOIN orders o USING (order_id) WHERE r.kind = 'subcontract' ORDER BY r.id")
    found = []
    for row in rows:
        state = ("cancelled" if row["cancelled"] else "returned" if row["returned_at"]
                 else "at_supplier" if row["sent_at"] else "to_send")
        if open_only and state not in ("to_send", "at_supplier"):
            continue
        found.append({k: row[k] for k in ("id", "supplier", "item", "qty", "send_date", "return_date", "order_number",
                                          "work_order", "operation", "sent_at", "returned_at")} | {"state": state})
    return found


class Inventory:
    """The ledger and the requisitions of one hub, kept in step with its planner (``HubCore.planner``).

    Every method runs inside the caller's transaction and takes the core's planning lock itself
    (lock order as everywhere: the store, then the core)."""

    def __init__(self, core: PlanningCore) -> None:
        self.core = core
        self._opened = -1  # how many items the planner knew when openings last ran

    # ------------------------------------------------------------------ writing
    def _record(self, tx: Transaction, item: str, qty: float, kind: str, by: str, reason: str, at: datetime, *,
                in_plan: bool, order_id: str | None = None, work_order: str | None = None,
                requisition: int | None = None, counted: float | None = None) -> int:
        after_seq = tx.execute("SELECT COALESCE(MAX(seq), 0) FROM orders").fetchone()[0]
        cursor = tx.execute(
            "INSERT INTO stock_movements (item, qty, kind, at, by, reason, order_id, work_order, requisition, counted, "
            "after_seq, in_plan) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [item, qty, kind, to_iso(at), by, reason, order_id, work_order, requisition, counted, after_seq, int(in_plan)])
        movement = int(cursor.lastrowid or 0)
        if not in_plan and item in self.core.planner.items:
            short = self.core.planner.adjust_stock(item, qty)
            if short > 1e-9:
                # the orders it was promised to, named before the rebuy takes their reservation away (the live
                # demo's alert read "1 fewer than orders - were promised")
                holders = [p.number or oid for oid, p in self.core.planner.plans.items()
                           if p.reserved.get(item, 0) > 1e-9]
                self._rebuy(tx, movement, item, short, at)
                self._short(tx, item, short, at, holders)
            elif qty > 1e-9:
                self._pull_forward(tx, movement, item, at)
        return movement

    def _pull_forward(self, tx: Transaction, movement: int, item: str, at: datetime) -> None:
        """More stock than the plan expected: orders waiting for a requisition of ``item`` (nothing received on
        it, their work order not started) take it, in the order they were placed; the replan the caller runs
        moves their promises earlier. What they no longer need of an open requisition is not bought (its
        quantity shrinks, or it is cancelled); of an ordered one it is surplus, and an alert tells the buyer."""
        rows = tx.execute(
            "SELECT r.*, o.number AS order_number FROM requisitions r JOIN orders o USING (order_id) "
            "WHERE r.kind = 'purchase' AND r.item = ? "
            "AND r.status IN ('open', 'ordered') AND r.work_order IS NOT NULL "
            "AND r.order_id NOT IN (SELECT order_id FROM order_cancellations) "
            "AND NOT EXISTS (SELECT 1 FROM stock_movements m WHERE m.requisition = r.id AND m.kind = 'receipt') "
            "AND NOT EXISTS (SELECT 1 FROM stock_movements m WHERE m.work_order = r.work_order AND m.kind = 'issue') "
            "ORDER BY o.seq, r.id", [item])
        names = [d[0] for d in rows.description]
        for found in rows.fetchall():
            row = dict(zip(names, found, strict=True))
            ordered = row["status"] == "ordered"
            taken, req = self.core.planner.use_stock(row["order_id"], item, row["work_order"],
                                                     self._index(tx.db.query, row), at, ordered=ordered)
            if req is None:
                continue
            tx.execute("INSERT INTO stock_pulls (movement, requisition, taken, ordered) VALUES (?, ?, ?, ?)",
                       [movement, row["id"], taken, int(ordered)])
            why = f"{taken:g} {item} now on hand serve its order (movement {movement})"
            if ordered:
                self._set_status(tx, row["id"], "ordered", "hub", at, f"{taken:g} of it is surplus: {why}")
                self.core.raise_alert(tx, Candidate(
                    key=f"requisition_surplus:{row['id']}:{movement}", kind="requisition_surplus", severity="info",
                    subject=item,
                    message=f"{item}: {taken:g} of PO {row['po_number'] or '-'} (requisition {row['id']}) are no "
                            f"longer needed, stock on hand serves order {row['order_number'] or row['order_id']}; "
                            "reduce the PO or keep them as stock",
                    data={"item": item, "requisition": row["id"], "surplus": taken}), at)
            elif req.cancelled:
                self._set_status(tx, row["id"], "cancelled", "hub", at, f"not needed: {why}")
            else:
                tx.execute("UPDATE requisitions SET qty = ? WHERE id = ?", [req.qty, row["id"]])
                self._set_status(tx, row["id"], "open", "hub", at, f"reduced to {req.qty:g}: {why}")

    def _rebuy(self, tx: Transaction, movement: int, item: str, short: float, at: datetime) -> None:
        """Stock promised to orders is gone: the latest orders whose work orders have not taken it yet buy it
        again (a requisition each, stored with the movement that caused it); the replan moves their promises."""
        planner = self.core.planner
        issued = {r[0] for r in tx.execute("SELECT DISTINCT work_order FROM stock_movements WHERE kind = 'issue' "
                                           "AND item = ?", [item])}
        for order_id in reversed(list(planner.plans)):
            if short <= 1e-9:
                return
            plan = planner.plans[order_id]
            if plan.ships_from_stock or plan.reserved.get(item, 0.0) <= 1e-9:
                continue
            for wo_id, body in tx.execute("SELECT id, body FROM work_orders WHERE order_id = ? ORDER BY rowid",
                                          [order_id]).fetchall():
                uses = sum(float(m.get("quantity", 0)) for m in json.loads(body).get("materials", [])
                           if m.get("item") == item)
                if uses <= 1e-9 or wo_id in issued:
                    continue
                req = planner.rebuy(order_id, wo_id, item, min(short, uses), at)
                if req is None:
                    break
                rebought = min(short, uses)
                short -= rebought
                self._store_rebuy(tx, req, movement, rebought)
                if short <= 1e-9:
                    return

    def _store_rebuy(self, tx: Transaction, req: Any, movement: int | None, rebought: float | None,
                     replaces: int | None = None) -> int:
        cursor = tx.execute(
            "INSERT INTO requisitions (kind, order_id, item, qty, supplier, need_date, due_date, work_order, movement, "
            "rebought, replaces) VALUES ('purchase', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [req.order_id, req.item, req.qty, req.supplier, to_iso(req.need_date), to_iso(req.due_date), req.work_order,
             movement, rebought, replaces])
        self.core._emit(tx, "requisition.created", next(
            r for r in requisitions(tx.db.query, order_id=req.order_id) if r["id"] == cursor.lastrowid))
        return int(cursor.lastrowid or 0)

    def openings(self, tx: Transaction, now: datetime) -> None:
        """The catalog's stock of every item the planner knows and the ledger does not yet: its first movement."""
        items = self.core.planner.items
        if len(items) == self._opened and tx.execute(
                "SELECT COUNT(DISTINCT item) FROM stock_movements WHERE kind = 'opening'").fetchone()[0] >= len(items):
            return
        have = {r[0] for r in tx.execute("SELECT DISTINCT item FROM stock_movements WHERE kind = 'opening'")}
        for code, spec in sorted(items.items()):
            if code not in have:
                self._record(tx, code, spec.stock, "opening", "catalog", "opening balance: the catalog's stock", now,
                             in_plan=True)
        self._opened = len(items)

    def _short(self, tx: Transaction, item: str, short: float, at: datetime, holders: list[str]) -> None:
        planner = self.core.planner
        self.core.raise_alert(tx, Candidate(
            key=f"stock_short:{item}:{to_iso(at)}", kind="stock_short", severity="warning", subject=item,
            message=f"{item}: {planner.on_hand.get(item, 0):g} on hand after the last movement, {short:g} fewer than "
                    f"orders {', '.join(holders[-5:]) or '-'} were promised; buy or move them",
            data={"item": item, "short": short, "orders": holders}), at)

    def _replan(self, tx: Transaction, now: datetime) -> None:
        """Plan again from now and store what moved (promises, operations), with the movement."""
        self.core.replan(tx, now)
        self.core.refresh_awaiting(tx)

    def _known(self, item: Any, field: str = "item") -> str:
        code = text(item, field, limit=100)
        if code not in self.core.planner.items:
            self.core.learn_released()
        if code not in self.core.planner.items:
            raise StockError(f"unknown item {quoted(code)}", where=field,
                             fix="use an item code of a released catalog revision (GET /api/v1/stock lists them)")
        return code

    def count(self, tx: Transaction, item: Any, counted: Any, by: str, reason: str, at: datetime) -> dict[str, Any]:
        """A stock count: the ledger moves by the difference to what it said; the planner nets the new stock."""
        return self.counts(tx, [(item, counted)], by, reason, at)[0]

    def counts(self, tx: Transaction, rows: list[tuple[Any, Any]], by: str, reason: str,
               at: datetime) -> list[dict[str, Any]]:
        """Several counts (item, counted) at once, each a movement as :meth:`count`, and one replan after them."""
        answers = []
        with self.core._lock:
            for item, counted in rows:
                code = self._known(item)
                figure = quantity(counted, "counted", allow_zero=True)
                self.openings(tx, at)
                before = on_hand(tx.db.query, code).get(code, 0.0)
                delta = figure - before
                movement = self._record(tx, code, delta, "count", by, reason or "stock count", at, in_plan=False,
                                        counted=figure)
                answers.append({"movement": movement, "item": code, "was": before, "on_hand": figure,
                                "difference": delta})
            self._replan(tx, at)
        return answers

    def receive(self, tx: Transaction, requisition: Any, qty: Any, by: str, reason: str, at: datetime,
                item: Any = None) -> dict[str, Any]:
        """Goods in against a requisition (all or part of it), or without one (``item`` then names it).

        Up to the requisition's open quantity the plan already waits for it; beyond that it is new stock.
        A requisition received in full arrives now in the plan: its work order may start earlier."""
        amount = quantity(qty, "qty")
        with self.core._lock:
            self.openings(tx, at)
            if requisition is None:
                code = self._known(item)
                movement = self._record(tx, code, amount, "receipt", by, reason or "goods received", at, in_plan=False)
                self._replan(tx, at)
                return {"movements": [movement], "item": code, "on_hand": on_hand(tx.db.query, code)[code]}
            row = self._requisition(tx, requisition)
            if row["status"] in ("closed", "cancelled"):
                raise StockError(f"requisition {row['id']} is {row['status']}: nothing more can be received on it",
                                 where="requisition", fix="receive it without a requisition, or against an open one",
                                 status=409)
            if item is not None and item != row["item"]:
                raise StockError(f"requisition {row['id']} is for {row['item']}, not {quoted(item)}", where="item",
                                 fix="leave item out or send the requisition's item")
            received = self._received(tx, row["id"])
            expected = min(amount, max(row["qty"] - received, 0.0))
            made = []
            if expected > 0:
                made.append(self._record(tx, row["item"], expected, "receipt", by, reason or f"received on PO "
                                         f"{row['po_number'] or '-'}", at, in_plan=True, order_id=row["order_id"],
                                         work_order=row["work_order"], requisition=row["id"]))
            if amount - expected > 1e-9:
                made.append(self._record(tx, row["item"], amount - expected, "receipt", by,
                                         f"delivered beyond requisition {row['id']}", at, in_plan=False,
                                         requisition=row["id"]))
            total = received + amount
            status = "closed" if total >= row["qty"] - 1e-9 else "received"
            self._set_status(tx, row["id"], status, by, at, f"received {amount:g} ({total:g} of {row['qty']:g})")
            if status == "closed" and at < self._effective_due(row):
                self._move_due(tx, row, at, None)
            elif status == "received":  # part of it: the order's own need may be here already
                self.core.planner.requisition_received(row["order_id"], row["item"], row["work_order"],
                                                       self._index(tx.db.query, row), min(total, row["qty"]), at)
            self._replan(tx, at)
        return {"movements": made, "requisition": row["id"], "item": row["item"], "received": total,
                "status": status, "on_hand": on_hand(tx.db.query, row["item"])[row["item"]]}

    def ship(self, tx: Transaction, order_key: Any, by: str, reason: str, at: datetime) -> dict[str, Any]:
        """The order's goods leave: its finished item goes out of stock (the plan counted on it)."""
        key = text(order_key, "order", limit=100)
        row = tx.execute("SELECT o.order_id, o.number, o.product, o.revision, o.quantity, c.order_id FROM orders o "
                         "LEFT JOIN order_cancellations c USING (order_id) WHERE o.order_id = ? OR o.number = ?",
                         [key, key.upper()]).fetchone()
        if row is None:
            raise StockError(f"unknown order {quoted(key)}", where="order", fix="send the number on the receipt", status=404)
        if row[5] is not None:
            raise StockError(f"order {row[1]} is cancelled: it cannot ship", where="order", status=409)
        if tx.execute("SELECT 1 FROM stock_movements WHERE kind = 'shipment' AND order_id = ?", [row[0]]).fetchone():
            raise StockError(f"order {row[1]} has shipped already", where="order", status=409)
        with self.core._lock:
            product, _ = self.core.product(row[2], row[3])
            self.openings(tx, at)
            have = on_hand(tx.db.query, product.item).get(product.item, 0.0)
            if have + 1e-9 < float(row[4]):
                raise StockError(f"order {row[1]} needs {row[4]:g} {product.item}, {have:g} on hand: it ships once its "
                                 "work orders are done (or after a receipt or count)", where="order", status=409)
            movement = self._record(tx, product.item, -float(row[4]), "shipment", by, reason or f"order {row[1]} shipped",
                                    at, in_plan=row[0] in self.core.planner.plans, order_id=row[0])
        return {"movement": movement, "order": row[1], "item": product.item, "qty": row[4],
                "on_hand": on_hand(tx.db.query, product.item)[product.item]}

    # ------------------------------------------------------------------ from the shop floor (HubCore.on_op_event)
    def work_order_started(self, tx: Transaction, wo_id: str, order_id: str | None, materials: Any, device: str,
                           at: datetime) -> None:
        """The first operation started: the work order's materials leave stock (once)."""
        if tx.execute("SELECT 1 FROM stock_movements WHERE kind = 'issue' AND work_order = ?", [wo_id]).fetchone():
            return
        self.openings(tx, at)
        in_plan = order_id in self.core.planner.plans
        for material in materials:
            self._record(tx, material.item, -float(material.quantity), "issue", device, f"issued to work order {wo_id}",
                         at, in_plan=in_plan, order_id=order_id, work_order=wo_id)

    def work_order_completed(self, tx: Transaction, wo_id: str, order_id: str | None, good: float | None,
                             device: str, at: datetime) -> None:
        """The last operation completed: its good units are finished goods in stock (once)."""
        row = tx.execute("SELECT item, qty FROM work_orders WHERE id = ?", [wo_id]).fetchone()
        if row is None or tx.execute("SELECT 1 FROM stock_movements WHERE kind = 'finished' AND work_order = ?",
                                     [wo_id]).fetchone():
            return
        made = float(row[1]) if good is None else float(good)
        if made <= 0:
            return
        self.openings(tx, at)
        self._record(tx, row[0], made, "finished", device, f"made by work order {wo_id}", at,
                     in_plan=order_id in self.core.planner.plans, order_id=order_id, work_order=wo_id)

    def order_cancelled(self, tx: Transaction, order_id: str) -> None:
        """What a cancelled order's work orders used or made is no longer its plan's: the planner nets it."""
        for item, qty in tx.execute("SELECT item, SUM(qty) FROM stock_movements WHERE order_id = ? AND in_plan = 1 "
                                    "AND kind IN ('issue', 'finished', 'shipment') GROUP BY item", [order_id]):
            if item in self.core.planner.items:
                self.core.planner.adjust_stock(item, qty)

    # ------------------------------------------------------------------ requisitions
    def _requisition(self, tx: Transaction, key: Any) -> dict[str, Any]:
        if isinstance(key, bool) or not isinstance(key, int) or not 0 < key < 2**63:
            raise StockError(f"requisition must be a requisition number, not {quoted(key)}", where="requisition",
                             fix="send the id GET /api/v1/requisitions lists")
        cursor = tx.execute("SELECT * FROM requisitions WHERE id = ? AND kind = 'purchase'", [key])
        names = [d[0] for d in cursor.description]
        found = cursor.fetchone()
        if found is None:
            raise StockError(f"no purchase requisition {key}", where="requisition",
                             fix="send an id GET /api/v1/requisitions lists", status=404)
        return dict(zip(names, found, strict=True))

    def _received(self, tx: Transaction, req_id: int) -> float:
        return float(tx.execute("SELECT COALESCE(SUM(qty), 0) FROM stock_movements WHERE requisition = ? "
                                "AND kind = 'receipt'", [req_id]).fetchone()[0])

    def _set_status(self, tx: Transaction, req_id: int, status: str, by: str, at: datetime, detail: str) -> None:
        tx.execute("UPDATE requisitions SET status = ? WHERE id = ?", [status, req_id])
        tx.execute("INSERT INTO requisition_log (requisition, status, at, by, detail) VALUES (?, ?, ?, ?, ?)",
                   [req_id, status, to_iso(at), by, detail])

    @staticmethod
    def _effective_due(row: Mapping[str, Any]) -> datetime:
        return from_iso(row["confirmed_date"] or row["due_date"])

    @staticmethod
    def _index(query: Any, row: Mapping[str, Any]) -> int:
        """Where ``row`` is among the planner's requisitions of its order, item and work order: the order they
        were raised in (a cancelled one keeps its place, what was bought instead comes after it)."""
        ids = [r["id"] for r in query("SELECT id FROM requisitions WHERE kind = 'purchase' AND order_id = ? AND "
                                      "item = ? AND work_order IS ? ORDER BY id",
                                      [row["order_id"], row["item"], row["work_order"]])]
        return ids.index(row["id"])

    def _move_due(self, tx: Transaction, row: Mapping[str, Any], due: datetime, supplier: str | None) -> None:
        self.core.planner.requisition_due(row["order_id"], row["item"], row["work_order"],
                                          self._index(tx.db.query, row), due, supplier)

    def confirm(self, tx: Transaction, requisition: Any, po_number: Any, supplier: Any, confirmed: datetime,
                by: str, at: datetime) -> dict[str, Any]:
        """The buyer ordered it: PO number, supplier and the date the supplier confirmed. A date later than
        the plan assumed moves the promises waiting for it, and their reason names the supplier."""
        po = text(po_number, "po_number", limit=60)
        who = text(supplier, "supplier", limit=120)
        with self.core._lock:
            row = self._requisition(tx, requisition)
            if row["status"] not in ("open", "ordered"):
                raise StockError(f"requisition {row['id']} is {row['status']}: only open or ordered ones are confirmed",
                                 where="requisition", status=409)
            tx.execute("UPDATE requisitions SET po_number = ?, confirmed_supplier = ?, confirmed_date = ? WHERE id = ?",
                       [po, who, to_iso(confirmed), row["id"]])
            self._set_status(tx, row["id"], "ordered", by, at, f"PO {po} at {who}, confirmed for {confirmed.date()}")
            self._move_due(tx, row, confirmed, who)
            before = self._promises(tx)
            self._replan(tx, at)
            moved = self._moved(tx, before)
        return {"requisition": row["id"], "status": "ordered", "po_number": po, "supplier": who,
                "confirmed_date": to_iso(confirmed), "late": confirmed > from_iso(row["need_date"]), "orders_moved": moved}

    def cancel(self, tx: Transaction, requisition: Any, by: str, reason: str, at: datetime) -> dict[str, Any]:
        """The buyer will not buy it: cancelled, and taken out of the plan in the same transaction. The work
        order that waited for it, and later orders counting on its surplus, take the part from free stock or
        another requisition's lot, or buy it again (a new requisition, ``replaces`` naming this one); the replan
        moves and publishes their promises."""
        with self.core._lock:
            row = self._requisition(tx, requisition)
            if row["status"] in ("closed", "cancelled"):
                raise StockError(f"requisition {row['id']} is {row['status']} already", where="requisition",
                                 status=409)
            self._set_status(tx, row["id"], "cancelled", by, at, reason or "cancelled")
            return {"requisition": row["id"], "status": "cancelled", **self._withdraw(tx, row, at)}

    def close(self, tx: Transaction, requisition: Any, by: str, reason: str, at: datetime) -> dict[str, Any]:
        """Close a requisition received in part: the supplier sends no more, and what did not come is taken out
        of the plan as for :meth:`cancel` (the part received stays its order's)."""
        with self.core._lock:
            row = self._requisition(tx, requisition)
            if row["status"] in ("closed", "cancelled"):
                raise StockError(f"requisition {row['id']} is {row['status']} already", where="requisition",
                                 status=409)
            self._set_status(tx, row["id"], "closed", by, at,
                             reason or f"closed with {self._received(tx, row['id']):g} received")
            return {"requisition": row["id"], "status": "closed", **self._withdraw(tx, row, at)}

    def _withdraw(self, tx: Transaction, row: Mapping[str, Any], at: datetime) -> dict[str, Any]:
        """Take a requisition out of the plan, store what was bought instead, replan; what moved.

        A work order that has started already took its materials: its order buys nothing again (what it still
        lacks is for the shop floor to say)."""
        received = self._received(tx, row["id"])
        if tx.execute("SELECT 1 FROM stock_movements WHERE work_order IS ? AND kind = 'issue'",
                      [row["work_order"]]).fetchone():
            received = float(row["qty"])
        after_seq = tx.execute("SELECT COALESCE(MAX(seq), 0) FROM orders").fetchone()[0]
        tx.execute("UPDATE requisitions SET withdrawn_after = ?, withdrawn_at = ?, withdrawn_received = ? WHERE id = ?",
                   [after_seq, to_iso(at), received, row["id"]])
        before = self._promises(tx)
        raised = self.core.planner.cancel_requisition(row["order_id"], row["item"], row["work_order"],
                                                      self._index(tx.db.query, row), at, received=received)
        new = [(self._store_rebuy(tx, req, None, None, replaces=row["id"]), req) for req in raised]
        self._replan(tx, at)
        for rid, req in new:  # the replan set when each work order needs the part (it was stored as "now")
            tx.execute("UPDATE requisitions SET need_date = ? WHERE id = ?", [to_iso(req.need_date), rid])
        moved = self._moved(tx, before)
        own = next(((rid, req) for rid, req in new if req.order_id == row["order_id"]), None)
        return {"replaced_by": own[0] if own else None, **({"due_date": to_iso(own[1].due_date)} if own else {}),
                "requisitions_raised": [rid for rid, _ in new], "orders_moved": moved}

    @staticmethod
    def _promises(tx: Transaction) -> dict[str, str]:
        return {r[0]: r[1] for r in tx.execute("SELECT order_id, promise FROM orders WHERE ships_from_stock = 0")}

    @staticmethod
    def _moved(tx: Transaction, before: Mapping[str, str]) -> list[str]:
        """The orders whose promise to the customer (as stored and published) the last replan moved."""
        return sorted(r[1] or r[0] for r in tx.execute("SELECT order_id, number, promise FROM orders "
                                                       "WHERE ships_from_stock = 0")
                      if r[0] in before and r[2] != before[r[0]])

    def resync(self) -> None:
        """Set the planner's stock from the ledger again (after a write that failed half-way was rolled back):
        the opening balance plus every movement no live plan counts on."""
        rows = self.core.store.query(
            "SELECT item, SUM(qty) AS qty FROM stock_movements WHERE kind = 'opening' OR in_plan = 0 OR (kind IN "
            "('issue', 'finished', 'shipment') AND order_id IN (SELECT order_id FROM order_cancellations)) "
            "GROUP BY item")
        with self.core._lock:
            for r in rows:
                if r["item"] in self.core.planner.items:
                    self.core.planner.on_hand[r["item"]] = float(r["qty"])

    def check_count(self, item: Any, counted: Any) -> tuple[str, float]:
        """What :meth:`count` refuses, checked without writing (a CSV import checks every row first)."""
        with self.core._lock:
            return self._known(item), quantity(counted, "counted", allow_zero=True)

    # ------------------------------------------------------------------ restart (HubCore._replay)
    def opening_stock(self) -> None:
        """The planner starts from the ledger's opening balances (not a later revision's catalog stock)."""
        for r in self.core.store.query("SELECT item, qty FROM stock_movements WHERE kind = 'opening'"):
            if r["item"] in self.core.planner.items:
                self.core.planner.on_hand[r["item"]] = float(r["qty"])

    def replay_steps(self) -> list[tuple[float, datetime, int, Mapping[str, Any]]]:
        """Movements the plans did not count on, placed among the orders as they happened (kind 2)."""
        return [(r["after_seq"] + 0.5, from_iso(r["at"]), 2, r) for r in self.core.store.query(
            "SELECT id, item, qty, at, after_seq FROM stock_movements WHERE in_plan = 0 ORDER BY id")]

    def replay_movement(self, row: Mapping[str, Any]) -> None:
        """A movement no plan counted on, applied to the planner at its place among the orders, with the
        requisitions it made orders buy again."""
        if row["item"] in self.core.planner.items:
            self.core.planner.adjust_stock(row["item"], float(row["qty"]))
        for req in self.core.store.query("SELECT order_id, work_order, item, rebought FROM requisitions "
                                         "WHERE movement = ? ORDER BY id", [row["id"]]):
            self.core.planner.rebuy(req["order_id"], req["work_order"], req["item"], float(req["rebought"]),
                                    from_iso(row["at"]))
        for pull in self.core.store.query("SELECT r.*, p.taken, p.ordered FROM stock_pulls p JOIN requisitions r "
                                          "ON r.id = p.requisition WHERE p.movement = ? ORDER BY p.id", [row["id"]]):
            self.core.planner.use_stock(pull["order_id"], pull["item"], pull["work_order"],
                                        self._index(self.core.store.query, pull), from_iso(row["at"]),
                                        ordered=bool(pull["ordered"]), limit=float(pull["taken"]))

    def replay_cancelled(self, order_id: str) -> None:
        for r in self.core.store.query("SELECT item, SUM(qty) AS qty FROM stock_movements WHERE order_id = ? AND "
                                       "in_plan = 1 AND kind IN ('issue', 'finished', 'shipment') GROUP BY item",
                                       [order_id]):
            if r["item"] in self.core.planner.items:
                self.core.planner.adjust_stock(r["item"], float(r["qty"]))

    def replay_withdrawn_steps(self) -> list[tuple[float, datetime, int, Mapping[str, Any]]]:
        """Requisitions cancelled or closed short, placed among the orders as they happened (kind 3)."""
        return [(r["withdrawn_after"] + 0.5, from_iso(r["withdrawn_at"]), 3, r) for r in self.core.store.query(
            "SELECT * FROM requisitions WHERE withdrawn_at IS NOT NULL ORDER BY id")]

    def replay_withdrawn(self, row: Mapping[str, Any]) -> None:
        """A requisition taken out of the plan: its orders source the part again as they did live."""
        self.core.planner.cancel_requisition(row["order_id"], row["item"], row["work_order"],
                                             self._index(self.core.store.query, row),
                                             from_iso(row["withdrawn_at"]),
                                             received=float(row["withdrawn_received"] or 0))

    def replay_dues(self) -> None:
        """Confirmed dates and full receipts moved requisitions: the replayed plans wait for the same dates; part
        receipts serve their work orders as they did live."""
        for part in self.core.store.query(
                "SELECT r.*, SUM(m.qty) AS got, MAX(m.at) AS last_receipt FROM requisitions r JOIN stock_movements m "
                "ON m.requisition = r.id AND m.kind = 'receipt' AND m.in_plan = 1 WHERE r.kind = 'purchase' "
                "AND r.status = 'received' GROUP BY r.id ORDER BY r.id"):
            self.core.planner.requisition_received(part["order_id"], part["item"], part["work_order"],
                                                   self._index(self.core.store.query, part),
                                                   min(float(part["got"]), float(part["qty"])),
                                                   from_iso(part["last_receipt"]))
        rows = self.core.store.query(
            "SELECT r.*, (SELECT MAX(m.at) FROM stock_movements m WHERE m.requisition = r.id AND m.kind = 'receipt') "
            "AS last_receipt FROM requisitions r WHERE r.kind = 'purchase' AND (r.confirmed_date IS NOT NULL OR "
            "r.status = 'closed') ORDER BY r.id")
        for row in rows:
            due = self._effective_due(row)
            if row["status"] == "closed" and row["last_receipt"] and from_iso(row["last_receipt"]) < due:
                due = from_iso(row["last_receipt"])
            try:
                self.core.planner.requisition_due(row["order_id"], row["item"], row["work_order"],
                                                  self._index(self.core.store.query, row), due,
                                                  row["confirmed_supplier"])
            except PlanningError:
                continue
