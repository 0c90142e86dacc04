"""A rough, clearly labelled delivery estimate the kiosk can give offline.

The firm promise date comes from the hub's planner (capacity, queue); until it acks, the kiosk
only knows the catalog: purchased parts short of stock wait for their lead time (calendar days, as
the hub's planner counts it), outsourced
operations take theirs, and the routing's standard minutes take working days. This ignores the
queue of other orders, so the screen always calls it a rough estimate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from sync.catalog import Product
from sync.configurator.product import resolve_bom, resolve_routing
from sync.planning.promise import add_working_days, promised_day

WORKDAY_MINUTES = 8 * 60


@dataclass(frozen=True)
class RoughEstimate:
    working_days: int
    ready_by: date
    material_days: int
    outsourced_days: int
    work_minutes: Decimal


def rough_estimate(product: Product, configuration: Mapping[str, str], today: date) -> RoughEstimate:
    """Days from ``today`` for a full ``configuration``: material wait + outsourcing + own work; none when the
    catalog's stock has the build on the shelf (the hub ships it from stock the same way)."""
    from sync.planning import from_catalog

    finished = product.items.get(product.item)
    if (finished is not None and from_catalog.ships_from_stock(product, configuration)
            and finished.stock - finished.safety_stock >= 1):
        return RoughEstimate(0, today, 0, 0, Decimal(0))
    needed: dict[str, Decimal] = {}
    for line in resolve_bom(product, configuration):
        if line.kind == "purchased":
            needed[line.item] = needed.get(line.item, Decimal(0)) + line.qty
    material_days = 0
    for code, qty in needed.items():
        item = product.items[code]
        if item.stock - item.safety_stock < qty:
            material_days = max(material_days, item.lead_time_days)
    outsourced_days = 0
    minutes = Decimal(0)
    for op in resolve_routing(product, configuration):
        if op.outsourced:
            outsourced_days += op.lead_time_days
        else:
            minutes += op.standard_min
    work_days = max(1, math.ceil(minutes / WORKDAY_MINUTES))
    # a supplier's lead time is calendar days (the hub's planner counts it so: ordered + lead time);
    # outsourcing and own work then take working days
    ready_by = promised_day(add_working_days(today + timedelta(days=material_days), outsourced_days + work_days),
                            product.promise_margin_days)
    return RoughEstimate(working_days_between(today, ready_by), ready_by, material_days, outsourced_days, minutes)


def working_days_between(start: date, end: date) -> int:
    """Monday-Friday days after ``start`` up to and including ``end``."""
    return sum(1 for n in range(1, (end - start).days + 1) if (start + timedelta(days=n)).weekday() < 5)


def snapshot_estimate(snapshot: Mapping[str, object], product: Product, configuration: Mapping[str, str],
                      today: date, zone: tzinfo) -> RoughEstimate | None:
    """The estimate from the hub's capacity snapshot (its own planner, queue included), or None when the
    snapshot cannot plan this product (an item or work centre it does not know yet)."""
    from sync.errors import FloorLinkError
    from sync.planning import from_catalog
    from sync.planning.estimate import promised

    now = datetime.now(zone)
    if now.date() != today:  # a kiosk told another day (a test, a clock being set): plan from its start
        now = datetime.combine(today, time(0), zone)
    stocked = from_catalog.ships_from_stock(product, configuration)
    try:
        ready = promised(snapshot, from_catalog.structure(product, configuration), now, zone,
                         product.promise_margin_days, ship_from_stock=stocked)
    except FloorLinkError:
        return None
    ready_by = ready.astimezone(zone).date()
    return RoughEstimate(working_days=working_days_between(today, ready_by), ready_by=ready_by, material_days=0, outsourced_days=0,
                         work_minutes=Decimal(0))
