"""A customer played by a script: the kiosk flow tapped through without a screen, into the kiosk's own store.

Why: the demo's check (``python -m sync.demo --check``) and the end-to-end loop test place their order the way
a customer does — taps on :class:`kiosk.flow.KioskModel`, the order written by the kiosk's order store and sent
by its sync link — instead of writing the hub's event by hand, so a break anywhere between the kiosk's
screens and the hub shows up there.

``python -m kiosk.scripted --catalog DB [--product CODE] [--choose attr=option ...]`` places one
build-to-order bike with the settings' broker and data folder, waits for the hub's answer and prints it as
one JSON line (``{"order_id", "number", "product", "configuration", "promise_date"}``); exit 1 when the
hub refused the order or did not answer in time.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from kiosk.flow import KioskModel, PlacedOrder, Screen
from sync.errors import ConfigurationError


def build_to_order(model: KioskModel, product: str | None = None, choose: Mapping[str, str] | None = None,
                   name: str = "Li Wei", phone: str = "13800138000") -> PlacedOrder:
    """Tap through the flow and place a bike that differs from the shop-window one, so the hub must build it.

    ``choose`` names the options to tap (attribute -> option); without it the first attribute with another
    available option gets that option. Every other attribute takes what the kiosk fills in on Next."""
    model.start()
    cards = model.products()
    if not cards:
        raise ConfigurationError("the kiosk has no product to sell", where="kiosk gallery")
    model.select_product(product or cards[0].code)
    assert model.product is not None
    defaults = model.product.defaults()
    wanted = dict(choose or {})
    changed = False
    while model.screen == Screen.OPTIONS:
        for view in model.attributes():
            if view.code in wanted:
                option = wanted.pop(view.code)
                model.tap_option(view.code, option)
                if model.configurator is None or model.configurator.choices.get(view.code) != option:
                    raise ConfigurationError(f"{view.code}={option} is not available with the choices so far",
                                             where=f"kiosk product {model.product.code}",
                                             fix="choose an option the kiosk offers on that page")
                changed = True
            elif not changed and not choose:
                other = next((o for o in view.options if o.available and o.code != defaults.get(view.code)), None)
                if other is not None:
                    model.tap_option(view.code, other.code)
                    changed = True
        model.next()
    if wanted:
        raise ConfigurationError(f"no such attribute to choose: {', '.join(sorted(wanted))}",
                                 where=f"kiosk product {model.product.code}")
    if model.screen != Screen.SUMMARY:
        raise ConfigurationError(f"the flow stopped on {model.screen}, not the summary", where="kiosk flow")
    model.to_details()
    for field_name, text in (("name", name), ("phone", phone)):
        model.focus_field(field_name)
        model.set_field(field_name, text)
    order = model.place_order()
    if order is None:
        problem = model.notice.text("en") if model.notice else ", ".join(model.field_errors.values())
        raise ConfigurationError(f"the kiosk did not place the order: {problem}", where="kiosk details")
    if order.configuration == defaults:
        raise ConfigurationError("the configured bike is the shop-window one, which ships from stock",
                                 where="kiosk flow", fix="choose another option")
    return order


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m kiosk.scripted", description=__doc__.splitlines()[0])
    p.add_argument("--config", help="settings TOML file (see docs/settings.md)")
    p.add_argument("--catalog", required=True, help="catalog database with released revisions")
    p.add_argument("--product", help="product code (default: the first of the gallery)")
    p.add_argument("--choose", action="append", default=[], metavar="ATTR=OPTION", help="an option to tap")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the hub's answer")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    from kiosk.catalog_source import read_source
    from kiosk.events import MemorySink
    from kiosk.link import SyncLink
    from kiosk.qt import QCoreApplication, QTimer
    from sync import settings as settings_module
    from sync.errors import FloorLinkError

    args = parse_args(argv)
    try:
        choose = dict(item.split("=", 1) for item in args.choose)
    except ValueError:
        print("kiosk.scripted: --choose takes ATTRIBUTE=OPTION", file=sys.stderr)
        return 2
    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    try:
        settings = settings_module.load(args.config)
        catalog, revisions, problem = read_source(Path(args.catalog))
        if catalog is None:
            raise ConfigurationError(problem or "no catalog", where=args.catalog)
        model = KioskModel(catalog, MemorySink(), revisions=revisions, language="en")
        link = SyncLink.open(model, settings, Path(settings.get("node.data_dir")).expanduser())
    except FloorLinkError as exc:
        print(f"kiosk.scripted: {exc}", file=sys.stderr)
        return 2
    model.sink = link.sink()
    link.start()
    try:
        order = build_to_order(model, args.product, choose)

        def answered() -> None:
            if model.confirmed or model.refused:
                app.quit()

        model.subscribe(answered)
        QTimer.singleShot(round(args.timeout * 1000), app.quit)
        answered()
        app.exec()
    except FloorLinkError as exc:
        print(f"kiosk.scripted: {exc}", file=sys.stderr)
        return 2
    finally:
        link.stop()
    if model.refused or not model.confirmed:
        print(f"kiosk.scripted: the hub {'refused the order: ' + model.refused if model.refused else 'did not answer'}",
              file=sys.stderr)
        return 1
    print(json.dumps({"order_id": order.id, "number": order.number, "product": order.product,
                      "configuration": order.configuration, "promise_date": model.confirmed}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
