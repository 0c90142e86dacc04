"""One SQLite database per node, opened safely and migrated in versioned steps.

WAL with ``synchronous=FULL`` makes every committed transaction survive a power cut; a busy
timeout lets the UI thread and the sync thread share the file. Each *component* of a database
(outbox, inbox, hub ingest, alerts...) owns a list of migration functions; the ``schema_versions``
table remembers how many of them ran, and each runs in its own transaction.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils
import uuid6
from sqlite_utils.db import Table

from sync.errors import CorruptDatabase, StoreError
from sync.protocol.envelope import Envelope, compact_json, utc_now
from sync.store.schema import BUILTIN, Migration


def store_error(exc: BaseException, path: Path | str, doing: str) -> StoreError:
    """Turn an sqlite3/OS error into a :class:`StoreError` that names the file and what to do."""
    text = str(exc)
    low = text.lower()
    if "locked" in low or "busy" in low:
        return StoreError(f"database is locked while {doing}", where=str(path),
                          fix="another process holds it; close it or wait and try again")
    if "full" in low or "no space" in low:
        return StoreError(f"disk is full while {doing}", where=str(path), fix="free disk space; nothing was lost")
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return CorruptDatabase(f"database file is corrupt ({text}) while {doing}", where=str(path),
                          fix="restore it from a backup or move it away to start empty")
    if isinstance(exc, OSError) or "unable to open" in low or "readonly" in low:
        return StoreError(f"cannot open or write the database ({text}) while {doing}", where=str(path),
                          fix="check the folder exists and is writable")
    return StoreError(f"{text} while {doing}", where=str(path))


class Transaction:
    """What code inside ``with store.transaction() as tx`` writes through; all of it commits at once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db
        self._before_commit: dict[str, Callable[[], object]] = {}

    def before_commit(self, key: str, work: Callable[[], object]) -> None:
        """Run ``work`` once, inside this transaction, after the block's last statement and before
        ``COMMIT`` (a later call with the same ``key`` is not added again). Work that many writes in
        one transaction make necessary — the hub's replan after a batch of operation events — runs
        once for all of them and commits with them; if it fails, the whole transaction rolls back."""
        self._before_commit.setdefault(key, work)

    def _finish(self) -> None:
        while self._before_commit:  # work may ask for more work
            key = next(iter(self._before_commit))
            self._before_commit.pop(key)()

    def table(self, name: str) -> Table:
        return self.db.table(name)

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        return self.db.execute(sql, params)

    def insert_rows(self, table: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert rows that all have the same keys in one ``executemany``: sqlite-utils' insert_all
        checks and converts every value in Python, most of the cost of storing a planned order."""
        if not rows:
            return 0
        columns = list(rows[0])
        names = ", ".join(f"[{c}]" for c in columns)
        marks = ", ".join("?" for _ in columns)
        return self.db.conn.executemany(f"INSERT INTO [{table}] ({names}) VALUES ({marks})",
                                        [[row[c] for c in columns] for row in rows]).rowcount

    def next_seq(self, stream: str) -> int:
        """Take the next number of ``stream`` (table ``sequences``) inside this transaction: it moves with
        the transaction, so a rolled-back change takes its number with it and no number is given twice."""
        row = self.execute("INSERT INTO sequences (stream, last_seq) VALUES (?, 1) ON CONFLICT(stream) "
                           "DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq", [stream]).fetchone()
        return int(row[0])

    def outbox(self, type: str, body: dict[str, Any]) -> Envelope:
        """Record an event for the hub in this same transaction: it commits or rolls back with the change
        that caused it (:class:`sync.store.Outbox` reads and sends them)."""
        store = self.store
        try:
            text = compact_json(body)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"body of {type} event is not JSON-serialisable: {exc}", where=str(store.path)) from None
        envelope = Envelope(str(uuid6.uuid7()), store.device_id, self.next_seq(store.device_id), utc_now(), type,
                            body)
        envelope.encode()  # refuse now what the hub would quarantine for size or shape
        self.execute("INSERT INTO outbox (seq, event_id, type, body, occurred_at) VALUES (?, ?, ?, ?, ?)",
                     [envelope.seq, envelope.event_id, type, text, envelope.occurred_at])
        return envelope


class Store:
    """A node's SQLite database: ``Store(path, device_id=...)``, then ``store.transaction()``.

    The built-in components for ``kind`` are migrated on open ("edge": outbox, inbox, acks;
    "hub": ingest). Other parts add theirs with :meth:`migrate`. One connection per Store;
    give another thread its own with :meth:`sibling`. ``read_only``: a connection that cannot write (SQLite
    ``mode=ro``, no migration), for readers in another process such as the hub's report worker
    (sync.hub.reports_pool); the file must exist and be in WAL mode already.
    """

    def __init__(self, path: str | Path, *, device_id: str, kind: str = "edge", busy_timeout_ms: int = 10_000,
                 check_same_thread: bool = False, read_only: bool = False) -> None:
        self.path = Path(path).expanduser()
        self.device_id = device_id
        self.kind = kind
        self.busy_timeout_ms = busy_timeout_ms
        self._lock = threading.RLock()
        try:
            if read_only:
                if not self.path.is_file():
                    raise StoreError("no database to read", where=str(self.path),
                                     fix="start the program that creates it first")
                conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                       timeout=busy_timeout_ms / 1000, check_same_thread=check_same_thread)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(str(self.path), timeout=busy_timeout_ms / 1000,
                                       check_same_thread=check_same_thread)
            self.db = sqlite_utils.Database(conn)
            self.db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            mode = self.db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"cannot switch to WAL journal mode (got {mode})", where=str(self.path))
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, "
                            "version INTEGER NOT NULL)")
        except StoreError:
            raise
        except (sqlite3.Error, OSError) as exc:
            raise store_error(exc, self.path, "opening") from None
        if read_only:
            return
        for component, migrations in BUILTIN.get(kind, {}).items():
            self.migrate(component, migrations)

    def sibling(self) -> Store:
        """Another connection to the same file, for another thread (no migration runs again)."""
        return Store(self.path, device_id=self.device_id, kind="", busy_timeout_ms=self.busy_timeout_ms)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def version(self, component: str) -> int:
        row = self.db.execute("SELECT version FROM schema_versions WHERE component = ?", [component]).fetchone()
        return int(row[0]) if row else 0

    def migrate(self, component: str, migrations: Sequence[Migration]) -> int:
        """Run the migrations of ``component`` not yet applied, each in its own transaction."""
        current = self.version(component)
        if current > len(migrations):
            raise StoreError(f"database has {component} schema version {current}, newer than this program "
                             f"knows ({len(migrations)})", where=str(self.path), fix="upgrade FloorLink")
        for number, step in enumerate(migrations[current:], start=current + 1):
            with self.transaction(f"migrating {component} to version {number}") as tx:
                step(tx.db)
                tx.execute("INSERT INTO schema_versions (component, version) VALUES (?, ?) "
                           "ON CONFLICT(component) DO UPDATE SET version = excluded.version", [component, number])
        return len(migrations)

    @contextmanager
    def relaxed(self) -> Iterator[None]:
        """Commits inside skip the fsync (synchronous=NORMAL): only for writes that may be lost
        on a power cut without harm, such as forgetting acked events (the hub ignores a re-send).
        WAL keeps the file consistent either way; the next FULL commit syncs these too."""
        with self._lock:
            self.db.execute("PRAGMA synchronous=NORMAL")
            try:
                yield
            finally:
                self.db.execute("PRAGMA synchronous=FULL")

    @contextmanager
    def transaction(self, doing: str = "writing") -> Iterator[Transaction]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``: all or nothing, durable when the block ends.

        IMMEDIATE takes the write lock up front, so two writers wait for each other (busy
        timeout) instead of failing on a lock upgrade.
        """
        with self._lock:
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise store_error(exc, self.path, doing) from None
            try:
                tx = Transaction(self)
                yield tx
                tx._finish()
            except BaseException as exc:
                try:
                    self.db.rollback()
                except sqlite3.Error:
                    pass
                if isinstance(exc, sqlite3.Error):
                    raise store_error(exc, self.path, doing) from None
                raise
            try:
                self.db.execute("COMMIT")
            except sqlite3.Error as exc:
                try:
                    self.db.rollback()
                except sqlite3.Error:
                    pass
                raise store_error(exc, self.path, doing) from None

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        """Rows as dicts (reads need no transaction in WAL: they see the last commit)."""
        with self._lock:
            try:
                return list(self.db.query(sql, params))
            except sqlite3.Error as exc:
                raise store_error(exc, self.path, "reading") from None
