"""The outbox: events written in the same transaction as the change that caused them.

An event stays here until the hub's application ack (sent after the hub's commit) arrives;
a broker PUBACK only says the broker has it, which is not durability. The per-device sequence
comes from the ``sequences`` table in the same transaction, so it is monotonic and gap-free
(a rolled-back change takes its number with it).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sync.errors import StoreError
from sync.protocol.envelope import Ack, Envelope, encode_stored, utc_now
from sync.store.database import Store, Transaction, store_error


@dataclass(frozen=True)
class AckRecord:
    """The stored answer of the hub to one of our events (e.g. an order's firm promise date)."""

    event_id: str
    seq: int
    type: str
    status: str
    reason: str
    result: dict[str, Any]
    acked_at: str
    code: str = ""


#: the event telling the hub a refused event was handled at the edge (sync.hub resolves its alert)
SET_ASIDE = "dead_letter.set_aside"


@dataclass(frozen=True)
class DeadLetter:
    """An event the hub refused, kept whole at the edge with the hub's reason (``code``: why, short)."""

    seq: int
    event_id: str
    type: str
    body: dict[str, Any]
    occurred_at: str
    code: str
    reason: str
    dead_at: str
    handled_by: str = ""  # who set it aside (empty: it still waits for a person)
    handled_at: str = ""


_PLAIN_OK = Ack("", 0)


class Outbox:
    """Reads and writes of the ``outbox`` table; :meth:`record` is the one way to emit an event."""

    @staticmethod
    def record(tx: Transaction | Store, type: str, body: dict[str, Any]) -> Envelope:
        """Append an event; inside ``tx`` it commits or rolls back with the caller's change."""
        if isinstance(tx, Store):
            with tx.transaction(f"recording {type}") as inner:
                return inner.outbox(type, body)
        return tx.outbox(type, body)

    def __init__(self, store: Store) -> None:
        self.store = store

    def pending_count(self, type: str | None = None) -> int:
        """Events not acked yet; of one ``type`` only when given (a kiosk counts its orders, not its usage)."""
        if type is None:
            return int(self.store.query("SELECT count(*) AS n FROM outbox")[0]["n"])
        return int(self.store.query("SELECT count(*) AS n FROM outbox WHERE type = ?", [type])[0]["n"])

    def after(self, seq: int, limit: int) -> list[Envelope]:
        """Up to ``limit`` events with a sequence above ``seq``, oldest first."""
        rows = self.store.query("SELECT * FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", [seq, limit])
        return [self._envelope(r) for r in rows]

    def payloads_after(self, seq: int, limit: int) -> list[tuple[int, str, bytes]]:
        """``(seq, type, wire bytes)`` of up to ``limit`` events above ``seq``: what EdgeSync publishes."""
        return self._payloads("seq > ? ORDER BY seq LIMIT ?", [seq, limit])

    def payloads(self, seqs: Iterable[int]) -> list[tuple[int, str, bytes]]:
        wanted = list(seqs)
        return self._payloads(f"seq IN ({','.join('?' * len(wanted))}) ORDER BY seq", wanted) if wanted else []

    def _payloads(self, where: str, params: list[int]) -> list[tuple[int, str, bytes]]:
        device = self.store.device_id
        with self.store._lock:
            try:
                rows = self.store.db.execute(f"SELECT seq, event_id, occurred_at, type, body FROM outbox WHERE {where}",
                                             params).fetchall()
            except sqlite3.Error as exc:
                raise store_error(exc, self.store.path, "reading the outbox") from None
        return [(seq, type_, encode_stored(event_id, device, seq, at, type_, body))
                for seq, event_id, at, type_, body in rows]

    def acknowledge(self, acks: Iterable[Ack], ok_ids: Iterable[str] = ()) -> list[AckRecord]:
        """Forget acked events and keep the hub's answer; duplicates and unknown acks are ignored.

        ``ok_ids`` are events acked ok without a result (a version 2 ack message lists them bare).
        A rejected event moves to ``dead_letters`` (body and all) in the same transaction: the
        hub will not take it as it is, and nothing a person did is ever silently dropped.
        """
        plain = _PLAIN_OK
        wanted = dict.fromkeys(ok_ids, plain)
        wanted.update((a.event_id, a) for a in acks)
        done: list[AckRecord] = []
        now = utc_now()
        ids = list(wanted)
        # Losing this delete in a power cut only re-sends events the hub already has: no fsync needed.
        # (A lost dead-letter move is lost whole: the event is back in the outbox, re-sent, refused again.)
        with self.store.relaxed(), self.store.transaction("applying acks") as tx:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                rows = tx.execute(f"DELETE FROM outbox WHERE event_id IN ({','.join('?' * len(chunk))}) "
                                  "RETURNING event_id, type, seq, body, occurred_at", chunk).fetchall()
                for event_id, type_, seq, body, occurred_at in rows:
                    ack = wanted[event_id]
                    if ack is plain:
                        done.append(AckRecord(event_id, int(seq), str(type_), "ok", "", {}, now))
                        continue
                    code = ack.code or ("rejected" if ack.status != "ok" else "")
                    record = AckRecord(event_id, int(seq), str(type_), ack.status, ack.reason, dict(ack.result), now,
                                       code)
                    if ack.status != "ok" or ack.result:
                        tx.execute("INSERT OR REPLACE INTO acks VALUES (?, ?, ?, ?, ?, ?, ?)",
                                   [event_id, record.seq, record.type, record.status, record.reason,
                                    json.dumps(record.result), now])
                    if ack.status != "ok":
                        tx.execute("INSERT OR REPLACE INTO dead_letters (seq, event_id, type, body, occurred_at, code, "
                                   "reason, dead_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                   [seq, event_id, type_, body, occurred_at, code, ack.reason, now])
                    done.append(record)
        done.sort(key=lambda r: r.seq)
        return done

    def dead_letter_count(self) -> int:
        """Refused events still waiting for a person (what a status indicator shows; set aside ones not)."""
        return int(self.store.query("SELECT count(*) AS n FROM dead_letters WHERE handled_at IS NULL")[0]["n"])

    def dead_letters(self, limit: int = 1000, *, handled: bool = False) -> list[DeadLetter]:
        """The refused events waiting for a person, oldest first, with the hub's reason
        (``handled=True``: every one, set aside ones included, for an audit)."""
        where = "" if handled else "WHERE handled_at IS NULL "
        rows = self.store.query(f"SELECT * FROM dead_letters {where}ORDER BY seq LIMIT ?", [limit])
        return [DeadLetter(r["seq"], r["event_id"], r["type"], json.loads(r["body"]), r["occurred_at"], r["code"],
                           r["reason"], r["dead_at"], r["handled_by"] or "", r["handled_at"] or "") for r in rows]

    def set_aside(self, event_ids: Iterable[str], by: str) -> int:
        """Mark dead letters handled by ``by`` (a supervisor's badge), now; they stay stored, no longer
        counted. Returns how many were marked (already set aside or unknown ones are not)."""
        if not by.strip():
            raise StoreError("setting refused events aside needs who did it", where=str(self.store.path),
                             fix="pass the supervisor's badge")
        marked = 0
        now = utc_now()
        with self.store.transaction("setting dead letters aside") as tx:
            for event_id in event_ids:
                changed = tx.execute("UPDATE dead_letters SET handled_by = ?, handled_at = ? "
                                     "WHERE event_id = ? AND handled_at IS NULL", [by.strip(), now, event_id]).rowcount
                if changed:  # the hub resolves its event_refused alert with who, in the same commit as here
                    tx.outbox(SET_ASIDE, {"event_id": event_id, "by": by.strip()})
                marked += changed
        return marked

    def requeue(self, event_ids: Iterable[str]) -> int:
        """Put dead letters back in the outbox unchanged (same event id and seq), e.g. once the
        device is registered or the hub upgraded; returns how many moved."""
        moved = 0
        with self.store.transaction("re-queueing dead letters") as tx:
            for event_id in event_ids:
                moved += tx.execute("INSERT INTO outbox (seq, event_id, type, body, occurred_at) SELECT seq, event_id, "
                                    "type, body, occurred_at FROM dead_letters WHERE event_id = ?",
                                    [event_id]).rowcount
                tx.execute("DELETE FROM dead_letters WHERE event_id = ?", [event_id])
        return moved

    def ack_for(self, event_id: str) -> AckRecord | None:
        """The hub's stored answer (rejections and acks with a result are kept)."""
        rows = self.store.query("SELECT a.*, d.code FROM acks a LEFT JOIN dead_letters d USING (event_id) "
                                "WHERE a.event_id = ?", [event_id])
        if not rows:
            return None
        r = rows[0]
        return AckRecord(r["event_id"], r["seq"], r["type"], r["status"], r["reason"], json.loads(r["result"]),
                         r["acked_at"], r["code"] or ("rejected" if r["status"] != "ok" else ""))

    def _envelope(self, row: dict[str, Any]) -> Envelope:
        return Envelope(row["event_id"], self.store.device_id, row["seq"], row["occurred_at"], row["type"],
                        json.loads(row["body"]))
