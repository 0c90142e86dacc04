"""The dashboard's chart and dialog helpers, shared by its panels and the demand chart: charts read from a
few metres (large fonts, legend below) and dialogs laid over the window."""

from __future__ import annotations

from terminal.qt import (
    QApplication,
    QBarCategoryAxis,
    QChart,
    QChartView,
    QDialog,
    QFont,
    QPainter,
    Qt,
    QValueAxis,
    QWidget,
)


def chart_font(pixels: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(pixels)
    font.setBold(bold)
    return font


def chart_view(chart: QChart) -> QChartView:
    """A chart read from a few metres: 24 px title, 20 px legend below the plot (a legend beside it
    is squeezed and elides the series names)."""
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setTitleFont(chart_font(24, bold=True))
    chart.legend().setFont(chart_font(20))
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(300)
    return view


def axis_font(*axes: QBarCategoryAxis | QValueAxis) -> None:
    for axis in axes:
        axis.setLabelsFont(chart_font(20))


def fit(dialog: QDialog, parent: QWidget | None) -> None:
    """Lay ``dialog`` over its parent window, or over the screen it opens on: never past an edge."""
    window = parent.window() if parent is not None else None
    if window is not None and window.isVisible():
        dialog.setGeometry(window.geometry())
    else:
        screen = dialog.screen() or QApplication.primaryScreen()
        dialog.setGeometry(screen.availableGeometry())
