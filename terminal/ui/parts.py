"""Small building blocks shared by the pages: labelled values, panels, choice lists."""

from __future__ import annotations

from collections.abc import Sequence

from terminal.qt import QFrame, QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget, Signal
from terminal.station import texts

SOURCE = "source"  # the dynamic property that keeps a widget's English text for a language switch


def label(text: str = "", name: str = "detail", wrap: bool = True) -> QLabel:
    """A label showing ``text`` (English source) in the current language; :func:`retranslate` redoes it."""
    widget = QLabel(texts.tr(text))
    if text:
        widget.setProperty(SOURCE, text)
    widget.setObjectName(name)
    widget.setWordWrap(wrap)
    return widget


def button(text: str, name: str = "") -> QPushButton:
    widget = QPushButton(texts.tr(text))
    widget.setProperty(SOURCE, text)
    if name:
        widget.setObjectName(name)
    return widget


def retranslate(root: QWidget) -> None:
    """Show every fixed text under ``root`` in the current language (after :func:`texts.use`); texts that
    change with the state are drawn again from the next snapshot."""
    for widget in [root, *root.findChildren(QWidget)]:
        source = widget.property(SOURCE)
        if isinstance(source, str) and source and isinstance(widget, QLabel | QPushButton):
            widget.setText(texts.tr(source))


def repolish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property (tone, colour) changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


class Panel(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(16, 10, 16, 10)
        self.box.setSpacing(4)


class Field(QWidget):
    """A caption above a big value."""

    def __init__(self, caption: str, value_name: str = "value", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 2)
        box.setSpacing(0)
        self.caption = label(caption, "caption")
        self.value = label("", value_name)
        box.addWidget(self.caption)
        box.addWidget(self.value)

    def set(self, text: str) -> None:
        self.value.setText(text)


class Choices(QWidget):
    """Big checkable buttons, one choice at a time (pause reasons, scrap reasons, defect codes)."""

    def __init__(self, options: Sequence[str], columns: int = 2, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setSpacing(10)
        grid.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[str, QPushButton] = {}
        for i, option in enumerate(options):
            b = button(option, "choice")
            b.setCheckable(True)
            b.clicked.connect(lambda _=False, o=option: self.choose(o))
            grid.addWidget(b, i // columns, i % columns)
            self.buttons[option] = b
        self.chosen = ""

    def choose(self, option: str) -> None:
        self.chosen = option
        for name, b in self.buttons.items():
            b.setChecked(name == option)

    def clear(self) -> None:
        self.choose("")


class TapLabel(QLabel):
    """A label that reacts to a tap (the status bar: a supervisor taps the red "refused" to act on it)."""

    tapped = Signal()

    def mouseReleaseEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        self.tapped.emit()
