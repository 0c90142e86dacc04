"""Notifications: alerts delivered to webhooks, DingTalk and WeCom group robots, and e-mail.

Every delivery is first written to a durable queue (a SQLite table), then sent with retries
and exponential backoff, so an alert raised while a receiver is down still arrives once it is
back, and a hub restart loses nothing. Each request carries ``X-FloorLink-Delivery`` so a
receiver can drop the rare duplicate (a timeout after the receiver did take it).

Routes say which alert goes where, in a TOML file (the ``hub.notify_config`` setting)::

    [channels.ops-room]
    kind = "dingtalk"                      # webhook | dingtalk | wecom | smtp
    url = "https://oapi.dingtalk.com/robot/send?access_token=..."
    secret = "SEC..."                      # optional DingTalk signing secret

    [channels.erp]
    kind = "webhook"
    url = "http://erp.local/hooks/floorlink"

    [channels.erp-events]
    kind = "erp"                           # business events, signed (see erp_signature)
    url = "https://erp.local/hooks/floorlink-events"
    secret = "a long random string"        # HMAC-SHA256 key, shared with the ERP
    events = ["order.placed", "order.done"] # omit for all of EVENT_TYPES

    [channels.supervisors]
    kind = "smtp"
    host = "mail.local"
    port = 587
    security = "starttls"                  # starttls (default) | ssl (port 465) | none (a trusted relay only)
    username = "floorlink@shop.example"    # optional login; needs starttls or ssl
    password = "..."
    ca_file = "/etc/floorlink/mail-ca.pem" # optional: trust a private CA instead of the system's
    sender = "floorlink@shop.example"
    to = ["lead@shop.example"]

    [[routes]]
    kinds = ["overrun", "qc_rate"]         # omit for every kind
    min_severity = "warning"               # info | warning | critical
    channels = ["ops-room", "erp"]
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import sqlite3
import ssl
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import requests
import sqlite_utils

from sync.errors import SettingsError
from sync.settings import read_toml
from sync.store.database import Store

KINDS = ("webhook", "dingtalk", "wecom", "smtp", "erp")
#: business events an ``erp`` channel receives (HubCore.on_event emits them in the transaction that made them)
EVENT_TYPES = ("order.placed", "order.promise_changed", "workorder.released", "order.done", "requisition.created")
#: the headers of a signed ERP delivery
SIGNATURE_HEADER, TIMESTAMP_HEADER, EVENT_HEADER = "X-FloorLink-Signature", "X-FloorLink-Timestamp", "X-FloorLink-Event"
SMTP_SECURITY = ("starttls", "ssl", "none")
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class Channel:
    name: str
    kind: str
    url: str = ""
    secret: str = ""
    host: str = ""
    port: int = 25
    sender: str = ""
    to: tuple[str, ...] = ()
    timeout: float = 5.0
    security: str = "starttls"
    """How the mail connection is protected: STARTTLS on a plain port, TLS from the start, or none."""
    username: str = ""
    password: str = ""
    ca_file: str = ""
    events: frozenset[str] = frozenset(EVENT_TYPES)
    """Which business events an ``erp`` channel receives."""


def erp_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 with the channel's secret over ``<timestamp>.<body>`` (the raw bytes sent).

    The receiver recomputes it from the ``X-FloorLink-Timestamp`` header and the body as received, compares in
    constant time, and drops a delivery whose timestamp is older than it tolerates (a replay)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@dataclass(frozen=True)
class Route:
    channels: tuple[str, ...]
    kinds: frozenset[str] | None = None
    min_severity: str = "info"

    def matches(self, alert: Mapping[str, Any]) -> bool:
        if self.kinds is not None and alert["kind"] not in self.kinds:
            return False
        return SEVERITY_RANK.get(alert["severity"], 0) >= SEVERITY_RANK[self.min_severity]


@dataclass(frozen=True)
class NotifyConfig:
    channels: Mapping[str, Channel] = field(default_factory=dict)
    routes: tuple[Route, ...] = ()

    def targets(self, alert: Mapping[str, Any]) -> list[Channel]:
        names: list[str] = []
        for route in self.routes:
            if route.matches(alert):
                names += [n for n in route.channels if n not in names]
        return [self.channels[n] for n in names]


def load_config(path: str | Path) -> NotifyConfig:
    """Read and check a notification TOML file; errors name the file and the key."""
    file = Path(path)
    data = read_toml(file, "notification config", "fix hub.notify_config or create the file")
    channels: dict[str, Channel] = {}
    for name, raw in (data.get("channels") or {}).items():
        where = f"{file} [channels.{name}]"
        if not isinstance(raw, dict):
            raise SettingsError("must be a table", where=where)
        kind = raw.get("kind")
        if kind not in KINDS:
            raise SettingsError(f"kind is {kind!r}, not one of {', '.join(KINDS)}", where=where)
        if kind == "smtp":
            if not raw.get("host") or not raw.get("sender") or not raw.get("to"):
                raise SettingsError("an smtp channel needs host, sender and to", where=where)
            security = raw.get("security", "starttls")
            if security not in SMTP_SECURITY:
                raise SettingsError(f"security is {security!r}, not one of {', '.join(SMTP_SECURITY)}", where=where)
            if raw.get("username") and security == "none":
                raise SettingsError("a login over an unprotected connection would send the password in clear",
                                    where=where, fix='set security = "starttls" or "ssl"')
            if bool(raw.get("username")) != bool(raw.get("password")):
                raise SettingsError("username and password go together", where=where)
            if raw.get("ca_file") and not Path(str(raw["ca_file"])).expanduser().is_file():
                raise SettingsError(f"ca_file {raw['ca_file']!r} not found", where=where)
        elif not str(raw.get("url", "")).startswith(("http://", "https://")):
            raise SettingsError(f"url {raw.get('url')!r} must start with http:// or https://", where=where)
        if kind == "erp" and len(str(raw.get("secret", ""))) < 16:
            raise SettingsError("an erp channel needs a secret of at least 16 characters to sign its deliveries",
                                where=where, fix='add secret = "<a long random string shared with the ERP>"')
        events = raw.get("events", list(EVENT_TYPES))
        if not isinstance(events, list) or not set(events) <= set(EVENT_TYPES):
            raise SettingsError(f"events {events!r} must be a list of {', '.join(EVENT_TYPES)}", where=where)
        unknown = set(raw) - {"kind", "url", "secret", "host", "port", "sender", "to", "timeout", "security",
                              "username", "password", "ca_file", "events"}
        if unknown:
            raise SettingsError(f"unknown keys {sorted(unknown)}", where=where)
        to = raw.get("to", [])
        security = str(raw.get("security", "starttls"))
        default_port = 465 if security == "ssl" else 587 if security == "starttls" else 25
        channels[name] = Channel(name, kind, str(raw.get("url", "")), str(raw.get("secret", "")),
                                 str(raw.get("host", "")), int(raw.get("port", default_port)),
                                 str(raw.get("sender", "")), tuple([to] if isinstance(to, str) else to),
                                 float(raw.get("timeout", 5.0)), security, str(raw.get("username", "")),
                                 str(raw.get("password", "")), str(raw.get("ca_file", "")), frozenset(events))
    routes: list[Route] = []
    for i, raw in enumerate(data.get("routes") or []):
        where = f"{file} routes[{i}]"
        names = raw.get("channels") or []
        missing = [n for n in names if n not in channels]
        if not names or missing:
            raise SettingsError(f"channels {missing or names!r} are not defined under [channels]", where=where)
        severity = raw.get("min_severity", "info")
        if severity not in SEVERITY_RANK:
            raise SettingsError(f"min_severity {severity!r} is not one of info, warning, critical", where=where)
        kinds = raw.get("kinds")
        routes.append(Route(tuple(names), frozenset(kinds) if kinds else None, severity))
    return NotifyConfig(channels, tuple(routes))


def text_of(alert: Mapping[str, Any]) -> str:
    return f"[FloorLink {alert['severity'].upper()}] {alert['message']}"


def request_for(channel: Channel, alert: Mapping[str, Any], now_ms: int | None = None) -> tuple[str, dict[str, Any]]:
    """The URL and JSON body a channel expects (DingTalk and WeCom robots take a text message)."""
    if channel.kind == "dingtalk":
        url = channel.url
        if channel.secret:
            stamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
            digest = hmac.new(channel.secret.encode(), f"{stamp}\n{channel.secret}".encode(), hashlib.sha256).digest()
            sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
            url += ("&" if "?" in url else "?") + f"timestamp={stamp}&sign={sign}"
        return url, {"msgtype": "text", "text": {"content": text_of(alert)}}
    if channel.kind == "wecom":
        return channel.url, {"msgtype": "text", "text": {"content": text_of(alert)}}
    return channel.url, {"type": "floorlink.alert", "alert": dict(alert)}


def _notifications_1(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS notifications (id INTEGER PRIMARY KEY, alert_id INTEGER, "
               "channel TEXT NOT NULL, alert TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, "
               "next_attempt_at TEXT, last_error TEXT, sent_at TEXT)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_notifications_state_next_attempt_at "
               "ON notifications (state, next_attempt_at)")
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS idx_notifications_alert_id_channel "
               "ON notifications (alert_id, channel)")


class Notifier:
    """The durable delivery queue and its sender, on a connection of its own.

    Deliveries are queued in the transaction that raises the alert (:meth:`enqueue` with that
    transaction's connection) and sent from the notifier's own connection, each state change in its
    own committed transaction: a rollback of the hub's transaction can never undo a "sent" mark (the
    alert would be sent again) and a mark never commits half of the hub's work. A row is claimed
    (``sending``) before it goes out, so two senders never send it twice; one left ``sending`` by a
    crash goes out again at the next start (the receiver drops it by ``X-FloorLink-Delivery``)."""

    def __init__(self, store: Store, config: NotifyConfig, *,
                 max_attempts: int = 8, base_delay: float = 2.0, max_delay: float = 600.0,
                 session: requests.Session | None = None,
                 smtp_factory: Callable[[Channel], smtplib.SMTP] | None = None) -> None:
        self.store, self.config = store, config
        self.max_attempts, self.base_delay, self.max_delay = max_attempts, base_delay, max_delay
        self.http = session or requests.Session()
        self.smtp_factory = smtp_factory or smtp_connection
        store.migrate("notifications", [_notifications_1])
        with store.transaction("requeueing notifications left mid-send") as tx:
            tx.execute("UPDATE notifications SET state = 'pending' WHERE state = 'sending'")

    @property
    def rows(self) -> list[dict[str, Any]]:
        """Every queued delivery, oldest first (tests, the staff view)."""
        return self.store.query("SELECT * FROM notifications ORDER BY id")

    def enqueue(self, alert: Mapping[str, Any], now: datetime, into: sqlite3.Connection | None = None) -> int:
        """Queue the alert once per channel its routes name. ``into``: the connection whose open
        transaction raised the alert (the row commits or rolls back with it); none: a transaction of its own."""
        rows = [[alert["id"], ch.name, json.dumps(dict(alert), default=str), now.isoformat()]
                for ch in self.config.targets(alert)]
        if not rows:
            return 0
        sql = ("INSERT OR IGNORE INTO notifications (alert_id, channel, alert, state, attempts, next_attempt_at) "
               "VALUES (?, ?, ?, 'pending', 0, ?)")
        if into is not None:
            into.executemany(sql, rows)  # no commit here: the caller's transaction decides
        else:
            with self.store.transaction("queueing notifications") as tx:
                tx.db.conn.executemany(sql, rows)
        return len(rows)

    def enqueue_event(self, type_: str, body: Mapping[str, Any], now: datetime,
                      into: sqlite3.Connection | None = None) -> int:
        """Queue a business event (``EVENT_TYPES``) for every ``erp`` channel that takes it, with the same
        durable retries as alerts; ``into`` as for :meth:`enqueue`."""
        payload = {"type": type_, "occurred_at": now.isoformat(), "data": dict(body)}
        rows = [[None, ch.name, json.dumps(payload, default=str, ensure_ascii=False), now.isoformat()]
                for ch in self.config.channels.values() if ch.kind == "erp" and type_ in ch.events]
        if not rows:
            return 0
        sql = ("INSERT INTO notifications (alert_id, channel, alert, state, attempts, next_attempt_at) "
               "VALUES (?, ?, ?, 'pending', 0, ?)")
        if into is not None:
            into.executemany(sql, rows)
        else:
            with self.store.transaction("queueing events") as tx:
                tx.db.conn.executemany(sql, rows)
        return len(rows)

    def _claim(self, row_id: int) -> bool:
        with self.store.transaction("claiming a notification") as tx:
            return tx.execute("UPDATE notifications SET state = 'sending' WHERE id = ? AND state = 'pending'",
                              [row_id]).rowcount == 1

    def _settle(self, row_id: int, values: Mapping[str, Any]) -> None:
        names = ", ".join(f"{k} = ?" for k in values)
        with self.store.transaction("recording a delivery") as tx:
            tx.execute(f"UPDATE notifications SET {names} WHERE id = ?", [*values.values(), row_id])

    def deliver_due(self, now: datetime) -> int:
        """Send what is due; failures are retried later with backoff. Returns how many were sent."""
        sent = 0
        due = self.store.query("SELECT * FROM notifications WHERE state = 'pending' AND next_attempt_at <= ? "
                               "ORDER BY id", [now.isoformat()])
        for row in due:
            channel = self.config.channels.get(row["channel"])
            if channel is None:
                self._settle(row["id"], {"state": "failed", "last_error": "channel no longer configured"})
                continue
            if not self._claim(row["id"]):
                continue  # another sender has it, or it was settled meanwhile
            alert = json.loads(row["alert"])
            try:
                self._send(channel, alert, row["id"])
            except (requests.RequestException, OSError, smtplib.SMTPException, DeliveryRefused) as exc:
                attempts = row["attempts"] + 1
                delay = min(self.base_delay * 2 ** (attempts - 1), self.max_delay)
                self._settle(row["id"], {
                    "attempts": attempts, "last_error": str(exc)[:500],
                    "state": "failed" if attempts >= self.max_attempts else "pending",
                    "next_attempt_at": (now + timedelta(seconds=delay)).isoformat()})
                continue
            except BaseException:
                self._settle(row["id"], {"state": "pending"})  # an unexpected failure: try again, never lose it
                raise
            self._settle(row["id"], {"state": "sent", "attempts": row["attempts"] + 1,
                                     "sent_at": now.isoformat(), "last_error": None})
            sent += 1
        return sent

    def _send(self, channel: Channel, alert: Mapping[str, Any], delivery: int) -> None:
        if channel.kind == "smtp":
            msg = EmailMessage()
            msg["Subject"] = text_of(alert)[:120]
            msg["From"] = channel.sender
            msg["To"] = ", ".join(channel.to)
            msg["X-FloorLink-Delivery"] = str(delivery)
            msg.set_content(json.dumps(dict(alert), indent=2, ensure_ascii=False, default=str))
            with self.smtp_factory(channel) as smtp:
                if channel.username:
                    smtp.login(channel.username, channel.password)
                smtp.send_message(msg)
            return
        if channel.kind == "erp":
            payload = alert if "type" in alert and "data" in alert else {"type": "alert", "data": dict(alert)}
            raw = json.dumps({**payload, "delivery": delivery}, default=str, ensure_ascii=False,
                             separators=(",", ":")).encode()
            stamp = str(int(time.time()))
            response = self.http.post(channel.url, data=raw, timeout=channel.timeout, headers={
                "Content-Type": "application/json", "X-FloorLink-Delivery": str(delivery),
                TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: erp_signature(channel.secret, stamp, raw),
                EVENT_HEADER: str(payload["type"])})
            if response.status_code >= 300:
                raise DeliveryRefused(f"{channel.name}: HTTP {response.status_code}")
            return
        url, body = request_for(channel, alert)
        response = self.http.post(url, json=body, timeout=channel.timeout,
                                  headers={"X-FloorLink-Delivery": str(delivery)})
        if response.status_code >= 300:
            raise DeliveryRefused(f"{channel.name}: HTTP {response.status_code}")
        if channel.kind in ("dingtalk", "wecom"):
            try:
                code = response.json().get("errcode", 0)
            except ValueError:
                code = 0
            if code:
                raise DeliveryRefused(f"{channel.name}: robot answered errcode {code}")


def smtp_connection(channel: Channel) -> smtplib.SMTP:
    """A connection protected as the channel says; the server's certificate is always checked."""
    context = ssl.create_default_context(cafile=str(Path(channel.ca_file).expanduser()) if channel.ca_file else None)
    if channel.security == "ssl":
        return smtplib.SMTP_SSL(channel.host, channel.port, timeout=channel.timeout, context=context)
    smtp = smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout)
    if channel.security == "starttls":
        try:
            smtp.starttls(context=context)  # refuses (SMTPNotSupportedError) a server that offers no STARTTLS
        except BaseException:
            smtp.close()
            raise
    return smtp


class DeliveryRefused(Exception):
    """The receiver answered, but not with success: retry later."""
