"""Small building blocks every kiosk screen uses: big buttons, labels, images, clearing layouts."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from kiosk.qt import (
    QByteArray,
    QColor,
    QImage,
    QLabel,
    QLayout,
    QPainter,
    QPen,
    QPixmap,
    QPushButton,
    QSize,
    QSizePolicy,
    QSvgRenderer,
    Qt,
    QWidget,
)
from sync.catalog.paint import PaintError, picture_svg

log = logging.getLogger(__name__)

MIN_TARGET = 56
"""Smallest touch target in pixels (the brief asks for at least 48)."""


def button(text: str, on_tap: Callable[[], object], name: str = "", *, role: str = "normal",
           parent: QWidget | None = None) -> QPushButton:
    widget = QPushButton(text, parent)
    widget.setObjectName(name or "button")
    widget.setProperty("role", role)
    widget.setMinimumHeight(MIN_TARGET)
    widget.setMinimumWidth(MIN_TARGET)
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    widget.clicked.connect(lambda _=False: on_tap())
    return widget


def label(text: str, name: str = "", *, wrap: bool = True, parent: QWidget | None = None) -> QLabel:
    widget = QLabel(text, parent)
    widget.setObjectName(name or "text")
    widget.setWordWrap(wrap)
    return widget


def clear(layout: QLayout) -> None:
    """Remove and delete every item of ``layout`` (screens rebuild their content on each change)."""
    while layout.count():
        item = layout.takeAt(0)
        if item is None:
            break
        child = item.widget()
        inner = item.layout()
        if child is not None:
            child.hide()
            child.deleteLater()
        elif inner is not None:
            clear(inner)
            inner.deleteLater()


def restyle(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)


@lru_cache(maxsize=128)
def image(path: Path | None, width: int, height: int, paint: str | None = None,
          shown: tuple[tuple[str, str], ...] = ()) -> QPixmap:
    """An SVG or bitmap scaled to fit ``width`` x ``height`` (empty pixmap when missing); an SVG's parts
    marked ``class="paint"`` in ``paint`` (#rrggbb) when given, its parts for options (``data-when``) as the
    configuration ``shown`` has them (:mod:`sync.catalog.paint`)."""
    if path is None or not path.is_file():
        return QPixmap()
    if path.suffix.lower() == ".svg":
        renderer: QSvgRenderer | None = None
        if paint is not None or shown:
            try:
                renderer = QSvgRenderer(QByteArray(picture_svg(path.read_bytes(), paint, dict(shown))))
            except (OSError, PaintError):
                # the picture as drawn is still the product: show it, the log says why it is not painted
                log.warning("cannot paint %s in %s", path, paint, exc_info=True)
        if renderer is None:
            renderer = QSvgRenderer(str(path))
        if not renderer.isValid():
            return QPixmap()
        size = renderer.defaultSize().scaled(QSize(width, height), Qt.AspectRatioMode.KeepAspectRatio)
        picture = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
        picture.fill(Qt.GlobalColor.transparent)
        painter = QPainter(picture)
        renderer.render(painter)
        painter.end()
        return QPixmap.fromImage(picture)
    pixmap = QPixmap(str(path))
    return pixmap.scaled(width, height, Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.SmoothTransformation)


@lru_cache(maxsize=64)
def swatch(colour: str, size: int) -> QPixmap:
    """A colour option's swatch: a round patch of ``colour`` (#rrggbb) with a grey rim, so white shows too."""
    picture = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    picture.fill(Qt.GlobalColor.transparent)
    painter = QPainter(picture)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor("#b8b2a6"), 3))
    painter.setBrush(QColor(colour))
    painter.drawEllipse(2, 2, size - 4, size - 4)
    painter.end()
    return QPixmap.fromImage(picture)


def expanding(widget: QWidget) -> QWidget:
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    return widget
