"""The kiosk's real widgets, offscreen, driven by simulated taps; every screen saved as PNG."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.staff_pin import STAFF_HASH, STAFF_PIN

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint  # noqa: E402

from kiosk.app import read_catalog, style_application  # noqa: E402
from kiosk.events import MemorySink  # noqa: E402
from kiosk.flow import KioskModel, Screen  # noqa: E402
from kiosk.qt import QApplication, QFrame, QLabel, QPushButton, Qt, QWidget
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
    model = KioskModel(catalog, sink, idle_timeout_s=60, admin_pin_hash=STAFF_HASH)
    window = KioskWindow(model, receipts=tmp_path / "receipts")
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    return window, model, sink


def visible(window: QWidget, kind, name: str) -> list:
    """Widgets named ``name`` on screen now (rebuilt widgets show after pending events)."""
    QApplication.processEvents()
    return [w for w in window.findChildren(kind, name) if w.isVisible()]


def cut_tiles(window: QWidget) -> list[str]:
    """Visible tiles (options, popular builds; those with a picture beside their text too) with a line wider
    than the tile inside its padding (6 px a side in kiosk.qss) and border (3 px when focused), or more lines than its height holds, in the
    font the tile is drawn with now."""
    QApplication.processEvents()
    found = []
    for tile in window.findChildren(QPushButton):
        if tile.property("role") != "option" or not tile.isVisible():
            continue
        room = tile.width() - 2 * (6 + 3)
        if not tile.icon().isNull():  # its picture or swatch and a gap of 8 px (live: "not with your choice" cut)
            room -= tile.iconSize().width() + 8
        lines = tile.text().split("\n")
        widest = max(tile.fontMetrics().horizontalAdvance(line) for line in lines)
        if widest > room:
            found.append(f"{tile.objectName()} ({tile.property('state')}): {tile.text()!r} needs {widest} px, has {room}")
        high = len(lines) * tile.fontMetrics().height() + 2 * 2  # the text block, less than the padding's 8 px
        if high > tile.height():
            found.append(f"{tile.objectName()} ({tile.property('state')}): {len(lines)} lines need {high} px high, "
                         f"has {tile.height()}")
    return found


def tap(qtbot, window: QWidget, name: str) -> None:
    visible_buttons = visible(window, QPushButton, name)
    assert len(visible_buttons) == 1, f"{len(visible_buttons)} visible buttons named {name}"
    widget = visible_buttons[0]
    assert widget.width() >= 48 and widget.height() >= 48, f"{name} is {widget.width()}x{widget.height()}"
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def shot(window: QWidget, artifacts: Path, name: str) -> Path:
    QApplication.processEvents()
    path = artifacts / "kiosk" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(path))
    return path


def render_pdf(pdf: Path, png: Path) -> None:
    """The receipt PDF's page as an image, so a person can look at what the printer gets."""
    from PySide6.QtCore import QSize
    from PySide6.QtPdf import QPdfDocument

    document = QPdfDocument()
    assert document.load(str(pdf)) == QPdfDocument.Error.None_, f"{pdf} does not load"
    assert document.pageCount() >= 1
    size = document.pagePointSize(0)
    page = document.render(0, QSize(int(size.width() * 2), int(size.height() * 2)))
    assert not page.isNull()
    from PySide6.QtGui import QColor, QImage, QPainter

    paper = QImage(page.size(), QImage.Format.Format_RGB32)  # the page is transparent: put it on white paper
    paper.fill(QColor("white"))
    painter = QPainter(paper)
    painter.drawImage(0, 0, page)
    painter.end()
    png.parent.mkdir(parents=True, exist_ok=True)  # a test run alone, or first on its worker, had no folder yet
    assert paper.save(str(png))


def candidate_texts(window: QWidget) -> list[str]:
    """The candidates on screen, in order (candidate-0, candidate-1, ...)."""
    shown = {w.objectName(): w.text() for w in window.findChildren(QPushButton) if w.isVisible()
             and w.objectName().startswith("candidate-")}
    return [shown[f"candidate-{i}"] for i in range(len(shown))]


def type_pinyin(qtbot, window: QWidget, letters: str, wanted: str) -> None:
    """Type ``letters`` on the keyboard in 中 mode, page until ``wanted`` shows, tap it."""
    for key in letters:
        tap(qtbot, window, f"key-{key}")
    for _ in range(30):
        texts = candidate_texts(window)
        if wanted in texts:
            tap(qtbot, window, f"candidate-{texts.index(wanted)}")
            return
        tap(qtbot, window, "candidateNext")
    raise AssertionError(f"{wanted} not offered for {letters}")


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
        steps = len(model.pages)
        for step in range(steps):
            assert model.screen == Screen.OPTIONS and model.at == step
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
        if language == "en":
            for key in ("l", "i", "space", "w", "e", "i"):
                tap(qtbot, window, f"key-{key}")
        else:  # the keyboard starts in 中 mode: the name in Chinese, through pinyin
            type_pinyin(qtbot, window, "wang", "王")
            type_pinyin(qtbot, window, "wei", "伟")
        customer_name = {"en": "Li Wei", "zh_CN": "王伟"}[language]
        assert model.name == customer_name
        phone_field = window.findChild(QWidget, "phoneField")
        qtbot.mouseClick(phone_field, Qt.MouseButton.LeftButton)
        for key in "13800138000":
            tap(qtbot, window, f"key-{key}")
        shot(window, artifacts, f"{language}-06-details")
        tap(qtbot, window, "placeButton")
        qtbot.waitUntil(lambda: model.screen == Screen.RECEIPT, timeout=5000)
        placed = sink.of_type("order.placed")[-1]
        assert placed["customer"] == {"name": customer_name, "phone": "13800138000"}
        assert placed["configuration"] == model.configurator.choices
        assert placed["price"] == str(model.price().total)
        number = visible(window, QLabel, "orderNumber")  # what the customer tells staff, readable at 1 m
        assert model.order is not None and len(number) == 1 and number[0].text() == model.order.number
        assert number[0].fontInfo().pixelSize() >= 44
        shot(window, artifacts, f"{language}-07-receipt")
        hint = window.stack.currentWidget().minimumSizeHint()  # every screen fits a 1280x800 display, nothing clipped
        assert window.size().width() == 1280 and window.size().height() == 800, window.size()
        assert hint.width() <= 1280 and hint.height() <= window.stack.height(), hint
        tap(qtbot, window, "printButton")
        qtbot.waitUntil(lambda: not window.busy(), timeout=10000)
        pdf = Path(window.screens[Screen.RECEIPT].printed_path)  # type: ignore[attr-defined]
        assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
        render_pdf(pdf, artifacts / "kiosk" / f"{language}-12-receipt-pdf.png")
        tap(qtbot, window, "doneButton")
        assert model.screen == Screen.ATTRACT and model.order is None
    assert len(sink.of_type("order.placed")) == 2


def go_to_group_of(qtbot, window, model: KioskModel, attribute: str) -> None:
    assert model.product is not None
    target = next(i for i, page in enumerate(model.pages) if attribute in page.attributes)
    while model.at != target:  # the page that asks it (one or two questions a page)
        tap(qtbot, window, "nextButton" if model.at < target else "backButton")


def test_conflict_shows_the_reason_and_switch_to_this_resolves_it(kiosk, qtbot, artifacts):
    from tests.test_kiosk_flow import find_conflict

    window, model, sink = kiosk
    tap(qtbot, window, "startButton")
    tap(qtbot, window, f"product-{model.products()[0].code}")
    a, a_opt, b, b_opt = find_conflict(model)
    go_to_group_of(qtbot, window, model, a)
    tap(qtbot, window, f"option-{a}-{a_opt}")
    go_to_group_of(qtbot, window, model, b)
    tile = visible(window, QPushButton, f"option-{b}-{b_opt}")[0]
    assert tile.property("state") == "unavailable"
    tap(qtbot, window, f"option-{b}-{b_opt}")
    assert model.configurator is not None and model.configurator.choices.get(b) != b_opt
    reasons = [w.text() for w in visible(window, QLabel, "reason")]
    expected = model.option_state(b, b_opt).reason
    assert expected is not None and reasons == ["• " + n.text("en") for n in model.why(b, b_opt)]
    assert reasons[0].startswith("• It does not go with: ") and all("• " + m["en"] in reasons for m in expected.rule_messages)
    for language in ("en", "zh_CN"):
        model.set_language(language)
        shot(window, artifacts, f"{language}-08-conflict")
    model.set_language("en")
    tap(qtbot, window, "askButton")
    assert sink.of_type("kiosk.feedback")[-1]["wanted"] == {b: b_opt}
    tap(qtbot, window, "switchButton")
    assert model.configurator.choices[b] == b_opt and a not in model.configurator.choices
    tile = visible(window, QPushButton, f"option-{b}-{b_opt}")[0]
    assert tile.property("state") == "chosen"
    shot(window, artifacts, "en-09-switched")
    tap(qtbot, window, "undoButton")
    assert model.configurator.choices.get(a) == a_opt


def test_the_reason_panel_never_squeezes_the_top_bar_or_later_screens(kiosk, qtbot):
    from tests.test_kiosk_flow import find_conflict

    window, model, _ = kiosk
    bar = window.findChild(QFrame, "topbar")
    tap(qtbot, window, "startButton")
    tap(qtbot, window, f"product-{model.products()[0].code}")
    QApplication.processEvents()
    height = bar.height()
    a, a_opt, b, b_opt = find_conflict(model)
    go_to_group_of(qtbot, window, model, a)
    tap(qtbot, window, f"option-{a}-{a_opt}")
    go_to_group_of(qtbot, window, model, b)
    tap(qtbot, window, f"option-{b}-{b_opt}")  # the unavailable option: its reasons show
    assert visible(window, QLabel, "reason")
    for language in ("zh_CN", "en"):
        model.set_language(language)
        qtbot.wait(30)
        assert (bar.height(), window.size().height()) == (height, 800), language
    tap(qtbot, window, "nextButton")
    qtbot.wait(30)
    assert bar.height() == height


def test_language_switch_mid_session_keeps_choices_and_translates_everything(kiosk, qtbot):
    window, model, _ = kiosk
    tap(qtbot, window, "startButton")
    tap(qtbot, window, f"product-{model.products()[0].code}")
    view = model.attributes()[0]
    tap(qtbot, window, f"option-{view.code}-{view.options[-1].code}")
    choices = dict(model.configurator.choices)  # type: ignore[union-attr]
    tap(qtbot, window, "languageButton")
    assert model.language == "zh_CN" and model.configurator.choices == choices  # type: ignore[union-attr]
    group = model.groups[model.step]
    QApplication.processEvents()
    texts = {w.objectName(): w.text() for w in window.findChildren(QPushButton) if w.isVisible() and w.text()}
    assert texts["nextButton"] in ("下一步", "查看汇总") and texts["backButton"] == "返回"
    assert texts["languageButton"] == "English"
    heading = [w.text() for w in visible(window, QLabel, "heading")]
    assert heading == [group.label["zh_CN"]]
    assert view.options[-1].label["zh_CN"] in texts[f"option-{view.code}-{view.options[-1].code}"]
    tap(qtbot, window, "languageButton")
    assert [w.text() for w in visible(window, QPushButton, "backButton")] == ["Back"]


def clocked_kiosk(qtbot, tmp_path, idle_timeout_s: int) -> tuple[KioskWindow, KioskModel, list[float]]:
    """A kiosk on the first product's options, on a clock the test moves (``now[0]``)."""
    catalog, _ = read_catalog(kiosk_catalog_folder())
    now = [0.0]
    model = KioskModel(catalog, MemorySink(), idle_timeout_s=idle_timeout_s, clock=lambda: now[0])
    window = KioskWindow(model, receipts=tmp_path)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    tap(qtbot, window, "startButton")
    tap(qtbot, window, f"product-{model.products()[0].code}")
    return window, model, now


def test_idle_kiosk_returns_to_attract_and_forgets_the_customer(qtbot, tmp_path):
    window, model, now = clocked_kiosk(qtbot, tmp_path, 30)
    tap(qtbot, window, "nextButton")
    now[0] += 31
    qtbot.waitUntil(lambda: model.screen == Screen.ATTRACT, timeout=3000)
    assert model.configurator is None and model.name == ""
    assert window.stack.currentWidget() is window.screens[Screen.ATTRACT]


def test_are_you_still_there_covers_the_screen_and_a_tap_on_it_keeps_the_session(qtbot, tmp_path, artifacts):
    style_application(QApplication.instance())  # type: ignore[arg-type]
    window, model, now = clocked_kiosk(qtbot, tmp_path, 90)
    product = model.products()[0].code
    assert not window.still_there.isVisible()
    now[0] += 75
    qtbot.waitUntil(window.still_there.isVisible, timeout=3000)
    assert window.still_there.geometry() == window.rect()  # nothing under it takes the tap
    texts = [w.text() for w in window.still_there.findChildren(QLabel)]
    assert texts[0] == "Are you still there?" and "starts over in 15 s" in texts[1]
    answer = window.still_there.answer
    assert answer.height() >= 56 and answer.text() == "I'm still here"
    shot(window, artifacts, "en-13-still-there")
    model.set_language("zh_CN")
    assert [w.text() for w in window.still_there.findChildren(QLabel)][0] == "您还在吗？"
    shot(window, artifacts, "zh-13-still-there")
    model.set_language("en")
    # a tap beside the card answers too, and reaches nothing underneath
    qtbot.mouseClick(window.still_there, Qt.MouseButton.LeftButton, pos=window.still_there.rect().topLeft() + QPoint(5, 5))
    assert not window.still_there.isVisible()
    assert model.screen == Screen.OPTIONS and model.product is not None and model.product.code == product
    now[0] += 75
    qtbot.waitUntil(window.still_there.isVisible, timeout=3000)
    qtbot.mouseClick(answer, Qt.MouseButton.LeftButton)
    assert not window.still_there.isVisible() and model.screen == Screen.OPTIONS
    now[0] += 91  # no answer: the session is cleared and the question goes with it
    qtbot.waitUntil(lambda: model.screen == Screen.ATTRACT, timeout=3000)
    assert not window.still_there.isVisible()


def test_broken_catalog_shows_out_of_service(qtbot, tmp_path, artifacts):
    import shutil

    broken = tmp_path / "catalog"
    shutil.copytree(REPO / "tests" / "catalogs" / "small", broken)
    (broken / "catalog.yaml").write_text("format: 1\nname: [unclosed\n", encoding="utf-8")
    catalog, problem = read_catalog(broken)
    assert catalog is None and problem and "catalog.yaml" in problem
    model = KioskModel(None, MemorySink(), catalog_problem=problem)
    window = KioskWindow(model, receipts=tmp_path)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    assert window.stack.currentWidget() is window.screens[Screen.OUT_OF_SERVICE]
    titles = [w.text() for w in visible(window, QLabel, "attractTitle")]
    assert titles == ["Out of service"]
    shot(window, artifacts, "en-10-out-of-service")
    model.set_language("zh_CN")
    assert [w.text() for w in visible(window, QLabel, "attractTitle")] == ["暂停服务"]
    shot(window, artifacts, "zh_CN-10-out-of-service")


def test_leaving_needs_the_admin_pin(kiosk, qtbot, artifacts):
    window, model, _ = kiosk
    tap(qtbot, window, "staffCorner")
    assert model.screen == Screen.ADMIN
    for key in "9999":
        tap(qtbot, window, f"pin-{key}")
    tap(qtbot, window, "pinOk")
    assert window.isVisible() and not model.exit_requested
    shot(window, artifacts, "en-11-admin-wrong-pin")
    for key in STAFF_PIN:
        tap(qtbot, window, f"pin-{key}")
    tap(qtbot, window, "pinOk")
    assert window.isVisible() and not model.exit_requested  # the staff panel first
    tap(qtbot, window, "leaveApp")
    assert model.exit_requested and not window.isVisible()


def test_catalog_changes_apply_between_sessions_and_a_broken_one_keeps_the_last_good(qtbot, tmp_path):
    import shutil

    from kiosk.catalog_watch import CatalogWatcher

    folder = tmp_path / "catalog"
    shutil.copytree(REPO / "tests" / "catalogs" / "small", folder)
    model = KioskModel(None, MemorySink())
    watcher = CatalogWatcher(model, folder, interval_ms=3_600_000).start()
    qtbot.waitUntil(lambda: model.catalog is not None, timeout=10000)
    first = model.catalog
    model.start()
    model.select_product("BIKE")
    product_file = folder / "products" / "bike.yaml"
    product_file.write_text(product_file.read_text(encoding="utf-8").replace("base_price: 5000", "base_price: 5100"),
                            encoding="utf-8")
    assert watcher.check()
    qtbot.waitUntil(lambda: not watcher.busy, timeout=10000)
    assert model.catalog is first and model.product is not None  # not in the middle of a session
    model.reset()
    assert model.catalog is not first and model.catalog.products["BIKE"].base_price == 5100  # type: ignore[union-attr]
    good = model.catalog
    product_file.write_text("code: BIKE\nitem: [\n", encoding="utf-8")
    assert watcher.check()
    qtbot.waitUntil(lambda: not watcher.busy, timeout=10000)
    assert model.catalog is good and model.screen == Screen.ATTRACT
    assert model.catalog_problem is not None and "bike.yaml" in model.catalog_problem
    assert not watcher.check()  # unchanged since: nothing to do
    watcher.stop()


def test_back_and_next_reuse_built_pages_and_their_tiles_still_work(kiosk, qtbot):
    window, model, _ = kiosk
    tap(qtbot, window, "startButton")
    tap(qtbot, window, f"product-{model.products()[0].code}")
    first_page = window.screens[Screen.OPTIONS].scroller.widget()  # type: ignore[attr-defined]
    tap(qtbot, window, "nextButton")
    tap(qtbot, window, "backButton")
    assert model.step == 0 and window.screens[Screen.OPTIONS].scroller.widget() is first_page  # type: ignore[attr-defined]
    view = model.attributes()[0]
    target = next(o for o in view.options if o.available and not o.chosen)
    tap(qtbot, window, f"option-{view.code}-{target.code}")
    assert model.configurator is not None and model.configurator.choices[view.code] == target.code
    tile = visible(window, QPushButton, f"option-{view.code}-{target.code}")[0]
    assert tile.property("state") == "chosen"


def go_to_details(qtbot, window: QWidget, model: KioskModel) -> None:
    tap(qtbot, window, "startButton")
    tap(qtbot, window, f"product-{model.products()[0].code}")
    while model.screen == Screen.OPTIONS:
        tap(qtbot, window, "nextButton")
    tap(qtbot, window, "orderButton")
    assert model.screen == Screen.DETAILS


def test_typing_wang_and_tapping_the_character_fills_the_name_field(kiosk, qtbot, artifacts):
    window, model, _ = kiosk
    go_to_details(qtbot, window, model)
    tap(qtbot, window, "languageButton")
    assert model.language == "zh_CN" and model.input_mode == "pinyin"
    # before a letter, the candidate row says what it is for, and no paging arrows stand there greyed
    assert [w.text() for w in visible(window, QLabel, "composition")] == ["输入拼音，再点选汉字"]
    assert not visible(window, QPushButton, "candidateNext") and not visible(window, QPushButton, "candidatePrevious")
    for key in "wang":
        tap(qtbot, window, f"key-{key}")
    texts = candidate_texts(window)
    assert "王" in texts and len(texts) == model.composer.page_size
    assert [w.text() for w in visible(window, QLabel, "composition")] == [f"wang  1/{model.composer.pages()}"]
    for name in (f"candidate-{i}" for i in range(len(texts))):
        candidate = visible(window, QPushButton, name)[0]
        assert candidate.width() >= 48 and candidate.height() >= 48
    shot(window, artifacts, "zh_CN-13-pinyin-candidates")
    tap(qtbot, window, f"candidate-{texts.index('王')}")
    name_field = window.findChild(QWidget, "nameField")
    assert name_field.text() == "王" and candidate_texts(window) == []  # type: ignore[attr-defined]
    assert [w.text() for w in visible(window, QLabel, "composition")] == ["输入拼音，再点选汉字"]


def test_candidate_pages_turn_with_next_and_previous(kiosk, qtbot, artifacts):
    window, model, _ = kiosk
    go_to_details(qtbot, window, model)
    model.set_language("zh_CN")
    for key in "wei":
        tap(qtbot, window, f"key-{key}")
    first = candidate_texts(window)
    assert "伟" in first, "the common given name is on the first page (candidates ranked by common use)"
    shot(window, artifacts, "zh_CN-14-pinyin-wei-first-page")
    assert not visible(window, QPushButton, "candidatePrevious")[0].isEnabled()
    tap(qtbot, window, "candidateNext")
    second = candidate_texts(window)
    assert second and not set(first) & set(second)
    shot(window, artifacts, "zh_CN-14-pinyin-page-2")
    tap(qtbot, window, "candidatePrevious")
    assert candidate_texts(window) == first
    tap(qtbot, window, "key-backspace")
    assert model.composer.letters == "we" and model.name == ""


def test_the_mode_key_switches_between_chinese_and_latin_letters(kiosk, qtbot, artifacts):
    window, model, _ = kiosk
    go_to_details(qtbot, window, model)
    model.set_language("zh_CN")
    mode = visible(window, QPushButton, "key-mode")[0]
    assert mode.text().startswith("中") and visible(window, QWidget, "candidateBar")
    tap(qtbot, window, "key-mode")
    assert model.input_mode == "latin" and mode.text().startswith("EN") and not visible(window, QWidget, "candidateBar")
    for key in "li":
        tap(qtbot, window, f"key-{key}")
    assert model.name == "Li"
    shot(window, artifacts, "zh_CN-15-keyboard-latin")
    tap(qtbot, window, "key-mode")
    type_pinyin(qtbot, window, "wei", "伟")
    assert window.findChild(QWidget, "nameField").text() == "Li伟"  # type: ignore[attr-defined]
    hint = window.minimumSizeHint()  # the candidate row still fits a 1280x800 kiosk display
    assert hint.width() <= 1280 and hint.height() <= 800, hint


def order_placed(qtbot, window, model: KioskModel) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style_application(app)
    model.start()
    model.select_product(model.products()[0].code)
    while model.screen == Screen.OPTIONS:
        model.next()
    model.to_details()
    model.set_field("name", "王伟")
    model.set_field("phone", "13800138000")
    window.place_order()
    qtbot.waitUntil(lambda: model.screen == Screen.RECEIPT, timeout=5000)


def test_a_receipt_for_a_printer_that_does_not_exist_says_so_and_keeps_the_pdf(qtbot, tmp_path, artifacts):
    catalog, _ = read_catalog(kiosk_catalog_folder())
    model = KioskModel(catalog, MemorySink(), language="zh_CN")
    window = KioskWindow(model, receipts=tmp_path / "receipts", printer="floorlink-no-such-printer")
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    order_placed(qtbot, window, model)
    tap(qtbot, window, "printButton")
    qtbot.waitUntil(lambda: not window.busy(), timeout=10000)
    assert list((tmp_path / "receipts").glob("receipt-*.pdf")), "the PDF is written whatever the printer"
    notice = [w for w in visible(window, QLabel, "notice") if w.text()]
    assert len(notice) == 1 and notice[0].property("tone") == "error"
    text = notice[0].text()
    assert text == "凭条未能打印，请联系店员为您打印。"  # the printer setting and what to do: staff panel and log
    assert any("kiosk.printer" in note and "floorlink-no-such-printer" in note for note in model.staff_notes)
    shot(window, artifacts, "zh_CN-16-printer-missing")


def test_the_receipt_paints_on_a_printer_as_on_the_pdf(qtbot, tmp_path, artifacts):
    """The QPrinter path (a queue set in kiosk.printer) draws the same receipt; here the printer
    writes its output to a file, so it runs without a print server."""
    from kiosk.qt import QPrinter
    from kiosk.receipt import paint_receipt

    catalog, _ = read_catalog(kiosk_catalog_folder())
    model = KioskModel(catalog, MemorySink(), language="zh_CN")
    window = KioskWindow(model, receipts=tmp_path)
    qtbot.addWidget(window)
    order_placed(qtbot, window, model)
    assert model.order is not None
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    from kiosk.qt import QMarginsF, QPageSize

    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A6))
    printer.setPageMargins(QMarginsF(8, 8, 8, 8))
    paint_receipt(printer, model.order, "zh_CN")
    assert (tmp_path / "printed.pdf").read_bytes().startswith(b"%PDF")
    render_pdf(tmp_path / "printed.pdf", artifacts / "kiosk" / "zh_CN-17-receipt-printer.png")


def test_a_receipt_goes_to_a_real_printer_queue_when_one_is_set_up(qtbot, tmp_path):
    """Runs where CUPS has a queue (e.g. cups + printer-driver-cups-pdf with one added by lpadmin)."""
    import shutil
    import subprocess

    from kiosk.qt import QPrinterInfo

    names = QPrinterInfo.availablePrinterNames()
    if not names:
        pytest.skip("no printer queue on this machine (lpstat -p): the missing-printer and QPrinter tests cover the rest")

    def jobs() -> int:
        lpstat = shutil.which("lpstat")
        if lpstat is None:
            return 0
        listed = subprocess.run([lpstat, "-W", "all", "-o", names[0]], capture_output=True, text=True, timeout=20)
        return len(listed.stdout.splitlines())

    before = jobs()
    catalog, _ = read_catalog(kiosk_catalog_folder())
    model = KioskModel(catalog, MemorySink())
    window = KioskWindow(model, receipts=tmp_path, printer=names[0])
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    order_placed(qtbot, window, model)
    tap(qtbot, window, "printButton")
    qtbot.waitUntil(lambda: not window.busy(), timeout=20000)
    notice = [w.text() for w in visible(window, QLabel, "notice") if w.text()]
    assert notice == ["Your receipt is printing."]
    if shutil.which("lpstat"):
        assert jobs() == before + 1, "the queue got the job"


def test_a_receipt_that_cannot_be_written_says_so_on_screen_and_logs_why(qtbot, tmp_path, artifacts, caplog):
    """The receipts folder is a file: writing the PDF fails. The screen says so (it used to wait forever,
    busy and blank), the kiosk is not left busy, and the log has the traceback."""
    blocker = tmp_path / "receipts"
    blocker.write_text("not a folder")
    catalog, _ = read_catalog(kiosk_catalog_folder())
    model = KioskModel(catalog, MemorySink())
    window = KioskWindow(model, receipts=blocker)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    order_placed(qtbot, window, model)
    with caplog.at_level("ERROR"):
        tap(qtbot, window, "printButton")
        qtbot.waitUntil(lambda: not window.busy(), timeout=10000)
    notice = [w for w in visible(window, QLabel, "notice") if w.text()]
    assert len(notice) == 1 and notice[0].property("tone") == "error"
    assert notice[0].text() == "The receipt could not be saved, please ask our staff."
    assert any(str(blocker) in note for note in model.staff_notes)
    failures = [r for r in caplog.records if r.exc_info and "receipt" in r.getMessage()]
    assert failures and failures[0].exc_info[0] in (FileExistsError, NotADirectoryError)
    shot(window, artifacts, "en-18-receipt-not-saved")


def test_a_tile_keeps_a_number_with_its_unit_and_a_times_sign_with_both_sides(qapp) -> None:
    """A cargo tile read "Side bags (2 ×" over "60 l)". Numbers stay with their unit and "×" with both sides;
    a tied group wider than the tile is untied rather than cut between letters."""
    from kiosk.qt import QFont, QFontMetrics
    from kiosk.tile_text import wrap_line

    metrics = QFontMetrics(QFont("DejaVu Sans", 16))
    width = metrics.horizontalAdvance
    assert wrap_line("Side bags (2 × 60 l)", metrics, width("Side bags (2 ×") + 2) == ["Side bags", "(2 × 60 l)"]
    assert wrap_line("2 × 625 Wh (110 km)", metrics, width("2 × 625 Wh") + 2) == ["2 × 625 Wh", "(110 km)"]
    assert wrap_line("(2 × 60 l)", metrics, width("(2 × 60") + 2) == ["(2 × 60", "l)"], "untied, not cut"
    assert wrap_line("Air, 160 mm (enduro)", metrics, width("Air, 160 mm") - 2) == ["Air,", "160 mm", "(enduro)"]
