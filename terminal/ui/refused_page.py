"""The supervisor's page of events the hub refused: one row each, "Send again" and "Set aside"."""

from __future__ import annotations

from terminal.qt import QFrame, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget, Signal
from terminal.station import texts
from terminal.station.refused import RefusedItem
from terminal.ui.parts import Panel, button, label


class RefusedPage(QWidget):
    """Draws :class:`RefusedItem` rows and forwards taps as event ids; it decides nothing."""

    send_again = Signal(str)
    set_aside = Signal(str)
    back = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.items: list[RefusedItem] | None = None
        box = QVBoxLayout(self)
        box.setContentsMargins(30, 12, 30, 12)
        box.setSpacing(10)
        box.addWidget(label("Refused by the hub", "big", wrap=False))
        box.addWidget(label("Send again once the hub is fixed (e.g. the work order was released). "
                            "Set aside when you handled it another way: it stays recorded with your name.", "hint"))
        self.note = label("", "value")
        self.note.setVisible(False)
        box.addWidget(self.note)
        self.rows = QWidget()
        self.rows_box = QVBoxLayout(self.rows)
        self.rows_box.setContentsMargins(0, 0, 0, 0)
        self.rows_box.setSpacing(10)
        scroll = QScrollArea()
        scroll.setObjectName("refused")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.rows)
        box.addWidget(scroll, 1)
        self.back_button = button("Back", "complete")
        self.back_button.clicked.connect(self.back.emit)
        box.addWidget(self.back_button)

    def say(self, text: str) -> None:
        """The outcome of the last tap ("Set aside by Zhang Min"), or nothing."""
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def show_items(self, items: list[RefusedItem]) -> None:
        """Rebuild the rows only when the list changed (this is called on every redraw)."""
        if items == self.items:
            return
        self.items = items
        while self.rows_box.count():
            taken = self.rows_box.takeAt(0)
            widget = taken.widget() if taken is not None else None
            if widget is not None:
                widget.deleteLater()
        for item in items:
            self.rows_box.addWidget(self._row(item))
        if not items:
            self.rows_box.addWidget(label("Nothing refused is waiting.", "value"))
        self.rows_box.addStretch(1)

    def _row(self, item: RefusedItem) -> Panel:
        panel = Panel()
        panel.setObjectName("panel")
        line = QHBoxLayout()
        text = QVBoxLayout()
        text.addWidget(label(item.what, "value"))
        text.addWidget(label(item.when + (f"  ·  {item.who}" if item.who else ""), "detail"))
        text.addWidget(label(texts.tr("Hub: {reason}").format(reason=item.reason), "detail"))
        line.addLayout(text, 1)
        again = button("Send again", "complete")
        again.clicked.connect(lambda: self.send_again.emit(item.event_id))
        aside = button("Set aside", "pause")
        aside.clicked.connect(lambda: self.set_aside.emit(item.event_id))
        line.addWidget(again)
        line.addWidget(aside)
        panel.box.addLayout(line)
        return panel
