"""The newest whole-state message of one stream, kept in a one-row table.

A kiosk plans promise dates on the hub's capacity snapshot and offers the hub's popular builds; both
arrive as retained messages that replace the previous one. The node keeps the newest good one so it
has it offline and after a restart; a malformed message is refused by ``check`` and the last good one
stays (the inbox records the refusal).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sync.protocol.envelope import Envelope
from sync.store.database import Store, Transaction
from sync.store.inbox import Inbox


@dataclass(frozen=True)
class KeptSnapshot:
    """One stream's newest message of type ``message``, kept in ``table`` (schema component ``component``)."""

    component: str
    table: str
    stream: str
    message: str
    check: Callable[[Mapping[str, Any]], object]

    def _create(self, db: Any) -> None:
        db.execute(f"CREATE TABLE {self.table} (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL, "
                   "received_at TEXT NOT NULL)")

    def follow(self, store: Store, inbox: Inbox, on_body: Callable[[dict[str, Any]], None] | None = None) -> None:
        """Keep each newer message in ``store`` (and tell ``on_body``); gaps are skipped, the newest wins."""
        store.migrate(self.component, [self._create])
        inbox.latest_only(self.stream)

        def keep(tx: Transaction, envelope: Envelope) -> None:
            self.check(envelope.body)
            tx.execute(f"INSERT INTO {self.table} VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                       "body = excluded.body, received_at = excluded.received_at",
                       [json.dumps(envelope.body), datetime.now(UTC).isoformat()])
            if on_body is not None:
                on_body(envelope.body)

        inbox.on(self.message, keep)

    def latest(self, store: Store) -> dict[str, Any] | None:
        """The newest message this node kept, or None before the first one arrived."""
        if store.version(self.component) == 0:
            return None
        rows = store.query(f"SELECT body FROM {self.table} WHERE id = 1")
        return json.loads(rows[0]["body"]) if rows else None
