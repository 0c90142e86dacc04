"""The chart a supervisor sees on tapping a demand warning (thin: :class:`DemandPlot` holds what to draw).

A purchasing warning: the item's projected stock for eight weeks against its safety stock, with the day
to order by and the day it runs short marked. A capacity warning: the work centre's load per week against
full capacity. Under either, the weekly demand of the option behind it, weeks seen and forecast. Same
look as the KPI charts (charts.chart_view: large fonts, colours of look.SERIES on white).
"""

from __future__ import annotations

from terminal.dashboard import look
from terminal.dashboard.charts import axis_font, chart_font, chart_view, fit
from terminal.dashboard.model import DashboardModel, DemandPlot, OptionTrend, axis_decimals
from terminal.qt import (
    QCategoryAxis,
    QChart,
    QColor,
    QDialog,
    QLabel,
    QLineSeries,
    QScatterSeries,
    Qt,
    QValueAxis,
    QVBoxLayout,
    QWidget,
)
from terminal.station.texts import tr
from terminal.ui.parts import button


def _pen(series: QLineSeries, colour: str, width: int = 4, dashed: bool = False) -> None:
    pen = series.pen()
    pen.setWidth(width)
    pen.setColor(QColor(colour))
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    series.setPen(pen)


def _axes(chart: QChart, ticks: list[tuple[int, str]], last: int, lo: float, hi: float,
          y_title: str, percent: bool = False) -> tuple[QCategoryAxis, QValueAxis]:
    for axis in chart.axes():
        chart.removeAxis(axis)
    x = QCategoryAxis()
    x.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
    for i, text in ticks:
        x.append(text, i)
    x.setRange(-0.25, max(last, 1) + 0.25)  # the first and last labels sit inside the chart, not on its edge
    y = QValueAxis()
    y.setRange(lo, hi)
    y.applyNiceNumbers()  # ticks on round numbers (-400, -200, 0, 200), not on fifths of the range
    decimals = axis_decimals(y.min(), y.max(), y.tickCount())
    y.setLabelFormat(f"%.{decimals}f %%" if percent else f"%.{decimals}f")
    y.setTitleText(y_title)
    y.setTitleFont(chart_font(20))
    axis_font(x, y)
    for axis in (x, y):
        axis.setLabelsColor(QColor(look.INK))
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
    return x, y


def _add(chart: QChart, series: QLineSeries | QScatterSeries, x: QCategoryAxis, y: QValueAxis) -> None:
    chart.addSeries(series)
    series.attachAxis(x)
    series.attachAxis(y)


def draw_plot(chart: QChart, plot: DemandPlot) -> None:
    """Projected stock with safety stock and the marked days, or the weekly load against capacity."""
    chart.removeAllSeries()
    chart.setTitle(plot.title)
    lo, hi = plot.value_range()
    if plot.kind == "stock":
        x, y = _axes(chart, plot.ticks(), len(plot.days) - 1, lo, hi, tr("Units"))
        stock = QLineSeries()
        stock.setName(tr("Projected stock"))
        _pen(stock, look.SERIES[0])
        for i, v in enumerate(plot.projected):
            stock.append(i, v)
        safety = QLineSeries()
        safety.setName(tr("Safety stock"))
        _pen(safety, look.SERIES[4], 3, dashed=True)
        safety.append(0, plot.safety_stock)
        safety.append(max(len(plot.days) - 1, 1), plot.safety_stock)
        _add(chart, stock, x, y)
        _add(chart, safety, x, y)
        for (text, i, value), colour in zip(plot.marks(), (look.SERIES[3], look.LATE), strict=False):
            mark = QScatterSeries()
            mark.setName(text)
            mark.setMarkerSize(22)
            mark.setColor(QColor(colour))
            mark.setBorderColor(QColor(colour))
            mark.append(i, value)
            _add(chart, mark, x, y)
    else:
        x, y = _axes(chart, plot.ticks(), len(plot.weeks) - 1, lo, hi, tr("Load"), percent=True)
        load = QLineSeries()
        load.setName(tr("Planned and forecast load"))
        _pen(load, look.SERIES[0])
        load.setPointsVisible(True)
        for i, share in enumerate(plot.load):
            if share is not None:  # a week the centre offers no hours has no load to draw
                load.append(i, share * 100)
        full = QLineSeries()
        full.setName(tr("Full capacity"))
        _pen(full, look.LATE, 3, dashed=True)
        full.append(0, plot.threshold * 100)
        full.append(max(len(plot.weeks) - 1, 1), plot.threshold * 100)
        _add(chart, load, x, y)
        _add(chart, full, x, y)


def draw_trend(chart: QChart, trend: OptionTrend) -> None:
    """The option's weekly demand: the weeks seen, then the forecast (dashed) joined to the last one."""
    chart.removeAllSeries()
    chart.setTitle(trend.title)
    ticks = trend.ticks()
    x, y = _axes(chart, ticks, len(ticks) - 1, 0.0, trend.top(), tr("Units per week"))
    seen, ahead = trend.lines()
    for points, name, colour, dashed in ((seen, tr("Demand so far"), look.SERIES[0], False),
                                         (ahead, tr("Forecast"), look.SERIES[1], True)):
        line = QLineSeries()
        line.setName(name)
        _pen(line, colour, dashed=dashed)
        line.setPointsVisible(True)
        for i, v in points:
            line.append(i, v)
        _add(chart, line, x, y)


class DemandDialog(QDialog):
    """Over the whole window: the warning's sentence, its chart and the option's trend, and Close."""

    def __init__(self, model: DashboardModel, alert_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("demandChart")
        alert = next((a for a in model.alerts if a.id == alert_id), None)
        self.plot = model.demand_plot(alert_id)
        # the hub's sentence usually starts with the item ("BAT-750 runs short..."): say it once
        headline = "" if alert is None else (alert.message if alert.message.startswith(alert.subject)
                                              else f"<b>{alert.subject}</b> — {alert.message}")
        self.title = QLabel(headline)
        self.title.setObjectName("drillTitle")
        self.title.setWordWrap(True)
        self.setWindowTitle(alert.subject if alert else "")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        self.charts: list[QChart] = []
        if self.plot is not None:
            main = QChart()
            draw_plot(main, self.plot)
            self.charts.append(main)
            if self.plot.trend is not None:
                trend = QChart()
                draw_trend(trend, self.plot.trend)
                self.charts.append(trend)
        else:
            layout.addWidget(QLabel(tr("The hub has not sent a chart for this warning yet")))
        for chart in self.charts:
            chart.setTitleBrush(QColor(look.INK))
            chart.legend().setLabelColor(QColor(look.INK))
            layout.addWidget(chart_view(chart), 1)
        close = button("Close")
        close.setMinimumHeight(72)
        close.clicked.connect(self.accept)
        layout.addWidget(close)
        fit(self, parent)
