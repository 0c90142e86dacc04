"""One MQTT connection as FloorLink wants it, on paho-mqtt 2.x.

MQTT 5 with a persistent session (clean_start off, session expiry), QoS 1, TCP_NODELAY on the
socket (acks are small and latency matters), automatic reconnect with exponential backoff, and
a retained ``online``/``offline`` state per device whose ``offline`` is the Last Will.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from sync.errors import BrokerError, SettingsError
from sync.protocol import topics
from sync.settings import Settings

log = logging.getLogger(__name__)

MessageHandler = Callable[[str, bytes], None]
REFUSED_LOGIN = "broker refused the connection"
REFUSED_MESSAGE = "broker refused a message"
"""How ``last_error`` begins when the broker refused this account or one of its messages (a station's bar
says so in words: terminal.station.status)."""


class MqttLink:
    """A started/stopped MQTT 5 connection; ``on_message(topic, payload)`` runs on paho's thread."""

    def __init__(self, *, client_id: str, site: str, host: str = "127.0.0.1", port: int = 1883,
                 subscriptions: Sequence[str] = (), on_message: MessageHandler | None = None,
                 on_connection: Callable[[bool], None] | None = None, username: str = "", password: str = "",
                 tls: bool = False, ca_file: str = "", keepalive: int = 15, session_expiry: int = 7 * 24 * 3600,
                 state_device: str | None = None, reconnect_min: float = 0.1, reconnect_max: float = 0.5,
                 max_inflight: int = 1000, on_retained: MessageHandler | None = None) -> None:
        self.client_id = client_id
        self.site = site
        self.host = host
        self.port = port
        self.subscriptions = list(subscriptions)
        self.on_message = on_message
        self.on_connection = on_connection
        # Given: the broker sends no retained copies when we subscribe (retain handling 2), and a
        # message published with the retain flag goes here instead of on_message (retain as published).
        self.on_retained = on_retained
        self.keepalive = keepalive
        self.session_expiry = session_expiry
        self.state_topic = topics.state(site, state_device) if state_device else None
        self._connected = threading.Event()
        self._down_since = time.monotonic()
        self._subscribed = threading.Event()
        self._subacks = 0
        self.last_error = ""
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
        client.reconnect_delay_set(reconnect_min, reconnect_max)  # type: ignore[arg-type]  # floats work
        client.max_inflight_messages_set(max_inflight)
        client.max_queued_messages_set(0)
        self._username = username
        if username:
            client.username_pw_set(username, password or None)
        if tls:
            try:
                client.tls_set(ca_certs=ca_file or None, cert_reqs=ssl.CERT_REQUIRED)
            except (OSError, ValueError) as exc:  # missing file, not a certificate (ssl.SSLError is an OSError)
                raise SettingsError(f"cannot use the CA file {ca_file!r} ({exc})", where="setting mqtt.ca_file",
                                    fix="copy the site's ca.crt from the hub box there (docs/install.md) "
                                        "or correct mqtt.ca_file") from None
        if self.state_topic:
            client.will_set(self.state_topic, topics.OFFLINE, qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_socket_open = self._on_socket_open
        client.on_subscribe = self._on_subscribe
        client.on_publish = self._on_publish
        self.client = client

    @classmethod
    def from_settings(cls, settings: Settings, *, client_id: str | None = None, **options: Any) -> MqttLink:
        """The connection the settings describe ([mqtt] and [node])."""
        device = settings.get("node.device_id")
        return cls(client_id=client_id or device, site=settings.get("node.site"), host=settings.get("mqtt.host"),
                   port=settings.get("mqtt.port"), username=settings.get("mqtt.username"),
                   password=settings.get("mqtt.password"), tls=settings.get("mqtt.tls"),
                   ca_file=settings.get("mqtt.ca_file"), keepalive=settings.get("mqtt.keepalive"),
                   session_expiry=settings.get("mqtt.session_expiry"), **options)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def down_for(self) -> float:
        """Seconds since the link was last connected (since it started, before its first connection); 0 when
        connected. What a health check judges: a moment's reconnect is no outage."""
        return 0.0 if self.connected else time.monotonic() - self._down_since

    def start(self) -> MqttLink:
        """Connect in the background; paho keeps reconnecting with backoff until :meth:`stop`."""
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.session_expiry
        props.ReceiveMaximum = 65535
        try:
            self.client.connect_async(self.host, self.port, self.keepalive, clean_start=False, properties=props)
        except (OSError, ValueError) as exc:
            raise BrokerError(f"cannot connect to the broker: {exc}", where=f"{self.host}:{self.port}") from None
        self.client.loop_start()
        return self

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def wait_subscribed(self, timeout: float) -> bool:
        """True once the broker confirmed every subscription (messages for them are then kept)."""
        return self._subscribed.wait(timeout) if self.subscriptions else self.wait_connected(timeout)

    def stop(self) -> None:
        """Say ``offline`` (retained), then disconnect cleanly; the session stays on the broker."""
        if self.connected and self.state_topic:
            info = self.client.publish(self.state_topic, topics.OFFLINE, qos=1, retain=True)
            try:
                info.wait_for_publish(2.0)
            except (RuntimeError, ValueError):
                pass
        self.client.disconnect()
        self.client.loop_stop()
        self._connected.clear()

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> paho.MQTTMessageInfo:
        return self.client.publish(topic, payload, qos=qos, retain=retain)

    # --- paho callbacks (paho's network thread) ---------------------------------------------------
    def _on_socket_open(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            pass

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            error = f"{REFUSED_LOGIN}: {reason}"
            if error != self.last_error:  # once per change, not on every retry
                log.warning("%s (user %r): check mqtt.username and mqtt.password", error, self._username)
            self.last_error = error
            return
        for topic in self.subscriptions:
            if self.on_retained is not None:
                client.subscribe(topic, options=SubscribeOptions(qos=1, retainAsPublished=True, retainHandling=2))
            else:
                client.subscribe(topic, qos=1)
        if self.state_topic:
            client.publish(self.state_topic, topics.ONLINE, qos=1, retain=True)
        self.last_error = ""
        self._connected.set()
        if self.on_connection:
            self.on_connection(True)

    def _on_publish(self, client: paho.Client, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        """A message the broker would not take (MQTT 5 PUBACK 'Not authorized'): a device whose id is not its
        account's, or a wrong site, published into topics it may not use, and showed 'Online' for ever."""
        if reason is None or not getattr(reason, "is_failure", False):
            return
        error = f"{REFUSED_MESSAGE}: {reason}"
        if error != self.last_error:  # once per change, not for every message
            log.warning("%s (user %r, client %r): node.device_id must equal mqtt.username and node.site must be "
                        "the site the broker account was made for", error, self._username, self.client_id)
        self.last_error = error

    def _on_subscribe(self, client: paho.Client, userdata: Any, mid: int, reasons: Any, props: Any) -> None:
        self._subacks += 1
        if self._subacks >= len(self.subscriptions):
            self._subscribed.set()

    def _on_disconnect(self, client: paho.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if self._connected.is_set():
            self._down_since = time.monotonic()
        self._connected.clear()
        if reason is not None and getattr(reason, "is_failure", False) \
                and not self.last_error.startswith((REFUSED_LOGIN, REFUSED_MESSAGE)):  # keep the reason a person can act on
            self.last_error = f"disconnected: {reason}"
        if self.on_connection:
            self.on_connection(False)

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        if message.retain and self.on_retained is not None:
            self.on_retained(message.topic, bytes(message.payload))
        elif self.on_message:
            self.on_message(message.topic, bytes(message.payload))
