"""Loading a catalog folder: YAML with line numbers, schema validation, cross-references.

All problems are collected and raised together as :class:`CatalogInvalid`; a catalog with any
error yields nothing, so a half-loaded catalog can never reach the kiosk or the hub.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from sync.catalog.build import (
    build_assembly,
    build_item,
    build_product,
    build_work_centre,
    code,
)
from sync.catalog.findings import CatalogInvalid, Finding
from sync.catalog.model import (
    Assembly,
    Catalog,
    Condition,
    ExcludesRule,
    Item,
    Product,
    RangeRule,
    RequiresRule,
    TableRule,
    WorkCentre,
)
from sync.catalog.paint import PaintError, conditions, paintable
from sync.catalog.yaml_source import Located, YamlSyntaxError, field_path, read_yaml
from sync.errors import quoted

SCHEMA_PATH = Path(__file__).parent / "schema" / "catalog.schema.json"

SWATCH = re.compile(r"#[0-9a-fA-F]{6}")
"""An option's ``swatch``: a colour as #rrggbb."""


@cache
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data


@cache
def _validator(kind: str) -> jsonschema.protocols.Validator:
    full = schema()
    sub = {"$defs": full["$defs"], "$ref": f"#/$defs/{kind}"}
    cls = jsonschema.validators.validator_for(full)
    return cls(sub)  # type: ignore[no-any-return]


def _schema_findings(doc: Located, kind: str) -> list[Finding]:
    found = []
    for err in sorted(_validator(kind).iter_errors(doc.data), key=lambda e: [str(p) for p in e.absolute_path]):
        path = list(err.absolute_path)
        message = err.message
        if err.validator == "required":
            missing = str(message).split("'")[1] if "'" in message else message
            message = f"missing required field '{missing}'"
            found.append(Finding(f"{doc.file}:{doc.line(path)} {field_path([*path, missing])}", message))
            continue
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            extra = [k for k in err.instance if not str(k).startswith("x-")]
            allowed = set((err.schema.get("properties") or {}).keys()) if isinstance(err.schema, dict) else set()
            for key in extra:
                if key not in allowed:
                    found.append(
                        Finding(doc.where([*path, key]), f"unknown field '{key}' (allowed: {', '.join(sorted(allowed))})")
                    )
            continue
        if err.validator == "oneOf" and path and isinstance(err.instance, dict) and "item" in err.instance:
            message = "give exactly one of 'qty' or 'qty_by'"
        elif err.validator in ("minProperties", "minItems"):
            message = f"needs at least {err.validator_value} entries"
        elif err.validator in ("maxProperties", "maxItems"):
            message = f"allows at most {err.validator_value} entries"
        elif err.validator == "enum":
            message = f"{quoted(err.instance)} is not one of {', '.join(map(repr, list(err.validator_value or [])))}"  # type: ignore[arg-type]
        elif message.startswith(repr(err.instance)):  # jsonschema quotes the value whole: a 2,000-character one too
            plain = isinstance(err.instance, Decimal | int | float) and not isinstance(err.instance, bool)
            message = (str(err.instance) if plain else quoted(err.instance)) + message[len(repr(err.instance)):]
        found.append(Finding(doc.where(path), message))
    return found


class _Reader:
    """Reads every file of one catalog folder, collecting findings instead of stopping."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.findings: list[Finding] = []
        self.docs: dict[str, Located] = {}

    def error(self, where: str, message: str) -> None:
        self.findings.append(Finding(where, message))

    def warn(self, where: str, message: str) -> None:
        self.findings.append(Finding(where, message, "warning"))

    def read(self, name: str, kind: str, required: bool = True) -> Located | None:
        path = self.root / name
        if not path.is_file():
            if required:
                self.error(name, "file missing")
            return None
        try:
            doc = read_yaml(path, name)
        except YamlSyntaxError as exc:
            self.error(f"{exc.file}:{exc.line}", exc.message)
            return None
        problems = _schema_findings(doc, kind)
        self.findings.extend(problems)
        self.docs[name] = doc
        return None if problems else doc


def load_catalog(folder: str | Path, *, deep: bool = True) -> Catalog:
    """Load and check a catalog folder; raise :class:`CatalogInvalid` listing every problem.

    ``deep`` also runs the configurator checks (unconfigurable products, unreachable options).
    """
    catalog, findings = inspect_catalog(folder, deep=deep)
    if catalog is None or any(f.severity == "error" for f in findings):
        raise CatalogInvalid(findings, source=str(folder))
    return catalog


def inspect_catalog(folder: str | Path, *, deep: bool = True) -> tuple[Catalog | None, list[Finding]]:
    """Like :func:`load_catalog` but returns ``(catalog or None, findings)`` for the ``check`` command."""
    root = Path(folder)
    if not root.is_dir():
        return None, [Finding(str(root), "catalog folder not found")]
    reader = _Reader(root)
    head = reader.read("catalog.yaml", "catalog_file")
    wc_doc = reader.read("work_centres.yaml", "work_centres_file")
    items_doc = reader.read("items.yaml", "items_file")
    asm_doc = reader.read("assemblies.yaml", "assemblies_file", required=False)
    product_names = sorted(p.relative_to(root).as_posix() for p in (root / "products").glob("*.yaml"))
    product_names += sorted(p.relative_to(root).as_posix() for p in (root / "products").glob("*.yml"))
    if not product_names:
        reader.error("products/", "no product files (products/*.yaml)")
    product_docs = [d for d in (reader.read(n, "product_file") for n in product_names) if d is not None]
    if reader.findings or head is None or wc_doc is None or items_doc is None:
        return None, reader.findings

    currency = str(head.data["currency"])
    work_centres = _unique(reader, wc_doc, "work_centres", lambda i, r: build_work_centre(r, wc_doc.where, ("work_centres", i)))
    items = _unique(reader, items_doc, "items", lambda i, r: build_item(r, items_doc.where, ("items", i)))
    assemblies: dict[str, Assembly] = {}
    if asm_doc is not None:
        assemblies = _unique(
            reader, asm_doc, "assemblies", lambda i, r: build_assembly(r, asm_doc.where, ("assemblies", i)), key="item"
        )

    _check_work_centres(reader, work_centres)
    _check_items_and_assemblies(reader, items, assemblies, work_centres)

    products: dict[str, Product] = {}
    raw_products: dict[str, Any] = {}
    for doc in product_docs:
        product = build_product(doc.data, doc.where, currency=currency, items={}, assemblies={}, work_centres={})
        if product.code in products:
            reader.error(doc.where(("code",)), f"duplicate product code '{product.code}' (also {products[product.code].where})")
            continue
        items_c, asm_c, wc_c = closure(product.item, product.bom, product.routing, items, assemblies, work_centres)
        product = build_product(
            doc.data, doc.where, currency=currency, items=items_c, assemblies=asm_c, work_centres=wc_c
        )
        _check_product(reader, doc, product, items, assemblies, work_centres)
        products[product.code] = product
        raw_products[product.code] = doc.data

    _check_assembly_conditions(reader, products, assemblies)
    used_finished = {p.item for p in products.values()}
    for item in items.values():
        if item.kind == "finished" and item.code not in used_finished:
            reader.warn(item.where, f"finished item '{item.code}' is not the item of any product")

    catalog = Catalog(
        name=dict(head.data["name"]),
        currency=currency,
        languages=tuple(head.data["languages"]),
        work_centres=work_centres,
        items=items,
        assemblies=assemblies,
        products=products,
        root=root,
        raw={
            "catalog": head.data,
            "work_centres": {code(w["code"]): w for w in wc_doc.data["work_centres"]},
            "items": {code(w["code"]): w for w in items_doc.data["items"]},
            "assemblies": {code(a["item"]): a for a in (asm_doc.data["assemblies"] if asm_doc else [])},
            "products": raw_products,
        },
    )
    if any(f.severity == "error" for f in reader.findings):
        return catalog, reader.findings
    if deep:
        from sync.catalog.checks import configurator_findings

        for product in products.values():
            reader.findings.extend(configurator_findings(product))
    return catalog, reader.findings


def _unique(reader: _Reader, doc: Located, section: str, build: Any, key: str = "code") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, raw in enumerate(doc.data[section]):
        obj = build(i, raw)
        k = getattr(obj, "item" if key == "item" else "code")
        if k in out:
            reader.error(doc.where((section, i, key)), f"duplicate {key} '{k}' (first at {out[k].where})")
            continue
        out[k] = obj
    return out


def closure(
    item: str,
    bom: Iterable[Any],
    routing: Iterable[Any],
    items: Mapping[str, Item],
    assemblies: Mapping[str, Assembly],
    work_centres: Mapping[str, WorkCentre],
) -> tuple[dict[str, Item], dict[str, Assembly], dict[str, WorkCentre]]:
    """Every item, assembly and work centre a product (top ``item``, ``bom``, ``routing``) reaches."""
    items_c: dict[str, Item] = {}
    asm_c: dict[str, Assembly] = {}
    wc_c: dict[str, WorkCentre] = {}
    if item in items:
        items_c[item] = items[item]
    for op in routing:
        if op.work_centre in work_centres:
            wc_c[op.work_centre] = work_centres[op.work_centre]
    stack = [line.item for line in bom]
    while stack:
        current = stack.pop()
        if current in items_c and current != item:
            continue
        if current in items:
            items_c[current] = items[current]
        assembly = assemblies.get(current)
        if assembly is not None and current not in asm_c:
            asm_c[current] = assembly
            for op in assembly.routing:
                if op.work_centre in work_centres:
                    wc_c[op.work_centre] = work_centres[op.work_centre]
            stack.extend(line.item for line in assembly.bom)
    return items_c, asm_c, wc_c


def _check_path(reader: _Reader, where: str, rel: str | None) -> None:
    if not rel:
        return
    target = (reader.root / rel).resolve()
    if not target.is_relative_to(reader.root.resolve()):
        reader.error(where, f"path '{rel}' leaves the catalog folder")
    elif not target.is_file():
        reader.error(where, f"file '{rel}' not found in the catalog folder")


def _check_paintable(reader: _Reader, where: str, product: Product) -> None:
    """A product that offers colours (options with a ``swatch``) is drawn in the chosen one at the kiosk:
    its SVG picture must mark the parts that take it (``class="paint"``), else the customer sees a chip. A
    part drawn for an option (``data-when="frame_type=step_through"``) must name one the product has."""
    if not product.image or not product.image.lower().endswith(".svg"):
        return
    colours = [o.code for a in product.attributes for o in a.options if o.swatch]
    target = (reader.root / product.image).resolve()
    if not target.is_relative_to(reader.root.resolve()) or not target.is_file():
        return  # the path's own check already reported it
    try:
        data = target.read_bytes()
        marked = paintable(data)
        when = conditions(data)
    except PaintError as exc:
        if colours:
            reader.warn(where, f"picture '{product.image}': {exc}: the kiosk cannot show it")
        return
    if colours and not marked:
        reader.warn(where, f"picture '{product.image}' marks no part class=\"paint\": the kiosk cannot show the "
                           f"product in the chosen colour ({', '.join(colours)})")
    for attribute, options in when:
        attr = product.attribute(attribute)
        unknown = [o for o in options if attr is None or attr.option(o) is None]
        if attr is None or unknown or not options:
            reader.warn(where, f"picture '{product.image}': data-when {attribute}={','.join(options)} names "
                               f"{'no attribute' if attr is None else 'no option'} of {product.code}"
                               f"{'' if attr is None or not unknown else ' (' + ', '.join(unknown) + ')'}: "
                               "that part is never drawn")


def _check_work_centres(reader: _Reader, work_centres: Mapping[str, WorkCentre]) -> None:
    owner: dict[str, str] = {}
    for wc in work_centres.values():
        for station in wc.stations:
            if station in owner:
                reader.error(wc.where, f"station '{station}' already belongs to work centre {owner[station]}")
            owner[station] = wc.code
        ends: list[tuple[str, str]] = sorted(wc.calendar.shifts)
        for start, end in ends:
            if start >= end:
                reader.error(wc.where, f"shift {start}-{end} ends before it starts")
        for (_, end1), (start2, _) in zip(ends, ends[1:], strict=False):
            if start2 < end1:
                reader.error(wc.where, f"shifts overlap at {start2}")


def _check_routing(reader: _Reader, ops: Iterable[Any], work_centres: Mapping[str, WorkCentre]) -> None:
    seen: set[int] = set()
    for op in ops:
        if op.work_centre not in work_centres:
            reader.error(op.where + ".work_centre", f"unknown work centre '{op.work_centre}'")
        if op.op in seen:
            reader.error(op.where + ".op", f"duplicate operation number {op.op}")
        seen.add(op.op)
        _check_path(reader, op.where + ".sop", op.sop)


def _check_bom_items(reader: _Reader, bom: Iterable[Any], items: Mapping[str, Item]) -> None:
    for line in bom:
        item = items.get(line.item)
        if item is None:
            reader.error(line.where + ".item", f"unknown item '{line.item}'")
        elif item.kind == "finished":
            reader.error(line.where + ".item", f"finished item '{line.item}' cannot be a component")


def _check_items_and_assemblies(
    reader: _Reader,
    items: Mapping[str, Item],
    assemblies: Mapping[str, Assembly],
    work_centres: Mapping[str, WorkCentre],
) -> None:
    for item in items.values():
        _check_path(reader, item.where + ".image", item.image)
        if item.kind == "made" and item.code not in assemblies:
            reader.error(item.where, f"made item '{item.code}' has no assembly in assemblies.yaml")
    for asm in assemblies.values():
        made = items.get(asm.item)
        if made is None:
            reader.error(asm.where + ".item", f"unknown item '{asm.item}'")
        elif made.kind == "purchased":
            reader.error(asm.where + ".item", f"purchased item '{asm.item}' cannot have an assembly")
        elif made.kind == "finished":
            reader.error(
                asm.where + ".item",
                f"finished item '{asm.item}' has an assembly; its BOM and routing belong in the product file",
            )
        _check_bom_items(reader, asm.bom, items)
        _check_routing(reader, asm.routing, work_centres)
    # cycles
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for line in assemblies[node].bom:
            child = line.item
            if child not in assemblies:
                continue
            if state.get(child) == 1:
                cycle = trail[trail.index(child):] + [child] if child in trail else [node, child]
                reader.error(line.where + ".item", "BOM cycle: " + " -> ".join(cycle))
            elif state.get(child) is None:
                visit(child, [*trail, child])
        state[node] = 2

    for start in assemblies:
        if start not in state:
            visit(start, [start])


def _check_condition(
    reader: _Reader, where: str, cond: Condition, product: Product, *, exclusive_of: str | None = None
) -> None:
    for attr, options in cond.items():
        attribute = product.attribute(attr)
        if attribute is None:
            reader.error(f"{where}.{attr}", f"unknown attribute '{attr}'")
            continue
        for option in options:
            if attribute.option(option) is None:
                reader.error(f"{where}.{attr}", f"unknown option '{option}' of attribute {attr}")


def _check_product(
    reader: _Reader,
    doc: Located,
    product: Product,
    items: Mapping[str, Item],
    assemblies: Mapping[str, Assembly],
    work_centres: Mapping[str, WorkCentre],
) -> None:
    top = items.get(product.item)
    if top is None:
        reader.error(doc.where(("item",)), f"unknown item '{product.item}'")
    elif top.kind != "finished":
        reader.error(doc.where(("item",)), f"item '{product.item}' is {top.kind}, a product's item must be finished")
    _check_path(reader, doc.where(("image",)), product.image)
    groups = set()
    for i, group in enumerate(product.groups):
        if group.code in groups:
            reader.error(doc.where(("groups", i, "code")), f"duplicate group '{group.code}'")
        groups.add(group.code)
        _check_path(reader, doc.where(("groups", i, "image")), group.image)
    attrs: set[str] = set()
    for i, attr in enumerate(product.attributes):
        if attr.code in attrs:
            reader.error(doc.where(("attributes", i, "code")), f"duplicate attribute '{attr.code}'")
        attrs.add(attr.code)
        if attr.group not in groups:
            reader.error(doc.where(("attributes", i, "group")), f"unknown group '{attr.group}'")
        codes: set[str] = set()
        for j, option in enumerate(attr.options):
            if option.code in codes:
                reader.error(doc.where(("attributes", i, "options", j, "code")), f"duplicate option '{option.code}'")
            codes.add(option.code)
            _check_path(reader, doc.where(("attributes", i, "options", j, "image")), option.image)
            if option.swatch is not None and not SWATCH.fullmatch(option.swatch):
                reader.error(doc.where(("attributes", i, "options", j, "swatch")),
                             f"swatch {option.swatch!r} of option '{option.code}' is not a colour: write it as "
                             "#rrggbb, e.g. '#c8102e' (quoted: # starts a YAML comment)")
        if attr.default is not None and attr.default not in codes:
            reader.error(
                doc.where(("attributes", i, "default")), f"unknown option '{attr.default}' of attribute {attr.code}"
            )
    _check_paintable(reader, doc.where(("image",)), product)
    rule_ids: set[str] = set()
    for i, rule in enumerate(product.rules):
        path: tuple[Any, ...] = ("rules", i)
        if rule.id in rule_ids:
            reader.error(doc.where((*path, "id")), f"duplicate rule id '{rule.id}'")
        rule_ids.add(rule.id)
        if isinstance(rule, RequiresRule):
            _check_condition(reader, doc.where((*path, "if")), rule.if_, product)
            _check_condition(reader, doc.where((*path, "then")), rule.then, product)
        elif isinstance(rule, ExcludesRule):
            _check_condition(reader, doc.where((*path, "when")), rule.when, product)
        elif isinstance(rule, TableRule):
            for j, attr_code in enumerate(rule.attributes):
                if product.attribute(attr_code) is None:
                    reader.error(doc.where((*path, "attributes", j)), f"unknown attribute '{attr_code}'")
            for r, row in enumerate(rule.allowed):
                if len(row) != len(rule.attributes):
                    reader.error(
                        doc.where((*path, "allowed", r)),
                        f"row has {len(row)} options but the table has {len(rule.attributes)} attributes",
                    )
                    continue
                for attr_code, cell in zip(rule.attributes, row, strict=True):
                    attribute = product.attribute(attr_code)
                    if attribute is not None and attribute.option(cell) is None:
                        reader.error(
                            doc.where((*path, "allowed", r)), f"unknown option '{cell}' of attribute {attr_code}"
                        )
        elif isinstance(rule, RangeRule):
            _check_condition(reader, doc.where((*path, "if")), rule.if_, product)
            attribute = product.attribute(rule.attribute)
            if attribute is None:
                reader.error(doc.where((*path, "attribute")), f"unknown attribute '{rule.attribute}'")
            else:
                missing = [o.code for o in attribute.options if o.value is None]
                if missing:
                    reader.error(
                        doc.where((*path, "attribute")),
                        f"range rule over attribute {rule.attribute} whose options {', '.join(missing)} have no value",
                    )
            if rule.min is not None and rule.max is not None and rule.min > rule.max:
                reader.error(doc.where((*path, "min")), f"min {rule.min} is above max {rule.max}")
    _check_bom_items(reader, product.bom, items)
    for i, line in enumerate(product.bom):
        _check_condition(reader, doc.where(("bom", i, "when")), line.when, product)
        if line.qty_by is not None:
            _check_condition(
                reader, doc.where(("bom", i, "qty_by", "values")), {line.qty_by.attribute: tuple(line.qty_by.values)}, product
            )
    _check_routing(reader, product.routing, work_centres)
    for i, op in enumerate(product.routing):
        _check_condition(reader, doc.where(("routing", i, "when")), op.when, product)


def _check_assembly_conditions(
    reader: _Reader, products: Mapping[str, Product], assemblies: Mapping[str, Assembly]
) -> None:
    """Assembly conditions name attributes of every product reaching them, options of at least one."""
    users: dict[str, list[Product]] = {}
    for product in products.values():
        for asm_code in product.assemblies:
            users.setdefault(asm_code, []).append(product)
    for asm_code, asm in assemblies.items():
        reaching = users.get(asm_code, [])
        conditions: list[tuple[str, Condition]] = []
        for line in asm.bom:
            conditions.append((line.where + ".when", line.when))
            if line.qty_by is not None:
                conditions.append((line.where + ".qty_by", {line.qty_by.attribute: tuple(line.qty_by.values)}))
        for op in asm.routing:
            conditions.append((op.where + ".when", op.when))
        for where, cond in conditions:
            for attr, options in cond.items():
                lacking = [p.code for p in reaching if p.attribute(attr) is None]
                if lacking:
                    reader.error(f"{where}.{attr}", f"attribute '{attr}' is not an attribute of product(s) {', '.join(lacking)} that use this assembly")
                    continue
                known = {o for p in reaching if (a := p.attribute(attr)) is not None for o in a.option_codes}
                for option in options:
                    if reaching and option not in known:
                        reader.error(f"{where}.{attr}", f"unknown option '{option}' of attribute {attr}")
