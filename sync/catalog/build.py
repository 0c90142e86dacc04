"""Turning validated source data (dicts from YAML or a revision snapshot) into model objects.

The same functions build a product from the catalog folder and from a stored revision, so a
revision reads back exactly as it was submitted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from sync.catalog.model import (
    Assembly,
    Attribute,
    BomLine,
    Calendar,
    Condition,
    ExcludesRule,
    Group,
    Item,
    Label,
    Operation,
    Option,
    Product,
    Purchasing,
    QtyBy,
    RangeRule,
    RequiresRule,
    Rule,
    TableRule,
    WorkCentre,
)

Where = Callable[[tuple[Any, ...]], str]
"""path inside the source document -> ``file:line field`` (empty for snapshots)."""


def nowhere(path: tuple[Any, ...]) -> str:
    return ""


def code(value: Any) -> str:
    """Codes may be written as bare YAML integers; they are text everywhere else."""
    return str(value)


def dec(value: Any, default: Decimal | None = None) -> Decimal:
    if value is None:
        if default is None:
            raise ValueError("missing number")
        return default
    return value if isinstance(value, Decimal) else Decimal(str(value))


#: the most working days a product may promise beyond its plan (the schema's maximum)
MAX_MARGIN_DAYS = 60


def margin_days(value: Any) -> int:
    """A product's ``promise_margin_days``: a whole number 0..60 (a received revision is not schema-checked,
    and a forged 10**6 would walk dates past the year 9999 in every estimate)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MARGIN_DAYS:
        raise ValueError(f"promise_margin_days {value!r} is not a whole number of days from 0 to {MAX_MARGIN_DAYS}")
    return value


def opt_dec(value: Any) -> Decimal | None:
    return None if value is None else dec(value)


def label(value: Any) -> Label:
    return {str(k): str(v) for k, v in value.items()}


def opt_label(value: Any) -> Label | None:
    return None if value is None else label(value)


def condition(value: Any) -> Condition:
    return {code(attr): tuple(code(o) for o in opts) for attr, opts in (value or {}).items()}


def build_work_centre(raw: Mapping[str, Any], where: Where, path: tuple[Any, ...]) -> WorkCentre:
    cal = raw.get("calendar") or {}
    default = Calendar()
    calendar = Calendar(
        workdays=tuple(cal.get("workdays", default.workdays)),
        shifts=tuple((s["start"], s["end"]) for s in cal["shifts"]) if "shifts" in cal else default.shifts,
        holidays=tuple(str(h) for h in cal.get("holidays", ())),
    )
    return WorkCentre(
        code=code(raw["code"]),
        name=label(raw["name"]),
        capacity=int(raw["capacity"]),
        stations=tuple(str(s) for s in raw.get("stations", ())),
        overrun_threshold=dec(raw.get("overrun_threshold"), Decimal("1.2")),
        outsourced=bool(raw.get("outsourced", False)),
        calendar=calendar,
        where=where(path),
    )


def build_item(raw: Mapping[str, Any], where: Where, path: tuple[Any, ...]) -> Item:
    return Item(
        code=code(raw["code"]),
        name=label(raw["name"]),
        kind=raw["kind"],
        unit=raw["unit"],
        unit_cost=dec(raw.get("unit_cost"), Decimal(0)),
        stock=dec(raw.get("stock"), Decimal(0)),
        safety_stock=dec(raw.get("safety_stock"), Decimal(0)),
        lead_time_days=int(raw.get("lead_time_days", 0)),
        supplier=raw.get("supplier"),
        image=raw.get("image"),
        purchasing=build_purchasing(raw.get("purchasing") or {}),
        where=where(path),
    )


def build_purchasing(raw: Mapping[str, Any]) -> Purchasing:
    return Purchasing(
        policy=str(raw.get("policy", "lot_for_lot")),
        min_qty=dec(raw.get("min_qty"), Decimal(0)),
        multiple=dec(raw.get("multiple"), Decimal(0)),
        reorder_point=dec(raw.get("reorder_point"), Decimal(0)),
        order_qty=dec(raw.get("order_qty"), Decimal(0)),
        period_days=int(raw.get("period_days", 7)),
    )


def build_bom(raw: list[Any] | None, where: Where, path: tuple[Any, ...]) -> tuple[BomLine, ...]:
    lines = []
    for i, line in enumerate(raw or []):
        qty_by = None
        if "qty_by" in line:
            qb = line["qty_by"]
            qty_by = QtyBy(code(qb["attribute"]), {code(k): dec(v) for k, v in qb["values"].items()})
        lines.append(
            BomLine(
                item=code(line["item"]),
                qty=opt_dec(line.get("qty")),
                qty_by=qty_by,
                when=condition(line.get("when")),
                where=where((*path, i)),
            )
        )
    return tuple(lines)


def build_routing(raw: list[Any] | None, where: Where, path: tuple[Any, ...]) -> tuple[Operation, ...]:
    ops = []
    for i, op in enumerate(raw or []):
        ops.append(
            Operation(
                op=int(op["op"]),
                code=code(op["code"]),
                name=label(op["name"]),
                work_centre=code(op["work_centre"]),
                setup_min=dec(op["setup_min"]),
                run_min=dec(op["run_min"]),
                qc=bool(op.get("qc", False)),
                outsourced=bool(op.get("outsourced", False)),
                supplier=op.get("supplier"),
                lead_time_days=int(op.get("lead_time_days", 0)),
                sop=op.get("sop"),
                when=condition(op.get("when")),
                where=where((*path, i)),
            )
        )
    return tuple(ops)


def build_assembly(raw: Mapping[str, Any], where: Where, path: tuple[Any, ...]) -> Assembly:
    return Assembly(
        item=code(raw["item"]),
        bom=build_bom(raw.get("bom"), where, (*path, "bom")),
        routing=build_routing(raw.get("routing"), where, (*path, "routing")),
        where=where(path),
    )


def build_rule(raw: Mapping[str, Any], where: Where, path: tuple[Any, ...]) -> Rule:
    kind = raw["kind"]
    rid = code(raw["id"])
    message = opt_label(raw.get("message"))
    here = where(path)
    if kind == "requires":
        return RequiresRule(rid, condition(raw["if"]), condition(raw["then"]), message, here)
    if kind == "excludes":
        return ExcludesRule(rid, condition(raw["when"]), message, here)
    if kind == "table":
        return TableRule(
            rid,
            tuple(code(a) for a in raw["attributes"]),
            tuple(tuple(code(v) for v in row) for row in raw["allowed"]),
            message,
            here,
        )
    if kind == "range":
        return RangeRule(
            rid,
            code(raw["attribute"]),
            opt_dec(raw.get("min")),
            opt_dec(raw.get("max")),
            condition(raw.get("if")),
            message,
            here,
        )
    raise ValueError(f"unknown rule kind {kind!r}")


def build_attribute(raw: Mapping[str, Any], where: Where, path: tuple[Any, ...]) -> Attribute:
    options = tuple(
        Option(
            code=code(o["code"]),
            label=label(o["label"]),
            price=dec(o.get("price"), Decimal(0)),
            value=opt_dec(o.get("value")),
            image=o.get("image"),
            description=opt_label(o.get("description")),
            where=where((*path, "options", i)),
            swatch=o.get("swatch"),
        )
        for i, o in enumerate(raw["options"])
    )
    return Attribute(
        code=code(raw["code"]),
        group=code(raw["group"]),
        label=label(raw["label"]),
        options=options,
        default=None if raw.get("default") is None else code(raw["default"]),
        help=opt_label(raw.get("help")),
        unit=raw.get("unit"),
        where=where(path),
    )


def build_product(
    raw: Mapping[str, Any],
    where: Where,
    *,
    currency: str,
    items: Mapping[str, Item],
    assemblies: Mapping[str, Assembly],
    work_centres: Mapping[str, WorkCentre],
) -> Product:
    """A product; ``items``/``assemblies``/``work_centres`` should already be its closure."""
    return Product(
        code=code(raw["code"]),
        item=code(raw["item"]),
        name=label(raw["name"]),
        base_price=dec(raw["base_price"]),
        groups=tuple(
            Group(code(g["code"]), label(g["label"]), opt_label(g.get("help")), g.get("image"))
            for g in raw["groups"]
        ),
        attributes=tuple(
            build_attribute(a, where, ("attributes", i)) for i, a in enumerate(raw["attributes"])
        ),
        rules=tuple(build_rule(r, where, ("rules", i)) for i, r in enumerate(raw.get("rules") or [])),
        bom=build_bom(raw.get("bom"), where, ("bom",)),
        routing=build_routing(raw.get("routing"), where, ("routing",)),
        description=opt_label(raw.get("description")),
        image=raw.get("image"),
        currency=currency,
        promise_margin_days=margin_days(raw.get("promise_margin_days", 0)),
        items=dict(items),
        assemblies=dict(assemblies),
        work_centres=dict(work_centres),
        where=where(()),
    )
