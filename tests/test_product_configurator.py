"""The catalog-aware configurator: reasons with rule messages, exact prices, resolved BOM and routing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from sync.catalog import Product, load_catalog
from sync.configurator.product import ProductConfigurator
from sync.errors import ConfigurationError

SMALL = Path(__file__).parent / "catalogs" / "small"


@pytest.fixture(scope="module")
def bike() -> Product:
    return load_catalog(SMALL).products["BIKE"]


def configured(bike: Product, **choices: str) -> ProductConfigurator:
    pc = ProductConfigurator(bike)
    for attr, option in choices.items():
        pc.choose(attr, option)
    for attr, option in pc.complete().items():
        if attr not in pc.choices:
            pc.choose(attr, option)
    return pc


def test_unavailable_option_carries_the_rule_message_in_both_languages(bike: Product) -> None:
    pc = ProductConfigurator(bike)
    pc.choose("motor", "mid")
    states = {s.code: s for s in pc.options("battery")}
    assert states["b625"].available and not states["b400"].available
    reason = states["b400"].reason
    assert reason is not None
    assert reason.choices == {"motor": "mid"} and reason.rules == ("mid-needs-big-battery",)
    assert reason.messages == [{"en": "The mid motor needs the 625 Wh battery", "zh_CN": "中置电机需要625瓦时电池"}]


def test_rule_without_message_gets_a_sentence_naming_the_conflicting_choice(bike: Product) -> None:
    pc = ProductConfigurator(bike)
    pc.choose("motor", "mid")
    reason = {s.code: s for s in pc.options("wheel_size")}["26"].reason
    assert reason is not None and reason.rules == ("drive-table",)
    assert reason.messages == [{"en": "Not available with Motor: Mid motor", "zh_CN": "与电机：中置电机不兼容"}]


def test_complete_takes_catalog_defaults_where_the_rules_allow(bike: Product) -> None:
    pc = ProductConfigurator(bike)
    assert pc.complete()["motor"] == "hub" and pc.complete()["wheel_size"] == "28"
    pc.choose("rider", "tall")
    assert pc.complete()["battery"] == "b625"  # range rule: tall riders need >= 500 Wh
    assert not pc.is_complete()


def test_price_breakdown_is_exact(bike: Product) -> None:
    pc = configured(bike, motor="mid", colour="red")
    price = pc.price()
    assert price.base == Decimal("5000")
    assert {(line.attribute, line.delta) for line in price.lines if line.delta} == {
        ("motor", Decimal("1500")), ("battery", Decimal("800.50")), ("colour", Decimal("200"))}
    assert price.total == Decimal("7500.50")


def test_bom_resolves_every_level_with_option_quantities(bike: Product) -> None:
    bom26 = {(b.parent, b.item): b for b in configured(bike, wheel_size="26", colour="black").bom()}
    assert bom26[("WHEEL-SET", "WHEEL")].qty == 2
    assert bom26[("WHEEL", "SPOKE")].qty_per == 32 and bom26[("WHEEL", "SPOKE")].qty == 64
    assert bom26[("WHEEL", "RIM-26")].level == 3 and ("WHEEL", "RIM-28") not in bom26
    bom28 = {(b.parent, b.item): b for b in configured(bike, wheel_size="28", motor="mid").bom()}
    assert bom28[("WHEEL", "SPOKE")].qty == 72 and ("BIKE", "MOTOR-MID") in bom28 and ("BIKE", "MOTOR-HUB") not in bom28


def test_routing_covers_every_made_item_with_conditional_operations(bike: Product) -> None:
    black = configured(bike, colour="black").routing()
    assert [(o.item, o.code) for o in black] == [("WHEEL", "LACE"), ("WHEEL-SET", "PAIR"), ("BIKE", "ASSY"), ("BIKE", "QC")]
    lace = black[0]
    assert lace.qty == 2 and lace.standard_min == Decimal(5 + 18 * 2) and lace.sop == "sop/wheel.md"
    red = configured(bike, colour="red").routing()
    coat = next(o for o in red if o.code == "COAT")
    assert coat.outsourced and coat.supplier == "Shine Coating Co." and coat.lead_time_days == 4


def test_bom_of_incomplete_configuration_is_refused(bike: Product) -> None:
    pc = ProductConfigurator(bike)
    pc.choose("motor", "hub")
    with pytest.raises(ConfigurationError, match="not complete"):
        pc.bom()


def test_unknown_attribute_and_option_have_clear_messages(bike: Product) -> None:
    pc = ProductConfigurator(bike)
    with pytest.raises(ConfigurationError, match="unknown attribute 'saddle' of product BIKE"):
        pc.choose("saddle", "gel")
    with pytest.raises(ConfigurationError, match="unknown option 'b999' of attribute battery"):
        pc.choose("battery", "b999")


def test_switch_drops_conflicting_choice_and_undo_restores_it(bike: Product) -> None:
    pc = ProductConfigurator(bike)
    pc.choose("motor", "mid")
    assert pc.switch("battery", "b400") == {"motor": "mid"}
    assert pc.choices == {"battery": "b400"}
    pc.undo()
    assert pc.choices == {"motor": "mid"}


def test_other_options_of_a_chosen_attribute_show_whether_they_could_replace_it(bike: Product) -> None:
    pc = ProductConfigurator(bike)
    pc.choose("motor", "mid")
    pc.choose("colour", "red")
    colours = {s.code: s for s in pc.options("colour")}
    assert colours["red"].chosen and colours["black"].available
    motors = {s.code: s for s in pc.options("motor")}
    assert motors["hub"].available and motors["mid"].chosen
    pc.choose("battery", "b625")
    batteries = {s.code: s for s in pc.options("battery")}
    assert not batteries["b400"].available
    assert batteries["b400"].reason is not None and batteries["b400"].reason.choices == {"motor": "mid"}
