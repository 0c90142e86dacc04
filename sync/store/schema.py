"""The built-in tables of each database kind, as ordered migration lists per component.

Append a function to change a schema; never edit or reorder one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]
"""One schema step of a component: run once, in order, recorded in ``schema_versions``."""


def _outbox_1(db: sqlite_utils.Database) -> None:
    db.execute("""CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY,          -- per-device sequence, gap-free, the send order
        event_id TEXT NOT NULL UNIQUE,    -- UUIDv7
        type TEXT NOT NULL,
        body TEXT NOT NULL,               -- JSON
        occurred_at TEXT NOT NULL)""")
    db.execute("CREATE TABLE sequences (stream TEXT PRIMARY KEY, last_seq INTEGER NOT NULL)")


def _outbox_2(db: sqlite_utils.Database) -> None:
    """Events the hub refused leave the outbox for here, whole, with the hub's reason: never deleted."""
    db.execute("""CREATE TABLE dead_letters (
        seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, body TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        code TEXT NOT NULL,               -- 'rejected' (the hub's rules) or the hub's quarantine reason
        reason TEXT NOT NULL, dead_at TEXT NOT NULL)""")


def _outbox_3(db: sqlite_utils.Database) -> None:
    """A supervisor sets a refused event aside once handled: who and when, the event itself stays."""
    db.execute("ALTER TABLE dead_letters ADD COLUMN handled_by TEXT")  # NULL: still waits for a person
    db.execute("ALTER TABLE dead_letters ADD COLUMN handled_at TEXT")


def _acks_1(db: sqlite_utils.Database) -> None:
    db.execute("""CREATE TABLE acks (
        event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL,
        reason TEXT NOT NULL, result TEXT NOT NULL, acked_at TEXT NOT NULL)""")


def _inbox_1(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE inbox_streams (stream TEXT PRIMARY KEY, applied_seq INTEGER NOT NULL)")
    db.execute("""CREATE TABLE inbox_pending (
        stream TEXT NOT NULL, seq INTEGER NOT NULL, envelope TEXT NOT NULL, received_at TEXT NOT NULL,
        PRIMARY KEY (stream, seq))""")
    db.execute("""CREATE TABLE inbox_failed (
        id INTEGER PRIMARY KEY, stream TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,
        envelope TEXT NOT NULL, error TEXT NOT NULL, failed_at TEXT NOT NULL)""")


def _inbox_2(db: sqlite_utils.Database) -> None:
    """Pages of a large message wait here until the last one is in (sync.protocol.paging)."""
    db.execute("CREATE TABLE inbox_manifests (paged_id TEXT PRIMARY KEY, stream TEXT NOT NULL, manifest TEXT NOT NULL)")
    db.execute("CREATE TABLE inbox_pages (paged_id TEXT NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL, "
               "PRIMARY KEY (paged_id, idx))")


def _ingest_1(db: sqlite_utils.Database) -> None:
    db.execute("""CREATE TABLE devices (
        device_id TEXT PRIMARY KEY, kind TEXT NOT NULL, registered_at TEXT NOT NULL,
        contiguous_seq INTEGER NOT NULL DEFAULT 0,   -- every seq up to here is stored
        max_seq INTEGER NOT NULL DEFAULT 0, last_seen_at TEXT)""")
    db.execute("""CREATE TABLE events (
        event_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,
        occurred_at TEXT NOT NULL, received_at TEXT NOT NULL, body TEXT NOT NULL,
        status TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '{}')""")
    db.execute("CREATE UNIQUE INDEX events_device_seq ON events (device_id, seq)")
    db.execute("CREATE INDEX events_type ON events (type)")
    db.execute("""CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY, received_at TEXT NOT NULL, topic TEXT NOT NULL, reason TEXT NOT NULL,
        detail TEXT NOT NULL, device_id TEXT, event_id TEXT, payload BLOB NOT NULL)""")
    db.execute("CREATE INDEX quarantine_reason ON quarantine (reason)")
    db.execute("""CREATE TABLE down_log (
        stream TEXT NOT NULL, seq INTEGER NOT NULL, event_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
        envelope TEXT NOT NULL, retain INTEGER NOT NULL, PRIMARY KEY (stream, seq))""")


def _ingest_2(db: sqlite_utils.Database) -> None:
    """Refused events the hub answered: their ``seq`` fills the device's sequence (no endless gap),
    and one sent again is answered again without a second quarantine row."""
    db.execute("ALTER TABLE quarantine ADD COLUMN seq INTEGER")  # NULL: nobody was answered
    db.execute("CREATE INDEX quarantine_event ON quarantine (event_id)")
    db.execute("CREATE INDEX quarantine_device_seq ON quarantine (device_id, seq)")


BUILTIN: dict[str, dict[str, list[Migration]]] = {
    "edge": {"outbox": [_outbox_1, _outbox_2, _outbox_3], "acks": [_acks_1], "inbox": [_inbox_1, _inbox_2]},
    "hub": {"ingest": [_ingest_1, _ingest_2]},
}
