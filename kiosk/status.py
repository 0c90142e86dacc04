"""What the staff panel behind the admin PIN shows: link, waiting orders, revisions, refused events.

A plain snapshot read from the store through ``sync`` (never SQLite directly) on a worker thread;
the model keeps the latest one and the admin screen only draws it. Refused events come from
``Outbox.dead_letters()``: the hub will not take them as they are, so staff must call the customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from kiosk.texts import N_
from sync.times import from_iso

if TYPE_CHECKING:
    from sync.protocol.edge import SyncStatus
    from sync.store import DeadLetter, Store


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


WAITING_SHOWN = 12
WAITING_SCAN = 500  # outbox rows looked at for them: an offline day of funnel events stays cheap to read


def _parse(stamp: str) -> datetime | None:
    try:
        return from_iso(stamp)
    except ValueError:
        return None


def site_time(stamp: str, zone: tzinfo) -> str:
    """``2026-11-25 18:02`` in the store's time zone; the raw text when it is not a timestamp."""
    moment = _parse(stamp)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else stamp


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
    pending = outbox.pending_count()
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
                       waiting_revisions(store))


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
