"""Fuzzing a running hub through a real Mosquitto (issue 13 item 1): random JSON, binary, huge, deeply
nested and schema-breaking payloads on every kind of up/ topic, then 1,000 good events from a real
edge, all of which must be stored and acked; the ingest loop never dies or needs the watchdog, and
no payload makes the hub fail inside (no ``hub_error``). The default run throws a few hundred
payloads; ``-m slow`` throws thousands.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
import uuid6
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paho.mqtt.enums import CallbackAPIVersion

from sync.hub.service import HubConfig, HubService
from sync.protocol.edge import EdgeSync
from sync.protocol.schemas import load
from sync.store import Outbox, Store
from tests.test_hub_core import released_catalog

pytestmark = pytest.mark.broker
SITE = "demo"
TYPES = load().types
DEVICES = ["st-1", "kiosk-1", "dash-1", "rogue-9"]  # registered station, kiosk, dashboard; one unregistered
GOOD = "st-good"  # the device of the good events: no fuzzed envelope ever names it


@pytest.fixture
def hub(tmp_path: Path, mosquitto: Any) -> Iterator[HubService]:
    released_catalog(tmp_path / "catalog.db").close()
    service = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=mosquitto.port,
                                   devices=["station:st-1", "kiosk:kiosk-1", "dashboard:dash-1", f"station:{GOOD}"],
                                   tick_seconds=0.2)).start()
    assert service.wait_ready(20)
    yield service
    service.stop()


# --- what gets thrown ---------------------------------------------------------------------------------
_leaf = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**80), max_value=2**80),
                  st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                  st.sampled_from(["\ud800", "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59Z", "2026-11-25T06:00:00",
                                   "2026-11-25T06:00:00Z", "WO-1", "", "x" * 300]))
_json = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                                        max_size=4), max_leaves=12)


def _dumps(value: Any) -> bytes:
    """JSON the way a careless device writes it: NaN and lone surrogates included."""
    return json.dumps(value, allow_nan=True).encode("utf-8")


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """An envelope close to valid, with some fields broken and a body near its type's schema or random."""
    type_ = draw(st.sampled_from([*TYPES, "op.complete", "Op.Started", "x"]))
    now = datetime.now(UTC)
    body: Any = draw(st.one_of(
        _json,
        st.fixed_dictionaries({}, optional={"work_order": _leaf, "operation": _leaf, "at": _leaf, "good": _leaf,
                                            "scrap": _leaf, "passed": _leaf, "order_id": _leaf, "alert_id": _leaf,
                                            "by": _leaf, "stream": _leaf, "from_seq": _leaf, "n": _leaf}),
        st.just({"work_order": "WO-1", "operation": 10, "at": now.isoformat(), "good": 1, "scrap": 0}),
        st.just({"at": (now + timedelta(days=draw(st.integers(-100_000, 100_000)))).isoformat(), "n": 1}),
    ))
    data: dict[str, Any] = {"v": 1, "event_id": str(uuid6.uuid7()), "device_id": draw(st.sampled_from(DEVICES)),
                            "seq": draw(st.integers(min_value=1, max_value=50)), "occurred_at": now.isoformat(),
                            "type": type_, "body": body}
    for name in draw(st.sets(st.sampled_from(sorted(data)), max_size=3)):
        if draw(st.booleans()):
            data.pop(name)
        else:
            data[name] = draw(_json)
    return data


@st.composite
def payloads(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["json", "binary", "huge", "deep", "envelope", "batch", "nan"]))
    if kind == "json":
        return _dumps(draw(_json))
    if kind == "binary":
        return draw(st.binary(max_size=300))
    if kind == "huge":
        size = draw(st.sampled_from([200_000, 262_145, 600_000]))
        return b'{"v": 1, "body": {"x": "' + b"y" * size + b'"}}'
    if kind == "deep":
        depth = draw(st.sampled_from([33, 500, 5_000, 100_000]))
        inner = draw(st.sampled_from([b"[", b'{"a":']))
        close = b"]" if inner == b"[" else b"}"
        return inner * depth + b"1" + close * depth
    if kind == "nan":
        return _dumps({**draw(envelopes()), "seq": draw(st.sampled_from([math.nan, math.inf, 2**64, -1, 1.5]))})
    if kind == "batch":
        items = draw(st.lists(st.one_of(envelopes(), _json), max_size=5))
        return _dumps({"v": draw(st.sampled_from([2, 2, 1, "2", None])), "events": items})
    return _dumps(draw(envelopes()))


@st.composite
def up_topics(draw: st.DrawFn) -> str:
    device = draw(st.sampled_from([*DEVICES, GOOD]))
    tail = draw(st.one_of(st.sampled_from([*TYPES, "sync.batch", "op.complete"]),
                          st.sampled_from(["a/b", "#", "", "x" * 200])))
    return f"floorlink/v1/{SITE}/up/{device}/{tail}".rstrip("/")


@st.composite
def messages(draw: st.DrawFn) -> tuple[str, bytes]:
    """A payload on a random up/ topic, or an envelope on its own device's and type's topic (so it gets
    past the topic checks to the schema, kind and rule checks behind them)."""
    if draw(st.booleans()):
        data = draw(envelopes())
        device, type_ = data.get("device_id"), data.get("type")
        # only a type the broker takes as a topic level (Mosquitto drops a client publishing control characters
        # in a topic, and paho sends the same message again after reconnecting: the fuzzer would stall)
        if isinstance(device, str) and isinstance(type_, str) and device in DEVICES and type_.isascii() \
                and type_.isprintable() and type_ and not set(type_) & set("/+#"):
            return f"floorlink/v1/{SITE}/up/{device}/{type_}", _dumps(data)
    return draw(up_topics()), draw(payloads())


def _throw(port: int, examples: int) -> int:
    """Publish ``examples`` generated payloads (QoS 1, some retained) and return how many went out."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="fuzzer", protocol=paho.MQTTv5)
    client.max_inflight_messages_set(100)
    client.reconnect_delay_set(0.05, 0.5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    sent = [0]

    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(message=messages(), retain=st.sampled_from([False] * 9 + [True]))
    def throw(message: tuple[str, bytes], retain: bool) -> None:
        topic, payload = message
        if "#" in topic or "+" in topic or "\x00" in topic:
            return  # not a topic one can publish to
        try:
            client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(10)
            sent[0] += 1
        except (RuntimeError, ValueError):  # the broker dropped us (it may, for what we send): paho reconnects
            deadline = time.monotonic() + 10
            while not client.is_connected() and time.monotonic() < deadline:
                time.sleep(0.05)

    try:
        throw()
    finally:
        client.loop_stop()
        client.disconnect()
    return sent[0]


def _fuzz_then_good_events(hub: HubService, port: int, tmp_path: Path, examples: int) -> None:
    started = time.monotonic()
    thrown = _throw(port, examples)
    thrown_in = time.monotonic() - started
    assert thrown > examples // 2
    edge_store = Store(tmp_path / f"{GOOD}.db", device_id=GOOD)
    with edge_store.transaction() as tx:
        at = datetime.now(UTC).isoformat()
        for n in range(1000):
            tx.outbox("device.heartbeat", {"at": at, "station": GOOD, "worker": None, "running": [f"WO-{n}/10"]})
    edge = EdgeSync(edge_store, site=SITE, port=port, resend_after=5.0).start()
    try:
        assert edge.wait_drained(180), f"{Outbox(edge_store).pending_count()} good events were never acked"
    finally:
        edge.stop()
    assert Outbox(edge_store).dead_letter_count() == 0, [d.reason for d in Outbox(edge_store).dead_letters()[:3]]
    stored = hub.store.query("SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM events WHERE device_id = ?",
                             [GOOD])[0]
    assert (stored["n"], stored["lo"], stored["hi"]) == (1000, 1, 1000)
    assert hub.ingest.alive and hub.restarts["ingest"] == 0, "the ingest loop died (the watchdog restarted it)"
    reasons = {r["reason"]: r["n"] for r in hub.store.query(
        "SELECT reason, count(*) AS n FROM quarantine GROUP BY reason")}
    assert "hub_error" not in reasons, hub.store.query("SELECT detail FROM quarantine WHERE reason = 'hub_error'")
    assert sum(reasons.values()) > 0
    print(f"fuzz: {thrown} thrown in {thrown_in:.1f} s, 1,000 good events after {time.monotonic() - started:.1f} s;",
          reasons)
    ok, health = hub.health()
    assert ok, health
    deadline = time.monotonic() + 10  # the hub cleared what the fuzzer left retained on up/
    while hub.ingest.queue_depth() and time.monotonic() < deadline:
        time.sleep(0.1)


def test_fuzzed_payloads_on_every_up_topic_never_stop_ingest(hub: HubService, mosquitto: Any, tmp_path: Path) -> None:
    _fuzz_then_good_events(hub, mosquitto.port, tmp_path, examples=250)


@pytest.mark.slow
def test_fuzzed_payloads_long_run(hub: HubService, mosquitto: Any, tmp_path: Path) -> None:
    _fuzz_then_good_events(hub, mosquitto.port, tmp_path, examples=5000)
