"""The receipt: a QR code of the order (segno) and a printable PDF (QPdfWriter).

The receipt is always written as a PDF; with ``kiosk.printer`` set it also goes to that system
printer queue (QPrinter). Both run off the UI thread.
"""

from __future__ import annotations

import io
from pathlib import Path

import segno

from kiosk.flow import PlacedOrder
from kiosk.i18n import money, pick, tr
from kiosk.promise import DateStory
from kiosk.qt import (
    QImage,
    QMarginsF,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPixmap,
    QPrinter,
    QPrinterInfo,
    QRectF,
    Qt,
)
from sync.errors import SettingsError


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


def receipt_lines(order: PlacedOrder, language: str, story: DateStory | None = None) -> list[str]:
    """What the receipt says: the essentials first (number, total, one date), then the breakdown.

    ``story``: the kiosk's date story now (the hub's firm date once it answered); without it, the order's
    own "about" date."""
    currency = order.price.currency
    lines = [
        tr("Order {number}").format(number=order.number),
        pick(order.product_name, language),
        f"{tr('Total')}: {money(order.price.total, currency)}",
    ]
    if story is None:
        story = DateStory(order.estimate.ready_by if order.estimate else None)
    date_line = story.receipt_line(tr)
    if date_line:
        lines.append(date_line)
    lines.append(f"{tr('Name')}: {order.customer.name}   {tr('Phone')}: {order.customer.phone}")
    lines.append(order.placed_local or order.created_at)
    lines.append("")
    lines.append(f"{tr('Base price')}: {money(order.price.base, currency)}")
    for line in order.price.lines:
        amount = money(line.delta, currency, sign=True) if line.delta else tr("included")
        attribute = pick(order.attribute_labels.get(line.attribute), language) or line.attribute
        lines.append(f"  {attribute}: {pick(line.label, language)} ({amount})")
    return lines


def write_pdf(order: PlacedOrder, language: str, path: Path, story: DateStory | None = None) -> Path:
    """An A6 receipt PDF with the order lines and its QR code."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A6))
    writer.setPageMargins(QMarginsF(8, 8, 8, 8))
    writer.setResolution(300)
    writer.setTitle(f"FloorLink order {order.number}")
    paint_receipt(writer, order, language, story)
    return path


def printer_for(name: str) -> QPrinter:
    """The system printer queue ``name`` set up for an A6 receipt; SettingsError when there is none."""
    info = QPrinterInfo.printerInfo(name)
    if info.isNull():
        known = QPrinterInfo.availablePrinterNames()
        raise SettingsError(f"printer {name!r} not found", where="kiosk.printer",
                            fix=f"one of: {', '.join(known)}; or empty to print to PDF only" if known else
                            "no printer is set up on this machine (lpstat -p); empty prints to PDF only")
    printer = QPrinter(info, QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A6))
    printer.setPageMargins(QMarginsF(8, 8, 8, 8))
    return printer


def print_receipt(order: PlacedOrder, language: str, printer_name: str, story: DateStory | None = None) -> None:
    """Send the receipt to the printer queue ``printer_name`` (call off the UI thread)."""
    printer = printer_for(printer_name)
    printer.setDocName(f"FloorLink order {order.number}")
    paint_receipt(printer, order, language, story)


def paint_receipt(device: QPdfWriter | QPrinter, order: PlacedOrder, language: str,
                  story: DateStory | None = None) -> None:
    """Draw the receipt on a PDF writer or a printer: the QR first, then the lines, more pages if needed."""
    painter = QPainter()
    if not painter.begin(device):
        where = "kiosk.printer" if isinstance(device, QPrinter) else "receipt"
        raise SettingsError("the receipt could not be started on the printer or file", where=where,
                            fix="check that the printer is online and accepts jobs (lpstat -p)")
    try:
        font = painter.font()
        font.setPointSizeF(9)
        painter.setFont(font)
        height = painter.fontMetrics().height()
        width, page_height = device.width(), device.height()
        side = int(width * 0.45)  # the QR first, large enough to scan from a phone
        painter.drawImage(QRectF((width - side) / 2, 0, side, side), qr_image(order.qr_payload(), 10))
        y = side + height
        for text in receipt_lines(order, language, story):
            rows = 2 if painter.fontMetrics().horizontalAdvance(text) > width else 1
            if y + height * rows > page_height:  # a long configuration continues on the next page
                device.newPage()
                y = 0
            painter.drawText(QRectF(0, y, width, height * rows), Qt.TextFlag.TextWordWrap, text)
            y += int(height * rows * 1.15)
    finally:
        painter.end()
