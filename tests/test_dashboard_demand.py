"""A demand warning's plot: from the hub's demand check, through the dashboard feed, to the dashboard model."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from sync.hub.dashboard_feed import orders_body as hub_orders_body
from tests.test_dashboard_model import alert, orders_body, parts  # noqa: F401 - the fixture
from tests.test_hub_demand import START, ZONE, simulate


@pytest.fixture(scope="module")
def warned(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The planted rise of the 625 Wh battery, up to the day its purchasing warning opened, and the hub's
    dashboard snapshot that evening (as JSON, the way it travels)."""
    q = simulate(tmp_path_factory.mktemp("quarter"), rising=True)
    assert q.warned_on is not None
    now = datetime.combine(START + timedelta(days=q.warned_on + 1), time(0, 30), ZONE)
    body = json.loads(json.dumps(hub_orders_body(q.core, q.core.orders_progress(now), now, None)))
    yield q, body
    q.store.close()


def test_the_feed_carries_the_projected_stock_and_the_rising_option_of_an_open_purchasing_warning(warned: Any) -> None:
    q, body = warned
    warning = next(a for a in body["alerts"] if a["key"] == "demand_short:BATT-L")
    plot = body["demand"][str(warning["id"])]
    data = json.loads(warning["data"])
    assert plot["kind"] == "stock" and plot["item"] == "BATT-L"
    assert plot["runs_short_on"] == data["runs_short_on"] and plot["order_by"] == data["order_by"]
    assert 0 < len(plot["projected"]) <= 56, "eight weeks at most: the feed stays small"
    short = (date.fromisoformat(plot["runs_short_on"]) - date.fromisoformat(plot["start"])).days
    assert plot["projected"][short] < plot["safety_stock"] <= min(plot["projected"][:short] or [plot["safety_stock"]])
    trend = plot["trend"]
    assert (trend["attribute"], trend["option"]) == ("battery", "b625"), "the option whose rise empties the stock"
    assert len(trend["history"]) == len(trend["history_weeks"]) == 8 and len(trend["forecast"]) == 8
    assert trend["history"][-1] > trend["history"][0], "the planted rise shows in the weekly history"
    # the same computation the API serves: the demand report's plot for the same key
    assert q.core.demand_plots["demand_short:BATT-L"] == plot
    assert len(json.dumps(body["demand"])) < 8000


def test_the_dashboard_model_draws_the_warning_from_a_real_hub_snapshot(parts: Any, warned: Any) -> None:  # noqa: F811
    model, feed, _clock, _store = parts
    _q, body = warned
    feed.send("dashboard/orders", "dashboard.orders", body)
    changed = model.refresh()
    assert "demand" in changed
    warning = next(a for a in model.alerts if a.kind == "demand_short")
    plot = model.demand_plot(warning.id)
    assert plot is not None and plot.kind == "stock" and plot.subject == "BATT-L"
    assert plot.short_on is not None and plot.short_on in plot.days
    assert plot.order_by is not None and plot.order_by < plot.short_on
    assert plot.trend is not None and plot.trend.option == "b625"
    assert plot.trend.forecast_weeks[0] > plot.trend.history_weeks[-1]
    assert plot.title == "Projected stock of BATT-L"


def test_a_snapshot_without_plots_from_an_older_hub_still_shows_its_alerts(parts: Any) -> None:  # noqa: F811
    model, feed, _clock, _store = parts
    body = orders_body([alert(7, kind="demand_short")])
    assert "demand" not in body
    feed.send("dashboard/orders", "dashboard.orders", body)
    model.refresh()
    assert [a.id for a in model.alerts] == [7] and model.orders
    assert model.demand_plot(7) is None


def test_an_unreadable_plot_is_left_out_and_the_others_still_show(parts: Any) -> None:  # noqa: F811
    model, feed, _clock, _store = parts
    good = {"kind": "capacity", "work_centre": "ASSY", "week": "2026-12-07", "weeks": ["2026-12-07", "2026-12-14"],
            "load": [1.2, 0.8], "threshold": 1.0, "trend": None}
    body = orders_body([alert(1), alert(2)])
    body["demand"] = {"1": {"kind": "stock", "item": "X", "start": "2026-12-01", "projected": ["lots"]}, "2": good,
                      "x": good}
    feed.send("dashboard/orders", "dashboard.orders", body)
    model.refresh()
    assert model.demand_plot(1) is None
    capacity = model.demand_plot(2)
    assert capacity is not None and capacity.load == (1.2, 0.8) and capacity.trend is None
    assert len(model.alerts) == 2
