"""Hub ingest: every edge event stored exactly once, acked only after the commit.

Messages from ``up/#`` are taken in batches, each batch in one transaction: a duplicate event
id is answered with the stored ack again (an event the hub's rules refused runs its handler
again: "send again" after the cause was fixed; the same id with another body is refused as
``event_conflict``), a new event is stored and passed to the handler
registered for its type (``ingest.on("order.placed", plan_order)``), whose returned dict is
the ack's ``result`` and whose :class:`FloorLinkError` becomes a rejection with that reason.
Anything that does not belong (malformed JSON, unknown schema version, oversized, unknown
device, a device publishing as another) goes to the ``quarantine`` table with the reason;
nothing of that kind stops or crashes ingest. When the refused message still names its sender's
device (the topic's), event id and sequence, the sender gets a ``rejected`` ack with the reason
(``code`` = the quarantine reason), so it moves the event to its dead letters instead of
re-sending it for ever; garbage that names nothing stays in quarantine alone.
"""

from __future__ import annotations

import functools
import json
import logging
import queue
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import uuid6

from sync.broker.access import check_name
from sync.errors import CorruptDatabase, FloorLinkError, ProtocolError
from sync.hub import devices
from sync.protocol import topics
from sync.protocol.client import MqttLink
from sync.protocol.envelope import (
    BATCH_TYPE,
    BATCH_VERSION,
    MAX_PAYLOAD_BYTES,
    RESEND_TYPE,
    SCHEMA_VERSION,
    Ack,
    AckMessage,
    Envelope,
    address_of,
    check_time,
    compact_json,
    decode,
    decode_batch,
    from_dict,
    parse,
    utc_now,
)
from sync.protocol.schemas import Protocol
from sync.store import Store, Transaction

log = logging.getLogger(__name__)
EventHandler = Callable[[Transaction, Envelope], dict[str, Any] | None]
#: told, in the ingest transaction after the handler's work was rolled back, of an event its handler refused
RefusalListener = Callable[[Transaction, Envelope, str], None]
#: told, in the ingest transaction, of a refused event its handler accepted when it was sent again
RetryListener = Callable[[Transaction, Envelope], None]

# Why a message went to quarantine (the ``reason`` column; docs/protocol.md explains each).
MALFORMED_JSON = "malformed_json"
UNKNOWN_VERSION = "unknown_version"
INVALID_ENVELOPE = "invalid_envelope"
OVERSIZED = "oversized"
BAD_TOPIC = "bad_topic"
UNKNOWN_DEVICE = "unknown_device"
DEVICE_MISMATCH = "device_mismatch"
TYPE_MISMATCH = "type_mismatch"
SEQ_CONFLICT = "seq_conflict"
WRONG_DEVICE_KIND = "wrong_device_kind"  # e.g. a kiosk sending op.started (sync.hub.devices)
EVENT_CONFLICT = "event_conflict"  # an event id stored before, sent again with another body
UNKNOWN_TYPE = "unknown_type"  # no schema in docs/schemas/events for this type: the hub does not know it
INVALID_BODY = "invalid_body"  # the body breaks its type's schema, or its time is outside the hub's window
RETAINED = "retained"  # published with the retain flag: the broker would hand it back on every reconnect
HUB_ERROR = "hub_error"  # checking or storing it failed in the hub itself (a bug): kept, answered, ingest goes on
REJECTED = "rejected"  # well-formed, stored, but refused by a handler (unknown work order, unreleased revision...)
RESEND_LIMIT = 1000
_BATCH_SUFFIX = "/" + BATCH_TYPE
_parse_up = functools.lru_cache(maxsize=4096)(topics.parse_up)  # a few topics per device, parsed per event


class _Retained(bytes):
    """A payload that arrived with the retain flag (ingest refuses it, then clears the broker's copy)."""


class Quarantined(Exception):
    """Internal: this message goes to quarantine with ``reason``."""

    def __init__(self, reason: str, detail: str, envelope: Envelope | None = None,
                 address: tuple[str, str, int] | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.envelope = envelope
        # (device_id, event_id, seq) to answer with a rejection; None: nobody to tell (garbage, spoofing)
        self.address = address


@dataclass
class IngestStats:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    rejected: int = 0
    batches: int = 0
    last_commit_at: float | None = None
    by_reason: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def register_device(store: Store, device_id: str, kind: str = devices.UNKNOWN) -> None:
    """Allow ``device_id`` to send events of its ``kind`` (sync.hub.devices; unregistered devices are
    quarantined). Naming a kind again changes it; registering without one keeps what the device had."""
    check_name(device_id, "device id")
    if kind != devices.UNKNOWN and kind not in devices.KINDS:
        raise ProtocolError(f"unknown device kind {kind!r}", where=f"device {device_id}",
                            fix=f"one of {', '.join(devices.KINDS)}")
    with store.transaction(f"registering device {device_id}") as tx:
        tx.execute("INSERT INTO devices (device_id, kind, registered_at) VALUES (?, ?, ?) ON CONFLICT(device_id) "
                   "DO UPDATE SET kind = excluded.kind WHERE excluded.kind != ?",
                   [device_id, kind, utc_now(), devices.UNKNOWN])


class Ingest:
    """The ingest service; ``Ingest(Store(path, device_id="hub", kind="hub"), site=...).start()``."""

    def __init__(self, store: Store, *, site: str, host: str = "127.0.0.1", port: int = 1883,
                 client_id: str = "hub", max_payload: int = MAX_PAYLOAD_BYTES, batch_max: int = 1000,
                 commit_bytes: int = 1 << 20, edge_batch_max: int = 500,
                 register_unknown_devices: bool = False, link_options: dict[str, Any] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), protocol: Protocol | None = None) -> None:
        self.store = store
        # the documented schemas (sync.protocol.schemas.load()): an event of another type or whose body breaks
        # its type's schema is refused; None (transport tests) takes any type and body
        self.protocol = protocol
        self.clock = clock
        # a body's ``at`` (it drives timers and planning) must lie in [now - max_age, now + max_ahead]
        self.max_age = timedelta(days=400)
        self.max_ahead = timedelta(hours=24)
        self.site = site
        self.max_payload = max_payload
        self.batch_max = batch_max  # messages per commit at most...
        self.commit_bytes = commit_bytes  # ...and about this many payload bytes (a batch message holds many events)
        self.edge_batch_max = edge_batch_max  # events per batch message we invite edges to send (0: singles only)
        self.backlog_hint = 16  # messages found queued at once: a backlog...
        self.backlog_wait = 0.004  # ...worth waiting this long (s) for more before the commit
        self.register_unknown_devices = register_unknown_devices
        self.resend_limit = RESEND_LIMIT  # down messages re-sent per sync.resend request at most
        self.handlers: dict[str, EventHandler] = {}
        self.on_refused: RefusalListener | None = None
        self.on_retry_accepted: RetryListener | None = None
        self.stats = IngestStats()
        self._queue: queue.SimpleQueue[tuple[str, bytes] | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._checkpointer: threading.Thread | None = None
        self._devices: dict[str, str] = {}  # registered device -> its kind
        self._republish: list[tuple[str, int]] = []
        self._clear_retained: list[str] = []
        self._at_window = (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC), datetime.now(UTC))
        # liveness, read by the hub's health check and watchdog (sync.hub.service)
        self.last_batch_at = time.time()  # when the loop last finished a batch (or started)
        self.busy_since: float | None = None  # when the batch in hand was taken (None: waiting for messages)
        self.loop_errors = 0  # batches the loop could not store even one by one
        self.last_error = ""
        self.fatal: FloorLinkError | None = None  # the database is damaged: the hub must stop
        self.handlers[RESEND_TYPE] = self._resend_request
        self.link = MqttLink(client_id=client_id, site=site, host=host, port=port,
                             subscriptions=[topics.up_filter(site)], on_message=self._on_message,
                             on_retained=self._on_retained, state_device=client_id, **(link_options or {}))

    def on(self, type: str, handler: EventHandler) -> None:
        """Handle stored events of ``type`` in the ingest transaction; the returned dict goes in the ack.

        Raise a :class:`FloorLinkError` (e.g. PlanningError) to reject the event: it stays stored
        with status ``rejected`` and the edge receives the reason.
        """
        self.handlers[type] = handler

    def start(self) -> Ingest:
        # WAL checkpoints run on their own thread and connection: done inside a commit they held
        # up the acks behind it for tens of milliseconds every few hundred commits.
        self.store.db.execute("PRAGMA wal_autocheckpoint=0")
        self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="hub-checkpoint", daemon=True)
        self._checkpointer.start()
        self.restart_loop()
        self.link.start()
        return self

    def restart_loop(self) -> None:
        """(Re)start the ingest thread; the watchdog calls this when it found the loop dead."""
        self.last_batch_at = time.time()
        self._thread = threading.Thread(target=self._run, name="hub-ingest", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def queue_depth(self) -> int:
        return self._queue.qsize()

    def stuck_for(self) -> float:
        """Seconds the loop has made no progress while there was work: one batch in hand, or messages waiting."""
        now = time.time()
        if self.busy_since is not None:
            return now - self.busy_since
        return now - self.last_batch_at if self.queue_depth() else 0.0

    def stop(self) -> None:
        self.link.stop()
        self._stop.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(10)
        if self._checkpointer is not None:
            self._checkpointer.join(5)

    def _checkpoint_loop(self, every: float = 0.5) -> None:
        store = self.store.sibling()
        try:
            while not self._stop.wait(every):
                try:
                    store.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # busy or full: the next round tries again
                    log.warning("hub: WAL checkpoint failed: %s", exc)
            store.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:
            log.warning("hub: WAL checkpoint failed: %s", exc)
        finally:
            store.close()

    def wait_ready(self, timeout: float = 10.0) -> bool:
        return self.link.wait_subscribed(timeout)

    # --- down ---------------------------------------------------------------------------------
    def publish_down(self, stream: str, type: str, body: dict[str, Any], *, retain: bool = False) -> Envelope:
        """Number, store (for re-sends) and publish a message on a down stream."""
        with self.store.transaction(f"sending {type} to {stream}") as tx:
            row = tx.execute("SELECT coalesce(max(seq), 0) + 1 FROM down_log WHERE stream = ?", [stream]).fetchone()
            envelope = Envelope(str(uuid6.uuid7()), self.store.device_id, int(row[0]), utc_now(), type, body, stream)
            payload = envelope.encode(self.max_payload)
            tx.execute("INSERT INTO down_log VALUES (?, ?, ?, ?, ?, ?)",
                       [stream, envelope.seq, envelope.event_id, type, payload.decode("utf-8"), int(retain)])
        self.link.publish(topics.down(self.site, stream), payload, retain=retain)
        return envelope

    def _resend_request(self, tx: Transaction, env: Envelope) -> dict[str, Any]:
        """Built-in handler: an edge's inbox has a gap; send that stream again from ``from_seq``."""
        stream, from_seq = env.body.get("stream"), env.body.get("from_seq")
        if not isinstance(stream, str) or not isinstance(from_seq, int) or isinstance(from_seq, bool):
            raise ProtocolError("sync.resend needs 'stream' (text) and 'from_seq' (integer)",
                                where=f"event {env.event_id} body")
        self._republish.append((stream, from_seq))
        return {}

    def republish(self, stream: str, from_seq: int) -> int:
        """Publish stored down messages of ``stream`` from ``from_seq`` again (at most ``resend_limit``).

        When more are stored than that, the stream's newest message follows: the edge then sees a
        gap after the ones sent and asks for the rest, so a long stream arrives in rounds."""
        rows = self.store.query("SELECT envelope, retain FROM down_log WHERE stream = ? AND seq >= ? ORDER BY seq "
                                "LIMIT ?", [stream, from_seq, self.resend_limit])
        if len(rows) == self.resend_limit:
            rows += self.store.query("SELECT envelope, retain FROM down_log WHERE stream = ? AND seq > ? "
                                     "ORDER BY seq DESC LIMIT 1", [stream, from_seq + self.resend_limit - 1])
        for row in rows:
            self.link.publish(topics.down(self.site, stream), row["envelope"].encode("utf-8"),
                              retain=bool(row["retain"]))
        return len(rows)

    # --- ingest -------------------------------------------------------------------------------
    def _on_message(self, topic: str, payload: bytes) -> None:
        self._queue.put((topic, payload))

    def _on_retained(self, topic: str, payload: bytes) -> None:
        if payload:  # an empty one is our own clearing of a retained copy coming back
            self._queue.put((topic, _Retained(payload)))

    def _run(self) -> None:
        while not self._stop.is_set() and self.fatal is None:
            try:
                first = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if first is None:
                break
            batch = [first]
            size = self._take(batch, len(first[1]))
            if len(batch) >= self.backlog_hint and len(batch) < self.batch_max and size < self.commit_bytes \
                    and not self._stop.is_set():
                # A backlog of single-event messages: let the MQTT thread queue more before committing.
                # A commit's statements and fsync are then shared by more events, and while this thread
                # sleeps the MQTT thread does not wait for the GIL. A trickle (one message) never waits.
                time.sleep(self.backlog_wait)
                size = self._take(batch, size)
            self.busy_since = time.time()
            try:
                self.ingest_batch(batch)
            except Exception as exc:  # never let one batch end the loop: store what can be, one by one
                log.exception("ingest: a batch of %d failed; storing its messages one by one", len(batch))
                self.last_error = f"{type(exc).__name__}: {exc}"
                self._one_by_one(batch)
            self.last_batch_at = time.time()
            self.busy_since = None

    def _take(self, batch: list[tuple[str, bytes]], size: int) -> int:
        """Add what is queued to ``batch`` (up to the limits); returns the payload bytes in it."""
        while len(batch) < self.batch_max and size < self.commit_bytes:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._stop.set()
                break
            batch.append(item)
            size += len(item[1])
        return size

    def ingest_batch(self, batch: list[tuple[str, bytes]]) -> None:
        """Store a batch in one transaction, then publish the acks; retried while the disk refuses.

        A damaged database is not retried: :attr:`fatal` is set and the hub stops with one line."""
        while True:
            try:
                acks = self._store_batch(batch)
                break
            except CorruptDatabase as exc:
                log.critical("ingest: %s; stopping", exc)
                self.fatal = exc
                return
            except FloorLinkError as exc:  # locked or full: keep the batch, wait, try again
                log.error("ingest: cannot commit a batch of %d: %s", len(batch), exc)
                self.last_error = str(exc)
                if self._stop.is_set():
                    return
                time.sleep(0.5)
        self.stats.batches += 1
        self.stats.last_commit_at = time.time()
        # The broker's retained copy is removed before the ack goes out, on the same connection: a hub stopped
        # right after its ack (the device has its answer) had not cleared it, and a restart with its session
        # kept is not handed retained messages again, so the copy stayed for good.
        cleared, self._clear_retained = self._clear_retained, []
        for topic in dict.fromkeys(cleared):
            self.link.publish(topic, b"", retain=True)
        for device_id, (device_acks, resend_from, batched) in acks.items():
            self.link.publish(topics.ack(self.site, device_id), self._ack_message(device_acks, resend_from, batched))
        requests, self._republish = self._republish, []
        for stream, from_seq in dict.fromkeys(requests):
            self.republish(stream, from_seq)

    def _one_by_one(self, batch: list[tuple[str, bytes]]) -> None:
        """After a batch failed for an unexpected reason: each message in its own transaction; one that
        still fails is kept in quarantine as ``hub_error`` (or, if even that fails, logged) and skipped."""
        for item in batch:
            if self.fatal is not None:
                return
            try:
                self.ingest_batch([item])
                continue
            except Exception as exc:
                log.exception("ingest: a message on %s failed alone", item[0])
                detail = f"the hub failed on this message: {type(exc).__name__}: {exc}"
            try:
                with self.store.transaction("keeping a message the hub failed on") as tx:
                    _insert_quarantine(tx, utc_now(), item[0], HUB_ERROR, detail[:2000], None, None,
                                       bytes(item[1][: self.max_payload]), None)
            except Exception:
                self.loop_errors += 1
                log.exception("ingest: cannot even quarantine a message on %s; it is dropped", item[0])

    def _ack_message(self, acks: list[Ack], resend_from: int | None, batched: bool) -> bytes:
        """v1 lists every ack; a device that sent a batch reads v2, where plain oks are bare event ids."""
        batch_bytes = self.max_payload if self.edge_batch_max else 0
        if not batched:
            return AckMessage(acks, resend_from, batch_max=self.edge_batch_max, batch_bytes=batch_bytes).encode()
        ok = [a.event_id for a in acks if a.status == "ok" and not a.result]
        rest = [a for a in acks if a.status != "ok" or a.result]
        return AckMessage(rest, resend_from, BATCH_VERSION, ok, self.edge_batch_max, batch_bytes).encode()

    def _store_batch(self, batch: list[tuple[str, bytes]]) -> dict[str, tuple[list[Ack], int | None, bool]]:
        self._republish = []
        acks: dict[str, list[Ack]] = defaultdict(list)  # stored (or already stored) events
        answers: dict[str, list[Ack]] = defaultdict(list)  # quarantined events whose sender we can name
        batched: set[str] = set()  # devices that sent batch messages: they read v2 acks
        stats = IngestStats()
        now = utc_now()
        clock = self.clock()
        self._at_window = (clock - self.max_age, clock + self.max_ahead, clock)  # once per batch, not per event
        plain: list[Checked] = []  # checked, no handler: stored together
        with self.store.transaction(f"ingesting a batch of {len(batch)}") as tx:
            for topic, payload in batch:
                if isinstance(payload, _Retained):
                    self._clear_retained.append(topic)
                if not topic.endswith(_BATCH_SUFFIX) or isinstance(payload, _Retained):
                    self._ingest_one(tx, topic, payload, stats, acks, answers, now, plain)
                    continue
                try:
                    device_id, items = self._open_batch(topic, payload)
                except Quarantined as q:
                    stats.received += 1
                    stats.quarantined += 1
                    stats.by_reason[q.reason] += 1
                    self._quarantine(tx, q, topic, payload, now, answers)
                    continue
                batched.add(device_id)
                for item in items:
                    self._ingest_one(tx, topic, item, stats, acks, answers, now, plain)
            self._store_plain(tx, plain, stats, acks, answers, now)
            resend: dict[str, int | None] = {}
            for device_id, device_acks in acks.items():
                tx.execute("UPDATE devices SET max_seq = max(max_seq, ?), last_seen_at = ? WHERE device_id = ?",
                           [max(a.seq for a in device_acks), now, device_id])
                resend[device_id] = self._advance(tx, device_id, now)
        self._add(stats)
        for device_id, refused in answers.items():
            acks[device_id].extend(refused)
        return {d: (a, resend.get(d), d in batched) for d, a in acks.items()}

    def _ingest_one(self, tx: Transaction, topic: str, message: Any, stats: IngestStats,
                    acks: dict[str, list[Ack]], answers: dict[str, list[Ack]], now: str,
                    plain: list[Checked]) -> None:
        """Check one event (a message's payload, or one parsed event of a batch message); an event
        without a handler joins ``plain``, one with a handler is stored now, after those before it.
        Whatever goes wrong with it, it alone is quarantined and the batch goes on."""
        stats.received += 1
        try:
            checked = self._check(tx, topic, message)
        except Quarantined as q:
            stats.quarantined += 1
            stats.by_reason[q.reason] += 1
            self._quarantine(tx, q, topic, self._raw(message), now, answers)
            return
        except Exception as exc:  # a check the hub got wrong: this message only
            log.exception("ingest: checking a message on %s failed", topic)
            self._hub_error(tx, exc, topic, message, stats, answers, now)
            return
        if checked.envelope.type in self.handlers:
            self._store_plain(tx, plain, stats, acks, answers, now)
            self._store_checked(tx, checked, stats, acks, answers, now)
        else:
            plain.append(checked)

    def _hub_error(self, tx: Transaction, exc: Exception, topic: str, message: Any, stats: IngestStats,
                   answers: dict[str, list[Ack]], now: str) -> None:
        stats.quarantined += 1
        stats.by_reason[HUB_ERROR] += 1
        data = message if isinstance(message, dict) else self._parse(message)
        try:
            _, topic_device, _ = _parse_up(topic)
            address = self._address(data, topic_device)
        except ProtocolError:
            address = None
        detail = f"the hub failed on this message: {type(exc).__name__}: {exc}"[:2000]
        self._quarantine(tx, Quarantined(HUB_ERROR, detail, address=address), topic, self._raw(message), now, answers)

    def _store_plain(self, tx: Transaction, plain: list[Checked],
                     stats: IngestStats, acks: dict[str, list[Ack]], answers: dict[str, list[Ack]], now: str) -> None:
        """Store events without a handler with one statement; one by one if any was there already.

        One INSERT per event was the largest share of the hub's time in a backlog; re-sends and
        sequence conflicts (the statement then changes fewer rows) take the careful path below.
        """
        if len(plain) < 2:  # a lone event (the latency path at a trickle): one INSERT, no savepoint
            for checked in plain:
                self._store_checked(tx, checked, stats, acks, answers, now)
            plain.clear()
            return
        rows = [(c.envelope.event_id, c.envelope.device_id, c.envelope.seq, c.envelope.type, c.envelope.occurred_at,
                 now, c.body) for c in plain]
        tx.execute("SAVEPOINT ingest_plain")
        stored = tx.db.conn.executemany(
            "INSERT OR IGNORE INTO events (event_id, device_id, seq, type, occurred_at, received_at, body, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'ok')", rows).rowcount
        if stored == len(rows):
            tx.execute("RELEASE SAVEPOINT ingest_plain")
            stats.stored += stored
            for c in plain:
                acks[c.envelope.device_id].append(Ack(c.envelope.event_id, c.envelope.seq))
        else:
            tx.execute("ROLLBACK TO SAVEPOINT ingest_plain")
            tx.execute("RELEASE SAVEPOINT ingest_plain")
            for checked in plain:
                self._store_checked(tx, checked, stats, acks, answers, now)
        plain.clear()

    def _store_checked(self, tx: Transaction, checked: Checked,
                       stats: IngestStats, acks: dict[str, list[Ack]], answers: dict[str, list[Ack]], now: str) -> None:
        envelope, topic, message = checked.envelope, checked.topic, checked.message
        try:
            duplicates = stats.duplicates
            ack = self._store_event(tx, envelope, checked.body, now, stats)
            acks[envelope.device_id].append(ack)
            if ack.status == "rejected" and stats.duplicates == duplicates:
                # refused by the hub's rules (first time only): kept for a person to look at
                _insert_quarantine(tx, now, topic, REJECTED, ack.reason, envelope.device_id, envelope.event_id,
                                   self._raw(message), envelope.seq)
        except Quarantined as q:
            stats.quarantined += 1
            stats.by_reason[q.reason] += 1
            self._quarantine(tx, q, topic, self._raw(message), now, answers)

    def _raw(self, message: Any) -> bytes:
        if isinstance(message, bytes):
            return bytes(message[: self.max_payload])
        try:
            return compact_json(message).encode("utf-8", "backslashreplace")[: self.max_payload]
        except (ValueError, TypeError, RecursionError):
            return repr(message).encode("utf-8", "backslashreplace")[: self.max_payload]

    def _open_batch(self, topic: str, payload: bytes) -> tuple[str, list[Any]]:
        """The publishing device and the events of a batch message; a broken batch is quarantined whole."""
        try:
            _, topic_device, _ = _parse_up(topic)
        except ProtocolError as exc:
            raise Quarantined(BAD_TOPIC, str(exc)) from None
        if len(payload) > self.max_payload:
            raise Quarantined(OVERSIZED, f"batch of {len(payload)} bytes, above the limit of {self.max_payload}")
        try:
            return topic_device, decode_batch(payload, where=f"topic {topic}")
        except ProtocolError as exc:
            data = self._parse(payload)
            reason = MALFORMED_JSON if data is self._UNPARSED else (
                UNKNOWN_VERSION if isinstance(data, dict) and data.get("v") != BATCH_VERSION else INVALID_ENVELOPE)
            raise Quarantined(reason, str(exc)) from None

    def _quarantine(self, tx: Transaction, q: Quarantined, topic: str, payload: bytes, now: str,
                    answers: dict[str, list[Ack]]) -> None:
        """Keep the message in quarantine (once per refused event) and, if it names its sender, answer it."""
        env = q.envelope
        device_id, event_id = (env.device_id, env.event_id) if env else (None, None)
        seq: int | None = None
        if q.address is not None:
            device_id, event_id, seq = q.address
            reason = _storable(f"quarantined ({q.reason}): {q.detail}") or ""
            answers[device_id].append(Ack(event_id, seq, "rejected", reason, code=q.reason))
            if tx.execute("SELECT 1 FROM quarantine WHERE event_id = ? AND device_id = ? AND reason = ? LIMIT 1",
                          [event_id, device_id, q.reason]).fetchone():
                return  # sent again (our answer was lost or is on its way): one row is enough
        _insert_quarantine(tx, now, topic, q.reason, q.detail, device_id, event_id, payload[: self.max_payload], seq)

    def _add(self, stats: IngestStats) -> None:
        s = self.stats
        s.received += stats.received
        s.stored += stats.stored
        s.duplicates += stats.duplicates
        s.quarantined += stats.quarantined
        s.rejected += stats.rejected
        for reason, n in stats.by_reason.items():
            s.by_reason[reason] += n

    def _check(self, tx: Transaction, topic: str, message: Any) -> Checked:
        try:
            _, topic_device, topic_type = _parse_up(topic)
        except ProtocolError as exc:
            raise Quarantined(BAD_TOPIC, str(exc)) from None
        if isinstance(message, _Retained):
            # Not taken: the broker keeps a retained copy and hands it back on every reconnect.
            raise Quarantined(RETAINED, "published with the retain flag; events must not be retained",
                              address=self._address(self._parse(message), topic_device))
        if isinstance(message, bytes) and len(message) > self.max_payload:
            raise Quarantined(OVERSIZED, f"{len(message)} bytes, above the limit of {self.max_payload}",
                              address=self._address(self._parse(message), topic_device))
        try:
            if isinstance(message, bytes):
                envelope = decode(message, where=f"topic {topic}", max_bytes=self.max_payload)
            else:  # one event of a batch: its own type, not the topic's
                envelope = from_dict(message, where=f"topic {topic}")
                topic_type = envelope.type
        except ProtocolError as exc:
            data = self._parse(message) if isinstance(message, bytes) else message
            raise Quarantined(self._classify(data), str(exc), address=self._address(data, topic_device)) from None
        address = (envelope.device_id, envelope.event_id, envelope.seq)
        if envelope.device_id != topic_device:
            # Not answered: the event is another device's, and telling anyone to drop it would let
            # one device make another lose events.
            raise Quarantined(DEVICE_MISMATCH, f"device {topic_device!r} published an event of device "
                              f"{envelope.device_id!r}", envelope)
        if envelope.type != topic_type:
            raise Quarantined(TYPE_MISMATCH, f"topic says {topic_type!r}, envelope says {envelope.type!r}", envelope,
                              address)
        kind = self._kind(tx, envelope.device_id)
        if kind is None:
            raise Quarantined(UNKNOWN_DEVICE, f"device {envelope.device_id!r} is not registered at the hub", envelope,
                              address)
        if not devices.allowed(kind, envelope.type):
            raise Quarantined(WRONG_DEVICE_KIND, f"{envelope.device_id} is registered as a {kind}, and only a "
                              f"{devices.kind_of_event(envelope.type)} may send {envelope.type}", envelope, address)
        try:
            body = compact_json(envelope.body)
            body.encode("utf-8")  # a lone surrogate ("\\ud800") parses but cannot be stored
        except UnicodeEncodeError:
            raise Quarantined(INVALID_ENVELOPE, "the body holds text that is not valid Unicode (a lone surrogate "
                              "such as \\ud800)", envelope, address) from None
        if self.protocol is not None:
            schema = self.protocol.events.get(envelope.type)
            if schema is None:
                raise Quarantined(UNKNOWN_TYPE, f"event type {envelope.type!r} is not one the hub handles (see "
                                  "docs/protocol.md for the types)", envelope, address)
            if not schema.check(envelope.body):
                error = self.protocol.body_error(envelope.type, envelope.body)
                if error is not None:
                    raise Quarantined(INVALID_BODY, f"{envelope.type} {error}", envelope, address)
        at = envelope.body.get("at")
        if at is not None:
            self._check_at(at, envelope, address)
        if kind == devices.UNKNOWN and (owner := devices.kind_of_event(envelope.type)) is not None:
            # registered without a kind: its first kind-specific event names it, for good
            tx.execute("UPDATE devices SET kind = ? WHERE device_id = ?", [owner, envelope.device_id])
            self._devices[envelope.device_id] = owner
            log.info("hub: device %s is a %s (its first %s)", envelope.device_id, owner, envelope.type)
        return Checked(envelope, body, topic, message)

    def _check_at(self, at: Any, envelope: Envelope, address: tuple[str, str, int]) -> None:
        """A body's ``at`` drives timers and planning: a time far away broke both (year 1, year 9999)."""
        try:
            when = check_time(at) if isinstance(at, str) else None
        except ValueError as exc:
            raise Quarantined(INVALID_BODY, f"body field 'at': {exc}", envelope, address) from None
        if when is None:
            raise Quarantined(INVALID_BODY, f"body field 'at' is not a time: {at!r:.60}", envelope, address)
        earliest, latest, now = self._at_window
        if not earliest <= when <= latest:
            raise Quarantined(INVALID_BODY, f"body field 'at' ({at}) is more than {self.max_age.days} days before or "
                              f"{self.max_ahead.total_seconds() / 3600:g} hours after the hub's clock ({now.isoformat()})",
                              envelope, address)

    _UNPARSED = object()

    @classmethod
    def _parse(cls, payload: bytes) -> Any:
        try:
            return parse(payload)
        except ValueError:
            return cls._UNPARSED

    @staticmethod
    def _address(data: Any, topic_device: str) -> tuple[str, str, int] | None:
        """Whom to answer about a refused payload: only its own publisher, about an event it names."""
        address = address_of(data)
        return address if address is not None and address[0] == topic_device else None

    @classmethod
    def _classify(cls, data: Any) -> str:
        if data is cls._UNPARSED:
            return MALFORMED_JSON
        if isinstance(data, dict) and "v" in data and data["v"] != SCHEMA_VERSION:
            return UNKNOWN_VERSION
        return INVALID_ENVELOPE

    def _kind(self, tx: Transaction, device_id: str) -> str | None:
        """The registered device's kind (sync.hub.devices), None when it is not registered."""
        kind = self._devices.get(device_id)
        if kind is not None:
            return kind
        row = tx.execute("SELECT kind FROM devices WHERE device_id = ?", [device_id]).fetchone()
        if row is None and self.register_unknown_devices:
            tx.execute("INSERT INTO devices (device_id, kind, registered_at) VALUES (?, ?, ?)",
                       [device_id, devices.UNKNOWN, utc_now()])
            row = (devices.UNKNOWN,)
        if row is None:
            return None
        kind = row[0] if row[0] in devices.KINDS else devices.UNKNOWN
        self._devices[device_id] = kind
        return kind

    def _store_event(self, tx: Transaction, env: Envelope, body: str, now: str, stats: IngestStats) -> Ack:
        inserted = tx.execute(
            "INSERT OR IGNORE INTO events (event_id, device_id, seq, type, occurred_at, received_at, body, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'ok')",
            [env.event_id, env.device_id, env.seq, env.type, env.occurred_at, now, body]).rowcount
        handler = self.handlers.get(env.type)
        retry = False
        if not inserted:
            row = tx.execute("SELECT status, reason, result, device_id, seq, type, occurred_at, body FROM events "
                             "WHERE event_id = ?", [env.event_id]).fetchone()
            if row is None:
                raise Quarantined(SEQ_CONFLICT, f"device {env.device_id!r} sent seq {env.seq} again with another "
                                  "event id", env, (env.device_id, env.event_id, env.seq))
            if (row[3], row[4], row[5], row[6]) != (env.device_id, env.seq, env.type, env.occurred_at) \
                    or json.loads(row[7]) != env.body:
                # Never drop the second body silently: its sender is told, and it stays in quarantine.
                raise Quarantined(EVENT_CONFLICT, f"event id {env.event_id} was used before for another event "
                                  f"({row[5]} seq {row[4]} from {row[3]}); this {env.type} seq {env.seq} is not "
                                  "the same event", env, (env.device_id, env.event_id, env.seq))
            stats.duplicates += 1
            if row[0] == "ok" or handler is None:
                return Ack(env.event_id, env.seq, row[0], row[1], json.loads(row[2]), REJECTED if row[0] != "ok" else "")
            retry = True  # refused before and sent again (a supervisor's "send again"): the cause may be fixed
        else:
            stats.stored += 1
        status, reason, code, result = "ok", "", "", {}
        if handler is not None:
            tx.execute("SAVEPOINT ingest_handler")
            try:
                result = handler(tx, env) or {}
            except FloorLinkError as exc:
                status, reason, code = "rejected", str(exc), exc.code or REJECTED
            except Exception as exc:  # a hub bug must not stop ingest; the event stays stored and marked
                log.exception("ingest: handler for %s failed", env.type)
                status, reason, code = "rejected", f"hub handler failed: {type(exc).__name__}: {exc}", REJECTED
            if status != "ok":
                tx.execute("ROLLBACK TO SAVEPOINT ingest_handler")
                result = {}
                stats.rejected += 1
            tx.execute("RELEASE SAVEPOINT ingest_handler")
            refused, accepted = self.on_refused, self.on_retry_accepted
            if status != "ok" and refused is not None:
                self._tell(tx, functools.partial(refused, tx, env, reason), env)
            if status == "ok" and retry and accepted is not None:
                self._tell(tx, functools.partial(accepted, tx, env), env)
            if status != "ok" or result or retry:
                tx.execute("UPDATE events SET status = ?, reason = ?, result = ? WHERE event_id = ?",
                           [status, reason, json.dumps(result), env.event_id])
        return Ack(env.event_id, env.seq, status, reason, result, code)  # type: ignore[arg-type]

    @staticmethod
    def _tell(tx: Transaction, listener: Callable[[], object], env: Envelope) -> None:
        """Run a listener in its own savepoint: telling people must never cost the event its answer."""
        tx.execute("SAVEPOINT ingest_listener")
        try:
            listener()
        except Exception:
            log.exception("ingest: listener failed for %s", env.event_id)
            tx.execute("ROLLBACK TO SAVEPOINT ingest_listener")
        tx.execute("RELEASE SAVEPOINT ingest_listener")

    def _advance(self, tx: Transaction, device_id: str, now: str) -> int | None:
        """Move the device's contiguous mark over stored and answered-refused events; the first missing
        seq if a gap stays (a refused event the device was told about is settled, not missing)."""
        contiguous, max_seq = tx.execute("SELECT contiguous_seq, max_seq FROM devices WHERE device_id = ?",
                                         [device_id]).fetchone()
        if max_seq > contiguous:
            seqs = [r[0] for r in tx.execute(
                "SELECT seq FROM events WHERE device_id = ?1 AND seq > ?2 UNION SELECT seq FROM quarantine "
                "WHERE device_id = ?1 AND seq > ?2 ORDER BY seq LIMIT 5000", [device_id, contiguous])]
            for seq in seqs:
                if seq != contiguous + 1:
                    break
                contiguous = seq
            tx.execute("UPDATE devices SET contiguous_seq = ? WHERE device_id = ?", [contiguous, device_id])
        return contiguous + 1 if max_seq > contiguous else None


@dataclass(frozen=True)
class Checked:
    """An event that passed every check: its envelope, its body as the JSON text to store, where it came from."""

    envelope: Envelope
    body: str
    topic: str
    message: Any


def _storable(text: str | None) -> str | None:
    """Text SQLite and JSON can hold: a lone surrogate a device sent (in an event id, a detail quoting it)
    becomes its escape instead of failing the insert or the ack."""
    if text is None:
        return None
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _insert_quarantine(tx: Transaction, now: str, topic: str, reason: str, detail: str, device_id: str | None,
                       event_id: str | None, payload: bytes, seq: int | None) -> None:
    """One quarantine row: what came, where from, and why it was not taken as it is."""
    tx.execute("INSERT INTO quarantine (received_at, topic, reason, detail, device_id, event_id, payload, seq) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [now, topic, reason, _storable(detail), _storable(device_id),
                                                   _storable(event_id), payload, seq])
