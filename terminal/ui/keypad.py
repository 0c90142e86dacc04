"""Big on-screen keypads: gloved hands cannot use a small keyboard, and a station may have none."""

from __future__ import annotations

from collections.abc import Sequence

from terminal.qt import QGridLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget, Signal
from terminal.station import texts
from terminal.ui.parts import SOURCE, button

DIGITS = ("7", "8", "9", "4", "5", "6", "1", "2", "3", "C", "0", "⌫")
#: a work-order number as printed on the traveler: digits, letters and the dash (A-Z 0-9 - of the label syntax)
CLEAR, CODE_CLEAR, BACKSPACE = "C", "Clear", "⌫"  # the letter C is a key of its own on the code keypad
CODE_KEYS = tuple("1234567890ABCDEFGHIJKLMNOPQRSTUVWXYZ-.") + (BACKSPACE, CODE_CLEAR)


class Keypad(QWidget):
    """Keys that type into whichever field is ``target``; ``clear`` empties it, ``⌫`` deletes one character."""

    def __init__(self, target: QLineEdit, parent: QWidget | None = None, keys: Sequence[str] = DIGITS,
                 columns: int = 3, name: str = "key", clear: str = CLEAR) -> None:
        super().__init__(parent)
        self.target = target
        self.clear = clear
        grid = QGridLayout(self)
        grid.setSpacing(8)
        grid.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[str, QPushButton] = {}
        for i, key in enumerate(keys):
            button = QPushButton(texts.tr(key))
            button.setProperty(SOURCE, key)  # "Clear" changes with the language; the characters do not
            button.setObjectName(name)
            button.clicked.connect(lambda _=False, k=key: self.press(k))
            grid.addWidget(button, i // columns, i % columns)
            self.buttons[key] = button

    def press(self, key: str) -> None:
        if key == self.clear:
            self.target.clear()
        elif key == BACKSPACE:
            self.target.backspace()
        else:
            self.target.insert(key)


class PinPad(QWidget):
    """A PIN, masked, on the big digit keys with one button under them: the worker's login and the
    supervisor's allowance type it the same way. ``entered`` gets the PIN; the field is cleared at once."""

    entered = Signal(str)

    def __init__(self, action: str) -> None:
        super().__init__()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText("PIN")
        self.pin.returnPressed.connect(self._submit)
        box.addWidget(self.pin)
        self.keypad = Keypad(self.pin)
        box.addWidget(self.keypad)
        self.ok = button(action, "start")
        self.ok.clicked.connect(self._submit)
        box.addWidget(self.ok)

    def _submit(self) -> None:
        pin = self.pin.text()
        self.pin.clear()
        if pin:
            self.entered.emit(pin)
