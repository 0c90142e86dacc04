"""Whatever a snapshot carries, the dashboard either shows it or refuses it naming where, and keeps going:
a wrong or hostile board from the broker (a value of the wrong type, NaN, a huge number) must not stop the
screen's reads. Real inbox, real SQLite store, the real model; hypothesis picks the field and the value."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.dashboard_cache import DashboardCache
from sync.store import Inbox, Store
from terminal.dashboard.alert_text import alert_text
from terminal.dashboard.model import DashboardModel, margin_text
from tests.test_dashboard_model import Clock, Feed, centre_body, orders_body

_value = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
                   st.sampled_from(["", "2026-13-45T99:00:00", "not a time", "Asia/Nowhere", "Z" * 300, "running", "−1",
                                    10 ** 400, -(10 ** 400), 2 ** 63, 1e12, "9999-12-31T23:00:00+00:00",
                                    "0001-01-01T00:00:00+00:00"]),
                   st.lists(st.one_of(st.integers(), st.text(max_size=3), st.none()), max_size=3),
                   st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))

CENTRE_FIELDS = [*centre_body()["operations"][0]]
ORDER_FIELDS = [*orders_body()["orders"][0]]
ALERT_FIELDS = [*orders_body()["alerts"][0]]
#: (part, field) of the orders snapshot a value is put in: every field the screen reads
ORDERS_PLACES = ([("order", f) for f in ORDER_FIELDS] + [("alert", f) for f in ALERT_FIELDS]
                 + [("load", f) for f in ("today_min", "today_capacity_min", "week_min", "week_capacity_min")]
                 + [("kpi", f) for f in ("oee", "history", "on_time_delivery", "first_pass_yield", "promise_margin")]
                 + [("margin", f) for f in ("needed_days", "by_product")]
                 + [("margin_product", f) for f in ("declared_days", "needed_days", "orders")]
                 + [("oee", f) for f in ("work_centre", "oee")]
                 + [("history", f) for f in ("date", "oee", "on_time_delivery", "first_pass_yield")]
                 + [("top", f) for f in ("orders", "alerts", "load", "kpis", "zone", "at", "demand")])


def _model(tmp_path: Path, name: str) -> tuple[DashboardModel, Feed]:
    store = Store(tmp_path / f"{name}.db", device_id="dash-1")
    clock = Clock()
    cache = DashboardCache(store, clock=clock)
    inbox = Inbox(store)
    cache.register(inbox)
    return DashboardModel(cache, clock=clock), Feed(inbox)


def _shown(model: DashboardModel) -> None:
    """What the screen reads after a refresh: every derived view, as the panels ask for it."""
    for board in model.stations:
        model.waiting_at(board)
        for row in board.operations:
            model.who(row.workers)
    for order in model.orders:
        model.drill_down(order.id)
        for at in (order.promise, order.eta, order.first_promise):
            assert isinstance(model.when(at), str) and isinstance(model.when_short(at), str)
        assert 0 <= order.percent <= 100
    for alert in model.alerts:
        assert isinstance(alert.message, str)
        assert isinstance(alert_text(alert, model.site_zone), str)
    assert all(math.isfinite(v) for r in model.load for v in (r.today_min, r.week_min, r.week_capacity_min))
    assert all(v is None or math.isfinite(v) for trend in model.kpis.oee_trend.values() for v in trend)
    assert isinstance(margin_text(model.kpis.margin_needed, model.kpis.margin_declared), str)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(["operation", "top", "stations"]), field=st.sampled_from([*CENTRE_FIELDS, "work_centre", "at"]),
       value=_value)
def test_any_value_in_a_centre_board_is_shown_or_refused_and_the_screen_keeps_reading(
        tmp_path_factory: Any, where: str, field: str, value: Any) -> None:
    model, feed = _model(tmp_path_factory.mktemp("centre"), "dash")
    feed.send("dashboard/centre/WHEEL", "dashboard.centre", centre_body())
    model.refresh()
    body = copy.deepcopy(centre_body())
    if where == "operation":
        body["operations"][1][field] = value
    elif where == "top":
        body[field] = value
    else:
        body["stations"] = value
    feed.send("dashboard/centre/WHEEL", "dashboard.centre", body)
    model.refresh()
    _shown(model)
    failures = feed.inbox.failures()
    assert len(failures) <= 1 and all("dashboard/centre/WHEEL" in f["stream"] for f in failures)
    feed.inbox.store.close()


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(place=st.sampled_from(ORDERS_PLACES), value=_value)
def test_any_value_in_the_orders_board_is_shown_or_refused_and_the_screen_keeps_reading(
        tmp_path_factory: Any, place: tuple[str, str], value: Any) -> None:
    where, field = place
    model, feed = _model(tmp_path_factory.mktemp("orders"), "dash")
    body = copy.deepcopy(orders_body())
    if where == "order":
        body["orders"][0][field] = value
    elif where == "alert":
        body["alerts"][0][field] = value
    elif where == "load":
        body["load"]["WHEEL"][field] = value
    elif where == "kpi":
        body["kpis"][field] = value
    elif where == "oee":
        body["kpis"]["oee"][0][field] = value
    elif where == "history":
        body["kpis"]["history"][0][field] = value
    elif where == "margin":
        body["kpis"]["promise_margin"][field] = value
    elif where == "margin_product":
        body["kpis"]["promise_margin"]["by_product"]["BIKE"][field] = value
    else:
        body[field] = value
    feed.send("dashboard/orders", "dashboard.orders", body)
    model.refresh()
    _shown(model)
    if feed.inbox.failures():  # refused: the screen shows nothing it could not read, and says where
        assert "dashboard/orders" in feed.inbox.failures()[0]["stream"]
    feed.inbox.store.close()


def test_a_hub_zone_name_too_long_for_a_file_keeps_this_nodes_zone() -> None:
    """ZoneInfo raises OSError (file name too long) for it, not the ValueError the board caught."""
    from terminal.dashboard.model import _zone

    assert _zone("Z" * 300) is None and _zone("Asia/Shanghai") is not None
