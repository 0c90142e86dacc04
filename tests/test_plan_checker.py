"""The independent plan check (tests/plan_checker.py) on random demo orders, and proof that it can fail.

Each planted fault breaks exactly one rule in a copy of a real stored plan; the check must name that rule.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.planning import random_configuration
from sync.catalog.store import CatalogStore
from sync.configurator.engine import Engine
from sync.configurator.product import product_problem
from sync.demo import release_catalog
from sync.hub.core import HubCore
from sync.store import Store
from tests.plan_checker import PlanTables, check, promised, read_tables

DEMO = Path(__file__).resolve().parent.parent / "assets" / "catalog"
START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
EVERY = timedelta(hours=24) / 17  # steady arrivals, about 17 orders a day


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


def test_a_promise_without_the_products_margin_is_caught(planned: RandomHub) -> None:
    """The demo's products promise one working day beyond the plan: the day the plan finishes is too early."""
    zone = planned.core.options.zone
    tables = copy.deepcopy(planned.tables())
    order = next(o for o in tables.orders if not o["ships_from_stock"])
    assert tables.products[(order["product"], order["revision"])].promise_margin_days == 1
    assert check(tables, zone) == []
    last = max(datetime.fromisoformat(o["planned_end"]) for o in tables.ops
               if o["work_order"] in {w["id"] for w in tables.work_orders if w["order_id"] == order["order_id"]})
    order["promise"] = promised(last, zone, 0).isoformat()
    assert "promise" in _rules(tables, zone)
    order["promise"] = promised(last, zone, 1).isoformat()
    assert "promise" not in _rules(tables, zone)


def test_the_check_does_not_import_the_planner() -> None:
    import ast

    tree = ast.parse((Path(__file__).parent / "plan_checker.py").read_text())
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert modules and not {m for m in modules if m and m.startswith(("sync.planning", "sync.hub", "sync.station"))}


def _op_body(wo: str, op: int, at: datetime, **extra: Any) -> dict[str, Any]:
    return {"work_order": wo, "operation": op, "at": at.isoformat(), "worker": "w1", **extra}


class Shopfloor:
    """Workers on the random hub: they start what the plan says is next (some early), finish it after
    about its standard time (some late), never run more jobs on a centre than it has slots."""

    def __init__(self, hub: RandomHub, scrap: float = 0.0) -> None:
        self.hub = hub
        self.scrap = scrap  # the share of completions that scrap one unit
        self.scrapped = 0
        self.good: dict[str, int] = {}
        self.running: dict[tuple[str, int], tuple[datetime, float]] = {}
        self.done: set[tuple[str, int]] = set()
        self.events = 0

    def station(self, wo: str, op: int) -> str:
        """A station of the operation's centre (an outsourced step is received where its next one runs)."""
        rows = self.hub.store.query("SELECT op, work_centre FROM wo_ops WHERE work_order = ? ORDER BY op", [wo])
        stations = {code: wc.stations for p, _ in self.hub.products for code, wc in p.work_centres.items()}
        for row in [r for r in rows if r["op"] >= op]:
            if stations.get(row["work_centre"]):
                return stations[row["work_centre"]][0]
        raise AssertionError(f"no station records {wo}/{op}")

    def send(self, type_: str, wo: str, op: int, at: datetime, **extra: Any) -> None:
        self.events += 1
        with self.hub.store.transaction() as tx:
            self.hub.core.on_op_event(tx, f"op-{self.events}", self.station(wo, op), type_,
                                      _op_body(wo, op, at, **extra), at)

    def step(self, now: datetime) -> None:
        rng, q = self.hub.rng, self.hub.store.query
        for (wo, op), (since, seconds) in sorted(self.running.items()):
            if since + timedelta(seconds=seconds) <= now:
                row = q("SELECT qty, body FROM work_orders WHERE id = ?", [wo])[0]
                if any(o["number"] == op and o["qc"] for o in json.loads(row["body"])["operations"]):
                    self.send("qc.recorded", wo, op, now, passed=True)
                have = self.good.get(wo, int(row["qty"]))
                scrap = 1 if self.scrap and rng.random() < self.scrap else 0  # the remake is the hub's to plan
                self.send("op.completed", wo, op, now, good=have - scrap, scrap=scrap,
                          **({"reason": "dent"} if scrap else {}))
                self.good[wo] = have - scrap
                self.scrapped += scrap
                del self.running[(wo, op)]
                self.done.add((wo, op))
        # what the hub closed itself (the rest of a work order whose every unit was scrapped)
        self.done |= {(r["work_order"], r["op"]) for r in q("SELECT work_order, op FROM op_events "
                                                             "WHERE type = 'op.completed'")}
        if now.weekday() >= 5 or not 6 <= now.hour < 21:
            return
        cancelled = {r["order_id"] for r in q("SELECT order_id FROM order_cancellations")}
        rows = q("SELECT o.*, w.order_id, w.parent, c.capacity FROM wo_ops o JOIN work_orders w ON w.id = o.work_order "
                 "LEFT JOIN (SELECT 1 AS capacity) c ORDER BY o.planned_start")
        ops: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            if r["order_id"] not in cancelled:
                ops.setdefault(r["work_order"], []).append(r)
        # parts still on their way (for any order): a work order needing them waits for its planned start
        arriving = {r["item"] for r in q("SELECT item FROM requisitions WHERE kind = 'purchase' AND due_date > ?",
                                        [now.isoformat()])}
        waits = {r["id"] for r in q("SELECT id, body FROM work_orders")
                 if {m["item"] for m in json.loads(r["body"]).get("materials", [])} & arriving}
        parents = {r["id"]: r["parent"] for r in q("SELECT id, parent FROM work_orders")}
        children_open = {parents[wo] for wo, rs in ops.items() if parents.get(wo)
                         and any((wo, r["op"]) not in self.done for r in rs)}
        capacity = {code: wc.capacity for p, _ in self.hub.products for code, wc in p.work_centres.items()}
        busy: dict[str, int] = {}
        for (wo, op) in self.running:
            centre = next(r["work_centre"] for r in ops[wo] if r["op"] == op)
            busy[centre] = busy.get(centre, 0) + 1
        for wo, rs in sorted(ops.items(), key=lambda kv: min(r["planned_start"] for r in kv[1])):
            rs.sort(key=lambda r: r["op"])
            nxt = next((r for r in rs if (wo, r["op"]) not in self.done), None)
            if nxt is None or (wo, nxt["op"]) in self.running or wo in children_open or nxt["outsourced"]:
                continue
            first = nxt is rs[0]
            planned = datetime.fromisoformat(nxt["planned_start"])
            early_ok = not (first and wo in waits)
            if planned > now and not (early_ok and rng.random() < 0.3):
                continue
            centre = nxt["work_centre"]
            if busy.get(centre, 0) >= capacity[centre]:
                continue
            busy[centre] = busy.get(centre, 0) + 1
            self.send("op.started", wo, nxt["op"], now)
            self.running[(wo, nxt["op"])] = (now, nxt["standard_seconds"] * rng.uniform(0.6, 1.5))
        # outsourced operations come back when planned
        for wo, rs in ops.items():
            for r in rs:
                if r["outsourced"] and (wo, r["op"]) not in self.done and wo not in children_open \
                        and all((wo, p["op"]) in self.done for p in rs if p["op"] < r["op"]) \
                        and datetime.fromisoformat(r["planned_end"]) <= now:
                    self.send("op.started", wo, r["op"], datetime.fromisoformat(r["planned_start"]))
                    self.send("op.completed", wo, r["op"], now, good=1, scrap=0)
                    self.done.add((wo, r["op"]))


def _live_plan(core: HubCore) -> dict[str, Any]:
    return {oid: (p.promise.isoformat(), p.reason, [(o.work_order, o.op, o.start.isoformat(), o.end.isoformat(), o.lane)
                                                    for wo in p.work_orders for o in wo.operations])
            for oid, p in core.planner.plans.items()}


def _stored_plan(store: Store) -> list[tuple[Any, ...]]:
    return [tuple(r.values()) for r in store.query(
        "SELECT o.work_order, o.op, o.planned_start, o.planned_end, o.lane FROM wo_ops o JOIN work_orders w "
        "ON w.id = o.work_order WHERE w.order_id NOT IN (SELECT order_id FROM order_cancellations) "
        "ORDER BY o.work_order, o.op")]


def test_random_orders_progress_scrap_and_cancellations_stay_true_and_a_restart_equals_live(
        tmp_path: Path) -> None:
    hub = RandomHub(tmp_path, seed=7)
    floor = Shopfloor(hub, scrap=0.1)
    zone = hub.core.options.zone
    cancels = 0
    try:
        for step in range(72):
            hub.place()
            now = hub.now
            floor.step(now)
            if step % 9 == 4:  # a customer cancels an order nobody has started on
                started = {r["work_order"] for r in hub.store.query("SELECT work_order FROM op_events")}
                open_orders = [r["order_id"] for r in hub.store.query(
                    "SELECT order_id FROM orders WHERE ships_from_stock = 0 AND order_id NOT IN "
                    "(SELECT order_id FROM order_cancellations) AND order_id NOT IN "
                    "(SELECT order_id FROM work_orders WHERE id IN (SELECT work_order FROM op_events))")]
                assert started is not None
                if open_orders:
                    with hub.store.transaction() as tx:
                        hub.core.on_order_cancelled(tx, f"cancel-{step}", {"order_id": hub.rng.choice(open_orders)}, now)
                    cancels += 1
            if step % 18 == 17:
                assert check(hub.tables(), zone) == [], f"after step {step}"
        assert floor.events > 50 and cancels >= 5 and floor.done, "the mix must really exercise replans"
        remakes = hub.store.query("SELECT work_order FROM remakes")
        assert floor.scrapped >= 3 and len(remakes) == floor.scrapped, "every scrap was planned again"
        assert check(hub.tables(), zone) == []
        live = _live_plan(hub.core)
        stored = [(wo, op, s, e, lane) for _, (_, _, ops) in sorted(live.items()) for wo, op, s, e, lane in ops]
        assert sorted(stored) == _stored_plan(hub.store), "what the hub stored is what it plans with"
        for oid, (promise, reason, _) in live.items():
            row = hub.store.query("SELECT promise, first_promise, promise_reason, product, revision FROM orders "
                                   "WHERE order_id = ?", [oid])[0]
            # the customer's date: never before the plan's finish, and at most that finish with its margin
            # (or the first promise, which a slip inside the margin keeps)
            margin = hub.core.product(row["product"], row["revision"])[0].promise_margin_days
            ready, held = datetime.fromisoformat(promise), datetime.fromisoformat(row["promise"])
            assert ready <= held <= max(promised(ready, zone, margin), datetime.fromisoformat(row["first_promise"]))
            assert row["promise_reason"] == reason

        # a restart on a copy of the store: the same plan, and the next order lands in the same gaps
        copy_dir = tmp_path / "restart"
        copy_dir.mkdir()
        hub.store.db.conn.execute("VACUUM INTO ?", [str(copy_dir / "hub.db")])
        restarted_store = Store(copy_dir / "hub.db", device_id="hub", kind="hub")
        try:
            restarted = HubCore(restarted_store, hub.catalog)
            assert _live_plan(restarted) == live
            product, number = hub.products[0]
            body = {"order_id": "NEXT", "product": product.code, "revision": number, "quantity": 1,
                    "configuration": random_configuration(hub.rng, product, hub.engines[product.code])}
            answers = []
            for store, core in ((hub.store, hub.core), (restarted_store, restarted)):
                with store.transaction() as tx:
                    answers.append(core.on_order_placed(tx, "ev-next", "kiosk-1", dict(body), hub.now))
            assert answers[0] == answers[1]
            assert _live_plan(restarted) == _live_plan(hub.core)
        finally:
            restarted_store.close()
    finally:
        hub.close()
