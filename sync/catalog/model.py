"""The catalog as plain, immutable Python objects: what the loader builds and everyone reads.

Money, quantities and times are :class:`Decimal` so prices and costs add up exactly.
``where`` fields (``file:line``) only serve error messages and never take part in equality.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

Label = Mapping[str, str]
"""``{"en": ..., "zh_CN": ...}``"""

Condition = Mapping[str, tuple[str, ...]]
"""attribute code -> option codes; holds when every attribute's chosen option is in its list."""


def condition_holds(condition: Condition, configuration: Mapping[str, str]) -> bool:
    """True when, for every attribute named, the configuration's option is one of the listed."""
    return all(configuration.get(attr) in options for attr, options in condition.items())


@dataclass(frozen=True)
class Calendar:
    workdays: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    shifts: tuple[tuple[str, str], ...] = (("08:00", "12:00"), ("13:00", "17:00"))
    holidays: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorkCentre:
    code: str
    name: Label
    capacity: int
    stations: tuple[str, ...] = ()
    overrun_threshold: Decimal = Decimal("1.2")
    outsourced: bool = False
    calendar: Calendar = field(default_factory=Calendar)
    where: str = field(default="", compare=False)


@dataclass(frozen=True)
class Purchasing:
    """How a purchased item is bought (docs/catalog-format.md): ``lot_for_lot`` buys what an order lacks,
    ``reorder_point`` buys ``order_qty`` whenever stock on hand and on order falls to ``reorder_point``,
    ``period`` gathers a supplier's needs of ``period_days`` into one requisition; every requisition is
    at least ``min_qty`` and a multiple of ``multiple``, and what it brings beyond the need serves later orders."""

    policy: str = "lot_for_lot"  # lot_for_lot | reorder_point | period
    min_qty: Decimal = Decimal(0)
    multiple: Decimal = Decimal(0)
    reorder_point: Decimal = Decimal(0)
    order_qty: Decimal = Decimal(0)
    period_days: int = 7


@dataclass(frozen=True)
class Item:
    code: str
    name: Label
    kind: str  # purchased | made | finished
    unit: str
    unit_cost: Decimal = Decimal(0)
    stock: Decimal = Decimal(0)
    safety_stock: Decimal = Decimal(0)
    lead_time_days: int = 0
    supplier: str | None = None
    image: str | None = None
    purchasing: Purchasing = field(default_factory=Purchasing)
    where: str = field(default="", compare=False)


@dataclass(frozen=True)
class QtyBy:
    """Quantity taken from the option chosen for ``attribute``; unlisted options give 0."""

    attribute: str
    values: Mapping[str, Decimal]


@dataclass(frozen=True)
class BomLine:
    item: str
    qty: Decimal | None = None
    qty_by: QtyBy | None = None
    when: Condition = field(default_factory=dict)
    where: str = field(default="", compare=False)

    def quantity(self, configuration: Mapping[str, str]) -> Decimal:
        """Quantity per parent unit for this configuration (0 when the line does not apply)."""
        if not condition_holds(self.when, configuration):
            return Decimal(0)
        if self.qty_by is not None:
            return self.qty_by.values.get(configuration.get(self.qty_by.attribute, ""), Decimal(0))
        return self.qty if self.qty is not None else Decimal(0)


@dataclass(frozen=True)
class Operation:
    op: int
    code: str
    name: Label
    work_centre: str
    setup_min: Decimal
    run_min: Decimal
    qc: bool = False
    outsourced: bool = False
    supplier: str | None = None
    lead_time_days: int = 0
    sop: str | None = None
    when: Condition = field(default_factory=dict)
    where: str = field(default="", compare=False)


@dataclass(frozen=True)
class Assembly:
    item: str
    bom: tuple[BomLine, ...]
    routing: tuple[Operation, ...] = ()
    where: str = field(default="", compare=False)


@dataclass(frozen=True)
class Option:
    code: str
    label: Label
    price: Decimal = Decimal(0)
    value: Decimal | None = None
    image: str | None = None
    description: Label | None = None
    where: str = field(default="", compare=False)
    swatch: str | None = None
    """A colour option's colour, ``#rrggbb`` (the kiosk draws it when the option has no image)."""


@dataclass(frozen=True)
class Attribute:
    code: str
    group: str
    label: Label
    options: tuple[Option, ...]
    default: str | None = None
    help: Label | None = None
    unit: str | None = None
    where: str = field(default="", compare=False)

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)

    @property
    def option_codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options)


@dataclass(frozen=True)
class Group:
    code: str
    label: Label
    help: Label | None = None
    image: str | None = None


@dataclass(frozen=True)
class RequiresRule:
    """If every ``if_`` condition holds, every ``then`` condition must hold."""

    id: str
    if_: Condition
    then: Condition
    message: Label | None = None
    where: str = field(default="", compare=False)
    kind: str = "requires"


@dataclass(frozen=True)
class ExcludesRule:
    """The ``when`` conditions never all hold together."""

    id: str
    when: Condition
    message: Label | None = None
    where: str = field(default="", compare=False)
    kind: str = "excludes"


@dataclass(frozen=True)
class TableRule:
    """The chosen options of ``attributes`` form one of the ``allowed`` rows."""

    id: str
    attributes: tuple[str, ...]
    allowed: tuple[tuple[str, ...], ...]
    message: Label | None = None
    where: str = field(default="", compare=False)
    kind: str = "table"


@dataclass(frozen=True)
class RangeRule:
    """When ``if_`` holds (always if empty), the chosen option's ``value`` lies in [min, max]."""

    id: str
    attribute: str
    min: Decimal | None = None
    max: Decimal | None = None
    if_: Condition = field(default_factory=dict)
    message: Label | None = None
    where: str = field(default="", compare=False)
    kind: str = "range"


Rule = RequiresRule | ExcludesRule | TableRule | RangeRule


@dataclass(frozen=True)
class Product:
    code: str
    item: str
    name: Label
    base_price: Decimal
    groups: tuple[Group, ...]
    attributes: tuple[Attribute, ...]
    rules: tuple[Rule, ...] = ()
    bom: tuple[BomLine, ...] = ()
    routing: tuple[Operation, ...] = ()
    description: Label | None = None
    image: str | None = None
    currency: str = "CNY"
    promise_margin_days: int = 0
    """Working days promised beyond the day the plan finishes (sync.planning.promise): steps run over
    their standard times."""
    items: Mapping[str, Item] = field(default_factory=dict)
    """The items this product's BOM reaches (closure), by code."""
    assemblies: Mapping[str, Assembly] = field(default_factory=dict)
    """The assemblies this product's BOM reaches (closure), by made item code."""
    work_centres: Mapping[str, WorkCentre] = field(default_factory=dict)
    """The work centres its routings use (closure), by code."""
    where: str = field(default="", compare=False)

    def attribute(self, code: str) -> Attribute | None:
        return next((a for a in self.attributes if a.code == code), None)

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def defaults(self) -> dict[str, str]:
        """attribute -> default option (the first option when none is declared)."""
        return {a.code: a.default or a.options[0].code for a in self.attributes}


@dataclass(frozen=True)
class Catalog:
    name: Label
    currency: str
    languages: tuple[str, ...]
    work_centres: Mapping[str, WorkCentre]
    items: Mapping[str, Item]
    assemblies: Mapping[str, Assembly]
    products: Mapping[str, Product]
    root: Path | None = None
    raw: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)
    """The validated source data (per file) that revisions snapshot."""
    pictures: Mapping[str, Mapping[str, Path]] = field(default_factory=dict, compare=False, repr=False)
    """Released revisions (no folder): product code -> catalog path of a picture -> its file on disk."""

    def picture(self, product_code: str, path: str | None) -> Path | None:
        """Where the picture ``path`` (as the catalog names it) of a product is on disk, or None."""
        if not path:
            return None
        if self.root is not None:
            return self.root / path
        return self.pictures.get(product_code, {}).get(path)
