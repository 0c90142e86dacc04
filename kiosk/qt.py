"""The one module of the kiosk that imports PySide6: every other kiosk module takes Qt names from here.

Keeping Qt behind one door makes the layering test simple and lets the view-models stay Qt-free.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QEvent,
    QMarginsF,
    QObject,
    QRectF,
    QRunnable,
    QSize,
    QSizeF,
    Qt,
    QThreadPool,
    QTimer,
    QTranslator,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QGuiApplication,
    QIcon,
    QImage,
    QMouseEvent,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QPixmap,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import (
    QApplication,
    QBoxLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QScroller,
    QScrollerProperties,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)


class _UiPost(QObject):
    """Runs callables on the thread it lives on (the UI thread), whichever thread posts them."""

    posted = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.posted.connect(self._call)

    @Slot(object)
    def _call(self, function: object) -> None:
        function()  # type: ignore[operator]


def ui_post(parent: QObject | None = None) -> Callable[[Callable[[], None]], None]:
    """The "post to the UI thread" callable :class:`sync.ops.OpRunner` needs (create it on the UI
    thread; once ``parent`` is gone, posting raises RuntimeError and the runner drops the callback)."""
    poster = _UiPost(parent)

    def post(function: Callable[[], None]) -> None:
        poster.posted.emit(function)  # the closure keeps the poster alive as long as its runner

    return post


__all__ = [
    "QApplication", "QBoxLayout", "QByteArray", "QCloseEvent", "QColor", "QIcon", "QPen", "QCoreApplication", "QEvent", "QFont", "QFontDatabase", "QFontMetrics", "QFrame",
    "QGridLayout", "QGuiApplication", "QHBoxLayout", "QImage", "QLabel", "QLayout", "QLineEdit", "QMarginsF", "QMouseEvent",
    "QObject", "QPageSize", "QPainter", "QPdfWriter", "QPixmap", "QPrinter", "QPrinterInfo", "QPushButton", "QRectF", "QResizeEvent", "QRunnable",
    "QScrollArea", "QScroller", "QScrollerProperties", "QShowEvent", "QSize", "QSizeF", "QSizePolicy", "QStackedWidget", "QSvgRenderer", "QThreadPool",
    "QTimer", "QTranslator", "QVBoxLayout", "QWidget", "Qt", "Signal", "ui_post",
]
