"""Travelers print labels that a station's real decoder reads back as the documented syntax."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from sync.hub.travelers import traveler_pdf
from sync.labels import WorkOrderLabel, parse

WORK_ORDER = {
    "id": "K1-0007-02", "product": "CITY", "quantity": 2, "order_id": "K1-0007",
    "configuration": [["colour", "red"], ["frame_size", "M"]],
    "operations": [
        {"number": 10, "name": "Weld frame", "work_centre": "WELD", "setup_minutes": 20, "run_minutes": 45},
        {"number": 20, "name": "Inspect welds", "work_centre": "QC", "setup_minutes": 0, "run_minutes": 5, "qc": True},
    ],
}


def render(pdf: bytes, folder: Path) -> list[Path]:
    from PySide6.QtCore import QSize
    from PySide6.QtPdf import QPdfDocument

    source = folder / "traveler.pdf"
    source.write_bytes(pdf)
    document = QPdfDocument()
    assert document.load(str(source)) == QPdfDocument.Error.None_
    pages = []
    for index in range(document.pageCount()):
        size = document.pagePointSize(index)
        image = document.render(index, QSize(int(size.width() * 3), int(size.height() * 3)))
        path = folder / f"traveler-{index + 1}.png"
        assert image.save(str(path))
        on_paper(path)
        pages.append(path)
    return pages


def on_paper(path: Path) -> None:
    """The rendered page has a transparent background: put it on white paper, as printed."""
    rgba = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if rgba.ndim == 3 and rgba.shape[2] == 4:
        alpha = rgba[:, :, 3:4].astype(np.float32) / 255.0
        white = np.full_like(rgba[:, :, :3], 255)
        cv2.imwrite(str(path), (rgba[:, :, :3] * alpha + white * (1 - alpha)).astype(np.uint8))


def test_every_label_on_the_traveler_reads_back_with_the_station_decoder(tmp_path: Path, artifacts: Path) -> None:
    from terminal.decode.chain import DecodeChain

    pages = render(traveler_pdf(WORK_ORDER), tmp_path)
    (artifacts / "traveler-1.png").write_bytes(pages[0].read_bytes())
    chain = DecodeChain(formats=("Code128", "QRCode"))
    found = {(code.format, code.text) for page in pages for code in chain.decode(cv2.imread(str(page)))}
    labels = {parse(text) for _, text in found}
    assert labels == {WorkOrderLabel("K1-0007-02"), WorkOrderLabel("K1-0007-02", 10), WorkOrderLabel("K1-0007-02", 20)}
    assert {fmt for fmt, _ in found} == {"Code128", "QRCode"}, "each label is printed both ways"


def test_a_long_routing_continues_on_more_pages(tmp_path: Path) -> None:
    many = {**WORK_ORDER, "operations": [{**WORK_ORDER["operations"][0], "number": n} for n in range(10, 130, 10)]}
    assert len(render(traveler_pdf(many), tmp_path)) >= 2


def test_a_work_order_without_operations_fields_is_refused() -> None:
    with pytest.raises(KeyError):
        traveler_pdf({"id": "X"})
