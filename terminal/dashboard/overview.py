"""The wall board: what a supervisor must see from across the hall on one 1920×1080 screen.

Three figures on top (late orders, orders at risk, open alerts), then three columns: the late and
at-risk orders by their short number and customer, each station with its state and current job, and
the open alerts. Figures are drawn at 48 px or more and every text at 28 px or more (the stylesheet's
``wall*`` rules); each column shows as many rows as fit and says how many more there are. A tap on an
order opens its detail, a tap on a station or an alert opens that tab.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from datetime import UTC, timedelta, tzinfo
from typing import Any

from terminal.dashboard import look
from terminal.dashboard.alert_text import alert_text
from terminal.dashboard.model import (
    AlertRow,
    DashboardModel,
    OrderRow,
    StationBoard,
    age_text,
    minutes,
    waiting_text,
)
from terminal.qt import QFrame, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, Qt, QVBoxLayout, QWidget
from terminal.station.texts import tr

ORDER_ROWS, STATION_ROWS, ALERT_ROWS = 10, 16, 8
"""Lines each column can show at most; how many do show is what fits its height (Column._fit): a fixed
five stations left "+ 1 more" under half a column of empty screen."""


def _label(name: str, wrap: bool = False) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    # every text here comes from the feed (order numbers, names, alert messages): shown as written, never as
    # markup (review: "<span style='font-size:90px'>" in a customer's name was drawn huge and red)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    # a long text never widens its column: the elision test measures each label against its width
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


def slip_text(order: OrderRow) -> str:
    """``2 d late`` / ``5 h to spare`` in whole hours or days (what a glance needs)."""
    slip = order.slip or timedelta()
    text = age_text(abs(slip))
    return tr("{time} late").format(time=text) if slip > timedelta() else tr("{time} to spare").format(time=text)


def _age(age: timedelta) -> str:
    return age_text(age) if age < timedelta(minutes=1) else tr("{time} ago").format(time=age_text(age))


class Tap(QFrame):
    """A row of the board that is one touch target: a single tap (release) calls ``on_tap``."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.on_tap: Callable[[], Any] = lambda: None

    def mouseReleaseEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.on_tap()
        super().mouseReleaseEvent(event)


class Figure(QFrame):
    """A count and what it counts, e.g. ``3`` / ``Late orders``."""

    def __init__(self, caption: str) -> None:
        super().__init__()
        self.setObjectName("wallFigure")
        self.caption = caption
        self.number = _label("wallNumber")
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = _label("wallText")
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.number)
        layout.addWidget(self.text)

    def show_count(self, count: int, colour: str) -> None:
        self.number.setText(str(count))
        self.number.setStyleSheet(f"color: {colour}")
        self.text.setText(tr(self.caption))


class OrderLine(Tap):
    def __init__(self) -> None:
        super().__init__("wallRow")
        self.number = _label("wallNumber")
        self.slip = _label("wallText")
        self.slip.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.who = _label("wallText")
        grid = QGridLayout(self)
        grid.addWidget(self.number, 0, 0)
        grid.addWidget(self.slip, 0, 1)
        grid.addWidget(self.who, 1, 0, 1, 2)

    def show_order(self, order: OrderRow, late: bool) -> None:
        colour = look.LATE if late else look.AT_RISK
        self.number.setText(order.label)
        self.number.setStyleSheet(f"color: {colour}")
        self.slip.setText(slip_text(order))
        self.slip.setStyleSheet(f"color: {colour}")
        self.who.setText(" · ".join(p for p in (order.customer, f"{order.product_label} ×{order.quantity}") if p))


class StationLine(Tap):
    def __init__(self) -> None:
        super().__init__("wallRow")
        self.name = _label("wallTitle")
        self.state = _label("wallState")
        self.state.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.job = _label("wallText")
        self.who = _label("wallMuted")
        self.timer = _label("wallNumber")
        self.timer.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        grid = QGridLayout(self)
        grid.setVerticalSpacing(2)
        grid.addWidget(self.name, 0, 0)
        grid.addWidget(self.state, 0, 1)
        grid.addWidget(self.job, 1, 0)
        grid.addWidget(self.timer, 1, 1, 2, 1)
        grid.addWidget(self.who, 2, 0)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)

    def show_board(self, board: StationBoard, waiting: int, who: Callable[[Iterable[str]], str] = ", ".join) -> None:
        """``waiting``: what the station could take next (DashboardModel.waiting_at); ``who`` writes the
        badges on its operation as names (DashboardModel.who)."""
        running = board.running
        paused = tuple(r for r in board.operations if r.status == "paused")
        current = running[0] if running else paused[0] if paused else None
        self.name.setText(board.station)
        if current is None:
            state, colour = tr("Idle"), look.MUTED
            self.job.setText(waiting_text(waiting))
            self.who.setText("")
            self.timer.setText("")
        else:
            state = tr("Running") if running else tr("Paused")
            colour = look.STATUS["running" if running else "paused"]
            self.job.setText(f"{current.work_order} / {current.op} {current.code}")
            # paused: nobody is on it, and why it stopped is what the supervisor comes for ("Material missing")
            reason = "" if running else current.pause_reason
            self.who.setText(tr(reason) if reason else who(current.workers))
            self.who.setStyleSheet(f"color: {colour}; font-weight: bold" if reason else "")
            self.timer.setText(minutes(current.elapsed_s))
            self.timer.setStyleSheet(f"color: {look.LATE if current.over_standard else colour}")
        # an idle station's line is two rows, not three: the column then holds more stations
        self.who.setVisible(bool(self.who.text()))
        self.timer.setVisible(bool(self.timer.text()))
        extra = len(running) + len(paused) - 1
        self.state.setText(state + (f" +{extra}" if extra > 0 else ""))
        self.state.setStyleSheet(f"color: {colour}")


class AlertLine(Tap):
    def __init__(self) -> None:
        super().__init__("wallRow")
        self.severity = QLabel()
        self.severity.setObjectName("wallBadge")
        self.severity.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.severity.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)  # as wide as its word
        self.subject = _label("wallTitle")
        self.message = _label("wallText", wrap=True)
        self.age = _label("wallMuted")
        grid = QGridLayout(self)
        grid.addWidget(self.severity, 0, 0)
        grid.addWidget(self.subject, 0, 1)
        grid.addWidget(self.message, 1, 0, 1, 2)
        grid.addWidget(self.age, 2, 0, 1, 2)
        grid.setColumnStretch(1, 1)

    def show_alert(self, alert: AlertRow, age: timedelta, zone: tzinfo = UTC) -> None:
        back, text = look.SEVERITY.get(alert.severity, look.OTHER_SEVERITY)
        self.severity.setText(tr(alert.severity.upper()))
        self.severity.setStyleSheet(f"background: {back}; color: {text}")
        self.subject.setText(alert.subject)
        self.message.setText(alert_text(alert, zone))
        state = tr("acknowledged") if alert.state == "acknowledged" else tr("not acknowledged")
        self.age.setText(f"{_age(age)} · {state}")


class Column(QFrame):
    """A titled column with ``rows`` reusable lines and a ``+ N more`` line."""

    def __init__(self, title: str, make: Callable[[], Tap], rows: int) -> None:
        super().__init__()
        self.setObjectName("wallColumn")
        # the screen's height decides, never the column's wrapped texts: a wrapped label measured at its
        # narrowest would ask for more than 1080 px and push the board past the bottom of the screen
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.title_source = title
        self.title = _label("wallHeading")
        self.lines = [make() for _ in range(rows)]
        self.more = _label("wallMuted")
        self.empty = _label("wallMuted", wrap=True)
        self._count = 0
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.title)
        for line in self.lines:
            layout.addWidget(line)
        layout.addWidget(self.empty)
        layout.addWidget(self.more)
        layout.addStretch(1)

    def fill(self, items: list[Any], show: Callable[[Any, Any], None], empty: str) -> None:
        self.title.setText(tr(self.title_source))
        self._count = len(items)
        for i, line in enumerate(self.lines):
            if i < len(items):
                show(line, items[i])
        self.empty.setText(tr(empty))
        self.empty.setVisible(not items)
        self._fit()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """Show as many lines as the column's height holds, in order, and "+ N more" for the rest."""
        layout = self.layout()
        assert layout is not None
        margins = layout.contentsMargins()
        spacing = layout.spacing()
        room = self.contentsRect().height() - margins.top() - margins.bottom() - self.title.sizeHint().height() \
            - spacing - self.more.sizeHint().height() - spacing
        width = self.contentsRect().width() - margins.left() - margins.right()
        shown = 0
        for line in self.lines[:self._count]:
            high = line.heightForWidth(width) if line.hasHeightForWidth() else line.sizeHint().height()
            if room < high:
                break
            room -= high + spacing
            shown += 1
        for i, line in enumerate(self.lines):
            line.setVisible(i < shown)
        hidden = self._count - shown
        self.more.setText(tr("+ {count} more").format(count=hidden) if hidden > 0 else "")
        self.more.setVisible(hidden > 0)


#: the panel's size on the 1920×1080 wall screen it is drawn for (its fonts at 100 %)
WALL_PANEL = (1880, 980)
#: the least the wall fonts shrink to on a smaller screen (28 px text stays 17 px)
SMALLEST = 0.6


@functools.cache
def _wall_rules() -> str:
    sheet = re.sub(r"/\*.*?\*/", "", look.STYLE.read_text(encoding="utf-8"), flags=re.S)
    return "\n".join(f"{selector.strip()} {{{body}}}" for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", sheet)
                     if "#wall" in selector)


def wall_rules(factor: float) -> str:
    """The stylesheet's wall* rules with every font size times ``factor``."""
    return re.sub(r"font-size:\s*(\d+)px", lambda m: f"font-size: {max(12, round(int(m.group(1)) * factor))}px",
                  _wall_rules())


def wall_factor(width: int, height: int) -> float:
    """How much of the wall board's type fits a panel of this size, in steps of 5 %."""
    fits = min(1.0, width / WALL_PANEL[0], height / WALL_PANEL[1])
    return max(SMALLEST, int(fits * 20) / 20)


class OverviewPanel(QWidget):
    """The wall board; ``on_order(id)`` opens an order, ``on_tab(key)`` shows another tab."""

    def __init__(self, model: DashboardModel, on_order: Callable[[str], Any], on_tab: Callable[[str], Any]) -> None:
        super().__init__()
        self.setObjectName("overview")
        self.model = model
        self.late = Figure("Late orders")
        self.risk = Figure("At risk")
        self.open_alerts = Figure("Open alerts")
        self.clock = _label("wallNumber")
        self.clock.setAlignment(Qt.AlignmentFlag.AlignCenter)
        figures = QHBoxLayout()
        for figure in (self.late, self.risk, self.open_alerts):
            figures.addWidget(figure, 1)
        figures.addWidget(self.clock, 1)
        self.orders = Column("Late and at-risk orders", OrderLine, ORDER_ROWS)
        self.stations = Column("Stations", StationLine, STATION_ROWS)
        self.alerts = Column("Open alerts", AlertLine, ALERT_ROWS)
        for line in self.stations.lines:
            line.on_tap = lambda: on_tab("stations")
        for line in self.alerts.lines:
            line.on_tap = lambda: on_tab("alerts")
        self.on_order = on_order
        columns = QHBoxLayout()
        for column in (self.orders, self.stations, self.alerts):
            columns.addWidget(column, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(figures)
        layout.addLayout(columns, 1)
        self.factor = 1.0

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        """On a screen smaller than the wall's the board's type shrinks with it (a supervisor's 1280×800
        showed "Late and at-risk orde" and "h 00 min late"), down to :data:`SMALLEST`."""
        factor = wall_factor(self.width(), self.height())
        if factor != self.factor:
            self.factor = factor
            self.setStyleSheet(wall_rules(factor) if factor < 1 else "")
        super().resizeEvent(event)

    def update_view(self) -> None:
        model = self.model
        late, risky = model.late_orders(), model.at_risk_orders()
        now = model.clock()
        alerts = [a for a in model.alerts if a.state != "resolved"]
        self.late.show_count(len(late), look.LATE if late else look.STATUS["running"])
        self.risk.show_count(len(risky), look.AT_RISK if risky else look.STATUS["running"])
        raised = [a for a in alerts if a.state == "raised"]
        self.open_alerts.show_count(len(alerts), look.LATE if raised else look.STATUS["running"])
        self.clock.setText(now.astimezone(model.site_zone).strftime("%H:%M"))
        orders = [(o, True) for o in late] + [(o, False) for o in risky]

        def show_order(line: OrderLine, item: tuple[OrderRow, bool]) -> None:
            line.show_order(*item)
            line.on_tap = lambda: self.on_order(item[0].id)

        self.orders.fill(orders, show_order, "No order is late or at risk")
        # stations at work first, then those with work waiting (most first): what a supervisor looks for
        boards = sorted(((b, model.waiting_at(b)) for b in model.stations if not b.unassigned),
                        key=lambda item: (not item[0].running,
                                          not any(r.status == "paused" for r in item[0].operations), -item[1]))
        self.stations.fill(boards, lambda line, item: line.show_board(*item, model.who), "No work at any station yet")
        self.alerts.fill(alerts, lambda line, a: line.show_alert(a, a.age(now), model.site_zone), "No open alerts")
