"""The independent plan check (tests/plan_checker.py) on random demo orders, and proof that it can fail.

Each planted fault breaks exactly one rule in a copy of a real stored plan; the check must name that rule.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sync.catalog.model import Product
from sync.catalog.store import CatalogStore
from sync.configurator.engine import Engine
from sync.configurator.product import product_problem
from sync.demo import release_catalog
from sync.hub.core import HubCore
from sync.store import Store
from tests.plan_checker import PlanTables, check, read_tables

DEMO = Path(__file__).resolve().parent.parent / "assets" / "catalog"
START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
EVERY = timedelta(hours=24) / 17  # steady arrivals, about 17 orders a day


def random_configuration(rng: random.Random, product: Product, engine: Engine) -> dict[str, str]:
    """A valid configuration drawn at random: each attribute in random order takes an option still open."""
    session = engine.new_session()
    attrs = [a.code for a in product.attributes]
    rng.shuffle(attrs)
    for code in attrs:
        open_ = sorted(v for v, ok in session.domains()[code].items() if ok)
        if open_:
            session.choose(code, rng.choice(open_))
    return session.complete()


class RandomHub:
    """A hub core on the released demo catalog, fed random valid orders on a steady clock."""

    def __init__(self, folder: Path, seed: int) -> None:
        self.folder = folder
        release_catalog(DEMO, folder / "catalog.db")
        self.catalog = CatalogStore(folder / "catalog.db")
        revisions = self.catalog.released_products()
        self.products = [(r.product(), r.number) for r in sorted(revisions.values(), key=lambda r: r.product().code)]
        self.engines = {p.code: Engine(product_problem(p)) for p, _ in self.products}
        self.store = Store(folder / "hub.db", device_id="hub", kind="hub")
        self.core = HubCore(self.store, self.catalog)
        self.rng = random.Random(seed)
        self.n = 0
        self.now = START

    def place(self) -> dict[str, Any]:
        self.n += 1
        product, number = self.rng.choice(self.products)
        config = random_configuration(self.rng, product, self.engines[product.code])
        body = {"order_id": f"R{self.n:04d}", "product": product.code, "revision": number,
                "configuration": config, "quantity": self.rng.choice((1, 1, 1, 2))}
        with self.store.transaction() as tx:
            result = self.core.on_order_placed(tx, f"ev-{self.n}", "kiosk-1", body, self.now)
        self.now += EVERY
        return result

    def tables(self) -> PlanTables:
        return read_tables(self.store.query, lambda code, number: self.core.product(code, number)[0], self.now)

    def close(self) -> None:
        self.store.close()
        self.catalog.close()


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RandomHub]:
    hub = RandomHub(tmp_path_factory.mktemp("checker"), seed=12)
    for _ in range(60):
        hub.place()
    yield hub
    hub.close()


def test_first_plans_of_random_orders_break_no_rule(planned: RandomHub) -> None:
    tables = planned.tables()
    built = [o for o in tables.orders if not o["ships_from_stock"]]
    assert len(built) > 30 and len(tables.ops) > 200, "the sample must really exercise the planner"
    assert check(tables, planned.core.options.zone) == []


def _op(tables: PlanTables, centre: str | None = None, outsourced: bool = False) -> dict[str, Any]:
    for op in tables.ops:
        if bool(op["outsourced"]) == outsourced and (centre is None or op["work_centre"] == centre):
            return op
    raise AssertionError("no such operation in the sample")


def _rules(tables: PlanTables, zone: Any) -> set[str]:
    return {line.split(":", 1)[0] for line in check(tables, zone)}


def test_a_second_job_on_a_capacity_one_centre_at_the_same_time_is_caught(planned: RandomHub) -> None:
    tables = copy.deepcopy(planned.tables())
    qc = [op for op in tables.ops if op["work_centre"] == "QC"]
    first, second = qc[0], next(op for op in qc[1:] if op["standard_seconds"] == qc[0]["standard_seconds"])
    second["planned_start"], second["planned_end"] = first["planned_start"], first["planned_end"]
    assert "capacity" in _rules(tables, planned.core.options.zone)


def test_an_operation_planned_at_night_is_caught(planned: RandomHub) -> None:
    tables = copy.deepcopy(planned.tables())
    op = _op(tables, "ASSY")
    start = datetime.fromisoformat(op["planned_start"]).replace(hour=23, minute=0)
    op["planned_start"] = start.isoformat()
    op["planned_end"] = (start + timedelta(seconds=op["standard_seconds"])).isoformat()
    assert "shift" in _rules(tables, planned.core.options.zone)


def test_an_operation_shorter_than_its_standard_is_caught(planned: RandomHub) -> None:
    tables = copy.deepcopy(planned.tables())
    op = next(o for o in tables.ops if not o["outsourced"] and o["standard_seconds"] > 600)
    op["planned_end"] = (datetime.fromisoformat(op["planned_end"]) - timedelta(minutes=5)).isoformat()
    assert "shift" in _rules(tables, planned.core.options.zone)


def test_an_operation_before_its_predecessor_is_caught(planned: RandomHub) -> None:
    tables = copy.deepcopy(planned.tables())
    by_wo: dict[str, list[dict[str, Any]]] = {}
    for op in tables.ops:
        by_wo.setdefault(op["work_order"], []).append(op)
    rows = sorted(next(v for v in by_wo.values() if len(v) >= 2), key=lambda r: r["op"])
    rows[1]["planned_start"] = rows[0]["planned_start"]
    assert "routing" in _rules(tables, planned.core.options.zone)


def test_an_assembly_before_its_parts_is_caught(planned: RandomHub) -> None:
    tables = copy.deepcopy(planned.tables())
    child = next(w for w in tables.work_orders if w["parent"])
    parent_ops = sorted((o for o in tables.ops if o["work_order"] == child["parent"]), key=lambda r: r["op"])
    child_ops = [o for o in tables.ops if o["work_order"] == child["id"]]
    first_child = min(o["planned_start"] for o in child_ops)
    parent_ops[0]["planned_start"] = first_child
    assert "bom" in _rules(tables, planned.core.options.zone)


def test_a_work_order_starting_before_its_bought_parts_arrive_is_caught(planned: RandomHub) -> None:
    tables = copy.deepcopy(planned.tables())
    purchase = next(r for r in tables.requisitions if r["kind"] == "purchase" and r["work_order"])
    ops = [o for o in tables.ops if o["work_order"] == purchase["work_order"]]
    first = min(ops, key=lambda o: o["planned_start"])
    # the work order now starts as soon as the order came in, weeks before the parts
    first["planned_start"] = next(o["placed_at"] for o in tables.orders if o["order_id"] == purchase["order_id"])
    assert {"material", "safety"} & _rules(tables, planned.core.options.zone)


def test_taking_stock_below_its_safety_level_is_caught(planned: RandomHub) -> None:
    tables = copy.deepcopy(planned.tables())
    items = {code: item for p in tables.products.values() for code, item in p.items.items()}
    # a purchase smaller than the safety stock goes missing: the stock it refilled dips into the safety level
    small = next(r for r in tables.requisitions
                 if r["kind"] == "purchase" and 0 < r["qty"] < float(items[r["item"]].safety_stock))
    tables.requisitions.remove(small)
    assert "safety" in _rules(tables, planned.core.options.zone)


def test_a_promise_before_the_last_operation_is_caught(planned: RandomHub) -> None:
    tables = copy.deepcopy(planned.tables())
    order = next(o for o in tables.orders if not o["ships_from_stock"])
    order["promise"] = order["placed_at"]
    assert "promise" in _rules(tables, planned.core.options.zone)


def test_the_check_does_not_import_the_planner() -> None:
    import ast

    tree = ast.parse((Path(__file__).parent / "plan_checker.py").read_text())
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert modules and not {m for m in modules if m and m.startswith(("sync.planning", "sync.hub", "sync.station"))}
