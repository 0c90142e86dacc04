"""A FloorLink device written from docs/protocol.md and docs/schemas/ alone: paho-mqtt and JSON Schema.

It imports nothing from FloorLink (``sync``, ``kiosk``, ``terminal``); tests/test_protocol_station.py
checks that, and drives a whole station with it against a real Mosquitto and a real hub process.
Every event it sends is first validated against the documented schema of its type, as a third
party would, so the test also proves the schemas describe what the hub accepts.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import paho.mqtt.client as mqtt
import referencing
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

BASE = "https://floorlink.example/schemas/"  # the schemas' $id prefix (docs/protocol.md)


def schema_registry(folder: Path) -> tuple[referencing.Registry[Any], dict[str, dict[str, Any]]]:
    """The envelope and every event type's schema, resolvable by their $id."""
    files = [folder / "envelope.schema.json", *sorted((folder / "events").glob("*.schema.json"))]
    schemas = {str(f.relative_to(folder)): json.loads(f.read_text(encoding="utf-8")) for f in files}
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (BASE + name, referencing.Resource.from_contents(s)) for name, s in schemas.items())
    by_type = {s["properties"]["type"]["const"]: s for name, s in schemas.items() if name.startswith("events/")}
    return registry, by_type


class Device:
    """One device: a persistent MQTT 5 session, its own seq counter, acks collected by event id."""

    def __init__(self, device_id: str, *, site: str, port: int, schemas: Path, host: str = "127.0.0.1",
                 follow: list[str] | None = None) -> None:
        self.device_id = device_id
        self.site = site
        self.host, self.port = host, port
        self.follow = follow or []
        self.registry, self.schemas = schema_registry(schemas)
        self.seq = 0
        self.acks: dict[str, dict[str, Any]] = {}
        self.down: list[dict[str, Any]] = []
        self.changed = threading.Condition()
        self.client: mqtt.Client | None = None

    # --- connection -------------------------------------------------------------------------------
    def connect(self) -> Device:
        """Connect with clean_start off, so the broker keeps acks and down messages while we are away."""
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.device_id, protocol=mqtt.MQTTv5)
        client.on_message = self._on_message
        subscribed = threading.Event()
        client.on_subscribe = lambda *args: subscribed.set()
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        client.connect(self.host, self.port, keepalive=15, clean_start=False, properties=props)
        client.loop_start()
        topics = [(f"floorlink/v1/{self.site}/ack/{self.device_id}", 1)]
        topics += [(f"floorlink/v1/{self.site}/down/{stream}", 1) for stream in self.follow]
        client.subscribe(topics)
        if not subscribed.wait(10):
            raise TimeoutError("the broker did not confirm the subscriptions")
        self.client = client
        return self

    def disconnect(self) -> None:
        """Drop the connection (the session, and what is queued for it, stays on the broker)."""
        assert self.client is not None
        self.client.disconnect()
        self.client.loop_stop()
        self.client = None

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        data = json.loads(message.payload)
        with self.changed:
            if "/ack/" in message.topic:
                for ack in data.get("acks", []):
                    self.acks[ack["event_id"]] = ack
                for event_id in data.get("ok", []):  # version 2 acks list plain oks as bare ids
                    self.acks[event_id] = {"event_id": event_id, "status": "ok"}
            else:
                self.down.append(data)
            self.changed.notify_all()

    # --- events -----------------------------------------------------------------------------------
    def event(self, type_: str, body: dict[str, Any], *, check: bool = True) -> dict[str, Any]:
        """A new envelope with the next seq; checked against the documented schema of its type."""
        self.seq += 1
        envelope = {"v": 1, "event_id": str(uuid.uuid4()), "device_id": self.device_id, "seq": self.seq,
                    "occurred_at": datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
                    "type": type_, "body": body}
        if check:
            jsonschema.Draft202012Validator(self.schemas[type_], registry=self.registry).validate(envelope)
        return envelope

    def publish(self, envelope: dict[str, Any]) -> None:
        assert self.client is not None, "not connected"
        topic = f"floorlink/v1/{self.site}/up/{self.device_id}/{envelope['type']}"
        self.client.publish(topic, json.dumps(envelope).encode("utf-8"), qos=1).wait_for_publish(10)

    def send(self, type_: str, body: dict[str, Any], *, timeout: float = 20, check: bool = True) -> dict[str, Any]:
        """Publish an event and wait for the hub's application ack (sent after its commit)."""
        envelope = self.event(type_, body, check=check)
        self.publish(envelope)
        return self.ack(envelope["event_id"], timeout)

    def ack(self, event_id: str, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while event_id not in self.acks:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no ack for {event_id}")
                self.changed.wait(left)
            return self.acks[event_id]

    def wait_down(self, type_: str, timeout: float = 20) -> dict[str, Any]:
        """The first down message of ``type_`` (e.g. a released work order)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = [m for m in self.down if m.get("type") == type_]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {type_} message")
                self.changed.wait(left)


def now() -> str:
    """The body's ``at``: the person's action time, ISO 8601 with a zone."""
    return datetime.now(UTC).isoformat()
