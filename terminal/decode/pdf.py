"""Printed paper as images: the pages of a PDF (a traveler from the hub) rendered on white, as a camera sees them.

Why: travelers leave the hub as PDF (``/api/v1/work-orders/{id}/traveler.pdf``); a station reads their labels
with the same decode chain as camera frames, and the demo needs one picture per label to put in front of the
station's camera (an image folder). QtPdf renders (imported on first use: the decode chain stays Qt-free) (the terminal ships Qt already); its pages are transparent,
so they are put on white paper first. Each label is cut out with a white margin around the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from sync import labels
from sync.errors import DecodeError
from terminal.decode.chain import DecodeChain, DecodedCode

#: pixels per PDF point: 3 is about 216 dpi, enough for the 0.42 mm Code128 bars of a traveler
SCALE = 3.0


def render_pdf(data: bytes, scale: float = SCALE, where: str = "PDF") -> list[np.ndarray]:
    """Every page of ``data`` as a BGR image on white paper; DecodeError when it is not a PDF QtPdf reads."""
    # Qt only here, on first use: the decode chain and its CLI stay Qt-free
    from terminal.qt import QBuffer, QByteArray, QImage, QIODevice, QPdfDocument, QSize

    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    if document.status() != QPdfDocument.Status.Ready or document.pageCount() == 0:
        raise DecodeError(f"not a readable PDF ({document.error().name})", where=where,
                          fix="download the traveler again from the hub")
    pages = []
    for index in range(document.pageCount()):
        size = document.pagePointSize(index)
        image = document.render(index, QSize(round(size.width() * scale), round(size.height() * scale)))
        image = image.convertToFormat(QImage.Format.Format_RGBA8888)
        rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
        rgba = rows[:, :image.width() * 4].reshape(image.height(), image.width(), 4).astype(np.float32)
        alpha = rgba[:, :, 3:4] / 255.0
        rgb = rgba[:, :, :3] * alpha + 255.0 * (1.0 - alpha)
        pages.append(np.ascontiguousarray(cv2.cvtColor(rgb.astype(np.uint8), cv2.COLOR_RGB2BGR)))
    document.close()
    return pages


@dataclass(frozen=True)
class PrintedLabel:
    """One label read off a printed page: what it says and the picture of it alone."""

    label: labels.Label
    text: str
    format: str
    image: np.ndarray


def read_labels(pages: list[np.ndarray], chain: DecodeChain | None = None) -> list[PrintedLabel]:
    """Every FloorLink label the decode chain reads on ``pages``, each once (QR preferred), in page order.

    Codes that are not FloorLink labels are skipped: the chain never invents text, and neither does this."""
    chain = chain or DecodeChain(formats=("QRCode", "Code128"))
    found: dict[str, PrintedLabel] = {}
    for page in pages:
        codes = sorted(chain.decode(page), key=lambda c: (c.center[1], c.format != "QRCode"))
        for code in codes:
            try:
                label = labels.parse(code.text)
            except DecodeError:
                continue
            if code.text not in found or (code.format == "QRCode" and found[code.text].format != "QRCode"):
                found[code.text] = PrintedLabel(label, code.text, code.format, _cut_out(page, code))
    return list(found.values())


def _cut_out(page: np.ndarray, code: DecodedCode, margin: int = 40) -> np.ndarray:
    xs = [int(p[0]) for p in code.position]
    ys = [int(p[1]) for p in code.position]
    h, w = page.shape[:2]
    left, right = max(min(xs) - margin, 0), min(max(xs) + margin, w)
    top, bottom = max(min(ys) - margin, 0), min(max(ys) + margin, h)
    return np.ascontiguousarray(page[top:bottom, left:right])


def write_label_images(printed: list[PrintedLabel], folder: Path, prefix: str = "") -> list[Path]:
    """One PNG per label (``<prefix><work order>-<operation>.png``) for a station's image-folder camera."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for item in printed:
        label = item.label
        if isinstance(label, labels.WorkOrderLabel):
            name = f"{label.work_order}-{label.operation:04d}" if label.operation is not None else f"{label.work_order}"
        else:
            name = f"badge-{label.badge_id}"
        path = folder / f"{prefix}{name}.png"
        if not cv2.imwrite(str(path), item.image):
            raise DecodeError("could not write the label picture", where=str(path))
        written.append(path)
    return written
