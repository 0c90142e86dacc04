"""What ``explore`` prints: a configuration's valid domains, explanations, price, BOM and routing as JSON.

Works on a catalog product and on a plain :class:`Problem` (the Renault benchmark), so the same
command shows what the engine answers on both.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from sync.catalog.loader import load_catalog
from sync.errors import ConfigurationError


def parse_choices(pairs: Sequence[str]) -> list[tuple[str, str]]:
    out = []
    for pair in pairs:
        attr, sep, option = pair.partition("=")
        if not sep or not attr or not option:
            raise ConfigurationError(f"--choose {pair!r} is not attribute=option", where="explore")
        out.append((attr.strip(), option.strip()))
    return out


def engine_cache_dir() -> Path:
    """Where compiled decision diagrams are kept between runs ($XDG_CACHE_HOME/floorlink/engines).

    Compiling Renault takes seconds; loading it back takes about one. Entries are keyed and
    checked by hash, so a stale or damaged one is rebuilt, never trusted.
    """
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "floorlink" / "engines"


def is_renault_folder(path: Path) -> bool:
    return (path / "domains.txt").is_file() and (path / "rules").is_dir()


def _json_ready(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


def explore_problem_folder(path: Path, choices: Sequence[tuple[str, str]], complete: bool = False) -> dict[str, Any]:
    """Explore a Renault-format folder: domains and explanations over plain variables."""
    from sync.configurator.engine import Engine
    from sync.configurator.renault import load_renault

    engine = Engine(load_renault(path), cache_dir=engine_cache_dir())
    session = engine.new_session()
    for var, value in choices:
        session.choose(var, value)
    domains = session.domains()
    judges = {var: session for var in domains}
    for chosen in session.choices:  # a chosen variable's other values: could they replace the choice?
        scratch = engine.new_session()
        for var, value in session.choices.items():
            if var != chosen:
                scratch.choose(var, value)
        domains[chosen] = scratch.domains()[chosen]
        judges[chosen] = scratch
    unavailable = {
        var: {val: asdict(judges[var].explain(var, val)) for val, ok in values.items() if not ok}
        for var, values in domains.items()
        if not all(values.values())
    }
    out: dict[str, Any] = {"problem": str(path), "choices": session.choices, "domains": domains,
                           "unavailable": unavailable}
    if complete:
        out["completion"] = session.complete()
    return out


def explore_product(
    path: Path, product_code: str, choices: Sequence[tuple[str, str]], complete: bool = False,
    number: int | None = None,
) -> dict[str, Any]:
    """Explore one product of a catalog folder, or of a catalog database (``number`` or latest released)."""
    from sync.configurator.product import ProductConfigurator

    revision_ref = None
    if path.is_file():  # a catalog database: the latest released revision, or the one asked for
        from sync.catalog.store import CatalogStore

        store = CatalogStore(path)
        try:
            revision = store.revision(product_code, number) if number else store.latest_released(product_code)
        finally:
            store.close()
        product = revision.product()
        revision_ref = revision.ref
    else:
        catalog = load_catalog(path)
        if product_code not in catalog.products:
            raise ConfigurationError(f"unknown product '{product_code}'", where=str(path),
                                     fix=f"one of: {', '.join(sorted(catalog.products))}")
        product = catalog.products[product_code]
    pc = ProductConfigurator(product)
    for attr, option in choices:
        pc.choose(attr, option)
    if complete:
        for attr, option in pc.complete().items():
            if attr not in pc.choices:
                pc.choose(attr, option)
    domains: dict[str, dict[str, bool]] = {}
    unavailable: dict[str, dict[str, Any]] = {}
    for attribute in pc.product.attributes:
        states = pc.options(attribute.code)
        domains[attribute.code] = {s.code: s.available for s in states}
        reasons = {s.code: asdict(s.reason) for s in states if s.reason is not None}
        if reasons:
            unavailable[attribute.code] = reasons
    out: dict[str, Any] = {
        "product": product_code,
        "revision": revision_ref,
        "choices": pc.choices,
        "complete": pc.is_complete(),
        "domains": domains,
        "unavailable": unavailable,
        "price": asdict(pc.price()),
    }
    if pc.is_complete():
        out["bom"] = [asdict(line) for line in pc.bom()]
        out["routing"] = [asdict(op) for op in pc.routing()]
    else:
        out["completion"] = pc.complete()
    return _json_ready(out)  # type: ignore[no-any-return]
