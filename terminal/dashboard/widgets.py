"""Thin Qt panels of the supervisor dashboard: they paint what :class:`DashboardModel` holds.

Tables are model/view (only visible rows paint, so 5,000 operations stay cheap); charts are
QtCharts. The window never reads the store: :class:`DashboardCore` reads on its own thread and its
``changed`` signal brings the new state; :meth:`DashboardWindow.apply` repaints only the panels
whose part changed. A slow timer repaints what moves with time alone (alert ages, stale banner).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sync.errors import FloorLinkError
from terminal.dashboard.core import DashboardCore
from terminal.dashboard.model import (
    STATUS_ORDER,
    DashboardModel,
    DashboardState,
    OperationRow,
    StationBoard,
    age_text,
)
from terminal.qt import (
    QAbstractItemView,
    QAbstractTableModel,
    QApplication,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QCloseEvent,
    QColor,
    QComboBox,
    QDialog,
    QFont,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineSeries,
    QMainWindow,
    QModelIndex,
    QPainter,
    QPersistentModelIndex,
    QPushButton,
    QScrollArea,
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

Index = QModelIndex | QPersistentModelIndex
Run = Callable[[Callable[[], Any], Callable[[Any], None] | None], None]  # DashboardCore.run
TABS = (("orders", "Orders"), ("stations", "Stations"), ("centres", "Work centres"), ("load", "Load"),
        ("alerts", "Alerts"), ("kpis", "KPIs"))  # keys are the choices of dashboard.default_tab
SEVERITY_COLOURS = {"critical": "#c62828", "high": "#e65100", "warning": "#f9a825", "info": "#1565c0"}
STATUS_COLOURS = {"running": "#2e7d32", "paused": "#ef6c00", "queued": "#546e7a", "done": "#9e9e9e"}
LATE = QColor("#c62828")
LINE_COLOURS = ("#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457")


def age_ago(age: timedelta) -> str:
    text = age_text(age)
    return text if text == "just now" else f"{text} ago"


def minutes(seconds: int) -> str:
    """``m:ss`` under an hour, ``H h MM`` above (an operation left running overnight stays readable)."""
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


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
            return self.columns[section][0]
        return None


class ProgressDelegate(QStyledItemDelegate):
    """Paints a number 0–100 as a progress bar (the order table's progress column)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(6, 8, -6, -8)  # type: ignore[attr-defined]
        bar.minimum, bar.maximum = 0, 100
        bar.progress = int(index.data() or 0)
        bar.text = f"{bar.progress} %"
        bar.textVisible = True
        style = option.widget.style() if option.widget else None  # type: ignore[attr-defined]
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


def _none(_row: Any) -> QColor | None:
    return None


def table(model: RowsModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(44)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
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
            ("Product", lambda o: f"{o.product} ×{o.quantity}", _none),
            ("Status", lambda o: "LATE" if o.late else o.status.replace("_", " "), late),
            ("Progress", lambda o: round(o.percent), _none), ("Promise", lambda o: model.when(o.promise), _none),
            ("ETA", lambda o: model.when(o.eta), late),
            ("ETA vs promise", lambda o: "—" if o.slip is None else
             (f"+{age_text(o.slip)} late" if o.slip.total_seconds() > 0 else "on time"), late),
        ])
        self.view = table(self.rows)
        self.view.setItemDelegateForColumn(4, ProgressDelegate(self.view))
        self.view.doubleClicked.connect(lambda index: on_open(self.rows.rows[index.row()].id))
        layout = QVBoxLayout(self)
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        layout.addWidget(self.hint)
        layout.addWidget(self.view)

    def update_view(self) -> None:
        self.rows.set_rows(self.model.orders)
        zone = self.model.site_zone
        self.hint.setText("Double-tap an order for its work orders and operations  ·  times are "
                          f"{getattr(zone, 'key', None) or zone} time")


def operation_columns() -> list[tuple[str, Callable[[Any], Any], Callable[[Any], QColor | None]]]:
    """Columns of an operations table: status, station, operator, what, elapsed against standard, yield."""
    status_colour = lambda r: QColor(STATUS_COLOURS.get(r.status, "#000"))  # noqa: E731
    over = lambda r: LATE if r.over_standard else None  # noqa: E731
    return [
        ("Status", lambda r: r.status, status_colour), ("Station", lambda r: r.station or "—", _none),
        ("Operator", lambda r: ", ".join(r.workers) or "—", _none),
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
        self.rows = RowsModel(operation_columns())
        self.view = table(self.rows)
        top = QHBoxLayout()
        top.addWidget(QLabel("Work centre"))
        top.addWidget(self.centre)
        for status, label in self.counts.items():
            label.setObjectName("count")
            label.setStyleSheet(f"color: {STATUS_COLOURS[status]}")
            top.addWidget(label)
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
        for status, label in self.counts.items():
            label.setText(f"{status} {len(groups.get(status, []))}")
        self.rows.set_rows([r for s in STATUS_ORDER for r in groups.get(s, [])])


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

    def show_board(self, board: StationBoard) -> None:
        cells = "".join(f"<td width='25%' align='center' style='color:{STATUS_COLOURS[s]}'>"
                        f"<span style='font-size:30px'><b>{board.counts.get(s, 0)}</b></span><br>{s}</td>"
                        for s in STATUS_ORDER)
        counts = f"<table width='100%' cellspacing='0'><tr>{cells}</tr></table>"
        shown = (board.title, counts, self._lines(board))
        if shown == self.shown:  # Qt calls only when the card's content moved
            return
        self.shown = shown
        self.title.setText(shown[0])
        self.counts.setText(shown[1])
        self.lines.setText(shown[2])

    def _lines(self, board: StationBoard) -> str:
        if board.unassigned:
            queued = [r for r in board.operations if r.status == "queued"][:self.RUNNING_LINES]
            lines = [f"next: {r.work_order} / {r.op} {r.code} · {r.item} ×{r.qty}" for r in queued]
            return "<br>".join(lines) or "<span style='color:#78909c'>nothing waiting</span>"
        running = board.running
        shown = running or tuple(r for r in board.operations if r.status == "paused")  # paused: who stopped what
        lines = []
        for r in shown[:self.RUNNING_LINES]:
            colour = (SEVERITY_COLOURS["critical"] if r.over_standard else
                      STATUS_COLOURS["running"] if r.status == "running" else STATUS_COLOURS["paused"])
            share = f" ({r.elapsed_s * 100 // r.standard_s} %)" if r.standard_s else ""
            paused = "" if r.status == "running" else " paused"
            lines.append(f"<b>{', '.join(r.workers) or '—'}</b> · {r.work_order} / {r.op} {r.code}<br>"
                         f"&nbsp;&nbsp;<span style='color:{colour}'><b>{minutes(r.elapsed_s)}</b> of "
                         f"{minutes(r.standard_s)} standard{share}{paused}</span>")
        if len(shown) > self.RUNNING_LINES:
            more = "running" if running else "paused"
            lines.append(f"<span style='color:#546e7a'>+ {len(shown) - self.RUNNING_LINES} more {more}</span>")
        return "<br>".join(lines) or "<span style='color:#78909c'>nobody working here now</span>"


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
        top.addWidget(QLabel("Work centre"))
        top.addWidget(self.centre)
        hint = QLabel("Tap a station for its work orders")
        hint.setObjectName("hint")
        top.addWidget(hint)
        top.addStretch(1)
        self.inner = inner = QWidget()
        self.grid = QGridLayout(inner)
        self.grid.setSpacing(12)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.empty = QLabel("No work on any station yet")
        self.empty.setObjectName("empty")
        self.grid.addWidget(self.empty, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        self.detail = QLabel()
        self.detail.setObjectName("stationDetail")
        self.rows = RowsModel(operation_columns())
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
        codes = ["All"] + sorted({wc for b in self.model.stations for wc in b.work_centres})
        if [self.centre.itemText(i) for i in range(self.centre.count())] != codes:
            current = self.centre.currentText()
            self.centre.blockSignals(True)
            self.centre.clear()
            self.centre.addItems(codes)
            self.centre.setCurrentText(current if current in codes else
                                      self.preferred if self.preferred in codes else "All")
            self.centre.blockSignals(False)
        centre = self.centre.currentText()
        boards = self.model.station_boards("" if centre in ("", "All") else centre)
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
            card.show_board(board)
            selected = "true" if board.title == self.selected else "false"
            if card.property("selected") != selected:
                card.setProperty("selected", selected)
                card.style().unpolish(card)
                card.style().polish(card)
        chosen = next((b for b in boards if b.title == self.selected), None)
        count = len(chosen.operations) if chosen else 0
        self.detail.setText(f"{chosen.title}: {count} operation{'' if count == 1 else 's'}" if chosen else "")
        self.rows.set_rows(list(chosen.operations) if chosen else [])


def chart_view(chart: QChart) -> QChartView:
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    font = QFont()
    font.setPointSize(14)
    chart.setTitleFont(font)
    chart.legend().setFont(font)
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(300)
    return view


def axis_font(*axes: QBarCategoryAxis | QValueAxis) -> None:
    font = QFont()
    font.setPointSize(12)
    for axis in axes:
        axis.setLabelsFont(font)


class LoadPanel(QWidget):
    """Planned minutes against capacity per work centre, today and this week (bar charts)."""

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
                (self.today, "Load today (hours)", [r.today_min for r in rows], [r.today_capacity_min for r in rows]),
                (self.week, "Load this week (hours)", [r.week_min for r in rows], [r.week_capacity_min for r in rows])):
            chart.removeAllSeries()
            for axis in chart.axes():
                chart.removeAxis(axis)
            chart.setTitle(title)
            planned = QBarSet("Planned")
            planned.append([b / 60 for b in booked])
            planned.setColor(QColor("#1565c0"))
            cap = QBarSet("Capacity")
            cap.append([c / 60 for c in capacity])
            cap.setColor(QColor("#b0bec5"))
            series = QBarSeries()
            series.append(planned)
            series.append(cap)
            chart.addSeries(series)
            x = QBarCategoryAxis()
            x.append([r.work_centre for r in rows])
            y = QValueAxis()
            y.setRange(0, max([1.0] + [v / 60 for v in booked + capacity]) * 1.1)
            y.setLabelFormat("%.0f")
            y.applyNiceNumbers()
            axis_font(x, y)
            chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
            chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
            series.attachAxis(x)
            series.attachAxis(y)


class AlertCard(QFrame):
    """One alert: severity, what, age, who acknowledged, and touch-sized buttons."""

    def __init__(self, panel: AlertsPanel, alert_id: int) -> None:
        super().__init__()
        self.setObjectName("alertCard")
        self.shown: tuple[str, str, bool, bool] | None = None
        self.severity = QLabel()
        self.severity.setObjectName("severity")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setObjectName("alertText")
        self.acknowledge = QPushButton("Acknowledge")
        self.resolve = QPushButton("Resolve")
        for button in (self.acknowledge, self.resolve):
            button.setMinimumSize(170, 56)
        self.acknowledge.clicked.connect(lambda: panel.act(alert_id, "acknowledge"))
        self.resolve.clicked.connect(lambda: panel.act(alert_id, "resolve"))
        layout = QHBoxLayout(self)
        layout.addWidget(self.severity)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.acknowledge)
        layout.addWidget(self.resolve)


class AlertsPanel(QWidget):
    """Open alerts, unacknowledged and severe first; acknowledge/resolve ask the name once."""

    def __init__(self, model: DashboardModel, ask_name: Callable[[QWidget], str | None], run: Run) -> None:
        super().__init__()
        self.model = model
        self.ask_name = ask_name
        self.run = run
        self.supervisor = ""
        self.cards: dict[int, AlertCard] = {}
        self.order: list[int] = []  # alert ids in the order their cards sit in the layout
        self.message = QLabel()
        self.message.setObjectName("message")
        self.empty = QLabel("No open alerts")
        self.empty.setObjectName("empty")
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

    def act(self, alert_id: int, action: str) -> None:
        if not self.supervisor:
            self.supervisor = (self.ask_name(self) or "").strip()
            if not self.supervisor:
                self.message.setText("Enter your name to acknowledge or resolve alerts")
                return
        who, model = self.supervisor, self.model
        command = model.acknowledge if action == "acknowledge" else model.resolve
        self.message.setText(f"Queueing {action} of alert {alert_id} …")
        self.run(lambda: command(alert_id, who), lambda result: self._acted(alert_id, action, who, result))

    def _acted(self, alert_id: int, action: str, who: str, result: object) -> None:
        """After the core thread queued (or refused) the command; the read that follows shows it pending."""
        if isinstance(result, FloorLinkError):
            self.message.setText(str(result))
        elif isinstance(result, Exception):
            self.message.setText(f"Could not {action} alert {alert_id}: {result}")
        else:
            self.message.setText(f"{action.capitalize()} of alert {alert_id} sent as {who}")

    def update_view(self) -> None:
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
            state = alert.state
            if alert.acknowledged_by:
                state += f" by {alert.acknowledged_by}"
            if alert.pending:
                state += " · " + ", ".join(f"{p} pending" for p in alert.pending)
            text = (f"<b>{alert.subject}</b> — {alert.message}<br><span style='color:#607d8b'>{alert.kind} · "
                    f"raised {age_ago(alert.age(now))} · {state}</span>")
            shown = (alert.severity, text, alert.state == "raised" and "acknowledge" not in alert.pending,
                     "resolve" not in alert.pending)
            if card.shown == shown:  # repaint only cards whose content moved
                continue
            card.shown = shown
            card.severity.setText(alert.severity.upper())
            card.severity.setStyleSheet(f"background: {SEVERITY_COLOURS.get(alert.severity, '#455a64')}")
            card.text.setText(text)
            card.acknowledge.setEnabled(shown[2])
            card.resolve.setEnabled(shown[3])
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
        self.figures.setText(f"OEE {oee or '—'}     On-time delivery {pct(k.on_time_delivery)}     "
                             f"First-pass yield {pct(k.first_pass_yield)}")
        days = [d[5:] for d in k.dates]
        self._lines(self.oee, "OEE per work centre (7 days)", days, k.oee_trend)
        self._lines(self.delivery, "On-time delivery and first-pass yield (7 days)", days,
                    {"On-time delivery": k.otd_trend, "First-pass yield": k.fpy_trend})

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
            pen.setColor(QColor(LINE_COLOURS[number % len(LINE_COLOURS)]))
            line.setPen(pen)
            for i, v in enumerate(values):
                if v is not None:
                    line.append(i, v * 100)
            chart.addSeries(line)
            line.attachAxis(x)
            line.attachAxis(y)


class DrillDown(QDialog):
    """Order → work orders → operations with operators, times and scrap."""

    def __init__(self, model: DashboardModel, order_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        order = model.order(order_id)
        name = (order.label + (f" · {order.customer}" if order.customer else "")) if order else order_id
        self.setWindowTitle(f"Order {name}")
        self.setObjectName("drillDown")
        self.resize(1240, 600)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Work order / operation", "Status", "Operators", "Elapsed / standard",
                                   "Good / scrap", "Station", "Started", "Finished"])
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        drill = model.drill_down(order_id)
        for wo in drill:
            top = QTreeWidgetItem([f"{wo.id}  {wo.item} ×{wo.qty}", self._wo_status(wo.operations), "", "", "", "",
                                   "", ""])
            for op in wo.operations:
                item = QTreeWidgetItem([f"{op.op} {op.code} ({op.work_centre})", op.status,
                                        ", ".join(op.workers) or "—",
                                        f"{minutes(op.elapsed_s)} / {minutes(op.standard_s)}",
                                        f"{op.good} / {op.scrap}", op.station or "—",
                                        model.when_short(op.started_at), model.when_short(op.completed_at)])
                item.setForeground(1, QColor(STATUS_COLOURS.get(op.status, "#000")))
                if op.scrap:
                    item.setForeground(4, LATE)
                top.addChild(item)
            self.tree.addTopLevelItem(top)
        self.tree.expandAll()
        close = QPushButton("Close")
        close.setMinimumHeight(56)
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        title = QLabel(f"Order {name}" + ("" if drill else " — no open work orders on the boards"))
        title.setObjectName("drillTitle")
        layout.addWidget(title)
        layout.addWidget(self.tree)
        layout.addWidget(close)

    @staticmethod
    def _wo_status(ops: Sequence[OperationRow]) -> str:
        done = sum(op.status == "done" for op in ops)
        return f"{done}/{len(ops)} operations done"


def ask_name_dialog(parent: QWidget) -> str | None:
    name, ok = QInputDialog.getText(parent, "Who are you?", "Your name (recorded with acknowledgements):")
    return name if ok else None


class DashboardWindow(QMainWindow):
    """Stale banner and the six panels as tabs; repaints on :attr:`DashboardCore.changed`, never polls the store."""

    #: the changed parts, after they were repainted (tests wait for it)
    repainted = Signal(object)
    #: parts repainted even while their tab is hidden: alert cards are few and must be ready to act on
    EAGER = frozenset({"alerts"})

    def __init__(self, model: DashboardModel, *, core: DashboardCore | None = None,
                 ask_name: Callable[[QWidget], str | None] = ask_name_dialog, time_refresh_ms: int = 5000,
                 default_tab: str = "orders", work_centre: str = "") -> None:
        super().__init__()
        self.model = model
        self.own_core = core is None
        self.core = core or DashboardCore(model)
        self.setWindowTitle("FloorLink — supervisor dashboard")
        self.banner = QLabel()
        self.banner.setObjectName("staleBanner")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.orders = OrdersPanel(model, self.open_order)
        self.stations = StationBoardPanel(model, work_centre)
        self.centres = CentresPanel(model, work_centre)
        self.load = LoadPanel(model)
        self.alerts = AlertsPanel(model, ask_name, self.core.run)
        self.kpis = KpiPanel(model)
        self.panels: dict[str, Any] = {"orders": self.orders, "stations": self.stations, "centres": self.centres,
                                       "load": self.load, "alerts": self.alerts, "kpis": self.kpis}
        self.tabs = QTabWidget()
        for key, title in TABS:
            self.tabs.addTab(self.panels[key], title)
        self.tabs.setCurrentIndex(self.tab_index(default_tab))
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
        self.apply(set())
        self.core.request_read()  # the cached state, at once

    @staticmethod
    def tab_index(key: str) -> int:
        return [k for k, _title in TABS].index(key)

    def on_changed(self, state: DashboardState, changed: set[str]) -> None:
        """The core read a new state (UI thread): show it and repaint the changed panels."""
        self.problem = ""
        self.apply(self.model.apply(state, changed))
        self.repainted.emit(changed)

    def on_failed(self, why: str) -> None:
        """The local cache could not be read: say so in the banner; the last state stays on screen."""
        self.problem = f"Cannot read the local cache: {why} — showing the last state"
        self.tick(ages=False)

    def apply(self, changed: set[str]) -> None:
        """Repaint the changed parts on the shown tab (and the alert cards); hidden tabs catch up when shown."""
        current = self.tabs.currentWidget()
        for part in changed:
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
        count = sum(a.state == "raised" for a in self.model.alerts)
        shown = (self.problem or self.model.stale_text(), f"Alerts ({count})" if count else "Alerts")
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

    def open_order(self, order_id: str) -> DrillDown:
        self.drill = DrillDown(self.model, order_id, self)
        self.drill.show()
        return self.drill

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.timer.stop()
        if self.own_core:
            self.core.close()
        super().closeEvent(event)
