"""The one FloorLink message envelope (versioned JSON) and the application ack.

Every event an edge sends and every message the hub sends down travels in an :class:`Envelope`.
The hub answers events with :class:`Ack` entries batched in an :class:`AckMessage`; an ack is sent
only after the hub committed the event, so it, not the broker's PUBACK, is what makes an edge
forget the event.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sync.errors import ProtocolError

SCHEMA_VERSION = 1
MAX_PAYLOAD_BYTES = 256 * 1024
_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_STREAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,127}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_UUID_ANY = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
#: an ISO 8601 time with a zone, years 2000-2099 (docs/schemas/envelope.schema.json says the same): year 1 or
#: 9999 overflowed the hub's calendar arithmetic, and a time without a zone means nothing on another machine
TIME_PATTERN = r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"
_TIME = re.compile(TIME_PATTERN)
#: SQLite's largest integer: a larger seq overflowed the hub's insert (OverflowError) and stopped ingest
MAX_SEQ = 2**63 - 1
#: containers nested deeper than this are refused (a 100,000-deep payload raised RecursionError)
MAX_DEPTH = 32
AckStatus = Literal["ok", "rejected"]
# One encoder made once: json.dumps(..., separators=..., ensure_ascii=False) builds a new one per call,
# which was a visible share of the hub's time per event in a backlog.
compact_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


#: json.loads refusing NaN and Infinity (Python's default reads them; the hub then answered invalid JSON)
loads = json.JSONDecoder(parse_constant=_no_constant).decode


def parse(payload: bytes | str) -> Any:
    """Strict JSON (UTF-8, no NaN/Infinity, nesting at most :data:`MAX_DEPTH`); ValueError names what is wrong.

    Every parse of something a device sent goes through here: a RecursionError or a lone
    surrogate must never escape as anything but a refusal.
    """
    try:
        text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
        data = loads(text)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8: {exc}") from None
    if (text.count("{") + text.count("[")) > MAX_DEPTH and _too_deep(data, MAX_DEPTH):  # only then can it be
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    return data


_CONTAINERS = (dict, list)


def _too_deep(value: Any, levels: int) -> bool:
    """Whether containers nest below ``value`` more than ``levels`` deep; recursion at most ``levels`` deep,
    and only into containers (a batch of 500 small events costs about a microsecond each)."""
    if levels <= 0:
        return True
    for child in (value.values() if type(value) is dict else value):
        if type(child) in _CONTAINERS and _too_deep(child, levels - 1):
            return True
    return False


def check_time(text: str) -> datetime:
    """An aware datetime from an envelope or body time; ValueError for another form, no zone or a year
    outside 2000-2099."""
    if not _TIME.match(text):
        raise ValueError(f"{text!r} is not an ISO 8601 time with a zone in the years 2000-2099")
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def utc_now() -> str:
    """An ISO 8601 UTC timestamp with microseconds, the format of ``occurred_at``."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Envelope:
    """One event or down message.

    ``seq`` counts per ``stream`` from 1 without gaps; for edge events the stream is the
    device id, for down messages it names what flows (``catalog``, ``station/ST-1``...).
    """

    event_id: str
    device_id: str
    seq: int
    occurred_at: str
    type: str
    body: dict[str, Any]
    stream: str = ""
    v: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if not self.stream:
            object.__setattr__(self, "stream", self.device_id)

    def to_dict(self) -> dict[str, Any]:
        data = {"v": self.v, "event_id": self.event_id, "device_id": self.device_id, "seq": self.seq,
                "occurred_at": self.occurred_at, "type": self.type, "body": self.body}
        if self.stream != self.device_id:
            data["stream"] = self.stream
        return data

    def encode(self, max_bytes: int = MAX_PAYLOAD_BYTES) -> bytes:
        """Compact UTF-8 JSON; :class:`ProtocolError` when larger than ``max_bytes`` (page it instead)."""
        payload = compact_json(self.to_dict()).encode("utf-8")
        if len(payload) > max_bytes:
            raise ProtocolError(f"{self.type} event is {len(payload)} bytes, above the limit of {max_bytes}",
                                where=f"event {self.event_id}", fix="send large content paged (sync.protocol.paging)")
        return payload


def encode_stored(event_id: str, device_id: str, seq: int, occurred_at: str, type: str, body_json: str) -> bytes:
    """The bytes :meth:`Envelope.encode` gives, from an event whose body is already compact JSON.

    The outbox keeps bodies as JSON text; re-parsing and re-serialising them for every send
    cost the edge about a third of its time per event.
    """
    d = json.dumps
    return (f'{{"v":{SCHEMA_VERSION},"event_id":{d(event_id)},"device_id":{compact_json(device_id)},'
            f'"seq":{int(seq)},"occurred_at":{d(occurred_at)},"type":{d(type)},"body":{body_json}}}').encode()


def _field(data: dict[str, Any], name: str, kind: type | tuple[type, ...], where: str) -> Any:
    if name not in data:
        raise ProtocolError(f"envelope field {name!r} is missing", where=where)
    value = data[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ProtocolError(f"envelope field {name!r} has the wrong type ({type(value).__name__})", where=where)
    return value


def decode(payload: bytes, *, where: str = "payload", max_bytes: int = MAX_PAYLOAD_BYTES) -> Envelope:
    """Parse and check an envelope; every problem is a :class:`ProtocolError` naming the field."""
    if len(payload) > max_bytes:
        raise ProtocolError(f"payload is {len(payload)} bytes, above the limit of {max_bytes}", where=where)
    try:
        data = parse(payload)
    except ValueError as exc:
        raise ProtocolError(f"payload is not valid JSON: {exc}", where=where) from None
    return from_dict(data, where=where)


def from_dict(data: Any, *, where: str = "payload") -> Envelope:
    """Check an already parsed envelope (one event of a batch message, see :func:`encode_batch`)."""
    try:  # the common case, a well-formed event, checked in one go; anything else the long way below
        event_id, device_id, seq, occurred_at = data["event_id"], data["device_id"], data["seq"], data["occurred_at"]
        kind, body = data["type"], data["body"]
        if (data["v"] == SCHEMA_VERSION and type(data["v"]) is int and type(event_id) is str and _UUID.match(event_id)
                and type(device_id) is str and _ID.match(device_id) and type(seq) is int and 1 <= seq <= MAX_SEQ
                and type(occurred_at) is str and _TIME.match(occurred_at) and type(kind) is str and _TYPE.match(kind)
                and type(body) is dict and "stream" not in data):
            datetime.fromisoformat(occurred_at.replace("Z", "+00:00"))
            return Envelope(event_id, device_id, seq, occurred_at, kind, body, device_id)
    except (KeyError, TypeError, ValueError):
        pass
    return _checked(data, where)


def _checked(data: Any, where: str) -> Envelope:
    """Every check of an envelope in order, the first failing one raised with the field named."""
    if not isinstance(data, dict):
        raise ProtocolError("payload is not a JSON object", where=where)
    version = _field(data, "v", int, where)
    if version != SCHEMA_VERSION:
        raise ProtocolError(f"envelope schema version {version} is not supported (this side speaks {SCHEMA_VERSION})",
                            where=f"{where} field 'v'", fix="upgrade the older side")
    event_id = _field(data, "event_id", str, where)
    if not _UUID_ANY.match(event_id):  # docs/schemas/envelope.schema.json: hex digits, hyphens optional
        raise ProtocolError(f"envelope field 'event_id' is not a UUID: {event_id!r:.80}", where=where)
    device_id = _field(data, "device_id", str, where)
    if not _ID.match(device_id):
        raise ProtocolError(f"envelope field 'device_id' is not a valid device id: {device_id!r}", where=where)
    seq = _field(data, "seq", int, where)
    if not 1 <= seq <= MAX_SEQ:
        raise ProtocolError(f"envelope field 'seq' must be from 1 to 2^63-1, got {seq}", where=where)
    occurred_at = _field(data, "occurred_at", str, where)
    try:
        check_time(occurred_at)
    except ValueError as exc:
        raise ProtocolError(f"envelope field 'occurred_at': {exc}", where=where) from None
    kind = _field(data, "type", str, where)
    if not _TYPE.match(kind):
        raise ProtocolError(f"envelope field 'type' is not a dotted lower-case name: {kind!r}", where=where)
    body = _field(data, "body", dict, where)
    stream = data.get("stream", device_id)
    if not isinstance(stream, str) or not _STREAM.match(stream):
        raise ProtocolError(f"envelope field 'stream' is not a valid stream name: {stream!r}", where=where)
    return Envelope(event_id, device_id, seq, occurred_at, kind, body, stream, version)


def address_of(data: Any) -> tuple[str, str, int] | None:
    """``(device_id, event_id, seq)`` of a refused envelope when it names them plainly, else None.

    The hub answers a refused event only when it can say which event it means; garbage that
    does not name its device, event id and sequence stays in the hub's quarantine alone.
    """
    if not isinstance(data, dict):
        return None
    device_id, event_id, seq = data.get("device_id"), data.get("event_id"), data.get("seq")
    if not isinstance(device_id, str) or not isinstance(event_id, str) or not 0 < len(event_id) <= 64:
        return None
    try:  # an id that cannot travel as UTF-8 (a lone surrogate) cannot be answered either
        event_id.encode("utf-8")
        device_id.encode("utf-8")
    except UnicodeEncodeError:
        return None
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQ:
        return None
    return device_id, event_id, seq


@dataclass(frozen=True)
class Ack:
    """The hub's answer to one event, sent after its commit; ``result`` carries e.g. a promise date."""

    event_id: str
    seq: int
    status: AckStatus = "ok"
    reason: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    code: str = ""  # why, machine-readable, for a rejection: "rejected" (the hub's rules) or a quarantine reason

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"event_id": self.event_id, "seq": self.seq, "status": self.status}
        if self.reason:
            data["reason"] = self.reason
        if self.code:
            data["code"] = self.code
        if self.result:
            data["result"] = self.result
        return data


@dataclass(frozen=True)
class AckMessage:
    """Acks for one device from one hub commit; ``resend_from`` asks for a re-send after a gap.

    Version 1 lists every event in ``acks``. Version 2 (sent only to a device that sent an
    :func:`encode_batch` batch, so it reads it) adds ``ok``: the event ids acked ``ok`` without a
    result, as plain strings; ``acks`` then holds only rejections and acks with a result.
    ``batch_max``/``batch_bytes`` (any version) tell the device the hub takes batches that big.
    """

    acks: list[Ack]
    resend_from: int | None = None
    v: int = SCHEMA_VERSION
    ok: list[str] = field(default_factory=list)
    batch_max: int = 0
    batch_bytes: int = 0

    def encode(self) -> bytes:
        data: dict[str, Any] = {"v": self.v, "acks": [a.to_dict() for a in self.acks]}
        if self.ok:
            data["ok"] = self.ok
        if self.resend_from is not None:
            data["resend_from"] = self.resend_from
        if self.batch_max:
            data["batch_max"], data["batch_bytes"] = self.batch_max, self.batch_bytes
        return compact_json(data).encode("utf-8")

    @classmethod
    def decode(cls, payload: bytes, *, where: str = "ack") -> AckMessage:
        try:
            data = json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ProtocolError(f"ack is not valid JSON: {exc}", where=where) from None
        if not isinstance(data, dict):
            raise ProtocolError("ack is not a JSON object", where=where)
        version = _field(data, "v", int, where)
        if version not in ACK_VERSIONS:
            raise ProtocolError(f"ack schema version {version} is not supported", where=f"{where} field 'v'")
        acks = []
        for i, raw in enumerate(_field(data, "acks", list, where)):
            at = f"{where} acks[{i}]"
            if not isinstance(raw, dict):
                raise ProtocolError("ack entry is not an object", where=at)
            status = _field(raw, "status", str, at)
            if status not in ("ok", "rejected"):
                raise ProtocolError(f"ack field 'status' is {status!r}, not 'ok' or 'rejected'", where=at)
            result = raw.get("result", {})
            if not isinstance(result, dict):
                raise ProtocolError("ack field 'result' is not an object", where=at)
            acks.append(Ack(_field(raw, "event_id", str, at), _field(raw, "seq", int, at), status,  # type: ignore[arg-type]
                            str(raw.get("reason", "")), result, str(raw.get("code", ""))))
        resend = data.get("resend_from")
        if resend is not None and (not isinstance(resend, int) or isinstance(resend, bool)):
            raise ProtocolError("ack field 'resend_from' is not an integer", where=where)
        ok = data.get("ok", [])
        if not isinstance(ok, list) or not all(isinstance(i, str) for i in ok):
            raise ProtocolError("ack field 'ok' is not a list of event ids", where=where)
        batch_max, batch_bytes = data.get("batch_max", 0), data.get("batch_bytes", 0)
        if not isinstance(batch_max, int) or not isinstance(batch_bytes, int):
            raise ProtocolError("ack fields 'batch_max'/'batch_bytes' are not integers", where=where)
        return cls(acks, resend, version, ok, max(0, batch_max), max(0, batch_bytes))


ACK_VERSIONS = (1, 2)
BATCH_VERSION = 2
BATCH_TYPE = "sync.batch"  # the topic's last level for a batch: up/{device_id}/sync.batch
RESEND_TYPE = "sync.resend"  # an edge missing down messages: {"stream": ..., "from_seq": n}


def encode_batch(events: list[bytes]) -> bytes:
    """Several encoded envelopes of one device in one message: ``{"v":2,"events":[...]}``.

    One MQTT message per event cost the edge, the broker and the hub most of their time in a
    backlog; the envelopes inside are the same v1 envelopes, checked one by one at the hub.
    """
    return b'{"v":2,"events":[' + b",".join(events) + b"]}"


def decode_batch(payload: bytes, *, where: str = "batch") -> list[Any]:
    """The (still unchecked) envelopes of a batch; :class:`ProtocolError` if it is not one."""
    try:
        data = parse(payload)
    except ValueError as exc:
        raise ProtocolError(f"batch is not valid JSON: {exc}", where=where) from None
    if not isinstance(data, dict):
        raise ProtocolError("batch is not a JSON object", where=where)
    if _field(data, "v", int, where) != BATCH_VERSION:
        raise ProtocolError(f"batch version {data['v']} is not supported (this side speaks {BATCH_VERSION})",
                            where=f"{where} field 'v'", fix="upgrade the older side")
    events = _field(data, "events", list, where)
    if not events:
        raise ProtocolError("batch has no events", where=where)
    return events
