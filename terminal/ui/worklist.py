"""The work list: big tappable rows, one per operation routed here (a station with a broken scanner
is not a dead end). The rows only draw :class:`terminal.station.worklist.WorkRow` texts and report taps."""

from __future__ import annotations

from terminal.qt import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QScroller,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from terminal.station.worklist import WorkRow
from terminal.ui.parts import label, repolish

ROW_HEIGHT = 88  # ≥ 64 px for gloved hands, with room for two lines of text


class WorkRowButton(QPushButton):
    """One row: number | operation over product | standard time over state and planned start."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workrow")
        self.setMinimumHeight(ROW_HEIGHT)
        self.row: WorkRow | None = None
        line = QHBoxLayout(self)
        line.setContentsMargins(18, 6, 18, 6)
        line.setSpacing(18)
        self.number = self._label("rownumber", wrap=False)
        self.number.setMinimumWidth(200)
        line.addWidget(self.number)
        middle = QVBoxLayout()
        middle.setSpacing(0)
        self.step = self._label("rowstep")
        self.product = self._label("rowdetail")
        middle.addWidget(self.step)
        middle.addWidget(self.product)
        line.addLayout(middle, 1)
        right = QVBoxLayout()
        right.setSpacing(0)
        self.standard = self._label("rowstandard", wrap=False)
        self.state = self._label("rowstate", wrap=False)
        self.planned = self._label("rowdetail", wrap=False)
        for part in (self.standard, self.state, self.planned):
            part.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            right.addWidget(part)
        line.addLayout(right)

    def _label(self, name: str, wrap: bool = True) -> QLabel:
        part = label("", name, wrap=wrap)
        part.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)  # the whole row takes the tap
        return part

    def show_row(self, row: WorkRow) -> None:
        self.row = row
        self.number.setText(row.number)
        self.step.setText(row.step)
        self.product.setText(row.product)
        self.standard.setText(row.standard)
        self.state.setText(row.state)
        self.planned.setText(row.planned)
        self.planned.setVisible(bool(row.planned))
        self.setAccessibleName(f"{row.number} {row.step}")
        if self.property("tone") != row.tone:
            self.setProperty("tone", row.tone)
            repolish(self)


class WorkList(QScrollArea):
    """Rows reused from one redraw to the next (it redraws every second); drag scrolls, a tap opens."""

    opened = Signal(str, int)  # work order id, operation number

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("worklist")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        inner.setObjectName("worklistinner")
        self.box = QVBoxLayout(inner)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.setSpacing(10)
        self.empty = label("", "hint")
        self.box.addWidget(self.empty)
        self.box.addStretch(1)
        self.setWidget(inner)
        QScroller.grabGesture(self.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)
        self.rows: list[WorkRowButton] = []

    def show_rows(self, rows: list[WorkRow], empty_text: str) -> None:
        while len(self.rows) < len(rows):
            button = WorkRowButton()
            button.clicked.connect(lambda _=False, b=button: self._tapped(b))
            self.box.insertWidget(len(self.rows), button)
            self.rows.append(button)
        for button, row in zip(self.rows, rows, strict=False):
            button.show_row(row)
        for i, button in enumerate(self.rows):
            button.setVisible(i < len(rows))
        self.empty.setText(empty_text)
        self.empty.setVisible(not rows)

    def _tapped(self, button: WorkRowButton) -> None:
        if button.row is not None:
            self.opened.emit(button.row.work_order, button.row.operation)
