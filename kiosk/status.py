"""What the staff panel behind the admin PIN shows: link, waiting orders, revisions, refused events,
promises moved later.

A plain snapshot read from the store through ``sync`` (never SQLite directly) on a worker thread;
the model keeps the latest one and the admin screen only draws it. Refused events come from
``Outbox.dead_letters()``: the hub will not take them as they are, so staff must call the customer.
Promises moved later come from the hub's ``order.promise_changed`` on the down stream ``orders``
(every kiosk's orders): :func:`follow_promises` keeps those of this kiosk's own orders, known from
``kiosk_orders``, which :func:`remember_order` fills in the order's own transaction (after the ack
the outbox no longer holds the customer's name and phone).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from kiosk.texts import N_
from sync.errors import ProtocolError
from sync.times import from_iso, to_iso

if TYPE_CHECKING:
    from sync.protocol.edge import SyncStatus
    from sync.protocol.envelope import Envelope
    from sync.store import DeadLetter, Inbox, Store
    from sync.store.database import Transaction


@dataclass(frozen=True)
class RefusedEvent:
    """One event the hub refused, in plain words (``order``: the order number, empty for other events)."""

    what: str
    """An English template (translated by the widget) with ``{number}``/``{type}`` placeholders."""
    order: str
    customer: str
    phone: str
    when: str
    """When it happened, site time, to the minute."""
    reason: str
    """The hub's own words (not translated: staff read it out to support if needed)."""

    def headline(self, translate: Any = lambda s: s) -> str:
        return str(translate(self.what)).format(number=self.order, type=self.order)


@dataclass(frozen=True)
class MovedPromise:
    """One of this kiosk's orders the hub will finish later than the customer was told: call them."""

    order: str
    customer: str
    phone: str
    was: str
    """The date the customer was told (the first promise before it moved), site time, ``2026-11-27``."""
    promise: str
    """The hub's new date, site time."""
    reason: str
    """The hub's own words (not translated), e.g. the late supplier."""


@dataclass(frozen=True)
class KioskStatus:
    """A snapshot for staff; ``store`` False means this kiosk keeps orders in memory only (demo)."""

    store: bool
    connected: bool = False
    pending: int = 0
    oldest_pending_s: float | None = None
    last_error: str = ""
    revisions: dict[str, int] = field(default_factory=dict)
    refused: list[RefusedEvent] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    """Numbers of the orders still waiting to go up, oldest first (the first WAITING_SHOWN of them)."""
    waiting_more: bool = False
    """More orders wait than ``waiting`` names."""
    catalog_waiting: list[tuple[str, int]] = field(default_factory=list)
    """Released revisions received but not in use yet, (product, number): their pictures have not all arrived."""
    moved: list[MovedPromise] = field(default_factory=list)
    """This kiosk's orders whose promise the hub moved later, newest change first."""


WAITING_SHOWN = 12
WAITING_SCAN = 500  # outbox rows looked at for them: an offline day of funnel events stays cheap to read
ORDERS_STREAM = "orders"  # the hub's down stream of order changes, every kiosk's (sync.hub.core)
PROMISE_CHANGED = "order.promise_changed"
MOVED_SHOWN = 50
KEEP_ORDERS = timedelta(days=180)  # a customer's phone is kept no longer than an order can still move


def _kiosk_orders_1(db: Any) -> None:
    db.execute("CREATE TABLE kiosk_orders (order_id TEXT PRIMARY KEY, number TEXT NOT NULL, name TEXT NOT NULL, "
               "phone TEXT NOT NULL, placed_at TEXT NOT NULL)")
    db.execute("CREATE INDEX kiosk_orders_placed ON kiosk_orders (placed_at)")
    db.execute("CREATE TABLE promise_moves (order_id TEXT PRIMARY KEY, was TEXT NOT NULL, promise TEXT NOT NULL, "
               "reason TEXT NOT NULL, changed_at TEXT NOT NULL)")


def _kiosk_orders_2(db: Any) -> None:
    # the order's event: a refusal's ack names only the event (the hub could not read the order in it)
    db.execute("ALTER TABLE kiosk_orders ADD COLUMN event_id TEXT")
    db.execute("CREATE INDEX kiosk_orders_event ON kiosk_orders (event_id)")


def prepare(store: Store) -> None:
    """Create this kiosk's order and promise tables (idempotent: each start calls it)."""
    store.migrate("kiosk_orders", [_kiosk_orders_1, _kiosk_orders_2])


def remember_order(tx: Transaction, body: Mapping[str, Any], now: datetime | None = None, *,
                   event_id: str = "") -> None:
    """Keep who to call about an order this kiosk placed, in the order's own transaction; forget old ones."""
    customer = body.get("customer")
    customer = customer if isinstance(customer, dict) else {}
    at = now or datetime.now(UTC)
    tx.execute("INSERT OR REPLACE INTO kiosk_orders (order_id, number, name, phone, placed_at, event_id) "
               "VALUES (?, ?, ?, ?, ?, ?)",
               [str(body.get("order_id", "")), str(body.get("number") or body.get("order_id", "")),
                str(customer.get("name", "")), str(customer.get("phone", "")), to_iso(at), event_id or None])
    tx.execute("DELETE FROM kiosk_orders WHERE placed_at < ?", [to_iso(at - KEEP_ORDERS)])
    tx.execute("DELETE FROM promise_moves WHERE order_id NOT IN (SELECT order_id FROM kiosk_orders)")


def acked_order(store: Store, event_id: str, result: Mapping[str, Any]) -> str:
    """The order an ``order.placed`` ack answers: the hub names it when it accepted the order; a refusal (a body
    the hub could not read) names only the event, which this kiosk remembered with the order."""
    named = result.get("order_id")
    if isinstance(named, str) and named:
        return named
    row = store.query("SELECT order_id FROM kiosk_orders WHERE event_id = ?", [event_id])
    return str(row[0]["order_id"]) if row else ""


def follow_promises(store: Store, inbox: Inbox, zone: tzinfo) -> None:
    """Keep the hub's promise changes of this kiosk's own orders; another kiosk's are ignored.

    Per order the date the customer was told stays (the first ``was``); a promise back on or before
    that day takes the order off the list: nobody needs a call any more."""
    prepare(store)

    def changed(tx: Transaction, envelope: Envelope) -> None:
        body = envelope.body
        order_id, promise, was = body.get("order_id"), body.get("promise"), body.get("was")
        if not all(isinstance(v, str) for v in (order_id, promise, was)):
            raise ProtocolError(f"{PROMISE_CHANGED} needs order_id, promise and was as text, got {dict(body)!r}",
                                where=f"stream {envelope.stream} seq {envelope.seq}")
        if tx.execute("SELECT 1 FROM kiosk_orders WHERE order_id = ?", [order_id]).fetchone() is None:
            return  # another kiosk's order
        row = tx.execute("SELECT was FROM promise_moves WHERE order_id = ?", [order_id]).fetchone()
        told = str(row[0]) if row else str(was)
        if from_iso(str(promise)).astimezone(zone).date() > from_iso(told).astimezone(zone).date():
            tx.execute("INSERT OR REPLACE INTO promise_moves VALUES (?, ?, ?, ?, ?)",
                       [order_id, told, promise, str(body.get("reason", "")), to_iso(datetime.now(UTC))])
        else:
            tx.execute("DELETE FROM promise_moves WHERE order_id = ?", [order_id])

    inbox.on(PROMISE_CHANGED, changed)


def moved_promises(store: Store, zone: tzinfo) -> list[MovedPromise]:
    """This kiosk's orders promised later than told, newest change first (none before the table exists)."""
    if store.version("kiosk_orders") == 0:
        return []
    rows = store.query("SELECT o.number, o.name, o.phone, m.was, m.promise, m.reason FROM promise_moves m "
                       "JOIN kiosk_orders o USING (order_id) ORDER BY m.changed_at DESC LIMIT ?", [MOVED_SHOWN])
    return [MovedPromise(r["number"], r["name"], r["phone"], site_date(r["was"], zone), site_date(r["promise"], zone),
                         r["reason"]) for r in rows]


def _parse(stamp: str) -> datetime | None:
    try:
        return from_iso(stamp)
    except ValueError:
        return None


def site_time(stamp: str, zone: tzinfo) -> str:
    """``2026-11-25 18:02`` in the store's time zone; the raw text when it is not a timestamp."""
    moment = _parse(stamp)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else stamp


def site_date(stamp: str, zone: tzinfo) -> str:
    """``2026-11-27`` in the store's time zone; the raw text when it is not a timestamp."""
    moment = _parse(stamp)
    return moment.astimezone(zone).date().isoformat() if moment else stamp


def refused_event(dead: DeadLetter, zone: tzinfo) -> RefusedEvent:
    """Plain words for one dead letter; an order names its number and customer from the body."""
    body: Mapping[str, Any] = dead.body if isinstance(dead.body, dict) else {}
    customer = body.get("customer")
    customer = customer if isinstance(customer, dict) else {}
    when = site_time(str(body.get("placed_at") or dead.occurred_at), zone)
    reason = dead.reason or dead.code
    if dead.type == "order.placed":
        number = str(body.get("number") or body.get("order_id") or dead.event_id)
        return RefusedEvent(N_("Order {number}"), number, str(customer.get("name", "")),
                            str(customer.get("phone", "")), when, reason)
    return RefusedEvent(N_("Event {type}"), dead.type, "", "", when, reason)


def read_status(store: Store, link: SyncStatus | None, zone: tzinfo, revisions: Mapping[str, int],
                now: datetime | None = None) -> KioskStatus:
    """Read the outbox and dead letters (a worker thread calls this: it touches the database)."""
    from sync.store import Outbox

    outbox = Outbox(store)
    pending = outbox.pending_count("order.placed")  # "Orders waiting": the usage events beside them are no order
    oldest = outbox.after(0, 1)
    age = None
    if oldest:
        placed = _parse(oldest[0].occurred_at)
        if placed is not None:
            age = max(0.0, ((now or datetime.now(UTC)) - placed).total_seconds())
    refused = [refused_event(d, zone) for d in outbox.dead_letters(limit=200)]
    # the receipts a customer may ask about that the hub has not seen yet (funnel events wait beside them)
    waiting = [str(env.body.get("number") or env.body.get("order_id"))
               for env in outbox.after(0, WAITING_SCAN) if env.type == "order.placed"]
    from sync.catalog.distribution import waiting_revisions

    return KioskStatus(True, bool(link and link.connected), pending, age, link.last_error if link else "",
                       dict(revisions), refused, waiting[:WAITING_SHOWN],
                       len(waiting) > WAITING_SHOWN or (pending > WAITING_SCAN and bool(waiting)),
                       waiting_revisions(store), moved_promises(store, zone))


def memory_status(revisions: Mapping[str, int]) -> KioskStatus:
    """The panel of a kiosk without a store (``--no-sync``): nothing waits, nothing was refused."""
    return KioskStatus(False, revisions=dict(revisions))


def age_text(seconds: float | None) -> tuple[str, int]:
    """(template, amount) for "oldest waits N min/h": minutes under two hours, hours after."""
    if seconds is None:
        return "", 0
    minutes = int(seconds // 60)
    if minutes < 1:
        return N_("oldest waits under a minute"), 0
    if minutes < 120:
        return N_("oldest waits {n} min"), minutes
    return N_("oldest waits {n} h"), minutes // 60
