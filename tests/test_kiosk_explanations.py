"""Every explanation the kiosk shows is true of the customer's screen (issue 16 item 2).

Brute force over the demo catalog: from a start where the kiosk filled every option and one where the
customer chose every option, each single-choice change (a tap on an available option, "Switch to this"
on an unavailable one) gives a screen; on it, every unavailable option's reason panel must name only
choices the customer has now, call the kiosk's picks "picked for you" and the customer's own choices not,
show no table rule's whole-table sentence, and say exactly what "Switch to this" then removes.
The default run covers the cargo bike (the product of the report); ``-m slow`` covers every product.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.events import MemorySink
from kiosk.flow import KioskModel, Screen
from sync.catalog import Catalog, load_catalog
from sync.catalog.model import Product
from sync.configurator.product import ProductConfigurator

REPO = Path(__file__).resolve().parent.parent
PICKED = " (picked for you)"


@pytest.fixture(scope="module")
def demo() -> Catalog:
    return load_catalog(REPO / "assets" / "catalog", deep=False)


def pair(product: Product, attribute: str, option: str) -> str:
    attr = product.attribute(attribute)
    assert attr is not None
    opt = attr.option(option)
    assert opt is not None
    return f"{attr.label['en']}: {opt.label['en']}"


def restore(model: KioskModel, choices: dict[str, str], filled: dict[str, str]) -> None:
    """Put the session back to these choices (in this order) and kiosk picks, as before a tap."""
    assert model.configurator is not None and model.product is not None
    config = ProductConfigurator(model.product, model.configurator.engine)
    for attribute, option in choices.items():
        config.choose(attribute, option)
    model.configurator = config
    model.filled = dict(filled)
    model.notice = None


def check_screen(model: KioskModel, seen: dict[str, int]) -> None:
    """Every reason panel of this screen against the customer's actual choices."""
    assert model.product is not None and model.configurator is not None
    product = model.product
    engine = model.configurator.engine
    choices = model.configurator.choices
    filled = dict(model.filled)
    table_sentences = {r.message["en"] for r in product.rules if r.kind == "table" and r.message}
    every_pair = {pair(product, a.code, o.code): (a.code, o.code) for a in product.attributes for o in a.options}
    for attr in product.attributes:
        for state in model.configurator.options(attr.code):
            if state.available:
                continue
            lines = [n.text("en") for n in model.why(attr.code, state.code)]
            reason = state.reason
            assert reason is not None and lines, (attr.code, state.code)
            seen["panels"] += 1
            where = f"{product.code} {attr.code}={state.code} with {choices} (kiosk filled {filled}): {lines}"
            # the named choices are this customer's choices now, and they really rule the option out
            assert reason.choices.items() <= choices.items(), where
            assert not engine.is_valid({**reason.choices, attr.code: state.code}), where
            for line in lines:
                assert not any(sentence in line for sentence in table_sentences), where
                named = [text for text in every_pair if text in line]
                for text in named:
                    a, o = every_pair[text]
                    assert choices.get(a) == o, f"names {text}, not a choice now: {where}"
                    assert (text + PICKED in line) == (filled.get(a) == o), f"{text} picked-for-you mark wrong: {where}"
            for a, o in reason.choices.items():
                assert pair(product, a, o) in lines[0], where
            for rule_id in reason.rules:  # a rule's own sentence only when it is about what is on screen
                rule = product.rule(rule_id)
                assert rule is not None
                if rule.message and rule.kind != "table":
                    assert rule.message["en"] in lines, where
            # "Switch to this" removes exactly what the panel said it would, nothing of the customer's
            # own when dropping the kiosk's picks is enough
            removes = next((line for line in lines if line.startswith("Switch to this removes: ")), "")
            before_choices, before_filled = dict(choices), dict(filled)
            dropped = model.switch_to(attr.code, state.code)
            after = model.configurator.choices
            assert after.get(attr.code) == state.code, where
            assert {a for a in before_choices if a not in after and a != attr.code} == set(dropped), where
            assert bool(dropped) == bool(removes), where
            for a, o in dropped.items():
                assert pair(product, a, o) in removes, where
                seen["removed_own"] += a not in before_filled
            restore(model, before_choices, before_filled)


def start(catalog: Catalog, code: str, own: bool) -> KioskModel:
    """A session at the summary: the kiosk filled every option (``own`` False) or the customer tapped each."""
    model = KioskModel(catalog, MemorySink())
    model.start()
    model.select_product(code)
    while model.screen == Screen.OPTIONS:
        if own:
            for view in model.attributes():
                if view.suggested is not None:
                    model.tap_option(view.code, view.suggested)
        model.next()
    return model


def walk(catalog: Catalog, code: str) -> dict[str, int]:
    seen = {"panels": 0, "screens": 0, "removed_own": 0}
    for own in (False, True):
        model = start(catalog, code, own)
        assert model.product is not None and model.configurator is not None
        base_choices, base_filled = model.configurator.choices, dict(model.filled)
        check_screen(model, seen)
        for attr in model.product.attributes:
            for option in attr.options:
                if base_choices.get(attr.code) == option.code:
                    continue
                restore(model, base_choices, base_filled)
                if model.option_state(attr.code, option.code).available:
                    model.tap_option(attr.code, option.code)
                else:
                    model.switch_to(attr.code, option.code)
                seen["screens"] += 1
                check_screen(model, seen)
    return seen


def test_reported_case_names_the_motor_not_two_batteries(demo: Catalog) -> None:
    """The report: one battery, mid-drive motor; the 15 A controller was refused with the drive table's
    "two batteries need the fast charger" and "Switch to this" then removed the motor, unannounced."""
    model = KioskModel(demo, MemorySink())
    model.start()
    model.select_product("CARGO")
    while model.groups[model.step].code != "drive":
        model.next()
    model.tap_option("motor", "mid65")
    model.tap_option("battery", "b500")
    lines = [n.text("en") for n in model.why("controller", "c15")]
    assert lines == ["It does not go with: Motor: Mid-drive, 65 Nm.", "Switch to this removes: Motor: Mid-drive, 65 Nm."]
    assert not any("batter" in line for line in lines)
    assert model.switch_to("controller", "c15") == {"motor": "mid65"}


def test_kiosk_picks_are_dropped_before_the_customers_own(demo: Catalog) -> None:
    """A switch that can keep the customer's choice by dropping one the kiosk filled in does so."""
    model = KioskModel(demo, MemorySink())
    model.start()
    model.select_product("CARGO")
    while model.groups[model.step].code != "drive":
        model.next()
    model.jump(model.step + 1)  # the kiosk fills the drive options: hub motor, 500 Wh, 15 A, standard charger, LED
    model.back()  # the drive group's last page: the display
    model.tap_option("display", "lcd")  # the customer's own
    lines = [n.text("en") for n in model.why("motor", "mid85")]
    assert any("(picked for you)" in line for line in lines), lines
    dropped = model.switch_to("motor", "mid85")
    assert dropped and all(a in model.filled or a not in ("display",) for a in dropped)
    assert model.configurator is not None and model.configurator.choices["display"] == "lcd"


def test_every_explanation_on_the_cargo_bike_matches_the_screen(demo: Catalog) -> None:
    seen = walk(demo, "CARGO")
    assert seen["screens"] > 50 and seen["panels"] > 300, seen


@pytest.mark.slow
@pytest.mark.parametrize("code", ["CITY", "MTB"])
def test_every_explanation_on_every_demo_product_matches_the_screen(demo: Catalog, code: str) -> None:
    seen = walk(demo, code)
    assert seen["screens"] > 20 and seen["panels"] > 0, seen
