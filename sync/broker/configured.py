"""The broker the settings ask for (``[broker] kind``), so the demo command starts it in one line.

    broker = broker_from_settings(settings.load())
    if broker is not None:
        broker.start()          # then point clients at broker.host / broker.port
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from sync.broker.embedded import EmbeddedBroker
from sync.broker.mosquitto import Mosquitto
from sync.settings import Settings


class Broker(Protocol):
    """What the demo and tools need from either broker."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    @property
    def running(self) -> bool: ...

    def start(self) -> Broker: ...

    def stop(self) -> None: ...

    def kill(self) -> None: ...


def broker_dir(values: Settings, given: str | Path | None = None) -> Path:
    """``given``, else broker.data_dir, else <node.data_dir>/broker."""
    folder = given or values.get("broker.data_dir") or Path(values.get("node.data_dir")) / "broker"
    return Path(folder).expanduser()


def broker_from_settings(values: Settings, *, data_dir: str | Path | None = None, host: str | None = None,
                         port: int | None = None) -> Mosquitto | EmbeddedBroker | None:
    """A not yet started broker of kind ``broker.kind``; None for ``none`` (an external broker is used)."""
    kind = values.get("broker.kind")
    if kind == "none":
        return None
    host = host or values.get("broker.host")
    port = values.get("broker.port") if port is None else port
    folder = broker_dir(values, data_dir)
    if kind == "mosquitto":
        return Mosquitto(folder, host=host, port=port, site=values.get("node.site"),
                         autosave_interval=values.get("broker.autosave_interval"),
                         max_queued_messages=values.get("broker.max_queued_messages"),
                         binary=values.get("broker.mosquitto_binary"))
    return EmbeddedBroker(host, port, folder, max_payload_size=values.get("broker.max_payload_size"))
