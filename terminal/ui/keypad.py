"""A big on-screen number pad: gloved hands cannot use a small keyboard."""

from __future__ import annotations

from terminal.qt import QGridLayout, QLineEdit, QPushButton, QWidget


class Keypad(QWidget):
    """Digits, clear and backspace into whichever field is ``target``."""

    def __init__(self, target: QLineEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.target = target
        grid = QGridLayout(self)
        grid.setSpacing(8)
        grid.setContentsMargins(0, 0, 0, 0)
        keys = ["7", "8", "9", "4", "5", "6", "1", "2", "3", "C", "0", "⌫"]
        self.buttons: dict[str, QPushButton] = {}
        for i, key in enumerate(keys):
            button = QPushButton(key)
            button.setObjectName("key")
            button.clicked.connect(lambda _=False, k=key: self.press(k))
            grid.addWidget(button, i // 3, i % 3)
            self.buttons[key] = button

    def press(self, key: str) -> None:
        if key == "C":
            self.target.clear()
        elif key == "⌫":
            self.target.backspace()
        else:
            self.target.insert(key)
