"""EdgeSync: the background thread that moves a kiosk's or station's outbox up and its inbox down.

It publishes outbox events in order with a bounded in-flight window, re-sends what the hub has
not acked after ``resend_after`` seconds (or at once when the hub reports a gap), removes an
event only on the hub's application ack, and applies down messages through the :class:`Inbox`;
a down stream gap that lasts past ``gap_check`` seconds becomes a ``sync.resend`` event asking the
hub to send that stream again from the missing message. Streams named in ``catch_up`` are asked
for the same way at every connect, from the message after the last one applied: a station that
connects for the first time, or after its broker session expired, gets the work released meanwhile.
Duplicates this causes are harmless: the hub stores by event id. The UI reads :meth:`status`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sync.errors import FloorLinkError
from sync.protocol import topics
from sync.protocol.client import MqttLink
from sync.protocol.envelope import BATCH_TYPE, RESEND_TYPE, AckMessage, decode, encode_batch
from sync.store import AckRecord, Inbox, Outbox, Store

log = logging.getLogger(__name__)
_UNKNOWN = (-1, -1)  # the hub's batch limits before its first ack
AckCallback = Callable[[AckRecord], None]


@dataclass(frozen=True)
class SyncStatus:
    """What a UI indicator shows: link state, events not yet acked, the last ack time, and
    ``dead_letters``: events the hub refused, kept aside (``Outbox.dead_letters()``) for a person."""

    connected: bool
    pending: int
    in_flight: int
    last_ack_at: float | None
    last_error: str
    dead_letters: int = 0


class EdgeSync:
    """``EdgeSync(store, site=..., host=..., port=..., streams=[...]).start()``; ``stop()`` at exit.

    ``store`` is the node's store; EdgeSync opens its own connection to the same file, so the
    UI thread keeps writing through ``store.transaction()`` meanwhile. ``streams`` are the down
    streams this device follows (``catalog``, ``station/ST-1``...). Register down handlers on
    :attr:`inbox` and ack callbacks with :meth:`on_ack` before :meth:`start`.
    """

    def __init__(self, store: Store, *, site: str, host: str = "127.0.0.1", port: int = 1883,
                 streams: Sequence[str] = (), window: int = 1000, resend_after: float = 10.0,
                 tick: float = 0.02, gap_check: float = 2.0, batch_max: int = 500,
                 catch_up: Sequence[str] = (), link_options: dict[str, Any] | None = None) -> None:
        self.device_id = store.device_id
        self.site = site
        self.window = window
        # Events per batch message at most (0: one message per event); batches are sent only once
        # the hub's acks said it takes them (batch_max/batch_bytes), so an older hub gets singles.
        self.batch_max = batch_max
        self.probe_window = 20
        self._hub_batch = _UNKNOWN
        self.resend_after = resend_after
        self.tick = tick
        self.gap_check = gap_check
        self._store = store.sibling()
        self.outbox = Outbox(self._store)
        self.inbox = Inbox(self._store)
        self._ack_callbacks: list[AckCallback] = []
        self._incoming: queue.SimpleQueue[tuple[str, bytes]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._in_flight: dict[int, float] = {}  # seq -> monotonic time of the last send, oldest first
        self._counted_at = 0.0
        self._gaps_seen: dict[str, int] = {}  # stream -> missing seq at the last check
        self._gaps_checked_at = 0.0
        self._asked: dict[tuple[str, int], float] = {}  # (stream, seq) -> when we asked the hub
        self._cursor = 0  # highest seq published since (re)connect
        self._resend_from: int | None = None
        self._pending = self.outbox.pending_count()
        self._dead_letters = self.outbox.dead_letter_count()
        self._last_ack_at: float | None = None
        # While the hub stays silent (down, broker queueing for it), each re-send round waits twice
        # as long as the last (up to 32 x resend_after), so the broker queue does not fill with copies.
        self._backoff = 1
        self._acked_since_resend = True
        self._topics: dict[str, str] = {}
        self.last_error = ""
        self._reset = threading.Event()
        unknown = set(catch_up) - set(streams)
        if unknown:
            raise ValueError(f"catch_up streams {sorted(unknown)} are not among the streams followed")
        self.catch_up = tuple(catch_up)
        self._catch_up_due = threading.Event()
        subscriptions = [topics.ack(site, self.device_id)] + [topics.down(site, s) for s in streams]
        self.link = MqttLink(client_id=self.device_id, site=site, host=host, port=port, subscriptions=subscriptions,
                             on_message=self._on_message, on_connection=self._on_connection,
                             state_device=self.device_id, **(link_options or {}))

    def on_ack(self, callback: AckCallback) -> None:
        """Call ``callback(ack_record)`` (on the sync thread) for every acked event."""
        self._ack_callbacks.append(callback)

    def start(self) -> EdgeSync:
        self._thread = threading.Thread(target=self._run, name=f"EdgeSync-{self.device_id}", daemon=True)
        self._thread.start()
        self.link.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
        self.link.stop()
        self._store.close()

    def wake(self) -> None:
        """Publish new outbox events now instead of at the next tick (call after a transaction)."""
        self._wake.set()

    def status(self) -> SyncStatus:
        return SyncStatus(self.link.connected, self._pending, len(self._in_flight), self._last_ack_at,
                          self.link.last_error or self.last_error, self._dead_letters)

    def requeue(self, event_ids: Iterable[str]) -> int:
        """Send dead letters again (e.g. after the device was registered at the hub); how many moved."""
        moved = self.outbox.requeue(event_ids)
        if moved:
            self._reset.set()  # they sit below the send cursor: start again from the oldest unacked
            self._wake.set()
        return moved

    def wait_drained(self, timeout: float) -> bool:
        """True once every outbox event has been acked (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._pending == 0 and self.outbox.pending_count() == 0:
                return True
            time.sleep(0.02)
        return False

    # --- paho thread ------------------------------------------------------------------------------
    def _on_message(self, topic: str, payload: bytes) -> None:
        self._incoming.put((topic, payload))
        self._wake.set()

    def _on_connection(self, up: bool) -> None:
        self._reset.set()  # after any (re)connect, send everything unacked again
        if up:
            self._catch_up_due.set()
        self._wake.set()

    # --- sync thread ------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.tick)
            self._wake.clear()
            try:
                self._step()
            except FloorLinkError as exc:  # a locked or full disk: report and keep trying
                self.last_error = str(exc)
                log.warning("EdgeSync %s: %s", self.device_id, exc)
                time.sleep(0.5)

    def _step(self) -> None:
        self._handle_incoming()
        if self._reset.is_set():
            self._reset.clear()
            self._in_flight.clear()
            self._cursor = 0
            self._hub_batch = _UNKNOWN  # another broker or hub may answer now: probe again
        now = time.monotonic()
        if now - self._counted_at > 0.25:  # a count over a large outbox is not free: a few times a second
            self._pending = self.outbox.pending_count()
            self._dead_letters = self.outbox.dead_letter_count()
            self._counted_at = now
        if not self.link.connected:
            return
        if self._catch_up_due.is_set():
            self._catch_up_due.clear()
            self._ask_to_catch_up()
        if now - self._gaps_checked_at >= self.gap_check:
            self._gaps_checked_at = now
            self._ask_for_missing(now)
        due = []
        for seq, sent in self._in_flight.items():  # oldest send first: stop at the first not yet due
            if now - sent < self.resend_after * self._backoff:
                break
            due.append(seq)
        if due:
            self._backoff = 1 if self._acked_since_resend else min(self._backoff * 2, 32)
            self._acked_since_resend = False
        if self._resend_from is not None:
            due += [s for s, sent in self._in_flight.items() if s >= self._resend_from and now - sent >= 0.5]
            self._resend_from = None
        if due:
            again = self.outbox.payloads(sorted(set(due)))
            for seq in set(due) - {row[0] for row in again}:  # gone from the outbox meanwhile (acked)
                self._in_flight.pop(seq, None)
            self._send(again, now)
        # Until the hub has answered once we do not know whether it takes batches: send a small
        # first window of single events rather than a whole window of them.
        window = self.window if self._hub_batch != _UNKNOWN else min(self.window, self.probe_window)
        room = window - len(self._in_flight)
        if room > 0:
            rows = self.outbox.payloads_after(self._cursor, room)
            if rows:
                self._send(rows, now)
                self._cursor = rows[-1][0]

    def _ask_for_missing(self, now: float) -> None:
        """A down stream gap that outlived one check: ask the hub to send the stream again from it."""
        gaps = self.inbox.gaps()
        for stream, missing in gaps.items():
            asked = self._asked.get((stream, missing))
            if self._gaps_seen.get(stream) == missing and (asked is None or now - asked > 5 * self.gap_check):
                Outbox.record(self._store, RESEND_TYPE, {"stream": stream, "from_seq": missing})
                self._asked[(stream, missing)] = now
        self._gaps_seen = gaps

    def _ask_to_catch_up(self) -> None:
        """At connect: ask the hub for each ``catch_up`` stream from the message after the last applied.

        Messages published while this device had no broker session (first start, session expired)
        were never queued for it, and without a later message it could not even see a gap. One
        request per stream waits in the outbox at most: a flapping link does not pile them up."""
        for stream in self.catch_up:
            waiting = self._store.query("SELECT 1 FROM outbox WHERE type = ? AND json_extract(body, '$.stream') = ?",
                                        [RESEND_TYPE, stream])
            if not waiting:
                Outbox.record(self._store, RESEND_TYPE, {"stream": stream, "from_seq": self.inbox.applied_seq(stream) + 1})

    def _send(self, rows: list[tuple[int, str, bytes]], now: float) -> None:
        """Publish ``(seq, type, payload)`` rows in order: in batch messages where the hub takes them."""
        limit = min(self.batch_max, self._hub_batch[0])
        max_bytes = self._hub_batch[1] - 64  # room for the batch's own wrapping
        chunk: list[tuple[int, str, bytes]] = []
        size = 0
        for row in rows:
            if chunk and (len(chunk) >= limit or size + len(row[2]) + 1 > max_bytes):
                self._publish(chunk, now)
                chunk, size = [], 0
            chunk.append(row)
            size += len(row[2]) + 1
        if chunk:
            self._publish(chunk, now)

    def _publish(self, chunk: list[tuple[int, str, bytes]], now: float) -> None:
        if len(chunk) == 1:
            type_, payload = chunk[0][1], chunk[0][2]
        else:
            type_, payload = BATCH_TYPE, encode_batch([row[2] for row in chunk])
        topic = self._topics.get(type_)
        if topic is None:
            topic = self._topics[type_] = topics.up(self.site, self.device_id, type_)
        self.link.publish(topic, payload)
        for seq, _, _ in chunk:
            self._in_flight.pop(seq, None)  # re-insert: the dict stays ordered by send time
            self._in_flight[seq] = now

    def _handle_incoming(self) -> None:
        acks = []
        ok_ids: list[str] = []
        ack_topic = topics.ack(self.site, self.device_id)
        while True:
            try:
                topic, payload = self._incoming.get_nowait()
            except queue.Empty:
                break
            try:
                if topic == ack_topic:
                    message = AckMessage.decode(payload, where=f"topic {topic}")
                    acks.extend(message.acks)
                    ok_ids.extend(message.ok)
                    self._hub_batch = (message.batch_max, message.batch_bytes)
                    if message.resend_from is not None:
                        self._resend_from = message.resend_from
                else:
                    self.inbox.receive(decode(payload, where=f"topic {topic}"))
            except FloorLinkError as exc:
                self.last_error = str(exc)
                log.warning("EdgeSync %s: dropped a message: %s", self.device_id, exc)
        if acks or ok_ids:
            done = self.outbox.acknowledge(acks, ok_ids)
            for ack in acks:
                self._in_flight.pop(ack.seq, None)
            for record in done:
                self._in_flight.pop(record.seq, None)
            self._pending = max(0, self._pending - len(done))
            refused = [r for r in done if r.status != "ok"]
            if refused:
                self._dead_letters += len(refused)
                for r in refused:
                    log.warning("EdgeSync %s: the hub refused %s seq %d (%s), kept in dead letters: %s",
                                self.device_id, r.type, r.seq, r.code, r.reason)
            self._last_ack_at = time.time()
            self._acked_since_resend = True
            self._backoff = 1
            for record in done:
                for callback in self._ack_callbacks:
                    callback(record)
