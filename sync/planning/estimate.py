"""What a kiosk needs to estimate a promise date offline: a compact capacity and stock snapshot.

The hub publishes :func:`capacity_snapshot` (retained, stream ``kiosk/capacity``); a kiosk keeps the
newest and calls :func:`estimate`, which replays the hub's own planner on the snapshot, so the
offline estimate and the firm date differ only by what was booked since the snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from sync.errors import PlanningError
from sync.planning.model import CentreSpec, ItemSpec, StructureNode
from sync.planning.planner import Planner
from sync.planning.promise import promise_at
from sync.station.calendar import Shift, WeeklyShifts
from sync.store import Inbox, Store
from sync.store.snapshot import KeptSnapshot


def capacity_snapshot(planner: Planner, now: datetime) -> dict[str, Any]:
    """When each work-centre lane frees up, the calendars, and the usable stock and lead time of each item."""
    centres: dict[str, Any] = {}
    for code, centre in planner.centres.items():
        lanes = planner.lanes.get(code) or [now] * max(centre.capacity, 1)
        calendar = centre.calendar
        shifts = getattr(calendar, "shifts", None)
        centres[code] = {
            "capacity": centre.capacity,
            "free_at": [max(lane, now).isoformat() for lane in lanes],
            "busy": [[[a.isoformat(), b.isoformat()] for a, b in slot] for slot in planner.bookings(code, now)],
            "calendar": None if shifts is None else {
                "shifts": [[s.start.isoformat("minutes"), s.end.isoformat("minutes"), sorted(s.weekdays)]
                           for s in shifts],
                "holidays": sorted(d.isoformat() for d in getattr(calendar, "holidays", ())),
            },
        }
    items = {code: {"kind": spec.kind, "usable": round(planner._usable(code), 3), "lead_time_days": spec.lead_time_days,
                    "supplier": spec.supplier}
             for code, spec in planner.items.items()}
    return {"at": now.isoformat(), "centres": centres, "items": items}


def planner_from_snapshot(snapshot: Mapping[str, Any], zone: tzinfo) -> Planner:
    """A planner whose stock and work-centre queues are those the snapshot describes."""
    try:
        items = {code: ItemSpec(code, i["kind"], float(i["usable"]), 0.0, int(i["lead_time_days"]), i.get("supplier"))
                 for code, i in snapshot["items"].items()}
        centres: dict[str, CentreSpec] = {}
        lanes: dict[str, list[datetime]] = {}
        busy: dict[str, list[list[tuple[datetime, datetime]]]] = {}
        for code, c in snapshot["centres"].items():
            if "busy" in c:
                busy[code] = [[(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in slot]
                              for slot in c["busy"]]
            cal = c.get("calendar")
            calendar = None
            if cal is not None:
                shifts = [Shift(time.fromisoformat(s), time.fromisoformat(e), frozenset(days)) for s, e, days in cal["shifts"]]
                calendar = WeeklyShifts(shifts, zone, frozenset(date.fromisoformat(h) for h in cal["holidays"]))
            centres[code] = CentreSpec(code, int(c["capacity"]), calendar) if calendar else CentreSpec(code, int(c["capacity"]))
            lanes[code] = [datetime.fromisoformat(t) for t in c["free_at"]]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PlanningError(f"capacity snapshot is malformed: {exc!r}", where="kiosk/capacity",
                            fix="wait for the hub's next snapshot") from None
    if busy:  # the hub's booked intervals: the kiosk fills the same gaps the hub would
        planner = Planner(items, centres)
        planner.book(busy)
        return planner
    # An older hub's snapshot only says when each slot frees up: plan forward from there.
    planner = Planner(items, centres, scheduling="forward")
    planner.lanes = lanes
    return planner


def estimate(snapshot: Mapping[str, Any], structure: StructureNode, now: datetime, zone: tzinfo,
             *, quantity: float = 1, ship_from_stock: bool = False) -> tuple[datetime, str]:
    """The ready time and its reason for one order, planned offline on the snapshot."""
    plan = _offline_plan(snapshot, structure, now, zone, quantity, ship_from_stock)
    return plan.promise, plan.reason


def promised(snapshot: Mapping[str, Any], structure: StructureNode, now: datetime, zone: tzinfo, margin_days: int,
             *, quantity: float = 1, ship_from_stock: bool = False) -> datetime:
    """The promise the hub would give this order (sync.planning.promise), planned offline on the snapshot."""
    plan = _offline_plan(snapshot, structure, now, zone, quantity, ship_from_stock)
    return promise_at(plan.promise, zone, 0 if plan.ships_from_stock else margin_days)


def _offline_plan(snapshot: Mapping[str, Any], structure: StructureNode, now: datetime, zone: tzinfo,
                  quantity: float, ship_from_stock: bool) -> Any:
    return planner_from_snapshot(snapshot, zone).promise("estimate", structure, quantity, now,
                                                         ship_from_stock=ship_from_stock)


CAPACITY_STREAM = "kiosk/capacity"
CAPACITY_MESSAGE = "capacity.snapshot"


CAPACITY_KEPT = KeptSnapshot("capacity", "capacity_snapshot", CAPACITY_STREAM, CAPACITY_MESSAGE,
                             lambda body: planner_from_snapshot(body, UTC))


def follow_capacity(store: Store, inbox: Inbox, on_snapshot: Callable[[dict[str, Any]], None] | None = None) -> None:
    """Keep the hub's newest capacity snapshot in the node's store (and tell ``on_snapshot``); a malformed
    snapshot is refused and the last good one stays."""
    CAPACITY_KEPT.follow(store, inbox, on_snapshot)


def latest_capacity(store: Store) -> dict[str, Any] | None:
    """The newest capacity snapshot this node has, or None before the first one arrived."""
    return CAPACITY_KEPT.latest(store)
