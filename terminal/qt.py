"""The one module of the terminal that imports PySide6: everything else takes Qt names from here.

QtMultimedia needs system audio libraries (libpulse) that a headless box may lack; then
``QSoundEffect`` is None and feedback falls back to ``QApplication.beep``.
"""

from __future__ import annotations

from collections.abc import Callable

# supervisor dashboard (terminal.dashboard): tables, charts, dialogs
from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QLineSeries,
    QScatterSeries,
    QValueAxis,
)
from PySide6.QtCore import (
    QAbstractTableModel,
    QBuffer,
    QByteArray,
    QEvent,
    QEventLoop,
    QIODevice,
    QMargins,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QThread,
    QTimer,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QKeyEvent,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtPdf import QPdfDocument  # travelers (PDF) rendered for the decoder: terminal.decode.pdf
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QScroller,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import getCppPointer

try:
    from PySide6.QtMultimedia import QSoundEffect
except ImportError:  # no libpulse: sounds fall back to QApplication.beep
    QSoundEffect = None  # type: ignore[assignment,misc]



def cpp_pointer(obj: QObject | QEvent) -> int:
    """The address of the C++ object behind a wrapper (tells one event from another)."""
    return int(getCppPointer(obj)[0])


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
    "QApplication", "QCloseEvent", "QColor", "QDialog", "QEvent", "QEventLoop", "QFont", "QFontMetrics", "QFrame", "QGridLayout", "QHBoxLayout", "QImage",
    "QKeyEvent", "QLabel", "QLineEdit", "QMainWindow", "QObject", "QPainter", "QPalette", "QPixmap", "QPoint", "QPushButton",
    "QRect", "QSize", "QSizePolicy", "QSoundEffect", "QStackedWidget", "QTextBrowser", "QThread", "QTimer", "QUrl", "QVBoxLayout",
    "QWidget", "Qt", "Signal", "ui_post", "Slot", "cpp_pointer",
    "QAbstractButton", "QAbstractItemView", "QAbstractTableModel", "QBarCategoryAxis", "QBarSeries", "QBarSet", "QCategoryAxis", "QScatterSeries", "QHorizontalBarSeries", "QChart", "QChartView",
    "QComboBox", "QHeaderView", "QInputDialog", "QLineSeries", "QMargins", "QModelIndex", "QPersistentModelIndex",
    "QScrollArea", "QScroller", "QStyle", "QStyleOptionProgressBar", "QStyleOptionViewItem", "QStyledItemDelegate", "QTabWidget",
    "QTableView", "QTreeWidget", "QTreeWidgetItem", "QValueAxis",
    "QBuffer", "QByteArray", "QIODevice", "QPdfDocument",
]
