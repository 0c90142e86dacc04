"""The one module of the kiosk that imports PySide6: every other kiosk module takes Qt names from here.

Keeping Qt behind one door makes the layering test simple and lets the view-models stay Qt-free.
"""

from __future__ import annotations

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
)
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QGuiApplication,
    QImage,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPixmap,
)
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

__all__ = [
    "QApplication", "QByteArray", "QCoreApplication", "QEvent", "QFont", "QFontDatabase", "QFrame",
    "QGridLayout", "QGuiApplication", "QHBoxLayout", "QImage", "QLabel", "QLayout", "QLineEdit", "QMarginsF",
    "QObject", "QPageSize", "QPainter", "QPdfWriter", "QPixmap", "QPrinter", "QPrinterInfo", "QPushButton", "QRectF", "QRunnable",
    "QScrollArea", "QSize", "QSizeF", "QSizePolicy", "QStackedWidget", "QSvgRenderer", "QThreadPool",
    "QTimer", "QTranslator", "QVBoxLayout", "QWidget", "Qt", "Signal",
]
