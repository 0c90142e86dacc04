"""Work orders as a station receives them from the hub: what the worker sees and what the rules check.

The hub sends every operation of a work order (not only this station's), so the station can tell
whether a predecessor elsewhere is done (``hub_status``) and refuse steps out of order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from types import SimpleNamespace
from typing import Any

from sync.errors import CatalogError, StationError
from sync.station.calendar import WeeklyShifts
from sync.station.timing import standard_seconds


@dataclass(frozen=True)
class Material:
    item: str
    description: str
    quantity: float
    unit: str = "pcs"
    names: Mapping[str, str] = field(default_factory=dict)  # language -> description, from the catalog


@dataclass(frozen=True)
class RoutedOperation:
    """One routing step of a work order."""

    number: int
    name: str
    work_centre: str
    setup_minutes: float
    run_minutes: float
    qc: bool = False
    sop: str | None = None
    predecessor: int | None = None
    hub_status: str | None = None  # the hub's last word on it (e.g. done at another station)
    planned_start: datetime | None = None  # the hub's plan: the station lists its work in this order
    # share of standard time at which the hub raises an overrun alert (the work centre's threshold);
    # the station's timer turns red there too. None: the default (sync.station.timing.RED_AT)
    alert_at: float | None = None
    names: Mapping[str, str] = field(default_factory=dict)  # language -> name, from the catalog (e.g. zh_CN)
    outsourced: bool = False  # done by a supplier: recorded by the station its parts come back to (the next step's)

    def standard_seconds(self, quantity: int) -> float:
        return standard_seconds(self.setup_minutes, self.run_minutes, quantity)

    def to_body(self) -> dict[str, Any]:
        body = dict(self.__dict__)
        body["planned_start"] = self.planned_start.isoformat() if self.planned_start else None
        body["names"] = dict(self.names)
        return body


def _plain(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict for a body: the mapping itself when it is one (bodies are only encoded, never changed)."""
    return mapping if type(mapping) is dict else dict(mapping)


def _plain_nested(mapping: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    if type(mapping) is dict and all(type(v) is dict for v in mapping.values()):
        return mapping
    return {k: dict(v) for k, v in mapping.items()}


@dataclass(frozen=True)
class RoutedWorkOrder:
    """A released work order: product, configuration, quantity, materials and its operations."""

    id: str
    product: str
    quantity: int
    operations: tuple[RoutedOperation, ...]
    configuration: tuple[tuple[str, str], ...] = ()
    materials: tuple[Material, ...] = ()
    order_id: str | None = None
    demo: bool = False  # seeded locally by the demo fixture, not released by a hub
    cancelled: bool = False  # the hub withdrew it (its order was cancelled): nothing new may start
    # work centre -> its calendar as the catalog holds it: {"workdays": [...], "shifts": [[start, end]...],
    # "holidays": [...]}; the hub sends it so station timers count only working time
    calendars: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    order_number: str | None = None  # the order's human number (sync.numbers), what the customer's receipt says
    product_names: Mapping[str, str] = field(default_factory=dict)  # language -> the product's name, from the catalog
    # attribute code -> language -> the attribute's name / the chosen option's name, from the catalog, so a worker
    # reads "Battery: 400 Wh (60 km)" in their language, not "battery: b400"; a body without them shows the codes
    attribute_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    option_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # part work order id -> "open" | "done": the BOM children made in the shop for this one (a frame welded
    # for the bike); its first operation waits for them (sync.station.rules.parts_open)
    parts: Mapping[str, str] = field(default_factory=dict)
    # bought item -> the day its purchase is due (ISO date): parts bought for this work order that are not in
    # yet; its first operation waits for them (sync.station.rules.materials_open) until the hub's receipt clears them
    awaiting: Mapping[str, str] = field(default_factory=dict)

    def calendar(self, work_centre: str, zone: tzinfo) -> WeeklyShifts | None:
        """The shifts of ``work_centre`` in the site's zone, when the hub sent its calendar."""
        spec = self.calendars.get(work_centre)
        if spec is None:
            return None
        return WeeklyShifts.from_catalog(SimpleNamespace(workdays=spec.get("workdays", ()), shifts=spec.get("shifts", ()),
                                                         holidays=spec.get("holidays", ())), zone)

    def operation(self, number: int) -> RoutedOperation:
        for op in self.operations:
            if op.number == number:
                return op
        raise StationError(f"work order {self.id} has no operation {number}", where=f"work order {self.id}",
                           fix=f"its operations are {', '.join(str(o.number) for o in self.operations)}")

    def to_body(self) -> dict[str, Any]:
        return {
            "id": self.id, "product": self.product, "quantity": self.quantity, "order_id": self.order_id,
            "demo": self.demo, "cancelled": self.cancelled,
            "configuration": [list(pair) for pair in self.configuration],
            "materials": [m.__dict__ | {"names": dict(m.names)} for m in self.materials],
            "operations": [o.to_body() for o in self.operations],
            # the order's names and calendars are the same maps in each of its work orders: shared, not copied
            # (the hub builds eleven bodies per bike; copying them was a tenth of storing an order's plan)
            "calendars": {wc: _plain(spec) for wc, spec in self.calendars.items()},
            "order_number": self.order_number,
            "product_names": _plain(self.product_names),
            "attribute_names": _plain_nested(self.attribute_names),
            "option_names": _plain_nested(self.option_names),
            "parts": dict(self.parts),
            "awaiting": dict(self.awaiting),
        }

    @classmethod
    def from_body(cls, body: Mapping[str, Any], where: str = "work order") -> RoutedWorkOrder:
        """Read a work order from a hub message body, refusing anything malformed with what and where."""
        try:
            wo_id = _text(body, "id", where)
            where = f"{where} {wo_id}"
            quantity = body["quantity"]
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
                raise StationError(f"quantity {quantity!r} is not a positive whole number", where=f"{where}: quantity")
            ops = tuple(_operation(o, f"{where}: operations[{i}]") for i, o in enumerate(body["operations"]))
            if not ops:
                raise StationError("a work order needs at least one operation", where=f"{where}: operations")
            numbers = [o.number for o in ops]
            if len(set(numbers)) != len(numbers):
                raise StationError(f"operation numbers repeat: {numbers}", where=f"{where}: operations")
            for o in ops:
                if o.predecessor is not None and o.predecessor not in numbers:
                    raise StationError(f"operation {o.number} follows unknown operation {o.predecessor}",
                                       where=f"{where}: operations")
            config = tuple((str(k), str(v)) for k, v in body.get("configuration", []))
            materials = tuple(Material(str(m["item"]), str(m.get("description", "")), float(m["quantity"]),
                                       str(m.get("unit", "pcs")), _names(m.get("names"), f"{where}: materials"))
                              for m in body.get("materials", []))
            calendars = {str(wc): dict(spec) for wc, spec in dict(body.get("calendars") or {}).items()}
            wo = cls(id=wo_id, product=_text(body, "product", where), quantity=quantity, operations=ops,
                     configuration=config, materials=materials, order_id=body.get("order_id"),
                     demo=bool(body.get("demo", False)), calendars=calendars,
                     cancelled=bool(body.get("cancelled", False)),
                     order_number=str(body["order_number"]) if body.get("order_number") else None,
                     product_names=_names(body.get("product_names"), f"{where}: product_names"),
                     attribute_names=_names_by_code(body.get("attribute_names"), f"{where}: attribute_names"),
                     option_names=_names_by_code(body.get("option_names"), f"{where}: option_names"),
                     parts=_parts(body.get("parts"), f"{where}: parts"),
                     awaiting=_awaiting(body.get("awaiting"), f"{where}: awaiting"))
            for wc in calendars:
                try:
                    wo.calendar(wc, UTC)
                except CatalogError as exc:
                    raise StationError(exc.what, where=f"{where}: calendars.{wc}", fix=exc.fix) from None
            return wo
        except StationError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise StationError(f"malformed work order: {exc!r}", where=where,
                               fix="the hub must send id, product, quantity and operations") from None


def _text(body: Mapping[str, Any], key: str, where: str) -> str:
    value = body[key]
    if not isinstance(value, str) or not value.strip():
        raise StationError(f"{key} {value!r} is not a non-empty text", where=f"{where}: {key}")
    return value


def _number(value: Any, where: str, minimum: float = 0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise StationError(f"{value!r} is not a number ≥ {minimum}", where=where)
    return float(value)


def _operation(body: Mapping[str, Any], where: str) -> RoutedOperation:
    number = body["number"]
    if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= 9999:
        raise StationError(f"operation number {number!r} is not 0-9999", where=f"{where}: number")
    pred = body.get("predecessor")
    if pred is not None and (isinstance(pred, bool) or not isinstance(pred, int)):
        raise StationError(f"predecessor {pred!r} is not an operation number", where=f"{where}: predecessor")
    return RoutedOperation(
        number=number,
        name=_text(body, "name", where),
        work_centre=_text(body, "work_centre", where),
        setup_minutes=_number(body.get("setup_minutes", 0), f"{where}: setup_minutes"),
        run_minutes=_number(body.get("run_minutes", 0), f"{where}: run_minutes"),
        qc=bool(body.get("qc", False)),
        sop=body.get("sop"),
        predecessor=pred,
        hub_status=body.get("hub_status"),
        planned_start=_moment(body.get("planned_start"), f"{where}: planned_start"),
        alert_at=None if body.get("alert_at") is None else _number(body["alert_at"], f"{where}: alert_at", 1),
        names=_names(body.get("names"), f"{where}: names"),
        outsourced=bool(body.get("outsourced", False)),
    )


PART_STATES = ("open", "done")


def _parts(value: Any, where: str) -> dict[str, str]:
    """Part work orders and their state (``{"K1-0042-02": "done"}``); none sent: no parts."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and v in PART_STATES for k, v in value.items()):
        raise StationError(f"{value!r} is not a map of work order to {' or '.join(PART_STATES)}", where=where)
    return dict(value)


def _awaiting(value: Any, where: str) -> dict[str, str]:
    """Bought items not in yet and their due day (``{"MOTOR-MID-85": "2027-01-07"}``); none sent: none."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise StationError(f"{value!r} is not a map of item to due day", where=where)
    for item, day in value.items():
        try:
            date.fromisoformat(day)
        except ValueError:
            raise StationError(f"{day!r} is not a day (YYYY-MM-DD)", where=f"{where}.{item}") from None
    return dict(value)


def _names(value: Any, where: str) -> dict[str, str]:
    """Names by language (``{"zh_CN": "车架准备"}``); none sent: empty."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise StationError(f"{value!r} is not a map of language to name", where=where)
    return dict(value)


def _names_by_code(value: Any, where: str) -> dict[str, dict[str, str]]:
    """Names by language for each attribute code (``{"battery": {"en": "Battery"}}``); none sent: empty."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise StationError(f"{value!r} is not a map of attribute to names", where=where)
    return {k: _names(v, f"{where}.{k}") for k, v in value.items()}


def _moment(value: Any, where: str) -> datetime | None:
    """An ISO 8601 time with a zone, or None when the hub sent none."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise StationError(f"{value!r} is not an ISO 8601 time", where=where) from None
    if moment.tzinfo is None:
        raise StationError(f"{value!r} has no time zone", where=where, fix="send UTC, e.g. 2026-11-25T08:00:00+00:00")
    return moment


@dataclass(frozen=True)
class Worker:
    """A person who may log in at the station; supervisors may override refused actions."""

    badge: str
    name: str
    pin_hash: str = ""
    supervisor: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
