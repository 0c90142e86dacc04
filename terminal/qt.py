"""The one module of the terminal that imports PySide6: everything else takes Qt names from here.

QtMultimedia needs system audio libraries (libpulse) that a headless box may lack; then
``QSoundEffect`` is None and feedback falls back to ``QApplication.beep``.
"""

from __future__ import annotations

# supervisor dashboard (terminal.dashboard): tables, charts, dialogs
from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QEventLoop,
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
from PySide6.QtGui import QCloseEvent, QColor, QFont, QImage, QKeyEvent, QPainter, QPixmap
from PySide6.QtWidgets import (
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


__all__ = [
    "QApplication", "QCloseEvent", "QColor", "QDialog", "QEvent", "QEventLoop", "QFont", "QFrame", "QGridLayout", "QHBoxLayout", "QImage",
    "QKeyEvent", "QLabel", "QLineEdit", "QMainWindow", "QObject", "QPainter", "QPixmap", "QPoint", "QPushButton",
    "QRect", "QSize", "QSizePolicy", "QSoundEffect", "QStackedWidget", "QTextBrowser", "QThread", "QTimer", "QUrl", "QVBoxLayout",
    "QWidget", "Qt", "Signal", "Slot", "cpp_pointer",
    "QAbstractItemView", "QAbstractTableModel", "QBarCategoryAxis", "QBarSeries", "QBarSet", "QChart", "QChartView",
    "QComboBox", "QHeaderView", "QInputDialog", "QLineSeries", "QMargins", "QModelIndex", "QPersistentModelIndex",
    "QScrollArea", "QStyle", "QStyleOptionProgressBar", "QStyleOptionViewItem", "QStyledItemDelegate", "QTabWidget",
    "QTableView", "QTreeWidget", "QTreeWidgetItem", "QValueAxis",
]
