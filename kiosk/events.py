"""Where the kiosk's outgoing events go: orders, funnel steps and feedback.

The kiosk never touches SQLite or MQTT; it hands ``(type, body)`` to a sink. The store sink
writes each event in one transaction with the outbox row (``sync.store``), so a placed order
is either stored and queued for the hub, or the customer sees that it failed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.status import prepare, remember_order
from sync.numbers import order_number, take_order_number

if TYPE_CHECKING:
    from sync.store import Store


class EventSink(Protocol):
    def record(self, type: str, body: dict[str, Any]) -> None:
        """Store the event durably (raise a FloorLinkError when that is impossible)."""

    def record_order(self, prefix: str, body: Callable[[str], dict[str, Any]]) -> str:
        """Take this kiosk's next order number (``sync.numbers``) and store the ``order.placed`` event
        ``body(number)`` with it, both or neither; the number, which the receipt then prints."""


class MemorySink:
    """Keeps events in a list: tests, benchmarks and demos without a data folder."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.orders_numbered = 0  # in memory only: numbers start again with the process (never sent to a hub)

    def record(self, type: str, body: dict[str, Any]) -> None:
        self.events.append((type, body))

    def record_order(self, prefix: str, body: Callable[[str], dict[str, Any]]) -> str:
        self.orders_numbered += 1
        number = order_number(prefix, self.orders_numbered)
        self.record("order.placed", body(number))
        return number

    def of_type(self, type: str) -> list[dict[str, Any]]:
        return [body for kind, body in self.events if kind == type]


class StoreSink:
    """Writes each event into the node's outbox (``sync.store``) in its own transaction.

    A locked database or a full disk raises :class:`sync.errors.StoreError`; the kiosk then tells
    the customer the order was not saved instead of pretending it was.
    """

    def __init__(self, store: Store, wake: Callable[[], None] | None = None) -> None:
        self.store = store
        self.wake = wake
        prepare(store)

    def record(self, type: str, body: dict[str, Any]) -> None:
        with self.store.transaction(f"recording {type}") as tx:
            envelope = tx.outbox(type, body)
            if type == "order.placed":  # who to call if the hub later moves its promise (kiosk.status)
                remember_order(tx, body, event_id=envelope.event_id)
        if self.wake is not None:
            self.wake()

    def record_order(self, prefix: str, body: Callable[[str], dict[str, Any]]) -> str:
        """The counter lives in this store and moves in the order's own transaction: a number is never
        given twice (not after a crash, not on another day), and a failed write takes its number back."""
        with self.store.transaction("recording order.placed") as tx:
            number = take_order_number(tx, prefix)
            placed = body(number)
            envelope = tx.outbox("order.placed", placed)
            # who to call if the hub later moves its promise, and which event a refusal answers (kiosk.status)
            remember_order(tx, placed, event_id=envelope.event_id)
        if self.wake is not None:
            self.wake()
        return number
