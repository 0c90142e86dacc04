"""A kiosk's offline estimate from the hub's capacity snapshot matches the hub's own plan."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sync.catalog import load_catalog
from sync.errors import PlanningError
from sync.planning import Planner, from_catalog
from sync.planning.estimate import capacity_snapshot, estimate

DEMO = Path(__file__).resolve().parent.parent / "assets" / "catalog"
ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def booked() -> tuple[Planner, dict]:
    catalog = load_catalog(DEMO)
    planner = Planner({}, {})
    for product in catalog.products.values():
        planner.learn(from_catalog.items(product), from_catalog.centres(product, ZONE))
    cargo = catalog.products["CARGO"]
    for i in range(6):  # the workshop already has work
        planner.plan(f"O{i}", from_catalog.structure(cargo, cargo.defaults()), 1, NOW, ship_from_stock=False)
    return planner, {code: p for code, p in catalog.products.items()}


def test_the_estimate_from_a_snapshot_is_the_hubs_own_quote(booked: tuple[Planner, dict]) -> None:
    planner, products = booked
    snapshot = json.loads(json.dumps(capacity_snapshot(planner, NOW)))  # as it travels
    for code in ("CARGO", "MTB"):
        tree = from_catalog.structure(products[code], products[code].defaults())
        firm = planner.promise("Q", tree, 1, NOW, ship_from_stock=False)
        offline, reason = estimate(snapshot, tree, NOW, ZONE)
        assert abs((offline - firm.promise).total_seconds()) < 3600, (code, offline, firm.promise)
        assert reason == firm.reason


def test_an_empty_workshop_estimates_earlier_than_a_busy_one(booked: tuple[Planner, dict]) -> None:
    planner, products = booked
    tree = from_catalog.structure(products["CARGO"], products["CARGO"].defaults())
    idle = Planner(dict(planner.items), dict(planner.centres))
    busy_date, _ = estimate(capacity_snapshot(planner, NOW), tree, NOW, ZONE)
    idle_date, _ = estimate(capacity_snapshot(idle, NOW), tree, NOW, ZONE)
    assert idle_date < busy_date


def test_a_malformed_snapshot_says_so() -> None:
    from sync.planning.model import StructureNode

    with pytest.raises(PlanningError, match="capacity snapshot is malformed"):
        estimate({"items": {}, "centres": {"WELD": {"capacity": "two"}}}, StructureNode("X", 1), NOW, ZONE)
