"""What changed between two revisions of a product, in the terms the approvers think in.

Engineering looks at BOM lines and operations, marketing at attributes, options and labels,
finance at prices and costs, so each change names its area.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, is_dataclass
from typing import Any

from sync.catalog.model import Assembly, BomLine, Operation, Product


@dataclass(frozen=True)
class Change:
    change: str  # added | removed | changed
    area: str  # product | attribute | option | price | rule | bom | operation | item | work_centre | file
    key: str
    before: Any = None
    after: Any = None

    def __str__(self) -> str:
        if self.change == "changed":
            return f"~ {self.area} {self.key}: {self.before} -> {self.after}"
        sign = "+" if self.change == "added" else "-"
        return f"{sign} {self.area} {self.key}"


def _plain(value: Any) -> Any:
    """Dataclasses and mappings as plain comparable data, without source locations."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value) if f.name != "where"}
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, bool | int | str) else str(value)


def _fields_changed(area: str, key: str, before: Any, after: Any, skip: tuple[str, ...] = ()) -> list[Change]:
    a, b = _plain(before), _plain(after)
    return [Change("changed", area, f"{key}.{name}", a[name], b[name])
            for name in a if name not in skip and a[name] != b.get(name)]


def _keyed(before: dict[str, Any], after: dict[str, Any], area: str) -> tuple[list[str], list[Change]]:
    changes = [Change("removed", area, k) for k in before if k not in after]
    changes += [Change("added", area, k) for k in after if k not in before]
    return [k for k in before if k in after], changes


def _bom_key(parent: str, line: BomLine) -> str:
    when = ",".join(f"{a}={'|'.join(o)}" for a, o in sorted(line.when.items()))
    return f"{parent}/{line.item}" + (f"[{when}]" if when else "")


def _lines(product: Product) -> tuple[dict[str, BomLine], dict[str, Operation]]:
    lines: dict[str, BomLine] = {}
    ops: dict[str, Operation] = {}
    owners: list[tuple[str, Assembly]] = [(product.item, Assembly(product.item, product.bom, product.routing))]
    owners += sorted(product.assemblies.items())
    for parent, asm in owners:
        for line in asm.bom:
            lines[_bom_key(parent, line)] = line
        for op in asm.routing:
            ops[f"{parent}/{op.op}"] = op
    return lines, ops


def diff_products(old: Product, new: Product) -> list[Change]:
    """Every difference between two versions of a product (its closure included)."""
    changes: list[Change] = []
    if old.base_price != new.base_price:
        changes.append(Change("changed", "price", "base_price", str(old.base_price), str(new.base_price)))
    for name in ("name", "description", "image", "item", "groups"):
        if _plain(getattr(old, name)) != _plain(getattr(new, name)):
            changes.append(Change("changed", "product", name, _plain(getattr(old, name)), _plain(getattr(new, name))))
    old_attrs = {a.code: a for a in old.attributes}
    new_attrs = {a.code: a for a in new.attributes}
    common, found = _keyed(old_attrs, new_attrs, "attribute")
    changes += found
    for code in common:
        a, b = old_attrs[code], new_attrs[code]
        changes += _fields_changed("attribute", code, a, b, skip=("options",))
        old_opts = {o.code: o for o in a.options}
        new_opts = {o.code: o for o in b.options}
        same, found = _keyed({f"{code}.{k}": v for k, v in old_opts.items()},
                             {f"{code}.{k}": v for k, v in new_opts.items()}, "option")
        changes += found
        for key in same:
            o1, o2 = old_opts[key.split(".", 1)[1]], new_opts[key.split(".", 1)[1]]
            if o1.price != o2.price:
                changes.append(Change("changed", "price", key, str(o1.price), str(o2.price)))
            changes += _fields_changed("option", key, o1, o2, skip=("price",))
    old_rules = {r.id: r for r in old.rules}
    new_rules = {r.id: r for r in new.rules}
    same_rules, found = _keyed(old_rules, new_rules, "rule")
    changes += found
    changes += [Change("changed", "rule", k, _plain(old_rules[k]), _plain(new_rules[k]))
                for k in same_rules if _plain(old_rules[k]) != _plain(new_rules[k])]
    old_lines, old_ops = _lines(old)
    new_lines, new_ops = _lines(new)
    same_lines, found = _keyed(old_lines, new_lines, "bom")
    changes += found
    for key in same_lines:
        changes += _fields_changed("bom", key, old_lines[key], new_lines[key], skip=("item", "when"))
    same_ops, found = _keyed(old_ops, new_ops, "operation")
    changes += found
    for key in same_ops:
        changes += _fields_changed("operation", key, old_ops[key], new_ops[key])
    for area, before, after in (("item", old.items, new.items), ("work_centre", old.work_centres, new.work_centres)):
        same, found = _keyed(dict(before), dict(after), area)
        changes += found
        for key in same:
            changes += _fields_changed(area, key, before[key], after[key])
    return changes


def diff_snapshots(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """:func:`diff_products` plus changed image/SOP files."""
    from sync.catalog.snapshot import product_from_snapshot

    changes = diff_products(product_from_snapshot(old), product_from_snapshot(new))
    old_files, new_files = old.get("files", {}), new.get("files", {})
    same, found = _keyed(old_files, new_files, "file")
    changes += found
    changes += [Change("changed", "file", k, old_files[k][:12], new_files[k][:12]) for k in same if old_files[k] != new_files[k]]
    return changes


def change_dict(change: Change) -> dict[str, Any]:
    return asdict(change)
