"""The paper receipt is one A6 page (issue 16 item 5): the shop's name and address, the order number
large with its QR, the lines, a closing total and the one date, in both languages, whatever the
configuration's length. Checked on the PDF itself (QtPdf reads its pages and text), the QR decoded
from the rendered page, and the page saved as PNG in .artifacts/kiosk/ for a person to look at."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from kiosk.events import MemorySink  # noqa: E402
from kiosk.flow import KioskModel, PlacedOrder, Screen  # noqa: E402
from kiosk.i18n import languages, money, pick  # noqa: E402
from kiosk.promise import DateStory  # noqa: E402
from kiosk.qt import QApplication  # noqa: E402
from kiosk.receipt import write_pdf  # noqa: E402
from sync.catalog import Catalog, load_catalog  # noqa: E402
from tests.test_kiosk_ui import render_pdf  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
ADDRESS = "苏州市工业园区星湖街 328 号 · 328 Xinghu St, Suzhou"


@pytest.fixture(scope="module")
def demo() -> Catalog:
    return load_catalog(REPO / "assets" / "catalog", deep=False)


def longest_order(catalog: Catalog, language: str) -> PlacedOrder:
    """The cargo bike (most options) with the priciest option wherever the rules allow, a 40-character name."""
    model = KioskModel(catalog, MemorySink(), language=language, shop_address=ADDRESS,
                       today=lambda: date(2026, 11, 25))
    model.start()
    model.select_product("CARGO")
    while model.screen == Screen.OPTIONS:
        for view in model.attributes():
            for option in sorted(view.options, key=lambda o: -o.price):
                if model.option_state(view.code, option.code).available:
                    model.tap_option(view.code, option.code)
                    break
        model.next()
    model.to_details()
    model.set_field("name", "Alexandra Catherine Montgomery-Wellingto")
    model.set_field("phone", "13800138000")
    order = model.place_order()
    assert order is not None and len(order.price.lines) >= 15
    return order


def page_pixels(pdf: Path, scale: float):
    """The page rendered on white paper, as grey pixels (the PDF page itself is transparent)."""
    import numpy as np
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtPdf import QPdfDocument

    document = QPdfDocument()
    assert document.load(str(pdf)) == QPdfDocument.Error.None_
    size = document.pagePointSize(0)
    page = document.render(0, QSize(int(size.width() * scale), int(size.height() * scale)))
    paper = QImage(page.size(), QImage.Format.Format_RGB32)
    paper.fill(QColor("white"))
    painter = QPainter(paper)
    painter.drawImage(0, 0, page)
    painter.end()
    grey = paper.convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.array(grey.constBits(), dtype=np.uint8).reshape(grey.height(), grey.bytesPerLine())
    return rows[:, : grey.width()].copy()


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_receipt_is_one_page_with_shop_number_qr_lines_total_and_firm_date(qapp: QApplication, demo: Catalog,
                                                                              tmp_path: Path, artifacts: Path,
                                                                              language: str) -> None:
    from PySide6.QtPdf import QPdfDocument

    languages().use(language)
    try:
        order = dataclasses.replace(longest_order(demo, language), placed_local="2026-12-05 13:15")
        story = DateStory(date(2026, 12, 10), 10, date(2026, 12, 21))  # the hub's firm date came in
        pdf = write_pdf(order, language, tmp_path / "receipt.pdf", story)
        document = QPdfDocument()
        assert document.load(str(pdf)) == QPdfDocument.Error.None_
        assert document.pageCount() == 1
        size = document.pagePointSize(0)  # A6: 105 x 148 mm
        assert abs(size.width() - 297.6) < 2 and abs(size.height() - 419.5) < 2, size
        text = " ".join(document.getAllText(0).text().split())
        flat = text.replace(" ", "")
        firm_day = {"en": "Mon 21 Dec 2026", "zh_CN": "2026年12月21日（周一）"}[language]
        expected = [pick(demo.name, language), ADDRESS, order.number, money(order.price.total, order.price.currency),
                    firm_day, pick(order.product_name, language)]
        expected += [pick(line.label, language) for line in order.price.lines if line.delta]
        # when it was ordered, the day written as the ready day is (it read "Ordered 2026-12-05 13:15")
        expected.append({"en": "Ordered Sat 5 Dec 2026 13:15", "zh_CN": "下单时间：2026年12月5日（周六） 13:15"}[language])
        for wanted in expected:
            assert wanted.replace(" ", "") in flat, f"{wanted!r} not on the receipt: {text}"
        assert "10 Dec" not in text and "12月10日" not in text, "one date on paper: the firm one"
        if language == "zh_CN":  # the day to collect the bike (可提车), not "finished" (完成) as it read
            assert "2026年12月21日（周一）可提车" in flat and "完成" not in flat, text
        closing = text.rsplit(money(order.price.total, order.price.currency), 1)
        assert {"en": "Total", "zh_CN": "合计"}[language] in closing[0][-20:], "the total closes the receipt"
        render_pdf(pdf, artifacts / "kiosk" / f"{language}-23-receipt-one-page.png")
        cv2 = pytest.importorskip("cv2")
        found, _, _ = cv2.QRCodeDetector().detectAndDecode(page_pixels(pdf, 4))
        assert found == order.qr_payload()
    finally:
        languages().use("en")


def test_a_hyphenated_word_stays_whole_on_the_receipt(qapp: QApplication, demo: Catalog, tmp_path: Path) -> None:
    """Live demo: the e-MTB's receipt read "Electric mountain bike (e-" over "MTB)": Qt's wrap breaks after a
    hyphen. Lines now break at spaces; a word wider than a line (Chinese) is still wrapped by Qt."""
    from PySide6.QtPdf import QPdfDocument

    model = KioskModel(demo, MemorySink(), language="en", today=lambda: date(2026, 11, 25))
    model.start()
    model.select_product("MTB")
    while model.screen == Screen.OPTIONS:
        model.next()
    model.to_details()
    model.set_field("name", "Lee")
    model.set_field("phone", "13800138000")
    order = model.place_order()
    assert order is not None and "(e-MTB)" in pick(order.product_name, "en")
    document = QPdfDocument()
    assert document.load(str(write_pdf(order, "en", tmp_path / "receipt.pdf"))) == QPdfDocument.Error.None_
    lines = [line.strip() for line in document.getAllText(0).text().splitlines()]
    assert any(line.endswith("(e-MTB)") for line in lines), lines
    from kiosk.receipt import break_at_spaces

    assert break_at_spaces("Electric mountain bike (e-MTB)", len, 26) == "Electric mountain bike\n(e-MTB)"
    assert break_at_spaces("城市电动自行车城市电动自行车", len, 5) == "城市电动自行车城市电动自行车", "Qt wraps it"
    assert break_at_spaces("one two", len, 7) == "one two"
