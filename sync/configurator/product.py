"""The catalog-aware configurator the kiosk and the hub use: labels, prices, reasons, BOM, routing.

The engine only knows variables and values; this layer speaks in attributes and options of one
:class:`sync.catalog.Product`, turns explanations into sentences a customer can read (en/zh_CN),
and resolves the multi-level BOM and routing that a complete configuration orders.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sync.catalog.compile import product_problem
from sync.catalog.model import Attribute, BomLine, Label, Operation, Product, condition_holds
from sync.configurator.engine import Engine, Session
from sync.errors import ConfigurationError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reason:
    """Why an option is unavailable: the conflicting choices, the rules, readable messages."""

    choices: dict[str, str]
    rules: tuple[str, ...]
    messages: list[dict[str, str]]
    """The rules' own sentences that hold for these choices, else one naming the conflicting choices."""
    rule_messages: list[dict[str, str]] = field(default_factory=list)
    """Only the rules' own sentences. A table rule's sentence is left out: it speaks of the whole table
    (e.g. "two batteries need the fast charger") and so names options the customer may not have chosen."""


@dataclass(frozen=True)
class OptionState:
    code: str
    label: dict[str, str]
    price: Decimal
    image: str | None
    chosen: bool
    available: bool
    reason: Reason | None = None
    swatch: str | None = None
    """A colour option's colour (#rrggbb): the kiosk paints the product's picture with it."""


@dataclass(frozen=True)
class PriceLine:
    attribute: str
    option: str
    label: dict[str, str]
    delta: Decimal


@dataclass(frozen=True)
class PriceBreakdown:
    base: Decimal
    lines: list[PriceLine]
    total: Decimal
    currency: str = "CNY"


@dataclass(frozen=True)
class ResolvedBomLine:
    """One line of the exploded BOM; ``qty`` is per finished unit, ``qty_per`` per parent unit."""

    level: int
    parent: str
    item: str
    name: dict[str, str]
    kind: str
    unit: str
    qty_per: Decimal
    qty: Decimal
    unit_cost: Decimal


@dataclass(frozen=True)
class ResolvedOperation:
    """One operation to run for one finished unit; ``qty`` units of ``item`` pass through it."""

    item: str
    op: int
    code: str
    name: dict[str, str]
    work_centre: str
    setup_min: Decimal
    run_min: Decimal
    qty: Decimal
    qc: bool
    outsourced: bool
    supplier: str | None
    lead_time_days: int
    sop: str | None
    level: int = 0
    standard_min: Decimal = field(default=Decimal(0))
    """setup_min + run_min * qty: the standard time of this operation for one finished unit."""


def _text(label: Label | None, fallback: str) -> dict[str, str]:
    return dict(label) if label else {"en": fallback, "zh_CN": fallback}


class ProductConfigurator:
    """One customer's configuration of one product."""

    def __init__(self, product: Product, engine: Engine | None = None) -> None:
        self.product = product
        self.engine = engine if engine is not None else Engine(product_problem(product))
        self.session: Session = self.engine.new_session()
        self._judges_for: tuple[tuple[str, str], ...] = ()
        self._judges: dict[str, Session] = {}

    # --- choices -------------------------------------------------------------------------------
    @property
    def choices(self) -> dict[str, str]:
        return self.session.choices

    def _attribute(self, code: str) -> Attribute:
        attribute = self.product.attribute(code)
        if attribute is None:
            known = ", ".join(a.code for a in self.product.attributes)
            raise ConfigurationError(
                f"unknown attribute '{code}' of product {self.product.code}", where="configurator", fix=f"one of: {known}"
            )
        return attribute

    def _check(self, attribute: str, option: str) -> Attribute:
        attr = self._attribute(attribute)
        if attr.option(option) is None:
            raise ConfigurationError(
                f"unknown option '{option}' of attribute {attribute}",
                where=f"product {self.product.code}",
                fix=f"one of: {', '.join(attr.option_codes)}",
            )
        return attr

    def choose(self, attribute: str, option: str) -> None:
        self._check(attribute, option)
        self.session.choose(attribute, option)

    def unchoose(self, attribute: str) -> None:
        self._attribute(attribute)
        self.session.unchoose(attribute)

    def undo(self) -> None:
        self.session.undo()

    @property
    def depth(self) -> int:
        """How many changes :meth:`undo` can take back."""
        return self.session.depth

    def switch(self, attribute: str, option: str, keep_first: Sequence[str] = ()) -> dict[str, str]:
        self._check(attribute, option)
        return self.session.switch(attribute, option, keep_first)

    def switch_drops(self, attribute: str, option: str, keep_first: Sequence[str] = ()) -> dict[str, str]:
        """What :meth:`switch` would drop, said before the customer taps it."""
        self._check(attribute, option)
        return self.session.switch_drops(attribute, option, keep_first)

    # --- what the screen shows -----------------------------------------------------------------
    def _session_for(self, attribute: str) -> Session:
        """The session that judges ``attribute``'s options: for a chosen attribute, one without its
        own choice, so the other options show whether choosing them instead would work."""
        choices = self.session.choices
        if attribute not in choices:
            return self.session
        key = tuple(choices.items())
        if self._judges_for != key:  # choices changed: earlier scratch sessions no longer apply
            self._judges_for, self._judges = key, {}
        if attribute not in self._judges:
            scratch = self.engine.new_session()
            for name, value in choices.items():
                if name != attribute:
                    scratch.choose(name, value)
            self._judges[attribute] = scratch
        return self._judges[attribute]

    def options(self, attribute: str) -> list[OptionState]:
        """Every option of ``attribute``; for a chosen attribute, availability means "could replace it"."""
        attr = self._attribute(attribute)
        judge = self._session_for(attr.code)
        domain = judge.domains()[attr.code]
        chosen = self.session.choices.get(attr.code)
        states = []
        for option in attr.options:
            available = domain[option.code]
            reason = None if available else self._reason(judge, attr.code, option.code)
            states.append(
                OptionState(option.code, dict(option.label), option.price, option.image,
                            option.code == chosen, available, reason, option.swatch)
            )
        return states

    def reason(self, attribute: str, option: str) -> Reason:
        """Why ``option`` is unavailable now, with the rule messages (or a generated sentence)."""
        self._check(attribute, option)
        return self._reason(self._session_for(attribute), attribute, option)

    def _reason(self, judge: Session, attribute: str, option: str) -> Reason:
        explanation = judge.explain(attribute, option)
        messages: list[dict[str, str]] = []
        for rule_id in explanation.rules:
            rule = self.product.rule(rule_id)
            if rule is not None and rule.message and rule.kind != "table":
                if dict(rule.message) not in messages:
                    messages.append(dict(rule.message))
        shown = list(messages) or [self._conflict_sentence(explanation.choices)]
        return Reason(dict(explanation.choices), tuple(explanation.rules), shown, messages)

    def _conflict_sentence(self, choices: Mapping[str, str]) -> dict[str, str]:
        if not choices:
            return {"en": "Not available in any configuration", "zh_CN": "任何配置都不可选"}
        en, zh = [], []
        for attr_code, opt_code in choices.items():
            attr = self._attribute(attr_code)
            opt = attr.option(opt_code)
            opt_label = _text(opt.label if opt else None, opt_code)
            en.append(f"{attr.label['en']}: {opt_label['en']}")
            zh.append(f"{attr.label['zh_CN']}：{opt_label['zh_CN']}")
        return {"en": "Not available with " + ", ".join(en), "zh_CN": "与" + "、".join(zh) + "不兼容"}

    def complete(self) -> dict[str, str]:
        """A full valid configuration keeping the choices, taking catalog defaults where possible."""
        return self.session.complete(self.product.defaults())

    def is_complete(self) -> bool:
        return all(a.code in self.session.choices for a in self.product.attributes)

    def _configuration(self) -> dict[str, str]:
        if not self.is_complete():
            missing = [a.code for a in self.product.attributes if a.code not in self.session.choices]
            raise ConfigurationError(
                f"configuration of {self.product.code} is not complete: {', '.join(missing)} not chosen",
                where="configurator",
                fix="choose them or call complete()",
            )
        return self.session.choices

    # --- money, BOM, routing -------------------------------------------------------------------
    def price(self, so_far: bool = False) -> PriceBreakdown:
        """Base price plus the delta of every chosen option (chosen so far, in attribute order); ``so_far``
        prices the configuration as it stands, open questions at what :meth:`complete` would take, so a
        kiosk's running total already counts a priced option a choice forced (the 85 Nm motor the twin
        battery needs) instead of jumping by it on the summary."""
        lines = []
        choices = self.session.choices
        if so_far and not self.is_complete():
            try:
                choices = self.complete()
            except ConfigurationError:
                log.warning("configurator: no completion of %s to price; the choices alone", self.product.code,
                            exc_info=True)
        for attr in self.product.attributes:
            if attr.code in choices:
                opt = attr.option(choices[attr.code])
                if opt is not None:
                    lines.append(PriceLine(attr.code, opt.code, dict(opt.label), opt.price))
        return PriceBreakdown(self.product.base_price, lines, list_price(self.product, choices), self.product.currency)

    def bom(self) -> list[ResolvedBomLine]:
        """The exploded BOM of one finished unit, depth first, conditions evaluated at every level."""
        return resolve_bom(self.product, self._configuration())

    def routing(self) -> list[ResolvedOperation]:
        """Every operation for one finished unit, sub-assemblies before the items they go into."""
        return resolve_routing(self.product, self._configuration())


def list_price(product: Product, configuration: Mapping[str, str]) -> Decimal:
    """Base price plus the delta of every chosen option: the price a kiosk shows and an order carries."""
    return product.base_price + sum((opt.price for attr in product.attributes
                                     if (opt := attr.option(configuration.get(attr.code, ""))) is not None),
                                    Decimal(0))


def resolve_bom(product: Product, configuration: Mapping[str, str]) -> list[ResolvedBomLine]:
    """The exploded BOM of ``product`` for a full ``configuration`` (used by the hub too)."""
    out: list[ResolvedBomLine] = []

    def explode(parent: str, lines: tuple[BomLine, ...], multiplier: Decimal, level: int) -> None:
        for line in lines:
            per = line.quantity(configuration)
            if per == 0:
                continue
            item = product.items[line.item]
            total = per * multiplier
            out.append(ResolvedBomLine(level, parent, item.code, dict(item.name), item.kind, item.unit,
                                       per, total, item.unit_cost))
            assembly = product.assemblies.get(item.code)
            if assembly is not None:
                explode(item.code, assembly.bom, total, level + 1)

    explode(product.item, product.bom, Decimal(1), 1)
    return out


def resolve_routing(product: Product, configuration: Mapping[str, str],
                    bom: Sequence[ResolvedBomLine] | None = None) -> list[ResolvedOperation]:
    """Operations of every made item (quantities summed over the BOM), then the product's own.

    ``bom``: this configuration's :func:`resolve_bom`, when the caller has it already.
    """
    bom = resolve_bom(product, configuration) if bom is None else bom
    made: dict[str, tuple[Decimal, int]] = {}
    for line in bom:
        if line.item in product.assemblies:
            qty, level = made.get(line.item, (Decimal(0), 0))
            made[line.item] = (qty + line.qty, max(level, line.level))
    ordered = sorted(made.items(), key=lambda kv: -kv[1][1])  # deepest first; stable keeps BOM order
    out: list[ResolvedOperation] = []

    def add(item: str, ops: tuple[Operation, ...], qty: Decimal, level: int) -> None:
        for op in sorted(ops, key=lambda o: o.op):
            if not condition_holds(op.when, configuration):
                continue
            out.append(ResolvedOperation(
                item, op.op, op.code, dict(op.name), op.work_centre, op.setup_min, op.run_min, qty,
                op.qc, op.outsourced, op.supplier, op.lead_time_days, op.sop, level,
                op.setup_min + op.run_min * qty,
            ))

    for item, (qty, level) in ordered:
        add(item, product.assemblies[item].routing, qty, level)
    add(product.item, product.routing, Decimal(1), 0)
    return out
