"""Thin Qt panels of the supervisor dashboard: they paint what :class:`DashboardModel` holds.

Tables are model/view (only visible rows paint, so 5,000 operations stay cheap); charts are
QtCharts. The window never reads the store: :class:`DashboardCore` reads on its own thread and its
``changed`` signal brings the new state; :meth:`DashboardWindow.apply` repaints only the panels
whose part changed. A slow timer repaints what moves with time alone (alert ages, stale banner).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from terminal.dashboard import look
from terminal.dashboard.alert_text import alert_text
from terminal.dashboard.charts import axis_font, chart_view, fit
from terminal.dashboard.core import DashboardCore
from terminal.dashboard.demand import DemandDialog
from terminal.dashboard.model import (
    STATUS_ORDER,
    DashboardModel,
    DashboardState,
    OperationRow,
    StationBoard,
    age_text,
    axis_decimals,
    margin_text,
    minutes,
    waiting_text,
)
from terminal.dashboard.overview import OverviewPanel
from terminal.qt import (
    QAbstractItemView,
    QAbstractTableModel,
    QApplication,
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QCloseEvent,
    QColor,
    QComboBox,
    QDialog,
    QEvent,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QHorizontalBarSeries,
    QImage,
    QLabel,
    QLineEdit,
    QLineSeries,
    QMainWindow,
    QModelIndex,
    QObject,
    QPainter,
    QPersistentModelIndex,
    QPixmap,
    QPushButton,
    QScrollArea,
    QSize,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    Qt,
    QTableView,
    QTabWidget,
    QTimer,
    QTreeWidget,
    QTreeWidgetItem,
    QValueAxis,
    QVBoxLayout,
    QWidget,
    Signal,
)
from terminal.station import texts
from terminal.station.texts import tr, unbroken
from terminal.ui.camera import CameraBridge
from terminal.ui.keypad import Keypad
from terminal.ui.parts import button, label, retranslate

Index = QModelIndex | QPersistentModelIndex
Run = Callable[[Callable[[], Any], Callable[[Any], None] | None], None]  # DashboardCore.run
TABS = (("overview", "Overview"), ("orders", "Orders"), ("stations", "Stations"), ("centres", "Work centres"), ("load", "Load"),
        ("alerts", "Alerts"), ("kpis", "KPIs"))  # keys are the choices of dashboard.default_tab
STATUS_COLOURS = look.STATUS
LATE = QColor(look.LATE)
PENDING = {"acknowledge": "acknowledge pending", "resolve": "resolve pending"}
#: what each alert kind the hub raises (docs/hub.md, *Alerts*) is called on the board; an unknown kind
#: (a newer hub) shows in words, never as an identifier
ALERT_KINDS = {
    "overrun": "Operation over time", "qc_rate": "Too many QC failures", "silent_station": "Station silent",
    "hub_fault": "Hub restarted", "order_late": "Order late", "order_number": "Order number used twice",
    "material_short": "Material late", "promise_later": "Promise moved later", "event_refused": "Station entry refused",
    "demand_short": "Purchasing warning", "demand_capacity": "Capacity warning", "feedback": "Customer feedback",
    "stock_short": "Stock short", "requisition_surplus": "Delivery surplus", "price_mismatch": "Price differs from catalog",
    "scrap": "Units scrapped", "stop": "Work stopped",
}


def alert_kind(kind: str) -> str:
    """The board's words for an alert kind, in the current language."""
    return tr(ALERT_KINDS.get(kind, kind.replace("_", " ").capitalize()))
#: values the hub sends that the board shows translated (tr falls back to the value itself)
VALUES = ("planned", "in progress", "ready", "done", "cancelled", "released", "running", "paused", "queued",
          "CRITICAL", "HIGH", "WARNING", "INFO", "raised", "acknowledged", "resolved")
CYCLE = ("overview", "stations", "alerts")  # what a cycling wall board shows in turn (dashboard.cycle_s)


def age_ago(age: timedelta) -> str:
    return age_text(age) if age < timedelta(minutes=1) else tr("{time} ago").format(time=age_text(age))


class RowsModel(QAbstractTableModel):
    """A table over plain rows: ``columns`` are (header, cell text function, cell colour function)."""

    def __init__(self, columns: Sequence[tuple[str, Callable[[Any], Any], Callable[[Any], QColor | None]]]) -> None:
        super().__init__()
        self.columns = list(columns)
        self.rows: list[Any] = []

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.rows[index.row()]
        _title, text, colour = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return text(row)
        if role == Qt.ItemDataRole.ForegroundRole:
            return colour(row)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return tr(self.columns[section][0])
        return None


class ProgressDelegate(QStyledItemDelegate):
    """Paints a number 0–100 as a progress bar (the order table's progress column)."""

    WIDTH = 190  # the bar's column: the bar and its figure beside it

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802 - Qt's name
        hint = super().sizeHint(option, index)
        return QSize(max(hint.width(), self.WIDTH), hint.height())

    def text_width(self, option: QStyleOptionViewItem) -> int:
        """Room for the figure right of the bar (drawn on it, "58 %" straddled the fill's edge in two colours):
        the widest figure, "100 %", in the table's font (a fixed 52 px showed a finished order as "00 %")."""
        return option.fontMetrics.horizontalAdvance("100 %") + 14  # type: ignore[attr-defined]

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        rect = option.rect  # type: ignore[attr-defined]
        text = self.text_width(option)
        bar = QStyleOptionProgressBar()
        bar.rect = rect.adjusted(6, 8, -(text + 4), -8)
        bar.minimum, bar.maximum = 0, 100
        bar.progress = int(index.data() or 0)  # 0..100: the model clamps what the feed says (dashboard.model)
        bar.textVisible = False
        style = option.widget.style() if option.widget else None  # type: ignore[attr-defined]
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)
        painter.drawText(rect.adjusted(rect.width() - text, 0, -10, 0),
                         int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), f"{bar.progress} %")


def _none(_row: Any) -> QColor | None:
    return None


#: rows the orders table measures for its column widths (a shop's open orders fit)
MEASURED_ROWS = 250


def table(model: RowsModel, measured_rows: int = 0) -> QTableView:
    """A read-only table whose columns fit their texts, measured over the first ``measured_rows`` rows (0: the
    rows on screen)."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(44)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # no cell cut at 1280 px or in Chinese
    # Qt's default asks every cell of the first 1,000 rows for its text at each reset (one event on a
    # 1,000-operation board cost ~70 ms of the UI thread); the rows on screen alone cut every longer text below
    # them once scrolled to ("Maximilia…", "Wed 25 Nov 18:…" in the orders; review)
    header.setResizeContentsPrecision(measured_rows)
    header.setStretchLastSection(True)  # the last column takes what is left
    view.setAlternatingRowColors(True)
    return view


class OrdersPanel(QWidget):
    """Every order, late first: progress bar, promise, ETA and how far they are apart."""

    def __init__(self, model: DashboardModel, on_open: Callable[[str], Any]) -> None:
        super().__init__()
        self.model = model
        late = lambda o: LATE if o.late else None  # noqa: E731
        self.rows = RowsModel([
            ("Order", lambda o: o.label, late), ("Customer", lambda o: o.customer or "—", _none),
            ("Product", lambda o: f"{o.product_label} ×{o.quantity}", _none),
            ("Status", lambda o: tr("LATE") if o.late else tr(o.status.replace("_", " ")), late),
            ("Progress", lambda o: round(o.percent), _none), ("Promise", lambda o: model.day(o.promise) if o.moved_from is None else
             tr("{date} (first {first})").format(date=model.day(o.promise), first=model.day(o.moved_from)), _none),
            ("ETA", lambda o: model.when(o.eta), late),
            ("ETA vs promise", lambda o: "—" if o.slip is None else
             (tr("{time} late").format(time=age_text(o.slip)) if o.slip.total_seconds() > 0 else tr("on time")), late),
        ])
        self.view = table(self.rows, MEASURED_ROWS)
        self.view.setItemDelegateForColumn(4, ProgressDelegate(self.view))
        self.view.clicked.connect(lambda index: on_open(self.rows.rows[index.row()].id))  # one tap opens
        layout = QVBoxLayout(self)
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        layout.addWidget(self.hint)
        layout.addWidget(self.view)

    def update_view(self) -> None:
        self.rows.set_rows(self.model.orders)
        zone = self.model.site_zone
        self.hint.setText(tr("Tap an order for its work orders and operations  ·  times are {zone} time")
                          .format(zone=getattr(zone, "key", None) or zone))


def operation_columns(who: Callable[[Iterable[str]], str] = ", ".join,
                      ) -> list[tuple[str, Callable[[Any], Any], Callable[[Any], QColor | None]]]:
    """Columns of an operations table: status, station, operator (``who`` names the badges), what, elapsed
    against standard, yield."""
    status_colour = lambda r: QColor(STATUS_COLOURS.get(r.status, look.MUTED))  # noqa: E731
    over = lambda r: LATE if r.over_standard else None  # noqa: E731
    return [
        ("Status", lambda r: tr(r.status), status_colour), ("Station", lambda r: r.station or "—", _none),
        ("Operator", lambda r: who(r.workers) or "—", _none),
        ("Work order", lambda r: f"{r.work_order} / {r.op} {r.code}", _none),
        ("Item", lambda r: f"{r.item} ×{r.qty}", _none),
        ("Time / std", lambda r: f"{minutes(r.elapsed_s)} / {minutes(r.standard_s)}", over),
        ("Good / scrap", lambda r: f"{r.good} / {r.scrap}", lambda r: LATE if r.scrap else None),
    ]


class CentresPanel(QWidget):
    """One work centre's board: counts per status and its operations, running ones first."""

    def __init__(self, model: DashboardModel, work_centre: str = "") -> None:
        super().__init__()
        self.model = model
        self.preferred = work_centre
        self.centre = QComboBox()
        self.centre.setObjectName("centre")
        self.centre.currentTextChanged.connect(lambda _t: self.update_view())
        self.counts = {s: QLabel() for s in STATUS_ORDER}
        self.rows = RowsModel(operation_columns(model.who))
        self.view = table(self.rows)
        top = QHBoxLayout()
        top.addWidget(label("Work centre", "plain", wrap=False))
        top.addWidget(self.centre)
        for status, label_ in self.counts.items():
            label_.setObjectName("count")
            label_.setStyleSheet(f"color: {STATUS_COLOURS[status]}")
            top.addWidget(label_)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view)

    def update_view(self) -> None:
        codes = sorted(self.model.centres)
        if [self.centre.itemText(i) for i in range(self.centre.count())] != codes:
            current = self.centre.currentText()
            self.centre.blockSignals(True)
            self.centre.clear()
            self.centre.addItems(codes)
            if current in codes:
                self.centre.setCurrentText(current)
            elif self.preferred in codes:
                self.centre.setCurrentText(self.preferred)
            self.centre.blockSignals(False)
        groups = self.model.groups(self.centre.currentText())
        for status, count in self.counts.items():
            count.setText(f"{tr(status)} {len(groups.get(status, []))}")
        self.rows.set_rows([r for s in STATUS_ORDER for r in groups.get(s, [])])


def shown_title(board: StationBoard) -> str:
    """A board's title in the current language (``WHEEL · not started`` for work no station took yet)."""
    return tr("{centre} · not started").format(centre=board.station) if board.unassigned else board.station


class StationCard(QFrame):
    """One station, readable across the hall: its name, counts per status and who runs what against standard.

    The whole card is the touch target: a tap lists the station's operations below the cards."""

    RUNNING_LINES = 2  # two running operations and "+ N more" fit the card's fixed height
    HEIGHT = 264

    def __init__(self, on_tap: Callable[[str], Any], key: str) -> None:
        super().__init__()
        self.setObjectName("stationCard")
        self.setProperty("selected", "false")
        self.setMinimumWidth(360)
        self.setFixedHeight(self.HEIGHT)  # uniform rows however much runs; the tapped station's table has the rest
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.key = key
        self.on_tap = on_tap
        self.shown: tuple[str, str, str] | None = None
        self.title = QLabel()
        self.title.setObjectName("stationTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)  # a station's name from the feed, never markup
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # a long name never widens the grid
        self.counts = QLabel()
        self.counts.setObjectName("stationCounts")
        self.lines = QLabel()
        self.lines.setObjectName("stationLines")
        self.lines.setWordWrap(True)
        self.lines.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.counts)
        layout.addWidget(self.lines, 1)

    def mouseReleaseEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.on_tap(self.key)
        super().mouseReleaseEvent(event)

    def show_board(self, board: StationBoard, who: Callable[[Iterable[str]], str] = ", ".join, waiting: int = 0) -> None:
        """``who`` writes the badges on an operation as names (DashboardModel.who); ``waiting``: what an idle
        station could take next (DashboardModel.waiting_at), as the overview says it."""
        cells = "".join(f"<td width='25%' align='center' style='color:{STATUS_COLOURS[s]}'>"
                        f"<span style='font-size:30px'><b>{board.counts.get(s, 0)}</b></span><br>{tr(s)}</td>"
                        for s in STATUS_ORDER)
        counts = f"<table width='100%' cellspacing='0'><tr>{cells}</tr></table>"
        shown = (shown_title(board), counts, self._lines(board, who, waiting))
        if shown == self.shown:  # Qt calls only when the card's content moved
            return
        self.shown = shown
        self.title.setText(shown[0])
        self.counts.setText(shown[1])
        self.lines.setText(shown[2])

    def _lines(self, board: StationBoard, who: Callable[[Iterable[str]], str], waiting: int) -> str:
        if board.unassigned:
            queued = [r for r in board.operations if r.status == "queued"][:self.RUNNING_LINES]
            lines = [tr("next: {job}").format(job=html.escape(f"{r.work_order} / {r.op} {r.code} · {r.item} ×{r.qty}"))
                     for r in queued]
            return "<br>".join(lines) or f"<span style='color:{look.MUTED}'>{tr('nothing waiting')}</span>"
        running = board.running
        shown = running or tuple(r for r in board.operations if r.status == "paused")  # paused: who stopped what
        lines = []
        for r in shown[:self.RUNNING_LINES]:
            colour = (look.LATE if r.over_standard else
                      STATUS_COLOURS["running"] if r.status == "running" else STATUS_COLOURS["paused"])
            share = f" ({r.elapsed_s * 100 // r.standard_s} %)" if r.standard_s else ""
            paused = "" if r.status == "running" else " " + unbroken(
                tr("paused: {reason}").format(reason=html.escape(tr(r.pause_reason))) if r.pause_reason else tr("paused"))
            of = tr("{elapsed} of {standard} standard").format(elapsed=f"<b>{minutes(r.elapsed_s)}</b>",
                                                                standard=minutes(r.standard_s))
            lines.append(f"<b>{html.escape(who(r.workers) or '—')}</b> · {html.escape(f'{r.work_order} / {r.op} {r.code}').replace(' ', '&nbsp;')}<br>"
                         f"&nbsp;&nbsp;<span style='color:{colour}'>{of}{share}{paused}</span>")
        if len(shown) > self.RUNNING_LINES:
            more = tr("+ {count} more running" if running else "+ {count} more paused")
            lines.append(f"<span style='color:{look.MUTED}'>{more.format(count=len(shown) - self.RUNNING_LINES)}</span>")
        return "<br>".join(lines) or (f"<span style='color:{look.MUTED}'>{tr('nobody working here now')}</span>"
                                      f"<br>{waiting_text(waiting)}")


class StationBoardPanel(QWidget):
    """Work orders by station: a card per station (tap it) and the tapped station's operations.

    Running ones show the operator and elapsed against standard time (red once over)."""

    COLUMNS = 3

    def __init__(self, model: DashboardModel, work_centre: str = "") -> None:
        super().__init__()
        self.model = model
        self.preferred = work_centre
        self.selected = ""
        self.cards: dict[str, StationCard] = {}
        self.placed: list[str] = []
        self.centre = QComboBox()
        self.centre.setObjectName("centre")
        self.centre.currentTextChanged.connect(lambda _t: self.update_view())
        top = QHBoxLayout()
        top.addWidget(label("Work centre", "plain", wrap=False))
        top.addWidget(self.centre)
        top.addWidget(label("Tap a station for its work orders", "hint", wrap=False))
        top.addStretch(1)
        self.inner = inner = QWidget()
        self.grid = QGridLayout(inner)
        self.grid.setSpacing(12)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.empty = label("No work on any station yet", "empty", wrap=False)
        self.grid.addWidget(self.empty, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        self.detail = QLabel()
        self.detail.setObjectName("stationDetail")
        self.rows = RowsModel(operation_columns(model.who))
        self.view = table(self.rows)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(scroll, 3)
        layout.addWidget(self.detail)
        layout.addWidget(self.view, 2)

    def select(self, key: str) -> None:
        self.selected = key
        self.update_view()

    def update_view(self) -> None:
        codes = [tr("All")] + sorted({wc for b in self.model.stations for wc in b.work_centres})
        if [self.centre.itemText(i) for i in range(self.centre.count())] != codes:
            current = self.centre.currentText()
            self.centre.blockSignals(True)
            self.centre.clear()
            self.centre.addItems(codes)
            self.centre.setCurrentText(current if current in codes else
                                      self.preferred if self.preferred in codes else codes[0])
            self.centre.blockSignals(False)
        centre = self.centre.currentText()
        boards = self.model.station_boards("" if self.centre.currentIndex() <= 0 else centre)
        keys = [b.title for b in boards]
        for key in [k for k in self.cards if k not in keys]:
            self.cards.pop(key).deleteLater()
        if keys != self.placed:  # place the cards again only when the set of stations moved
            for placed in self.cards.values():
                self.grid.removeWidget(placed)  # a widget added twice would sit in two cells at once
            for index, key in enumerate(keys):
                card = self.cards.get(key)
                if card is None:
                    card = self.cards[key] = StationCard(self.select, key)
                self.grid.addWidget(card, index // self.COLUMNS, index % self.COLUMNS)
            self.placed = keys
            # the scroll area does not always grow its widget when rows are added later: say how tall it is
            rows = max(1, -(-len(keys) // self.COLUMNS))
            margins = self.grid.contentsMargins()
            self.inner.setMinimumHeight(rows * StationCard.HEIGHT + (rows - 1) * self.grid.spacing()
                                        + margins.top() + margins.bottom())
        self.empty.setVisible(not keys)
        if self.selected not in keys:
            self.selected = keys[0] if keys else ""
        for board in boards:
            card = self.cards[board.title]
            card.show_board(board, self.model.who, self.model.waiting_at(board))
            selected = "true" if board.title == self.selected else "false"
            if card.property("selected") != selected:
                card.setProperty("selected", selected)
                card.style().unpolish(card)
                card.style().polish(card)
        chosen = next((b for b in boards if b.title == self.selected), None)
        count = len(chosen.operations) if chosen else 0
        self.detail.setText(tr("{station}: {count} operations" if count != 1 else "{station}: 1 operation")
                            .format(station=shown_title(chosen), count=count) if chosen else "")
        self.rows.set_rows(list(chosen.operations) if chosen else [])


class LoadPanel(QWidget):
    """Planned hours against capacity per work centre, today and this week: horizontal bars, so each
    centre's code sits whole on the left axis however many centres there are (below narrow vertical
    bars QtCharts cut them to "WE…")."""

    def __init__(self, model: DashboardModel) -> None:
        super().__init__()
        self.model = model
        self.today = QChart()
        self.week = QChart()
        layout = QHBoxLayout(self)
        layout.addWidget(chart_view(self.today))
        layout.addWidget(chart_view(self.week))

    def update_view(self) -> None:
        rows = self.model.load
        for chart, title, booked, capacity in (
                (self.today, "Load for the rest of today (hours)", [r.today_min for r in rows], [r.today_capacity_min for r in rows]),
                (self.week, "Load over the next 7 days (hours)", [r.week_min for r in rows], [r.week_capacity_min for r in rows])):
            chart.removeAllSeries()
            for axis in chart.axes():
                chart.removeAxis(axis)
            chart.setTitle(tr(title))
            planned = QBarSet(tr("Planned"))
            planned.append([b / 60 for b in booked])
            planned.setColor(QColor(look.SERIES[0]))
            cap = QBarSet(tr("Capacity"))
            cap.append([c / 60 for c in capacity])
            cap.setColor(QColor(look.CAPACITY))
            series = QHorizontalBarSeries()
            series.append(planned)
            series.append(cap)
            chart.addSeries(series)
            x = QBarCategoryAxis()
            x.append([r.work_centre for r in rows])
            y = QValueAxis()
            y.setRange(0, max([1.0] + [v / 60 for v in booked + capacity]) * 1.1)
            y.applyNiceNumbers()
            y.setLabelFormat(f"%.{axis_decimals(y.min(), y.max(), y.tickCount())}f")
            axis_font(x, y)
            chart.addAxis(x, Qt.AlignmentFlag.AlignLeft)
            chart.addAxis(y, Qt.AlignmentFlag.AlignBottom)
            series.attachAxis(x)
            series.attachAxis(y)


class AlertCard(QFrame):
    """One alert: severity, what, age, who acknowledged, and touch-sized buttons."""

    def __init__(self, panel: AlertsPanel, alert_id: int) -> None:
        super().__init__()
        self.setObjectName("alertCard")
        self.shown: tuple[str, str, bool, bool, bool] | None = None
        self.severity = QLabel()
        self.severity.setObjectName("severity")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setObjectName("alertText")
        self.acknowledge = button("Acknowledge")
        self.resolve = button("Resolve")
        for each in (self.acknowledge, self.resolve):
            each.setMinimumSize(200, 72)
        self.chart = button("Chart")  # a demand warning's plot (terminal.dashboard.demand)
        self.chart.setMinimumSize(160, 72)
        self.chart.setVisible(False)
        self.acknowledge.clicked.connect(lambda: panel.act(alert_id, "acknowledge"))
        self.resolve.clicked.connect(lambda: panel.act(alert_id, "resolve"))
        self.chart.clicked.connect(lambda: panel.show_chart(alert_id))
        layout = QHBoxLayout(self)
        layout.addWidget(self.severity)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.chart)
        layout.addWidget(self.acknowledge)
        layout.addWidget(self.resolve)

    def button(self, action: str) -> QPushButton:
        """The button of ``action`` ("acknowledge" or "resolve")."""
        return self.acknowledge if action == "acknowledge" else self.resolve


#: how long the board keeps who acknowledged after their last tap: a run of alerts asks once, the next
#: person at a shared wall screen is asked again
SUPERVISOR_KEPT = timedelta(minutes=2)


class AlertsPanel(QWidget):
    """Open alerts, unacknowledged and severe first; acknowledge/resolve ask who acts (kept while taps follow)."""

    def __init__(self, model: DashboardModel, ask_name: Callable[[QWidget], str | None], run: Run) -> None:
        super().__init__()
        self.model = model
        self.ask_name = ask_name
        self.run = run
        self.supervisor = ""
        self.supervisor_at = datetime.min.replace(tzinfo=UTC)
        self.chart_dialog: QDialog | None = None
        self.cards: dict[int, AlertCard] = {}
        self.order: list[int] = []  # alert ids in the order their cards sit in the layout
        self.message = QLabel()
        self.message.setObjectName("message")
        self.said: tuple[str, dict[str, object]] | None = None
        self.empty = label("No open alerts", "empty", wrap=False)
        inner = QWidget()
        self.list = QVBoxLayout(inner)
        self.list.addWidget(self.empty)
        self.list.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(scroll)

    def show_chart(self, alert_id: int) -> QDialog:
        """A demand warning's projected stock (or load) and its option's trend, over the whole window."""
        self.chart_dialog = DemandDialog(self.model, alert_id, self)
        self.chart_dialog.show()
        return self.chart_dialog

    def act(self, alert_id: int, action: str) -> None:
        now = self.model.clock()
        if self.supervisor and now - self.supervisor_at > SUPERVISOR_KEPT:
            self.supervisor = ""  # a shared wall screen: the next person is asked again (review: one name for all)
        if not self.supervisor:
            self.supervisor = (self.ask_name(self) or "").strip()
            if not self.supervisor:
                self.say("Scan your badge or type your PIN to acknowledge or resolve alerts")
                return
        self.supervisor_at = now  # each act keeps the name for SUPERVISOR_KEPT more
        who, model = self.supervisor, self.model
        card = self.cards.get(alert_id)
        if card is not None:  # a quick second tap sent it twice (review): the hub refused the second as a dead letter
            card.button(action).setEnabled(False)
        command = model.acknowledge if action == "acknowledge" else model.resolve
        self.say("Sending …")
        self.run(lambda: command(alert_id, who), lambda result: self._acted(alert_id, action, who, result))

    def say(self, template: str, **values: object) -> None:
        """The line under the alerts, kept as its English source so a language switch says it again (review: it
        stayed in English after 中文)."""
        self.said = (template, values)
        self.message.setText(tr(template).format(**values))

    def _acted(self, alert_id: int, action: str, who: str, result: object) -> None:
        """After the core thread queued (or refused) the command; the read that follows shows it pending (its
        button stays off) or, refused, offers the button again."""
        card = self.cards.get(alert_id)
        if card is not None:
            card.shown = None  # the next read sets its buttons from the alert's pending state
            if isinstance(result, Exception):
                card.button(action).setEnabled(True)
        if isinstance(result, Exception):  # the traceback is in the log (sync.ops); the screen says it plainly
            self.say("Could not save this. The details are in the log.")
        elif action == "acknowledge":
            self.say("Acknowledgement of alert {alert} sent as {name}", alert=alert_id, name=who)
        else:
            self.say("Resolution of alert {alert} sent as {name}", alert=alert_id, name=who)

    def update_view(self) -> None:
        if self.said is not None:
            self.say(self.said[0], **self.said[1])
        now = self.model.clock()
        alive = {a.id for a in self.model.alerts}
        for alert_id in list(self.cards):
            if alert_id not in alive:
                self.cards.pop(alert_id).deleteLater()
                self.order.remove(alert_id)
        for position, alert in enumerate(self.model.alerts):
            card = self.cards.get(alert.id)
            if card is None:
                card = self.cards[alert.id] = AlertCard(self, alert.id)
            if position >= len(self.order) or self.order[position] != alert.id:  # move only what moved
                if alert.id in self.order:
                    self.order.remove(alert.id)
                self.order.insert(position, alert.id)
                self.list.insertWidget(position, card)
            state = tr(alert.state)
            if alert.acknowledged_by:
                state = tr("{state} by {name}").format(state=state, name=alert.acknowledged_by)
            if alert.pending:
                state += " · " + ", ".join(tr(PENDING.get(p, p)) for p in alert.pending)
            raised = tr("raised {age}").format(age=age_ago(alert.age(now)))
            message = html.escape(alert_text(alert, self.model.site_zone))
            text = (f"<b>{html.escape(alert.subject)}</b> — {message}<br><span style='color:{look.MUTED}'>{alert_kind(alert.kind)} · "
                    f"{raised} · {state}</span>")
            shown = (alert.severity, text, alert.state == "raised" and "acknowledge" not in alert.pending,
                     "resolve" not in alert.pending, self.model.demand_plot(alert.id) is not None)
            if card.shown == shown:  # repaint only cards whose content moved
                continue
            card.shown = shown
            back, fore = look.SEVERITY.get(alert.severity, look.OTHER_SEVERITY)
            card.severity.setText(tr(alert.severity.upper()))
            card.severity.setStyleSheet(f"background: {back}; color: {fore}")
            card.text.setText(text)
            card.acknowledge.setEnabled(shown[2])
            card.resolve.setEnabled(shown[3])
            card.chart.setVisible(shown[4])
        self.empty.setVisible(not self.model.alerts)


class KpiPanel(QWidget):
    """OEE per work centre, on-time delivery and first-pass yield now and over 7 days."""

    def __init__(self, model: DashboardModel) -> None:
        super().__init__()
        self.model = model
        self.figures = QLabel()
        self.figures.setObjectName("figures")
        self.figures.setWordWrap(True)  # many work centres must not widen the window past the screen
        self.oee = QChart()
        self.delivery = QChart()
        charts = QHBoxLayout()
        charts.addWidget(chart_view(self.oee))
        charts.addWidget(chart_view(self.delivery))
        layout = QVBoxLayout(self)
        layout.addWidget(self.figures)
        layout.addLayout(charts, 1)

    def update_view(self) -> None:
        k = self.model.kpis
        pct = lambda v: "—" if v is None else f"{v * 100:.0f} %"  # noqa: E731
        oee = "   ".join(f"{wc} {pct(v)}" for wc, v in sorted(k.oee.items()))
        # two lines, each label whole (one line wrapped "First-pass / yield" at 1280 px); on time is judged by
        # the kiosk's date (docs/kpis.md), which the Orders tab shows as "(first …)" when the promise moved
        margin = margin_text(k.margin_needed, k.margin_declared)
        self.figures.setText(f"OEE {oee or '—'}\n{tr('On time to the first promise')} {pct(k.on_time_delivery)}     "
                             f"{tr('First-pass yield')} {pct(k.first_pass_yield)}" + (f"\n{margin}" if margin else ""))
        days = [d[5:] for d in k.dates]
        self._lines(self.oee, tr("OEE per work centre (7 days)"), days, k.oee_trend)
        self._lines(self.delivery, tr("On-time delivery and first-pass yield (7 days)"), days,
                    {tr("On-time delivery"): k.otd_trend, tr("First-pass yield"): k.fpy_trend})

    @staticmethod
    def _lines(chart: QChart, title: str, days: list[str], series: dict[str, list[float | None]]) -> None:
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        chart.setTitle(title)
        x = QBarCategoryAxis()
        x.append(days or ["—"])
        x.setRange(days[0], days[-1]) if days else None
        y = QValueAxis()
        y.setRange(0, 100)
        y.setLabelFormat("%.0f %%")
        axis_font(x, y)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        for number, (name, values) in enumerate(series.items()):
            line = QLineSeries()
            line.setName(name)
            pen = line.pen()
            pen.setWidth(3)
            pen.setColor(QColor(look.SERIES[number % len(look.SERIES)]))  # a colour of its own each
            line.setPen(pen)
            line.setPointsVisible(True)  # a day alone (the first finished order) is a point, not an invisible line
            for i, v in enumerate(values):
                if v is not None:
                    line.append(i, v * 100)
            chart.addSeries(line)
            line.attachAxis(x)
            line.attachAxis(y)


class DrillDown(QDialog):
    """Order → work orders → operations with operators, times and scrap.

    It covers the dashboard window exactly (a touch screen has no room for a second, smaller window
    that could hang off the edge) and its columns share the width, so nothing needs a sideways scroll."""

    def __init__(self, model: DashboardModel, order_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model, self.order_id = model, order_id
        self.setObjectName("drillDown")
        self.tree = QTreeWidget()
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.close_button = button("Close")
        self.close_button.setMinimumHeight(72)
        self.close_button.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setObjectName("drillTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)  # the order's name from the feed, never markup
        layout.addWidget(self.title)
        layout.addWidget(self.tree)
        layout.addWidget(self.close_button)
        self.fill()
        fit(self, parent)

    def fill(self) -> None:
        """Draw the order as the model holds it now, in the current language: the window calls it on each
        change while the dialog is open (review: a finished operation still read "running", and a language
        switch changed only the Close button)."""
        model, order_id = self.model, self.order_id
        order = model.order(order_id)
        name = (order.label + (f" · {order.customer}" if order.customer else "")) if order else order_id
        self.setWindowTitle(tr("Order {order}").format(order=name))
        self.tree.clear()
        self.tree.setHeaderLabels([tr(h) for h in ("Work order / operation", "Status", "Operators",
                                                   "Elapsed / standard", "Good / scrap", "Station", "Started",
                                                   "Finished")])
        drill = model.drill_down(order_id)
        for wo in drill:
            top = QTreeWidgetItem([f"{wo.id}  {wo.item} ×{wo.qty}", self._wo_status(wo.operations), "", "", "", "",
                                   "", ""])
            for op in wo.operations:
                item = QTreeWidgetItem([f"{op.op} {op.code} ({op.work_centre})", tr(op.status),
                                        model.who(op.workers) or "—",
                                        f"{minutes(op.elapsed_s)} / {minutes(op.standard_s)}",
                                        f"{op.good} / {op.scrap}", op.station or "—",
                                        model.when_short(op.started_at), model.when_short(op.completed_at)])
                item.setForeground(1, QColor(STATUS_COLOURS.get(op.status, look.MUTED)))
                if op.scrap:
                    item.setForeground(4, LATE)
                top.addChild(item)
            self.tree.addTopLevelItem(top)
        self.tree.expandAll()
        self.title.setText(tr("Order {order}").format(order=name) if drill else
                           tr("Order {order} — no open work orders on the boards").format(order=name))
        self.close_button.setText(tr("Close"))

    @staticmethod
    def _wo_status(ops: Sequence[OperationRow]) -> str:
        done = sum(op.status == "done" for op in ops)
        return tr("{done}/{total} operations done").format(done=done, total=len(ops))


class WhoDialog(QDialog):
    """Who acknowledges: scan a badge (the hand scanner types its label here and presses Enter) or type
    a PIN on the big keypad; the name shown and recorded is the roster's, never typed."""

    def __init__(self, identify: Callable[[str], str | None], parent: QWidget | None = None,
                 camera: CameraBridge | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("who")
        self.setWindowTitle(tr("Who acknowledges?"))
        self.identify = identify
        self.name: str | None = None
        self.camera = camera
        self.prompt = label("Hold your badge to the camera, scan it or type your PIN" if camera is not None
                            else "Scan your badge or type your PIN", "whoPrompt", wrap=True)
        self.preview = QLabel()
        self.preview.setObjectName("whoPreview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setFixedHeight(180)
        self.preview.setVisible(camera is not None)
        if camera is not None:  # while the dialog is open, a badge the camera reads answers it
            camera.scanned.connect(self.scanned)
            camera.preview.connect(self.show_preview)
            self.finished.connect(self._release_camera)
        self.code = QLineEdit()
        self.code.setObjectName("whoCode")
        self.code.setEchoMode(QLineEdit.EchoMode.Password)  # a PIN is not for the room to read
        self.code.returnPressed.connect(self.check)
        self.pad = Keypad(self.code, name="whoKey")
        ok, cancel = button("OK", "whoOk"), button("Cancel", "whoCancel")
        ok.clicked.connect(self.check)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(cancel)
        buttons.addWidget(ok)
        layout = QVBoxLayout(self)
        layout.addWidget(self.prompt)
        layout.addWidget(self.preview)
        layout.addWidget(self.code)
        layout.addWidget(self.pad, 1)
        layout.addLayout(buttons)
        self.resize(560, 940 if camera is not None else 760)

    def scanned(self, text: str) -> None:
        """The camera read a code: checked like a scanned or typed one."""
        if self.isVisible() and self.name is None:
            self.code.setText(text)
            self.check()

    def show_preview(self, image: QImage) -> None:
        self.preview.setPixmap(QPixmap.fromImage(image).scaled(
            self.preview.width(), self.preview.height(), Qt.AspectRatioMode.KeepAspectRatio))

    def _release_camera(self) -> None:
        if self.camera is not None:
            self.camera.scanned.disconnect(self.scanned)
            self.camera.preview.disconnect(self.show_preview)
            self.camera = None

    def check(self) -> None:
        """The roster's name for what was scanned or typed; an unknown one says so and clears the field."""
        name = self.identify(self.code.text())
        self.code.clear()
        if name is None:
            self.prompt.setText(tr("Not on the roster. Scan your badge or type your PIN again"))
            return
        self.name = name
        self.accept()

    def ask(self) -> str | None:
        return self.name if self.exec() == QDialog.DialogCode.Accepted else None


class DashboardWindow(QMainWindow):
    """Stale banner and the six panels as tabs; repaints on :attr:`DashboardCore.changed`, never polls the store."""

    #: the changed parts, after they were repainted (tests wait for it)
    repainted = Signal(object)
    #: parts repainted even while their tab is hidden: alert cards are few and must be ready to act on
    EAGER = frozenset({"alerts"})
    #: panels that show other panels' parts repaint with them (the wall board shows orders, stations and alerts,
    #: and waited for the next time tick otherwise)
    SHOWS = {"overview": frozenset({"orders", "stations", "alerts"})}

    def __init__(self, model: DashboardModel, *, core: DashboardCore | None = None,
                 ask_name: Callable[[QWidget], str | None] | None = None, time_refresh_ms: int = 5000,
                 default_tab: str = "overview", work_centre: str = "", cycle_s: int = 0) -> None:
        super().__init__()
        self.model = model
        self.camera: CameraBridge | None = None
        self.own_core = core is None
        self.core = core or DashboardCore(model)
        self.setWindowTitle(tr("FloorLink — supervisor dashboard"))
        self.banner = QLabel()
        self.banner.setObjectName("staleBanner")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.orders = OrdersPanel(model, self.open_order)
        self.stations = StationBoardPanel(model, work_centre)
        self.centres = CentresPanel(model, work_centre)
        self.load = LoadPanel(model)
        self.alerts = AlertsPanel(model, ask_name or self.ask_who, self.core.run)
        self.kpis = KpiPanel(model)
        self.overview = OverviewPanel(model, self.open_order, self.show_tab)
        self.panels: dict[str, Any] = {"overview": self.overview, "orders": self.orders, "stations": self.stations, "centres": self.centres,
                                       "load": self.load, "alerts": self.alerts, "kpis": self.kpis}
        self.tabs = QTabWidget()
        for key, title in TABS:
            self.tabs.addTab(self.panels[key], tr(title))
        self.tabs.setCurrentIndex(self.tab_index(default_tab))
        self.languages = QWidget()
        switch = QHBoxLayout(self.languages)
        switch.setContentsMargins(0, 0, 8, 0)
        self.language_buttons: dict[str, QPushButton] = {}
        for code, name in texts.LANGUAGE_NAMES.items():  # each written in its own language, as on the station
            choice = QPushButton(name)
            choice.setObjectName("language")
            choice.setCheckable(True)
            choice.setChecked(code == texts.language())
            choice.clicked.connect(lambda _=False, c=code: self.set_language(c))
            switch.addWidget(choice)
            self.language_buttons[code] = choice
        self.tabs.setCornerWidget(self.languages, Qt.Corner.TopRightCorner)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs)
        self.setCentralWidget(central)
        self.drill: DrillDown | None = None
        self.shown: tuple[str, str] | None = None
        self.dirty: set[str] = set()  # parts changed while their tab was hidden
        self.problem = ""  # why the last read of the local cache failed, until one succeeds
        self.tabs.currentChanged.connect(self._tab_shown)
        self.core.changed.connect(self.on_changed)
        self.core.failed.connect(self.on_failed)
        self.timer = QTimer(self)  # only what changes with time alone: alert ages, the stale banner
        self.timer.timeout.connect(self.tick)
        self.timer.start(time_refresh_ms)
        self.cycle = QTimer(self)  # the wall board's turn through CYCLE (dashboard.cycle_s; 0: fixed)
        self.cycle.setTimerType(Qt.TimerType.PreciseTimer)
        self.cycle.timeout.connect(self.next_tab)
        if cycle_s > 0:
            self.start_cycle(cycle_s)
        self.apply(set())
        self.core.request_read()  # the cached state, at once

    @staticmethod
    def tab_index(key: str) -> int:
        return [k for k, _title in TABS].index(key)

    def show_tab(self, key: str) -> None:
        self.tabs.setCurrentIndex(self.tab_index(key))

    def start_cycle(self, seconds: int) -> None:
        """Turn through CYCLE every ``seconds``; a touch anywhere holds the turn (see eventFilter)."""
        self.cycle.start(seconds * 1000)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def next_tab(self) -> None:
        """The cycling wall board's next tab (from any tab: back to the overview)."""
        keys = [k for k, _title in TABS]
        current = keys[self.tabs.currentIndex()]
        self.show_tab(CYCLE[(CYCLE.index(current) + 1) % len(CYCLE)] if current in CYCLE else CYCLE[0])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """A supervisor touching the board holds the cycle: it waits a full interval again."""
        if event.type() == QEvent.Type.MouseButtonPress and self.cycle.isActive():
            self.cycle.start()
        return False

    def set_language(self, language: str) -> None:
        """Every panel in ``language`` at once (the station terminal's catalogue, terminal.station.texts)."""
        texts.use(language)
        for code, choice in self.language_buttons.items():
            choice.setChecked(code == language)
        self.setWindowTitle(tr("FloorLink — supervisor dashboard"))
        for index, (_key, title) in enumerate(TABS):
            self.tabs.setTabText(index, tr(title))
        retranslate(self)
        self.shown = None
        for panel in self.panels.values():
            panel.update_view()
        self._refill_drill()
        self.dirty.clear()
        self.tick()

    def attach_camera(self, bridge: CameraBridge) -> None:
        """Badges the camera reads answer the who-acknowledges dialog (setting ``dashboard.camera``)."""
        self.camera = bridge

    def ask_who(self, parent: QWidget) -> str | None:
        """The badge-or-PIN dialog; the roster is read on the core thread (the UI thread never reads SQLite)."""

        def identify(code: str) -> str | None:
            worker = self.core.call(lambda: self.model.identify(code))
            return worker.name if worker is not None else None

        return WhoDialog(identify, parent, self.camera).ask()  # 560x760, over the board: a keypad, not a wall of keys

    def on_changed(self, state: DashboardState, changed: set[str]) -> None:
        """The core read a new state (UI thread): show it and repaint the changed panels."""
        self.problem = ""
        self.apply(self.model.apply(state, changed))
        self._refill_drill()
        self.repainted.emit(changed)

    def on_failed(self, why: str) -> None:
        """The local cache could not be read: say so in the banner; the last state stays on screen."""
        self.problem = tr("Cannot read the local cache: {why} — showing the last state").format(why=why)
        self.tick(ages=False)

    def apply(self, changed: set[str]) -> None:
        """Repaint the changed parts on the shown tab (and the alert cards); hidden tabs catch up when shown."""
        current = self.tabs.currentWidget()
        for part in changed | {panel for panel, parts in self.SHOWS.items() if parts & changed}:
            if part in self.EAGER or self.panels[part] is current:
                self.panels[part].update_view()
            else:
                self.dirty.add(part)
        self.tick(ages="alerts" not in changed)

    def _tab_shown(self, _index: int) -> None:
        current = self.tabs.currentWidget()
        for part in [p for p in self.dirty if self.panels[p] is current]:
            self.dirty.discard(part)
            self.panels[part].update_view()

    def tick(self, ages: bool = True) -> None:
        """Repaint what moves with time alone, from the state in memory (no store access)."""
        if ages and self.model.alerts:
            self.alerts.update_view()
        if ages and self.tabs.currentWidget() is self.overview:  # alert ages and the clock
            self.overview.update_view()
        count = sum(a.state == "raised" for a in self.model.alerts)
        shown = (self.problem or self.model.stale_text(),
                 tr("Alerts ({count})").format(count=count) if count else tr("Alerts"))
        if shown != self.shown:  # Qt calls only on change: an idle wall screen runs for hours
            self.shown = shown
            self.banner.setText(shown[0])
            self.banner.setVisible(bool(shown[0]))
            self.tabs.setTabText(self.tab_index("alerts"), shown[1])

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Process events until the core thread is idle and its signals drawn (tests, screenshots)."""
        deadline = time.monotonic() + timeout
        while not self.core.idle:
            if time.monotonic() > deadline:
                return False
            QApplication.processEvents()
            time.sleep(0.002)
        QApplication.processEvents()
        return True

    def _refill_drill(self) -> None:
        """An open order detail follows the shop and the language."""
        if self.drill is not None and self.drill.isVisible():
            self.drill.fill()

    def open_order(self, order_id: str) -> DrillDown:
        self.drill = DrillDown(self.model, order_id, self)
        self.drill.show()
        return self.drill

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.timer.stop()
        self.cycle.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        if self.own_core:
            self.core.close()
        super().closeEvent(event)
