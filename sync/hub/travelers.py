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


def _wrapped(pairs: list[str], rooms: list[float]) -> list[str]:
    """``pairs`` joined by commas into one line per width of ``rooms`` (8 pt Helvetica), ``…`` when they do
    not all fit (a whole bike's configuration is some 25 pairs: cut at 150 characters, the traveler lost
    half of it)."""
    out: list[str] = []
    current = ""
    for index, pair in enumerate(pairs):
        candidate = f"{current}, {pair}" if current else pair
        if current and stringWidth(candidate + ",", "Helvetica", 8) > rooms[len(out)]:
            out.append(current + ",")
            current = pair
            if len(out) == len(rooms):
                out[-1] = out[-1].rstrip(",") + " …"
                return out
        else:
            current = candidate
        if index == len(pairs) - 1:
            out.append(current)
    return out


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
        canvas.drawString(MARGIN, top - 12 * mm, f"Order {order}   Product "
                                                 f"{work_order['product']}   Quantity {work_order['quantity']}")
        canvas.setFont("Helvetica", 8)
        pairs = [f"{k}={v}" for k, v in work_order.get("configuration", [])]
        full, beside_qr = width - 2 * MARGIN, width - 2 * MARGIN - QR_SIZE - 4 * mm
        for line_no, line in enumerate(_wrapped(pairs, [full] * (CONFIG_LINES - 2) + [beside_qr] * 2)):
            canvas.drawString(MARGIN, top - (17 + 3.4 * line_no) * mm, line)
        _codes(canvas, label_text(WorkOrderLabel(work_order["id"])), MARGIN, top - 55 * mm)
        return top - 60 * mm

    y = header()
    for op in work_order["operations"]:
        if y - ROW_HEIGHT < MARGIN:
            canvas.showPage()
            y = header()
        canvas.line(MARGIN, y, width - MARGIN, y)
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawString(MARGIN, y - 5 * mm, f"{op['number']}  {op['name']}")
        canvas.setFont("Helvetica", 9)
        standard = op.get("setup_minutes", 0) + op.get("run_minutes", 0) * work_order["quantity"]
        qc = "   QC step" if op.get("qc") else ""
        away = "   outsourced: scan it when the parts come back" if op.get("outsourced") else ""
        canvas.drawString(MARGIN + 70 * mm, y - 5 * mm, f"{op['work_centre']}   {standard:g} min standard{qc}{away}")
        _codes(canvas, label_text(WorkOrderLabel(work_order["id"], op["number"])), MARGIN, y - ROW_HEIGHT + 2 * mm)
        y -= ROW_HEIGHT
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
