"""The hub's business logic: orders in, plans and work orders out, progress and alerts.

Transport-free: ingest calls the ``on_*`` handlers inside its own transaction (so the event,
the plan and the down messages commit together, before the ack), and :meth:`HubCore.tick`
runs the time-driven checks. Handlers raise a :class:`FloorLinkError` to reject an event: the
ack then carries the reason and nothing else changes.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from sync.catalog.compile import product_problem
from sync.catalog.model import Operation, Product
from sync.catalog.store import CatalogStore
from sync.configurator.engine import Engine
from sync.configurator.product import list_price, resolve_bom
from sync.errors import CatalogError, FloorLinkError, PlanningError, StationError
from sync.hub import kpis, roster, stock
from sync.hub.alerts import (
    AlertBook,
    Candidate,
    QcWindow,
    late_orders,
    material_shortages,
    overruns,
    price_mismatch,
    scrapped,
    silent_stations,
    stopped,
)
from sync.hub.demand import DemandOptions, Query, hub_demand_report
from sync.hub.insights import (
    FEEDBACK,
    FeedbackThresholds,
    check_body,
    feedback_warnings,
    insight_report,
    stored_rows,
)
from sync.hub.progress import OrderProgress, PlannedOp, order_progress, work_order_progress
from sync.numbers import HUB_PREFIX, highest_numbers, is_order_number, order_number, work_order_number
from sync.orders import PlacedOrder
from sync.planning import Planner, StructureNode, estimate, from_catalog
from sync.planning.promise import kept_promise, promise_at
from sync.station import rules
from sync.station.calendar import WorkingTime, working_seconds
from sync.station.stored import OPERATION_STATUS, WORK_ORDER_CANCELLED, WORK_ORDER_MESSAGE
from sync.station.timing import EVENT_TYPES as OP_EVENT_TYPES
from sync.station.timing import OpEvent, Status, derive
from sync.station.workorders import Material, RoutedOperation, RoutedWorkOrder
from sync.store.database import Store, Transaction
from sync.times import from_iso, to_iso

#: down message on stream ``orders`` when a replan changes an order's promise
PROMISE_CHANGED = "order.promise_changed"

log = logging.getLogger(__name__)

# (tx, stream, type, body, retain): how a down message leaves with the same commit.
Publish = Callable[[Transaction, str, str, dict[str, Any], bool], None]


def _plan_1(db: Any) -> None:
    db.execute("""CREATE TABLE orders (
        order_id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, event_id TEXT NOT NULL, device_id TEXT NOT NULL,
        product TEXT NOT NULL, revision INTEGER NOT NULL, configuration TEXT NOT NULL, quantity INTEGER NOT NULL,
        price TEXT NOT NULL, currency TEXT NOT NULL, customer TEXT NOT NULL, placed_at TEXT NOT NULL,
        promise TEXT NOT NULL, promise_reason TEXT NOT NULL, ships_from_stock INTEGER NOT NULL)""")
    db.execute("""CREATE TABLE order_cancellations (
        order_id TEXT PRIMARY KEY, at TEXT NOT NULL, event_id TEXT NOT NULL, reason TEXT NOT NULL)""")
    db.execute("""CREATE TABLE work_orders (
        id TEXT PRIMARY KEY, order_id TEXT NOT NULL, item TEXT NOT NULL, qty REAL NOT NULL, parent TEXT,
        stations TEXT NOT NULL, body TEXT NOT NULL)""")
    db.execute("CREATE INDEX work_orders_order ON work_orders (order_id)")
    db.execute("""CREATE TABLE wo_ops (
        work_order TEXT NOT NULL, op INTEGER NOT NULL, code TEXT NOT NULL, work_centre TEXT NOT NULL,
        standard_seconds REAL NOT NULL, outsourced INTEGER NOT NULL, planned_start TEXT NOT NULL,
        planned_end TEXT NOT NULL, PRIMARY KEY (work_order, op))""")
    db.execute("""CREATE TABLE requisitions (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, order_id TEXT NOT NULL, item TEXT NOT NULL, qty REAL NOT NULL,
        supplier TEXT, need_date TEXT NOT NULL, due_date TEXT NOT NULL, work_order TEXT, operation INTEGER)""")
    db.execute("""CREATE TABLE op_events (
        event_id TEXT PRIMARY KEY, work_order TEXT NOT NULL, op INTEGER NOT NULL, type TEXT NOT NULL,
        at TEXT NOT NULL, device_id TEXT NOT NULL, body TEXT NOT NULL)""")
    db.execute("CREATE INDEX op_events_op ON op_events (work_order, op)")


def _plan_2(db: Any) -> None:
    # lane: which parallel slot of its centre an operation holds, so a restart rebuilds the same gaps;
    # after_seq: the last order placed before a cancellation, so a restart replays them in their order.
    db.execute("ALTER TABLE wo_ops ADD COLUMN lane INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE order_cancellations ADD COLUMN after_seq INTEGER")


def _plan_3(db: Any) -> None:
    # first_promise: what the customer was promised when ordering; replans move ``promise``, on-time
    # delivery is still measured against the first one
    db.execute("ALTER TABLE orders ADD COLUMN first_promise TEXT")
    db.execute("UPDATE orders SET first_promise = promise")


def _plan_4(db: Any) -> None:
    # remakes: scrapped units made again by a new work order; a restart replays them where they happened
    db.execute("""CREATE TABLE remakes (
        work_order TEXT PRIMARY KEY, of_work_order TEXT NOT NULL, order_id TEXT NOT NULL, qty REAL NOT NULL,
        at TEXT NOT NULL, after_seq INTEGER NOT NULL, event_id TEXT NOT NULL)""")


def _plan_5(db: Any) -> None:
    # first_ready: when the order's first plan finished (NULL: shipped from stock, or placed before this
    # column); the KPIs compare it with when the order was done to say what promise margin it needed
    db.execute("ALTER TABLE orders ADD COLUMN first_ready TEXT")


def _alerts_1(db: Any) -> None:
    AlertBook(db)


def _numbers_1(db: Any) -> None:
    """Orders get their human number (``sync.numbers``), and work orders are renamed after it.

    Before, a work order was named ``<order UUID>-01``: too long for a label, so no station could
    scan it. An order keeps the number its kiosk printed on the receipt when that one is usable and
    free, else it gets the hub's ``H-<seq>``; its work orders become ``<number>-01``... in every
    table that names them (ids of demo-style work orders that were never from an order stay).
    """
    db.execute("ALTER TABLE orders ADD COLUMN number TEXT")
    # stations hold the old names: HubCore sends each work order again under its number, once
    db.execute("CREATE TABLE work_order_renames (old TEXT PRIMARY KEY, new TEXT NOT NULL, announced_at TEXT)")
    taken: set[str] = set()
    renames: dict[str, str] = {}
    for order_id, seq, event_id in db.execute("SELECT order_id, seq, event_id FROM orders ORDER BY seq").fetchall():
        row = db.execute("SELECT body FROM events WHERE event_id = ?", [event_id]).fetchone()
        try:
            sent = json.loads(row[0]).get("number") if row else None
        except (ValueError, AttributeError):
            sent = None
        number = sent if is_order_number(sent) and sent not in taken else _hub_number(seq, taken)
        taken.add(number)
        db.execute("UPDATE orders SET number = ? WHERE order_id = ?", [number, order_id])
        for (wo_id,) in db.execute("SELECT id FROM work_orders WHERE order_id = ?", [order_id]).fetchall():
            index = wo_id.rsplit("-", 1)[-1]
            renames[wo_id] = work_order_number(number, int(index)) if index.isdigit() else wo_id
    for old, new in renames.items():
        if old == new:
            continue
        body = json.loads(db.execute("SELECT body FROM work_orders WHERE id = ?", [old]).fetchone()[0])
        body["id"] = new
        body["order_number"] = new.rsplit("-", 1)[0]
        db.execute("UPDATE work_orders SET id = ?, body = ? WHERE id = ?", [new, json.dumps(body), old])
        db.execute("UPDATE work_orders SET parent = ? WHERE parent = ?", [new, old])
        for table in ("wo_ops", "op_events"):
            db.execute(f"UPDATE {table} SET work_order = ? WHERE work_order = ?", [new, old])
        db.execute("UPDATE requisitions SET work_order = ? WHERE work_order = ?", [new, old])
        db.execute("INSERT INTO work_order_renames (old, new) VALUES (?, ?)", [old, new])
    for event_id, text in db.execute("SELECT event_id, body FROM op_events").fetchall():
        body = json.loads(text)
        if body.get("work_order") in renames:
            body["work_order"] = renames[body["work_order"]]
            db.execute("UPDATE op_events SET body = ? WHERE event_id = ?", [json.dumps(body), event_id])
    db.execute("CREATE UNIQUE INDEX orders_number ON orders (number)")


def _hub_number(seq: int, taken: set[str] | Callable[[str], bool]) -> str:
    """The hub's own number for an order that came without a usable one: ``H-<seq>``, the first free."""
    used = taken.__contains__ if isinstance(taken, set) else taken
    candidate = order_number(HUB_PREFIX, seq)
    while used(candidate):
        seq += 1
        candidate = order_number(HUB_PREFIX, seq)
    return candidate


MIGRATIONS = {"hub_plan": [_plan_1, _plan_2, _plan_3, _plan_4, _plan_5], "hub_alerts": [_alerts_1], "hub_numbers": [_numbers_1],
              **stock.MIGRATIONS, **roster.MIGRATIONS}


@dataclass(frozen=True)
class HubOptions:
    zone: tzinfo = UTC
    silent_after: timedelta = timedelta(minutes=11)  # two missed heartbeats (station.heartbeat_seconds)
    qc_threshold: float = 0.2
    qc_window: int = 20
    qc_minimum: int = 5
    feedback: FeedbackThresholds = FeedbackThresholds()
    demand: DemandOptions = DemandOptions()
    overdue_grace: timedelta = timedelta(minutes=15)
    """Planned work not started this long after its planned start makes the tick plan again (its promise moves)."""
    overdue_every: timedelta = timedelta(minutes=5)
    """How often the tick looks for such work."""
    demand_every: timedelta = timedelta(hours=1)
    """How often the hub forecasts demand and raises purchasing and capacity warnings (sync.hub.demand;
    the service runs it on its own thread beside the tick)."""


#: event types whose refusal raises an alert: what workers and customers did, not telemetry
REFUSAL_ALERT_TYPES = frozenset({"order.placed", "order.cancelled", "qc.recorded", *OP_EVENT_TYPES})


class _Released(NamedTuple):
    """What the latest released revisions declare (HubCore._released_view)."""

    numbers: dict[str, int]
    stations: dict[str, tuple[str, ...]]  # work centre -> its stations
    planner: Planner  # knows every released item and centre, plans nothing


class HubCore:
    """Orders, plans, progress and alerts over the hub store and the catalog revisions."""

    def __init__(self, store: Store, catalog: CatalogStore, *, publish: Publish | None = None,
                 options: HubOptions | None = None,
                 on_alert: Callable[[dict[str, Any]], object] | None = None) -> None:
        self.store = store
        self.reads: Store = store
        """The connection read paths (progress, KPIs, the API) use; the service gives the API its own,
        so a long read never holds the store lock ingest needs (WAL: readers see the last commit)."""
        self.catalog = catalog
        self.options = options or HubOptions()
        self.publish: Publish = publish or (lambda tx, stream, type_, body, retain: None)
        self.on_alert = on_alert
        self.on_event: Callable[[Transaction, str, dict[str, Any]], object] | None = None
        """Business events for the ERP (sync.hub.notify.EVENT_TYPES), called in the transaction that made them
        (the service queues them as signed webhooks with the notifier's durable retries)."""
        for component, steps in MIGRATIONS.items():
            store.migrate(component, steps)
        self.alerts = AlertBook(store.db)
        self.planner = Planner({}, {}, zone=self.options.zone)
        self._products: dict[tuple[str, int], tuple[Product, Engine]] = {}
        self._operations: dict[tuple[str, int], dict[tuple[str, int], Operation]] = {}
        self._materials: dict[tuple[str, int], dict[tuple[str, float], Material]] = {}  # per revision, as made
        self._qc: dict[str, QcWindow] = {}
        self._open_ops: dict[tuple[str, int], list[OpEvent]] = {}
        self._thresholds: dict[str, float] = {}
        self._calendars: dict[str, WorkingTime] = {}
        self._stations: dict[str, frozenset[str]] = {}  # work centre -> the stations that serve it
        #: what the latest released revisions declare, and the revision numbers it was read for
        #: (_released_view; None until first read)
        self._released: _Released | None = None
        self._lock = threading.RLock()
        self._demand_at: datetime | None = None  # when demand_check last forecast demand
        self.demand_plots: dict[str, dict[str, Any]] = {}  # alert key -> its plot, from the last demand_check
        #: operation events moved what follows and the plan was not made again yet (see _replan_before_commit)
        self._replan_due: datetime | None = None
        self._written_settled: set[str] = set()  # finished orders whose final times _persist_plan has written
        self._routed: dict[str, tuple[str, RoutedWorkOrder]] = {}  # work order -> (stored body, parsed), recent ones
        self._overdue_checked: datetime | None = None  # when tick last looked for planned work not started in time
        self.inventory = stock.Inventory(self)
        """The stock ledger and the requisitions' lifecycle (sync.hub.stock); the planner nets against it."""
        self._announce_renames()
        self._replay()
        with store.transaction("writing opening stock balances") as tx, self._lock:
            self.inventory.openings(tx, datetime.now(UTC))

    def _announce_renames(self) -> None:
        """Work orders renamed by the numbers migration reach their stations under the new name, once:
        the old copy is withdrawn (no station could scan its too-long name) and the renamed one released."""
        rows = self.store.query(
            "SELECT r.old, r.new, w.order_id, w.stations, w.body, c.order_id AS cancelled FROM work_order_renames r "
            "JOIN work_orders w ON w.id = r.new LEFT JOIN order_cancellations c ON c.order_id = w.order_id "
            "WHERE r.announced_at IS NULL ORDER BY w.rowid")
        if not rows:
            return
        with self.store.transaction("sending renamed work orders to their stations") as tx:
            for row in rows:
                for station in json.loads(row["stations"]):
                    self.publish(tx, f"station/{station}", WORK_ORDER_CANCELLED,
                                 {"id": row["old"], "order_id": row["order_id"], "renamed_to": row["new"]}, False)
                    if row["cancelled"] is None:
                        self.publish(tx, f"station/{station}", WORK_ORDER_MESSAGE, json.loads(row["body"]), False)
                tx.execute("UPDATE work_order_renames SET announced_at = ? WHERE old = ?",
                           [to_iso(datetime.now(UTC)), row["old"]])

    # ------------------------------------------------------------------ catalog
    def product(self, code: str, number: int) -> tuple[Product, Engine]:
        """A released revision's product and its compiled engine (cached: revisions never change)."""
        key = (code, number)
        if key not in self._products:
            # A fresh connection: the ingest, ticker and API threads all end up here.
            product = released_product(self.catalog.path, code, number)
            self._products[key] = (product, Engine(product_problem(product)))
            # its routing operations by (item, operation number): the texts every stored work order carries
            operations = {(product.item, o.op): o for o in product.routing}
            for item, assembly in product.assemblies.items():
                operations.update({(item, o.op): o for o in assembly.routing})
            self._operations[key] = operations
            self.planner.learn(from_catalog.items(product), from_catalog.centres(product, self.options.zone))
            for wc_code, wc in product.work_centres.items():
                self._thresholds[wc_code] = float(wc.overrun_threshold)
                self._stations[wc_code] = frozenset(wc.stations)
                self._calendars[wc_code] = self.planner.centres[wc_code].calendar
        return self._products[key]

    def stations_by_centre(self) -> dict[str, tuple[str, ...]]:
        """Each work centre's stations as the released catalog and the products planned so far declare them
        (sorted; none when outsourced): the wall board lists every station, also one no open work reached
        yet. No catalog I/O here (the board asks every 5 s): the catalog is read on first use and again by
        the service's look for new revisions (read_declared_stations)."""
        declared = self.read_declared_stations() if self._released is None else self._released.stations
        found = {code: set(stations) for code, stations in declared.items()}
        for code in self.planner.centres:
            found.setdefault(code, set()).update(self._stations.get(code, ()))
        return {code: tuple(sorted(found[code])) for code in sorted(found)}

    def read_declared_stations(self) -> dict[str, tuple[str, ...]]:
        """Read the released revisions' work centres and stations from the catalog, without teaching the
        planner (a restart must plan as the live hub did)."""
        return self._released_view().stations

    def _released_view(self) -> _Released:
        """The latest released revision of every product as the catalog declares it, without teaching the hub's
        planner: each centre's stations, and an empty planner that knows every item and centre (the kiosks'
        capacity snapshot). The products are decoded again only when a revision was released since the last
        read. The hub's own planner learns a product at its first order: learning in another order would make
        a restart's replay differ from the live plan."""
        catalog = CatalogStore(self.catalog.path)
        try:
            numbers = catalog.released_numbers()
        finally:
            catalog.close()
        if self._released is None or numbers != self._released.numbers:
            declared: dict[str, set[str]] = {}
            planner = Planner({}, {})
            for code, number in sorted(numbers.items()):
                try:
                    product = released_product(self.catalog.path, code, number)
                except FloorLinkError:
                    log.exception("hub: cannot read %s@%s for its stations and the kiosks' capacity", code, number)
                    continue
                for wc_code, wc in product.work_centres.items():
                    declared.setdefault(wc_code, set()).update(wc.stations)
                planner.learn(from_catalog.items(product), from_catalog.centres(product, self.options.zone))
            self._released = _Released(numbers, {code: tuple(sorted(found)) for code, found in declared.items()},
                                       planner)
        return self._released

    def learn_released(self) -> None:
        """Load the latest released revision of every product, so the planner knows all their items
        (a stock count may name an item no order used yet)."""
        catalog = CatalogStore(self.catalog.path)
        try:
            numbers = catalog.released_numbers()
        finally:
            catalog.close()
        for code, number in numbers.items():
            try:
                self.product(code, number)
            except FloorLinkError:
                log.exception("hub: cannot load %s@%s to learn its items", code, number)

    def capacity_snapshot(self, now: datetime) -> dict[str, Any]:
        """What kiosks estimate offline with: the planner's capacity and stock, read under the planning lock;
        plus the highest order number per kiosk prefix, so a reinstalled kiosk goes on from there. Items and
        centres of products nobody ordered yet come in as the catalog declares them (review: the first e-MTB of
        a fresh demo was estimated roughly, a week after the hub's promise)."""
        numbers = highest_numbers(r["number"] for r in self.store.query("SELECT number FROM orders"))
        unordered = estimate.capacity_snapshot(self._released_view().planner, now)
        with self._lock:
            snapshot = estimate.capacity_snapshot(self.planner, now)
        for part in ("centres", "items"):
            for code, value in unordered[part].items():
                snapshot[part].setdefault(code, value)
        return {**snapshot, "order_numbers": numbers}

    # ------------------------------------------------------------------ orders
    def on_order_placed(self, tx: Transaction, event_id: str, device_id: str, body: Mapping[str, Any],
                        now: datetime) -> dict[str, Any]:
        order = PlacedOrder.from_body(body)
        existing = tx.execute("SELECT promise, promise_reason, ships_from_stock, number FROM orders WHERE order_id = ?",
                              [order.order_id]).fetchone()
        if existing:  # the same order sent again under a new event id: answer as before
            return {"order_id": order.order_id, "number": existing[3], "promise": existing[0],
                    "promise_date": existing[0][:10], "reason": existing[1],
                    "ships_from_stock": bool(existing[2]), "duplicate": True}
        with self._lock:
            product, engine = self.product(order.product, order.revision)
            self._check_configuration(order, product, engine)
            seq = (tx.execute("SELECT COALESCE(MAX(seq), 0) FROM orders").fetchone()[0] or 0) + 1
            number = self._number_for(tx, order, device_id, seq, now)
            price, currency = self._check_price(tx, order, product, number, device_id, now)
            if self._replan_due is not None:  # a new order is planned on the true state of the workshop
                self.replan(tx, now)
            plan = self._plan(order, product, now, number)
            promise = self.promise_of(plan.promise, product, plan.ships_from_stock)
            tx.insert_rows("orders", [{  # one plain INSERT: sqlite-utils' insert introspects the table each time
                "order_id": order.order_id, "number": number, "seq": seq, "event_id": event_id, "device_id": device_id,
                "product": order.product, "revision": order.revision,
                "configuration": json.dumps(dict(order.configuration), sort_keys=True),
                "quantity": order.quantity, "price": str(price), "currency": currency,
                "customer": json.dumps(dict(order.customer), ensure_ascii=False), "placed_at": to_iso(now),
                "promise": to_iso(promise), "first_promise": to_iso(promise), "promise_reason": plan.reason,
                "ships_from_stock": int(plan.ships_from_stock),
                "first_ready": None if plan.ships_from_stock else to_iso(plan.promise)}])
            self._store_plan(tx, order, product, plan, number)
            self.inventory.openings(tx, now)
        if self.on_event is not None:  # nothing to build when no ERP listens
            self._emit(tx, "order.placed", {"order_id": order.order_id, "number": number, "product": order.product,
                                            "revision": order.revision, "configuration": dict(order.configuration),
                                            "quantity": order.quantity, "promise": to_iso(promise),
                                            "ships_from_stock": plan.ships_from_stock, "price": str(price),
                                            "currency": currency, "customer": dict(order.customer),
                                            "placed_at": to_iso(now)})
            for wo in plan.work_orders:
                self._emit(tx, "workorder.released", {"id": wo.id, "order_id": order.order_id, "order_number": number,
                                                      "item": wo.item, "qty": wo.qty,
                                                      "start": to_iso(wo.start) if wo.operations else None})
            for req in stock.requisitions(tx.db.query, order_id=order.order_id):
                self._emit(tx, "requisition.created", req)
        return {"order_id": order.order_id, "number": number, "promise": to_iso(promise),
                "promise_date": promise.date().isoformat(),
                "ready_at": to_iso(plan.promise), "reason": plan.reason, "ships_from_stock": plan.ships_from_stock,
                "work_orders": [wo.id for wo in plan.work_orders]}

    def _emit(self, tx: Transaction, type_: str, body: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(tx, type_, body)

    def _number_for(self, tx: Transaction, order: PlacedOrder, device_id: str, seq: int, now: datetime) -> str:
        """The receipt's number when it is usable and free; else the hub's own (a clash raises an alert)."""
        sent = (order.number or "").upper()

        def taken(number: str) -> bool:
            return tx.execute("SELECT 1 FROM orders WHERE number = ?", [number]).fetchone() is not None

        if is_order_number(sent) and not taken(sent):
            return sent
        number = _hub_number(seq, taken)
        if is_order_number(sent):
            holder = tx.execute("SELECT device_id FROM orders WHERE number = ?", [sent]).fetchone()[0]
            self._raise(tx, Candidate(
                key=f"number:{order.order_id}", kind="order_number", severity="warning", subject=f"{device_id} {sent}",
                message=f"order number {sent} from {device_id} was already used by an order from {holder}; "
                        f"this order is {number} (the customer's receipt says {sent}): give every kiosk its own "
                        f"kiosk.order_prefix",
                data={"order_id": order.order_id, "receipt": sent, "number": number, "device_id": device_id,
                      "holder": holder}), now)
        return number

    def _check_price(self, tx: Transaction, order: PlacedOrder, product: Product, number: str, device_id: str,
                     now: datetime) -> tuple[Decimal, str]:
        """The order's price and currency as stored: what the customer was shown (binding), else the list
        price in the catalog's currency. A shown
        price other than the revision's list price for that build (a kiosk on a hand-edited catalog, a wrong
        currency, a forged message) raises a ``price_mismatch`` alert before anyone invoices it."""
        listed = list_price(product, order.configuration) * order.quantity
        if order.price is None:
            return listed, product.currency
        candidate = price_mismatch(order, number, device_id, listed, product.currency)
        if candidate is not None:
            self._raise(tx, candidate, now)
        return order.price, order.currency

    def order_id_for(self, key: str) -> str | None:
        """The internal id of the order ``key`` names: its number (any case) or its id."""
        rows = self.reads.query("SELECT order_id FROM orders WHERE number = ? OR order_id = ?", [key.upper(), key])
        return str(rows[0]["order_id"]) if rows else None

    def promise_of(self, ready_at: datetime, product: Product, ships_from_stock: bool = False) -> datetime:
        """Customers are promised a day, not a minute: the end of the day the schedule finishes, plus the
        product's safety margin in working days (none for a bike on the shelf); sync.planning.promise."""
        return promise_at(ready_at, self.options.zone, 0 if ships_from_stock else product.promise_margin_days)

    def _check_configuration(self, order: PlacedOrder, product: Product, engine: Engine) -> None:
        attrs = {a.code for a in product.attributes}
        unknown = sorted(set(order.configuration) - attrs)
        missing = sorted(attrs - set(order.configuration))
        if unknown or missing:
            raise PlanningError(f"configuration of {order.product}@{order.revision} is incomplete or wrong: "
                                f"unknown attributes {unknown}, missing {missing}", where=f"order {order.order_id}")
        for code, option in order.configuration.items():
            attribute = product.attribute(code)
            if attribute is None or attribute.option(option) is None:
                raise PlanningError(f"attribute {code} has no option {option!r}", where=f"order {order.order_id}")
        if not engine.is_valid(order.configuration):
            raise PlanningError("the configuration breaks the product's rules", where=f"order {order.order_id}",
                                fix="configure it again on a kiosk with the current catalog")

    def _plan(self, order: PlacedOrder, product: Product, now: datetime, number: str) -> Any:
        tree = from_catalog.structure(product, order.configuration)
        stocked = from_catalog.ships_from_stock(product, order.configuration)
        return self.planner.plan(order.order_id, tree, order.quantity, now, ship_from_stock=stocked, number=number)

    def _store_plan(self, tx: Transaction, order: PlacedOrder, product: Product, plan: Any, number: str,
                    work_orders: Iterable[Any] | None = None, requisitions: Iterable[Any] | None = None) -> None:
        """Store and release the plan's work orders, operations and requisitions (or only the ones given)."""
        # the operations' texts from the catalog, the parts from the planner's exploded structure: a second
        # BOM explosion here was a sixth of planning an order through the hub
        ops_by_item = self._operations[(order.product, order.revision)]  # loaded with the product
        known_materials = self._materials.setdefault((order.product, order.revision), {})
        attribute_names: dict[str, dict[str, str]] = {}
        option_names: dict[str, dict[str, str]] = {}
        for code, chosen in order.configuration.items():
            attribute = product.attribute(code)
            option = attribute.option(chosen) if attribute else None
            if attribute is not None:
                attribute_names[code] = dict(attribute.label)
            if option is not None:
                option_names[code] = dict(option.label)
        op_rows: list[dict[str, Any]] = []
        wo_rows: list[dict[str, Any]] = []
        awaited = awaited_by_work_order(plan, self.options.zone)
        shifts: dict[str, dict[str, Any]] = {}  # each centre's calendar as the stations read it, built once
        shared: str | None = None  # the order's part of every body, encoded once
        for wo in (plan.work_orders if work_orders is None else work_orders):
            stations: list[str] = []
            routed_ops = []
            previous: int | None = None
            for op in wo.operations:
                spec = ops_by_item.get((wo.item, op.op))
                centre = product.work_centres.get(op.work_centre)
                for st in (centre.stations if centre else ()):
                    if st not in stations:
                        stations.append(st)
                routed_ops.append(RoutedOperation(
                    number=op.op, name=spec.name.get("en", op.code) if spec else op.code, work_centre=op.work_centre,
                    setup_minutes=float(spec.setup_min) if spec else 0.0,
                    run_minutes=float(spec.run_min) if spec else 0.0, qc=bool(spec.qc) if spec else False,
                    sop=spec.sop if spec else None, predecessor=previous, planned_start=op.start,
                    alert_at=float(centre.overrun_threshold) if centre else None,
                    names=dict(spec.name) if spec else {},
                    outsourced=op.outsourced))
                previous = op.op
                op_rows.append({
                    "work_order": wo.id, "op": op.op, "code": op.code, "work_centre": op.work_centre,
                    "standard_seconds": op.standard_min * 60, "outsourced": int(op.outsourced),
                    "planned_start": to_iso(op.start), "planned_end": to_iso(op.end), "lane": op.lane})
            materials = _materials(product, self.planner.parts_of(wo.id), wo.qty, known_materials)
            calendars = {}
            for op in wo.operations:
                centre = product.work_centres.get(op.work_centre)
                if centre is not None:
                    if op.work_centre not in shifts:
                        shifts[op.work_centre] = {"workdays": list(centre.calendar.workdays),
                                                  "shifts": [list(shift) for shift in centre.calendar.shifts],
                                                  "holidays": list(centre.calendar.holidays)}
                    calendars[op.work_centre] = shifts[op.work_centre]
            routed = RoutedWorkOrder(id=wo.id, product=order.product, quantity=max(int(round(wo.qty)), 1),
                                     operations=tuple(routed_ops),
                                     configuration=tuple(sorted(order.configuration.items())),
                                     materials=materials, order_id=order.order_id, calendars=calendars,
                                     order_number=number, product_names=dict(product.name),
                                     attribute_names=attribute_names, option_names=option_names,
                                     parts={part.id: "open" for part in plan.work_orders if part.parent == wo.id},
                                     awaiting=awaited.get(wo.id, {}))
            body = routed.to_body()
            if shared is None:
                shared = _order_shared_text(body)
            wo_rows.append({"id": wo.id, "order_id": order.order_id, "item": wo.item, "qty": wo.qty,
                            "parent": wo.parent, "stations": json.dumps(stations), "body": _body_text(body, shared)})
            for st in stations:
                self.publish(tx, f"station/{st}", WORK_ORDER_MESSAGE, body, False)
        # a bike's fifty-odd requisitions share a handful of dates: each is written once
        iso = functools.lru_cache(maxsize=64)(to_iso)
        # one batch per table: row-by-row inserts were most of the cost of planning an order
        for table, rows in (("wo_ops", op_rows), ("work_orders", wo_rows), ("requisitions", [{
                "kind": req.kind, "order_id": req.order_id, "item": req.item, "qty": req.qty, "supplier": req.supplier,
                "need_date": iso(req.need_date), "due_date": iso(req.due_date), "work_order": req.work_order,
                "operation": req.operation} for req in (plan.requisitions if requisitions is None else requisitions)])):
            tx.insert_rows(table, rows)

    def replan(self, tx: Transaction, now: datetime) -> None:
        """Plan every open order again from ``now`` and store what moved in ``tx`` (the caller holds the lock)."""
        self.planner.reschedule(now)
        self._persist_plan(tx, now)
        self._replan_due = None

    def _replan_before_commit(self, tx: Transaction, now: datetime) -> None:
        """Plan again once, just before ``tx`` commits: an ingest batch of fifty starts and completions is one
        transaction, and planning all open work after each of them made ingest wait fifty times as long."""
        self._replan_due = max(now, self._replan_due or now)

        def settle() -> None:
            with self._lock:
                if self._replan_due is not None:
                    self.replan(tx, self._replan_due)
        tx.before_commit("hub.replan", settle)

    def _persist_plan(self, tx: Transaction, now: datetime) -> None:
        """Write what a replan moved (operations, work orders, promises, requisition dates) in ``tx``,
        re-release moved work orders to their stations, publish each changed promise, and raise an
        alert when a promise moves later. Called under the planning lock, in the event's transaction."""
        # an order finished and written once does not move again: only the others are compared (a hub with a
        # quarter of done orders read every one of their operations on each replan)
        live = [oid for oid in self.planner.plans if oid not in self._written_settled]
        wo_ids = [wo.id for oid in live for wo in self.planner.plans[oid].work_orders]
        stored: dict[tuple[str, int], tuple[Any, ...]] = {}
        for i in range(0, len(wo_ids), 500):
            chunk = wo_ids[i:i + 500]
            stored.update({(r[0], r[1]): (r[2], r[3], r[4]) for r in tx.execute(
                "SELECT work_order, op, planned_start, planned_end, lane FROM wo_ops WHERE work_order IN "
                f"({','.join('?' * len(chunk))})", chunk).fetchall()})
        promised = {r[0]: (r[1], r[2], r[3] or r[1], r[4], r[5]) for r in tx.execute(
            "SELECT order_id, promise, promise_reason, first_promise, product, revision FROM orders "
            "WHERE ships_from_stock = 0").fetchall()}
        op_rows: list[tuple[Any, ...]] = []
        moved: dict[str, dict[int, datetime]] = {}
        for order_id in live:
            plan = self.planner.plans[order_id]
            if plan.ships_from_stock or order_id not in promised:
                continue
            touched = False
            for wo in plan.work_orders:
                for op in wo.operations:
                    new = (to_iso(op.start), to_iso(op.end), op.lane)
                    if stored.get((wo.id, op.op)) != new:
                        op_rows.append((*new, wo.id, op.op))
                        moved.setdefault(wo.id, {})[op.op] = op.start
                        touched = True
            if touched:
                for req in plan.requisitions:
                    if req.kind == "subcontract":
                        tx.execute("UPDATE requisitions SET need_date = ?, due_date = ? WHERE kind = 'subcontract' "
                                   "AND work_order = ? AND operation = ?",
                                   [to_iso(req.need_date), to_iso(req.due_date), req.work_order, req.operation])
                    else:
                        tx.execute("UPDATE requisitions SET need_date = ? WHERE kind = 'purchase' AND order_id = ? "
                                   "AND work_order IS ? AND item = ?",
                                   [to_iso(req.need_date), order_id, req.work_order, req.item])
            before, reason, first, code, revision = promised[order_id]
            # what the customer holds moves only when the plan's finish passes it (sync.planning.promise)
            held = max(from_iso(before), from_iso(first))
            kept = kept_promise(held, from_iso(first), plan.promise,
                                self.promise_of(plan.promise, self.product(code, revision)[0]))
            promise = to_iso(kept)
            if (promise, plan.reason) != (before, reason):
                tx.execute("UPDATE orders SET promise = ?, promise_reason = ? WHERE order_id = ?",
                           [promise, plan.reason, order_id])
            if kept != held:
                self._promise_moved(tx, order_id, held, kept, plan.reason, now, plan.why)
        if op_rows:
            tx.db.conn.executemany("UPDATE wo_ops SET planned_start = ?, planned_end = ?, lane = ? "
                                   "WHERE work_order = ? AND op = ?", op_rows)
        self._written_settled.update(oid for oid in live if self.planner.settled(oid))
        for wo_id, starts in moved.items():
            row = tx.execute("SELECT body, stations FROM work_orders WHERE id = ?", [wo_id]).fetchone()
            if row is None:
                continue
            body = json.loads(row[0])
            for op_body in body.get("operations", []):
                if op_body.get("number") in starts:
                    op_body["planned_start"] = to_iso(starts[op_body["number"]])
            tx.execute("UPDATE work_orders SET body = ? WHERE id = ?", [json.dumps(body), wo_id])
            for st in json.loads(row[1]):
                self.publish(tx, f"station/{st}", WORK_ORDER_MESSAGE, body, False)

    def _promise_moved(self, tx: Transaction, order_id: str, before: datetime, after: datetime, reason: str,
                       now: datetime, why: Mapping[str, Any] | None = None) -> None:
        """Tell the dashboards (and kiosks) a promise changed; a later one is an alert someone must act on, with
        the reason's facts (``why``) for a board that writes it in its own language."""
        changed = {"order_id": order_id, "promise": to_iso(after), "promise_date": after.date().isoformat(),
                   "was": to_iso(before), "reason": reason}
        self.publish(tx, "orders", PROMISE_CHANGED, changed, False)
        row = tx.execute("SELECT number FROM orders WHERE order_id = ?", [order_id]).fetchone()
        number = row[0] if row and row[0] else None
        self._emit(tx, PROMISE_CHANGED, {**changed, "number": number})
        if after.date() > before.date():
            # an earlier move nobody has taken on yet is replaced by this one, which says the date the customer
            # still holds: on the live demo two alerts stood for one order, the first's date already wrong
            for older in list(self.alerts.table.rows_where(
                    "kind = 'promise_later' AND state = 'raised' AND json_extract(data, '$.order_id') = ?", [order_id])):
                before = min(before, from_iso(json.loads(older["data"])["was"]))
                self.alerts.resolve(older["id"], "superseded", now)
            name = number or order_id  # a supervisor reads the receipt's number, not the UUID
            self._raise(tx, Candidate(
                key=f"promise_later:{order_id}:{after.date().isoformat()}", kind="promise_later", severity="warning",
                subject=name,
                message=f"order {name} will be ready {after:%a %d %b} instead of {before:%a %d %b}: {reason}; "
                        "tell the customer",
                data={"order_id": order_id, "was": to_iso(before), "promise": to_iso(after), "reason": reason,
                      **({"why": dict(why)} if why else {})}), now)

    def on_order_cancelled(self, tx: Transaction, event_id: str, body: Mapping[str, Any],
                           now: datetime) -> dict[str, Any]:
        key = body.get("order_id")
        if not isinstance(key, str):
            raise PlanningError(f"order_id {key!r} is not an order id", where="order.cancelled body")
        # the order's id, or its number as a person reads it off the receipt
        found = tx.execute("SELECT order_id FROM orders WHERE order_id = ? OR number = ?", [key, key.upper()]).fetchone()
        if found is None:
            raise PlanningError(f"unknown order {key}", where="order.cancelled")
        order_id = str(found[0])
        if tx.execute("SELECT 1 FROM order_cancellations WHERE order_id = ?", [order_id]).fetchone():
            return {"order_id": order_id, "cancelled": True, "duplicate": True}
        after_seq = tx.execute("SELECT COALESCE(MAX(seq), 0) FROM orders").fetchone()[0]
        tx.table("order_cancellations").insert({"order_id": order_id, "at": to_iso(now), "event_id": event_id,
                                                 "reason": str(body.get("reason", "")), "after_seq": after_seq})
        with self._lock:
            self.planner.cancel(order_id, now, reschedule=False)
            self.inventory.order_cancelled(tx, order_id)
            self.replan(tx, now)  # later orders move into what it held
        for row in tx.execute("SELECT id, stations FROM work_orders WHERE order_id = ?", [order_id]).fetchall():
            for st in json.loads(row[1]):
                self.publish(tx, f"station/{st}", WORK_ORDER_CANCELLED, {"id": row[0], "order_id": order_id}, False)
        return {"order_id": order_id, "cancelled": True}

    # ------------------------------------------------------------------ shop-floor events
    def on_op_event(self, tx: Transaction, event_id: str, device_id: str, type_: str, body: Mapping[str, Any],
                    now: datetime) -> dict[str, Any]:
        """A station's operation event, checked with the station's own rules (sync.station.rules) against
        what the hub knows: the released work order, the events recorded before it, the routing."""
        if type_ not in OP_EVENT_TYPES:
            raise PlanningError(f"unknown operation event {type_}", code="unknown_type")
        wo_id, op_no = body.get("work_order"), body.get("operation")
        if not isinstance(wo_id, str) or isinstance(op_no, bool) or not isinstance(op_no, int):
            raise PlanningError("work_order and operation are required", where=f"{type_} body", code="invalid_body")
        row = tx.execute("SELECT body, order_id, stations FROM work_orders WHERE id = ?", [wo_id]).fetchone()
        if row is None:
            raise PlanningError(f"unknown work order {wo_id}", where=f"{type_} from {device_id}",
                                fix="scan a label the hub released", code="unknown_work_order")
        cached = self._routed.get(wo_id)
        if cached is None or cached[0] != row[0]:  # parsed again only when the stored body changed
            cached = self._routed[wo_id] = (row[0], RoutedWorkOrder.from_body(json.loads(row[0]), "stored work order"))
            if len(self._routed) > 2000:
                self._routed.pop(next(iter(self._routed)))
        routed_wo = cached[1]
        op = next((o for o in routed_wo.operations if o.number == op_no), None)
        if op is None:
            raise PlanningError(f"work order {wo_id} has no operation {op_no}", where=f"{type_} from {device_id}",
                                code="unknown_operation")
        event = OpEvent.from_body(type_, body)
        before = [OpEvent.from_body(r[0], json.loads(r[1]), i) for i, r in enumerate(tx.execute(
            "SELECT type, body FROM op_events WHERE work_order = ? AND op = ? ORDER BY rowid", [wo_id, op_no]))]
        # the state when the event happened: a late event from an offline station is judged in its own time
        state = derive([e for e in before if e.at <= event.at], event.at)
        quantity_in = routed_wo.quantity
        previous = None
        if op.predecessor is not None:
            previous = derive([OpEvent.from_body(r[0], json.loads(r[1]), i) for i, r in enumerate(tx.execute(
                "SELECT type, body FROM op_events WHERE work_order = ? AND op = ? ORDER BY rowid",
                [wo_id, op.predecessor]))], now)
            quantity_in = previous.good if previous.good is not None else quantity_in
        cancelled = tx.execute("SELECT 1 FROM order_cancellations WHERE order_id = ?", [row[1]]).fetchone() is not None
        with self._lock:
            known = op.work_centre in self._stations
            centres = {wc for wc, stations in self._stations.items() if device_id in stations}
        # the catalog's stations of each work centre; the work order's stations if its product is not loaded
        routed = rules.serves(routed_wo, op, centres) if known else device_id in json.loads(row[2])
        waits = op.predecessor if previous is not None and previous.status is not Status.DONE else None
        try:
            rules.check(type_, body, state, rules.OperationFacts(wo_id, op_no, qc=op.qc, quantity_in=quantity_in,
                                                                 cancelled=cancelled, routed=routed,
                                                                 work_centre=op.work_centre, waits_for_operation=waits,
                                                                 waits_for_parts=rules.parts_open(routed_wo, op)))
            # bought parts not booked in are the station's check (overridable), not a refusal here: a start
            # the hall reports means the parts were at hand, a receipt not yet booked is common
        except StationError as exc:
            # the plain sentence only: the supervisor's refused list already shows what and where it was, and
            # the event_refused alert names the device and the event
            log.info("hub: %s %s/%s from %s refused (%s): %s", type_, wo_id, op_no, device_id, exc.code, exc)
            raise StationError(exc.what, fix=exc.fix, code=exc.code, overridable=exc.overridable) from None
        tx.table("op_events").insert({"event_id": event_id, "work_order": wo_id, "op": op_no, "type": type_,
                                      "at": to_iso(event.at), "device_id": device_id, "body": json.dumps(dict(body))})
        if type_ == "op.completed":  # a later operation may now start at another station
            stations = json.loads(tx.execute("SELECT stations FROM work_orders WHERE id = ?", [wo_id]).fetchone()[0])
            for st in stations:
                self.publish(tx, f"station/{st}", OPERATION_STATUS,
                             {"id": wo_id, "operation": op_no, "status": "done"}, False)
        with self._lock:
            first_start = type_ == "op.started" and not any(
                e.type == "op.started" for e in self._open_ops.get((wo_id, op_no), ()))
            self._apply_op_event(wo_id, op_no, event)
            # the ledger: materials leave stock when the first operation starts, goods come in when the last ends
            if first_start and op_no == routed_wo.operations[0].number:
                self.inventory.work_order_started(tx, wo_id, row[1], routed_wo.materials, device_id, event.at)
            last = type_ == "op.completed" and op_no == routed_wo.operations[-1].number
            if last:
                self.inventory.work_order_completed(tx, wo_id, row[1], event.good, device_id, event.at)
                self._part_done(tx, wo_id)
            # reported scrap: the shortfall against what came in is made again (an unreported rest is not lost)
            if type_ == "op.completed" and (event.scrap or 0) > 0:
                remade: list[str] = []
                if event.good is not None and quantity_in - event.good > 0 and not cancelled:
                    remade = self._remake(tx, event_id, routed_wo, op_no, str(row[1]), quantity_in - event.good,
                                          event, now)
                self._raise(tx, scrapped(event_id, wo_id, op_no, op.work_centre, event.scrap or 0, event.reason,
                                         device_id, remade), now)
            if last and row[1] and self._order_built(tx, str(row[1])) and tx.execute(
                    "SELECT 1 FROM work_orders WHERE id = ? AND parent IS NULL", [wo_id]).fetchone():
                self._emit(tx, "order.done", {"order_id": row[1], "number": routed_wo.order_number,
                                              "work_order": wo_id, "good": event.good, "at": to_iso(event.at)})
            if type_ == "op.completed" or first_start:
                # An early or late start or finish moves what follows: plan again, stored with the event
                self._replan_before_commit(tx, now)
            if type_ == "qc.recorded" and event.passed is not None:
                centre = op.work_centre
                window = self._qc.setdefault(centre, QcWindow(self.options.qc_window, threshold=self.options.qc_threshold,
                                                              minimum=self.options.qc_minimum))
                window.add(event.at, bool(event.passed))
                candidate = window.check(centre, now)
                if candidate is not None:
                    self._raise(tx, candidate, now)
        return {"work_order": wo_id, "operation": op_no}

    def _order_built(self, tx: Transaction, order_id: str) -> bool:
        """Whether the order's top-level work orders have brought in as many good units as it ordered
        (stock that covered a scrapped unit counts). A bike scrapped at its last operation finished its work
        order with 0 good, and the hub announced order.done (to the ERP too) while the remade bike was
        still to be built."""
        good = tx.execute(
            "SELECT COALESCE(SUM(json_extract(e.body, '$.good')), 0) FROM op_events e "
            "JOIN work_orders w ON w.id = e.work_order "
            "WHERE w.order_id = ? AND w.parent IS NULL AND e.type = 'op.completed' "
            "AND e.op = (SELECT MAX(o.op) FROM wo_ops o WHERE o.work_order = w.id)", [order_id]).fetchone()[0]
        covered = tx.execute(
            "SELECT COALESCE(SUM(r.qty), 0) FROM remakes r JOIN work_orders w ON w.id = r.of_work_order "
            "WHERE r.order_id = ? AND w.parent IS NULL AND r.work_order LIKE '%:stock:%'", [order_id]).fetchone()[0]
        ordered = tx.execute("SELECT quantity FROM orders WHERE order_id = ?", [order_id]).fetchone()
        return ordered is not None and good + covered >= ordered[0]

    def _remake(self, tx: Transaction, event_id: str, routed_wo: RoutedWorkOrder, op_no: int, order_id: str, qty: int,
                event: OpEvent, now: datetime) -> list[str]:
        """``qty`` units of a work order were scrapped at ``op_no`` (or not reported good): they are lost, so a new
        work order makes them again from the first operation, its materials netted and bought like any demand,
        released to its stations; its parent waits for it like for any part, and the plan and promises move in
        this transaction. When nothing good is left, the scrapped work order's later operations are closed (done,
        0 good): no station works on an empty lot. Called under the planning lock. Returns the new work orders'
        ids (none when stock covers the scrapped units or no plan holds the work order)."""
        wo_id = routed_wo.id
        plan = self.planner.plans.get(order_id)
        if plan is None or plan.ships_from_stock or wo_id not in {wo.id for wo in plan.work_orders}:
            return []  # a demo work order or one no plan holds: nothing to plan again
        order_row = tx.execute("SELECT product, revision, configuration, quantity, number FROM orders "
                               "WHERE order_id = ?", [order_id]).fetchone()
        if order_row is None:
            return []
        product, _ = self.product(order_row[0], order_row[1])
        order = PlacedOrder(order_id, order_row[0], order_row[1], json.loads(order_row[2]), order_row[3])
        later = [o for o in routed_wo.operations if o.number > op_no]
        if event.good == 0 and later:
            stations = json.loads(tx.execute("SELECT stations FROM work_orders WHERE id = ?", [wo_id]).fetchone()[0])
            for o in later:
                closed = {"work_order": wo_id, "operation": o.number, "at": to_iso(event.at), "good": 0, "scrap": 0,
                          "reason": f"nothing left: all scrapped at operation {op_no}"}
                tx.table("op_events").insert({"event_id": f"{event_id}:closed:{o.number}", "work_order": wo_id,
                                              "op": o.number, "type": "op.completed", "at": to_iso(event.at),
                                              "device_id": "hub", "body": json.dumps(closed)})
                self._apply_op_event(wo_id, o.number, OpEvent.from_body("op.completed", closed))
                for st in stations:
                    self.publish(tx, f"station/{st}", OPERATION_STATUS,
                                 {"id": wo_id, "operation": o.number, "status": "done"}, False)
            self._part_done(tx, wo_id)
        bought = {id(r) for r in plan.requisitions}
        new = self.planner.remake(order_id, wo_id, float(qty), now)
        after_seq = tx.execute("SELECT COALESCE(MAX(seq), 0) FROM orders").fetchone()[0]
        tx.table("remakes").insert({"work_order": new[0].id if new else f"{wo_id}:stock:{event_id}",
                                    "of_work_order": wo_id, "order_id": order_id, "qty": float(qty),
                                    "at": to_iso(now), "after_seq": after_seq, "event_id": event_id})
        if not new:
            return []  # stock covers the scrapped parts
        self._written_settled.discard(order_id)  # a late scrap report reopens a finished order
        self.planner.reschedule(now)
        ids = {wo.id for wo in new}
        requisitions = [r for r in plan.requisitions if (r.kind == "purchase" and id(r) not in bought)
                        or (r.kind == "subcontract" and r.work_order in ids)]
        self._store_plan(tx, order, product, plan, order_row[4] or "", new, requisitions)
        parent = new[0].parent
        if parent is not None:
            prow = tx.execute("SELECT body, stations FROM work_orders WHERE id = ?", [parent]).fetchone()
            if prow is not None:
                body = json.loads(prow[0])
                body["parts"] = {**(body.get("parts") or {}), new[0].id: "open"}
                tx.execute("UPDATE work_orders SET body = ? WHERE id = ?", [json.dumps(body), parent])
                for st in json.loads(prow[1]):
                    self.publish(tx, f"station/{st}", WORK_ORDER_MESSAGE, body, False)
        self._persist_plan(tx, now)
        log.info("hub: %s scrapped %s of %s: remade by %s", order_id, qty, wo_id, ", ".join(sorted(ids)))
        return sorted(ids)

    def refresh_awaiting(self, tx: Transaction) -> None:
        """Tell the stations which bought parts each work order still waits for, after a receipt, a supplier's
        confirmation, a cancelled or re-raised purchase: its first operation may start once they are in
        (sync.station.rules.materials_open). Only work orders whose list changed are sent again."""
        awaited: dict[str, dict[str, str]] = {}
        for req_id, order_id, wo_id, item, due, confirmed, status in tx.execute(
                "SELECT id, order_id, work_order, item, due_date, confirmed_date, status FROM requisitions "
                "WHERE kind = 'purchase' AND work_order IS NOT NULL AND status IN ('open', 'ordered', 'received')"):
            if status == "received" and self.planner.received_covers(order_id, item, wo_id, self.inventory._index(
                    tx.db.query, {"id": req_id, "order_id": order_id, "item": item, "work_order": wo_id})):
                continue  # what came covers the work order's need: the rest is stock (safety, a lot's surplus)
            day = from_iso(confirmed or due).astimezone(self.options.zone).date().isoformat()
            items = awaited.setdefault(wo_id, {})
            items[item] = max(day, items.get(item, day))
        rows = tx.execute("SELECT id, body, stations FROM work_orders WHERE json_extract(body, '$.awaiting') "
                          "NOT IN ('{}', '') AND json_extract(body, '$.awaiting') IS NOT NULL").fetchall()
        known = {row[0] for row in rows}
        rows += [row for wo_id in sorted(set(awaited) - known) for row in tx.execute(
            "SELECT id, body, stations FROM work_orders WHERE id = ?", [wo_id]).fetchall()]
        for wo_id, text_body, stations in rows:
            body = json.loads(text_body)
            now_awaiting = awaited.get(wo_id, {})
            if (body.get("awaiting") or {}) == now_awaiting:
                continue
            body["awaiting"] = now_awaiting
            tx.execute("UPDATE work_orders SET body = ? WHERE id = ?", [json.dumps(body), wo_id])
            for st in json.loads(stations):
                self.publish(tx, f"station/{st}", WORK_ORDER_MESSAGE, body, False)

    def _part_done(self, tx: Transaction, wo_id: str) -> None:
        """A part work order is done: its parent's first operation may start; tell the parent's stations."""
        row = tx.execute("SELECT p.id, p.body, p.stations FROM work_orders p JOIN work_orders c ON c.parent = p.id "
                         "WHERE c.id = ?", [wo_id]).fetchone()
        if row is None:
            return
        body = json.loads(row[1])
        body["parts"] = {**(body.get("parts") or {}), wo_id: "done"}
        tx.execute("UPDATE work_orders SET body = ? WHERE id = ?", [json.dumps(body), row[0]])
        for st in json.loads(row[2]):
            self.publish(tx, f"station/{st}", WORK_ORDER_MESSAGE, body, False)

    def _apply_op_event(self, wo_id: str, op_no: int, event: OpEvent) -> None:
        events = self._open_ops.setdefault((wo_id, op_no), [])
        events.append(event)
        if event.type == "op.completed":  # done: nothing left to watch for overruns
            self._open_ops.pop((wo_id, op_no), None)
        if event.type == "op.started":
            first = min(e.at for e in events if e.type == "op.started")
            self.planner.record_progress(wo_id, op_no, started=first)
        elif event.type == "op.completed":
            starts = [e.at for e in events if e.type == "op.started"]
            self.planner.record_progress(wo_id, op_no, started=min(starts) if starts else event.at, finished=event.at)

    def on_alert_command(self, tx: Transaction, type_: str, body: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        alert_id, who = body.get("alert_id"), body.get("by")
        if isinstance(alert_id, bool) or not isinstance(alert_id, int) or not isinstance(who, str) or not who:
            raise PlanningError("alert_id (number) and by (who) are required", where=f"{type_} body")
        row = (self.alerts.acknowledge(alert_id, who, now) if type_ == "alert.acknowledged"
               else self.alerts.resolve(alert_id, who, now))
        self.publish(tx, "alerts", "alert.changed", alert_body(row), False)
        return {"alert_id": alert_id, "state": row["state"]}

    # ------------------------------------------------------------------ refused events
    def on_event_refused(self, tx: Transaction, type_: str, device_id: str, event_id: str, reason: str,
                         now: datetime) -> dict[str, Any] | None:
        """A station's or kiosk's record the hub refused: a supervisor must see it (the edge keeps it aside)."""
        if type_ not in REFUSAL_ALERT_TYPES:
            return None  # funnel and feedback noise stays in the insight report's rejected count
        return self._raise(tx, Candidate(
            key=f"refused:{event_id}", kind="event_refused", severity="warning", subject=f"{device_id} {type_}",
            message=f"{type_} from {device_id} was refused: {reason}; it waits on {device_id} for a supervisor",
            data={"device_id": device_id, "event_id": event_id, "type": type_, "reason": reason}), now)

    def on_accepted_again(self, tx: Transaction, device_id: str, event_id: str, now: datetime) -> None:
        """A refused event sent again was accepted (its cause was fixed): its event_refused alert is settled."""
        row = tx.execute("SELECT id FROM alerts WHERE key = ? AND state != 'resolved'", [f"refused:{event_id}"]).fetchone()
        if row is not None:
            resolved = self.alerts.resolve(row[0], f"accepted when {device_id} sent it again", now)
            self.publish(tx, "alerts", "alert.changed", alert_body(resolved), False)

    def on_set_aside(self, tx: Transaction, device_id: str, body: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        """An edge's supervisor handled one of its refused events: resolve the alert with who did it."""
        event_id, by = body.get("event_id"), body.get("by")
        if not isinstance(event_id, str) or not event_id or not isinstance(by, str) or not by.strip():
            raise PlanningError("event_id and by (who) are required", where="dead_letter.set_aside body")
        row = tx.execute("SELECT id, data FROM alerts WHERE key = ? AND state != 'resolved'",
                         [f"refused:{event_id}"]).fetchone()
        if row is None:
            return {"resolved": None}  # resolved on the dashboard already, or never raised
        if json.loads(row[1]).get("device_id") != device_id:
            raise PlanningError(f"event {event_id} was not refused to {device_id}", where="dead_letter.set_aside",
                                fix="a device settles only its own refused events")
        resolved = self.alerts.resolve(row[0], f"{by.strip()} at {device_id}", now)
        self.publish(tx, "alerts", "alert.changed", alert_body(resolved), False)
        return {"resolved": row[0]}

    # ------------------------------------------------------------------ kiosk insights
    def on_insight_event(self, tx: Transaction, type_: str, body: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        """Check a funnel or feedback body; a wish or flag that keeps coming back raises a feedback alert."""
        check_body(type_, body)
        if type_ != FEEDBACK:
            return {}
        since = now - timedelta(days=self.options.feedback.days)
        # this event is already stored in tx: the report counts it
        rows = stored_rows(tx.db.query, since, (FEEDBACK,))
        report = insight_report(rows, since, now + timedelta(minutes=5))
        raised = []
        for warning in feedback_warnings(report, self.options.feedback):
            row = self._raise(tx, Candidate(warning["key"], "feedback", "info", warning["subject"], warning["message"],
                                            warning["data"]), now)
            if row:
                raised.append(row["id"])
        return {"alerts": raised} if raised else {}

    def insights(self, since: datetime, until: datetime) -> dict[str, Any]:
        """Funnel, wished-for combinations and unclear options over [since, until) (sync.hub.insights)."""
        return insight_report(stored_rows(self.reads.query, since), since, until)

    def demand(self, now: datetime) -> dict[str, Any]:
        """The demand report (sync.hub.demand): the API, the CLI and the demand warnings read this one."""
        return hub_demand_report(self.reads.query, self.catalog.path, now, self.options.zone, self.options.demand)

    def demand_check(self, now: datetime, *, force: bool = False) -> list[dict[str, Any]]:
        """Every ``demand_every``: forecast, raise the purchasing and capacity warnings not yet open, and
        resolve the ones the forecast no longer gives."""
        if not force and self._demand_at is not None and now - self._demand_at < self.options.demand_every:
            return []
        self._demand_at = now
        report = self.demand(now)
        self.demand_plots = dict(report.get("plots") or {})  # one assignment: the dashboard feed reads it
        candidates = [Candidate(w["key"], w["kind"], w["severity"], w["subject"], w["message"], w["data"])
                      for w in report["warnings"]]
        raised = []
        with self.store.transaction("raising demand warnings") as tx, self._lock:
            for candidate in candidates:
                row = self._raise(tx, candidate, now)
                if row:
                    raised.append(row)
            self.alerts.resolve_cleared({c.key for c in candidates}, {"demand_short", "demand_capacity"}, now)
        return raised

    # ------------------------------------------------------------------ time-driven checks
    def tick(self, now: datetime) -> list[dict[str, Any]]:
        """Replan if events moved things, then raise overrun, silent-station and late-order alerts."""
        self.replan_if_stale(now)
        raised: list[dict[str, Any]] = []
        # Detect on reads (WAL readers do not block ingest), then write the alerts in one short transaction.
        # Lock order everywhere: the store first, then this core's lock (ingest holds its transaction when
        # it reaches the core); so nothing here touches the store while holding the core's lock.
        with self._lock:
            open_ops = [(key, list(events)) for key, events in self._open_ops.items()]
            calendars = dict(self._calendars)
            thresholds = dict(self._thresholds)
            # open orders only: a finished or cancelled one is never late again (its alert resolves below)
            unsettled = self.planner.open_orders()
        running = []
        for (wo_id, op_no), events in open_ops:
            planned = self._planned_op(wo_id, op_no)
            if planned is None:
                continue
            state = derive(events, now, standard=planned.standard_seconds, calendar=calendars.get(planned.work_centre))
            if state.status in (Status.RUNNING, Status.PAUSED):
                running.append((wo_id, op_no, planned.work_centre, state))
        candidates: list[Candidate] = overruns(running, thresholds)
        candidates += stopped(running, self._paused_at_station, self.options.zone)
        # Stations are the devices that send heartbeats; kiosks and dashboards may rightly go quiet.
        seen = {r["device_id"]: from_iso(r["last_seen_at"]) for r in self.store.query(
            "SELECT device_id, last_seen_at FROM devices WHERE last_seen_at IS NOT NULL AND device_id IN "
            "(SELECT DISTINCT device_id FROM events WHERE type = 'device.heartbeat')")}
        candidates += silent_stations(seen, now, self.options.silent_after)
        progress = self.orders_progress(now, unsettled)
        candidates += late_orders(((p.id, p.promise, p.eta, p.status in ("done", "cancelled", "ready"))
                                   for p in progress if p.promise), now, {p.id: p.number for p in progress},
                                  self.options.zone)
        # work orders that wait for purchased parts still on their way
        waiting = self.store.query(
            "SELECT r.work_order, r.item, COALESCE(r.confirmed_date, r.due_date) AS due_date, "
            "(SELECT MIN(o.planned_start) FROM wo_ops o WHERE o.work_order = r.work_order) AS planned_start "
            "FROM requisitions r "
            "WHERE r.kind = 'purchase' AND r.status IN ('open', 'ordered', 'received') "
            "AND r.work_order IS NOT NULL AND r.order_id NOT IN (SELECT order_id FROM order_cancellations)")
        candidates += material_shortages(
            ((r["work_order"], from_iso(r["planned_start"]) if r["planned_start"] else now, r["item"],
              from_iso(r["due_date"])) for r in waiting), now, self.options.zone)
        with self.store.transaction("raising alerts") as tx, self._lock:
            for candidate in candidates:
                row = self._raise(tx, candidate, now)
                if row:
                    raised.append(row)
            active = {c.key for c in candidates}
            self.alerts.resolve_cleared(active, {"overrun", "silent_station", "order_late", "material_short", "stop"},
                                        now)
        return raised

    def _paused_at_station(self, wo_id: str, op_no: int) -> str | None:
        """The station that reported the last pause of an operation (where the supervisor has to go)."""
        rows = self.store.query("SELECT device_id FROM op_events WHERE work_order = ? AND op = ? AND type = 'op.paused' "
                                "ORDER BY rowid DESC LIMIT 1", [wo_id, op_no])
        return str(rows[0]["device_id"]) if rows and rows[0]["device_id"] else None

    def replan_if_stale(self, now: datetime) -> bool:
        """Plan again when the plan no longer tells the truth without any event saying so: work planned to start
        ``overdue_grace`` ago has not started (the promises it feeds move later, and say so), or a replan an event
        asked for was rolled back with its transaction. Returns whether it planned."""
        with self._lock:  # lock order: the store, then this lock; so decide first, then take the store
            due = self._replan_due is not None
            if not due and (self._overdue_checked is None or now - self._overdue_checked >= self.options.overdue_every):
                self._overdue_checked = now
                late = self.planner.overdue(now, self.options.overdue_grace)
                if late:
                    log.info("hub: %d planned operations have not started (first %s op %s); planning again",
                             len(late), *late[0])
                due = bool(late)
        if not due:
            return False
        with self.store.transaction("planning again") as tx, self._lock:
            self.replan(tx, now)
        return True

    def raise_alert(self, tx: Transaction, candidate: Candidate, now: datetime) -> dict[str, Any] | None:
        """Raise an alert the hub itself found (a restarted loop): stored, sent down, notified like the others."""
        return self._raise(tx, candidate, now)

    def _raise(self, tx: Transaction, candidate: Candidate, now: datetime) -> dict[str, Any] | None:
        row = self.alerts.raise_(candidate, now)
        if row is not None:
            self.publish(tx, "alerts", "alert.raised", alert_body(row), False)
            if self.on_alert is not None:
                self.on_alert(row)
        return row

    # ------------------------------------------------------------------ reading
    def _planned_op(self, wo_id: str, op_no: int) -> PlannedOp | None:
        rows = self.store.query("SELECT * FROM wo_ops WHERE work_order = ? AND op = ?", [wo_id, op_no])
        return _planned(rows[0]) if rows else None

    def board_order_ids(self, now: datetime, days: int = 7) -> list[str]:
        """The orders the dashboards show: every open one, and those finished, shipped from stock or cancelled
        in the last ``days`` (the KPI trend's window). Older ones are the API's (``GET /api/v1/orders``): every
        finished order on every snapshot made the boards grow without end and the hub re-derive them all."""
        since = now - timedelta(days=days)
        with self._lock:
            building = set(self.planner.open_orders())
            # shipped from stock: ready when placed (its promise); finished: when its last step ended
            ids = [order_id for order_id, plan in self.planner.plans.items()
                   if order_id in building or plan.last_end(plan.promise) >= since]
        return ids + [r["order_id"] for r in self.reads.query("SELECT order_id, at FROM order_cancellations")
                      if from_iso(r["at"]) >= since]

    def orders_progress(self, now: datetime, order_ids: Iterable[str] | None = None) -> list[OrderProgress]:
        """Progress of orders derived from the op events (all orders, or the ones named)."""
        return progress_of(self.reads.query, self._calendars, now, order_ids)

    def calendars(self) -> dict[str, WorkingTime]:
        """The work centres' calendars the reports count working time with: a copy (the report worker gets it),
        taken without the planning lock so a report never waits for ingest (a dict copy is atomic)."""
        return dict(self._calendars)

    def outsourced_centres(self) -> frozenset[str]:
        """The work centres a subcontractor runs, as the catalog declares them (CentreSpec.outsourced): no OEE,
        load or run time of ours. From a copy of the planner's centres, so a report thread never iterates a
        dict the planning thread grows."""
        return frozenset(code for code, centre in dict(self.planner.centres).items() if centre.outsourced)

    # ------------------------------------------------------------------ restart
    def _replay(self) -> None:
        """Rebuild the in-memory planner after a restart so it is the live one exactly.

        Orders and cancellations are replayed in the order they happened (a cancelled order held its
        stock until it was cancelled, and orders placed meanwhile planned without it), then the progress,
        then the schedule is taken as stored instead of planned again: the promises, the operations and
        the gaps the next order can use are those of the live hub when it stopped."""
        orders = self.store.query("SELECT * FROM orders ORDER BY seq")
        moves = self.inventory.replay_steps() + self.inventory.replay_withdrawn_steps()
        if not orders and not moves:
            return
        # the products learnt in the order the live hub learnt them, before the ledger's opening balances apply
        for product_code, revision in dict.fromkeys((r["product"], r["revision"]) for r in orders):
            try:
                self.product(product_code, revision)
            except FloorLinkError:
                continue
        if moves:
            self.learn_released()
        self.inventory.opening_stock()
        # orders, cancellations and stock movements the plans did not count on, in the order they happened
        first = datetime(1970, 1, 1, tzinfo=UTC)
        steps: list[tuple[float, datetime, int, Mapping[str, Any]]] = [(float(r["seq"]), first, 0, r) for r in orders]
        for r in self.store.query("SELECT * FROM order_cancellations"):
            after = r.get("after_seq")
            if after is None:  # cancelled before the hub stored when: after the orders placed until then
                after = max((o["seq"] for o in orders if from_iso(o["placed_at"]) <= from_iso(r["at"])), default=0)
            steps.append((after + 0.5, from_iso(r["at"]), 1, r))
        steps += [(r["after_seq"] + 0.5, from_iso(r["at"]), 4, r)
                  for r in self.store.query("SELECT * FROM remakes ORDER BY rowid")]
        steps += moves
        steps.sort(key=lambda s: (s[0], s[1], s[2]))
        planned: set[str] = set()
        for _, _, kind, row in steps:
            if kind == 2:
                self.inventory.replay_movement(row)
                continue
            if kind == 3:
                self.inventory.replay_withdrawn(row)
                continue
            if kind == 4:
                if row["order_id"] in self.planner.plans:
                    try:
                        self.planner.remake(row["order_id"], row["of_work_order"], row["qty"], from_iso(row["at"]))
                    except FloorLinkError:
                        log.exception("hub: the remake of %s cannot be planned again", row["of_work_order"])
                continue
            if kind == 1:
                if row["order_id"] in planned:
                    self.planner.cancel(row["order_id"], from_iso(row["at"]), reschedule=False)
                    self.inventory.replay_cancelled(row["order_id"])
                continue
            try:
                product, _ = self.product(row["product"], row["revision"])
            except FloorLinkError:
                continue
            order = PlacedOrder(row["order_id"], row["product"], row["revision"], json.loads(row["configuration"]),
                                row["quantity"])
            self._plan(order, product, from_iso(row["placed_at"]), row["number"])
            planned.add(row["order_id"])
        for row in self.store.query("SELECT work_order, op, type, body FROM op_events ORDER BY rowid"):
            try:
                self._apply_op_event(row["work_order"], row["op"], OpEvent.from_body(row["type"], json.loads(row["body"])))
            except FloorLinkError:
                continue
        self.inventory.replay_dues()
        booked = {(r["work_order"], r["op"]): (from_iso(r["planned_start"]), from_iso(r["planned_end"]), r["lane"])
                  for r in self.store.query("SELECT work_order, op, planned_start, planned_end, lane FROM wo_ops")}
        reasons = {r["order_id"]: r["promise_reason"] for r in orders}
        try:
            self.planner.restore(booked, reasons)
        except PlanningError:
            log.exception("hub: the stored plan does not match the orders; planning everything again")
            self.planner.reschedule(datetime.now(UTC))


def progress_of(query: Query, calendars: Mapping[str, WorkingTime], now: datetime,
                order_ids: Iterable[str] | None = None) -> list[OrderProgress]:
    """Progress of orders derived from the op events (all orders, or the ones named), read through ``query``
    (the hub's read connection, or the report worker's); ``calendars``: the work centres' (HubCore.calendars)."""
    # The date shown and judged is the one the customer holds: the kiosk's, or a later one they were told of
    # (a promise_later alert). A replan that finishes earlier moves the plan and the ETA, not that date.
    wanted = set(order_ids) if order_ids is not None else None
    # only the named orders' rows are read (the tick asks for the open ones; a year of done orders is not read)
    among = "IN (SELECT value FROM json_each(?))"  # the named ids, given as one JSON array
    named, orders_named = ("", "") if wanted is None else (f" WHERE order_id {among}", f" WHERE o.order_id {among}")
    of_named = "" if wanted is None else f" WHERE work_order IN (SELECT id FROM work_orders WHERE order_id {among})"
    args = [] if wanted is None else [json.dumps(sorted(wanted))]
    orders = query("SELECT o.order_id, o.number, MAX(o.promise, COALESCE(o.first_promise, o.promise)) "
                   "AS promise, o.ships_from_stock, c.order_id AS cancelled, o.product, o.quantity, o.placed_at, "
                   "COALESCE(o.first_promise, o.promise) AS first_promise, o.price, o.currency, o.revision, "
                   "o.promise_reason "
                   f"FROM orders o LEFT JOIN order_cancellations c USING (order_id){orders_named} ORDER BY o.seq", args)
    ops: dict[str, list[PlannedOp]] = {}
    for row in query(f"SELECT * FROM wo_ops{of_named} ORDER BY work_order, op", args):
        ops.setdefault(row["work_order"], []).append(_planned(row))
    events: dict[tuple[str, int], list[OpEvent]] = {}
    for row in query(f"SELECT work_order, op, type, body FROM op_events{of_named} ORDER BY rowid", args):
        events.setdefault((row["work_order"], row["op"]), []).append(OpEvent.from_body(row["type"], json.loads(row["body"])))
    wos: dict[str, list[Any]] = {}
    for row in query(f"SELECT id, order_id, item, qty FROM work_orders{named} ORDER BY rowid", args):
        wos.setdefault(row["order_id"], []).append(work_order_progress(
            row["id"], row["order_id"], row["item"], row["qty"], ops.get(row["id"], []), events, now,
            calendars))
    out = []
    for o in orders:
        progress = order_progress(o["order_id"], from_iso(o["promise"]), wos.get(o["order_id"], []), now,
                                  cancelled=o["cancelled"] is not None, shipped_from_stock=bool(o["ships_from_stock"]))
        out.append(replace(progress, number=o["number"] or "", product=o["product"], quantity=o["quantity"],
                           placed_at=from_iso(o["placed_at"]), first_promise=from_iso(o["first_promise"]),
                           price=o["price"], currency=o["currency"], revision=o["revision"],
                           reason=o["promise_reason"] or ""))
    return out


def awaited_by_work_order(plan: Any, zone: tzinfo) -> dict[str, dict[str, str]]:
    """Per work order, the bought items it waits for (its own open purchase requisitions) and their due day
    (one pass over the plan's requisitions, not one per work order)."""
    found: dict[str, dict[str, str]] = {}
    for req in plan.requisitions:
        if req.kind == "purchase" and req.work_order is not None and not req.cancelled and req.need > 1e-9:
            day = req.due_date.astimezone(zone).date().isoformat()
            items = found.setdefault(req.work_order, {})
            items[req.item] = max(day, items.get(req.item, day))
    return found


def released_product(catalog_path: Path, code: str, number: int) -> Product:
    """A released revision's product, read on a fresh connection to the catalog; CatalogError if not released."""
    catalog = CatalogStore(catalog_path)
    try:
        revision = catalog.revision(code, number)
    finally:
        catalog.close()
    if revision.state != "released":
        raise CatalogError(f"revision {code}@{number} is {revision.state}, not released",
                           fix="orders can only be placed against released revisions")
    return revision.product()


def _planned(row: Mapping[str, Any]) -> PlannedOp:
    return PlannedOp(row["work_order"], row["op"], row["code"], row["work_centre"], row["standard_seconds"],
                     from_iso(row["planned_start"]), from_iso(row["planned_end"]), bool(row["outsourced"]))


def alert_body(row: Mapping[str, Any]) -> dict[str, Any]:
    """An alert as the dashboards get it: with its facts (``data``), from which a board writes the
    sentence in its own language (the English ``message`` stays for logs, the API and the ERP)."""
    body = {k: row[k] for k in ("id", "key", "kind", "severity", "subject", "message", "state", "raised_at",
                                "acknowledged_by", "acknowledged_at", "resolved_by", "resolved_at")}
    try:
        data = json.loads(row.get("data") or "{}")
    except ValueError:
        data = {}
    body["data"] = data if isinstance(data, dict) else {}
    return body


_ORDER_SHARED = ("configuration", "product_names", "attribute_names", "option_names")


def _order_shared_text(body: Mapping[str, Any]) -> str:
    """The members every work order of an order carries alike (three quarters of a body), as JSON members."""
    return json.dumps({key: body[key] for key in _ORDER_SHARED})[1:-1]


def _body_text(body: Mapping[str, Any], shared: str) -> str:
    """``json.dumps(body)`` with the order's shared members encoded once per order instead of once per work
    order (encoding eleven bodies was a fifth of storing a bike's plan)."""
    own = json.dumps({key: value for key, value in body.items() if key not in _ORDER_SHARED})
    return f"{own[:-1]}, {shared}}}" if own != "{}" else f"{{{shared}}}"


def _materials(product: Product, parts: Iterable[StructureNode], qty: float,
               known: dict[tuple[str, float], Material]) -> tuple[Material, ...]:
    """What a station picks for ``qty`` units of a work order: each part once (the first of its BOM lines).
    ``known``: the revision's materials already made, by item and quantity (the same few recur in every order)."""
    picked: dict[str, Material] = {}
    for part in parts:
        if part.item not in picked:
            quantity = part.qty_per * qty
            material = known.get((part.item, quantity))
            if material is None:
                item = product.items[part.item]
                material = known[(part.item, quantity)] = Material(
                    item.code, item.name.get("en", item.code), quantity, item.unit, dict(item.name))
            picked[part.item] = material
    return tuple(picked.values())


def kpi_report(core: HubCore, since: datetime, until: datetime,
               progress: list[OrderProgress] | None = None) -> dict[str, Any]:
    """Every KPI of docs/kpis.md over [since, until), from the hub's events and orders (period_kpis over the
    hub's read connection)."""
    return period_kpis(core.reads.query, core.calendars(), lambda code, number: core.product(code, number)[0],
                       since, until, progress, outsourced=core.outsourced_centres(), zone=core.options.zone)


def period_kpis(query: Query, calendars: Mapping[str, WorkingTime], product_of: Callable[[str, int], Product],
                since: datetime, until: datetime, progress: list[OrderProgress] | None = None, *,
                outsourced: Collection[str] = (), zone: tzinfo = UTC) -> dict[str, Any]:
    """Every KPI of docs/kpis.md over [since, until), from the events and orders ``query`` reads; ``product_of``:
    a released revision's product (a revision not released raises FloorLinkError and its orders are left out);
    ``outsourced``: the centres a subcontractor runs (HubCore.outsourced_centres), which get no OEE;
    ``zone``: the site's (``node.time_zone``), whose days the promise margin counts.

    Each figure counts only what happened in the period: operations and orders completed in it
    (OEE, standard vs actual, on-time delivery, cycle time), units first inspected in it
    (first-pass yield), orders placed in it (profit contribution)."""

    def inside(at: datetime | None) -> bool:
        return at is not None and since <= at < until

    progress = progress_of(query, calendars, until) if progress is None else progress
    # a subcontractor's centre runs no time of ours: its step lasts the supplier's lead time, so it has
    # neither OEE nor standard vs actual (the demo's KPI tab showed "COAT 0 %" and 193 h against 0)
    records: list[kpis.OperationRecord] = []
    for order in progress:
        for wo in order.work_orders:
            for op in wo.operations:
                st = op.state
                # a step the hub closed because everything before it was scrapped (HubCore._remake: op.completed
                # by "hub", nobody on it, 0 good, 0 scrap) processed nothing: it earns no standard time
                closed = not st.crew and (st.good or 0) + (st.scrap or 0) == 0
                if not op.planned.outsourced and inside(st.completed_at) and not closed:
                    records.append(kpis.OperationRecord(op.planned.work_centre, op.planned.standard_seconds,
                                                        st.elapsed_seconds, st.good or 0, st.scrap or 0, wo.id,
                                                        op.planned.op))
    first_qc: dict[str, tuple[datetime, bool]] = {}  # a unit's first result, whenever it came
    for row in query("SELECT work_order, body FROM op_events WHERE type = 'qc.recorded' ORDER BY rowid"):
        body = json.loads(row["body"])
        if "passed" in body and "at" in body:
            first_qc.setdefault(row["work_order"], (from_iso(body["at"]), bool(body["passed"])))
    qc = [(unit, passed) for unit, (at, passed) in first_qc.items() if inside(at)]
    planned = {code: working_seconds(cal, [(since, until)]) for code, cal in calendars.items() if code not in outsourced}
    orders = query("SELECT o.order_id, o.placed_at, COALESCE(o.first_promise, o.promise) AS promise, o.product, "
                   "o.price, o.configuration, o.revision, o.first_ready, o.quantity, c.order_id AS cancelled "
                   "FROM orders o LEFT JOIN order_cancellations c USING (order_id) ORDER BY o.seq")
    done_at = orders_done_at(progress)
    completed = [(r, done_at[r["order_id"]]) for r in orders if inside(done_at.get(r["order_id"]))]
    sold = []
    for row in orders:
        if not inside(from_iso(row["placed_at"])) or row["cancelled"] is not None:
            continue  # a cancelled order sold nothing
        try:
            product = product_of(row["product"], row["revision"])
        except FloorLinkError:
            continue
        config = json.loads(row["configuration"])
        units = Decimal(row["quantity"] or 1)  # the price is the order's total: list price x quantity
        cost = bom_cost(product, config) * units
        options = {}
        for attr in product.attributes:
            opt = attr.option(config.get(attr.code, ""))
            if opt is None:
                continue
            # what the option adds: the purchased BOM lines that apply only because of this choice
            added = cost - bom_cost(product, {k: v for k, v in config.items() if k != attr.code}) * units
            if opt.price or added:
                options[f"{attr.code}={opt.code}"] = (Decimal(opt.price or 0) * units, added)
        sold.append(kpis.SoldLine(row["product"], Decimal(row["price"]), cost, options))
    return {
        "since": to_iso(since), "until": to_iso(until),
        "oee": kpis.oee_rows(kpis.oee(records, planned)),
        "on_time_delivery": kpis.on_time_delivery((from_iso(r["promise"]), done) for r, done in completed),
        "cycle_time_hours": kpis.cycle_time_hours((from_iso(r["placed_at"]), done) for r, done in completed),
        "first_pass_yield": kpis.first_pass_yield(qc),
        "promise_margin": kpis.promise_margin(margin_inputs(completed, product_of), zone),
        "standard_vs_actual": kpis.standard_vs_actual(records),
        "profit_contribution": kpis.profit_contribution(sold),
    }


def orders_done_at(progress: Iterable[OrderProgress]) -> dict[str, datetime | None]:
    """When each done order's last operation completed (None: not done)."""
    return {p.id: max((op.state.completed_at for wo in p.work_orders for op in wo.operations
                       if op.state.completed_at), default=None) if p.status == "done" else None
            for p in progress}


def margin_inputs(completed: Iterable[tuple[Mapping[str, Any], datetime | None]],
                  product_of: Callable[[str, int], Product]) -> list[tuple[str, int, datetime, datetime]]:
    """(product, its margin, first plan's finish, done) of the built orders among ``completed`` (an orders
    row with product, revision and first_ready, and when it was done): what kpis.promise_margin reads."""
    out = []
    for r, done in completed:
        ready = from_iso(r["first_ready"]) if r["first_ready"] else None  # NULL: placed before the column
        if ready is not None and done is not None:
            try:
                margin = product_of(r["product"], r["revision"]).promise_margin_days
            except FloorLinkError:
                continue
            out.append((r["product"], margin, ready, done))
    return out


def promise_margin_report(core: HubCore, since: datetime, until: datetime,
                          progress: list[OrderProgress]) -> dict[str, Any]:
    """The KPI ``promise_margin`` alone over [since, until): what the wall board shows over four weeks,
    without deriving every other KPI of those weeks."""
    done_at = orders_done_at(progress)
    completed = [(r, at) for r in core.reads.query(
        "SELECT order_id, product, revision, first_ready FROM orders WHERE first_ready IS NOT NULL")
        if (at := done_at.get(r["order_id"])) is not None and since <= at < until]
    return kpis.promise_margin(margin_inputs(completed, lambda code, number: core.product(code, number)[0]),
                               core.options.zone)


def bom_cost(product: Product, configuration: Mapping[str, str]) -> Decimal:
    """Standard material cost of a configuration: its purchased BOM lines at unit cost."""
    return sum((line.qty * line.unit_cost for line in resolve_bom(product, configuration)
                if line.kind == "purchased"), Decimal(0))
