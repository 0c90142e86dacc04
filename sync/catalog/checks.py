"""Checks that need the configurator engine: products nobody can configure, options nobody can reach.

Why here and not in the schema: they depend on how all rules of a product interact, which only
the exact engine knows.
"""

from __future__ import annotations

from sync.catalog.compile import product_problem
from sync.catalog.findings import Finding
from sync.catalog.model import Product, Rule


def conflicting_rules(product: Product) -> tuple[Rule, ...]:
    """A minimal set of rules that together leave ``product`` with no valid configuration."""
    from sync.configurator.engine import Engine

    kept = list(product.rules)
    for rule in list(product.rules):
        trial = tuple(r for r in kept if r is not rule)
        if not Engine(product_problem(product, trial)).satisfiable():
            kept = list(trial)
    return tuple(kept)


def configurator_findings(product: Product) -> list[Finding]:
    """Errors for an unconfigurable product and unreachable options, warnings for options without effect."""
    from sync.configurator.engine import Engine

    engine = Engine(product_problem(product))
    if not engine.satisfiable():
        rules = conflicting_rules(product)
        listing = "; ".join(f"{r.id} ({r.where})" for r in rules)
        return [Finding(product.where, f"product {product.code} has no valid configuration: rules {listing} conflict")]
    findings: list[Finding] = []
    domains = engine.new_session().domains()
    for attribute in product.attributes:
        for option in attribute.options:
            if not domains.get(attribute.code, {}).get(option.code, False):
                findings.append(
                    Finding(option.where, f"option '{option.code}' of attribute {attribute.code} is in no valid configuration")
                )
    findings.extend(_no_effect_warnings(product))
    return findings


def _no_effect_warnings(product: Product) -> list[Finding]:
    """Options with no price delta of an attribute no BOM line or operation depends on.

    Such an option changes nothing an order carries except its label: probably a forgotten price
    or BOM line.
    """
    used: set[str] = set()
    lines = list(product.bom) + [line for asm in product.assemblies.values() for line in asm.bom]
    ops = list(product.routing) + [op for asm in product.assemblies.values() for op in asm.routing]
    for line in lines:
        for attr in line.when:
            used.add(attr)
        if line.qty_by is not None:
            used.add(line.qty_by.attribute)
    for op in ops:
        for attr in op.when:
            used.add(attr)
    findings = []
    for attribute in product.attributes:
        if len(attribute.options) < 2 or attribute.code in used:
            continue
        for option in attribute.options:
            if option.price == 0:
                findings.append(
                    Finding(
                        option.where,
                        f"option '{option.code}' of attribute {attribute.code} has no price and no BOM effect",
                        "warning",
                    )
                )
    return findings
