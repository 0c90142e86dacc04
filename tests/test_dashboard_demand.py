"""A demand warning's plot: from the hub's demand check, through the dashboard feed, to the dashboard model."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
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
    capacity = [body["demand"][str(a["id"])] for a in body["alerts"] if a["kind"] == "demand_capacity"]
    assert capacity and all(p["kind"] == "capacity" and p["load"] for p in capacity)
    assert {(p["trend"]["attribute"], p["trend"]["option"]) for p in capacity} == {("battery", "b625")}, \
        "the option whose rise loads the centre"
    # the same computation the API serves: the demand report's plot for the same key
    assert q.core.demand_plots["demand_short:BATT-L"] == plot
    # the catalog's words travel with the codes, so the chart names what a supervisor knows
    assert plot["name"] == {"en": "Large battery", "zh_CN": "大电池"}
    assert trend["labels"] == {"product": {"en": "E-bike", "zh_CN": "电动车"},
                               "attribute": {"en": "Battery", "zh_CN": "电池"},
                               "option": {"en": "625 Wh", "zh_CN": "625瓦时"}}
    assert len(json.dumps(body["demand"])) < 8000


def test_the_dashboard_model_draws_the_warning_from_a_real_hub_snapshot(parts: Any, warned: Any) -> None:  # noqa: F811
    model, feed, _clock, _store = parts
    _q, body = warned
    feed.send("dashboard/orders", "dashboard.orders", body)
    changed = model.refresh()
    assert "alerts" in changed, "the alert cards repaint, and with them whether a warning has a chart"
    warning = next(a for a in model.alerts if a.kind == "demand_short")
    plot = model.demand_plot(warning.id)
    assert plot is not None and plot.kind == "stock" and plot.subject == "BATT-L"
    assert plot.short_on is not None and plot.short_on in plot.days
    assert plot.order_by is not None and plot.order_by < plot.short_on
    assert plot.trend is not None and plot.trend.option == "b625"
    assert plot.trend.forecast_weeks[0] > plot.trend.history_weeks[-1]
    assert plot.title == "Projected stock of Large battery (BATT-L)"
    assert plot.trend.title == "Demand for E-bike, Battery: 625 Wh (per week)"


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


# --- the chart on the dashboard (real widgets offscreen) --------------------------------------------------

def open_warning(qtbot: Any, tmp_path: Path, body: dict[str, Any], language: str) -> tuple[Any, Any]:
    """The dashboard at wall size with the real hub snapshot; the demand warning's chart opened by a tap."""
    from terminal.dashboard.demand import DemandDialog
    from terminal.qt import Qt
    from tests.test_dashboard_ui import open_screen

    screen = open_screen(qtbot, tmp_path)
    screen.win.resize(1920, 1080)
    with qtbot.waitSignal(screen.win.repainted, timeout=5000):
        screen.feed.send("dashboard/orders", "dashboard.orders", body)
    assert screen.win.wait_idle()
    screen.win.set_language(language)
    screen.win.show_tab("alerts")
    panel = screen.win.alerts
    warning = next(a for a in screen.win.model.alerts if a.kind == "demand_short")
    charted = {a.kind for a in screen.win.model.alerts if panel.cards[a.id].chart.isVisibleTo(panel)}
    assert charted == {"demand_short", "demand_capacity"}, "the planted rise also fills the assembly weeks"
    words = {"en": "Purchasing warning", "zh_CN": "采购预警"}[language]
    assert words in panel.cards[warning.id].text.text() and "demand_short" not in panel.cards[warning.id].text.text()
    qtbot.mouseClick(panel.cards[warning.id].chart, Qt.MouseButton.LeftButton)
    dialog = panel.chart_dialog
    assert isinstance(dialog, DemandDialog)
    dialog.setGeometry(0, 0, 1920, 1080)
    qtbot.wait(50)
    return screen, dialog


def labels_that_do_not_fit(dialog: Any) -> list[str]:
    """Axis labels wider than the room between two of them, and chart titles wider than their chart."""
    from terminal.qt import QCategoryAxis, QFontMetrics

    found = []
    for chart in dialog.charts:
        width = chart.plotArea().width()
        if QFontMetrics(chart.titleFont()).horizontalAdvance(chart.title()) > chart.size().width() - 20:
            found.append(f"title {chart.title()!r}")
        for axis in chart.axes():
            if isinstance(axis, QCategoryAxis):
                metrics = QFontMetrics(axis.labelsFont())
                spots = [axis.endValue(label) for label in axis.categoriesLabels()]
                span = axis.max() - axis.min()
                room = min((b - a for a, b in zip(spots, spots[1:], strict=False)), default=span) * width / span
                found += [f"axis label {label!r} needs more than {room:.0f} px" for label in axis.categoriesLabels()
                          if metrics.horizontalAdvance(label) + 8 > room]
        legend = sum(QFontMetrics(chart.legend().font()).horizontalAdvance(s.name()) + 60 for s in chart.series())
        if legend > chart.size().width():
            found.append(f"legend of {chart.title()!r} needs {legend} px")
    return found


def value_labels(chart: Any) -> list[str]:
    """The value axis's tick labels as Qt prints them (its printf format at each tick)."""
    from terminal.qt import QCategoryAxis, QValueAxis

    axis = next(a for a in chart.axes() if isinstance(a, QValueAxis) and not isinstance(a, QCategoryAxis))
    step = (axis.max() - axis.min()) / (axis.tickCount() - 1)
    number = axis.labelFormat().replace(" %%", "")  # a percent axis prints "%.0f %%"
    return [number % (axis.min() + i * step) for i in range(axis.tickCount())]


@pytest.mark.parametrize(("lo", "hi", "ticks"), [(0, 2, 5), (0, 1, 6), (0, 0.5, 3), (0, 20, 5), (-400, 200, 4),
                                                  (0, 120, 7), (0, 0.25, 6), (0, 10, 6), (0, 5, 11)])
def test_value_axis_labels_are_distinct_and_read_the_tick_they_mark(lo: float, hi: float, ticks: int) -> None:
    from terminal.dashboard.model import axis_decimals

    decimals = axis_decimals(lo, hi, ticks)
    values = [lo + i * (hi - lo) / (ticks - 1) for i in range(ticks)]
    labels = [f"{v:.{decimals}f}" for v in values]
    assert len(set(labels)) == ticks, labels
    assert all(abs(float(text) - v) < 1e-9 for text, v in zip(labels, values, strict=True)), labels
    assert decimals == 0 or any(abs(round(v, decimals - 1) - v) > 1e-9 for v in values), \
        "no more decimals than a label needs"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_tapping_a_purchasing_warning_shows_projected_stock_safety_stock_the_short_day_and_the_option_trend(
        qtbot: Any, tmp_path: Path, artifacts: Path, warned: Any, language: str) -> None:
    from terminal.station import texts
    from tests.test_dashboard_wall import clipped

    _q, body = warned
    screen, dialog = open_warning(qtbot, tmp_path, body, language)
    try:
        stock, trend = dialog.charts
        names = [s.name() for s in stock.series()]
        plot = dialog.plot
        assert plot is not None and plot.short_on is not None and plot.trend is not None
        short = f"{plot.short_on.month:02d}-{plot.short_on.day:02d}"
        assert names[:2] == [texts.tr("Projected stock"), texts.tr("Safety stock")]
        assert texts.tr("Runs short {day}").format(day=short) in names
        line = stock.series()[0]
        assert line.count() == len(plot.projected) and line.at(0).y() == plot.projected[0]
        assert [s.name() for s in trend.series()] == [texts.tr("Demand so far"), texts.tr("Forecast")]
        assert trend.series()[0].count() == 8 and trend.series()[1].count() == 9  # joined to the last week seen
        if language == "zh_CN":
            assert stock.title() == "大电池 (BATT-L) 的预计库存" and "缺货" in " ".join(names)
            assert trend.title() == "电动车，电池：625瓦时 的需求（每周）"
        else:
            assert stock.title() == "Projected stock of Large battery (BATT-L)"
        for chart in dialog.charts:
            assert len(set(value_labels(chart))) == len(value_labels(chart)), value_labels(chart)
        assert not labels_that_do_not_fit(dialog)
        assert not clipped(dialog)
        for chart in dialog.charts:
            assert chart.titleFont().pixelSize() >= 24 and chart.legend().font().pixelSize() >= 20
        dialog.grab().save(str(artifacts / f"dashboard_demand_chart_{language}.png"))
    finally:
        dialog.close()
        screen.win.close()
        screen.feed.inbox.store.close()
        texts.use("en")


def test_a_capacity_warning_charts_the_weekly_load_against_full_capacity(qtbot: Any, tmp_path: Path,
                                                                         artifacts: Path) -> None:
    from terminal.dashboard.demand import DemandDialog
    from tests.test_dashboard_ui import open_screen

    body = orders_body([alert(5, kind="demand_capacity", subject="ASSY 2026-12-07"), alert(6)])
    body["demand"] = {"5": {"kind": "capacity", "work_centre": "ASSY", "week": "2026-12-07",
                            "weeks": ["2026-12-07", "2026-12-14", "2026-12-21", "2026-12-28"],
                            "load": [1.3, 0.9, None, 0.7], "threshold": 1.0, "trend": None}}
    screen = open_screen(qtbot, tmp_path)
    try:
        with qtbot.waitSignal(screen.win.repainted, timeout=5000):
            screen.feed.send("dashboard/orders", "dashboard.orders", body)
        assert screen.win.wait_idle()
        cards = screen.win.alerts.cards
        assert cards[5].chart.isVisibleTo(cards[5]) and not cards[6].chart.isVisibleTo(cards[6]), \
            "an overrun has no chart"
        dialog = screen.win.alerts.show_chart(5)
        assert isinstance(dialog, DemandDialog) and len(dialog.charts) == 1
        load, full = dialog.charts[0].series()
        assert [(p.x(), p.y()) for p in load.points()] == [(0, 130), (1, 90), (3, 70)]  # a week without hours: no point
        assert {p.y() for p in full.points()} == {100}
        assert dialog.charts[0].title() == "Load of ASSY per week"
        assert not labels_that_do_not_fit(dialog)
        dialog.close()
    finally:
        screen.win.close()
        screen.feed.inbox.store.close()


def test_a_small_shops_weekly_demand_is_labelled_in_halves_not_in_repeated_whole_numbers(qtbot: Any, tmp_path: Path,
                                                                                         artifacts: Path) -> None:
    """A battery sold about once a week (seen on the live demo: the axis read 0, 1, 1, 2, 2)."""
    from tests.test_dashboard_ui import open_screen

    body = orders_body([alert(5, kind="demand_short", subject="BAT-750")])
    weeks = [(date(2026, 10, 9) + timedelta(days=7 * k)).isoformat() for k in range(16)]
    body["demand"] = {"5": {"kind": "stock", "item": "BAT-750", "start": "2026-12-05",
                            "projected": [round(10.8 - 0.17 * d, 2) for d in range(56)], "safety_stock": 3,
                            "runs_short_on": "2027-01-22", "order_by": "2026-12-11", "name": {"en": "750 Wh battery"},
                            "trend": {"product": "MTB", "attribute": "battery", "option": "b750",
                                      "history_weeks": weeks[:8], "history": [0.8, 0.85, 0.8, 1.1, 0.9, 0.85, 0.8, 1.0],
                                      "forecast_weeks": weeks[8:], "forecast": [1.0, 1.05, 1.1, 1.15, 1.2, 1.25, 1.3, 1.4],
                                      "labels": {"product": {"en": "Mountain bike"}, "attribute": {"en": "Battery"},
                                                 "option": {"en": "750 Wh"}}}}}
    screen = open_screen(qtbot, tmp_path)
    try:
        with qtbot.waitSignal(screen.win.repainted, timeout=5000):
            screen.feed.send("dashboard/orders", "dashboard.orders", body)
        assert screen.win.wait_idle()
        dialog = screen.win.alerts.show_chart(5)
        dialog.setGeometry(0, 0, 1920, 1080)
        stock, trend = dialog.charts
        assert trend.title() == "Demand for Mountain bike, Battery: 750 Wh (per week)"
        assert stock.title() == "Projected stock of 750 Wh battery (BAT-750)"
        labels = value_labels(trend)
        assert len(set(labels)) == len(labels) and "0.5" in labels, labels
        assert not labels_that_do_not_fit(dialog)
        dialog.grab().save(str(artifacts / "dashboard_demand_small_shop.png"))
        dialog.close()
    finally:
        screen.win.close()
        screen.feed.inbox.store.close()
