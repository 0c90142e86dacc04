"""Planning inputs from a catalog product revision: items, work centres and the resolved structure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import tzinfo

from sync.catalog.model import BomLine, Operation, Product, condition_holds
from sync.planning.model import CentreSpec, ItemSpec, OpSpec, StructureNode
from sync.station.calendar import WeeklyShifts


def ships_from_stock(product: Product, configuration: Mapping[str, str]) -> bool:
    """Whether an order of ``configuration`` may take a finished unit off the shelf (the hub plans it so, the
    kiosk estimates it so): only the product's standard build is kept in stock; any other build is made."""
    return dict(configuration) == product.defaults()


def structure(product: Product, configuration: Mapping[str, str]) -> StructureNode:
    """The configuration's BOM as a tree, with the routing of each made item (conditions evaluated)."""

    def ops(routing: Iterable[Operation]) -> tuple[OpSpec, ...]:
        return tuple(
            OpSpec(o.op, o.code, o.work_centre, float(o.setup_min), float(o.run_min), o.qc, o.outsourced,
                   o.supplier, o.lead_time_days)
            for o in sorted(routing, key=lambda o: o.op) if condition_holds(o.when, configuration))

    def children(lines: Iterable[BomLine]) -> tuple[StructureNode, ...]:
        nodes = []
        for line in lines:
            per = line.quantity(configuration)
            if per == 0:
                continue
            assembly = product.assemblies.get(line.item)
            if assembly is None:
                nodes.append(StructureNode(line.item, float(per)))
            else:
                nodes.append(StructureNode(line.item, float(per), children(assembly.bom),
                                           ops(assembly.routing)))
        return tuple(nodes)

    return StructureNode(product.item, 1.0, children(product.bom), ops(product.routing))


def items(product: Product) -> dict[str, ItemSpec]:
    return {code: ItemSpec(code, it.kind, float(it.stock), float(it.safety_stock), it.lead_time_days, it.supplier,
                           float(it.unit_cost), it.purchasing.policy, float(it.purchasing.min_qty),
                           float(it.purchasing.multiple), float(it.purchasing.reorder_point),
                           float(it.purchasing.order_qty), it.purchasing.period_days)
            for code, it in product.items.items()}


def centres(product: Product, zone: tzinfo) -> dict[str, CentreSpec]:
    return {code: CentreSpec(code, wc.capacity, WeeklyShifts.from_catalog(wc.calendar, zone),
                             wc.outsourced) for code, wc in product.work_centres.items()}
