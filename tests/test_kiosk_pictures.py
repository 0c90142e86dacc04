"""The live kiosk (catalog from the released database, fed by the hub over MQTT) looks like the folder demo:
the shop's name on the attract screen, the product and option pictures on every step."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from kiosk.app import style_application  # noqa: E402
from kiosk.catalog_source import read_source  # noqa: E402
from kiosk.events import MemorySink  # noqa: E402
from kiosk.flow import KioskModel, Screen  # noqa: E402
from kiosk.qt import QApplication, QImage, QLabel, QPushButton, QThreadPool  # noqa: E402
from kiosk.widgets import image  # noqa: E402
from kiosk.window import KioskWindow  # noqa: E402
from sync.catalog.distribution import follow_catalog  # noqa: E402
from sync.catalog.store import CatalogStore  # noqa: E402
from sync.demo import release_catalog  # noqa: E402
from sync.hub.service import HubConfig, HubService  # noqa: E402
from sync.protocol.edge import EdgeSync  # noqa: E402
from sync.store import Store  # noqa: E402
from tests.test_kiosk_ui import shot, tap, visible  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "assets" / "catalog"


def coloured_pixels(picture: QImage) -> int:
    """Pixels that are neither white nor transparent (an empty panel has none)."""
    count = 0
    for y in range(0, picture.height(), 4):
        for x in range(0, picture.width(), 4):
            colour = picture.pixelColor(x, y)
            if colour.alpha() > 0 and (colour.red(), colour.green(), colour.blue()) != (255, 255, 255):
                count += 1
    return count


def orange_pixels(picture: QImage) -> int:
    """Pixels of the demo's signal orange (#e0672a) or near it."""
    count = 0
    for y in range(picture.height()):
        for x in range(picture.width()):
            c = picture.pixelColor(x, y)
            if abs(c.red() - 0xE0) < 12 and abs(c.green() - 0x67) < 12 and abs(c.blue() - 0x2A) < 12:
                count += 1
    return count


@pytest.mark.broker
def test_a_kiosk_fed_by_the_hub_shows_the_shops_name_and_the_option_pictures(qtbot, tmp_path: Path, mosquitto: Any,
                                                                              artifacts: Path) -> None:
    released = release_catalog(DEMO, tmp_path / "catalog.db")
    hub = HubService(HubConfig(db=tmp_path / "hub.db", catalog_db=tmp_path / "catalog.db", port=mosquitto.port,
                               devices=["kiosk-1"], tick_seconds=0.2)).start()
    store = Store(tmp_path / "kiosk.db", device_id="kiosk-1")
    sync = EdgeSync(store, site="demo", port=mosquitto.port, streams=["catalog/#"])
    kiosk_db = tmp_path / "kiosk" / "catalog.db"
    follow_catalog(sync.inbox, kiosk_db)
    try:
        assert hub.wait_ready(20)
        sync.start()
        deadline = time.monotonic() + 60
        numbers: dict[str, int] = {}
        while time.monotonic() < deadline and numbers != released:
            time.sleep(0.2)
            if kiosk_db.exists():
                local = CatalogStore(kiosk_db)
                numbers = local.released_numbers()
                local.close()
        assert numbers == released, sync.inbox.failures()
        assert sync.inbox.failures() == []
    finally:
        sync.stop()
        hub.stop()

    catalog, revisions, problem = read_source(kiosk_db)
    assert catalog is not None and problem is None and revisions == released
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style_application(app)
    model = KioskModel(catalog, MemorySink(), revisions=revisions)
    window = KioskWindow(model, receipts=tmp_path / "receipts")
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    for language in ("en", "zh_CN"):
        model.reset()  # a new customer starts in the kiosk's language, then switches
        if model.language != language:
            model.set_language(language)
        title = visible(window, QLabel, "attractTitle")[0].text()
        assert title == {"en": "Pedal & Volt Workshop", "zh_CN": "踏板与伏特电动车工坊"}[language]
        shot(window, artifacts, f"{language}-20-live-attract")
        tap(qtbot, window, "startButton")
        cards = [w for w in visible(window, QLabel, "cardImage")]
        assert cards and all(coloured_pixels(c.pixmap().toImage()) > 50 for c in cards), "every product has its picture"
        shot(window, artifacts, f"{language}-21-live-gallery")
        model.select_product("CARGO")
        assert model.screen == Screen.OPTIONS
        while "colour" not in model.page.attributes:  # one or two questions a page
            tap(qtbot, window, "nextButton")
        tile = visible(window, QPushButton, "option-colour-orange")
        assert len(tile) == 1 and not tile[0].icon().isNull(), "the revision's colour picture on its tile too"
        tap(qtbot, window, "option-colour-orange")
        box = visible(window, QLabel, "productImage")[0]
        picture = box.pixmap().toImage()
        bike = model.picture(model.product.image)
        size = (box.width() - 20, box.height() + 40)
        assert picture == image(bike, *size, "#e0672a").toImage(), "the bike is shown in the chosen colour"
        assert picture != image(bike, *size).toImage(), "not the bike as drawn"
        assert orange_pixels(picture) > 200, "its frame is orange"
        shot(window, artifacts, f"{language}-22-live-options-picture")
        while "cargo_box" not in model.page.attributes:
            tap(qtbot, window, "nextButton")
        tap(qtbot, window, "option-cargo_box-box")
        box = visible(window, QLabel, "productImage")[0]
        picture = box.pixmap().toImage()
        assert not picture.isNull() and coloured_pixels(picture) > 100
        # the bike's own picture draws the box (a data-when part): the customer sees the bike with it, in
        # orange, not the box alone (the box's own picture stays on its tile)
        assert "cargo_box" in model.drawn_attributes()
        with_box = image(bike, *size, "#e0672a", model.picture_choices()).toImage()
        assert dict(model.picture_choices())["cargo_box"] == "box" and picture == with_box
        assert picture != image(model.picture("images/cargo-box.svg"), box.width() - 20, box.height()).toImage()
        shot(window, artifacts, f"{language}-23-live-option-drawn-on-the-bike")
    QThreadPool.globalInstance().waitForDone(5000)  # the window's background reads end before it goes


def test_staff_see_a_revision_that_waits_for_its_pictures(qtbot, tmp_path: Path, artifacts: Path) -> None:
    from kiosk.app import read_catalog
    from kiosk.status import KioskStatus
    from tests.staff_pin import STAFF_HASH, STAFF_PIN

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style_application(app)
    catalog, _ = read_catalog(DEMO)
    assert catalog is not None
    model = KioskModel(catalog, MemorySink(), revisions={"CARGO": 1}, admin_pin_hash=STAFF_HASH)
    model.status_source = lambda revisions: KioskStatus(True, revisions=dict(revisions), catalog_waiting=[("CARGO", 2)])
    window = KioskWindow(model, receipts=tmp_path / "receipts")
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    tap(qtbot, window, "staffCorner")
    for key in STAFF_PIN:
        tap(qtbot, window, f"pin-{key}")
    tap(qtbot, window, "pinOk")
    qtbot.waitUntil(lambda: any("CARGO r2" in w.text() for w in visible(window, QLabel, "staffLine")), timeout=5000)
    lines = [w.text() for w in visible(window, QLabel, "staffLine")]
    assert any("Waiting for pictures before use: CARGO r2" in t and "CARGO r1" in t for t in lines), lines
    shot(window, artifacts, "en-28-staff-revision-waits-for-pictures")
    QThreadPool.globalInstance().waitForDone(5000)
