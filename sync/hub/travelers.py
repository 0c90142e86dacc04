"""Printable travelers: one PDF per work order, a header label and one label per operation.

Each label carries the documented syntax (``sync.labels``) twice: Code128 for hand scanners and
QR for cameras, so a station reads it whichever way the worker holds it. reportlab draws both.
A traveler is printed in English or Simplified Chinese (the names the work order carries from the
catalog); Chinese text needs a font with its characters, embedded from the system's fonts.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import getRegisteredFontNames, registerFont, stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from sync.errors import PrintError
from sync.labels import WorkOrderLabel
from sync.labels import format as label_text

LANGUAGES = ("en", "zh_CN")
#: fonts with Simplified Chinese glyphs in TrueType outlines (reportlab embeds those), first found wins;
#: Debian/Ubuntu: fonts-wqy-microhei (the kiosk's and station's font too), fonts-wqy-zenhei, fonts-arphic-uming
CJK_FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
             "/usr/share/fonts/truetype/arphic/uming.ttc")
_CJK = "FloorLink-CJK"

#: what the traveler itself says, per language (names come from the work order)
TEXTS = {
    "en": {"title": "Work order {id}", "header": "Order {order}   Product {product}   Quantity {quantity}",
           "product": "{name} ({code})", "standard": "{centre}   {minutes:g} min standard", "qc": "   QC step",
           "outsourced": "   outsourced: scan it when the parts come back", "pair": "{attribute}: {option}", "sep": "; "},
    "zh_CN": {"title": "工单 {id}", "header": "订单 {order}   产品 {product}   数量 {quantity}",
              "product": "{name}（{code}）", "standard": "{centre}   标准工时 {minutes:g} 分钟", "qc": "   质检工序",
              "outsourced": "   外协：零件送回时扫描此标签", "pair": "{attribute}：{option}", "sep": "；"},
}

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


def _wrapped(pairs: list[str], rooms: list[float], sep: str = ", ", size: float = 8, font: str = "Helvetica") -> list[str]:
    """``pairs`` joined by ``sep`` into one line per width of ``rooms`` (``size`` pt ``font``), ``…`` when they do
    not all fit (a whole bike's configuration is some 25 pairs: cut at 150 characters, the traveler lost
    half of it). ``sep`` ends a line without its space ("；" in Chinese has none)."""
    out: list[str] = []
    current = ""
    mark = sep.rstrip()
    for index, pair in enumerate(pairs):
        candidate = f"{current}{sep}{pair}" if current else pair
        if current and stringWidth(candidate + mark, font, size) > rooms[len(out)]:
            out.append(current + mark)
            current = pair
            if len(out) == len(rooms):
                out[-1] = out[-1].removesuffix(mark) + " …"
                return out
        else:
            current = candidate
        if index == len(pairs) - 1:
            out.append(current)
    return out


def _name(names: Any, language: str) -> str | None:
    """The name in ``language`` of a name map (language -> text), else its English one; None when it has
    neither (a body from an older hub carries no names)."""
    if not isinstance(names, Mapping):
        return None
    for lang in (language, "en"):
        text = names.get(lang)
        if isinstance(text, str) and text:
            return text
    return None


def _named(names: Any, key: str, language: str) -> str | None:
    """The name under ``key`` of a body's map of name maps (``attribute_names``, ``option_names``)."""
    return _name(names.get(key) if isinstance(names, Mapping) else None, language)


def configuration_lines(work_order: Mapping[str, Any], language: str = "en") -> list[str]:
    """The configuration as a worker reads it, ``Battery: 750 Wh`` / ``电池：750 瓦时``, from the catalog's names
    the work order carries; ``battery=b750`` where a name is missing (a worker on the live demo read only codes)."""
    out = []
    for pair in work_order.get("configuration", []):
        code, option = str(pair[0]), str(pair[1])
        attribute = _named(work_order.get("attribute_names"), code, language)
        chosen = _named(work_order.get("option_names"), code, language)
        out.append(TEXTS[language]["pair"].format(attribute=attribute, option=chosen) if attribute and chosen
                   else f"{code}={option}")
    return out


def fonts(language: str) -> tuple[str, str]:
    """The regular and bold font for ``language``; Chinese needs a system font (:data:`CJK_FONTS`)."""
    if language not in LANGUAGES:
        raise PrintError(f"no traveler in language {language!r}", where="traveler", fix=f"one of {', '.join(LANGUAGES)}")
    if language == "en":
        return "Helvetica", "Helvetica-Bold"
    path = next((p for p in CJK_FONTS if Path(p).is_file()), None)
    if path is None:
        raise PrintError("Chinese travelers need a font with Chinese characters and none is installed",
                         where="traveler", fix="apt-get install fonts-wqy-microhei on the hub box, or print in "
                         "English (lang=en)")
    name = f"{_CJK}-{Path(path).stem}"
    if name not in getRegisteredFontNames():  # once per process: reportlab keeps registered fonts
        registerFont(TTFont(name, path, subfontIndex=0))
    return name, name


def _fit(canvas: Canvas, text: str, font: str, size: float, room: float) -> None:
    """Set ``font`` at ``size`` points, smaller (down to 6) when ``text`` would be wider than ``room``."""
    while size > 6 and stringWidth(text, font, size) > room:
        size -= 0.5
    canvas.setFont(font, size)


def traveler_pdf(work_order: Mapping[str, Any], language: str = "en") -> bytes:
    """The traveler of a work order given as its ``workorder.released`` body (RoutedWorkOrder.to_body()), in
    ``language`` (:data:`LANGUAGES`): its texts, and the catalog's names of the product, options and steps
    where the body carries them (English, then the code, where it does not)."""
    regular, bold = fonts(language)
    texts = TEXTS[language]
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(texts["title"].format(id=work_order["id"]))
    width, height = A4
    y = height - MARGIN

    def header() -> float:
        top = height - MARGIN
        canvas.setFont(bold, 16)
        canvas.drawString(MARGIN, top - 6 * mm, texts["title"].format(id=work_order["id"]))
        order = work_order.get("order_number") or work_order.get("order_id") or "-"
        name = _name(work_order.get("product_names"), language)
        product = texts["product"].format(name=name, code=work_order["product"]) if name else work_order["product"]
        line = texts["header"].format(order=order, product=product, quantity=work_order["quantity"])
        _fit(canvas, line, regular, 10, width - 2 * MARGIN)
        canvas.drawString(MARGIN, top - 12 * mm, line)
        full, beside_qr = width - 2 * MARGIN, width - 2 * MARGIN - QR_SIZE - 4 * mm
        rooms = [full] * (CONFIG_LINES - 2) + [beside_qr] * 2
        pairs = configuration_lines(work_order, language)
        for size in (8, 7.5, 7, 6.5):  # the catalog's names are longer than codes: smaller before cut
            lines = _wrapped(pairs, rooms, texts["sep"], size, regular)
            if not lines or not lines[-1].endswith("…"):
                break
        canvas.setFont(regular, size)
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
        step = _name(op.get("names"), language) if language != "en" else None  # the body's own name is English
        title = f"{op['number']}  {step or op['name']}"
        _fit(canvas, title, bold, 11, width - 2 * MARGIN)
        canvas.drawString(MARGIN, y - 5 * mm, title)
        standard = op.get("setup_minutes", 0) + op.get("run_minutes", 0) * work_order["quantity"]
        detail = (texts["standard"].format(centre=op["work_centre"], minutes=standard)
                  + (texts["qc"] if op.get("qc") else "") + (texts["outsourced"] if op.get("outsourced") else ""))
        _fit(canvas, detail, regular, 9, width - 2 * MARGIN - QR_SIZE - 6 * mm)
        canvas.drawString(MARGIN, y - 10 * mm, detail)
        _codes(canvas, label_text(WorkOrderLabel(work_order["id"], op["number"])), MARGIN, y - ROW_HEIGHT + 2 * mm)
        y -= ROW_HEIGHT
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
