"""The FloorLink topic scheme, ``floorlink/v1/{site}/...`` (agreed with sync.broker.access ACLs).

- ``up/{device_id}/{event_type}``  events from a device (only that device may publish there)
- ``ack/{device_id}``              application acks from the hub, sent after its commit
- ``down/{stream}``                what the hub sends down (``catalog``, ``station/ST-1``, ``alerts``...)
- ``state/{device_id}``            retained ``online``/``offline`` (the offline one is the Last Will)
"""

from __future__ import annotations

from sync.broker.access import TOPIC_ROOT, check_name
from sync.errors import BrokerError, ProtocolError

ONLINE = b"online"
OFFLINE = b"offline"


def _root(site: str) -> str:
    try:
        check_name(site, "site")
    except BrokerError as exc:
        raise ProtocolError(exc.what, where=exc.where, fix=exc.fix) from None
    return f"{TOPIC_ROOT}/{site}"


def up(site: str, device_id: str, event_type: str) -> str:
    return f"{_root(site)}/up/{device_id}/{event_type}"


def up_filter(site: str) -> str:
    """What the hub subscribes to: every device's events."""
    return f"{_root(site)}/up/#"


def ack(site: str, device_id: str) -> str:
    return f"{_root(site)}/ack/{device_id}"


def down(site: str, stream: str) -> str:
    return f"{_root(site)}/down/{stream}"


def down_filter(site: str, stream: str) -> str:
    """Subscription for one stream and anything below it (``station/ST-1`` gets ``station/ST-1/...``)."""
    return f"{_root(site)}/down/{stream}/#" if stream.endswith("/") else f"{_root(site)}/down/{stream}"


def state(site: str, device_id: str) -> str:
    return f"{_root(site)}/state/{device_id}"


def parse_up(topic: str) -> tuple[str, str, str]:
    """``(site, device_id, event_type)`` of an up topic; :class:`ProtocolError` for anything else."""
    parts = topic.split("/")
    if len(parts) != 6 or "/".join(parts[:2]) != TOPIC_ROOT or parts[3] != "up" or not all(parts):
        raise ProtocolError("not a FloorLink up topic (floorlink/v1/{site}/up/{device_id}/{event_type})",
                            where=f"topic {topic!r}")
    return parts[2], parts[4], parts[5]
