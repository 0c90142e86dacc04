"""No technical text for customers (issue 16 item 4): the failure paths show plain sentences from
kiosk.texts in the customer's language; the path, the setting and the command go to the log and the
staff panel. Real widgets offscreen; every failure screen saved in both languages."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from kiosk.app import read_catalog, style_application  # noqa: E402
from kiosk.events import MemorySink  # noqa: E402
from kiosk.flow import KioskModel, Screen  # noqa: E402
from kiosk.qt import QApplication, QLabel, QPushButton, QWidget  # noqa: E402
from kiosk.texts import ZH_CN  # noqa: E402
from kiosk.window import KioskWindow  # noqa: E402
from sync.errors import StoreError  # noqa: E402
from tests.staff_pin import STAFF_HASH, STAFF_PIN  # noqa: E402
from tests.test_kiosk_ui import kiosk_catalog_folder, order_placed, shot, tap  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TECHNICAL = [
    (re.compile(r"(?:^|[^\w.])[~.]?/\w|\\\w|\w:\\"), "a file path"),
    (re.compile(r"\.(?:pdf|db|yaml|toml|log|png)\b", re.I), "a file name"),
    (re.compile(r"\b[a-z_]+\.[a-z_]+\b"), "a setting name"),
    (re.compile(r"lpstat|lpadmin|Traceback|Error\b|errno|exception", re.I), "a command or an error class"),
]


class FailingStore(MemorySink):
    """An order store whose disk gave out: it names the file, as a StoreError does."""

    def record_order(self, prefix: str, body: Callable[[str], dict[str, Any]]) -> str:
        raise StoreError("database is locked", where="/var/lib/floorlink/kiosk.db", fix="check the disk (df -h)")


def screen_texts(window: QWidget) -> list[str]:
    QApplication.processEvents()
    return [w.text() for kind in (QLabel, QPushButton) for w in window.findChildren(kind)
            if w.isVisible() and w.text()]


def allowed_latin() -> set[str]:
    """Latin words a Chinese screen may show: those of the Chinese sentence table and the catalog's Chinese
    labels (LED, App, PIN...), the language button, and the customer's and order's own (numbers, K1)."""
    catalog, _ = read_catalog(kiosk_catalog_folder())
    assert catalog is not None
    words = set(re.findall(r"[A-Za-z]{2,}", " ".join(ZH_CN.values())))
    for product in catalog.products.values():
        labels = [product.name, *(a.label for a in product.attributes),
                  *(o.label for a in product.attributes for o in a.options)]
        words |= set(re.findall(r"[A-Za-z]{2,}", " ".join(label.get("zh_CN", "") for label in labels)))
    return words | {"English"}


def check_plain(texts: list[str], language: str, allowed: set[str], where: str) -> None:
    for text in texts:
        for pattern, what in TECHNICAL:
            found = pattern.search(text)
            assert found is None, f"{where} ({language}) shows {what} {found.group(0)!r}: {text!r}"
        if language == "zh_CN":
            english = [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in allowed]
            assert not english, f"{where} shows English in Chinese: {english} in {text!r}"


def make(qtbot, tmp_path: Path, language: str, **kwargs: Any) -> tuple[KioskWindow, KioskModel]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style_application(app)
    catalog, _ = read_catalog(kiosk_catalog_folder())
    sink = kwargs.pop("sink", MemorySink())
    model = KioskModel(catalog, sink, language=language, admin_pin_hash=STAFF_HASH, **kwargs.pop("model", {}))
    window = KioskWindow(model, receipts=kwargs.pop("receipts", tmp_path / "receipts"), **kwargs)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    model.set_language(language)
    return window, model


def staff_panel(qtbot, window: KioskWindow, model: KioskModel) -> str:
    """What staff read after the PIN: here the technical detail is wanted."""
    tap(qtbot, window, "staffCorner")
    for key in STAFF_PIN:
        tap(qtbot, window, f"pin-{key}")
    tap(qtbot, window, "pinOk")
    qtbot.waitUntil(lambda: model.staff_status is not None, timeout=10000)
    panel = window.findChild(QLabel, "staffProblems")
    assert panel is not None and panel.isVisible()
    return panel.text()


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_receipt_failures_are_plain_and_staff_get_the_detail(qtbot, tmp_path, artifacts, language):
    allowed = allowed_latin()
    # a printer queue that does not exist: the receipt screen used to show the setting and `lpstat -p`
    window, model = make(qtbot, tmp_path / "a", language, printer="floorlink-no-such-printer")
    order_placed(qtbot, window, model)
    model.set_language(language)
    check_plain(screen_texts(window), language, allowed, "receipt screen")
    tap(qtbot, window, "printButton")
    qtbot.waitUntil(lambda: not window.busy(), timeout=10000)
    texts = screen_texts(window)
    assert any(t in texts for t in ("The receipt could not be printed, please ask our staff: they can print it for you.",
                                    ZH_CN["The receipt could not be printed, please ask our staff: they can print it for you."]))
    check_plain(texts, language, allowed, "printer missing")
    shot(window, artifacts, f"{language}-19-plain-printer-missing")
    detail = staff_panel(qtbot, window, model)
    assert "kiosk.printer" in detail and "receipt-" in detail

    # no printer set: the PDF's path used to be shown
    window, model = make(qtbot, tmp_path / "b", language)
    order_placed(qtbot, window, model)
    model.set_language(language)
    tap(qtbot, window, "printButton")
    qtbot.waitUntil(lambda: not window.busy(), timeout=10000)
    check_plain(screen_texts(window), language, allowed, "receipt saved")
    shot(window, artifacts, f"{language}-20-plain-receipt-saved")

    # the receipts folder is a file: the PDF cannot be written
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    window, model = make(qtbot, tmp_path / "c", language, receipts=blocker)
    order_placed(qtbot, window, model)
    model.set_language(language)
    tap(qtbot, window, "printButton")
    qtbot.waitUntil(lambda: not window.busy(), timeout=10000)
    check_plain(screen_texts(window), language, allowed, "receipt not saved")
    assert str(blocker) in staff_panel(qtbot, window, model)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_order_store_and_catalog_failures_are_plain(qtbot, tmp_path, artifacts, language):
    allowed = allowed_latin()
    window, model = make(qtbot, tmp_path / "a", language, sink=FailingStore())
    model.start()
    model.select_product(model.products()[0].code)
    while model.screen == Screen.OPTIONS:
        model.next()
    model.to_details()
    model.set_field("name", "王伟")
    model.set_field("phone", "13800138000")
    window.place_order()
    qtbot.waitUntil(lambda: not model.saving and not window.busy(), timeout=5000)
    assert model.screen == Screen.DETAILS and model.notice is not None and model.notice.tone == "error"
    check_plain(screen_texts(window), language, allowed, "order not stored")
    shot(window, artifacts, f"{language}-21-plain-order-not-stored")
    model.background_failed("Something went wrong (KeyError) in /opt/floorlink/kiosk/flow.py")
    check_plain(screen_texts(window), language, allowed, "background failure")
    detail = staff_panel(qtbot, window, model)
    assert "/var/lib/floorlink/kiosk.db" in detail and "KeyError" in detail

    # a broken catalog: out of service, the YAML error only for staff
    broken = tmp_path / "catalog"
    import shutil

    shutil.copytree(REPO / "tests" / "catalogs" / "small", broken)
    (broken / "catalog.yaml").write_text("format: 1\nname: [unclosed\n", encoding="utf-8")
    catalog, problem = read_catalog(broken)
    assert catalog is None and problem
    model = KioskModel(None, MemorySink(), catalog_problem=problem, language=language, admin_pin_hash=STAFF_HASH)
    window = KioskWindow(model, receipts=tmp_path / "r")
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    model.set_language(language)
    check_plain(screen_texts(window), language, allowed, "out of service")
    shot(window, artifacts, f"{language}-22-plain-out-of-service")
    assert "catalog.yaml" in staff_panel(qtbot, window, model)
