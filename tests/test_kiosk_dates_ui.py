"""The real kiosk widgets, offscreen at 1280x800: the total in view on the summary, the picked option
announced with a Change button, and the hub's later date said on the receipt screen (screenshots)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from kiosk.app import read_catalog, style_application  # noqa: E402
from kiosk.events import MemorySink  # noqa: E402
from kiosk.flow import KioskModel, Screen  # noqa: E402
from kiosk.i18n import languages  # noqa: E402
from kiosk.promise import day_text  # noqa: E402
from kiosk.qt import QApplication, QLabel, QPushButton, QScrollArea, QThreadPool  # noqa: E402
from kiosk.texts import ZH_CN  # noqa: E402
from kiosk.window import KioskWindow  # noqa: E402
from tests.test_kiosk_ui import render_pdf, shot, tap, visible  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 27)


@pytest.fixture
def kiosk(qtbot, tmp_path):
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style_application(app)
    catalog, problem = read_catalog(REPO / "assets" / "catalog")
    assert catalog is not None, problem
    model = KioskModel(catalog, MemorySink(), idle_timeout_s=600, today=lambda: TODAY)
    window = KioskWindow(model, receipts=tmp_path / "receipts")
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    yield window, model
    QThreadPool.globalInstance().waitForDone(5000)
    languages().use("en")


def shown_day(day: date, language: str) -> str:
    """The day as the kiosk writes it in ``language`` (kiosk.promise.day_text)."""
    return day_text(day, lambda text: ZH_CN.get(text, text)) if language == "zh_CN" else day_text(day)


def read_day(text: str) -> list[date]:
    """Every day written in ``text`` the kiosk's way, English or Chinese."""
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    found = [date(int(y), months.index(m) + 1, int(d)) for d, m, y in re.findall(r"\w{3} (\d{1,2}) (\w{3}) (\d{4})", text)]
    found += [date(int(y), int(m), int(d)) for y, m, d in re.findall(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)]
    return found


def in_view(window, widget) -> bool:
    """Painted on the window now: not clipped away by a scroller, inside 1280x800."""
    QApplication.processEvents()
    if not widget.isVisible() or widget.visibleRegion().isEmpty():
        return False
    bottom = widget.mapTo(window, widget.rect().bottomRight())
    return 0 <= bottom.y() <= window.height() and 0 <= bottom.x() <= window.width()


def looks_chosen(tile) -> bool:
    """The tile is painted in the chosen colour (#0f6e5c), not white."""
    colour = tile.grab().toImage().pixelColor(12, tile.height() // 2)
    return colour.red() < 60 and 80 < colour.green() < 150


def to_carry(qtbot, window, model: KioskModel, language: str) -> None:
    model.reset()
    if model.language != language:
        model.set_language(language)
    tap(qtbot, window, "startButton")
    tap(qtbot, window, "product-CARGO")
    while model.groups[model.step].code != "carry":
        tap(qtbot, window, "nextButton")


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_picked_option_is_announced_with_its_price_and_the_total_is_in_view(kiosk, qtbot, artifacts,
                                                                                language) -> None:
    window, model = kiosk
    to_carry(qtbot, window, model, language)
    tap(qtbot, window, "option-cargo_box-box")
    tap(qtbot, window, "finishButton")  # leaves the stand open: the box needs the wide one (+¥260)
    assert model.screen == Screen.SUMMARY
    total = visible(window, QLabel, "totalAmount")
    assert len(total) == 1 and total[0].text() == "¥" + f"{model.price().total:,.0f}"
    assert in_view(window, total[0]), "the total shows without scrolling at 1280x800"
    scroller = window.findChildren(QScrollArea)
    assert not any(s.isAncestorOf(total[0]) for s in scroller), "the total is outside the scrolling lines"
    notices = [w.text() for w in visible(window, QLabel, "notice")]
    wide = {"en": "Wide centre stand +¥260", "zh_CN": "宽幅中置脚撑 +¥260"}[language]
    assert any(wide in text for text in notices), notices
    change = visible(window, QPushButton, "change-kickstand")
    assert len(change) == 1 and in_view(window, change[0])
    assert change[0].text() == {"en": "Change Stand", "zh_CN": "更改脚撑"}[language]
    assert any("picked for you" in w.text() or "为您选择" in w.text() for w in visible(window, QLabel, "lineLabel"))
    estimate = visible(window, QLabel, "estimate")[0].text()
    assert {"en": "about", "zh_CN": "约"}[language] in estimate and in_view(window, visible(window, QLabel, "estimate")[0])
    shot(window, artifacts, f"{language}-23-summary-picked-for-you")
    tap(qtbot, window, "change-kickstand")
    # the box leaves no other stand: the step opens on the one it replaced, with why (the reason panel)
    assert model.screen == Screen.OPTIONS and model.focus == ("kickstand", "centre")
    stand = visible(window, QPushButton, "option-kickstand-wide")
    qtbot.waitUntil(lambda: in_view(window, stand[0]), timeout=5000)  # scrolled to the option to change
    qtbot.waitUntil(lambda: looks_chosen(stand[0]), timeout=5000)  # drawn as chosen, though filled while hidden
    assert len(visible(window, QPushButton, "switchButton")) == 1, "the reason panel with Switch to this"
    shot(window, artifacts, f"{language}-24-change-picked-option")


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_a_later_firm_date_replaces_about_and_is_said_before_the_customer_leaves(kiosk, qtbot, artifacts, tmp_path,
                                                                                 language) -> None:
    window, model = kiosk
    to_carry(qtbot, window, model, language)
    tap(qtbot, window, "finishButton")
    shown = model.estimate()
    assert shown is not None
    about = shown_day(shown.ready_by, language)
    model.to_details()
    model.set_field("name", "Li Wei")
    model.set_field("phone", "13800138000")
    tap(qtbot, window, "placeButton")
    qtbot.waitUntil(lambda: model.screen == Screen.RECEIPT, timeout=10000)
    text = visible(window, QLabel, "receiptText")[0]
    assert about in text.text(), "before the hub answers: about"
    assert not visible(window, QLabel, "dateChange")
    assert model.order is not None
    firm = shown_day(shown.ready_by + timedelta(days=11), language)
    model.order_acked(model.order.id, "ok", {"promise_date": (shown.ready_by + timedelta(days=11)).isoformat()})  # what the sync link does with the ack
    QApplication.processEvents()
    receipt = text.text()
    assert firm in receipt and about not in receipt, "the firm date replaces about: one date"
    warning = visible(window, QLabel, "dateChange")
    assert len(warning) == 1 and in_view(window, warning[0])
    assert firm in warning[0].text() and about in warning[0].text() and "11" in warning[0].text()
    shot(window, artifacts, f"{language}-25-receipt-later-date")

    tap(qtbot, window, "printButton")
    qtbot.waitUntil(lambda: not window.busy(), timeout=10000)
    pdf = tmp_path / "receipts" / f"receipt-{model.order.number}.pdf"
    from PySide6.QtPdf import QPdfDocument

    document = QPdfDocument()
    assert document.load(str(pdf)) == QPdfDocument.Error.None_
    paper = " ".join(document.getAllText(page).text() for page in range(document.pageCount()))
    ordered = model.order.placed_local[:10]  # the day it was ordered is on paper too: no delivery date
    delivery = set(read_day(" ".join(paper.split()))) - {date.fromisoformat(ordered)}
    assert delivery == {shown.ready_by + timedelta(days=11)}, f"one delivery date on paper: {paper}"
    render_pdf(pdf, artifacts / "kiosk" / f"{language}-26-receipt-pdf-firm-date.png")


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_options_the_next_step_inherits_are_announced_on_it_with_one_change_each(kiosk, qtbot, artifacts,
                                                                                 language) -> None:
    window, model = kiosk
    model.reset()
    if model.language != language:
        model.set_language(language)
    tap(qtbot, window, "startButton")
    tap(qtbot, window, "product-CARGO")
    tap(qtbot, window, "stepButton-drive")
    assert model.groups[model.step].code == "drive"
    tap(qtbot, window, "option-battery-dual")  # two batteries: the strong motor, controller and charger follow
    tap(qtbot, window, "stepButton-ride")  # passing the rest of the drive pages takes their preselected options
    assert model.groups[model.step].code == "ride"
    notice = " ".join(w.text() for w in visible(window, QLabel, "notice"))
    motor = {"en": "Mid-drive, 85 Nm +¥3,000", "zh_CN": "中置 85 牛·米 +¥3,000"}[language]
    assert motor in notice, notice
    QApplication.processEvents()
    buttons = {b.objectName() for b in window.findChildren(QPushButton)
               if b.isVisible() and b.objectName().startswith("change-")}
    assert buttons == {"change-motor", "change-controller", "change-charger"}
    for name in buttons:
        assert in_view(window, visible(window, QPushButton, name)[0])
    shot(window, artifacts, f"{language}-27-options-picked-for-you")
    tap(qtbot, window, "change-motor")
    # the choices leave no other motor: the step opens on the one it replaced, with why
    assert model.groups[model.step].code == "drive" and model.focus is not None and model.focus[0] == "motor"
    assert model.focus[1] != "mid85" and model.why(*model.focus)


def printed_receipt(qtbot, window, model) -> None:
    """A cargo bike ordered in English and its receipt printed, before the hub answered (it says "about")."""
    to_carry(qtbot, window, model, "en")
    tap(qtbot, window, "finishButton")
    model.to_details()
    model.set_field("name", "Li Wei")
    model.set_field("phone", "13800138000")
    tap(qtbot, window, "placeButton")
    qtbot.waitUntil(lambda: model.screen == Screen.RECEIPT, timeout=10000)
    tap(qtbot, window, "printButton")


def test_a_receipt_printed_before_the_hub_answered_is_offered_again_with_the_firm_date(kiosk, qtbot, tmp_path) -> None:
    window, model = kiosk
    printed_receipt(qtbot, window, model)
    qtbot.waitUntil(lambda: not window.busy(), timeout=10000)
    printed = visible(window, QLabel, "notice")
    assert not any("after you printed" in w.text() for w in printed)
    assert model.order is not None
    model.order_acked(model.order.id, "ok", {"promise_date": "2026-12-30"})
    QApplication.processEvents()
    assert any("after you printed" in w.text() for w in visible(window, QLabel, "notice")), "print again, says so"
    tap(qtbot, window, "printButton")
    qtbot.waitUntil(lambda: not window.busy(), timeout=10000)
    QApplication.processEvents()
    assert not any("after you printed" in w.text() for w in visible(window, QLabel, "notice"))


def test_a_number_the_hub_gave_instead_of_the_kiosks_is_what_the_customer_sees_and_can_print(
        kiosk, qtbot, tmp_path, artifacts) -> None:
    window, model = kiosk
    printed_receipt(qtbot, window, model)
    qtbot.waitUntil(lambda: not window.busy(), timeout=10000)
    assert model.order is not None
    kiosks = model.order.number
    hubs = "H-0042" if kiosks != "H-0042" else "H-0043"  # another kiosk with the same prefix had the number
    model.order_acked(model.order.id, "ok", {"promise_date": "2026-12-30", "number": hubs})
    QApplication.processEvents()
    assert model.order.number == hubs and model.renumbered == kiosks
    QApplication.processEvents()
    shown = " ".join(w.text() for w in window.findChildren(QLabel) if w.isVisible())
    assert f"Order {hubs}" in shown and f"Order {kiosks}" not in shown
    assert f"Your order number is now {hubs}" in shown, "the printed receipt has the old number: print again"
    shot(window, artifacts, "en-41-receipt-renumbered")
    tap(qtbot, window, "printButton")
    qtbot.waitUntil(lambda: not window.busy(), timeout=10000)
    QApplication.processEvents()
    assert not any("order number is now" in w.text() for w in window.findChildren(QLabel) if w.isVisible())
    model.order_acked(model.order.id, "ok", {"promise_date": "2026-12-30", "number": "not a number"})
    assert model.order.number == hubs, "an answer without a usable number changes nothing"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_options_side_panel_shows_the_about_date_and_it_moves_with_a_long_lead_time_choice(
        kiosk, qtbot, artifacts, language) -> None:
    window, model = kiosk
    model.reset()
    if model.language != language:
        model.set_language(language)
    tap(qtbot, window, "startButton")
    tap(qtbot, window, "product-CARGO")
    tap(qtbot, window, "stepButton-drive")
    assert model.groups[model.step].code == "drive"

    def side_date() -> date:
        shown = visible(window, QLabel, "runningDate")
        assert len(shown) == 1 and in_view(window, shown[0]), "the date is in the side panel at 1280x800"
        found = read_day(shown[0].text())
        assert len(found) == 1, shown[0].text()
        assert {"en": "Ready about", "zh_CN": "约"}[language] in shown[0].text()
        return found[0]

    before = side_date()
    assert model.estimate() is None, "not complete yet: the side panel still has the summary's date so far"
    shot(window, artifacts, f"{language}-28-options-side-date")
    tap(qtbot, window, "option-motor-mid85")  # the strong motor is bought with a long lead time
    QApplication.processEvents()
    after = side_date()
    assert after > before, (before, after)
    shot(window, artifacts, f"{language}-29-options-side-date-later")
    while model.screen == Screen.OPTIONS:
        tap(qtbot, window, "nextButton")
    assert model.screen == Screen.SUMMARY
    estimate = visible(window, QLabel, "estimate")[0].text()
    assert shown_day(after, language) in estimate, "the side panel showed the date the summary shows: one date story"
