"""The receipt: a QR code of the order (segno) and a printable PDF (QPdfWriter).

Printing goes to a PDF file the store's printer queue picks up; it runs off the UI thread.
"""

from __future__ import annotations

import io
from pathlib import Path

import segno

from kiosk.flow import PlacedOrder
from kiosk.i18n import money, pick, tr
from kiosk.qt import QImage, QMarginsF, QPageSize, QPainter, QPdfWriter, QPixmap, QRectF, Qt


def qr_image(payload: str, scale: int = 6) -> QImage:
    """The QR code of ``payload`` as an image (error correction M, quiet zone kept)."""
    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    picture = QImage()
    picture.loadFromData(buffer.getvalue(), "PNG")
    return picture


def qr_pixmap(payload: str, size: int) -> QPixmap:
    return QPixmap.fromImage(qr_image(payload)).scaled(
        size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)


def receipt_lines(order: PlacedOrder, language: str) -> list[str]:
    """What the receipt says: the essentials first (number, total, date), then the breakdown."""
    currency = order.price.currency
    lines = [
        tr("Order {number}").format(number=order.number),
        pick(order.product_name, language),
        f"{tr('Total')}: {money(order.price.total, currency)}",
    ]
    if order.estimate is not None:
        lines.append(tr("Rough estimate: ready around {date} (the factory confirms the date)").format(
            date=order.estimate.ready_by.isoformat()))
    lines.append(f"{tr('Name')}: {order.customer.name}   {tr('Phone')}: {order.customer.phone}")
    lines.append(order.created_at)
    lines.append("")
    lines.append(f"{tr('Base price')}: {money(order.price.base, currency)}")
    for line in order.price.lines:
        amount = money(line.delta, currency, sign=True) if line.delta else tr("included")
        attribute = pick(order.attribute_labels.get(line.attribute), language) or line.attribute
        lines.append(f"  {attribute}: {pick(line.label, language)} ({amount})")
    return lines


def write_pdf(order: PlacedOrder, language: str, path: Path) -> Path:
    """An A6 receipt PDF with the order lines and its QR code."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A6))
    writer.setPageMargins(QMarginsF(8, 8, 8, 8))
    writer.setResolution(300)
    writer.setTitle(f"FloorLink order {order.number}")
    painter = QPainter(writer)
    try:
        font = painter.font()
        font.setPointSizeF(9)
        painter.setFont(font)
        height = painter.fontMetrics().height()
        width, page_height = writer.width(), writer.height()
        side = int(width * 0.45)  # the QR first, large enough to scan from a phone
        painter.drawImage(QRectF((width - side) / 2, 0, side, side), qr_image(order.qr_payload(), 10))
        y = side + height
        for text in receipt_lines(order, language):
            rows = 2 if painter.fontMetrics().horizontalAdvance(text) > width else 1
            if y + height * rows > page_height:  # a long configuration continues on the next page
                writer.newPage()
                y = 0
            painter.drawText(QRectF(0, y, width, height * rows), Qt.TextFlag.TextWordWrap, text)
            y += int(height * rows * 1.15)
    finally:
        painter.end()
    return path
