"""Catches keyboard-wedge scanners anywhere in the app: a fast burst of keys ending with Enter."""

from __future__ import annotations

import time
from collections.abc import Callable

from terminal.qt import QEvent, QKeyEvent, QLineEdit, QObject, Qt, QWidget, Signal, cpp_pointer
from terminal.station.wedge import WedgeBuffer


class WedgeFilter(QObject):
    """An application event filter; emits ``scanned(text)`` and eats the Enter that ends a scan.

    The keys still reach the focused field while they arrive (a scanner cannot be told from a
    keyboard before it ends), so the focused field is cleared of the scanned text afterwards.
    """

    scanned = Signal(str)

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.buffer = WedgeBuffer()
        self.clock = clock
        self._last: tuple[int, QWidget] | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.KeyPress or not isinstance(watched, QWidget):
            return False
        pointer = cpp_pointer(event)
        if self._last is not None and self._last[0] == pointer and watched is not self._last[1] \
                and watched.isAncestorOf(self._last[1]):
            return False  # the same key propagating to a parent: already counted
        self._last = (pointer, watched)
        assert isinstance(event, QKeyEvent)
        key = event.key()
        char = "\r" if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) else event.text()
        if not char:
            return False
        text = self.buffer.feed(char, self.clock())
        if text is None:
            return False
        focused = watched
        if isinstance(focused, QLineEdit) and focused.text().endswith(text):
            focused.setText(focused.text()[: -len(text)])
        self.scanned.emit(text)
        return True
