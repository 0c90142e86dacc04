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
