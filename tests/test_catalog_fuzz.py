"""A catalog folder someone edited by hand, wrongly: random damage to the demo catalog's files.

Each round copies ``assets/catalog``, damages it (a value of the wrong type or size, a key or list entry
dropped or doubled, a reference to something that does not exist, a file cut short, bytes that are not
UTF-8) and checks it the way the hub and ``python -m sync.catalog check`` do. Either it loads, or it is
refused with findings that name a file; nothing else escapes. A catalog that loads is then used: every
product configures (the kiosk's engine) and one order of each is planned (the hub's planner), so a damaged
value the checks let through cannot stop a node later. ``FLOORLINK_FUZZ_SEEDS=40`` runs a longer hunt."""

from __future__ import annotations

import os
import random
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from sync.catalog.compile import product_problem
from sync.catalog.findings import CatalogInvalid
from sync.catalog.loader import inspect_catalog, load_catalog
from sync.configurator.engine import Engine
from sync.errors import PlanningError
from sync.hub.demand_traffic import random_configuration
from sync.planning import Planner, from_catalog

DEMO = Path(__file__).resolve().parent.parent / "assets" / "catalog"
ZONE = ZoneInfo("Asia/Shanghai")
FILES = ["catalog.yaml", "work_centres.yaml", "items.yaml", "assemblies.yaml", "products/cargo.yaml",
         "products/city.yaml", "products/mtb.yaml"]
HOSTILE: list[Any] = [None, "", -1, 0, 10**12, 1e308, -0.5, "x" * 2000, [], {}, True, "NaN", ".inf", "🚲",
                      "<b>x</b>", "UNKNOWN-CODE", {"en": None}, [None], "25:99", "2027-02-30"]

ODD_NUMBERS = [0, 1, 2, 10**6, 0.001, 3650, 99999.5]


def _at(doc: Any, place: tuple[Any, ...]) -> Any:
    for step in place:
        doc = doc[step]
    return doc


def _nodes(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a YAML document: mappings by key, lists by index."""
    found = [path]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _nodes(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += _nodes(value, (*path, i))
    return found


def _damage_tree(doc: Any, rng: random.Random, codes: list[str]) -> Any:
    places = [p for p in _nodes(doc) if p]
    if not places:
        return rng.choice(HOSTILE)
    numbers = [p for p in places if _at(doc, p).__class__ in (int, float)]
    subtle = numbers and rng.random() < 0.4  # a number still a number, only an odd one: the checks may let it by
    place = rng.choice(numbers if subtle else places)
    parent = doc
    for step in place[:-1]:
        parent = parent[step]
    last = place[-1]
    action = rng.random()
    if subtle:
        parent[last] = rng.choice(ODD_NUMBERS)
    elif action < 0.45:
        parent[last] = rng.choice(HOSTILE + codes)
    elif action < 0.7:
        del parent[last]
    elif action < 0.85 and isinstance(parent, list):
        parent.insert(last, parent[last])  # the same entry twice
    elif isinstance(parent[last], str):
        parent[last] = rng.choice(codes)  # a reference to another thing, maybe of another kind
    else:
        parent[last] = rng.choice(HOSTILE)
    return doc


def _damage(folder: Path, rng: random.Random, codes: list[str]) -> str:
    name = rng.choice(FILES)
    path = folder / name
    raw = path.read_bytes()
    kind = rng.random()
    if kind < 0.1:
        path.write_bytes(raw[:rng.randrange(len(raw))])
        return f"{name} cut short"
    if kind < 0.15:
        at = rng.randrange(len(raw))
        path.write_bytes(raw[:at] + rng.choice([b"\xff\xfe", b"\x00", b"\t:", b"{[", b"&a *a"]) + raw[at:])
        return f"{name} with stray bytes"
    doc = yaml.safe_load(raw)
    for _ in range(rng.randint(1, 3)):
        doc = _damage_tree(doc, rng, codes)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return f"{name} edited"


def _use(folder: Path, rng: random.Random) -> None:
    """What the kiosk and the hub do with a catalog that loaded."""
    catalog = load_catalog(folder)
    planner = Planner({}, {})
    now = datetime(2026, 11, 23, 6, 0, tzinfo=ZONE)
    for i, product in enumerate(sorted(catalog.products.values(), key=lambda p: p.code)):
        engine = Engine(product_problem(product))
        config = random_configuration(rng, product, engine)
        planner.learn(from_catalog.items(product), from_catalog.centres(product, ZONE))
        try:
            plan = planner.plan(f"O{i}", from_catalog.structure(product, config), 1.0, now + timedelta(hours=i),
                                ship_from_stock=from_catalog.ships_from_stock(product, config))
        except PlanningError as refused:  # the hub refuses such an order with this sentence; nothing stops
            assert refused.fix and len(str(refused)) < 600, str(refused)
            continue
        assert plan.promise >= now


def _codes() -> list[str]:
    """Codes the demo catalog uses, to point a reference at something else."""
    codes: set[str] = set()
    for name in FILES:
        doc = yaml.safe_load((DEMO / name).read_text(encoding="utf-8"))
        for place in _nodes(doc):
            if place and place[-1] in ("code", "item", "work_centre", "supplier"):
                value = doc
                for step in place:
                    value = value[step]
                if isinstance(value, str):
                    codes.add(value)
    return sorted(codes)


@pytest.mark.parametrize("seed", range(int(os.environ.get("FLOORLINK_FUZZ_SEEDS", "4"))))
def test_a_damaged_catalog_loads_or_is_refused_naming_the_file_and_one_that_loads_can_be_used(
        tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    codes = _codes()
    outcomes = {"refused": 0, "loaded": 0}
    for round_ in range(20):
        folder = tmp_path / f"r{round_}"
        shutil.copytree(DEMO, folder)
        what = _damage(folder, rng, codes)
        _, findings = inspect_catalog(folder)
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            outcomes["refused"] += 1
            for finding in errors:  # each names its file (and line and field where it can) in a short sentence
                assert finding.message and len(str(finding)) < 600, (what, str(finding)[:300])
                assert any(finding.where.startswith(name) for name in FILES), (what, str(finding))
            with pytest.raises(CatalogInvalid):
                load_catalog(folder)
        else:
            outcomes["loaded"] += 1
            _use(folder, rng)
    assert outcomes["refused"] > 0, outcomes
