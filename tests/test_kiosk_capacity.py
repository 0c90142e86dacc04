"""With the hub's capacity snapshot the kiosk's offline date follows the workshop's real queue."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.estimate import snapshot_estimate
from sync.catalog import load_catalog
from sync.planning import Planner, from_catalog
from sync.planning.estimate import CAPACITY_MESSAGE, capacity_snapshot, follow_capacity, latest_capacity
from sync.protocol.envelope import Envelope, utc_now
from sync.store import Inbox, Store

DEMO = Path(__file__).resolve().parent.parent / "assets" / "catalog"
ZONE = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def snapshots() -> tuple[dict, dict, object]:
    catalog = load_catalog(DEMO)
    idle = Planner({}, {})
    for product in catalog.products.values():
        idle.learn(from_catalog.items(product), from_catalog.centres(product, ZONE))
    busy = Planner(dict(idle.items), dict(idle.centres))
    cargo = catalog.products["CARGO"]
    for i in range(10):
        busy.plan(f"O{i}", from_catalog.structure(cargo, cargo.defaults()), 1, NOW, ship_from_stock=False)
    as_sent = [json.loads(json.dumps(capacity_snapshot(p, NOW))) for p in (idle, busy)]
    return as_sent[0], as_sent[1], cargo


def test_a_busy_workshop_moves_the_kiosk_estimate_later(snapshots: tuple[dict, dict, object]) -> None:
    idle, busy, cargo = snapshots
    config = cargo.defaults()  # type: ignore[attr-defined]
    quiet = snapshot_estimate(idle, cargo, config, TODAY, ZONE)  # type: ignore[arg-type]
    queued = snapshot_estimate(busy, cargo, config, TODAY, ZONE)  # type: ignore[arg-type]
    assert quiet is not None and queued is not None
    assert queued.ready_by > quiet.ready_by and queued.working_days > quiet.working_days


def test_a_snapshot_that_does_not_know_the_product_falls_back_to_none(snapshots: tuple[dict, dict, object]) -> None:
    _, _, cargo = snapshots
    assert snapshot_estimate({"items": {}, "centres": {}}, cargo, cargo.defaults(), TODAY, ZONE) is None  # type: ignore[arg-type, attr-defined]


def test_the_node_keeps_the_newest_good_snapshot(tmp_path: Path, snapshots: tuple[dict, dict, object]) -> None:
    idle, busy, _ = snapshots
    store = Store(tmp_path / "kiosk.db", device_id="kiosk-1")
    inbox = Inbox(store)
    seen: list[dict] = []
    follow_capacity(store, inbox, on_snapshot=seen.append)
    assert latest_capacity(store) is None
    for seq, body in ((7, idle), (8, busy), (9, {"items": "broken"})):
        inbox.receive(Envelope(f"01900000-0000-7000-8000-{seq:012d}", "hub", seq, utc_now(), CAPACITY_MESSAGE,
                               body, "kiosk/capacity"))
    assert latest_capacity(store) == busy and seen == [idle, busy]
    assert [f["seq"] for f in inbox.failures()] == [9]


def test_the_kiosks_date_is_the_date_the_hub_then_promises_margin_included(tmp_path: Path) -> None:
    """The kiosk estimates on the hub's snapshot with the product's promise margin; the hub, given the
    same order a moment later, confirms the same day, and that day lies beyond the plan's finish."""
    from dataclasses import replace
    from datetime import time

    from sync.catalog.store import CatalogStore
    from sync.demo import release_catalog
    from sync.hub.core import HubCore, HubOptions

    release_catalog(DEMO, tmp_path / "catalog.db")
    catalog = CatalogStore(tmp_path / "catalog.db")
    store = Store(tmp_path / "hub.db", device_id="hub", kind="hub")
    try:
        core = HubCore(store, catalog, options=HubOptions(zone=ZONE))
        # no learn_released(): as a started hub, whose planner learns each product at its first order (review:
        # the first e-MTB of a fresh demo was estimated without the hub's planner, a week after its promise)
        now = datetime.combine(TODAY, time(0), ZONE)
        for n, code in enumerate(("CARGO", "MTB", "CITY")):
            product, revision = next((r.product(), r.number) for r in catalog.released_products().values()
                                     if r.product().code == code)
            assert product.promise_margin_days == 1, "the demo declares one working day"
            config = {**product.defaults(), "colour": product.attribute("colour").options[-1].code}  # type: ignore[union-attr]
            shown = snapshot_estimate(json.loads(json.dumps(core.capacity_snapshot(now))), product, config, TODAY, ZONE)
            without = snapshot_estimate(json.loads(json.dumps(core.capacity_snapshot(now))),
                                        replace(product, promise_margin_days=0), config, TODAY, ZONE)
            with store.transaction() as tx:
                answer = core.on_order_placed(tx, f"ev-{n}", "kiosk-1", {
                    "order_id": f"O{n}", "product": code, "revision": revision, "configuration": config,
                    "quantity": 1}, now)
            assert shown is not None and without is not None and not answer["ships_from_stock"]
            assert answer["promise_date"] == shown.ready_by.isoformat(), code
            ready = datetime.fromisoformat(answer["ready_at"]).astimezone(ZONE).date()
            assert without.ready_by == ready < shown.ready_by, "the margin comes after the plan's finish"
            assert (shown.ready_by - ready).days == (3 if ready.weekday() == 4 else 1), "one working day"
    finally:
        store.close()
        catalog.close()


def test_the_rough_estimate_adds_the_products_margin_in_working_days() -> None:
    from dataclasses import replace

    from kiosk.estimate import rough_estimate

    cargo = load_catalog(DEMO).products["CARGO"]
    config = {**cargo.defaults(), "colour": cargo.attribute("colour").options[-1].code}  # type: ignore[union-attr]
    friday = date(2026, 11, 27)
    for margin in (0, 1, 3):
        base = rough_estimate(replace(cargo, promise_margin_days=0), config, friday).ready_by
        got = rough_estimate(replace(cargo, promise_margin_days=margin), config, friday).ready_by
        weekdays = sum(1 for d in range(1, (got - base).days + 1) if date.fromordinal(base.toordinal() + d).weekday() < 5)
        assert weekdays == margin and got.weekday() < 5
