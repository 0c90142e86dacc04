"""A small paho-mqtt client to check a broker works the way FloorLink needs it to.

Used by broker tests, the broker comparison benchmark and ``python -m sync.broker check``.
It is not the FloorLink protocol client (that lives in the protocol package); it speaks plain
MQTT with the same settings: MQTT 5, persistent sessions (clean_start off + session expiry), QoS 1.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from sync.errors import BrokerError


@dataclass
class Received:
    """Messages a probe client got, in arrival order, with a condition to wait on."""

    messages: list[mqtt.MQTTMessage] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def add(self, message: mqtt.MQTTMessage) -> None:
        with self.cond:
            self.messages.append(message)
            self.cond.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        """True once ``count`` messages arrived; False after ``timeout`` seconds."""
        with self.cond:
            return self.cond.wait_for(lambda: len(self.messages) >= count, timeout)

    @property
    def payloads(self) -> list[bytes]:
        with self.cond:
            return [bytes(m.payload) for m in self.messages]


class ProbeClient:
    """A connected paho client; ``received`` collects every message for its subscriptions."""

    def __init__(self, host: str, port: int, client_id: str, *, persistent: bool = True,
                 session_expiry: int = 3600, username: str | None = None, password: str | None = None,
                 mqtt5: bool = True, ca_file: str | None = None, timeout: float = 5.0) -> None:
        self.where = f"mqtt://{host}:{port} as {client_id}"
        self.mqtt5 = mqtt5
        self.received = Received()
        self._connected = threading.Event()
        self._connect_result: str = "no answer"
        self._subscribed = threading.Event()
        self.publish_results: list[int] = []
        protocol = mqtt.MQTTv5 if mqtt5 else mqtt.MQTTv311
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol,
                                  clean_session=None if mqtt5 else not persistent)
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        if username is not None:
            self.client.username_pw_set(username, password)
        if ca_file is not None:
            try:
                self.client.tls_set(ca_certs=ca_file)
            except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
                raise BrokerError(f"cannot use the CA certificate ({exc})", where=str(ca_file),
                                  fix="give the ca.crt `python -m sync.broker certs` made (--ca-file)") from None
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda _c, _u, message: self.received.add(message)
        self.client.on_subscribe = lambda *_args: self._subscribed.set()
        self.client.on_publish = self._on_publish
        props = None
        connect_args: dict[str, object] = {}
        if mqtt5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = session_expiry if persistent else 0
            connect_args["clean_start"] = not persistent
        try:
            self.client.connect(host, port, keepalive=30, properties=props, **connect_args)  # type: ignore[arg-type]
        except OSError as exc:  # ssl.SSLError is an OSError too
            raise BrokerError(f"cannot connect: {exc}", where=self.where, fix="is the broker running?") from None
        self.client.loop_start()
        if not self._connected.wait(timeout):
            self.close()
            raise BrokerError(f"broker refused or did not answer the connection: {self._connect_result}",
                              where=self.where)

    def _on_connect(self, _client: mqtt.Client, _userdata: object, _flags: mqtt.ConnectFlags,
                    reason: mqtt.ReasonCode, _props: Properties | None) -> None:
        self._connect_result = str(reason)
        if not reason.is_failure:
            self._connected.set()

    def _on_publish(self, _client: mqtt.Client, _userdata: object, _mid: int, reason: mqtt.ReasonCode,
                    _props: Properties | None) -> None:
        self.publish_results.append(int(reason.value))

    def subscribe(self, topic: str, qos: int = 1, timeout: float = 5.0) -> None:
        self._subscribed.clear()
        self.client.subscribe(topic, qos)
        if not self._subscribed.wait(timeout):
            raise BrokerError(f"no SUBACK for {topic}", where=self.where)

    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False,
                wait: bool = True, timeout: float = 5.0) -> mqtt.MQTTMessageInfo:
        """Publish; with ``wait`` block until the broker acknowledged it (PUBACK for QoS 1)."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        if wait:
            info.wait_for_publish(timeout)
        return info

    def close(self) -> None:
        """Disconnect cleanly (no Last Will) and stop the network thread; the session stays on the broker."""
        try:
            self.client.disconnect()
        finally:
            self.client.loop_stop()

    def __enter__(self) -> ProbeClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def wait_until(predicate: object, timeout: float, step: float = 0.02) -> bool:
    """Poll a callable until it returns true or ``timeout`` seconds pass."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())
