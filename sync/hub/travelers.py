"""Printable travelers: one PDF per work order, a header label and one label per operation.

Each label carries the documented syntax (``sync.labels``) twice: Code128 for hand scanners and
QR for cameras, so a station reads it whichever way the worker holds it. reportlab draws both.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from sync.labels import WorkOrderLabel
from sync.labels import format as label_text

ROW_HEIGHT = 40 * mm
MARGIN = 15 * mm


QR_SIZE = 30 * mm
BAR_WIDTH = 0.42 * mm


def _codes(canvas: Canvas, text: str, x: float, y: float) -> None:
    """Code128 (left) and QR (right) of ``text``, bottom-left corner at (x, y)."""
    bars = code128.Code128(text, barHeight=16 * mm, barWidth=BAR_WIDTH, quiet=True)
    room = A4[0] - MARGIN - QR_SIZE - 6 * mm - x
    if bars.width > room:  # a long id (the label syntax allows 32 characters): narrower bars, never over the QR
        bars = code128.Code128(text, barHeight=16 * mm, barWidth=BAR_WIDTH * room / bars.width, quiet=True)
    bars.drawOn(canvas, x, y + 6 * mm)
    canvas.setFont("Helvetica", 8)
    canvas.drawString(x + 6 * mm, y + 1.5 * mm, text)
    widget = qr.QrCodeWidget(text, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    size = QR_SIZE
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, A4[0] - MARGIN - size, y)


CONFIG_LINES = 5  # what fits between the header's text and its codes: the last two beside the QR


def _wrapped(pairs: list[str], rooms: list[float], sep: str = ",", size: float = 8) -> list[str]:
    """``pairs`` joined by ``sep`` into one line per width of ``rooms`` (``size`` pt Helvetica), ``…`` when they do
    not all fit (a whole bike's configuration is some 25 pairs: cut at 150 characters, the traveler lost
    half of it)."""
    out: list[str] = []
    current = ""
    for index, pair in enumerate(pairs):
        candidate = f"{current}{sep} {pair}" if current else pair
        if current and stringWidth(candidate + sep, "Helvetica", size) > rooms[len(out)]:
            out.append(current + sep)
            current = pair
            if len(out) == len(rooms):
                out[-1] = out[-1].rstrip(sep) + " …"
                return out
        else:
            current = candidate
        if index == len(pairs) - 1:
            out.append(current)
    return out


def _english(names: Any, key: str) -> str | None:
    """The English name under ``key`` of a body's name map (a body from an older hub has none)."""
    entry = names.get(key) if isinstance(names, Mapping) else None
    text = entry.get("en") if isinstance(entry, Mapping) else None
    return text if isinstance(text, str) and text else None


def configuration_lines(work_order: Mapping[str, Any]) -> list[str]:
    """The configuration as a worker reads it, ``Battery: 750 Wh``, from the catalog's names the work order
    carries; ``battery=b750`` where a name is missing (a worker on the live demo read only codes)."""
    out = []
    for pair in work_order.get("configuration", []):
        code, option = str(pair[0]), str(pair[1])
        attribute, chosen = _english(work_order.get("attribute_names"), code), _english(work_order.get("option_names"), code)
        out.append(f"{attribute}: {chosen}" if attribute and chosen else f"{code}={option}")
    return out


def _fit(canvas: Canvas, text: str, font: str, size: float, room: float) -> None:
    """Set ``font`` at ``size`` points, smaller (down to 6) when ``text`` would be wider than ``room``."""
    while size > 6 and stringWidth(text, font, size) > room:
        size -= 0.5
    canvas.setFont(font, size)


def traveler_pdf(work_order: Mapping[str, Any]) -> bytes:
    """The traveler of a work order given as its ``workorder.released`` body (RoutedWorkOrder.to_body())."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"Traveler {work_order['id']}")
    width, height = A4
    y = height - MARGIN

    def header() -> float:
        top = height - MARGIN
        canvas.setFont("Helvetica-Bold", 16)
        canvas.drawString(MARGIN, top - 6 * mm, f"Work order {work_order['id']}")
        canvas.setFont("Helvetica", 10)
        order = work_order.get("order_number") or work_order.get("order_id") or "-"
        names = work_order.get("product_names")
        name = names.get("en") if isinstance(names, Mapping) else None
        product = f"{name} ({work_order['product']})" if isinstance(name, str) and name else work_order["product"]
        line = f"Order {order}   Product {product}   Quantity {work_order['quantity']}"
        _fit(canvas, line, "Helvetica", 10, width - 2 * MARGIN)
        canvas.drawString(MARGIN, top - 12 * mm, line)
        full, beside_qr = width - 2 * MARGIN, width - 2 * MARGIN - QR_SIZE - 4 * mm
        rooms = [full] * (CONFIG_LINES - 2) + [beside_qr] * 2
        pairs = configuration_lines(work_order)
        for size in (8, 7.5, 7, 6.5):  # the catalog's names are longer than codes: smaller before cut
            lines = _wrapped(pairs, rooms, ";", size)
            if not lines or not lines[-1].endswith("…"):
                break
        canvas.setFont("Helvetica", size)
        for line_no, line in enumerate(lines):
            canvas.drawString(MARGIN, top - (17 + 3.4 * line_no) * mm, line)
        _codes(canvas, label_text(WorkOrderLabel(work_order["id"])), MARGIN, top - 55 * mm)
        return top - 60 * mm

    y = header()
    for op in work_order["operations"]:
        if y - ROW_HEIGHT < MARGIN:
            canvas.showPage()
            y = header()
        canvas.line(MARGIN, y, width - MARGIN, y)
        # the step's name on its own line, the centre and time under it: side by side at a fixed x, a long
        # name ran into them ("press headset" over "ASSY 23 min standard" on the live demo)
        title = f"{op['number']}  {op['name']}"
        _fit(canvas, title, "Helvetica-Bold", 11, width - 2 * MARGIN)
        canvas.drawString(MARGIN, y - 5 * mm, title)
        standard = op.get("setup_minutes", 0) + op.get("run_minutes", 0) * work_order["quantity"]
        qc = "   QC step" if op.get("qc") else ""
        away = "   outsourced: scan it when the parts come back" if op.get("outsourced") else ""
        detail = f"{op['work_centre']}   {standard:g} min standard{qc}{away}"
        _fit(canvas, detail, "Helvetica", 9, width - 2 * MARGIN - QR_SIZE - 6 * mm)
        canvas.drawString(MARGIN, y - 10 * mm, detail)
        _codes(canvas, label_text(WorkOrderLabel(work_order["id"], op["number"])), MARGIN, y - ROW_HEIGHT + 2 * mm)
        y -= ROW_HEIGHT
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
