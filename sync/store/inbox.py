"""The inbox: what the hub sends down, applied once and in order per stream.

Each stream (``catalog``, ``station/ST-1``, ``alerts``...) numbers its messages from 1. A message
at or below the applied number is a duplicate and ignored; one ahead of a gap waits in
``inbox_pending`` until the missing ones arrive. A handler runs inside the transaction that
advances the stream, so its change and "applied" commit together. A handler that fails is
recorded in ``inbox_failed`` and the stream moves on: one bad message never blocks the rest.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from sync.errors import FloorLinkError, ProtocolError
from sync.protocol import paging
from sync.protocol.envelope import Envelope, decode, utc_now
from sync.store.database import Store, Transaction

Handler = Callable[[Transaction, Envelope], None]


class Inbox:
    """Register handlers with :meth:`on`, feed messages to :meth:`receive`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.handlers: dict[str, Handler] = {}
        self.latest_prefixes: tuple[str, ...] = ()

    def latest_only(self, *prefixes: str) -> None:
        """Streams starting with one of ``prefixes`` carry whole states: apply the newest, skip gaps.

        A dashboard that joins late gets a retained snapshot numbered far past 1; waiting for the
        ones before it would wait forever, and they are superseded anyway."""
        self.latest_prefixes += prefixes

    def is_latest_only(self, stream: str) -> bool:
        return any(stream.startswith(prefix) for prefix in self.latest_prefixes)

    def on(self, type: str, handler: Handler) -> None:
        """Apply messages of ``type`` with ``handler(tx, envelope)``; one handler per type."""
        self.handlers[type] = handler

    def applied_seq(self, stream: str) -> int:
        rows = self.store.query("SELECT applied_seq FROM inbox_streams WHERE stream = ?", [stream])
        return int(rows[0]["applied_seq"]) if rows else 0

    def receive(self, envelope: Envelope) -> list[Envelope]:
        """Apply ``envelope`` and any buffered successors it unblocks; returns those applied."""
        applied: list[Envelope] = []
        with self.store.transaction(f"applying {envelope.type} from {envelope.stream}") as tx:
            row = tx.execute("SELECT applied_seq FROM inbox_streams WHERE stream = ?", [envelope.stream]).fetchone()
            current = int(row[0]) if row else 0
            if envelope.seq <= current:
                return applied
            if envelope.seq > current + 1 and not self.is_latest_only(envelope.stream):
                tx.execute("INSERT OR IGNORE INTO inbox_pending VALUES (?, ?, ?, ?)",
                           [envelope.stream, envelope.seq, json.dumps(envelope.to_dict()), utc_now()])
                return applied
            nxt: Envelope | None = envelope
            while nxt is not None:
                self._apply(tx, nxt)
                applied.append(nxt)
                current = nxt.seq
                buffered = tx.execute("DELETE FROM inbox_pending WHERE stream = ? AND seq = ? RETURNING envelope",
                                      [envelope.stream, current + 1]).fetchone()
                nxt = decode(buffered[0].encode("utf-8"), where="inbox_pending") if buffered else None
            tx.execute("INSERT INTO inbox_streams VALUES (?, ?) ON CONFLICT(stream) DO UPDATE SET "
                       "applied_seq = excluded.applied_seq", [envelope.stream, current])
        return applied

    def gaps(self) -> dict[str, int]:
        """Streams waiting for a missing message: stream → first missing sequence number."""
        rows = self.store.query("SELECT p.stream, coalesce(s.applied_seq, 0) + 1 AS missing FROM inbox_pending p "
                                "LEFT JOIN inbox_streams s USING (stream) GROUP BY p.stream")
        return {r["stream"]: int(r["missing"]) for r in rows}

    def _apply(self, tx: Transaction, envelope: Envelope) -> None:
        if envelope.type in ("page.manifest", "page.part"):
            try:
                whole = self._page(tx, envelope)
            except FloorLinkError as exc:
                self._failed(tx, envelope, f"{type(exc).__name__}: {exc}")
                return
            if whole is None:
                return
            envelope = whole
        handler = self.handlers.get(envelope.type)
        error = "" if handler else f"no handler for message type {envelope.type!r}"
        if handler:
            tx.execute("SAVEPOINT inbox_apply")
            try:
                handler(tx, envelope)
            except (FloorLinkError, sqlite3.Error, ValueError, KeyError, TypeError) as exc:
                tx.execute("ROLLBACK TO SAVEPOINT inbox_apply")
                error = f"{type(exc).__name__}: {exc}"
            tx.execute("RELEASE SAVEPOINT inbox_apply")
        if error:
            self._failed(tx, envelope, error)

    def _failed(self, tx: Transaction, envelope: Envelope, error: str) -> None:
        tx.execute("INSERT INTO inbox_failed (stream, seq, type, envelope, error, failed_at) VALUES (?, ?, ?, ?, ?, ?)",
                   [envelope.stream, envelope.seq, envelope.type, json.dumps(envelope.to_dict()), error, utc_now()])

    def _page(self, tx: Transaction, envelope: Envelope) -> Envelope | None:
        """Keep a manifest or a page; when the last page is in, the whole message (hash-checked)."""
        where = f"stream {envelope.stream} seq {envelope.seq}"
        if envelope.type == "page.manifest":
            paging.check_manifest(envelope.body, where)
            tx.execute("INSERT OR REPLACE INTO inbox_manifests VALUES (?, ?, ?)",
                       [envelope.body["paged_id"], envelope.stream, json.dumps(envelope.body)])
            return None
        paged_id = envelope.body.get("paged_id")
        row = tx.execute("SELECT manifest FROM inbox_manifests WHERE paged_id = ?", [paged_id]).fetchone()
        if row is None:
            raise ProtocolError(f"page part of {paged_id!r} arrived without its manifest", where=where)
        manifest = json.loads(row[0])
        data = paging.page_data(manifest, envelope.body, where)
        tx.execute("INSERT OR REPLACE INTO inbox_pages VALUES (?, ?, ?)", [paged_id, envelope.body["index"], data])
        have = tx.execute("SELECT count(*) FROM inbox_pages WHERE paged_id = ?", [paged_id]).fetchone()[0]
        if have < manifest["count"]:
            return None
        pages = [bytes(r[0]) for r in tx.execute("SELECT data FROM inbox_pages WHERE paged_id = ? ORDER BY idx",
                                                 [paged_id]).fetchall()]
        tx.execute("DELETE FROM inbox_pages WHERE paged_id = ?", [paged_id])
        tx.execute("DELETE FROM inbox_manifests WHERE paged_id = ?", [paged_id])
        body = paging.join(manifest, pages, where)
        return Envelope(envelope.event_id, envelope.device_id, envelope.seq, envelope.occurred_at, manifest["type"],
                        body, envelope.stream)

    def failures(self) -> list[dict[str, Any]]:
        return self.store.query("SELECT stream, seq, type, error, failed_at FROM inbox_failed ORDER BY id")
