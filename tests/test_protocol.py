"""Envelope, acks, topics and paging refuse what does not follow the protocol and say which field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sync.errors import ProtocolError
from sync.protocol import paging, topics
from sync.protocol.envelope import SCHEMA_VERSION, Ack, AckMessage, Envelope, decode, utc_now


def good() -> dict[str, Any]:
    return {"v": SCHEMA_VERSION, "event_id": "01936a4e-7c1d-7a2b-9f00-1234567890ab", "device_id": "st-1", "seq": 5,
            "occurred_at": "2026-11-25T06:00:00.123456Z", "type": "op.completed", "body": {"good": 4, "scrap": 1}}


def test_envelope_round_trips_through_json() -> None:
    env = Envelope("01936a4e-7c1d-7a2b-9f00-1234567890ab", "st-1", 5, utc_now(), "op.completed", {"good": 4})
    assert decode(env.encode()) == env
    down = Envelope("01936a4e-7c1d-7a2b-9f00-1234567890ab", "hub", 2, utc_now(), "alert.raised", {}, "alerts")
    assert decode(down.encode()).stream == "alerts"


@pytest.mark.parametrize(("change", "field"), [
    ({"v": 2}, "'v'"), ({"event_id": "nope"}, "'event_id'"), ({"device_id": "a/b"}, "'device_id'"),
    ({"seq": 0}, "'seq'"), ({"seq": True}, "'seq'"), ({"occurred_at": "yesterday"}, "'occurred_at'"),
    ({"type": "Order Placed"}, "'type'"), ({"body": []}, "'body'"), ({"stream": "+/#"}, "'stream'"),
])
def test_each_bad_field_is_named(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ProtocolError, match=field):
        decode(json.dumps({**good(), **change}).encode(), where="topic t")


def test_missing_field_and_bad_json_are_refused() -> None:
    data = good()
    del data["seq"]
    with pytest.raises(ProtocolError, match="'seq' is missing"):
        decode(json.dumps(data).encode())
    with pytest.raises(ProtocolError, match="not valid JSON"):
        decode(b'{"v": 1,')


def test_oversized_event_is_refused_when_encoding_and_decoding() -> None:
    env = Envelope("01936a4e-7c1d-7a2b-9f00-1234567890ab", "st-1", 1, utc_now(), "kiosk.feedback", {"t": "x" * 500})
    with pytest.raises(ProtocolError, match="above the limit"):
        env.encode(max_bytes=200)
    with pytest.raises(ProtocolError, match="above the limit"):
        decode(env.encode(), max_bytes=200)


def test_ack_message_round_trip_and_bad_status() -> None:
    msg = AckMessage([Ack("e1", 1, "ok", result={"promise_date": "2026-12-03"}), Ack("e2", 2, "rejected", "bad")], 3)
    back = AckMessage.decode(msg.encode())
    assert back == msg
    with pytest.raises(ProtocolError, match="status"):
        AckMessage.decode(b'{"v": 1, "acks": [{"event_id": "e", "seq": 1, "status": "maybe"}]}')


def test_topics_follow_the_scheme_and_up_topics_parse() -> None:
    assert topics.up("demo", "st-1", "op.started") == "floorlink/v1/demo/up/st-1/op.started"
    assert topics.ack("demo", "st-1") == "floorlink/v1/demo/ack/st-1"
    assert topics.state("demo", "st-1") == "floorlink/v1/demo/state/st-1"
    assert topics.down("demo", "station/st-1") == "floorlink/v1/demo/down/station/st-1"
    assert topics.parse_up("floorlink/v1/demo/up/st-1/op.started") == ("demo", "st-1", "op.started")
    for bad in ("floorlink/v1/demo/down/x", "floorlink/v2/demo/up/st-1/a", "floorlink/v1/demo/up/st-1"):
        with pytest.raises(ProtocolError, match="topic"):
            topics.parse_up(bad)
    with pytest.raises(ProtocolError, match="site"):
        topics.up("de mo", "st-1", "x")


def test_paging_round_trip_and_wrong_size_is_refused() -> None:
    body = {"items": list(range(3000))}
    paged = paging.split("p1", "catalog.revision", body, page_bytes=1000)
    pages = [paging.page_data(paged.manifest, part, "test") for part in paged.parts]
    assert paging.join(paged.manifest, pages, "test") == body
    with pytest.raises(ProtocolError, match="manifest hash"):
        paging.join(paged.manifest, pages[:-1], "test")
    with pytest.raises(ProtocolError, match="does not belong"):
        paging.page_data(paged.manifest, {**paged.parts[0], "index": 999}, "test")


def test_stored_event_encodes_to_the_same_bytes_as_the_envelope() -> None:
    from sync.protocol.envelope import encode_stored

    body = {"note": "Kundenwunsch: größer, 大号", "n": [1, 2.5, None, True]}
    env = Envelope("01936a4e-7c1d-7a2b-9f00-1234567890ab", "kiosk-1", 9, utc_now(), "kiosk.feedback", body)
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    assert encode_stored(env.event_id, env.device_id, env.seq, env.occurred_at, env.type, text) == env.encode()
