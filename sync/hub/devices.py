"""Device kinds: a kiosk, a station and a dashboard may each send only their own kind's events.

A kiosk that publishes ``op.started`` or ``alert.resolved`` is refused (``wrong_device_kind``),
whatever its body says: only stations record work, and only dashboards (the supervisors' devices)
settle alerts. The kind is named when the device is registered (``--device station:st-assy-1``,
``hub.devices``); a device registered without one (``--device st-assy-1``, or any device in the
demo's ``--allow-unknown-devices``) takes the kind of the first event it sends that belongs to one
kind, and keeps it. Events of no kind (``sync.resend``, ``dead_letter.set_aside``) every device may send.
"""

from __future__ import annotations

from sync.broker.access import check_name
from sync.errors import SettingsError

KIOSK = "kiosk"
STATION = "station"
DASHBOARD = "dashboard"
UNKNOWN = "edge"  # registered without a kind: fixed by its first kind-specific event
KINDS = (KIOSK, STATION, DASHBOARD)

#: the events only devices of one kind send
EVENTS: dict[str, frozenset[str]] = {
    KIOSK: frozenset({"order.placed", "order.cancelled", "kiosk.funnel", "kiosk.feedback"}),
    STATION: frozenset({"op.started", "op.paused", "op.resumed", "op.completed", "qc.recorded", "device.heartbeat"}),
    DASHBOARD: frozenset({"alert.acknowledged", "alert.resolved"}),
}
_OWNER = {type_: kind for kind, types in EVENTS.items() for type_ in types}


def kind_of_event(type_: str) -> str | None:
    """The kind of device that sends ``type_``; None when any device may (or the type is no kind's)."""
    return _OWNER.get(type_)


def allowed(kind: str, type_: str) -> bool:
    """Whether a device of ``kind`` may send ``type_`` (a device of unknown kind may send anything once)."""
    owner = _OWNER.get(type_)
    return owner is None or kind == UNKNOWN or owner == kind


def parse_device(spec: str) -> tuple[str, str]:
    """``"station:st-assy-1"`` -> ("st-assy-1", "station"); a bare id is of unknown kind."""
    kind, sep, device_id = spec.strip().rpartition(":")
    if not sep:
        kind = UNKNOWN
    elif kind not in KINDS:
        raise SettingsError(f"device {spec!r} names kind {kind!r}", where="hub.devices",
                            fix=f"write kind:id with kind one of {', '.join(KINDS)}, e.g. station:st-assy-1")
    check_name(device_id, "device id")
    return device_id, kind
