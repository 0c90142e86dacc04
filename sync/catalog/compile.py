"""Compiling a product's attributes and rules into the configurator's plain :class:`Problem`.

Attributes become variables (options in catalog order), rules become constraints named by their
rule id, so every explanation the engine gives points back at a rule a person wrote.
"""

from __future__ import annotations

from sync.catalog.model import (
    Condition,
    ExcludesRule,
    Product,
    RangeRule,
    RequiresRule,
    Rule,
    TableRule,
)
from sync.configurator.model import Clause, Constraint, Problem, Table, Variable


def _negated(product: Product, condition: Condition) -> list[tuple[str, frozenset[str]]]:
    """Literals saying "this condition fails": each attribute takes an option outside its list."""
    literals = []
    for attr, options in condition.items():
        attribute = product.attribute(attr)
        domain = attribute.option_codes if attribute is not None else ()
        literals.append((attr, frozenset(o for o in domain if o not in options)))
    return literals


def rule_constraints(product: Product, rule: Rule) -> list[Constraint]:
    """The constraints one rule stands for (a ``requires`` with several ``then`` gives one clause each)."""
    if isinstance(rule, RequiresRule):
        unless = _negated(product, rule.if_)
        return [
            Clause(rule.id, tuple(unless + [(attr, frozenset(options))]))
            for attr, options in rule.then.items()
        ]
    if isinstance(rule, ExcludesRule):
        return [Clause(rule.id, tuple(_negated(product, rule.when)))]
    if isinstance(rule, TableRule):
        return [Table(rule.id, rule.attributes, rule.allowed)]
    if isinstance(rule, RangeRule):
        attribute = product.attribute(rule.attribute)
        inside = frozenset(
            o.code
            for o in (attribute.options if attribute is not None else ())
            if o.value is not None
            and (rule.min is None or o.value >= rule.min)
            and (rule.max is None or o.value <= rule.max)
        )
        return [Clause(rule.id, tuple(_negated(product, rule.if_) + [(rule.attribute, inside)]))]
    raise TypeError(f"unknown rule {rule!r}")


def product_problem(product: Product, rules: tuple[Rule, ...] | None = None) -> Problem:
    """The finite-domain problem of ``product`` (optionally with only some of its rules)."""
    variables = tuple(Variable(a.code, a.option_codes) for a in product.attributes)
    constraints: list[Constraint] = []
    for rule in product.rules if rules is None else rules:
        constraints.extend(rule_constraints(product, rule))
    return Problem(variables, tuple(constraints))
