"""Where the kiosk's outgoing events go: orders, funnel steps and feedback.

The kiosk never touches SQLite or MQTT; it hands ``(type, body)`` to a sink. The store sink
writes each event in one transaction with the outbox row (``sync.store``), so a placed order
is either stored and queued for the hub, or the customer sees that it failed.
"""

from __future__ import annotations

from typing import Any, Protocol


class EventSink(Protocol):
    def record(self, type: str, body: dict[str, Any]) -> None:
        """Store the event durably (raise a FloorLinkError when that is impossible)."""


class MemorySink:
    """Keeps events in a list: tests, benchmarks and demos without a data folder."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def record(self, type: str, body: dict[str, Any]) -> None:
        self.events.append((type, body))

    def of_type(self, type: str) -> list[dict[str, Any]]:
        return [body for kind, body in self.events if kind == type]
