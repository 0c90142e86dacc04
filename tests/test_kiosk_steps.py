"""One decision at a time: every options page of the demo catalogs fits 1280x800 without a scrollbar (the
real widgets measured, both languages), defaults are preselected and marked, each tile has its price,
the side panel's steps and "Looks good — go to summary" skip preselected pages (screenshots of every page)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from kiosk.app import read_catalog, style_application  # noqa: E402
from kiosk.events import MemorySink  # noqa: E402
from kiosk.flow import KioskModel, Screen  # noqa: E402
from kiosk.i18n import languages  # noqa: E402
from kiosk.promise import day_text  # noqa: E402
from kiosk.qt import QApplication, QLabel, QPushButton, QThreadPool  # noqa: E402
from kiosk.steps import MAX_QUESTIONS  # noqa: E402
from kiosk.texts import ZH_CN  # noqa: E402
from kiosk.window import KioskWindow  # noqa: E402
from sync.catalog import load_catalog  # noqa: E402
from tests.test_kiosk_ui import cut_tiles, shot, tap, visible  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CATALOGS = [REPO / "assets" / "catalog", REPO / "tests" / "catalogs" / "small"]


def open_window(qtbot, tmp_path, folder: Path, size: tuple[int, int] = (1280, 800)) -> tuple[KioskWindow, KioskModel]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style_application(app)
    catalog, problem = read_catalog(folder)
    assert catalog is not None, problem
    model = KioskModel(catalog, MemorySink(), idle_timeout_s=600)
    window = KioskWindow(model, receipts=tmp_path / "receipts")
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    return window, model


@pytest.fixture
def reset_language():
    yield
    QThreadPool.globalInstance().waitForDone(5000)
    languages().use("en")


#: the kiosk's own 1280x800 panel, then the other screens shops mount: an old 4:3 panel, a laptop-class
#: panel, a full-HD one and a full-HD store totem in portrait (each step must fit every one of them)
SIZES = [(1280, 800), (1024, 768), (1366, 768), (1920, 1080), (1080, 1920)]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
@pytest.mark.parametrize("folder,size", [(CATALOGS[0], size) for size in SIZES] + [(CATALOGS[1], SIZES[0])],
                         ids=lambda p: p.name if isinstance(p, Path) else "x".join(map(str, p)))
def test_every_options_page_fits_the_screen_without_scrolling(qtbot, tmp_path, artifacts, reset_language,
                                                               folder, size, language) -> None:
    window, model = open_window(qtbot, tmp_path, folder, size)
    assert (window.width(), window.height()) == size, "the window grew past the screen"
    measured = 0
    for product in [card.code for card in model.products()]:
        model.reset()  # back in the kiosk's own language
        model.set_language(language)
        model.start()
        model.select_product(product)
        while model.screen == Screen.OPTIONS:
            QApplication.processEvents()
            screen = window.screens[Screen.OPTIONS]
            questions = model.attributes()
            assert 1 <= len(questions) <= MAX_QUESTIONS, [q.code for q in questions]
            area = screen.scroller  # type: ignore[attr-defined]
            page = area.widget()
            assert area.verticalScrollBar().maximum() == 0, f"{product} page {model.at + 1} scrolls"
            assert page.sizeHint().height() <= area.viewport().height(), \
                f"{product} page {model.at + 1}: {page.sizeHint().height()} px in {area.viewport().height()}"
            assert (visible(window, QPushButton, "nextButton")[0].text() in ("Next", "See summary")) == (language == "en")
            for name in ("runningTotal", "runningDate"):  # the running total and date always in view
                shown = visible(window, QLabel, name)
                assert len(shown) == 1 and shown[0].visibleRegion().boundingRect().height() == shown[0].height()
            for view in questions:
                for option in view.options:
                    tile = visible(window, QPushButton, f"option-{view.code}-{option.code}")
                    assert len(tile) == 1 and tile[0].height() >= 56 and tile[0].width() >= 56
            assert not cut_tiles(window), f"{product} page {model.at + 1}: {cut_tiles(window)}"
            # "Step 3 of 10" counted pages beside five group buttons: steps are groups, pages within one
            groups = sorted({p.step for p in model.pages})
            mine = [i for i, p in enumerate(model.pages) if p.step == model.pages[model.at].step]
            said = screen.step_label.text()  # type: ignore[attr-defined]
            numbers = [groups.index(model.pages[model.at].step) + 1, len(groups)]
            if len(mine) > 1:
                numbers += [mine.index(model.at) + 1, len(mine)]
            assert [int(n) for n in re.findall(r"\d+", said)] == numbers, (said, numbers)
            shown = screen.step_label  # type: ignore[attr-defined]
            assert shown.heightForWidth(shown.width()) <= shown.height(), (said, shown.size())  # nothing cut
            # a portrait side panel read "Long-tail cargo e-" over "bike": no breakable hyphen inside a word
            assert not re.search(r"\w-\w", screen.product_name.text()), screen.product_name.text()  # type: ignore[attr-defined]
            assert (window.width(), window.height()) == size, f"{product} page {model.at + 1} grew the window"
            if folder.name == "catalog" and product == "CARGO" and size == SIZES[0]:
                shot(window, artifacts, f"{language}-40-step-{model.at + 1:02d}-{model.groups[model.step].code}")
            elif folder.name == "catalog" and product == "CARGO" and model.at in (0, 2):
                shot(window, artifacts, f"{language}-41-size-{size[0]}x{size[1]}-step-{model.at + 1:02d}")
            measured += 1
            model.next()
    assert measured >= (30 if folder.name == "catalog" else 3)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_defaults_are_preselected_and_marked_and_every_tile_has_its_price(qtbot, tmp_path, reset_language,
                                                                          language) -> None:
    window, model = open_window(qtbot, tmp_path, CATALOGS[0])
    model.set_language(language)
    tap(qtbot, window, "startButton")
    tap(qtbot, window, "product-CARGO")
    tap(qtbot, window, "stepButton-drive")
    motor = {o.code: visible(window, QPushButton, f"option-motor-{o.code}")[0] for o in model.attributes()[0].options}
    recommended, included = {"en": ("Recommended", "included"), "zh_CN": ("默认", "已含")}[language]
    assert motor["hub250r"].property("state") == "chosen", "the default is preselected"
    assert recommended in motor["hub250r"].text() and included in motor["hub250r"].text()
    assert "+ ¥1,500" in motor["mid65"].text() and recommended not in motor["mid65"].text()
    assert "motor" not in model._config().choices, "preselected, not chosen: the kiosk fills it on Next"
    tap(qtbot, window, "option-motor-mid65")
    assert motor["mid65"].property("state") == "chosen" and motor["hub250r"].property("state") == "available"
    assert recommended in motor["hub250r"].text(), "the mark stays on the catalog's default"


def test_next_takes_the_option_shown_preselected_whatever_the_customer_tapped_before(tmp_path) -> None:
    """Seen on the live kiosk: a tall rider's e-MTB showed frame XL preselected; after a tap on the greyed S
    and a colour, Next took L (the solver's pick depended on what it was asked before)."""
    for history in ([], [("frame_size", "S")], [("frame_size", "S"), ("frame_size", "M")]):
        model = KioskModel(load_catalog(CATALOGS[0], deep=False), MemorySink())
        model.start()
        model.select_product("MTB")
        model.tap_option("rider_height", "h180")
        model.next()
        for attribute, option in history:  # unavailable for a tall rider: the reason is shown, nothing chosen
            model.tap_option(attribute, option)
        model.tap_option("colour", "orange")
        shown = {view.code: view.suggested for view in model.attributes()}
        model.next()
        assert model.filled == {"frame_size": shown["frame_size"]}, history
        assert shown["frame_size"] == "L", "the possible size nearest the catalog's default M"


def test_a_choice_that_forces_a_priced_option_says_so_when_the_total_rises(tmp_path) -> None:
    """Seen live: 85 Nm (+¥2,500) and 750 Wh (+¥900) on ¥19,299 showed ¥23,199; the +¥500 brakes the 85 Nm
    motor needs were first named on the summary."""
    model = KioskModel(load_catalog(CATALOGS[0], deep=False), MemorySink())
    model.start()
    model.select_product("MTB")
    while "motor" not in model.page.attributes:
        model.next()
    start = total = model.price(so_far=True).total
    model.tap_option("motor", "mid85")
    assert model.notice is not None
    assert model.notice.text("en") == "Mid-drive, 85 Nm needs Brakes: 4-piston hydraulic +¥500: it is in the total."
    assert model.notice.text("zh_CN", lambda t: ZH_CN.get(t, t)) == "中置 85 牛·米需要搭配刹车：四活塞油压碟刹 +¥500，已计入总价。"
    assert model.price(so_far=True).total == total + Decimal(2500) + Decimal(500), "the notice explains the rise"
    total = model.price(so_far=True).total
    model.tap_option("battery", "b750")  # goes with the 85 Nm motor's controller: nothing else to pay
    assert model.notice is None
    assert model.price(so_far=True).total == total + Decimal(900)
    model.finish()
    assert model.price().total == start + Decimal(2500 + 500 + 900), "the summary's total is the one the panel showed"
    model.reset()
    model.start()
    model.select_product("MTB")
    while "rear_shock" not in model.page.attributes:
        model.next()
    total = model.price(so_far=True).total
    model.tap_option("rear_shock", "coil")  # forces three priced options: a list the reader can split
    assert model.notice is not None
    assert model.notice.text("en") == ("Full, coil shock needs Suspension fork: Air, 160 mm (enduro) +¥2,100; "
                                       "Seatpost: Dropper post +¥600; Brakes: 4-piston hydraulic +¥500: they are in "
                                       "the total."), model.notice.text("en")
    assert model.notice.text("zh_CN", lambda t: ZH_CN.get(t, t)).endswith("四活塞油压碟刹 +¥500，均已计入总价。")
    assert model.price(so_far=True).total == total + Decimal(3900 + 2100 + 600 + 500)


def test_steps_and_looks_good_take_the_preselected_options_of_the_pages_passed(tmp_path) -> None:
    model = KioskModel(load_catalog(CATALOGS[0], deep=False), MemorySink())
    model.start()
    model.select_product("CARGO")
    assert model.can_finish()
    model.tap_option("rider_height", "h180")
    drive = next(i for i, g in enumerate(model.groups) if g.code == "drive")
    model.jump(drive)
    assert model.groups[model.step].code == "drive" and model.page.index == 0
    passed = [a for page in model.pages if page.step < drive for a in page.attributes]
    assert all(a in model.filled for a in passed if a != "rider_height") and "rider_height" not in model.filled
    model.tap_option("battery", "dual")  # needs the 85 Nm motor, the 20 A controller and the fast charger
    model.finish()
    assert model.screen == Screen.SUMMARY and model._config().is_complete()
    picked = {p.attribute: p.option for p in model.picked}
    assert picked["motor"] == "mid85" and picked["charger"] == "fast", "priced picks are announced"
    assert model.notice is not None and "+¥3,000" in model.notice.text("en")
    assert model.price().total == model.price().base + sum(line.delta for line in model.price().lines)
    assert sum(line.delta for line in model.price().lines) > Decimal(0)
    model.back()  # from the summary: the last page, not the first of the last group
    assert model.at == len(model.pages) - 1
    model.jump(0)  # back to the start: nothing is filled or dropped on the way back
    assert model.at == 0 and model._config().is_complete()


def test_a_question_a_switch_cleared_on_an_earlier_page_is_answered_before_the_summary(tmp_path) -> None:
    """Found on the live demo: the 20 A controller's "Switch to this" removed the battery chosen two pages
    earlier, and "Looks good" showed a summary (and would have placed an order) without a battery."""
    for leave in ("finish", "next"):
        model = KioskModel(load_catalog(CATALOGS[0], deep=False), MemorySink())
        model.start()
        model.select_product("CARGO")
        while "controller" not in model.page.attributes:
            model.next()
        # the 500 Wh battery the kiosk filled in rules the 20 A out; it was no choice of the customer's, so the
        # tap takes the 20 A at once and leaves the battery open again (it took "Switch to this" before)
        assert model._rules_state("controller", "c20").available is False and "battery" in model.filled
        assert model.option_state("controller", "c20").available
        model.tap_option("controller", "c20")
        assert model._config().choices["controller"] == "c20" and "battery" not in model._config().choices
        assert "battery" not in model.filled
        if leave == "finish":
            model.finish()
        else:
            while model.screen != Screen.SUMMARY:
                model.next()
        assert model.screen == Screen.SUMMARY and model._config().is_complete(), leave
        battery = model._config().choices["battery"]
        assert battery != "b500", f"{leave}: the battery the switch removed is not put back"
        option = model.product.attribute("battery").option(battery)
        assert option is not None and option.price > 0
        assert "battery" in {p.attribute for p in model.picked}, f"{leave}: the priced pick is announced"
        model.to_details()
        assert model.notice is None and model.picked == [], "no 'Tap Change' on the details page, which has none"


def test_after_a_look_at_the_summary_the_kiosks_own_picks_rule_out_no_option_the_customer_taps() -> None:
    """Seen on the live demo (City, in Chinese): "Looks good", then Back to the first step: the other rider
    heights were greyed "not with your choices" because of the frame size the kiosk had picked for the
    summary; the customer had chosen nothing. A tap on one now takes it, and the frame size is picked again to fit."""
    model = KioskModel(load_catalog(CATALOGS[0], deep=False), MemorySink())
    model.start()
    model.select_product("CITY")
    model.finish()
    assert model.screen == Screen.SUMMARY and model.filled["frame_size"] == "M"
    model.back()
    model.jump(0)
    heights = next(a for a in model.attributes() if a.code == "rider_height")
    assert all(o.available for o in heights.options), [(o.code, o.available) for o in heights.options]
    model.tap_option("rider_height", "h180")
    choices = model._config().choices
    assert choices["rider_height"] == "h180" and "frame_size" not in choices, "the picked M left, open again"
    model.finish()
    assert model._config().choices["frame_size"] in ("L", "XL"), "picked again, to fit the tall rider"
    # a choice of the customer's own still rules options out, as before
    model.back()
    model.jump(0)
    while "frame_size" not in model.page.attributes:
        model.next()
    model.tap_option("frame_size", "XL")
    sizes_first = next(a for a in model.attributes() if a.code == "frame_size")
    assert {o.code for o in sizes_first.options if o.available} >= {"L", "XL"}
    model.jump(0)
    heights = next(a for a in model.attributes() if a.code == "rider_height")
    assert not next(o for o in heights.options if o.code == "h150").available, "XL was the customer's choice"


def test_the_running_total_already_counts_a_priced_option_a_choice_forced(qtbot, tmp_path, reset_language) -> None:
    """Found on the live demo: the twin battery (+2,400) needs a mid-drive motor; the options page said
    "Total so far: 15,399" and the summary, after "Looks good", 19,649 with four options "picked for you"."""
    window, model = open_window(qtbot, tmp_path, CATALOGS[0])
    tap(qtbot, window, "startButton")
    tap(qtbot, window, "product-CARGO")
    while "battery" not in model.page.attributes:
        tap(qtbot, window, "nextButton")
    tap(qtbot, window, "option-battery-dual")
    assert not cut_tiles(window), "the chosen tile and the motor it forced read in full"
    shown = visible(window, QLabel, "runningTotal")[0].text()
    # an independent sum: base price + each option's catalog price, of the configuration the summary will hold
    product = load_catalog(CATALOGS[0], deep=False).products["CARGO"]
    tap(qtbot, window, "finishButton")
    assert model.screen == Screen.SUMMARY
    chosen = model._config().choices
    expected = product.base_price + sum(a.option(chosen[a.code]).price for a in product.attributes)
    assert f"{expected:,.0f}" in shown, (shown, expected)
    assert "motor" in {p.attribute for p in model.picked if p.price > 0}, "the forced motor is still announced"
    window.close()


def test_option_tiles_show_their_picture_or_colour_swatch_else_text(qtbot, tmp_path, artifacts, reset_language) -> None:
    window, model = open_window(qtbot, tmp_path / "demo", CATALOGS[0])  # colours with pictures (the revision's files)
    tap(qtbot, window, "startButton")
    tap(qtbot, window, "product-CARGO")
    while "colour" not in model.page.attributes:
        tap(qtbot, window, "nextButton")
    for code in ("black", "sand", "orange"):
        tile = visible(window, QPushButton, f"option-colour-{code}")[0]
        assert not tile.icon().isNull() and tile.height() >= 56, code
    assert visible(window, QPushButton, "option-frame_size-S")[0].icon().isNull(), "no picture: a text tile"
    shot(window, artifacts, "en-43-picture-tiles")
    window.close()
    window, model = open_window(qtbot, tmp_path / "small", CATALOGS[1])  # colours with a swatch only
    tap(qtbot, window, "startButton")
    tap(qtbot, window, "product-BIKE")
    while "colour" not in model.page.attributes:
        tap(qtbot, window, "nextButton")
    red = visible(window, QPushButton, "option-colour-red")[0]
    assert not red.icon().isNull() and red.property("picture") == "true"
    patch = red.icon().pixmap(48, 48).toImage().pixelColor(24, 24)
    assert (patch.red(), patch.green(), patch.blue()) == (0xc8, 0x10, 0x2e), "the swatch is the catalog's colour"
    shot(window, artifacts, "en-44-swatch-tiles")


def test_a_tile_text_wraps_to_its_width_and_takes_smaller_type_only_when_its_lines_would_not_fit(qtbot) -> None:
    from kiosk import tile_text

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style_application(app)
    tile = QPushButton()
    tile.setProperty("role", "option")
    tile.setFixedHeight(96)
    qtbot.addWidget(tile)
    tile.installEventFilter(tile_text.WrapOnResize(tile))
    tile_text.set_text(tile, "Strong, 20 A\n+ ¥300\nnot with your choices")
    for width in (600, 190, 190, 600):  # wide, narrow, narrow again (no flip-flop), wide again
        tile.setFixedWidth(width)
        tile_text.fit_text(tile)
        room = width - 2 * tile_text.SIDE
        lines = tile.text().split("\n")
        assert all(tile.fontMetrics().horizontalAdvance(line) <= room for line in lines), (width, lines)
        assert len(lines) * tile.fontMetrics().height() <= tile.height()
        assert (tile.property("dense") == "true") == (width == 190) and (len(lines) > 3) == (width == 190)
    assert tile.text() == "Strong, 20 A\n+ ¥300\nnot with your choices"
    assert tile_text.wrap_line("两个电池组合更远距离", tile.fontMetrics(), 60)[0] != "两个电池组合更远距离"  # no spaces


@pytest.mark.parametrize("language", ["en", "zh_CN"])
@pytest.mark.parametrize("size", SIZES, ids=lambda p: "x".join(map(str, p)))
def test_the_details_page_keeps_the_bike_its_total_and_date_in_view_while_typing(qtbot, tmp_path, artifacts,
                                                                               reset_language, size, language) -> None:
    """Total and date always visible (issue 16): the name and phone page showed only fields and keys, so a
    customer typing could not see what she was about to order, for how much and when."""
    from tests.test_dashboard_wall import clipped

    window, model = open_window(qtbot, tmp_path, CATALOGS[0], size)
    model.set_language(language)
    tap(qtbot, window, "startButton")
    tap(qtbot, window, "product-CARGO")
    while "battery" not in model.page.attributes:
        tap(qtbot, window, "nextButton")
    tap(qtbot, window, "option-battery-dual")
    tap(qtbot, window, "finishButton")
    summary_total = visible(window, QLabel, "totalAmount")[0].text()
    tap(qtbot, window, "orderButton")
    assert model.screen == Screen.DETAILS
    if language == "zh_CN":  # the candidate row is up: the tallest the page gets
        for key in "wang":
            tap(qtbot, window, f"key-{key}")
    else:
        for key in "lee":
            tap(qtbot, window, f"key-{key}")
    QApplication.processEvents()
    screen = window.screens[Screen.DETAILS]
    total = visible(window, QLabel, "runningTotal")
    date = visible(window, QLabel, "runningDate")
    assert len(total) == 1 and len(date) == 1
    assert summary_total in total[0].text(), (summary_total, total[0].text())
    about = model.date_story().about
    assert about is not None
    assert day_text(about, (lambda t: ZH_CN.get(t, t)) if language == "zh_CN" else (lambda t: t)) in date[0].text()
    for shown in (total[0], date[0], visible(window, QLabel, "recapImage")[0]):
        assert shown.visibleRegion().boundingRect().height() == shown.height(), shown.objectName()
    assert not visible(window, QLabel, "recapImage")[0].pixmap().isNull(), "the bike's picture"
    assert clipped(screen) == [], clipped(screen)
    assert screen.minimumSizeHint().height() <= screen.height(), "squeezed: the keyboard's last row was cut"
    assert (window.width(), window.height()) == size, "the window grew past the screen"
    shot(window, artifacts, f"{language}-42-details-{size[0]}x{size[1]}")
    window.close()


@pytest.mark.parametrize("language", ["en", "zh_CN"])
@pytest.mark.parametrize("size", SIZES, ids=lambda p: "x".join(map(str, p)))
def test_every_bike_card_shows_its_whole_picture_and_the_cards_line_up(qtbot, tmp_path, artifacts, reset_language,
                                                                       size, language) -> None:
    """Seen at 1280x800: the e-MTB's two-line name squeezed its picture, cut at top and bottom, so that
    bike looked smaller than the others and its name overlapped the picture once the picture kept its size."""
    window, model = open_window(qtbot, tmp_path, CATALOGS[0], size)
    model.set_language(language)
    tap(qtbot, window, "startButton")
    cards = sorted((w for w in window.findChildren(QPushButton) if w.isVisible() and w.property("role") == "card"),
                   key=lambda w: w.objectName())
    assert len(cards) == len(model.products()) >= 3
    for card in cards:
        picture = next(w for w in card.findChildren(QLabel) if w.objectName() == "cardImage")
        assert picture.height() >= picture.pixmap().height() > 100, (card.objectName(), picture.height())
        below = [w for w in card.findChildren(QLabel) if w is not picture and w.text()]
        assert all(w.y() >= picture.y() + picture.height() for w in below), f"{card.objectName()}: words over the picture"
        assert all(w.y() + w.height() <= card.height() for w in below), f"{card.objectName()}: words below the card"
    assert len({c.height() for c in cards}) == 1 and len({c.y() for c in cards}) == 1, "the cards line up"
    assert (window.width(), window.height()) == size, "the window grew past the screen"
    shot(window, artifacts, f"{language}-43-gallery-{size[0]}x{size[1]}")
    window.close()


def test_progress_counts_the_groups_the_side_panel_lists_and_pages_within_one() -> None:
    """The model's count, checked on the demo cargo bike walked to the end with the test's own tally."""
    catalog, problem = read_catalog(CATALOGS[0])
    assert catalog is not None, problem
    model = KioskModel(catalog, MemorySink())
    model.start()
    model.select_product("CARGO")
    seen = []
    while model.screen == Screen.OPTIONS:
        seen.append((model.step, model.progress()))
        model.next()
    groups = sorted({step for step, _ in seen})
    for step, (number, steps, _part, parts) in seen:
        pages_of_step = [s for s, _ in seen if s == step]
        assert (number, steps, parts) == (groups.index(step) + 1, len(groups), len(pages_of_step))
    assert [p[2] for _, p in seen] == [k + 1 for step in groups for k in range(len([s for s, _ in seen if s == step]))]
    assert len(seen) > len(groups), "the cargo bike has a step of several pages"
