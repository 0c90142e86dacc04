"""The kiosk's real widgets, offscreen, driven by simulated taps; every screen saved as PNG."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from kiosk.app import read_catalog, style_application  # noqa: E402
from kiosk.events import MemorySink  # noqa: E402
from kiosk.flow import KioskModel, Screen  # noqa: E402
from kiosk.qt import QApplication, QPushButton, Qt, QWidget  # noqa: E402
from kiosk.window import KioskWindow  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def kiosk_catalog_folder() -> Path:
    """The demo catalog once it loads; the small test catalog until then."""
    demo = REPO / "assets" / "catalog"
    catalog, _ = read_catalog(demo)
    return demo if catalog is not None else REPO / "tests" / "catalogs" / "small"


@pytest.fixture
def kiosk(qtbot, tmp_path):
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style_application(app)
    catalog, problem = read_catalog(kiosk_catalog_folder())
    assert catalog is not None, problem
    sink = MemorySink()
    model = KioskModel(catalog, sink, idle_timeout_s=60)
    window = KioskWindow(model, receipts=tmp_path / "receipts")
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    return window, model, sink


def tap(qtbot, window: QWidget, name: str) -> None:
    visible = [w for w in window.findChildren(QPushButton, name) if w.isVisible()]
    assert len(visible) == 1, f"{len(visible)} visible buttons named {name}"
    widget = visible[0]
    assert widget.width() >= 48 and widget.height() >= 48, f"{name} is {widget.width()}x{widget.height()}"
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def shot(window: QWidget, artifacts: Path, name: str) -> Path:
    QApplication.processEvents()
    path = artifacts / "kiosk" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(path))
    return path


def test_a_complete_purchase_by_taps_in_both_languages(kiosk, qtbot, artifacts):
    window, model, sink = kiosk
    for language in ("en", "zh_CN"):
        if model.language != language:
            tap(qtbot, window, "languageButton")
        assert model.language == language
        shot(window, artifacts, f"{language}-01-attract")
        tap(qtbot, window, "startButton")
        assert model.screen == Screen.GALLERY
        shot(window, artifacts, f"{language}-02-gallery")
        product = model.products()[0]
        tap(qtbot, window, f"product-{product.code}")
        steps = len(model.groups)
        for step in range(steps):
            assert model.screen == Screen.OPTIONS and model.step == step
            view = model.attributes()[0]
            other = next((o for o in view.options if o.available and not o.chosen and o.code != view.suggested), None)
            if other is not None:
                tap(qtbot, window, f"option-{view.code}-{other.code}")
                assert model.configurator is not None and model.configurator.choices[view.code] == other.code
            shot(window, artifacts, f"{language}-03-options-{step + 1}")
            tap(qtbot, window, "nextButton")
        assert model.screen == Screen.SUMMARY
        assert model.configurator is not None and model.configurator.is_complete()
        shot(window, artifacts, f"{language}-04-summary")
        tap(qtbot, window, "orderButton")
        assert model.screen == Screen.DETAILS
        tap(qtbot, window, "placeButton")
        assert set(model.field_errors) == {"name", "phone"}
        shot(window, artifacts, f"{language}-05-details-errors")
        name_field = window.findChild(QWidget, "nameField")
        qtbot.mouseClick(name_field, Qt.MouseButton.LeftButton)
        for key in ("l", "i", "space", "w", "e", "i"):
            tap(qtbot, window, f"key-{key}")
        assert model.name == "Li Wei"
        phone_field = window.findChild(QWidget, "phoneField")
        qtbot.mouseClick(phone_field, Qt.MouseButton.LeftButton)
        for key in "13800138000":
            tap(qtbot, window, f"key-{key}")
        shot(window, artifacts, f"{language}-06-details")
        tap(qtbot, window, "placeButton")
        qtbot.waitUntil(lambda: model.screen == Screen.RECEIPT, timeout=5000)
        placed = sink.of_type("order.placed")[-1]
        assert placed["customer"] == {"name": "Li Wei", "phone": "13800138000"}
        assert placed["configuration"] == model.configurator.choices
        assert placed["price"]["total"] == str(model.price().total)
        shot(window, artifacts, f"{language}-07-receipt")
        tap(qtbot, window, "printButton")
        qtbot.waitUntil(lambda: not window.busy(), timeout=10000)
        pdf = Path(window.screens[Screen.RECEIPT].printed_path)  # type: ignore[attr-defined]
        assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
        tap(qtbot, window, "doneButton")
        assert model.screen == Screen.ATTRACT and model.order is None
    assert len(sink.of_type("order.placed")) == 2
