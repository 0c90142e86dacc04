"""What the hub tells dashboards, built from a hub with real orders and events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from sync.hub.dashboard_feed import centre_bodies, kpi_trend, orders_body
from tests.test_hub_core import MONDAY_8, Hub


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    h = Hub(tmp_path)
    yield h
    h.store.close()


def test_orders_come_late_first_with_open_alerts_and_load(hub: Hub) -> None:
    first = hub.order("O1")
    hub.order("O2")
    wheel = first["work_orders"][0]
    hub.op("op.started", wheel, 10, MONDAY_8)
    now = MONDAY_8 + timedelta(days=3)  # O1's wheels still running, both orders past their promise
    progress = hub.core.orders_progress(now)
    body = orders_body(hub.core, progress, now, None)
    assert [o["id"] for o in body["orders"]][:2] == ["O1", "O2"] and body["orders"][0]["late"]
    hub.core.tick(now)  # the tick sees the work that did not start, plans again and tells who must tell the customer
    body = orders_body(hub.core, hub.core.orders_progress(now), now, None)
    assert [o["id"] for o in body["orders"]][:2] == ["O1", "O2"]
    assert {a["kind"] for a in body["alerts"]} >= {"overrun", "promise_later"}
    assert all(o["promise"] >= now.isoformat() for o in body["orders"][:2]), "promises no longer in the past"
    moved = next(o for o in body["orders"] if o["id"] == "O1")
    assert moved["first_promise"] < moved["promise"], "the kiosk's date travels with the later one the customer holds"
    assert body["load"]["WHEEL"]["week_capacity_min"] > 0
    assert body["load"]["ASSY"]["week_min"] > 0


def test_each_order_carries_its_products_name_for_the_boards_language(hub: Hub) -> None:
    """The board showed "CITY ×1" to a supervisor reading Chinese: the catalog's name travels with the order."""
    from terminal.dashboard.model import parse_orders
    from terminal.station import texts

    hub.order("O1")
    body = orders_body(hub.core, hub.core.orders_progress(MONDAY_8), MONDAY_8, None)
    names = body["orders"][0]["product_names"]
    assert names == dict(hub.core.product("BIKE", 1)[0].name) and names["en"] and names["zh_CN"]
    (row,) = parse_orders(body)["orders"]
    before = texts.language()
    try:
        texts.use("zh_CN")
        assert row.product_label == names["zh_CN"]
        texts.use("en")
        assert row.product_label == names["en"]
    finally:
        texts.use(before)
    bare = parse_orders({"orders": [{**body["orders"][0], "product_names": "not a map"}]})["orders"][0]
    assert bare.product_label == "BIKE", "an older hub's snapshot (or a broken field) shows the code"


def test_centre_boards_show_who_runs_what_on_which_station(hub: Hub) -> None:
    wheel = hub.order("O1")["work_orders"][0]
    hub.op("op.started", wheel, 10, MONDAY_8)
    now = MONDAY_8 + timedelta(minutes=20)
    boards = centre_bodies(hub.core, hub.core.orders_progress(now), now)
    running = [o for o in boards["WHEEL"]["operations"] if o["status"] == "running"]
    assert len(running) == 1 and running[0]["workers"] == ["ann"]
    assert running[0]["station"] == "st-wheel-1" and running[0]["elapsed_s"] == 1200  # the station of WHEEL


def test_a_done_operation_carries_when_it_actually_started_and_finished_to_the_dashboard_model(hub: Hub) -> None:
    from terminal.dashboard.model import parse_centre

    wheel = hub.order("O1")["work_orders"][0]
    hub.op("op.started", wheel, 10, MONDAY_8)
    hub.op("op.completed", wheel, 10, MONDAY_8 + timedelta(minutes=35), good=2, scrap=0)
    now = MONDAY_8 + timedelta(hours=1)
    _code, rows, _raw = parse_centre(centre_bodies(hub.core, hub.core.orders_progress(now), now)["WHEEL"])
    (done,) = [r for r in rows if r.work_order == wheel and r.op == 10]
    assert (done.status, done.started_at, done.completed_at) == ("done", MONDAY_8, MONDAY_8 + timedelta(minutes=35))
    assert done.workers == ("ann",), "a done operation names who did it (on the live demo every done row read '—')"


def test_kpi_trend_has_one_point_per_day(hub: Hub) -> None:
    wo = hub.order("O1")["work_orders"][0]
    hub.op("op.started", wo, 10, MONDAY_8)
    hub.op("op.completed", wo, 10, MONDAY_8 + timedelta(minutes=40), good=2, scrap=0)
    now = MONDAY_8 + timedelta(hours=2)
    trend = kpi_trend(hub.core, hub.core.orders_progress(now), now)
    assert len(trend["history"]) == 7 and trend["history"][-1]["date"] == "2026-11-23"
    assert trend["history"][-1]["oee"]["WHEEL"] > 0


def test_the_boards_promise_margin_looks_back_four_weeks_the_other_figures_one(hub: Hub) -> None:
    from tests.test_kpis import finish_order

    three_weeks_ago = MONDAY_8 - timedelta(days=21)
    finish_order(hub, hub.order("OLD", now=three_weeks_ago), three_weeks_ago + timedelta(hours=1))
    now = MONDAY_8 + timedelta(hours=2)
    board = hub.core.orders_progress(now, hub.core.board_order_ids(now))  # what the service passes: this week's
    assert board == [], "done three weeks ago: not on the board"
    trend = kpi_trend(hub.core, board, now)
    assert trend["on_time_delivery"] is None, "nothing was done this week"
    # a KPI review: the margin read only the board's orders, and "4 weeks" counted one week's
    assert trend["promise_margin"]["by_product"]["BIKE"]["orders"] == 1, "the order done three weeks ago"
    five_weeks = kpi_trend(hub.core, board, now + timedelta(days=14))
    assert five_weeks["promise_margin"]["orders"] == 0


def test_the_boards_show_open_orders_and_those_finished_or_cancelled_this_week(hub: Hub) -> None:
    """Every finished order went into each 5-second snapshot: the boards grew without end and the hub
    re-derived a year of orders; older ones are the API's."""
    from tests.test_kpis import finish_order

    old, fresh, open_, dropped = hub.order("OLD"), hub.order("FRESH"), hub.order("OPEN"), hub.order("DROP")
    finish_order(hub, old, MONDAY_8)
    finish_order(hub, fresh, MONDAY_8 + timedelta(days=8))
    hub.core.tick(MONDAY_8 + timedelta(days=9))  # the replan settles the finished orders
    with hub.store.transaction() as tx:
        hub.core.on_order_cancelled(tx, "ev-drop", {"order_id": "DROP"}, MONDAY_8 + timedelta(days=9))
    now = MONDAY_8 + timedelta(days=10)
    shown = hub.core.board_order_ids(now)
    assert sorted(shown) == ["DROP", "FRESH", "OPEN"], "finished ten days ago: the API's, not the board's"
    assert sorted(hub.core.board_order_ids(now, days=30)) == ["DROP", "FRESH", "OLD", "OPEN"]
    assert (open_["order_id"], dropped["order_id"]) == ("OPEN", "DROP")
    assert sorted(hub.core.board_order_ids(now + timedelta(days=10))) == ["OPEN"]


def test_each_centre_board_names_the_catalogs_stations_also_before_any_work_reaches_them(hub: Hub) -> None:
    now = MONDAY_8
    boards = centre_bodies(hub.core, hub.core.orders_progress(now), now)  # no order yet: no operation anywhere
    declared: dict[str, set[str]] = {}
    for revision in hub.catalog.released_products().values():
        for code, centre in revision.product().work_centres.items():
            declared.setdefault(code, set()).update(centre.stations)
    assert declared["WHEEL"], "the test catalog declares wheel stations"
    assert {code: body["stations"] for code, body in boards.items()} == {c: sorted(s) for c, s in declared.items()}
    assert boards["WHEEL"]["operations"] == []


def test_load_counts_from_now_so_a_weekend_board_shows_mondays_work_and_no_capacity_gone_by(hub: Hub) -> None:
    """The Load tab compared the calendar week's whole capacity with what was left: on a Saturday evening
    it showed next to nothing planned against a full week, though Monday's work was all planned."""
    from sync.hub.dashboard_feed import load

    saturday_17 = MONDAY_8 - timedelta(days=2) + timedelta(hours=9)  # after the Saturday assembly shift
    hub.order("O1", now=saturday_17)
    board = load(hub.core, hub.core.orders_progress(saturday_17), saturday_17)
    assert board["ASSY"]["week_min"] > 0, "the assembly work planned from Monday is in the next 7 days"
    assert board["ASSY"]["today_capacity_min"] == 0  # the Saturday shift is over
    assert board["ASSY"]["week_capacity_min"] == 6 * 8 * 60 * 2  # Mon-Sat 08:00-16:00, two stations
    # no calendar in the catalog: the default Mon-Fri 08:00-12:00 and 13:00-17:00, one station
    assert board["WHEEL"]["today_capacity_min"] == 0 and board["WHEEL"]["week_capacity_min"] == 5 * 8 * 60
    assert "OUTSOURCE" not in board
