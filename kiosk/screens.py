"""The kiosk screens: thin widgets that draw the KioskModel and forward taps to it.

Each screen has ``refresh()``; it reads the model and redraws (content screens rebuild their
children, which takes a few milliseconds). No rule lives here.
"""

from __future__ import annotations

import re
from functools import partial

from kiosk import tile_text
from kiosk.flow import AttributeView, KioskModel
from kiosk.i18n import money, pick, tr
from kiosk.promise import DateStory
from kiosk.qt import (
    QBoxLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QIcon,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QShowEvent,
    QSize,
    QSizePolicy,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from kiosk.status import age_text
from kiosk.steps import ICON, TILE_COLUMNS, TILE_HEIGHT, tile_height
from kiosk.texts import N_
from kiosk.widgets import MIN_TARGET, button, clear, image, label, restyle, swatch
from sync.wrapping import whole_words


class ScreenBase(QWidget):
    def __init__(self, model: KioskModel, name: str) -> None:
        super().__init__()
        self.model = model
        self.setObjectName(name)
        self.root = QVBoxLayout(self)
        self.root.setContentsMargins(32, 16, 32, 16)
        self.root.setSpacing(12)

    def refresh(self) -> None:  # pragma: no cover - every screen overrides it
        raise NotImplementedError


def nav_bar(*buttons: QWidget, stretch_after: int = 1) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(16)
    for index, widget in enumerate(buttons):
        if index == stretch_after:
            row.addStretch(1)
        row.addWidget(widget)
    if len(buttons) <= stretch_after:
        row.addStretch(1)
    return row


class AttractScreen(ScreenBase):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model, "attract")
        self.title = label("", "attractTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.subtitle = label("", "attractSubtitle")
        self.subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.start = button("", model.start, "startButton", role="primary")
        self.start.setMinimumHeight(120)
        self.root.addStretch(2)
        self.root.addWidget(self.title)
        self.root.addWidget(self.subtitle)
        self.root.addStretch(1)
        self.root.addWidget(self.start, alignment=Qt.AlignmentFlag.AlignHCenter)
        self.root.addStretch(2)

    def refresh(self) -> None:
        catalog = self.model.catalog
        self.title.setText(pick(dict(catalog.name), self.model.language) if catalog else "")
        self.subtitle.setText(tr("Design your own bike. Built for you, in our workshop."))
        self.start.setText(tr("Touch to start"))
        self.start.setMinimumWidth(520)


CARD_WIDTH, CARD_HEIGHT = 302, 360
"""A bike card's least size: three cards and their gaps fit a 1024 px wide screen (the window must never
grow past it); taller when its words need it."""


class GalleryScreen(ScreenBase):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model, "gallery")
        self.heading = label("", "heading")
        self.root.addWidget(self.heading)
        self.grid = QGridLayout()
        self.grid.setSpacing(24)
        self.root.addLayout(self.grid)
        self.root.addStretch(1)
        self.back = button("", model.back, "backButton")
        self.root.addLayout(nav_bar(self.back))

    def refresh(self) -> None:
        lang = self.model.language
        self.heading.setText(tr("Choose your bike"))
        self.back.setText(tr("Back"))
        clear(self.grid)
        tiles: list[tuple[QPushButton, QVBoxLayout]] = []
        for index, card in enumerate(self.model.products()):
            tile = button("", partial(self.model.select_product, card.code), f"product-{card.code}",
                          role="card")
            tile.setMinimumSize(CARD_WIDTH, CARD_HEIGHT)
            box = QVBoxLayout(tile)
            box.setContentsMargins(16, 16, 16, 16)
            picture = QLabel()
            picture.setObjectName("cardImage")
            picture.setPixmap(image(card.image, 270, 180))
            picture.setFixedHeight(180)  # a two-line name squeezed the e-MTB's picture, cutting it top and bottom
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            picture.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            name = label(pick(card.name, lang), "cardTitle")
            name.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            text = label(pick(card.description, lang), "cardText")
            text.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            price = label(tr("from {price}").format(price=money(card.base_price, card.currency)), "cardPrice")
            price.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            for widget in (picture, name, text, price):
                box.addWidget(widget)
            box.addStretch(1)
            tiles.append((tile, box))
            self.grid.addWidget(tile, index // 3, index % 3)
        # a button does not grow with its layout: every card as tall as the one with the most words needs
        # at the narrowest width, so pictures and names line up
        tallest = max((box.totalHeightForWidth(CARD_WIDTH) for _, box in tiles), default=0)
        for tile, _ in tiles:
            tile.setMinimumHeight(max(CARD_HEIGHT, tallest))


#: the options screen's side panel and its picture: (panel width, picture width, picture height); a
#: screen narrower than 1200 px (1024x768) gives the tiles the difference
SIDE_WIDE = (372, 340, 190)
SIDE_NARROW = (324, 292, 163)
#: a portrait screen (a 1080x1920 store totem) puts the side panel above the tiles as a strip: the
#: picture's size there (the panel takes the screen's width and the height its steps need)
SIDE_PORTRAIT_PICTURE = (420, 260)
#: the picture gives up height, down to this, when the words and the steps need the room (a two-line
#: product name and five groups at 1280x800 overlapped the step buttons and cut the last one off)
PICTURE_MIN_HEIGHT = 96
STEPS_GAP = 8  # between the words and the list of groups


class OptionsScreen(ScreenBase):
    """One attribute group: options as big tiles, the focused option's details, navigation."""

    _shape: tuple[bool, bool]  # laid out for (a screen narrower than 1200 px, a portrait screen)

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 - Qt's name
        size = event.size()
        shape = (size.width() < 1200, size.height() > size.width())
        if shape != self._shape:
            self._shape = shape
            narrow, portrait = shape
            vertical, horizontal = QBoxLayout.Direction.TopToBottom, QBoxLayout.Direction.LeftToRight
            if portrait:  # the panel a strip above the tiles: picture, total and date, steps side by side
                self.body.setDirection(vertical)
                self.side.setDirection(horizontal)
                self.side_box.setMinimumWidth(0)
                self.side_box.setMaximumWidth(16777215)
                self.picture.setFixedSize(*SIDE_PORTRAIT_PICTURE)
                self.side.setStretchFactor(self.words, 1)  # across, the words take the width the steps leave
            else:
                panel, width, height = SIDE_NARROW if narrow else SIDE_WIDE
                self.body.setDirection(horizontal)
                self.side.setDirection(vertical)
                self.side_box.setFixedWidth(panel)
                self.picture.setFixedSize(width, height)
                self.side.setStretchFactor(self.words, 0)  # down, the steps follow the words
            self.root.setContentsMargins(*((16, 16, 16, 16) if narrow else (32, 16, 32, 16)))
            self.body.setSpacing(12 if narrow else 24)
            if self.model.product is not None:
                self.refresh()  # the picture again, at its new size
        super().resizeEvent(event)

    def __init__(self, model: KioskModel) -> None:
        super().__init__(model, "options")
        self._wrapper = tile_text.WrapOnResize(self)
        body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        body.setSpacing(24)
        self.body = body
        self.side = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.picture = QLabel()
        self.picture.setObjectName("productImage")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setFixedSize(SIDE_WIDE[1], SIDE_WIDE[2])
        self.product_name = label("", "sideTitle")
        self.step_label = label("", "stepLabel")
        self.total = label("", "runningTotal")
        self.ready = label("", "runningDate")
        self.ready.setWordWrap(True)
        self.step_label.setWordWrap(True)  # "Step 1 of 4, page 1 of 2" is wider than a portrait side panel
        self.side.addWidget(self.picture)
        words = QVBoxLayout()
        for widget in (self.product_name, self.step_label, self.total, self.ready):
            words.addWidget(widget)
        words.addStretch(0)  # portrait: the words stay at the top of the strip
        self.side.addLayout(words)
        self.words = words
        self.steps = QVBoxLayout()  # the groups: a tap goes straight to one (pages passed take their defaults)
        self.steps.setSpacing(6)
        self.side.addSpacing(STEPS_GAP)
        self.side.addLayout(self.steps)
        self.side.addStretch(1)
        self._steps_key: tuple[object, ...] = ()
        side_box = QWidget()
        side_box.setObjectName("sidePanel")
        side_box.setLayout(self.side)
        side_box.setFixedWidth(SIDE_WIDE[0])
        self.side_box = side_box
        self._shape = (False, False)
        body.addWidget(side_box)

        main = QVBoxLayout()
        self.heading = label("", "heading")
        main.addWidget(self.heading)
        self.scroller = QScrollArea()
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        main.addWidget(self.scroller, 1)
        self.detail = QFrame()
        self.detail.setObjectName("detailPanel")
        self.detail_layout = QVBoxLayout(self.detail)
        main.addWidget(self.detail)
        body.addLayout(main, 1)
        self.root.addLayout(body, 1)

        self.back = button("", model.back, "backButton")
        self.undo = button("", model.undo, "undoButton")
        self.finish = button("", model.finish, "finishButton")
        """"Looks good — go to summary": every open question takes its preselected option."""
        self.next = button("", model.next, "nextButton", role="primary")
        self.root.addLayout(nav_bar(self.back, self.undo, self.finish, self.next, stretch_after=2))
        self._layout_key: tuple[object, ...] = ()
        self._shown_focus: tuple[str, str] | None = None
        self._stale: set[QPushButton] = set()
        self._tiles: dict[tuple[str, str], QPushButton] = {}
        self._pages: dict[tuple[object, ...], tuple[QWidget, dict[tuple[str, str], QPushButton]]] = {}
        """Built group pages of the current product (and language): Back/Next swap them in."""

    def refresh(self) -> None:
        model = self.model
        if model.product is None:
            return
        lang = model.language
        group = model.groups[model.step]
        views = model.attributes()
        self.heading.setText(pick(dict(group.label), lang))
        self.product_name.setText(whole_words(pick(dict(model.product.name), lang)))
        step, steps, part, parts = model.progress()
        self.step_label.setText(tr("Step {step} of {steps}").format(step=step, steps=steps) if parts == 1 else
                                tr("Step {step} of {steps}, page {part} of {parts}").format(
                                    step=step, steps=steps, part=part, parts=parts))
        self._refresh_steps()
        price = model.price(so_far=True)
        self.total.setText(tr("Total so far: {price}").format(price=money(price.total, price.currency)))
        self.ready.setText(model.date_story(so_far=True).side_text(tr))
        self._fit_picture()
        path, whole = self._picture_path(views)
        # the product's picture may lose a band of its own background to fill the box; an option's picture
        # (a frame's drawing) is shown whole: cut to the box, it lost its top and bottom
        self.picture.setPixmap(image(path, self.picture.width() - 20, self.picture.height() + (0 if whole else 40),
                                     None if whole else model.paint(), () if whole else model.picture_choices()))
        self.back.setText(tr("Back"))
        self.undo.setText(tr("Undo"))
        self.undo.setEnabled(model.can_undo())
        last = model.at + 1 == len(model.pages)
        self.next.setText(tr("See summary") if last else tr("Next"))
        self.finish.setText(tr("Looks good — go to summary"))
        self.finish.setVisible(not last and model.can_finish())
        layout_key = (model.product.code, model.at, lang, id(model.popular) if model.at == 0 else None)
        if layout_key != self._layout_key:  # another page: swap it in (built once)
            if any(key[0] != model.product.code or key[2] != lang for key in self._pages):
                self._drop_pages(keep=None)
            self._layout_key = layout_key
            self.scroller.takeWidget()  # keep the old page (cached) instead of deleting it
            page, self._tiles = self._page(model.at)
            self.scroller.setWidget(page)
            if model.at + 1 < len(model.pages):  # build the next page while the customer reads
                QTimer.singleShot(0, partial(self._prebuild, model.at + 1))
        for view in views:  # after a tap: only texts and states change (fast)
            self._update_tiles(view)
        if model.at == 0:
            self._update_builds()
        self._refresh_detail()
        self._shown_focus = model.focus
        tile = self._tiles.get(model.focus) if model.focus else None
        if tile is not None:  # the reason panel takes room from the list: keep the tapped tile in view
            self._reveal(tile)
            QTimer.singleShot(0, partial(self._reveal, tile))

    def _fit_picture(self) -> bool:
        """Beside the tiles, the side panel holds the picture, the words and one 56 px button per group in
        the body's height: the picture takes what the others leave, from its full size down to
        PICTURE_MIN_HEIGHT. True when its size changed (draw it again)."""
        narrow, portrait = self._shape
        room = self.body.geometry().height()
        if portrait or room <= 0:  # not laid out yet: the first show fits it
            return False
        _, width, full = SIDE_NARROW if narrow else SIDE_WIDE
        margins = self.side.contentsMargins()
        inner = self.side_box.width() - margins.left() - margins.right()
        words = self.words.heightForWidth(inner) if self.words.hasHeightForWidth() else self.words.sizeHint().height()
        buttons = self.steps.count()
        steps = buttons * MIN_TARGET + max(buttons - 1, 0) * self.steps.spacing()
        # picture, words, the gap before the steps, the steps: the layout's spacing between each
        others = margins.top() + margins.bottom() + words + STEPS_GAP + steps + 3 * max(self.side.spacing(), 0)
        height = max(PICTURE_MIN_HEIGHT, min(full, room - others))
        if height == self.picture.height():
            return False
        self.picture.setFixedSize(width, height)
        return True

    def _refit(self) -> None:
        if self.model.product is not None and self.isVisible() and self._fit_picture():
            self.refresh()

    def _reveal(self, tile: QPushButton) -> None:
        if tile.isVisible():
            self.root.activate()  # the panel's height is applied now, so the list's viewport is its real size
            page = self.scroller.widget()
            inner = page.layout() if page is not None else None
            if inner is not None:
                inner.activate()
            self.scroller.ensureWidgetVisible(tile, 0, 24)

    def _prebuild(self, at: int) -> None:
        if self.model.product is not None and at < len(self.model.pages):
            self._page(at)

    def _refresh_steps(self) -> None:
        """The side panel's list of groups: done ones ticked, the current one highlighted; a tap jumps there."""
        model = self.model
        assert model.product is not None
        key = (model.product.code, model.step, model.language)
        if key == self._steps_key:
            return
        self._steps_key = key
        clear(self.steps)
        for index, group in enumerate(model.groups):
            state = "current" if index == model.step else ("done" if index < model.step else "later")
            text = ("✓ " if state == "done" else "") + pick(dict(group.label), model.language)
            step = button(text, partial(model.jump, index), f"stepButton-{group.code}", role="step")
            step.setProperty("state", state)
            self.steps.addWidget(step)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        QTimer.singleShot(0, self._refit)  # laid out now: the side panel's real height
        if self._stale:
            QTimer.singleShot(0, self._polish_stale)

    def _drop_pages(self, keep: QWidget | None) -> None:
        self._stale.clear()
        for page, _ in self._pages.values():
            if page is not keep:
                page.deleteLater()
        self._pages = {}

    def _page(self, at: int) -> tuple[QWidget, dict[tuple[str, str], QPushButton]]:
        """Options page ``at``: its questions' titles, help and one tile per option (kiosk.steps sizes)."""
        model = self.model
        assert model.product is not None
        key = (model.product.code, at, model.language, id(model.popular) if at == 0 else None)
        if key in self._pages:
            return self._pages[key]
        lang = model.language
        page = QWidget()
        page.setObjectName("optionsContent")
        column = QVBoxLayout(page)
        column.setSpacing(12)
        tiles: dict[tuple[str, str], QPushButton] = {}
        if at == 0:  # popular builds to start from (the catalog's Standard build without the hub's)
            column.addWidget(label(tr("Start from a popular build"), "attributeTitle"))
            strip = QGridLayout()
            strip.setSpacing(12)
            for index, _build in enumerate(model.builds()):
                tile = button("", partial(model.load_build, index), f"build-{index}", role="option")
                tile.setMinimumHeight(TILE_HEIGHT)  # grows to show every line of its summary
                tile.installEventFilter(self._wrapper)
                tiles[("", str(index))] = tile
                strip.addWidget(tile, 0, index)
            for column_index in range(TILE_COLUMNS):
                strip.setColumnStretch(column_index, 1)
            column.addLayout(strip)
        asked = model.pages[at].attributes
        for attribute in model.product.attributes:
            if attribute.code not in asked:
                continue
            column.addWidget(label(pick(dict(attribute.label), lang), "attributeTitle"))
            if attribute.help:
                column.addWidget(label(pick(dict(attribute.help), lang), "attributeHelp"))
            grid = QGridLayout()
            grid.setSpacing(12)
            for index, option in enumerate(attribute.options):
                tile = button("", partial(model.tap_option, attribute.code, option.code),
                              f"option-{attribute.code}-{option.code}", role="option")
                tile.setFixedHeight(tile_height(attribute))
                tile.installEventFilter(self._wrapper)
                # the option's picture when it has one, its colour when it is a colour, else the text alone
                picture = image(model.picture(option.image), ICON, ICON) if option.image else None
                if (picture is None or picture.isNull()) and option.swatch:
                    picture = swatch(option.swatch, ICON)
                if picture is not None and not picture.isNull():
                    tile.setIcon(QIcon(picture))
                    tile.setIconSize(QSize(ICON, ICON))
                    tile.setProperty("picture", "true")
                tiles[(attribute.code, option.code)] = tile
                grid.addWidget(tile, index // TILE_COLUMNS, index % TILE_COLUMNS)
            for column_index in range(TILE_COLUMNS):  # a two-option question keeps the tiles' width
                grid.setColumnStretch(column_index, 1)
            column.addLayout(grid)
        column.addStretch(1)
        self._pages[key] = (page, tiles)
        return page, tiles

    def _picture_path(self, views: list[AttributeView]):  # type: ignore[no-untyped-def]
        """The chosen option's picture on this page (True: show it whole), else the product's (False). A
        colour (an option with a swatch) shows on the product's picture, painted, not as its chip; so does an
        option the product's picture draws itself (the step-through frame)."""
        model = self.model
        assert model.product is not None
        drawn = model.drawn_attributes()
        for view in views:
            if view.code in drawn:
                continue
            for option in view.options:
                if option.chosen and option.image and not option.swatch:
                    return model.picture(option.image), True
        return model.picture(model.product.image), False

    def _update_tiles(self, view: AttributeView) -> None:
        model = self.model
        lang = model.language
        currency = model.product.currency if model.product else "CNY"
        chosen_here = model.configurator is not None and view.code in model.configurator.choices
        for option in view.options:
            tile = self._tiles[(view.code, option.code)]
            text = pick(option.label, lang)
            text += "\n" + (money(option.price, currency, sign=True).replace("+", "+ ", 1) if option.price
                            else tr("included"))
            if not option.available:
                text += "\n" + tr("not with your choices")
            elif option.code == view.default:
                text += "\n" + tr("Recommended")
            tile_text.set_text(tile, text)
            # the option the kiosk takes on Next shows chosen already: the customer changes only what matters
            preselected = not chosen_here and option.available and option.code == view.suggested
            state = "chosen" if option.chosen or preselected else ("available" if option.available else "unavailable")
            focused = "true" if model.focus == (view.code, option.code) else "false"
            if tile.property("state") != state or tile.property("focused") != focused:
                tile.setProperty("state", state)
                tile.setProperty("focused", focused)
                if tile.isVisible():  # a new tile is polished with its properties when first shown
                    restyle(tile)
                else:  # a cached page's tile (or this screen) is hidden now: polish it once it shows
                    self._stale.add(tile)
        if self._stale:
            QTimer.singleShot(0, self._polish_stale)

    def _update_builds(self) -> None:
        """The popular builds' tiles: name, total and what differs from the Standard build."""
        model = self.model
        currency = model.product.currency if model.product else "CNY"
        for index, build in enumerate(model.builds()):
            tile = self._tiles.get(("", str(index)))
            if tile is None:
                continue
            # one line per differing option, never elided: the customer reads what the build changes in full
            differs = "\n".join(pick(option, model.language) for option in build.differs[:2])
            differs = differs or tr("no changes")
            text = f"{tr(build.name)}\n{money(build.total, currency)}\n{differs}"
            tile_text.set_text(tile, text)
            untouched = model.build is None and not (model.configurator and model.configurator.choices)
            state = "chosen" if model.build == index or (untouched and build.standard) else "available"
            if tile.property("state") != state:
                tile.setProperty("state", state)
                tile.setProperty("focused", "false")
                restyle(tile)

    def _polish_stale(self) -> None:
        """Tiles whose state changed while hidden (e.g. the kiosk filled them on Next) show it once visible."""
        for tile in list(self._stale):
            if tile.isVisible():
                restyle(tile)
                self._stale.discard(tile)

    def _refresh_detail(self) -> None:
        model = self.model
        lang = model.language
        clear(self.detail_layout)
        if model.notice is not None:
            notice = label(model.notice.text(lang, tr), "notice")
            notice.setProperty("tone", model.notice.tone)
            self.detail_layout.addWidget(notice)
        if model.picked:
            self.detail_layout.addLayout(change_row(model))
        if model.focus is None:
            self.detail.setVisible(model.notice is not None)
            return
        self.detail.setVisible(True)
        attribute, option = model.focus
        state = model.option_state(attribute, option)
        actions = []
        if not state.available and state.reason is not None:
            for line in model.why(attribute, option):
                self.detail_layout.addWidget(label("• " + line.text(lang, tr), "reason"))
            actions.append(button(tr("Switch to this"), lambda: model.switch_to(attribute, option),
                                  "switchButton", role="primary"))
            actions.append(button(tr("Ask for this combination"), lambda: model.ask_for_combination(attribute, option),
                                  "askButton"))
        unclear = button(tr("Not clear? Tell us"), lambda: model.flag_unclear(attribute, option),
                         "unclearButton", role="quiet")
        if actions:  # the fix on one row, "unclear" on the next, so long labels never clip
            row = QHBoxLayout()
            for action in actions:
                row.addWidget(action)
            row.addStretch(1)
            self.detail_layout.addLayout(row)
            self.detail_layout.addWidget(unclear, 0, Qt.AlignmentFlag.AlignRight)
            return
        row = QHBoxLayout()  # an available option: its name, and a way to say it is unclear
        if model.notice is None:
            row.addWidget(label(pick(state.label, lang), "focusName", wrap=False))
        row.addStretch(1)
        row.addWidget(unclear)
        self.detail_layout.addLayout(row)


def change_row(model: KioskModel) -> QGridLayout:
    """One "Change …" button per option the kiosk picked (with a price) when the customer tapped Next,
    three to a row so a long list never widens the screen."""
    grid = QGridLayout()
    for index, picked in enumerate(model.picked):
        grid.addWidget(button(tr("Change {attribute}").format(attribute=pick(picked.attribute_label, model.language)),
                              partial(model.change, picked.attribute), f"change-{picked.attribute}"),
                       index // 3, index % 3)
    grid.setColumnStretch(3, 1)
    return grid


class SummaryScreen(ScreenBase):
    """The price breakdown (scrolls), the total (never scrolls), what the kiosk picked, the date, Order."""

    def __init__(self, model: KioskModel) -> None:
        super().__init__(model, "summary")
        self.heading = label("", "heading")
        self.root.addWidget(self.heading)
        body = QHBoxLayout()
        self.picture = QLabel()
        self.picture.setObjectName("summaryImage")
        self.picture.setFixedSize(360, 260)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignTop)
        self.lines = QGridLayout()
        self.lines.setHorizontalSpacing(24)
        self.lines.setVerticalSpacing(6)
        lines_box = QWidget()
        lines_box.setObjectName("summaryLines")
        holder = QVBoxLayout(lines_box)
        holder.addLayout(self.lines)
        holder.addStretch(1)
        self.scroller = QScrollArea()  # fifteen attributes scroll instead of pushing the buttons off screen
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setWidget(lines_box)
        column = QVBoxLayout()
        column.addWidget(self.scroller, 1)
        total_row = QHBoxLayout()  # outside the scroller: the total is always in view
        self.total_label = label("", "totalLabel", wrap=False)
        self.total = label("", "totalAmount", wrap=False)
        total_row.addWidget(self.total_label)
        total_row.addStretch(1)
        total_row.addWidget(self.total)
        column.addLayout(total_row)
        body.addLayout(column, 1)
        self.root.addLayout(body, 1)
        self.picked_box = QFrame()
        self.picked_box.setObjectName("detailPanel")
        self.picked_layout = QVBoxLayout(self.picked_box)
        self.root.addWidget(self.picked_box)
        self.estimate = label("", "estimate")
        self.root.addWidget(self.estimate)
        self.back = button("", model.back, "backButton")
        self.order = button("", model.to_details, "orderButton", role="primary")
        self.root.addLayout(nav_bar(self.back, self.order))

    def refresh(self) -> None:
        model = self.model
        if model.product is None:
            return
        lang = model.language
        product = model.product
        self.heading.setText(tr("Your {product}").format(product=pick(dict(product.name), lang)))
        self.picture.setPixmap(image(model.picture(product.image), 340, 250, model.paint(), model.picture_choices()))
        price = model.price()
        clear(self.lines)
        self.lines.addWidget(label(tr("Base price"), "lineLabel"), 0, 0)
        self.lines.addWidget(label(money(price.base, price.currency), "lineAmount"), 0, 2)
        for row, line in enumerate(price.lines, start=1):
            attribute = product.attribute(line.attribute)
            self.lines.addWidget(label(pick(dict(attribute.label), lang) if attribute else line.attribute,
                                       "lineAttribute"), row, 0)
            text = pick(line.label, lang)
            if model.announced(line.attribute, line.delta) and model.filled.get(line.attribute) == line.option:
                text += " · " + tr("picked for you")
            self.lines.addWidget(label(text, "lineLabel"), row, 1)
            amount = money(line.delta, price.currency, sign=True) if line.delta else tr("included")
            self.lines.addWidget(label(amount, "lineAmount"), row, 2)
        self.total_label.setText(tr("Total"))
        self.total.setText(money(price.total, price.currency))
        clear(self.picked_layout)
        if model.notice is not None:
            notice = label(model.notice.text(lang, tr), "notice")
            notice.setProperty("tone", model.notice.tone)
            self.picked_layout.addWidget(notice)
        if model.picked:
            self.picked_layout.addLayout(change_row(model))
        self.picked_box.setVisible(model.notice is not None or bool(model.picked))
        self.estimate.setText(model.date_story().summary_text(tr))
        self.back.setText(tr("Back"))
        self.order.setText(tr("Order now"))


KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
WORD_START = re.compile(r"(?:^|[ -]|(?:^|[ -])[A-Za-z]')$")
"""Where a typed letter is a capital: a name's start, after a space or hyphen (Anne-Marie), after O' or D'."""
"""Letters for the name (a name has no digits); the phone field gets the number pad instead."""
NUMPAD = ("123", "456", "789", "+0⌫")
"""Beside the letters, always: digits can only be the phone number, letters only the name, so each
key goes to its field and the customer never has to tap the phone field first."""
KEY_HEIGHT = 58
"""Keys stay above the 56 px touch target, with room for a gloved or hurried finger."""
CANDIDATE_SIZE = 64
"""Candidate characters are bigger than keys: they are what the customer reads and picks."""


class Keyboard(QFrame):
    """On-screen keyboard: letters auto-capitalise at the start of a word; in 中 mode letters
    compose pinyin and a row of candidates (paged with ‹ ›) shows above the keys."""

    def __init__(self, model: KioskModel) -> None:
        super().__init__()
        self.model = model
        self.setObjectName("keyboard")
        grid = QVBoxLayout(self)
        grid.setSpacing(4)
        grid.setContentsMargins(8, 8, 8, 8)
        self.candidate_bar = QFrame()
        self.candidate_bar.setObjectName("candidateBar")
        self.candidate_bar.setFixedHeight(CANDIDATE_SIZE + 8)
        bar = QHBoxLayout(self.candidate_bar)
        bar.setContentsMargins(8, 4, 8, 4)
        bar.setSpacing(6)
        self.composition = label("", "composition", wrap=False)
        self.composition.setMinimumWidth(160)
        bar.addWidget(self.composition)
        self.candidates: list[QPushButton] = []
        for index in range(model.composer.page_size):
            candidate = button("", partial(model.pick_candidate, index), f"candidate-{index}", role="candidate")
            candidate.setMinimumSize(CANDIDATE_SIZE, CANDIDATE_SIZE)
            self.candidates.append(candidate)
            bar.addWidget(candidate)
        bar.addStretch(1)
        self.previous = button("‹", partial(model.candidate_page, -1), "candidatePrevious", role="key")
        self.next = button("›", partial(model.candidate_page, 1), "candidateNext", role="key")
        for page_key in (self.previous, self.next):
            page_key.setFixedSize(CANDIDATE_SIZE, CANDIDATE_SIZE)
            bar.addWidget(page_key)
        grid.addWidget(self.candidate_bar)
        self.letters = QWidget()
        self.letters.setObjectName("letterKeys")
        letters = QVBoxLayout(self.letters)
        letters.setContentsMargins(0, 0, 0, 0)
        letters.setSpacing(4)
        for row in KEY_ROWS:
            line = QHBoxLayout()
            line.setSpacing(4)
            line.addStretch(1)
            for char in row:
                key = button(char.upper(), partial(self._type, char), f"key-{char}", role="key")
                self._size(key, 78, 60)
                line.addWidget(key, 100)  # the keys grow to full size before the margins do
            line.addStretch(1)
            letters.addLayout(line)
        last = QHBoxLayout()
        last.addStretch(1)
        self.mode = button("", model.toggle_input_mode, "key-mode", role="key")
        self._size(self.mode, 140, 110)
        last.addWidget(self.mode, 100)
        self.dot = button("·", partial(self.model.type_into, "name", "·"), "key-dot", role="key")
        self._size(self.dot, 72, 56)
        last.addWidget(self.dot, 100)
        # in its place for Latin letters: names such as O'Brien (review: the rules allowed ' and no key typed it)
        self.apostrophe = button("'", partial(self.model.type_into, "name", "'"), "key-apostrophe", role="key")
        self._size(self.apostrophe, 72, 56)
        last.addWidget(self.apostrophe, 100)
        for text, key_name, width, narrow in (("-", "-", 72, 56), ("␣", "space", 280, 180),
                                              ("⌫", "backspace", 120, 90)):
            key = button(text, partial(self.model.type_into, "name", key_name), f"key-{key_name}", role="key")
            self._size(key, width, narrow)
            last.addWidget(key, 100)
        last.addStretch(1)
        letters.addLayout(last)
        blocks = QHBoxLayout()
        blocks.setSpacing(24)
        blocks.addWidget(self.letters, 3)
        self.numpad = QWidget()  # the phone number's pad, beside the letters
        self.numpad.setObjectName("numberPad")
        pad = QVBoxLayout(self.numpad)
        pad.setContentsMargins(0, 0, 0, 0)
        pad.setSpacing(4)
        for keys in NUMPAD:
            line = QHBoxLayout()
            line.setSpacing(6)
            for char in keys:
                key_name = "backspace" if char == "⌫" else char
                key = button(char, partial(self.model.type_into, "phone", key_name),
                             "key-phone-backspace" if char == "⌫" else f"key-{char}", role="key")
                self._size(key, 96, 72)
                line.addWidget(key, 1)
            pad.addLayout(line)
        blocks.addWidget(self.numpad, 1, Qt.AlignmentFlag.AlignTop)
        grid.addLayout(blocks)

    @staticmethod
    def _size(key: QPushButton, wide: int, narrow: int) -> None:
        """A key ``wide`` px wide where the screen has room, down to ``narrow`` (>= 56 px) where it has not:
        with fixed full-size keys the letters and the number pad grew a 1024 px window to 1220 px."""
        key.setMinimumSize(narrow, KEY_HEIGHT)
        key.setMaximumSize(wide, KEY_HEIGHT)
        key.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def _type(self, char: str) -> None:
        current = self.model.name
        if self.model.input_mode == "latin" and char.isalpha() and WORD_START.search(current):
            char = char.upper()
        self.model.type_into("name", char)

    def refresh(self) -> None:
        """Show the input mode, and in 中 mode the typed pinyin and the page of candidates."""
        model = self.model
        chinese = model.input_mode == "pinyin"
        self.mode.setText("中 ⇄ EN" if model.input_mode == "pinyin" else "EN ⇄ 中")
        if self.mode.property("mode") != model.input_mode:
            self.mode.setProperty("mode", model.input_mode)
            restyle(self.mode)
        self.dot.setVisible(chinese)
        self.apostrophe.setVisible(not chinese)
        self.candidate_bar.setVisible(chinese)
        if not chinese:
            return
        composer = model.composer
        shown = composer.visible() if model.composing() else []
        typed = "'".join(composer.syllables()) if model.composing() else ""
        if typed and composer.pages() > 1:
            typed += f"  {composer.page + 1}/{composer.pages()}"
        # an empty white bar with two greyed arrows told a stranger nothing: say what it is for
        self.composition.setText(typed or tr("Type the pinyin, then tap the character"))
        hint = "false" if typed else "true"
        if self.composition.property("hint") != hint:
            self.composition.setProperty("hint", hint)
            restyle(self.composition)
        for page_key in (self.previous, self.next):
            page_key.setVisible(bool(typed))
        for index, candidate in enumerate(self.candidates):
            text = shown[index].text if index < len(shown) else ""
            if candidate.text() != text:
                candidate.setText(text)
            candidate.setVisible(bool(text))
        self.previous.setEnabled(model.composing() and composer.has_previous())
        self.next.setEnabled(model.composing() and composer.has_next())


RECAP_PICTURE = QSize(108, 72)
"""The details page's picture of the bike being ordered: small, the keyboard needs the height."""


class DetailsScreen(ScreenBase):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model, "details")
        self.heading = label("", "heading")
        self.root.addWidget(self.heading)
        form = QGridLayout()
        form.setHorizontalSpacing(16)
        self.name_label = label("", "fieldLabel")
        self.phone_label = label("", "fieldLabel")
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("nameField")
        self.phone_edit = QLineEdit()
        self.phone_edit.setObjectName("phoneField")
        self.name_error = label("", "fieldError")
        self.phone_error = label("", "fieldError")
        for column, (lbl, edit, err, field) in enumerate(((self.name_label, self.name_edit, self.name_error, "name"),
                                                         (self.phone_label, self.phone_edit, self.phone_error, "phone"))):
            edit.setMinimumHeight(64)
            edit.textEdited.connect(lambda text, f=field: self.model.set_field(f, text))
            edit.installEventFilter(self)
            form.addWidget(lbl, 0, column * 2)  # side by side: the keyboard and its candidate row need the height
            form.addWidget(edit, 0, column * 2 + 1)
            form.addWidget(err, 1, column * 2 + 1)
            form.setColumnStretch(column * 2 + 1, 1)
        self.root.addLayout(form)
        self.notice = label("", "notice")
        self.root.addWidget(self.notice)
        # what is being ordered stays in view while typing: picture, total and date (issue 16)
        recap = QHBoxLayout()
        recap.setSpacing(24)
        self.recap_picture = QLabel()
        self.recap_picture.setObjectName("recapImage")
        self.recap_picture.setFixedSize(RECAP_PICTURE)
        self.recap_picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        recap.addWidget(self.recap_picture)
        words = QVBoxLayout()
        words.setSpacing(2)
        self.recap_product = label("", "sideTitle", wrap=False)
        self.recap_total = label("", "runningTotal", wrap=False)
        self.recap_date = label("", "runningDate", wrap=False)
        words.addWidget(self.recap_product)
        money_and_date = QHBoxLayout()  # one line: the keyboard and its candidate row need the height
        money_and_date.setSpacing(24)
        money_and_date.addWidget(self.recap_total)
        money_and_date.addWidget(self.recap_date, 1)
        words.addLayout(money_and_date)
        recap.addLayout(words, 1)
        self.root.addLayout(recap)
        self.root.addStretch(1)
        self.keyboard = Keyboard(model)
        self.root.addWidget(self.keyboard)
        self.back = button("", model.back, "backButton")
        self.place = button("", self._place, "placeButton", role="primary")
        self.root.addLayout(nav_bar(self.back, self.place))
        self.on_place = lambda: None
        self._recap_key: tuple[object, ...] = ()

    def _place(self) -> None:
        self.on_place()

    def _refresh_recap(self) -> None:
        """The bike, total and date: drawn again only when they can have changed, not on every key the
        customer types (each refresh would render the picture and work out price and date again)."""
        model = self.model
        if model.product is None or model.configurator is None:
            return
        key = (model.product.code, tuple(sorted(model.configurator.choices.items())), model.language,
               model.date_story())
        if key == self._recap_key:
            return
        self._recap_key = key
        price = model.price()
        self.recap_picture.setPixmap(image(model.picture(model.product.image),
                                           RECAP_PICTURE.width(), RECAP_PICTURE.height(), model.paint(),
                                           model.picture_choices()))
        self.recap_product.setText(pick(dict(model.product.name), model.language))
        self.recap_total.setText(tr("Total: {price}").format(price=money(price.total, price.currency)))
        self.recap_date.setText(key[3].side_text(tr))

    def eventFilter(self, watched, event):  # type: ignore[no-untyped-def]  # noqa: N802 - Qt API
        from kiosk.qt import QEvent

        if event.type() == QEvent.Type.MouseButtonPress:  # a tap, not Qt giving focus back to the last field
            field = "name" if watched is self.name_edit else "phone"
            if self.model.active_field != field:
                self.model.focus_field(field)
        return False

    def refresh(self) -> None:
        model = self.model
        self.heading.setText(tr("Your details"))
        self._refresh_recap()
        self.name_label.setText(tr("Name"))
        self.phone_label.setText(tr("Mobile phone"))
        self.name_edit.setPlaceholderText(tr("Your name"))
        self.phone_edit.setPlaceholderText(tr("e.g. 138 0013 8000"))
        wanted = self.name_edit if model.active_field == "name" else self.phone_edit
        if not wanted.hasFocus():  # a new customer starts in the name field, whatever the last one left
            wanted.setFocus(Qt.FocusReason.OtherFocusReason)
        for edit, value, field, error in ((self.name_edit, model.name, "name", self.name_error),
                                          (self.phone_edit, model.phone, "phone", self.phone_error)):
            if edit.text() != value:
                edit.setText(value)
            edit.setProperty("active", "true" if model.active_field == field else "false")
            edit.setProperty("invalid", "true" if field in model.field_errors else "false")
            restyle(edit)
            error.setText(tr(model.field_errors[field]) if field in model.field_errors else "")
        self.notice.setText(model.notice.text(model.language, tr) if model.notice else "")
        self.notice.setVisible(model.notice is not None)  # an empty line took height the keyboard needs
        self.notice.setProperty("tone", model.notice.tone if model.notice else "info")
        restyle(self.notice)
        self.keyboard.refresh()
        self.back.setText(tr("Back"))
        self.place.setText(tr("Placing your order...") if model.saving else tr("Place order"))
        self.place.setEnabled(not model.saving)


class ReceiptScreen(ScreenBase):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model, "receipt")
        self.heading = label("", "heading")
        self.root.addWidget(self.heading)
        body = QHBoxLayout()
        self.qr = QLabel()
        self.qr.setObjectName("qrCode")
        self.qr.setFixedSize(300, 300)
        code = QVBoxLayout()
        code.addWidget(self.qr)
        self.number = label("", "orderNumber", wrap=False)  # what the customer tells staff: big, under its code
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        code.addWidget(self.number)
        code.addStretch(1)
        body.addLayout(code)
        self.text = label("", "receiptText")
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroller = QScrollArea()  # a long configuration scrolls instead of growing the window
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setWidget(self.text)
        body.addWidget(scroller, 1)
        self.root.addLayout(body, 1)
        self.date_notice = label("", "notice")  # a firm date later than the one shown: said before they leave
        self.date_notice.setObjectName("dateChange")
        self.date_notice.setProperty("tone", "warn")
        self.root.addWidget(self.date_notice)
        self.printed = label("", "notice")
        self.root.addWidget(self.printed)
        self.print = button("", self._print, "printButton")
        self.done = button("", lambda: model.reset("placed"), "doneButton", role="primary")
        self.root.addLayout(nav_bar(self.print, self.done))
        self.on_print = lambda: None
        self.printed_path = ""
        self.printer = ""
        """The printer queue the last receipt went to (empty: PDF only)."""
        self.print_problem: str | None = None
        """Why it did not print (for staff: the printer named, what to do)."""
        self.printed_story: DateStory | None = None
        """The date story the last receipt was printed with (to tell when the date changed since)."""
        self.printed_number = ""
        """The order number the last receipt was printed with (the hub may give the order another)."""
        self.save_problem: str | None = None
        """Why the PDF could not be written (for staff: the file, what failed)."""

    def _print(self) -> None:
        self.on_print()

    def refresh(self) -> None:
        from kiosk.receipt import qr_pixmap, receipt_lines  # segno loads with the first receipt

        order = self.model.order
        if order is None:
            return
        self.heading.setText(tr("Thank you! Your order is placed."))
        self.qr.setPixmap(qr_pixmap(order.qr_payload(), 300))
        self.number.setText(order.number)
        story = self.model.date_story()
        lines = receipt_lines(order, self.model.language, story)  # one date: "about", then the hub's firm one
        if self.model.refused:
            lines.insert(3, tr("The factory needs to check this order; our staff will call you."))
        change = story.change_text(tr)
        self.date_notice.setText(change or "")
        self.date_notice.setVisible(change is not None)
        lines.insert(0, tr("Show this code in the store to collect your bike."))
        lines.insert(1, "")
        self.text.setText("\n".join(lines))
        # plain sentences only: the file, the printer queue and what failed are in the log and the staff panel
        if self.save_problem:
            self.printed.setText(tr("The receipt could not be saved, please ask our staff."))
        elif not self.printed_path:
            self.printed.setText("")
        elif self.print_problem:
            self.printed.setText(tr("The receipt could not be printed, please ask our staff: they can print it for you."))
        elif self.printer:
            self.printed.setText(tr("Your receipt is printing."))
        else:
            self.printed.setText(tr("Your receipt is ready: our staff can print it for you."))
        if self.printed_path and self.printed_story is not None \
                and self.printed_story.receipt_line() != story.receipt_line() and story.firm is not None:
            self.printed.setText(self.printed.text() + "\n" + tr(
                "The factory confirmed the date after you printed: tap Print receipt for a receipt with it."))
        if self.printed_path and self.model.renumbered and self.printed_number != order.number:
            self.printed.setText(self.printed.text() + "\n" + tr(
                "Your order number is now {number}: tap Print receipt for a receipt with it.").format(
                number=order.number))
        self.printed.setProperty("tone", "error" if self.print_problem or self.save_problem else "info")
        restyle(self.printed)
        self.print.setText(tr("Print receipt"))
        self.done.setText(tr("Done"))


class OutOfServiceScreen(ScreenBase):
    def __init__(self, model: KioskModel) -> None:
        super().__init__(model, "outOfService")
        self.title = label("", "attractTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = label("", "attractSubtitle")
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.root.addStretch(1)  # why it is out of service is for staff: the log and the staff panel
        for widget in (self.title, self.text):
            self.root.addWidget(widget)
        self.root.addStretch(1)

    def refresh(self) -> None:
        if self.model.loading:
            self.title.setText(tr("One moment, please"))
            self.text.setText(tr("The kiosk is getting ready."))
            return
        self.title.setText(tr("Out of service"))
        self.text.setText(tr("This kiosk is resting. Please ask our staff, we are happy to help."))


ADMIN_KEYS = ("123", "456", "789")


class AdminScreen(ScreenBase):
    """The PIN pad, then the staff panel: link, waiting orders, revisions, refused events, promises moved
    later, leave."""

    def __init__(self, model: KioskModel) -> None:
        super().__init__(model, "admin")
        self.pin_page = QWidget()
        self.pin_page.setObjectName("pinPage")
        pin = QVBoxLayout(self.pin_page)
        pin.setContentsMargins(0, 0, 0, 0)
        self.heading = label("", "heading")
        self.heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.entry = label("", "pinEntry")
        self.entry.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.error = label("", "fieldError")
        self.error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for widget in (self.heading, self.entry, self.error):
            pin.addWidget(widget)
        pad = QGridLayout()
        pad.setSpacing(12)
        for row, keys in enumerate((*ADMIN_KEYS, "⌫0")):
            for col, key in enumerate(keys):
                name = "backspace" if key == "⌫" else key
                pin_key = button(key, partial(model.admin_key, name), f"pin-{name}", role="key")
                pin_key.setFixedSize(120, 80)
                pad.addWidget(pin_key, row, col)
        holder = QHBoxLayout()
        holder.addStretch(1)
        holder.addLayout(pad)
        holder.addStretch(1)
        pin.addLayout(holder)
        pin.addStretch(1)
        self.cancel = button("", model.admin_cancel, "cancelButton")
        self.ok = button("", model.admin_submit, "pinOk", role="primary")
        pin.addLayout(nav_bar(self.cancel, self.ok))
        self.root.addWidget(self.pin_page, 1)

        self.panel = QWidget()
        self.panel.setObjectName("staffPanel")
        staff = QVBoxLayout(self.panel)
        staff.setContentsMargins(0, 0, 0, 0)
        staff.setSpacing(8)
        self.panel_heading = label("", "heading")
        self.link_line = label("", "staffLine")
        self.waiting_line = label("", "staffLine")
        self.revisions_line = label("", "staffLine")
        self.problems_line = label("", "staffLine")
        """Technical detail for staff: why the kiosk is out of service, receipts not printed, orders not stored."""
        self.problems_line.setObjectName("staffProblems")
        self.refused_heading = label("", "refusedHeading")
        for widget in (self.panel_heading, self.link_line, self.waiting_line, self.revisions_line,
                       self.problems_line, self.refused_heading):
            staff.addWidget(widget)
        self.refused_list = QVBoxLayout()
        self.refused_list.setSpacing(8)
        holder_widget = QWidget()
        holder_widget.setLayout(self.refused_list)
        scroll = QScrollArea()
        scroll.setObjectName("refusedScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(holder_widget)
        staff.addWidget(scroll, 1)
        self.back = button("", model.admin_cancel, "staffBack")
        self.reload = button("", model.refresh_status, "staffRefresh")
        self.leave = button("", model.leave_app, "leaveApp", role="primary")
        staff.addLayout(nav_bar(self.back, self.reload, self.leave, stretch_after=2))
        self.root.addWidget(self.panel, 1)

    def refresh(self) -> None:
        unlocked = self.model.admin_unlocked
        self.pin_page.setVisible(not unlocked)
        self.panel.setVisible(unlocked)
        if unlocked:
            self._refresh_panel()
            return
        self.heading.setText(tr("Staff only: enter the PIN to leave"))
        self.entry.setText("●" * len(self.model.admin_entry) or " ")
        locked = self.model.admin_locked_for()
        self.error.setText(tr(self.model.admin_error).format(seconds=locked) if self.model.admin_error else "")
        self.cancel.setText(tr("Cancel"))
        self.ok.setText(tr("OK"))

    def _refresh_panel(self) -> None:
        problems = [p for p in (self.model.blocked, self.model.catalog_problem) if p] + self.model.staff_notes
        self.problems_line.setText("\n".join(problems))
        self.problems_line.setVisible(bool(problems))
        status = self.model.staff_status
        self.panel_heading.setText(tr("Kiosk status"))
        self.back.setText(tr("Back"))
        self.reload.setText(tr("Refresh"))
        self.leave.setText(tr("Leave the app"))
        clear(self.refused_list)
        if status is None:
            for line in (self.link_line, self.waiting_line, self.revisions_line, self.refused_heading):
                line.setText("")
            self.link_line.setText(tr("Reading the status..."))
            return
        if not status.store:
            link = tr("No order store: orders stay in memory on this kiosk (demo).")
        elif status.connected:
            link = tr("Link to the hub: online")
        else:
            link = tr("Link to the hub: offline (orders wait on this kiosk)")
        if status.last_error:
            link += " · " + tr("last problem: {problem}").format(problem=status.last_error)
        self.link_line.setText(link)
        self.link_line.setProperty("tone", "info" if status.connected or not status.store else "warn")
        restyle(self.link_line)
        waiting = tr("Orders waiting to go up: {n}").format(n=status.pending)
        template, amount = age_text(status.oldest_pending_s)
        if status.pending and template:
            waiting += " · " + tr(template).format(n=amount)
        if status.waiting:  # the receipts' numbers: what a customer reads out at the counter
            waiting += " · " + ", ".join(status.waiting) + (" …" if status.waiting_more else "")
        self.waiting_line.setText(waiting)
        if status.revisions:
            revisions = ", ".join(f"{product} r{number}" for product, number in sorted(status.revisions.items()))
            self.revisions_line.setText(tr("Catalog revisions in use: {revisions}").format(revisions=revisions))
        else:
            self.revisions_line.setText(tr("Catalog in use: a draft folder (the hub refuses its orders)"))
        if status.catalog_waiting:  # received but not sold yet: a picture is missing or came damaged
            self.revisions_line.setText(self.revisions_line.text() + "\n" + tr(
                "Waiting for pictures before use: {revisions}").format(
                revisions=", ".join(f"{product} r{number}" for product, number in status.catalog_waiting)))
        if not status.refused:
            self.refused_heading.setText(tr("Refused by the hub: none"))
            self.refused_heading.setProperty("tone", "info")
        else:
            self.refused_heading.setText(tr("Refused by the hub: {n}. Please call each customer.")
                                         .format(n=len(status.refused)))
            self.refused_heading.setProperty("tone", "error")
        restyle(self.refused_heading)
        for event in status.refused:
            item = QFrame()
            item.setObjectName("refusedItem")
            lines = QVBoxLayout(item)
            lines.setContentsMargins(16, 8, 16, 8)
            who = " · ".join(part for part in (event.headline(tr), event.customer, event.phone) if part)
            lines.addWidget(label(who, "refusedWho"))
            lines.addWidget(label(tr("{when} · the hub says: {reason}").format(when=event.when, reason=event.reason),
                                  "refusedWhy"))
            self.refused_list.addWidget(item)
        if status.moved:  # the hub will finish these later than the customer was told
            heading = label(tr("Ready later than promised: {n}. Please call each customer.").format(
                n=len(status.moved)), "movedHeading")
            self.refused_list.addWidget(heading)
            for moved in status.moved:
                item = QFrame()
                item.setObjectName("movedItem")
                lines = QVBoxLayout(item)
                lines.setContentsMargins(16, 8, 16, 8)
                who = " · ".join(part for part in (tr("Order {number}").format(number=moved.order), moved.customer,
                                                   moved.phone) if part)
                lines.addWidget(label(who, "movedWho"))
                lines.addWidget(label(tr("{was} → {promise} · the hub says: {reason}").format(
                    was=moved.was, promise=moved.promise, reason=moved.reason), "movedWhy"))
                self.refused_list.addWidget(item)
        self.refused_list.addStretch(1)


SYNC_TEXT = {
    "local": N_("Orders saved on this kiosk"),
    "online": N_("Connected"),
    "offline": N_("Offline: orders wait on this kiosk"),
    "syncing": N_("Sending orders..."),
}
