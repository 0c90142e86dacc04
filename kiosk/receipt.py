"""The receipt: a QR code of the order (segno) and a printable PDF (QPdfWriter).

The receipt is always written as a one-page A6 PDF; with ``kiosk.printer`` set it also goes to that
system printer queue (QPrinter). Both run off the UI thread.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import segno

from kiosk.flow import PlacedOrder
from kiosk.i18n import money, pick, words
from kiosk.promise import DateStory, day_text
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


def ordered_line(order: PlacedOrder, tr: Callable[[str], str]) -> str:
    """When it was ordered, the day written as the ready day above it is (``Sat 5 Dec 2026 13:15``, not
    ``2026-12-05 13:15`` under ``Ready on Mon 14 Dec 2026``: seen on the live demo); a stamp in another form
    is shown as stored."""
    stamp = order.placed_local or order.created_at
    try:
        moment = datetime.strptime(order.placed_local, "%Y-%m-%d %H:%M")
    except ValueError:
        return tr("Ordered {time}").format(time=stamp)
    return tr("Ordered {time}").format(time=f"{day_text(moment.date(), tr)} {moment:%H:%M}")


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
    colon, left, right = punctuation(language)
    tr = words(language)
    lines = [
        tr("Order {number}").format(number=order.number),
        pick(order.product_name, language),
        f"{tr('Total')}{colon}{money(order.price.total, currency)}",
    ]
    if story is None:
        story = DateStory(order.estimate.ready_by if order.estimate else None)
    date_line = story.receipt_line(tr)
    if date_line:
        lines.append(date_line)
    lines.append(f"{tr('Name')}{colon}{order.customer.name}   {tr('Phone')}{colon}{order.customer.phone}")
    lines.append(ordered_line(order, tr))
    lines.append("")
    lines.append(f"{tr('Base price')}{colon}{money(order.price.base, currency)}")
    for line in order.price.lines:
        amount = money(line.delta, currency, sign=True) if line.delta else tr("included")
        attribute = pick(order.attribute_labels.get(line.attribute), language) or line.attribute
        lines.append(f"  {attribute}{colon}{pick(line.label, language)}{left}{amount}{right}")
    return lines


def punctuation(language: str) -> tuple[str, str, str]:
    """The colon and the brackets (with the space before them) of the receipt's language: Chinese text
    takes the full-width ones (the
    Chinese receipt read "合计: ¥19,439 ... 颜色: 沙漠黄 (+¥200)" beside "（工厂已确认）")."""
    if language.startswith("zh"):
        return "：", "（", "）"
    return ": ", " (", ")"


def write_pdf(order: PlacedOrder, language: str, path: Path, story: DateStory | None = None) -> Path:
    """A one-page A6 receipt PDF: shop, order number and QR, lines, total, date."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A6))
    writer.setPageMargins(QMarginsF(6, 6, 6, 6))
    writer.setResolution(300)
    writer.setTitle(f"{pick(order.shop_name, 'en') or 'Receipt'} {order.number}")
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


@dataclass(frozen=True)
class Row:
    """One row of the paper receipt: text on the left, an amount on the right, its size in points."""

    text: str
    size: float
    bold: bool = False
    amount: str = ""
    centre: bool = False


def receipt_rows(order: PlacedOrder, language: str, story: DateStory | None = None) -> tuple[list[Row], list[Row], Row]:
    """The paper receipt: beside the QR (number large, product, date, customer), the option lines, the total."""
    currency = order.price.currency
    colon = punctuation(language)[0]
    tr = words(language)
    if story is None:
        story = DateStory(order.estimate.ready_by if order.estimate else None)
    beside = [Row(tr("Order {number}").format(number=order.number), 15, True),
              Row(pick(order.product_name, language), 9, True)]
    date_line = story.receipt_line(tr)
    if date_line:
        beside.append(Row(date_line, 8, True))
    beside += [Row(order.customer.name, 8), Row(order.customer.phone, 8), Row(ordered_line(order, tr), 7)]
    lines = [Row(tr("Base price"), 7, amount=money(order.price.base, currency))]
    for line in order.price.lines:
        attribute = pick(order.attribute_labels.get(line.attribute), language) or line.attribute
        amount = money(line.delta, currency, sign=True) if line.delta else tr("included")
        lines.append(Row(f"{attribute}{colon}{pick(line.label, language)}", 7, amount=amount))
    total = Row(tr("Total"), 12, True, money(order.price.total, currency))
    return beside, lines, total


def paint_receipt(device: QPdfWriter | QPrinter, order: PlacedOrder, language: str,
                  story: DateStory | None = None) -> None:
    """Draw the receipt on one page of a PDF writer or a printer: shop name and address, the QR with the
    order number large beside it, product, one date, customer, the option lines and a closing total.

    Everything is scaled down together until it fits the page, so a long configuration never spills
    onto a second sheet."""
    painter = QPainter()
    if not painter.begin(device):
        where = "kiosk.printer" if isinstance(device, QPrinter) else "receipt"
        raise SettingsError("the receipt could not be started on the printer or file", where=where,
                            fix="check that the printer is online and accepts jobs (lpstat -p)")
    try:
        width, page_height = device.width(), device.height()
        head = [Row(pick(order.shop_name, language), 12, True, centre=True)] if order.shop_name else []
        if order.shop_address:
            head.append(Row(order.shop_address, 7, centre=True))
        beside, lines, total = receipt_rows(order, language, story)
        scale = 1.0
        while scale > 0.5 and _layout(painter, width, head, beside, lines, total, scale, draw=False) > page_height:
            scale -= 0.05
        _layout(painter, width, head, beside, lines, total, scale, draw=True, qr=qr_image(order.qr_payload(), 10))
    finally:
        painter.end()


def break_at_spaces(text: str, width: Callable[[str], float], span: float) -> str:
    """``text`` with line breaks at spaces where it is wider than ``span``: Qt's wrap also breaks after a
    hyphen, and the receipt read "Electric mountain bike (e-" over "MTB)". A word wider than a line
    (Chinese has no spaces) stays whole here and Qt wraps it between its characters."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and width(f"{lines[-1]} {word}") <= span:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


def _layout(painter: QPainter, width: int, head: list[Row], beside: list[Row], lines: list[Row], total: Row,
            scale: float, *, draw: bool, qr: QImage | None = None) -> float:
    """Lay the receipt out at ``scale`` (drawing it when ``draw``); the height it takes."""
    y = 0.0

    def row(item: Row, left: float, span: float) -> float:
        font = painter.font()
        font.setPointSizeF(item.size * scale)
        font.setBold(item.bold)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        height = float(metrics.height())
        if item.amount:  # text elided to leave the amount its room on the right
            room = span - metrics.horizontalAdvance(item.amount + "  ")
            if draw:
                painter.drawText(QRectF(left, y, room, height), Qt.AlignmentFlag.AlignLeft,
                                 metrics.elidedText(item.text, Qt.TextElideMode.ElideRight, int(room)))
                painter.drawText(QRectF(left, y, span, height), Qt.AlignmentFlag.AlignRight, item.amount)
            return height * 1.1
        flags = int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignHCenter if item.centre else Qt.AlignmentFlag.AlignLeft)
        text = break_at_spaces(item.text, metrics.horizontalAdvance, span)
        box = painter.boundingRect(QRectF(left, y, span, 10_000), flags, text)
        if draw:
            painter.drawText(QRectF(left, y, span, box.height()), flags, text)
        return box.height() * 1.05

    for item in head:
        y += row(item, 0, width)
    y += 12 * scale
    side = width * 0.42 * scale  # the QR, large enough to scan from a phone
    if draw and qr is not None:
        painter.drawImage(QRectF(0, y, side, side), qr)
    top, gap = y, width * 0.03
    for item in beside:
        y += row(item, side + gap, width - side - gap)
    y = max(y, top + side) + 10 * scale
    if draw:
        painter.drawLine(0, int(y), width, int(y))
    y += 10 * scale
    for item in lines:
        y += row(item, 0, width)
    y += 8 * scale
    if draw:
        painter.drawLine(0, int(y), width, int(y))
    y += 8 * scale
    y += row(total, 0, width)
    return y
